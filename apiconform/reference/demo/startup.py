"""Start-up probes of the demo: ways to start it that the kernel must refuse, for the
conformance suite's ``[scopes.startup]`` commands (SCOPE-HTTP-02, SCOPE-FACT-02/03,
SCOPE-CFG-02)::

    python -m apiconform.reference.demo.startup port-conflict --port 8000
    python -m apiconform.reference.demo.startup duplicate-id --id agent:x
    python -m apiconform.reference.demo.startup invalid-scope --scope galaxy
    python -m apiconform.reference.demo.startup invalid-config --id agent:x --port 8000

Each prints the error on one line and exits with status 2 (a kernel that accepted what
it must refuse would exit 0).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from apiconform.errors import ApiconformError
from apiconform.reference.demo.app import create_demo_app
from apiconform.reference.kernel import Application, AppRegistry, AppScope


async def port_conflict(port: int) -> None:
    """Two agent apps of one process on one port: the second one's start fails."""
    registry = AppRegistry()
    apps = [
        create_demo_app(
            id=f"agent:{name}", scope=AppScope.AGENT, config={"port": port}, registry=registry
        )
        for name in ("first", "second")
    ]
    try:
        for app in apps:
            await app.start()
    finally:
        await _dispose(apps)


def duplicate_id(app_id: str) -> None:
    """Two apps with the same id: the second is refused."""
    registry = AppRegistry()
    for _ in range(2):
        create_demo_app(id=app_id, scope=AppScope.AGENT, registry=registry)


def invalid_scope(scope: str) -> None:
    create_demo_app(id="agent:probe", scope=scope, registry=AppRegistry())


def invalid_config(app_id: str, port: int) -> None:
    """An app whose config names an environment that does not exist."""
    create_demo_app(
        id=app_id,
        scope=AppScope.AGENT,
        config={"port": port, "environment": "staging"},
        registry=AppRegistry(),
    )


async def _dispose(apps: list[Application]) -> None:
    for app in reversed(apps):
        await app.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m apiconform.reference.demo.startup")
    parser.add_argument(
        "case", choices=["port-conflict", "duplicate-id", "invalid-scope", "invalid-config"]
    )
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--id", default="agent:probe")
    parser.add_argument("--scope", default="galaxy")
    args = parser.parse_args(argv)
    try:
        if args.case == "port-conflict":
            asyncio.run(port_conflict(args.port))
        elif args.case == "duplicate-id":
            duplicate_id(args.id)
        elif args.case == "invalid-scope":
            invalid_scope(args.scope)
        else:
            invalid_config(args.id, args.port)
    except ApiconformError as exc:
        print(f"apiconform: error: {exc}", file=sys.stderr)
        return 2
    # what a target that accepted it would do: carry on as if nothing were wrong
    print(f"apiconform: {args.case}: started", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
