"""Checks of add-application-scopes (``SCOPE-*``) over HTTP and on the target's process.

The target exposes the probe API the manifest's ``[scopes]`` section names (the reference
demo's routes by default) and lists, under ``[[scopes.apps]]``, two or more applications of
one process with a route, a provider and a config value only that application has.
"""

from __future__ import annotations

import functools
import re
import secrets
from typing import Any

from apiconform.conformance.context import CheckContext
from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.manifest import ScopeApp
from apiconform.conformance.polling import poll
from apiconform.conformance.registry import CheckSkipped, check, expect

PROPOSAL = "add-application-scopes"
PORT_MENTION = re.compile(r"(?:\bport\s+|:)(\d{4,5})\b", re.IGNORECASE)


def _json(client: TargetClient, path: str, what: str) -> dict[str, Any]:
    """The JSON object a probe answers with; anything else fails the check."""
    response = client.get(path)
    expect(response.status_code == 200, f"{what}: GET {path} answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = None
    expect(isinstance(body, dict), f"{what}: GET {path} did not answer a JSON object")
    return dict(body)


def _apps(ctx: CheckContext, needed: int = 2) -> list[tuple[ScopeApp, TargetClient]]:
    apps = ctx.manifest.scopes.apps
    if len(apps) < needed:
        raise CheckSkipped(
            f"the manifest lists {len(apps)} scope app(s); this check needs {needed}"
        )
    return [(app, ctx.client(app.url)) for app in apps]


def _ids(ctx: CheckContext, client: TargetClient) -> dict[str, Any]:
    body = _json(client, ctx.manifest.scopes.request_ids, "request-ids probe")
    expect(
        {"first", "second", "singleton", "transient"} <= set(body),
        "request-ids probe must return first, second, singleton and transient",
    )
    return body


@check("SCOPE-HTTP-01", "SCOPE-TYPE-02")
def apps_answer_on_their_own_ports(ctx: CheckContext) -> None:
    """Each app of the process answers on its own URL with its own app id."""
    seen: dict[str, str] = {}
    for app, client in _apps(ctx):
        app_id = _json(client, ctx.manifest.scopes.whoami, "whoami probe").get("app_id")
        expect(isinstance(app_id, str) and app_id, f"{client.base_url}: whoami gave no app_id")
        assert isinstance(app_id, str)
        if app.id is not None:
            expect(app_id == app.id, f"{client.base_url} is app {app_id!r}, expected {app.id!r}")
        expect(
            app_id not in seen,
            f"{client.base_url} and {seen.get(app_id)} both answer as app {app_id!r}",
        )
        seen[app_id] = client.base_url


@check("SCOPE-DI-01")
def singleton_is_shared_within_an_app_and_not_across(ctx: CheckContext) -> None:
    """A singleton provider is the same instance in two requests to one app, and a
    different instance in another app."""
    apps = ctx.manifest.scopes.apps
    clients = [c for _, c in _apps(ctx, 2)] if len(apps) >= 2 else [ctx.client()]
    first = _ids(ctx, clients[0])["singleton"]
    again = _ids(ctx, clients[0])["singleton"]
    expect(first == again, f"singleton changed between two requests: {first} then {again}")
    for other in clients[1:]:
        theirs = _ids(ctx, other)["singleton"]
        expect(theirs != first, f"{other.base_url} shares the singleton instance {first}")


@check("SCOPE-DI-02")
def scoped_provider_is_per_request(ctx: CheckContext) -> None:
    """A scoped provider is one instance within a request and a new one in the next."""
    client = ctx.client()
    one = _ids(ctx, client)
    two = _ids(ctx, client)
    for ids in (one, two):
        expect(
            ids["first"] == ids["second"],
            f"two resolutions in one request gave {ids['first']} and {ids['second']}",
        )
    expect(one["first"] != two["first"], f"two requests shared the scoped instance {one['first']}")


@check("SCOPE-DI-03")
def transient_is_new_at_every_injection(ctx: CheckContext) -> None:
    """A transient provider differs between two injections in one request."""
    ids = _ids(ctx, ctx.client())
    transient = ids["transient"]
    expect(
        isinstance(transient, list) and len(transient) == 2,
        "request-ids probe must return two transient ids",
    )
    expect(transient[0] != transient[1], f"two injections shared transient {transient[0]}")


@check("SCOPE-ISO-01")
def providers_do_not_leak(ctx: CheckContext) -> None:
    """A provider only one app registers is listed by that app and by no other."""
    apps = _apps(ctx)
    declared = [(app, client) for app, client in apps if app.only_provider]
    if not declared:
        raise CheckSkipped("no scope app declares only_provider in the manifest")
    listings = {}
    for _, client in apps:
        providers = _json(client, ctx.manifest.scopes.providers, "providers probe").get("providers")
        expect(isinstance(providers, list), f"{client.base_url}: providers probe gave no list")
        listings[client.base_url] = set(providers or ())
    for app, client in declared:
        expect(
            app.only_provider in listings[client.base_url],
            f"{client.base_url} does not list its own provider {app.only_provider!r}",
        )
        for other, names in listings.items():
            if other != client.base_url:
                expect(
                    app.only_provider not in names,
                    f"{other} lists {app.only_provider!r}, registered only in {client.base_url}",
                )


@check("SCOPE-ISO-02")
def cache_entries_do_not_leak(ctx: CheckContext) -> None:
    """An entry one app writes to its cache is readable there and nowhere else."""
    apps = _apps(ctx)
    key = f"apiconform-{secrets.token_hex(6)}"
    value = {"written_by": apps[0][1].base_url, "nonce": secrets.token_hex(4)}
    path = f"{ctx.manifest.scopes.cache}/{key}"
    write = apps[0][1].put(path, json={"value": value})
    expect(write.is_success, f"cache write answered {write.status_code}")
    read = apps[0][1].get(path)
    expect(
        read.status_code == 200, f"the writing app cannot read its own entry ({read.status_code})"
    )
    expect(read.json().get("value") == value, "the writing app reads back a different value")
    for _, client in apps[1:]:
        other = client.get(path)
        expect(
            other.status_code == 404,
            f"{client.base_url} answered {other.status_code} for another app's cache entry",
        )


@check("SCOPE-ISO-03")
def routes_do_not_leak(ctx: CheckContext) -> None:
    """A route one app registers exists there and answers 404 in every other app."""
    apps = _apps(ctx)
    declared = [(app, client) for app, client in apps if app.only_route]
    if not declared:
        raise CheckSkipped("no scope app declares only_route in the manifest")
    for app, client in declared:
        assert app.only_route is not None
        own = client.get(app.only_route)
        expect(own.status_code == 200, f"{client.base_url}{app.only_route}: {own.status_code}")
        for _, other in apps:
            if other is not client:
                leaked = other.get(app.only_route)
                expect(
                    leaked.status_code == 404,
                    f"{other.base_url}{app.only_route} answered {leaked.status_code}; "
                    f"that route belongs to {client.base_url}",
                )


@check("SCOPE-CFG-01")
def config_applies_to_its_own_app(ctx: CheckContext) -> None:
    """Each app reports its own config values, and not another app's."""
    apps = _apps(ctx)
    declared = [(app, client) for app, client in apps if app.config]
    if not declared:
        raise CheckSkipped("no scope app declares config values in the manifest")
    settings = {}
    for _, client in apps:
        values = _json(client, ctx.manifest.scopes.config, "config probe").get("settings")
        expect(isinstance(values, dict), f"{client.base_url}: config probe gave no settings")
        settings[client.base_url] = dict(values or {})
    for app, client in declared:
        for key, value in app.config.items():
            got = settings[client.base_url].get(key)
            expect(got == value, f"{client.base_url}: setting {key} is {got!r}, expected {value!r}")
            for other, values in settings.items():
                if other != client.base_url:
                    expect(
                        values.get(key) != value,
                        f"{other} has {key}={value!r}, the config of {client.base_url}",
                    )


def _lines_with(ctx: CheckContext, since: int, correlation_id: str) -> list[dict[str, Any]]:
    return [
        line
        for line in ctx.process().output.json_lines(since)
        if line.get("correlation_id") == correlation_id
    ]


@check("SCOPE-CTX-01")
def context_reaches_spawned_tasks(ctx: CheckContext) -> None:
    """Log lines of the handler and of a task it spawned carry the request's app id, scope
    id and correlation id; the correlation id is echoed."""
    process = ctx.process()
    client = ctx.client()
    since = process.output.mark()
    correlation_id = f"apiconform-{secrets.token_hex(8)}"
    message = f"probe {secrets.token_hex(6)}"
    response = client.post(
        ctx.manifest.scopes.log,
        json={"message": message},
        headers={"X-Correlation-ID": correlation_id},
    )
    expect(response.is_success, f"log probe answered {response.status_code}")
    echoed = response.headers.get("x-correlation-id")
    expect(echoed == correlation_id, f"X-Correlation-ID echoed as {echoed!r}")
    body = response.json()
    expect(isinstance(body, dict), "log probe did not answer a JSON object")
    for key in ("app_id", "scope_id"):
        expect(isinstance(body.get(key), str) and body[key], f"the log probe's answer has no {key}")

    def probe_lines() -> list[dict[str, Any]]:
        return [x for x in _lines_with(ctx, since, correlation_id) if x.get("message") == message]

    lines = poll(probe_lines, lambda found: len(found) >= 2)
    expect(
        len(lines) >= 2,
        f"expected the handler's and the spawned task's lines with message {message!r}, "
        f"found {len(lines)}",
    )
    for line in lines:
        expect(line.get("app_id") == body.get("app_id"), f"line has app_id {line.get('app_id')!r}")
        expect(
            line.get("scope_id") == body.get("scope_id"),
            f"line has scope_id {line.get('scope_id')!r}, "
            f"the request's is {body.get('scope_id')!r}",
        )


@check("SCOPE-LOG-01")
def request_log_lines_carry_app_and_scope_ids(ctx: CheckContext) -> None:
    """Every line logged for a request carries the id of the app that served it and a
    scope id."""
    output = ctx.process().output
    since = output.mark()
    sent: list[tuple[str, str]] = []
    for _, client in _apps(ctx, 1):
        correlation_id = f"apiconform-{secrets.token_hex(8)}"
        response = client.get(
            ctx.manifest.scopes.whoami, headers={"X-Correlation-ID": correlation_id}
        )
        expect(response.status_code == 200, f"{client.base_url}: whoami {response.status_code}")
        sent.append((correlation_id, str(response.json().get("app_id"))))
    for correlation_id, app_id in sent:
        lines = poll(functools.partial(_lines_with, ctx, since, correlation_id), bool)
        expect(lines, f"no JSON log line carries correlation id {correlation_id}")
        for line in lines:
            expect(
                line.get("app_id") == app_id,
                f"a line of app {app_id!r}'s request has app_id {line.get('app_id')!r}",
            )
            expect(line.get("scope_id"), f"a line of app {app_id!r}'s request has no scope_id")


@check("SCOPE-HTTP-02")
def taken_port_is_reported(ctx: CheckContext) -> None:
    """A second instance started on the first one's port exits non-zero, naming the port
    and suggesting another."""
    process = ctx.process()
    assert ctx.target is not None
    second = ctx.target.instance(list(process.ports)).spawn()
    code = second.wait_exit(ctx.manifest.target.ready_timeout)
    if code is None:
        second.stop()
        expect(False, f"a second instance on port {process.ports[0]} kept running")
    output = second.output.text()
    port = str(process.ports[0])
    expect(code != 0, f"a second instance on a taken port exited with status {code}")
    expect(port in output, f"the error does not name the taken port {port}: {output[-300:]!r}")
    # a port in a port context ("port 8001", ":8001"), not any number (a line, a status)
    suggested = {int(n) for n in PORT_MENTION.findall(output)} - {int(port)}
    expect(
        any(1024 <= n <= 65535 for n in suggested),
        f"the error suggests no other port: {output[-300:]!r}",
    )


def _metric_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


# Process-wide collectors describe the interpreter, not an application.
PROCESS_WIDE_PREFIXES = ("process_", "python_")


@check("SCOPE-LOG-02")
def metrics_carry_app_and_scope_labels(ctx: CheckContext) -> None:
    """Every application metric sample has app_id and scope_id labels."""
    ctx.require_claim("add-health-observability")
    response = ctx.client().get(ctx.manifest.observability.metrics)
    expect(response.status_code == 200, f"metrics answered {response.status_code}")
    samples = [s for s in _metric_lines(response.text) if not s.startswith(PROCESS_WIDE_PREFIXES)]
    expect(samples, "the metrics endpoint exposes no application samples")
    for sample in samples:
        labels = sample.split("{", 1)[1].split("}", 1)[0] if "{" in sample else ""
        expect(
            'app_id="' in labels and 'scope_id="' in labels,
            f"sample without app_id/scope_id labels: {sample[:200]}",
        )
