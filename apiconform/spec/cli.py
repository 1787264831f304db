"""``apiconform catalog``: print the requirement catalog.

The command is built here from what the catalog knows; the command line fills in who
checks each requirement (``checked_by``), which only the conformance suite knows.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import click

from apiconform.spec.catalog import PROPOSALS, Requirement, load_catalog

Fill = Callable[[list[Requirement]], list[Requirement]]


def _table(requirements: list[Requirement]) -> str:
    rows = [("id", "proposal", "level", "observed", "checked by", "title")]
    rows += [
        (r.id, r.proposal, r.level.value, r.observed.value, r.checked_by or "-", r.title)
        for r in requirements
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join(
        "  ".join(f"{cell:<{widths[i]}}" for i, cell in enumerate(row[:5])) + f"  {row[5]}"
        for row in rows
    )


def _markdown(requirements: list[Requirement]) -> str:
    lines = []
    for proposal in dict.fromkeys(r.proposal for r in requirements):
        lines += [
            f"## {proposal}",
            "",
            "| id | level | observed | checked by | title | spec scenario |",
            "|---|---|---|---|---|---|",
        ]
        for r in requirements:
            if r.proposal == proposal:
                note = r.reason or r.decision or ""
                title = r.title + (f" — {note}" if note else "")
                lines.append(
                    f"| {r.id} | {r.level.value} | {r.observed.value} | {r.checked_by or '-'} | "
                    f"{title.replace('|', '/')} | {r.requirement} / {r.scenario} |"
                )
        lines.append("")
    return "\n".join(lines)


def build_command(fill: Fill | None = None) -> click.Command:
    """The ``catalog`` command; ``fill`` sets each requirement's ``checked_by``."""

    @click.command()
    @click.option("--proposal", type=click.Choice(list(PROPOSALS)), help="Only this proposal.")
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json", "markdown"]),
        default="table",
        show_default=True,
    )
    def catalog(proposal: str | None, fmt: str) -> None:
        """Print the requirement catalog (every requirement and scenario of the proposals)."""
        requirements = load_catalog().select(proposals=[proposal] if proposal else None)
        if fill is not None:
            requirements = fill(requirements)
        if fmt == "json":
            click.echo(json.dumps([r.model_dump(mode="json") for r in requirements], indent=2))
        elif fmt == "markdown":
            click.echo(_markdown(requirements))
        else:
            click.echo(_table(requirements))

    return catalog


catalog = build_command()
