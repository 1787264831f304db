"""A single-file HTML report: a matrix per proposal (counts and a bar), then every
requirement, expandable to its checks and their HTTP evidence. No scripts, no external
assets; every value from the target is escaped."""

from __future__ import annotations

import json
from html import escape

from apiconform.conformance.report.model import Report, RequirementResult, Verdict

COLOURS = {
    Verdict.PASS: "#2e7d32",
    Verdict.FAIL: "#c62828",
    Verdict.SKIP: "#9e9e9e",
    Verdict.NOT_CLAIMED: "#cfd8dc",
}

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{display:flex;height:.9rem;width:260px;border-radius:3px;overflow:hidden;background:#eee}
.bar span{display:block;height:100%}
.v{font-weight:600;text-transform:uppercase;font-size:.75rem;padding:.1rem .35rem;
border-radius:3px;color:#fff}
details{border-bottom:1px solid #eee;padding:.3rem 0}
summary{cursor:pointer}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;font-size:.8rem;max-height:30rem}
.meta{color:#555;font-size:.9rem}
"""


def _badge(verdict: Verdict) -> str:
    return f'<span class="v" style="background:{COLOURS[verdict]}">{escape(verdict.value)}</span>'


def _bar(report: Report, proposal: str) -> str:
    counts = report.counts(proposal)
    total = sum(counts.values()) or 1
    parts = "".join(
        f'<span style="width:{100 * counts[v] / total:.2f}%;background:{COLOURS[v]}" '
        f'title="{escape(v.value)}: {counts[v]}"></span>'
        for v in Verdict
        if counts[v]
    )
    return f'<div class="bar">{parts}</div>'


def _requirement(result: RequirementResult) -> str:
    req = result.requirement
    body = [
        f'<p class="meta">{escape(req.level.value)} · observed: {escape(req.observed.value)} · '
        f"{escape(req.spec)} — {escape(req.requirement)} / {escape(req.scenario)}</p>"
    ]
    if result.reason:
        body.append(f"<p>{escape(result.reason)}</p>")
    if req.decision:
        body.append(f'<p class="meta">Decision: {escape(req.decision)}</p>')
    for outcome in result.outcomes:
        body.append(
            f"<h4>{_badge(outcome.verdict)} {escape(outcome.check)} "
            f'<span class="meta">{outcome.duration_ms:g} ms</span></h4>'
        )
        if outcome.message:
            body.append(f"<p>{escape(outcome.message)}</p>")
        if outcome.evidence:
            evidence = json.dumps(outcome.evidence, indent=2, ensure_ascii=False)
            body.append(f"<pre>{escape(evidence)}</pre>")
    return (
        f'<details id="{escape(req.id)}"><summary>{_badge(result.verdict)} '
        f"<b>{escape(req.id)}</b> {escape(req.title)}</summary>{''.join(body)}</details>"
    )


def render_html(report: Report) -> str:
    status = "passed" if report.passed else f"failed: {len(report.must_failures)} MUST"
    rows = []
    for proposal in report.proposals():
        c = report.counts(proposal)
        rows.append(
            f'<tr><td><a href="#p-{escape(proposal)}">{escape(proposal)}</a></td>'
            + "".join(f'<td class="n">{c[v]}</td>' for v in Verdict)
            + f"<td>{_bar(report, proposal)}</td></tr>"
        )
    sections = []
    for proposal in report.proposals():
        items = "".join(
            _requirement(r) for r in report.results if r.requirement.proposal == proposal
        )
        sections.append(f'<h2 id="p-{escape(proposal)}">{escape(proposal)}</h2>{items}')
    not_checkable = ", ".join(f"{n} {escape(k)}" for k, n in sorted(report.not_checkable.items()))
    head = "".join(f"<th>{escape(v.value)}</th>" for v in Verdict)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>apiconform conformance report</title>"
        f"<style>{STYLE}</style></head><body>"
        "<h1>Conformance report</h1>"
        f'<p class="meta">Target {escape(report.target or "-")} ({escape(report.mode)} mode), '
        f"started {escape(report.started_at)}, {report.duration_s:g} s: "
        f"<b>{escape(status)}</b></p>"
        f"<table><tr><th>proposal</th>{head}<th></th></tr>{''.join(rows)}</table>"
        + (f'<p class="meta">Not checkable here: {not_checkable}.</p>' if not_checkable else "")
        + "".join(sections)
        + "</body></html>\n"
    )
