"""SCOPE-HTTP-02, SCOPE-FACT-02, SCOPE-FACT-03 and SCOPE-CFG-02: start-up errors, seen
by running the commands of ``[scopes.startup]`` with values the suite chose.

Numbers and names are taken from the output only where it presents them as such: a port
after the word "port" or in ``host:port`` (never inside ``node:net:1908``), the three
scope names on one line (not scattered over a stack trace).
"""

from __future__ import annotations

import re
import secrets

from apiconform.conformance.context import CheckContext
from apiconform.conformance.patterns import mentions_all, port_is_free, port_mentions
from apiconform.conformance.registry import check, expect
from apiconform.conformance.startup import StartupResult, run_startup_probe

SCOPES = ("singleton", "agent", "request")
# words that describe an application that exists: its scope or its status
APP_STATE = re.compile(
    r"\b(?:singleton|agent|request|scope|status|created|starting|started|running|stopped)\b",
    re.IGNORECASE,
)
HINT = re.compile(
    r"\b(?:different|another|other|unique|rename|choose|pick|new)\b[^\n]{0,40}\bid", re.IGNORECASE
)


def _tail(result: StartupResult) -> str:
    return repr(result.errors[-400:])


@check("SCOPE-HTTP-02")
def taken_port_is_reported(ctx: CheckContext) -> None:
    """When two applications of one process use the same port, the second fails to start
    with an error naming the port and suggesting a free one."""
    command = ctx.probe("scopes.startup.port_conflict")

    def reported(output: str, port: int) -> bool:
        mentioned = port_mentions(output)
        return port in mentioned and len(mentioned) > 1

    result = run_startup_probe(ctx, command, until=reported)
    expect(
        result.code is None or result.code != 0,
        "SCOPE-HTTP-02.exit-status",
        f"the process exited with status 0 after its second app failed to start: {_tail(result)}",
    )
    mentioned = port_mentions(result.errors)
    expect(
        result.port in mentioned,
        "SCOPE-HTTP-02.names-port",
        f"the error does not name the taken port {result.port}: {_tail(result)}",
    )
    free = sorted(p for p in mentioned - {result.port} if p >= 1024 and port_is_free(p))
    expect(
        free,
        "SCOPE-HTTP-02.suggests-port",
        f"the error suggests no free port (ports named: {sorted(mentioned)}): {_tail(result)}",
    )


def _refused(result: StartupResult) -> bool:
    return result.code is not None and result.code != 0


@check("SCOPE-FACT-02")
def duplicate_app_id_is_refused(ctx: CheckContext) -> None:
    """Creating an application with an id that exists fails, describing the existing
    application and suggesting another id."""
    command = ctx.probe("scopes.startup.duplicate_id")
    app_id = f"apiconform-dup-{secrets.token_hex(4)}"
    result = run_startup_probe(ctx, command, {"app_id": app_id})
    expect(
        _refused(result),
        "SCOPE-FACT-02.refused",
        f"two applications with id {app_id} did not stop the start (status {result.code})",
    )
    lines = [line for line in result.errors.splitlines() if app_id in line]
    expect(
        lines, "SCOPE-FACT-02.names-id", f"the error does not name the id {app_id}: {_tail(result)}"
    )
    expect(
        any(APP_STATE.search(line.replace(app_id, "")) for line in lines),
        "SCOPE-FACT-02.existing-app",
        f"the error says nothing of the existing application (its scope or status): {lines}",
    )
    expect(
        HINT.search(result.errors),
        "SCOPE-FACT-02.hint",
        f"the error does not suggest using a different id: {_tail(result)}",
    )


@check("SCOPE-FACT-03")
def unknown_scope_is_refused(ctx: CheckContext) -> None:
    """Creating an application with an unknown scope is a validation error listing the
    valid scopes."""
    command = ctx.probe("scopes.startup.invalid_scope")
    scope = f"galaxy{secrets.token_hex(3)}"
    result = run_startup_probe(ctx, command, {"scope": scope})
    expect(
        _refused(result),
        "SCOPE-FACT-03.refused",
        f"the scope {scope!r} did not stop the start (status {result.code})",
    )
    expect(
        mentions_all(result.errors, SCOPES),
        "SCOPE-FACT-03.lists-scopes",
        f"no line of the error lists the valid scopes {', '.join(SCOPES)}: {_tail(result)}",
    )


@check("SCOPE-CFG-02")
def invalid_config_prevents_creation(ctx: CheckContext) -> None:
    """An application with an invalid config is not created: the start fails with an
    error naming the application's id, and nothing serves on its port."""
    command = ctx.probe("scopes.startup.invalid_config")
    app_id = f"apiconform-cfg-{secrets.token_hex(4)}"
    result = run_startup_probe(ctx, command, {"app_id": app_id})
    expect(
        _refused(result) and not result.served,
        "SCOPE-CFG-02.not-created",
        f"the app with an invalid config started (status {result.code}, "
        f"{'served' if result.served else 'did not serve'} on port {result.port})",
    )
    expect(
        app_id in result.errors,
        "SCOPE-CFG-02.names-app",
        f"the error does not name the application {app_id}: {_tail(result)}",
    )
