"""Checks of add-error-handling (``ERR-*``): problem details over HTTP, and on the target's
process its error log lines, its fallbacks and its answer when the database goes away.

The manifest's ``[errors]`` section names the probe routes (the reference demo's by
default): one trigger per exception kind, a crash, a validation target, a route that
creates a unique resource, a database probe and a route with a fallback.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
import secrets
import socket
import ssl
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from apiconform.conformance.context import CheckContext
from apiconform.conformance.echo import EchoRequest
from apiconform.conformance.polling import poll
from apiconform.conformance.registry import CheckSkipped, check, expect
from apiconform.conformance.signature import verify_sha256

PROBLEM_MEDIA_TYPE = "application/problem+json"
RECOVERY_WAIT = 15.0
RAW_TIMEOUT = 5.0
# Signs of internals that must not reach a production client.
LEAK_PATTERNS = (
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r'File "[^"]+", line \d+'),
    re.compile(r"\b\w+\.py\b"),
)


def _problem(response: httpx.Response, status: int | None = None) -> dict[str, Any]:
    """Assert ``response`` is an RFC 9457 problem (of ``status``) and return its body."""
    expect(
        status is None or response.status_code == status,
        f"{response.request.method} {response.request.url.path} answered "
        f"{response.status_code}, expected {status}",
    )
    media = response.headers.get("content-type", "").split(";")[0].strip()
    expect(
        media == PROBLEM_MEDIA_TYPE,
        f"{response.request.url.path} ({response.status_code}) is {media or 'untyped'}, "
        f"not {PROBLEM_MEDIA_TYPE}",
    )
    try:
        body = response.json()
    except ValueError:
        body = None
    expect(isinstance(body, dict), f"{response.request.url.path}: the problem is not an object")
    for member in ("type", "title", "status"):
        expect(member in body, f"{response.request.url.path}: problem without {member!r}")
    expect(
        body["status"] == response.status_code,
        f"problem status {body['status']} differs from the response's {response.status_code}",
    )
    expect(isinstance(body["type"], str) and body["type"], "problem type is not a URI")
    if "instance" in body:
        expect(
            body["instance"] == response.request.url.path,
            f"instance {body['instance']!r} is not the request path {response.request.url.path}",
        )
    return dict(body)


def _trigger(ctx: CheckContext, kind: str) -> str:
    path = ctx.manifest.errors.triggers.get(kind)
    if path is None:
        raise CheckSkipped(f"the manifest names no trigger for {kind!r}")
    return path


def _raw_oversized(ctx: CheckContext) -> int | None:
    """Declare a body one byte over the limit, send none, and read the status line: a
    target that waits for the body instead of refusing it gets no status (None)."""
    parts = urlsplit(ctx.base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    limit = ctx.manifest.errors.body_limit
    path = (parts.path.rstrip("/") or "") + ctx.manifest.errors.validation
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {limit + 1}\r\nConnection: close\r\n\r\n"
    ).encode()
    host = parts.hostname or "127.0.0.1"
    try:
        with socket.create_connection((host, port), timeout=RAW_TIMEOUT) as raw:
            sock = (
                ssl.create_default_context().wrap_socket(raw, server_hostname=host)
                if parts.scheme == "https"
                else raw
            )
            sock.sendall(request)
            head = sock.recv(4096).split(b"\r\n", 1)[0]
    except TimeoutError:
        return None
    match = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    return int(match.group(1)) if match else None


@check("ERR-PD-01")
def every_error_is_a_problem(ctx: CheckContext) -> None:
    """Every error the target and its framework produce is application/problem+json with
    type, title, status (equal to the response's) and instance (the request path)."""
    client = ctx.client()
    errors = ctx.manifest.errors
    for path in errors.triggers.values():
        _problem(client.get(path))
    _problem(client.get(f"/apiconform-no-such-route-{secrets.token_hex(4)}"), 404)
    _problem(client.get(errors.validation), 405)  # the validation route takes POST only
    _problem(
        client.post(
            errors.validation, content=b'{"broken": ', headers={"content-type": "application/json"}
        ),
        400,
    )
    _problem(
        client.post(errors.validation, content=b"a=1", headers={"content-type": "text/plain"}),
        415,
    )
    _problem(client.post(errors.validation, json=errors.invalid_body), 422)
    status = _raw_oversized(ctx)
    expect(
        status is not None,
        f"no answer within {RAW_TIMEOUT:g} s to a declared body over {errors.body_limit} bytes "
        "(the target waits for it instead of refusing it)",
    )
    expect(status == 413, f"a body over {errors.body_limit} bytes was answered {status}")


@check("ERR-PD-02")
def problems_carry_correlation_and_timestamp(ctx: CheckContext) -> None:
    """Problems add correlationId and an ISO 8601 timestamp beside the standard members."""
    body = _problem(ctx.client().get(_trigger(ctx, "not-found")), 404)
    expect(isinstance(body.get("correlationId"), str), "no correlationId extension")
    stamp = body.get("timestamp")
    expect(isinstance(stamp, str), "no timestamp extension")
    try:
        datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        expect(False, f"timestamp {stamp!r} is not ISO 8601")


@check("ERR-EXC-01")
def missing_resources_are_404(ctx: CheckContext) -> None:
    """A handler's NotFound and an unknown route are both 404 problems."""
    client = ctx.client()
    body = _problem(client.get(_trigger(ctx, "not-found")), 404)
    expect(body.get("title"), "the 404 problem has no title")
    _problem(client.get(f"/apiconform-missing-{secrets.token_hex(4)}"), 404)


@check("ERR-EXC-02")
def bad_requests_are_400_saying_why(ctx: CheckContext) -> None:
    """A handler's BadRequest and a malformed JSON body are 400 problems with a detail."""
    client = ctx.client()
    body = _problem(client.get(_trigger(ctx, "bad-request")), 400)
    expect(body.get("detail"), "the 400 problem does not say what is wrong")
    malformed = client.post(
        ctx.manifest.errors.validation,
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    expect(_problem(malformed, 400).get("detail"), "malformed JSON: no detail")


@check("ERR-EXC-03", "ERR-VAL-01")
def validation_failures_list_every_field(ctx: CheckContext) -> None:
    """Invalid input is 422 with one error per failed field, nested fields dotted."""
    errors = ctx.manifest.errors
    body = _problem(ctx.client().post(errors.validation, json=errors.invalid_body), 422)
    items = body.get("errors")
    expect(isinstance(items, list) and items, "the 422 problem has no errors list")
    assert isinstance(items, list)
    fields = set()
    for item in items:
        expect(isinstance(item, dict) and isinstance(item.get("field"), str), f"bad item {item}")
        expect(
            item.get("message") or item.get("constraints"),
            f"error item for {item.get('field')!r} has neither message nor constraints",
        )
        fields.add(item["field"])
    missing = sorted(set(errors.invalid_fields) - fields)
    expect(not missing, f"failed fields missing from the errors list: {missing}")


@check("ERR-FILTER-01")
def unhandled_exceptions_become_500_problems(ctx: CheckContext) -> None:
    """An unhandled exception is answered as a 500 problem, not a page or a dropped
    connection."""
    _problem(ctx.client().get(ctx.manifest.errors.crash), 500)


@check("ERR-CORR-01")
def correlation_id_is_returned(ctx: CheckContext) -> None:
    """The caller's correlation id comes back in the header and the problem; without one
    (or with a malformed one) the target makes one up and returns it the same way."""
    client = ctx.client()
    path = _trigger(ctx, "not-found")
    sent = f"apiconform-{secrets.token_hex(6)}"
    response = client.get(path, headers={"X-Correlation-ID": sent})
    body = _problem(response, 404)
    expect(response.headers.get("x-correlation-id") == sent, "the sent id is not echoed")
    expect(body.get("correlationId") == sent, "the problem does not carry the sent id")
    for headers in ({}, {"X-Correlation-ID": "not valid!"}):
        response = client.get(path, headers=headers)
        body = _problem(response, 404)
        made = response.headers.get("x-correlation-id")
        expect(made and made != "not valid!", f"no usable correlation id returned ({made!r})")
        expect(body.get("correlationId") == made, "header and problem ids differ")


@check("ERR-CTX-03")
def production_problems_hide_internals(ctx: CheckContext) -> None:
    """In production a crash's problem has no stack, no exception and nothing of its
    message, class, files or SQL."""
    errors = ctx.manifest.errors
    if errors.environment != "production":
        raise CheckSkipped("the manifest declares a development target")
    response = ctx.client().get(errors.crash)
    body = _problem(response, 500)
    for member in ("stack", "exception", "trace", "stackTrace"):
        expect(member not in body, f"production problem has a {member!r} member")
    text = response.text
    for secret in errors.crash_secrets:
        expect(secret not in text, f"the crash's internals leak: {secret!r} is in the response")
    for pattern in LEAK_PATTERNS:
        expect(not pattern.search(text), f"the response looks like it holds a stack: {pattern}")


@check("ERR-CTX-02")
def development_problems_carry_the_stack(ctx: CheckContext) -> None:
    """In development a crash's problem carries the stack trace and the full error."""
    errors = ctx.manifest.errors
    if errors.development_url is None and errors.environment != "development":
        raise CheckSkipped("the manifest names no development target")
    client = ctx.client(errors.development_url) if errors.development_url else ctx.client()
    body = _problem(client.get(errors.crash), 500)
    stack = body.get("stack")
    expect(stack, "the development problem has no stack member")
    text = json.dumps(stack)
    expect("line" in text or ".py" in text or "at " in text, f"stack has no frames: {text[:200]}")
    expect(body.get("exception") or body.get("detail"), "no error details in development")


FORBIDDEN_DB_WORDS = ("INSERT", "UNIQUE constraint", "duplicate key", "IntegrityError", "sqlite3")


@check("ERR-XFORM-01")
def unique_violation_is_a_409(ctx: CheckContext) -> None:
    """Creating the same unique resource twice gives 409 in plain words, no database text."""
    errors = ctx.manifest.errors
    unique = f"conformance-{secrets.token_hex(6)}"
    body = json.loads(json.dumps(errors.create_body).replace("{unique}", unique))
    client = ctx.client()
    first = client.post(errors.create, json=body)
    expect(first.is_success, f"creating the resource answered {first.status_code}")
    second = client.post(errors.create, json=body)
    _problem(second, 409)
    for word in FORBIDDEN_DB_WORDS:
        expect(word.lower() not in second.text.lower(), f"database text in the 409: {word!r}")


def _deliveries(ctx: CheckContext, path: str, since: int) -> list[EchoRequest]:
    assert ctx.echo is not None
    return ctx.echo.requests(path)[since:]


def _webhook_for(deliveries: list[EchoRequest], correlation_id: str) -> EchoRequest | None:
    """The delivery about the request with ``correlation_id`` (an earlier crash's webhook
    may arrive late, after this check began)."""
    for delivery in deliveries:
        try:
            payload = delivery.json()
        except ValueError:
            continue
        if isinstance(payload, dict) and payload.get("correlation_id") == correlation_id:
            return delivery
    return None


@check("ERR-MON-02")
def critical_errors_send_a_webhook(ctx: CheckContext) -> None:
    """A crash POSTs its details, severity and correlation id to the configured webhook,
    signed when a secret is configured."""
    errors = ctx.manifest.errors
    if errors.webhook_path is None or ctx.echo is None:
        raise CheckSkipped("the manifest configures no webhook to the echo server")
    since = len(ctx.echo.requests(errors.webhook_path))
    correlation_id = f"apiconform-{secrets.token_hex(6)}"
    ctx.client().get(errors.crash, headers={"X-Correlation-ID": correlation_id})
    deliveries = poll(
        functools.partial(_deliveries, ctx, errors.webhook_path, since),
        lambda found: _webhook_for(found, correlation_id) is not None,
    )
    expect(deliveries, "no webhook arrived within 5 s of a crash")
    delivery = _webhook_for(deliveries, correlation_id)
    expect(delivery is not None, "no webhook carries the crash's correlation id")
    assert delivery is not None
    payload = delivery.json()
    expect(payload.get("severity") in ("critical", "error"), "the webhook has no severity")
    expect(payload.get("status") == 500, "the webhook does not give the status")
    if errors.webhook_secret:
        header = delivery.headers.get("x-apiconform-signature", "")
        expect(
            verify_sha256(delivery.body, header, errors.webhook_secret),
            f"the webhook signature {header!r} does not match the body",
        )


@check("ERR-MON-01")
def crashes_reach_sentry(ctx: CheckContext) -> None:
    """A crash is sent to Sentry (the echo server, by DSN) with tags and a breadcrumb."""
    errors = ctx.manifest.errors
    if errors.sentry_project is None or ctx.echo is None:
        raise CheckSkipped("the manifest points no Sentry DSN at the echo server")
    path = f"/api/{errors.sentry_project}/"
    since = len(ctx.echo.requests(path))
    correlation_id = f"apiconform-{secrets.token_hex(6)}"
    ctx.client().get(errors.crash, headers={"X-Correlation-ID": correlation_id})
    envelopes = poll(
        functools.partial(_deliveries, ctx, path, since),
        lambda found: any(_tagged(e, correlation_id) for e in _events(found)),
    )
    expect(envelopes, "no Sentry envelope arrived within 5 s of a crash")
    events = _events(envelopes)
    expect(events, "the envelopes hold no exception event")
    mine = [e for e in events if _tagged(e, correlation_id)]
    expect(mine, f"no event is tagged with the crash's correlation id {correlation_id}")
    event = mine[0]
    crumbs = (event.get("breadcrumbs") or {}).get("values") or []
    expect(crumbs, "the event has no breadcrumbs")


def _events(envelopes: list[EchoRequest]) -> list[dict[str, Any]]:
    """The exception events inside Sentry envelopes."""
    return [
        item
        for envelope in envelopes
        for line in _decoded(envelope.body, envelope.headers).splitlines()
        if line.startswith(b"{") and b'"exception"' in line
        for item in [json.loads(line)]
        if isinstance(item, dict) and "exception" in item
    ]


def _tagged(event: dict[str, Any], correlation_id: str) -> bool:
    return (event.get("tags") or {}).get("correlation_id") == correlation_id


def _decoded(body: bytes, headers: dict[str, str]) -> bytes:
    """An envelope body without its content encoding (Sentry gzips or brotli-compresses)."""
    encoding = headers.get("content-encoding", "").lower()
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli  # type: ignore[import-untyped,import-not-found,unused-ignore]

        return bytes(brotli.decompress(body))
    return body


def _error_lines(ctx: CheckContext, since: int, correlation_id: str) -> list[dict[str, Any]]:
    return [
        line
        for line in ctx.process().output.json_lines(since)
        if line.get("correlation_id") == correlation_id
        and str(line.get("level", "")).lower() == "error"
    ]


def _crash_log(ctx: CheckContext) -> tuple[dict[str, Any], str]:
    """The error log line of a crash made with a fresh correlation id."""
    since = ctx.process().output.mark()
    correlation_id = f"apiconform-{secrets.token_hex(6)}"
    ctx.client().get(ctx.manifest.errors.crash, headers={"X-Correlation-ID": correlation_id})
    lines = poll(functools.partial(_error_lines, ctx, since, correlation_id), bool)
    expect(lines, f"no error-level JSON log line carries correlation id {correlation_id}")
    return lines[0], correlation_id


@check("ERR-CORR-02")
def error_log_carries_the_correlation_id(ctx: CheckContext) -> None:
    """The error line of a failed request carries the id the response returned."""
    _crash_log(ctx)


@check("ERR-LOG-01")
def server_errors_are_logged_with_the_stack(ctx: CheckContext) -> None:
    """A caught 5xx is logged at error level with its message and stack."""
    line, _ = _crash_log(ctx)
    expect(line.get("message"), "the error line has no message")
    stack = line.get("exception") or line.get("stack") or line.get("exc_info")
    expect(stack, f"the error line has no stack: keys {sorted(line)}")


@check("ERR-CTX-01")
def error_log_records_the_request(ctx: CheckContext) -> None:
    """The error line records method, path, client IP and time (and the user when one is
    signed in)."""
    line, _ = _crash_log(ctx)
    expect(line.get("method") == "GET", f"method {line.get('method')!r}")
    expect(line.get("path") == ctx.manifest.errors.crash, f"path {line.get('path')!r}")
    expect(line.get("client_ip"), "no client_ip")
    expect(line.get("timestamp"), "no timestamp")


@check("ERR-DEGR-01")
def fallback_answers_while_a_dependency_is_down(ctx: CheckContext) -> None:
    """With its dependency down, a route with a fallback answers its last good body with
    X-Degraded-Mode: true, and the target logs the degraded mode."""
    errors = ctx.manifest.errors
    if errors.degraded is None or errors.dependency is None:
        raise CheckSkipped("the manifest names no fallback route or dependency switch")
    output = ctx.process().output
    client = ctx.client()
    expect(client.put(errors.dependency, json={"up": True}).is_success, "cannot raise dependency")
    good = client.get(errors.degraded)
    expect(good.status_code == 200, f"fallback route answered {good.status_code} while up")
    expect("x-degraded-mode" not in good.headers, "X-Degraded-Mode while the dependency is up")
    since = output.mark()
    try:
        expect(client.put(errors.dependency, json={"up": False}).is_success, "cannot drop it")
        degraded = client.get(errors.degraded)
    finally:
        client.put(errors.dependency, json={"up": True})
    expect(degraded.status_code == 200, f"degraded route answered {degraded.status_code}")
    expect(degraded.headers.get("x-degraded-mode") == "true", "no X-Degraded-Mode: true")
    expect(degraded.json() == good.json(), "the fallback is not the last good answer")

    def warnings_about_degraded_mode() -> list[dict[str, Any]]:
        return [
            line
            for line in output.json_lines(since)
            if str(line.get("level", "")).lower() in ("warning", "warn")
            and "degraded" in str(line.get("message", "")).lower()
        ]

    expect(poll(warnings_about_degraded_mode, bool), "no warning reports the degraded mode")


def _with_database_cut(ctx: CheckContext) -> httpx.Response:
    """The database probe's answer while the database is cut off; afterwards the target must
    serve again within a bound."""
    path = ctx.manifest.errors.database
    proxy = ctx.database_proxy
    if path is None:
        raise CheckSkipped("the manifest names no database probe")
    if proxy is None:
        raise CheckSkipped("needs a networked database the suite can cut (set DATABASE_URL)")
    client = ctx.client()
    expect(client.get(path).status_code == 200, "the database probe fails before the cut")
    proxy.cut()
    try:
        down = client.get(path)
    finally:
        proxy.restore()
    back = poll(lambda: client.get(path).status_code, lambda status: status == 200, RECOVERY_WAIT)
    expect(back == 200, "no recovery within 15 s after the database came back")
    return down


@check("ERR-XFORM-02")
def lost_database_is_503(ctx: CheckContext) -> None:
    """With its database unreachable the target answers 503, and serves again once the
    database is back."""
    _problem(_with_database_cut(ctx), 503)


@check("ERR-XFORM-03")
def lost_database_503_says_when_to_retry(ctx: CheckContext) -> None:
    """That 503 carries Retry-After in seconds."""
    retry_after = _with_database_cut(ctx).headers.get("retry-after", "")
    expect(retry_after.isdigit(), f"the 503 has no Retry-After in seconds ({retry_after!r})")
