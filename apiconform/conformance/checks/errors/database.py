"""ERR-XFORM-01..03 and ERR-RECOV-01: database errors as clients and logs see them. The
outage checks cut the target's database through the suite's fault proxy."""

from __future__ import annotations

import itertools
import json

import httpx

from apiconform.conformance import loglines
from apiconform.conformance.checks.errors.problem import retry_after_ok
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import json_body, new_id, tagged
from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.patterns import holds_stack, leaks
from apiconform.conformance.polling import poll
from apiconform.conformance.proxy import FaultProxy
from apiconform.conformance.registry import CheckSkipped, check, expect

RECOVERY_WAIT = 15.0
# Driver and ORM wording that gives the database away, across stacks.
DATABASE_WORDS = (
    "UNIQUE constraint",
    "duplicate key",
    "violates unique constraint",
    "IntegrityError",
    "SQLSTATE",
    "ER_DUP_ENTRY",
    "E11000",
    "UniqueConstraint",
    "sqlite3",
    "psycopg",
    "asyncpg",
)


@check("ERR-XFORM-01")
def unique_violation_is_a_409(ctx: CheckContext) -> None:
    """Creating the same unique resource twice gives 409 with a message for the user and
    no database text."""
    path = ctx.probe("errors.create")
    unique = new_id("unique")
    body = json.loads(json.dumps(ctx.manifest.errors.create_body).replace("{unique}", unique))
    client = ctx.client()
    first = client.post(path, json=body)
    if not first.is_success:
        raise CheckSkipped(f"cannot create the resource: POST {path} answered {first.status_code}")
    second = client.post(path, json=body)
    expect(
        second.status_code == 409,
        "ERR-XFORM-01.status",
        f"creating the same resource again answered {second.status_code}, not 409",
    )
    text = second.text
    found = [w for w in DATABASE_WORDS if w.lower() in text.lower()] + leaks(text)
    if holds_stack(json_body(second) or text):
        found.append("a stack trace")
    expect(not found, "ERR-XFORM-01.no-database-text", f"the 409 shows {found}: {text[:300]!r}")
    parsed = json_body(second)
    message = (
        next((parsed[k] for k in ("detail", "message", "title") if parsed.get(k)), "")
        if isinstance(parsed, dict)
        else text
    )
    expect(
        isinstance(message, str) and message.strip(),
        "ERR-XFORM-01.message",
        "the 409 carries no message for the user",
    )


def _proxy(ctx: CheckContext) -> FaultProxy:
    if ctx.database_proxy is None:
        raise CheckSkipped("needs a networked database the suite can cut (set DATABASE_URL)")
    return ctx.database_proxy


def _await_recovery(client: TargetClient, path: str) -> None:
    """Let the target reconnect before the next check (not asserted: no THEN clause)."""
    poll(lambda: _status(client, path), lambda status: status == 200, RECOVERY_WAIT)


def _status(client: TargetClient, path: str) -> int:
    try:
        return client.get(path).status_code
    except httpx.TransportError:
        return 0


def with_database_cut(ctx: CheckContext) -> httpx.Response:
    """The database probe's answer while the database is cut off."""
    path = ctx.probe("errors.database")
    proxy = _proxy(ctx)
    client = ctx.client()
    before = client.get(path)
    if before.status_code != 200:
        raise CheckSkipped(
            f"the database probe {path} answered {before.status_code} before the cut"
        )
    proxy.cut()
    try:
        down = client.get(path)
    finally:
        proxy.restore()
    _await_recovery(client, path)
    return down


@check("ERR-XFORM-02")
def lost_database_is_503(ctx: CheckContext) -> None:
    """With its database unreachable the target answers 503."""
    down = with_database_cut(ctx)
    expect(
        down.status_code == 503,
        "ERR-XFORM-02.status",
        f"with the database cut off the probe answered {down.status_code}, not 503",
    )


@check("ERR-XFORM-03")
def lost_database_503_says_when_to_retry(ctx: CheckContext) -> None:
    """That 503 suggests a retry with Retry-After (seconds or an HTTP date)."""
    down = with_database_cut(ctx)
    if down.status_code != 503:
        raise CheckSkipped(f"the outage was answered {down.status_code}, not 503 (ERR-XFORM-02)")
    value = down.headers.get("retry-after", "")
    expect(
        retry_after_ok(value),
        "ERR-XFORM-03.retry-after",
        f"the 503 has no Retry-After in seconds or as a date ({value!r})",
    )


def _retry_lines(timed: list[tuple[float, loglines.Line]], correlation_id: str) -> list[float]:
    """When each line that reports a retry of the request was written: the line's own
    time when every such line has one (the target's clock), else when the suite read it."""
    lines = [
        (at, line)
        for at, line in timed
        if loglines.carries(line, correlation_id) and "retr" in str(loglines.message(line)).lower()
    ]
    stamps = [loglines.timestamp(line) for _, line in lines]
    if lines and all(stamps):
        return [stamp.timestamp() for stamp in stamps if stamp is not None]
    return [at for at, _ in lines]


def backoff_grows(times: list[float], tolerance: float = 0.03) -> bool:
    """Whether the gaps between attempts never shrink and, over three gaps or more, the
    last is at least 1.5 times the first (exponential, whatever the jitter)."""
    gaps = [b - a for a, b in itertools.pairwise(times)]
    steady = all(later >= earlier - tolerance for earlier, later in itertools.pairwise(gaps))
    return steady and (len(gaps) < 3 or gaps[-1] >= 1.5 * gaps[0])


@check("ERR-RECOV-01")
def transient_database_errors_are_retried(ctx: CheckContext) -> None:
    """With its database cut off, a retried operation is attempted up to the configured
    maximum, with growing pauses, and every retry is logged."""
    path = ctx.probe("errors.retry")
    proxy = _proxy(ctx)
    output = ctx.process().output
    client = ctx.client()
    before = client.get(path)
    if before.status_code != 200:
        raise CheckSkipped(f"the retry probe {path} answered {before.status_code} before the cut")
    correlation_id = new_id()
    since = output.mark()
    proxy.cut()
    try:
        client.get(path, headers=tagged(correlation_id))
    finally:
        proxy.restore()
    maximum = ctx.manifest.errors.retry_attempts
    times = poll(
        lambda: _retry_lines(output.timed_json_lines(since), correlation_id),
        lambda found: len(found) >= maximum - 1,
        ctx.log_wait,
    )
    _await_recovery(client, path)
    expect(
        times,
        "ERR-RECOV-01.logged",
        f"no log line of the request (correlation id {correlation_id}) reports a retry",
    )
    expect(
        maximum - 1 <= len(times) <= maximum,
        "ERR-RECOV-01.up-to-maximum",
        f"{len(times)} retries logged; the configured maximum is {maximum} attempts",
    )
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(times)]
    expect(
        backoff_grows(times),
        "ERR-RECOV-01.backoff",
        f"the pauses between retries do not grow exponentially: {gaps} s",
    )
