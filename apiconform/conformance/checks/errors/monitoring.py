"""ERR-MON-01 and ERR-MON-02: a crash reaches Sentry and the error webhook. The target's
start command points both at the suite's echo server, which records what arrives."""

from __future__ import annotations

import functools
import gzip
import json
from typing import Any

from apiconform.conformance import loglines
from apiconform.conformance.checks.errors.problem import crash, crash_secret
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import new_id
from apiconform.conformance.echo import EchoRequest, EchoServer
from apiconform.conformance.polling import poll
from apiconform.conformance.registry import CheckSkipped, check, expect
from apiconform.conformance.signature import verify_sha256

SEVERITIES = frozenset({"critical", "error", "fatal", "high", "alert", "emergency"})


def _echo(ctx: CheckContext) -> EchoServer:
    if ctx.echo is None:
        raise CheckSkipped("needs the suite's echo server")
    return ctx.echo


def _deliveries(echo: EchoServer, path: str, since: int) -> list[EchoRequest]:
    return echo.requests(path)[since:]


def _payload(delivery: EchoRequest) -> Any:
    try:
        return delivery.json()
    except ValueError:
        return None


@check("ERR-MON-02")
def critical_errors_send_a_webhook(ctx: CheckContext) -> None:
    """A crash POSTs its details and severity to the configured webhook (signed when a
    secret is configured)."""
    path = ctx.probe("errors.webhook_path")
    echo = _echo(ctx)
    since = len(echo.requests(path))
    correlation_id = new_id()
    crash(ctx, ctx.client(), crash_secret(), correlation_id)

    def mine(found: list[EchoRequest]) -> list[EchoRequest]:
        return [d for d in found if loglines.carries(_payload(d), correlation_id)]

    deliveries = poll(
        functools.partial(_deliveries, echo, path, since), lambda f: bool(mine(f)), ctx.log_wait
    )
    expect(
        mine(deliveries),
        "ERR-MON-02.delivered",
        f"no webhook about the crash (correlation id {correlation_id}) arrived within "
        f"{ctx.log_wait:g} s; {len(deliveries)} other delivery(ies)",
    )
    delivery = mine(deliveries)[0]
    payload = _payload(delivery)
    severity = loglines.field(payload, "severity", "level", "priority")
    expect(
        str(severity).lower() in SEVERITIES,
        "ERR-MON-02.severity",
        f"the webhook gives no severity (severity/level: {severity!r})",
    )
    expect(
        500 in loglines.values(payload) or "500" in loglines.values(payload),
        "ERR-MON-02.details",
        f"the webhook does not give the error's status: {str(payload)[:300]}",
    )
    secret = ctx.manifest.errors.webhook_secret
    if secret:
        header = delivery.headers.get("x-apiconform-signature", "")
        expect(
            verify_sha256(delivery.body, header, secret),
            "ERR-MON-02.signature",
            f"the webhook signature {header!r} does not match the body",
        )


def _decoded(body: bytes, headers: dict[str, str]) -> bytes:
    """An envelope body without its content encoding (Sentry gzips or brotli-compresses)."""
    encoding = headers.get("content-encoding", "").lower()
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli  # type: ignore[import-untyped,import-not-found,unused-ignore]

        return bytes(brotli.decompress(body))
    return body


def events(envelopes: list[EchoRequest]) -> list[dict[str, Any]]:
    """The exception events inside Sentry envelopes."""
    found = []
    for envelope in envelopes:
        for line in _decoded(envelope.body, envelope.headers).splitlines():
            if not (line.startswith(b"{") and b'"exception"' in line):
                continue
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and "exception" in item:
                found.append(item)
    return found


def _tagged(event: dict[str, Any], correlation_id: str) -> bool:
    return loglines.carries(event.get("tags") or {}, correlation_id)


@check("ERR-MON-01")
def crashes_reach_sentry(ctx: CheckContext) -> None:
    """A crash is sent to Sentry (the echo server, by DSN) as an exception event tagged
    with the request's correlation id, with breadcrumbs."""
    project = ctx.probe("errors.sentry_project")
    echo = _echo(ctx)
    path = f"/api/{project}/"
    since = len(echo.requests(path))
    correlation_id = new_id()
    crash(ctx, ctx.client(), crash_secret(), correlation_id)
    envelopes = poll(
        functools.partial(_deliveries, echo, path, since),
        lambda found: any(_tagged(e, correlation_id) for e in events(found)),
        ctx.log_wait,
    )
    found = events(envelopes)
    expect(
        found,
        "ERR-MON-01.event",
        f"no Sentry exception event arrived within {ctx.log_wait:g} s "
        f"({len(envelopes)} envelope(s))",
    )
    mine = [e for e in found if _tagged(e, correlation_id)]
    expect(
        mine,
        "ERR-MON-01.tagged",
        f"no event is tagged with the crash's correlation id {correlation_id}",
    )
    crumbs = mine[0].get("breadcrumbs") or []
    if isinstance(crumbs, dict):  # {"values": [...]} as the SDKs send it, or a bare list
        crumbs = crumbs.get("values") or []
    expect(crumbs, "ERR-MON-01.breadcrumbs", "the event has no breadcrumbs")
