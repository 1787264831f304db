"""``apiconform catalog``: print the requirement catalog."""

from __future__ import annotations

import json

import click

from apiconform.spec.catalog import PROPOSALS, Requirement, load_catalog


def _table(requirements: list[Requirement]) -> str:
    rows = [("id", "level", "observed", "title")]
    rows += [(r.id, r.level.value, r.observed.value, r.title) for r in requirements]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}" for a, b, c, d in rows
    )


def _markdown(requirements: list[Requirement]) -> str:
    lines = []
    for proposal in dict.fromkeys(r.proposal for r in requirements):
        lines += [f"## {proposal}", "", "| id | level | observed | title | spec scenario |"]
        lines.append("|---|---|---|---|---|")
        for r in requirements:
            if r.proposal == proposal:
                note = r.reason or r.decision or ""
                title = r.title + (f" — {note}" if note else "")
                lines.append(
                    f"| {r.id} | {r.level.value} | {r.observed.value} | "
                    f"{title.replace('|', '/')} | {r.requirement} / {r.scenario} |"
                )
        lines.append("")
    return "\n".join(lines)


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
    if fmt == "json":
        click.echo(json.dumps([r.model_dump(mode="json") for r in requirements], indent=2))
    elif fmt == "markdown":
        click.echo(_markdown(requirements))
    else:
        click.echo(_table(requirements))
