"""The helpers the checks share, on crafted answers: every assertion of the problem shape,
field paths, Retry-After, backoff, a declared oversized body."""

from __future__ import annotations

import itertools
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from apiconform.conformance.checks.errors.database import backoff_grows
from apiconform.conformance.checks.errors.details import _iso_near_now, oversized_answer
from apiconform.conformance.checks.errors.exceptions import _says_why, dotted
from apiconform.conformance.checks.errors.problem import problem, retry_after_ok
from apiconform.conformance.checks.observability.database import _response_time_ms
from apiconform.conformance.context import CheckContext
from apiconform.conformance.echo import EchoServer
from apiconform.conformance.manifest import default_manifest
from apiconform.conformance.registry import CheckFailed, expect, fail

GOOD = {
    "type": "about:blank",
    "title": "Not Found",
    "status": 404,
    "detail": "no",
    "instance": "/x",
}


def answer(body: Any, status: int = 404, media: str = "application/problem+json") -> httpx.Response:
    request = httpx.Request("GET", "http://t/x")
    return httpx.Response(status, json=body, headers={"content-type": media}, request=request)


def test_a_good_problem_passes_with_extra_members() -> None:
    assert problem(answer({**GOOD, "code": 7}), 404)["code"] == 7
    for instance in ("http://t/x", "GET /x"):
        problem(answer({**GOOD, "instance": instance}))


@pytest.mark.parametrize(
    ("response", "assertion"),
    [
        (answer(GOOD, 500), "problem.status-code"),
        (answer(GOOD, media="application/json"), "problem.media-type"),
        (answer([GOOD]), "problem.object"),
        (answer({k: v for k, v in GOOD.items() if k != "detail"}), "problem.members"),
        (answer({**GOOD, "type": ""}), "problem.type"),
        (answer({**GOOD, "title": None}), "problem.title"),
        (answer({**GOOD, "status": "404"}), "problem.status-member"),
        (answer({**GOOD, "detail": " "}), "problem.detail"),
        (answer({**GOOD, "instance": "/y"}), "problem.instance"),
    ],
)
def test_each_problem_defect_has_its_assertion(response: httpx.Response, assertion: str) -> None:
    with pytest.raises(CheckFailed) as info:
        problem(response, 404)
    assert info.value.assertion == assertion


def test_assertion_ids_are_checked() -> None:
    expect(True, "problem.type", "fine")
    with pytest.raises(ValueError, match="malformed assertion id 'Problem type'"):
        expect(True, "Problem type", "fine")
    with pytest.raises(CheckFailed) as info:
        fail("ERR-PD-01.trigger-status", "no")
    assert (info.value.assertion, str(info.value)) == ("ERR-PD-01.trigger-status", "no")


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("address.zip", "address.zip"),
        ("/address/zip", "address.zip"),
        ("$.address.zip", "address.zip"),
        ("body.address.zip", "address.zip"),
        ("address[zip]", "address.zip"),
        ("items[0].name", "items.0.name"),
    ],
)
def test_field_paths_are_read_in_every_notation(field: str, expected: str) -> None:
    assert dotted(field) == expected


def test_small_judgements() -> None:
    assert retry_after_ok("5")
    assert retry_after_ok("Wed, 21 Oct 2015 07:28:00 GMT")
    assert not retry_after_ok("soon")
    assert not retry_after_ok("")
    assert backoff_grows([0, 0.05, 0.15, 0.45])
    assert backoff_grows([0, 0.1, 0.2])  # two gaps: steady is enough
    assert not backoff_grows([0, 0.2, 0.4, 0.6])  # constant pauses
    assert not backoff_grows([0, 0.4, 0.5, 1.5])  # a pause shrank
    assert _says_why({"title": "Bad Request", "detail": "q must not be empty"})
    assert not _says_why({"title": "Bad Request", "detail": "Bad Request."})
    assert not _says_why({"title": "Oops", "detail": "bad request"})
    assert _iso_near_now("2099-01-01T00:00:00Z") is False
    assert _iso_near_now(12) is False


@pytest.fixture
def raw_server() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server answering the first request per its mode (set by the test)."""
    replies: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                if replies:
                    conn.sendall(replies[0])
                else:
                    stop.wait(3)  # waits for the body that never comes

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port, replies
    stop.set()
    server.close()


def test_a_declared_oversized_body_may_be_refused_early_or_awaited(
    raw_server: tuple[int, list[bytes]],
) -> None:
    port, replies = raw_server
    ctx = CheckContext(
        manifest=default_manifest(f"http://127.0.0.1:{port}"), base_url=f"http://127.0.0.1:{port}"
    )
    assert oversized_answer(ctx, "/v") is None  # the target waits: not judged
    assert ctx.recorder.exchanges[-1].error == "no answer before the body was sent"
    body = b'{"type":"about:blank","title":"Too Large","status":413,"detail":"d","instance":"/v"}'
    replies.append(
        b"HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/problem+json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    early = oversized_answer(ctx, "/v")
    assert early is not None
    assert early.status_code == 413
    assert problem(early, 413)["title"] == "Too Large"


def test_the_echo_server_answers_per_path() -> None:
    with EchoServer() as echo:
        echo.respond("/down", 503, b'{"down": true}')
        echo.respond("/down/deeper", 200)
        assert httpx.get(f"{echo.url}/down/x").status_code == 503
        assert httpx.get(f"{echo.url}/down/deeper/x").status_code == 200
        assert httpx.get(f"{echo.url}/other").json() == {"ok": True}


def test_retry_times_come_from_the_lines_when_they_carry_them() -> None:
    from apiconform.conformance.checks.errors.database import _retry_lines

    stamped = [
        (100.0, {"message": "retrying", "cid": "c", "timestamp": "2026-01-01T00:00:00.100Z"}),
        (100.5, {"message": "Retrying", "cid": "c", "timestamp": "2026-01-01T00:00:00.300Z"}),
        (100.6, {"message": "other", "cid": "c", "timestamp": "2026-01-01T00:00:00.400Z"}),
        (100.7, {"message": "retrying", "cid": "x", "timestamp": "2026-01-01T00:00:00.500Z"}),
    ]
    times = _retry_lines(stamped, "c")
    assert [round(b - a, 3) for a, b in itertools.pairwise(times)] == [0.2]
    unstamped = [(at, {k: v for k, v in line.items() if k != "timestamp"}) for at, line in stamped]
    assert _retry_lines(unstamped, "c") == [100.0, 100.5]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"status": "up", "latency_ms": 8.8}, 8.8),
        ({"responseTime": 12}, 12.0),
        ({"duration_seconds": 0.25}, 250.0),
        ({"took-s": 2}, 2000.0),
        ({"time": 7}, 7.0),
        # epoch times, timeouts and uptimes are not the query's response time
        ({"timestamp": 1796135853, "timeout_ms": 1000, "uptime": 30, "latencyMs": 3}, 3.0),
        ({"timestamp": 1796135853, "checkedAt": 1796135853000}, None),
        ({"latency_ms": True, "duration": "fast"}, None),
    ],
)
def test_the_indicator_response_time_is_read_by_name_and_unit(
    entry: dict[str, Any], expected: float | None
) -> None:
    assert _response_time_ms(entry) == expected
