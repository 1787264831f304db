"""The ``apiconform`` command: parses arguments, then calls the parts.

Sub-commands are imported only when run, so ``apiconform gate`` does not pay for the web
stack and ``apiconform serve`` does not pay for locust.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from apiconform.errors import ApiconformError

COMMANDS = {
    "serve": "apiconform.reference.cli:serve",
    "check": "apiconform.conformance.cli:check",
    "fuzz": "apiconform.conformance.fuzz:fuzz",
    "catalog": "apiconform.conformance.catalog:catalog",
    "gate": "apiconform.gate.cli:gate",
    "mock-oauth": "apiconform.mocks.oauth_server.cli:mock_oauth",
    "load": "apiconform.load.cli:load",
}


class LazyGroup(click.Group):
    """A group whose commands are ``module:attribute`` strings loaded on first use."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="apiconform")
def cli() -> None:
    """apiconform: reference server, conformance suite, mocks, load scenarios and coverage
    gate for the CMMV improvement proposals."""


def main(argv: list[str] | None = None) -> int:
    """Entry point: expected failures print one line and exit 2, never a traceback."""
    try:
        result = cli.main(args=argv, prog_name="apiconform", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo("apiconform: aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except ApiconformError as exc:
        click.echo(f"apiconform: error: {exc}", err=True)
        return 2
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
