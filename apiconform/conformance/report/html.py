"""A single-file HTML report. Failures come first with their reasons on the page (MUST
failures apart from SHOULD/MAY advisories), then a matrix per proposal and every
requirement, expandable to its checks and their HTTP evidence: headers as tables, bodies
pretty-printed. No scripts, no external assets; every value from the target is escaped."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from apiconform.conformance.report.model import Report, RequirementResult, Verdict

COLOURS = {
    Verdict.PASS: "#2e7d32",
    Verdict.FAIL: "#c62828",
    Verdict.ERROR: "#6a1b9a",
    Verdict.SKIP: "#9e9e9e",
    Verdict.NOT_CLAIMED: "#cfd8dc",
}
ADVISORY = "#ef6c00"
# the order requirements are listed in: what needs attention first
ORDER = {
    Verdict.FAIL: 0,
    Verdict.ERROR: 1,
    Verdict.SKIP: 2,
    Verdict.PASS: 3,
    Verdict.NOT_CLAIMED: 4,
}

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1150px}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{display:flex;height:.9rem;width:260px;border-radius:3px;overflow:hidden;background:#eee}
.bar span{display:block;height:100%}
.v{font-weight:600;text-transform:uppercase;font-size:.72rem;padding:.1rem .35rem;
border-radius:3px;color:#fff;white-space:nowrap}
.lvl{font-size:.72rem;border:1px solid #999;border-radius:3px;padding:0 .3rem;color:#444}
details{border-bottom:1px solid #eee;padding:.3rem 0}
summary{cursor:pointer}
.why{color:#333;margin:.2rem 0 .2rem 1.5rem;font-size:.9rem}
.must{border-left:4px solid #c62828;padding:.4rem .6rem;margin:.4rem 0;background:#fdecea}
.advisory{border-left:4px solid #ef6c00;padding:.4rem .6rem;margin:.4rem 0;background:#fff3e0}
.error{border-left:4px solid #6a1b9a;padding:.4rem .6rem;margin:.4rem 0;background:#f3e5f5}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;font-size:.8rem;max-height:24rem;margin:.2rem 0}
.ex{border:1px solid #e0e0e0;border-radius:4px;padding:.4rem .6rem;margin:.4rem 0}
.ex table{font-size:.8rem}
caption{text-align:left;caption-side:top}
.meta{color:#555;font-size:.9rem}
code{font-size:.85rem}
"""


def _badge(result: RequirementResult) -> str:
    if result.advisory:
        return f'<span class="v" style="background:{ADVISORY}">advisory</span>'
    return _verdict_badge(result.verdict)


def _verdict_badge(verdict: Verdict) -> str:
    return f'<span class="v" style="background:{COLOURS[verdict]}">{escape(verdict.value)}</span>'


def _level(result: RequirementResult) -> str:
    return f'<span class="lvl">{escape(result.requirement.level.value)}</span>'


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


