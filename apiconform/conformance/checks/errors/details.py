"""ERR-PD-01 and ERR-PD-02: every error is an RFC 9457 problem, and its extension members
are well formed."""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from apiconform.conformance.checks.errors.problem import (
    not_found_stimulus,
    problem,
    unknown_path,
)
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import from_headers, new_id, tagged
from apiconform.conformance.evidence import Exchange
from apiconform.conformance.manifest import ERROR_KINDS
from apiconform.conformance.registry import check, expect

# how long a declared oversized body may go unanswered before the target is taken to
# wait for it (allowed: the spec does not ask for an early 413)
EARLY_ANSWER = 2.0


def _read_answer(sock: socket.socket) -> bytes:
    data = b""
    try:
        while b"\r\n\r\n" not in data or not _complete(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (TimeoutError, OSError):
        pass
    return data


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(body) >= int(value.strip())
    return False


def oversized_answer(ctx: CheckContext, path: str) -> httpx.Response | None:
    """Declare a body one byte over the limit, send none, and read what comes back within
    :data:`EARLY_ANSWER` seconds; None when the target waits for the body."""
    parts = urlsplit(ctx.base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    limit = ctx.manifest.errors.body_limit
    full_path = (parts.path.rstrip("/") or "") + path
    head = (
        f"POST {full_path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {limit + 1}\r\nConnection: close\r\n\r\n"
    )
    host = parts.hostname or "127.0.0.1"
    exchange = Exchange("POST", f"{ctx.base_url}{path}", {"content-length": str(limit + 1)}, "")
    ctx.recorder.exchanges.append(exchange)
    with socket.create_connection((host, port), timeout=ctx.timeout) as raw:
        sock = (
            ssl.create_default_context().wrap_socket(raw, server_hostname=host)
            if parts.scheme == "https"
            else raw
        )
        sock.settimeout(EARLY_ANSWER)
        sock.sendall(head.encode())
        data = _read_answer(sock)
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    status_line = lines[0].split(" ", 2)
    if len(status_line) < 2 or not status_line[1].isdigit():
        exchange.error = "no answer before the body was sent"
        return None
    headers = [
        (name.strip(), value.strip())
        for name, _, value in (line.partition(":") for line in lines[1:] if ":" in line)
    ]
    request = httpx.Request("POST", exchange.url)
    response = httpx.Response(int(status_line[1]), headers=headers, content=body, request=request)
    exchange.status = response.status_code
    exchange.response_headers = dict(response.headers)
    exchange.response_body = body[:2000].decode("utf-8", errors="replace")
    return response


@check("ERR-PD-01")
def every_error_is_a_problem(ctx: CheckContext) -> None:
    """Every error the target and its framework answer is application/problem+json with
    type, title, status (the response's), detail and instance; each trigger answers its
    exception's status."""
    client = ctx.client()
    errors = ctx.manifest.errors
    triggers = errors.triggers or {}
    for kind, path in triggers.items():
        if path is False:
            continue
        response = client.get(path)
        expected = ERROR_KINDS[kind]
        expect(
            response.status_code == expected,
            "ERR-PD-01.trigger-status",
            f"the {kind} trigger {path} answered {response.status_code}, expected {expected}",
        )
        problem(response)
    # errors the framework answers; a stimulus the target serves (2xx) is not judged
    stimuli = [client.get(unknown_path())]
    if ctx.has("errors.validation"):
        route = ctx.probe("errors.validation")
        json = {"content-type": "application/json"}
        stimuli += [
            client.get(route),  # the probe reads POST only
            client.post(route, content=b'{"broken": ', headers=json),
            client.post(route, content=b"a=1", headers={"content-type": "text/plain"}),
            client.post(route, json=errors.invalid_body),
        ]
        early = oversized_answer(ctx, route)
        if early is not None:
            stimuli.append(early)
    for response in stimuli:
        if response.status_code >= 400:
            problem(response)


def _iso_near_now(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return abs((datetime.now(UTC) - stamp).total_seconds()) < 86_400


@check("ERR-PD-02")
def problem_extensions_are_well_formed(ctx: CheckContext) -> None:
    """Extension members sit at the top level of the problem; a correlationId is the
    request's id and a timestamp is an ISO 8601 time (both may be left out)."""
    sent = new_id()
    response = not_found_stimulus(ctx, ctx.client(), headers=tagged(sent))
    body = problem(response)
    nested = body.get("extensions")
    expect(
        not isinstance(nested, dict),
        "ERR-PD-02.top-level",
        "extension members are nested under 'extensions'; RFC 9457 puts them at the top level",
    )
    if "correlationId" in body:
        ids = {sent, *from_headers(response)}
        expect(
            body["correlationId"] in ids,
            "ERR-PD-02.correlation-id",
            f"correlationId {body['correlationId']!r} is neither the id sent nor the one "
            f"returned in the header ({sorted(ids)})",
        )
    if "timestamp" in body:
        expect(
            _iso_near_now(body["timestamp"]),
            "ERR-PD-02.timestamp",
            f"timestamp {body['timestamp']!r} is not an ISO 8601 time of this day",
        )
