"""SCOPE-HTTP-01, SCOPE-TYPE-02, SCOPE-ISO-01..03 and SCOPE-CFG-01: the applications of
one process answer as themselves and share no providers, cache entries, routes or config.

The manifest lists them under ``[[scopes.apps]]``, each with what only it has.
"""

from __future__ import annotations

import secrets

from apiconform.conformance.checks.scopes.probes import apps, probe_json, request_ids
from apiconform.conformance.context import CheckContext, declared
from apiconform.conformance.correlation import json_body
from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.registry import CheckSkipped, check, expect


@check("SCOPE-HTTP-01", "SCOPE-TYPE-02")
def apps_answer_on_their_own_ports(ctx: CheckContext) -> None:
    """Each application of the process answers on its own URL with its own app id."""
    path = ctx.probe("scopes.whoami")
    seen: dict[str, str] = {}
    for app, client in apps(ctx):
        app_id = probe_json(client, path, "whoami").get("app_id")
        expect(
            isinstance(app_id, str) and app_id,
            "SCOPE-HTTP-01.app-id",
            f"{client.base_url}: whoami gave no app_id",
        )
        assert isinstance(app_id, str)
        expect(
            app.id is None or app_id == app.id,
            "SCOPE-HTTP-01.expected-id",
            f"{client.base_url} answers as app {app_id!r}, the manifest says {app.id!r}",
        )
        expect(
            app_id not in seen,
            "SCOPE-HTTP-01.distinct",
            f"{client.base_url} and {seen.get(app_id)} both answer as app {app_id!r}",
        )
        seen[app_id] = client.base_url


@check("SCOPE-ISO-01")
def providers_do_not_leak(ctx: CheckContext) -> None:
    """A provider only one application registers is listed there and nowhere else, and
    singleton instances are the application's own."""
    listed = apps(ctx)
    declared_apps = [(a, c) for a, c in listed if declared(a.only_provider)]
    if declared_apps:
        path = ctx.probe("scopes.providers")
        listings = {}
        for _, client in listed:
            providers = probe_json(client, path, "providers").get("providers")
            if not isinstance(providers, list):
                raise CheckSkipped(f"{client.base_url}{path} lists no providers")
            listings[client.base_url] = set(map(str, providers))
        for app, client in declared_apps:
            expect(
                app.only_provider in listings[client.base_url],
                "SCOPE-ISO-01.own-listed",
                f"{client.base_url} does not list its own provider {app.only_provider!r}",
            )
            leaked = sorted(
                u for u, n in listings.items() if u != client.base_url and app.only_provider in n
            )
            expect(
                not leaked,
                "SCOPE-ISO-01.not-elsewhere",
                f"{leaked} list {app.only_provider!r}, registered only in {client.base_url}",
            )
    else:
        ctx.unchecked("provider lists: no scope app declares only_provider")
    if not ctx.has("scopes.request_ids"):
        if not declared_apps:
            raise CheckSkipped(
                "no scope app declares only_provider and the target declares no scopes.request_ids"
            )
        ctx.unchecked("singletons: the target declares no scopes.request_ids")
        return
    singletons = {c.base_url: str(request_ids(ctx, c)["singleton"]) for _, c in listed}
    expect(
        len(set(singletons.values())) == len(singletons),
        "SCOPE-ISO-01.singletons",
        f"applications share a singleton instance: {singletons}",
    )


@check("SCOPE-ISO-02")
def cache_entries_do_not_leak(ctx: CheckContext) -> None:
    """An entry one application writes to its cache is not readable by another, and the
    same key in two applications holds two values."""
    base = ctx.probe("scopes.cache")
    (_, writer), *others = apps(ctx)
    key = f"apiconform-{secrets.token_hex(6)}"
    path = f"{base}/{key}"

    def store(client: TargetClient, value: dict[str, str], at: str = path) -> None:
        answer = client.put(at, json={"value": value})
        if not answer.is_success:
            raise CheckSkipped(
                f"the cache probe {client.base_url}{at} answered {answer.status_code}"
            )

    def read(client: TargetClient, at: str = path) -> tuple[int, object]:
        answer = client.get(at)
        body = json_body(answer)
        return answer.status_code, body.get("value") if isinstance(body, dict) else None

    mine = {"written_by": writer.base_url, "nonce": secrets.token_hex(4)}
    store(writer, mine)
    if read(writer) != (200, mine):
        raise CheckSkipped(f"the cache probe {writer.base_url}{path} does not read back its entry")
    for _, other in others:
        probe_key = f"{base}/apiconform-own-{secrets.token_hex(6)}"
        own = {"written_by": other.base_url}
        store(other, own, probe_key)
        if read(other, probe_key) != (200, own):
            raise CheckSkipped(f"the cache probe {other.base_url}{probe_key} does not read back")
        status, value = read(other)
        expect(
            status == 404,
            "SCOPE-ISO-02.not-readable",
            f"{other.base_url} answered {status} ({value!r}) for another app's cache entry",
        )
        theirs = {"written_by": other.base_url, "nonce": secrets.token_hex(4)}
        store(other, theirs)
        expect(
            read(writer) == (200, mine) and read(other) == (200, theirs),
            "SCOPE-ISO-02.same-key-separate",
            f"the key {key} written in two apps does not keep two values",
        )


@check("SCOPE-ISO-03")
def routes_do_not_leak(ctx: CheckContext) -> None:
    """A route one application registers exists there and in no other application."""
    listed = apps(ctx)
    declared_apps = [(a, c) for a, c in listed if declared(a.only_route)]
    if not declared_apps:
        raise CheckSkipped("no scope app declares only_route")
    for app, client in declared_apps:
        assert isinstance(app.only_route, str)
        own = client.get(app.only_route)
        if not own.is_success:
            raise CheckSkipped(f"{client.base_url}{app.only_route} answered {own.status_code}")
        for _, other in listed:
            if other is client:
                continue
            leaked = other.get(app.only_route)
            expect(
                leaked.status_code >= 400,
                "SCOPE-ISO-03.not-elsewhere",
                f"{other.base_url}{app.only_route} answered {leaked.status_code}; "
                f"that route belongs to {client.base_url}",
            )


@check("SCOPE-CFG-01")
def config_applies_to_its_own_app(ctx: CheckContext) -> None:
    """Each application reports its own config values, and not another's."""
    listed = apps(ctx)
    declared_apps = [(a, c) for a, c in listed if a.config]
    if not declared_apps:
        raise CheckSkipped("no scope app declares config values")
    path = ctx.probe("scopes.config")
    settings = {}
    for _, client in listed:
        values = probe_json(client, path, "config").get("settings")
        if not isinstance(values, dict):
            raise CheckSkipped(f"the config probe {client.base_url}{path} gave no settings")
        settings[client.base_url] = values
    for app, client in declared_apps:
        for key, value in app.config.items():
            got = settings[client.base_url].get(key)
            expect(
                got == value,
                "SCOPE-CFG-01.own",
                f"{client.base_url}: setting {key} is {got!r}, expected {value!r}",
            )
            shared = sorted(
                u for u, v in settings.items() if u != client.base_url and v.get(key) == value
            )
            expect(
                not shared,
                "SCOPE-CFG-01.not-elsewhere",
                f"{shared} have {key}={value!r}, the config of {client.base_url}",
            )