def _pretty(body: str) -> str:
    """A body as text, JSON indented when it parses."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def _headers(headers: dict[str, Any], caption: str) -> str:
    if not headers:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(str(k))}</code></td><td><code>{escape(str(v))}</code></td></tr>"
        for k, v in headers.items()
    )
    return f'<table><caption class="meta">{caption}</caption>{rows}</table>'


def _exchange(exchange: dict[str, Any]) -> str:
    request, response = exchange["request"], exchange["response"]
    outcome = response.get("error") or response.get("status")
    parts = [
        f"<div><b>{escape(str(request['method']))}</b> <code>{escape(str(request['url']))}</code>"
        f" &rarr; <b>{escape(str(outcome))}</b>"
        f' <span class="meta">{escape(str(response.get("elapsed_ms", "")))} ms</span></div>',
        _headers(request.get("headers") or {}, "request headers"),
    ]
    if request.get("body"):
        parts.append(f"<pre>{escape(_pretty(str(request['body'])))}</pre>")
    parts.append(_headers(response.get("headers") or {}, "response headers"))
    if response.get("body"):
        parts.append(f"<pre>{escape(_pretty(str(response['body'])))}</pre>")
    return f'<div class="ex">{"".join(parts)}</div>'


def _requirement(result: RequirementResult) -> str:
    req = result.requirement
    body = [
        f'<p class="meta">{escape(req.level.value)} · observed: {escape(req.observed.value)} · '
        f"{escape(req.spec)} — {escape(req.requirement)} / {escape(req.scenario)}</p>"
    ]
    if req.decision:
        body.append(f'<p class="meta">Decision: {escape(req.decision)}</p>')
    for outcome in result.outcomes:
        assertion = f" <code>{escape(outcome.assertion)}</code>" if outcome.assertion else ""
        body.append(
            f"<h4>{_verdict_badge(outcome.verdict)} {escape(outcome.check)}{assertion} "
            f'<span class="meta">{outcome.duration_ms:g} ms</span></h4>'
        )
        if outcome.message:
            body.append(f"<p>{escape(outcome.message)}</p>")
        body += [_exchange(e) for e in outcome.evidence]
    why = f'<div class="why">{escape(result.reason)}</div>' if result.reason else ""
    return (
        f'<details id="{escape(req.id)}"><summary>{_badge(result)} {_level(result)} '
        f"<b>{escape(req.id)}</b> {escape(req.title)}</summary>{why}{''.join(body)}</details>"
    )


def _callout(kind: str, title: str, results: list[RequirementResult]) -> str:
    if not results:
        return ""
    items = "".join(
        f'<div class="{kind}">{_level(r)} <a href="#{escape(r.id)}"><b>{escape(r.id)}</b></a> '
        f"{escape(r.requirement.title)}<br>{escape(r.reason)}"
        + (f" <code>{escape(r.assertion)}</code>" if r.assertion else "")
        + "</div>"
        for r in results
    )
    return f"<h2>{escape(title)} ({len(results)})</h2>{items}"


def render_html(report: Report) -> str:
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
        mine = [r for r in report.results if r.requirement.proposal == proposal]
        mine.sort(key=lambda r: (ORDER[r.verdict] + (0.5 if r.advisory else 0), r.id))
        items = "".join(_requirement(r) for r in mine)
        sections.append(f'<h2 id="p-{escape(proposal)}">{escape(proposal)}</h2>{items}')
    not_checkable = ", ".join(f"{n} {escape(k)}" for k, n in sorted(report.not_checkable.items()))
    head = "".join(f"<th>{escape(v.value)}</th>" for v in Verdict)
    target = report.command or report.target or "-"
    strict = " (--strict)" if report.strict else ""
    manifest = (
        "<details><summary>Manifest (credentials hidden)</summary>"
        f"<pre>{escape(json.dumps(report.manifest, indent=2, ensure_ascii=False))}</pre></details>"
        if report.manifest
        else ""
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>apiconform conformance report</title>"
        f"<style>{STYLE}</style></head><body>"
        "<h1>Conformance report</h1>"
        f'<p class="meta">Target <code>{escape(target)}</code> ({escape(report.mode)} mode), '
        f"started {escape(report.started_at)}, {report.duration_s:g} s</p>"
        f"<p><b>Conformance {escape(report.status_line())}</b>{strict}: "
        f"{escape(report.coverage_line)}.</p>"
        + _callout("must", "MUST failures", report.must_failures)
        + _callout("advisory", "SHOULD/MAY advisories", report.advisories)
        + _callout("error", "Checks that broke (not the target's failure)", report.errors)
        + (
            _callout("must", "MUST requirements not verified", report.unverified_musts)
            if report.strict
            else ""
        )
        + f"<h2>Summary</h2><table><tr><th>proposal</th>{head}<th></th></tr>{''.join(rows)}</table>"
        + (f'<p class="meta">Not checkable here: {not_checkable}.</p>' if not_checkable else "")
        + manifest
        + "".join(sections)
        + "</body></html>\n"
    )
