"""Reading a target's JSON log lines whatever logger wrote them (structlog, pino,
winston, logback, Serilog, zap, ...): field order, nesting and level spelling vary.

A line is tied to a request by *value*: the suite sends a correlation id it chose, and a
line carries it when any of its values equals it, under whatever key. Levels are read from
``level``/``severity``/``levelname``/``log.level`` as words or pino's numbers.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apiconform.conformance.patterns import holds_stack
from apiconform.conformance.polling import INTERVAL
from apiconform.conformance.target import OutputLog

Line = dict[str, Any]

LEVEL_KEYS = ("level", "severity", "levelname", "log.level", "lvl", "@l")
# pino / bunyan numeric levels
NUMERIC_LEVELS = {10: "trace", 20: "debug", 30: "info", 40: "warning", 50: "error", 60: "fatal"}
ERROR_LEVELS = frozenset({"error", "err", "fatal", "critical", "crit", "alert", "emerg", "panic"})
WARNING_LEVELS = ERROR_LEVELS | {"warning", "warn"}
MESSAGE_KEYS = ("message", "msg", "event", "@m", "@mt")
TIME_KEYS = ("timestamp", "time", "ts", "@timestamp", "@t", "datetime", "date")
# how long after a request's first line its other lines may still arrive
SETTLE = 0.5


def values(line: Any) -> list[Any]:
    """Every scalar value of a JSON line, nested ones included."""
    if isinstance(line, dict):
        return [v for item in line.values() for v in values(item)]
    if isinstance(line, list):
        return [v for item in line for v in values(item)]
    return [line]


def carries(line: Line, value: str) -> bool:
    """Whether some value of ``line`` (under any key) is ``value``."""
    return value in values(line)


def mentions(line: Line, text: str) -> bool:
    """Whether some string value of ``line`` contains ``text``."""
    return any(isinstance(v, str) and text in v for v in values(line))


def get_path(line: Line, dotted: str) -> Any:
    """``line["log"]["level"]`` for ``"log.level"`` (or a literal dotted key)."""
    if dotted in line:
        return line[dotted]
    node: Any = line
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def field(line: Line, *names: str) -> Any:
    """The first of ``names`` the line has (``app_id`` or ``appId``, ...)."""
    for name in names:
        found = get_path(line, name)
        if found is not None:
            return found
    return None


def level(line: Line) -> str | None:
    """The line's level as a lower-case word (``"error"``), or None."""
    raw = field(line, *LEVEL_KEYS)
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return NUMERIC_LEVELS.get(int(raw) // 10 * 10)
    return str(raw).lower() if raw is not None else None


def is_error(line: Line) -> bool:
    return level(line) in ERROR_LEVELS


def is_warning_or_worse(line: Line) -> bool:
    return level(line) in WARNING_LEVELS


def message(line: Line) -> Any:
    return field(line, *MESSAGE_KEYS)


def has_stack(line: Line) -> bool:
    return holds_stack(line)


def has_ip_address(line: Line) -> bool:
    """Whether a value of the line is an IP address (``::ffff:127.0.0.1`` included)."""
    for value in values(line):
        if isinstance(value, str) and len(value) < 64:
            try:
                ipaddress.ip_address(value.split("%", 1)[0])
            except ValueError:
                continue
            return True
    return False


def has_path(line: Line, path: str) -> bool:
    """Whether a value of the line is the request path (alone, with a query, or as the
    path of a full URL)."""
    for value in values(line):
        if not isinstance(value, str):
            continue
        bare = value.split("?", 1)[0]
        if bare == path or (bare.endswith(path) and "://" in bare):
            return True
    return False


def timestamp(line: Line, now: float | None = None) -> datetime | None:
    """The line's time, when it has one that parses (ISO 8601, or epoch seconds or
    milliseconds within a day of ``now``)."""
    now = time.time() if now is None else now
    for key in TIME_KEYS:
        raw = get_path(line, key)
        if isinstance(raw, str):
            try:
                parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            for seconds in (raw, raw / 1000):
                if abs(seconds - now) < 86_400:
                    return datetime.fromtimestamp(seconds, UTC)
    return None


def request_lines(output: OutputLog, since: int, correlation_id: str) -> list[Line]:
    """The JSON lines written since ``since`` that carry ``correlation_id``."""
    return [line for line in output.json_lines(since) if carries(line, correlation_id)]


def wait_for_lines(
    output: OutputLog,
    since: int,
    match: Callable[[Line], bool],
    accept: Callable[[list[Line]], bool],
    bound: float,
) -> list[Line]:
    """The lines ``match`` picks, once ``accept`` takes them. Waits no longer than
    :data:`SETTLE` after the first picked line arrived (the others come with it), and at
    most ``bound`` seconds when none arrives."""
    deadline = time.monotonic() + bound
    first_seen: float | None = None
    while True:
        lines = [line for line in output.json_lines(since) if match(line)]
        if accept(lines):
            return lines
        now = time.monotonic()
        if lines and first_seen is None:
            first_seen = now
        if now >= deadline or (first_seen is not None and now - first_seen >= SETTLE):
            return lines
        time.sleep(INTERVAL)


def wait_for_request(
    output: OutputLog,
    since: int,
    correlation_id: str,
    accept: Callable[[list[Line]], bool],
    bound: float,
) -> list[Line]:
    """The request's own lines (those carrying ``correlation_id``); see
    :func:`wait_for_lines`."""
    return wait_for_lines(output, since, lambda line: carries(line, correlation_id), accept, bound)
