"""Variants of the demo's structured logs (OBS-LOG-01, OBS-LOG-02).

They patch the JSON renderer of ``apiconform.common.logs`` (every line, structlog's and
the access line, goes through it) and the kernel's correlation id, before the target
starts. The log probe's own lines are told by their ``origin`` (``handler``, ``task``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from starlette.types import Scope

from apiconform.common import logs
from apiconform.reference.kernel import middleware
from tests.selftest.variants.base import Variant, broken, register

OBSERVABILITY = "add-health-observability"
CLAIMS = (OBSERVABILITY,)
PROBE_ORIGINS = ("handler", "task")

Event = dict[str, Any]


def _rewrite_probe_lines(change: Callable[[Event], None], origins: tuple[str, ...]) -> None:
    """Apply ``change`` to the event of each line the log probe writes from ``origins``."""
    render = logs._render_json

    def rendered(logger: Any, method: str, event: Event) -> str:
        if event.get("logger") == "apiconform.demo.orders" and event.get("origin") in origins:
            change(event)
        return render(logger, method, event)

    logs._render_json = rendered


@broken(OBSERVABILITY, {"OBS-LOG-01": "OBS-LOG-01.json"}, skips={"OBS-LOG-02"}, claims=CLAIMS)
def probe_lines_in_plain_text() -> None:
    """The log probe's lines are written as text (``<time> INFO <message> key=value``)."""
    render = logs._render_json

    def text(logger: Any, method: str, event: Event) -> str:
        if event.get("logger") != "apiconform.demo.orders":
            return render(logger, method, event)
        pairs = " ".join(f"{k}={v}" for k, v in event.items() if k != "event")
        return f"{time.strftime('%H:%M:%S')} INFO {event.get('event')} {pairs}"

    logs._render_json = text


@broken(OBSERVABILITY, {"OBS-LOG-01": "OBS-LOG-01.fields"}, claims=CLAIMS)
def log_lines_without_time() -> None:
    """The log probe's lines carry no timestamp."""
    render = logs._render_json

    def untimed(logger: Any, method: str, event: Event) -> str:
        line = json.loads(render(logger, method, event))
        if line.get("logger") == "apiconform.demo.orders":
            del line["timestamp"]
        return json.dumps(line)

    logs._render_json = untimed


@broken(
    OBSERVABILITY,
    {"OBS-LOG-01": "OBS-LOG-01.context", "OBS-LOG-02": "OBS-LOG-02.same-id"},
    claims=CLAIMS,
)
def log_lines_without_context() -> None:
    """The log probe's lines name neither their logger nor their request."""
    render = logs._render_json

    def bare(logger: Any, method: str, event: Event) -> str:
        line = json.loads(render(logger, method, event))
        if line.get("logger") == "apiconform.demo.orders":
            for key in ("logger", "correlation_id", "scope_id", "app_id"):
                line.pop(key, None)
        return json.dumps(line)

    logs._render_json = bare


@broken(OBSERVABILITY, {"OBS-LOG-01": "OBS-LOG-01.trace"}, claims=CLAIMS)
def log_lines_without_trace_ids() -> None:
    """No line carries the trace and span ids of the request's span."""

    def untraced(event: Event) -> None:
        event.pop("trace_id", None)
        event.pop("span_id", None)

    _rewrite_probe_lines(untraced, PROBE_ORIGINS)


@broken(OBSERVABILITY, {"OBS-LOG-01": "OBS-LOG-01.metadata"}, claims=CLAIMS)
def custom_log_fields_dropped() -> None:
    """The fields a caller logs beside the message are dropped."""

    def dropped(event: Event) -> None:
        event.pop("order_ref", None)

    _rewrite_probe_lines(dropped, PROBE_ORIGINS)


@broken(OBSERVABILITY, {"OBS-LOG-02": "OBS-LOG-02.async"}, claims=CLAIMS)
def async_log_lines_lose_the_correlation_id() -> None:
    """Lines written by async work the handler starts have no correlation id."""

    def lost(event: Event) -> None:
        event["correlation_id"] = None

    _rewrite_probe_lines(lost, ("task",))


@broken(OBSERVABILITY, {"OBS-LOG-02": "OBS-LOG-02.generated"}, claims=CLAIMS)
def no_correlation_id_generated() -> None:
    """A request without an id gets none: its lines say null, its answer no header."""
    choose = middleware.correlation_id_from

    def incoming_only(scope: Scope) -> str:
        names = {name for name, _ in scope.get("headers", ())}
        if names & {b"x-correlation-id", b"x-request-id"}:
            return choose(scope)
        return ""

    middleware.correlation_id_from = incoming_only
    render = logs._render_json

    def rendered(logger: Any, method: str, event: Event) -> str:
        if event.get("correlation_id") == "":
            event["correlation_id"] = None
        return render(logger, method, event)

    logs._render_json = rendered


@broken(OBSERVABILITY, {"OBS-LOG-02": "OBS-LOG-02.unique"}, claims=CLAIMS)
def one_generated_correlation_id() -> None:
    """Every request without an id gets the same one."""
    middleware.new_correlation_id = lambda: "0" * 31 + "1"


@broken(OBSERVABILITY, {"OBS-LOG-02": "OBS-LOG-02.same-id"}, claims=CLAIMS)
def incoming_correlation_id_replaced() -> None:
    """The id a request brings is ignored: a new one is generated for every request."""
    middleware.correlation_id_from = lambda scope: middleware.new_correlation_id()


# -- correct but different ----------------------------------------------------------------

PINO_LEVELS = {"debug": 20, "info": 30, "warning": 40, "error": 50, "critical": 60}


def pino_shaped_logs() -> None:
    """Every line as pino writes it: numeric level, epoch milliseconds, ``msg``,
    ``reqId`` for the correlation id, ``traceId``/``spanId``, the logger as ``context``
    and the caller's fields nested under ``meta``."""
    render = logs._render_json
    renamed = {"correlation_id": "reqId", "trace_id": "traceId", "span_id": "spanId"}
    own = {"app_id", "scope_id", "origin", *renamed}

    def pino(logger: Any, method: str, event: Event) -> str:
        line = json.loads(render(logger, method, event))
        out: dict[str, Any] = {
            "level": PINO_LEVELS.get(str(line.pop("level", "info")), 30),
            "time": int(time.time() * 1000),
            "pid": 4242,
            "context": line.pop("logger", None),
        }
        line.pop("timestamp", None)
        message = line.pop("message", None)
        for key, new in renamed.items():
            if key in line:
                out[new] = line.pop(key)
        out.update({k: line.pop(k) for k in list(line) if k in own})
        if line:
            out["meta"] = line
        out["msg"] = message
        return json.dumps(out)

    logs._render_json = pino


register(
    Variant(
        "pino-shaped-logs",
        (OBSERVABILITY,),
        pino_shaped_logs,
        legit=True,
        claims=CLAIMS,
    )
)
