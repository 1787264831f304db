"""Broken variants of the demo's start-up errors (SCOPE-HTTP-02, SCOPE-FACT-02/03,
SCOPE-CFG-02): each replaces one of the demo's start-up probes with a target that reports
the error worse, or not at all."""

from __future__ import annotations

import sys
from typing import Any

from apiconform.errors import ApiconformError
from apiconform.reference.demo import startup
from tests.selftest.variants.base import SCOPES, broken


def _fail_with(case: str, message: str) -> None:
    """The start-up probe ``case`` fails with ``message``; ``{id}`` and ``{scope}`` stand
    for the probe's first argument (the app id or the scope it was given)."""

    def refuse(first: Any, *rest: Any) -> None:
        raise ApiconformError(message.format(id=first, scope=first))

    setattr(startup, case, refuse)


def _accept(case: str) -> None:
    """The start-up probe ``case`` starts as if nothing were wrong."""
    setattr(startup, case, lambda *args: None)


@broken(SCOPES, {"SCOPE-HTTP-02": "SCOPE-HTTP-02.names-port"})
def silent_port_conflict() -> None:
    """A taken port fails without saying which port or what to use instead."""
    original = startup.port_conflict

    async def port_conflict(port: int) -> None:
        try:
            await original(port)
        except ApiconformError:
            raise ApiconformError("cannot start the server") from None

    startup.port_conflict = port_conflict


@broken(SCOPES, {"SCOPE-HTTP-02": "SCOPE-HTTP-02.suggests-port"})
def port_conflict_as_a_node_trace() -> None:
    """The port error is an uncaught trace whose only other numbers are file positions."""

    async def port_conflict(port: int) -> None:
        print(
            f"Error: listen EADDRINUSE: address already in use 127.0.0.1:{port}\n"
            "    at Server.setupListenHandle [as _listen2] (node:net:1908:16)\n"
            "    at listenInCluster (node:net:1965:12)\n"
            "    at /app/server.js:4012:7",
            file=sys.stderr,
        )
        raise SystemExit(1)

    startup.port_conflict = port_conflict


@broken(SCOPES, {"SCOPE-HTTP-02": "SCOPE-HTTP-02.exit-status"})
def port_conflict_exits_0() -> None:
    """The port error is reported, and the process ends as if all went well."""
    original = startup.main

    def main(argv: Any = None) -> int:
        code = original(argv)
        return 0 if list(argv or [])[:1] == ["port-conflict"] else code

    startup.main = main


@broken(SCOPES, {"SCOPE-FACT-02": "SCOPE-FACT-02.refused"})
def duplicate_id_accepted() -> None:
    """Two applications with one id both start."""
    _accept("duplicate_id")


@broken(SCOPES, {"SCOPE-FACT-02": "SCOPE-FACT-02.names-id"})
def duplicate_id_unnamed() -> None:
    """The duplicate-id error does not say which id."""
    _fail_with("duplicate_id", "an application with this id already exists; choose another id")


@broken(SCOPES, {"SCOPE-FACT-02": "SCOPE-FACT-02.existing-app"})
def duplicate_id_without_the_existing_app() -> None:
    """The duplicate-id error says nothing of the application that has the id."""
    _fail_with("duplicate_id", "application {id!r} already exists; choose a different id")


@broken(SCOPES, {"SCOPE-FACT-02": "SCOPE-FACT-02.hint"})
def duplicate_id_without_a_hint() -> None:
    """The duplicate-id error does not suggest what to do."""
    _fail_with("duplicate_id", "application {id!r} already exists (scope=agent, status=created)")


@broken(SCOPES, {"SCOPE-FACT-03": "SCOPE-FACT-03.refused"})
def unknown_scope_accepted() -> None:
    """An application with an unknown scope starts."""
    _accept("invalid_scope")


@broken(SCOPES, {"SCOPE-FACT-03": "SCOPE-FACT-03.lists-scopes"})
def unknown_scope_unlisted() -> None:
    """The unknown-scope error does not list the valid scopes."""
    _fail_with("invalid_scope", "invalid application scope {scope!r}")


@broken(SCOPES, {"SCOPE-CFG-02": "SCOPE-CFG-02.not-created"})
def invalid_config_accepted() -> None:
    """An application with an invalid config starts."""
    _accept("invalid_config")


@broken(SCOPES, {"SCOPE-CFG-02": "SCOPE-CFG-02.names-app"})
def invalid_config_anonymous() -> None:
    """The invalid-config error does not say which application."""
    _fail_with("invalid_config", "invalid config: environment: must be development or production")
