"""Reading log lines whatever logger wrote them, and waiting for a request's own lines."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest

from apiconform.conformance import loglines
from apiconform.conformance.correlation import from_body, json_body, returned, tagged
from apiconform.conformance.target import OutputLine, OutputLog

PINO = {
    "level": 50,
    "time": 1_764_600_000_000,
    "reqId": "req-1",
    "req": {"method": "GET", "url": "/errors/crash?message=x", "remoteAddress": "::ffff:127.0.0.1"},
    "err": {"message": "boom", "stack": "Error: boom\n    at f (/app/x.js:1:2)"},
    "msg": "request errored",
}
STRUCTLOG = {
    "timestamp": "2026-11-25T21:04:59.156775Z",
    "level": "error",
    "message": "request failed",
    "correlation_id": "req-2",
    "path": "/errors/crash",
    "client_ip": "127.0.0.1",
}


def test_lines_are_read_by_value_whatever_the_keys() -> None:
    assert loglines.carries(PINO, "req-1")
    assert loglines.carries(PINO, "GET")
    assert not loglines.carries(PINO, "req-2")
    assert loglines.mentions(PINO, "at f (")
    assert loglines.is_error(PINO)
    assert loglines.is_error(STRUCTLOG)
    assert loglines.message(PINO) == "request errored"
    assert loglines.has_stack(PINO)
    assert loglines.has_path(PINO, "/errors/crash")
    assert loglines.has_path(STRUCTLOG, "/errors/crash")
    assert loglines.has_path({"url": "http://h/errors/crash"}, "/errors/crash")
    assert not loglines.has_path(STRUCTLOG, "/errors")
    assert loglines.has_ip_address(PINO)
    assert loglines.has_ip_address(STRUCTLOG)
    assert not loglines.has_ip_address({"host": "localhost", "n": 3})
    assert loglines.field({"log": {"level": "WARN"}}, "log.level") == "WARN"
    assert loglines.get_path({"a": 1}, "a.b") is None


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ({"level": 30}, "info"),
        ({"level": 60}, "fatal"),
        ({"severity": "ERROR"}, "error"),
        ({"levelname": "Warning"}, "warning"),
        ({"log.level": "warn"}, "warn"),
        ({"level": True}, None),
        ({}, None),
    ],
)
def test_levels_in_words_and_numbers(line: dict[str, object], level: str | None) -> None:
    assert loglines.level(line) == level


def test_times_in_iso_and_epoch_forms() -> None:
    now = PINO["time"] / 1000  # type: ignore[operator]
    assert loglines.timestamp(PINO, now=now) == datetime.fromtimestamp(now, UTC)
    assert loglines.timestamp({"ts": now}, now=now) is not None
    assert loglines.timestamp({"time": 42}, now=now) is None  # not a time of this day
    assert loglines.timestamp(STRUCTLOG).tzinfo is not None  # type: ignore[union-attr]
    assert loglines.timestamp({"timestamp": "2026-11-25T21:04:59"}).tzinfo is UTC  # type: ignore[union-attr]
    assert loglines.timestamp({"timestamp": "yesterday"}) is None


def _log(*lines: dict[str, object]) -> OutputLog:
    log = OutputLog()
    for line in lines:
        log.append(OutputLine("stdout", json.dumps(line)))
    return log


def test_waiting_ends_as_soon_as_the_line_is_there() -> None:
    log = _log({"correlation_id": "c1", "level": "error"})
    started = time.monotonic()
    found = loglines.wait_for_request(log, 0, "c1", lambda f: bool(f), 5)
    assert found == [{"correlation_id": "c1", "level": "error"}]
    assert time.monotonic() - started < 0.5


def test_waiting_ends_shortly_after_the_requests_own_lines() -> None:
    log = _log({"correlation_id": "c1", "level": "info"})  # the access line, no error line
    started = time.monotonic()
    found = loglines.wait_for_request(log, 0, "c1", lambda f: any(map(loglines.is_error, f)), 30)
    assert len(found) == 1
    assert time.monotonic() - started < loglines.SETTLE + 0.5


def test_waiting_for_a_line_that_never_comes_is_bounded_and_late_lines_count() -> None:
    log = OutputLog()
    started = time.monotonic()
    assert loglines.wait_for_request(log, 0, "c9", bool, 0.3) == []
    assert 0.3 <= time.monotonic() - started < 1.5

    def later() -> None:
        time.sleep(0.2)
        log.append(OutputLine("stdout", json.dumps({"correlation_id": "c9"})))

    threading.Thread(target=later).start()
    assert loglines.wait_for_request(log, 0, "c9", bool, 5) == [{"correlation_id": "c9"}]


def test_correlation_ids_come_back_in_headers_or_the_body() -> None:
    assert tagged("x") == {"X-Correlation-ID": "x", "X-Request-ID": "x"}
    request = httpx.Request("GET", "http://t/")
    response = httpx.Response(
        404, headers={"X-Request-ID": "a"}, json={"traceId": "b"}, request=request
    )
    assert returned(response) == ["a", "b"]
    assert from_body(["not", "a", "dict"]) == []
    assert json_body(httpx.Response(200, content=b"<html>", request=request)) is None
