"""SCOPE-CTX-01, SCOPE-LOG-01 and SCOPE-LOG-02: a request's context reaches its log lines
and the tasks it spawns; metrics carry the application's labels.

Lines are tied to the stimulus by values the suite chose: the log probe's message, the
correlation id, the path of the request.
"""

from __future__ import annotations

import re

from apiconform.conformance import loglines
from apiconform.conformance.checks.scopes.probes import clients
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import from_headers, json_body, new_id, tagged
from apiconform.conformance.registry import CheckSkipped, check, expect

APP_ID = ("app_id", "appId")
SCOPE_ID = ("scope_id", "scopeId")


def _context_of(line: loglines.Line) -> tuple[object, object]:
    return loglines.field(line, *APP_ID), loglines.field(line, *SCOPE_ID)


@check("SCOPE-CTX-01")
def context_reaches_spawned_tasks(ctx: CheckContext) -> None:
    """The lines the log probe writes from its handler and from a task it spawned both
    carry the request's app id, scope id and correlation id, which is echoed."""
    path = ctx.probe("scopes.log")
    output = ctx.process().output
    since = output.mark()
    correlation_id, text = new_id(), f"probe {new_id('message')}"
    response = ctx.client().post(path, json={"message": text}, headers=tagged(correlation_id))
    body = json_body(response)
    if not response.is_success or not isinstance(body, dict) or not body.get("app_id"):
        raise CheckSkipped(f"the log probe {path} answered {response.status_code} without app_id")
    # the probe's own answer names the id too: the framework must echo it in a header
    expect(
        correlation_id in from_headers(response),
        "SCOPE-CTX-01.echoed",
        f"no X-Correlation-ID or X-Request-ID header echoes {correlation_id}: "
        f"{from_headers(response)}",
    )

    def origins(found: list[loglines.Line]) -> set[object]:
        return {line.get("origin") for line in found}

    lines = loglines.wait_for_lines(
        output,
        since,
        lambda line: loglines.carries(line, text),
        lambda found: {"handler", "task"} <= origins(found),
        ctx.log_wait,
    )
    expect(
        {"handler", "task"} <= origins(lines),
        "SCOPE-CTX-01.lines",
        f"expected a line with origin 'handler' and one with origin 'task' for {text!r}; "
        f"found origins {sorted(map(str, origins(lines)))}",
    )
    wanted = (body.get("app_id"), body.get("scope_id"))
    handler, task = (next(x for x in lines if x.get("origin") == o) for o in ("handler", "task"))
    expect(
        _holds(handler, wanted, correlation_id),
        "SCOPE-CTX-01.handler-context",
        _differs("handler", handler, wanted, correlation_id),
    )
    expect(
        _holds(task, wanted, correlation_id),
        "SCOPE-CTX-01.task-context",
        _differs("spawned task", task, wanted, correlation_id),
    )


def _holds(line: loglines.Line, wanted: tuple[object, object], correlation_id: str) -> bool:
    return _context_of(line) == wanted and loglines.carries(line, correlation_id)


def _differs(
    origin: str, line: loglines.Line, wanted: tuple[object, object], correlation_id: str
) -> str:
    carried = "carries" if loglines.carries(line, correlation_id) else "lacks"
    return (
        f"the {origin}'s line has app_id, scope_id {_context_of(line)} and {carried} the "
        f"correlation id; the request's are {wanted} and {correlation_id}"
    )


@check("SCOPE-LOG-01")
def request_log_lines_carry_app_and_scope_ids(ctx: CheckContext) -> None:
    """Every line logged for a request carries the id of the application that served it
    and a scope id."""
    path = ctx.probe("scopes.whoami")
    output = ctx.process().output
    for client in clients(ctx):
        since = output.mark()
        correlation_id = new_id()
        response = client.get(path, headers=tagged(correlation_id))
        body = json_body(response)
        if not isinstance(body, dict) or not body.get("app_id"):
            raise CheckSkipped(f"the whoami probe {client.base_url}{path} gave no app_id")

        def of_request(line: loglines.Line, cid: str = correlation_id) -> bool:
            return loglines.carries(line, cid) or loglines.has_path(line, path)

        lines = loglines.wait_for_lines(output, since, of_request, lambda f: False, ctx.log_wait)
        if not lines:
            raise CheckSkipped(f"the target logged no line for GET {client.base_url}{path}")
        for line in lines:
            app_id, scope_id = _context_of(line)
            expect(
                app_id == body["app_id"],
                "SCOPE-LOG-01.app-id",
                f"a line of app {body['app_id']!r}'s request has app_id {app_id!r}: {line}",
            )
            expect(
                isinstance(scope_id, str) and scope_id,
                "SCOPE-LOG-01.scope-id",
                f"a line of app {body['app_id']!r}'s request has no scope_id: {line}",
            )


# Process-wide collectors describe the runtime, not an application.
PROCESS_WIDE_PREFIXES = ("process_", "python_", "nodejs_", "go_", "jvm_", "dotnet_", "ruby_")
_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>.*)\})?\s+\S+")


@check("SCOPE-LOG-02")
def metrics_carry_app_and_scope_labels(ctx: CheckContext) -> None:
    """Every application metric sample has app_id and scope_id labels."""
    path = ctx.probe("observability.metrics")
    response = ctx.client().get(path)
    if response.status_code != 200:
        raise CheckSkipped(
            f"needs the metrics endpoint of add-health-observability: GET {path} answered "
            f"{response.status_code}"
        )
    samples = [
        m
        for line in response.text.splitlines()
        if (m := _SAMPLE.match(line)) and not m["name"].startswith(PROCESS_WIDE_PREFIXES)
    ]
    if not samples:
        raise CheckSkipped(f"{path} exposes no application samples")
    for sample in samples:
        labels = sample["labels"] or ""
        expect(
            re.search(r'(?:^|,)\s*app_id="', labels) and re.search(r'(?:^|,)\s*scope_id="', labels),
            "SCOPE-LOG-02.labels",
            f"a sample without app_id/scope_id labels: {sample.group(0)[:200]}",
        )
