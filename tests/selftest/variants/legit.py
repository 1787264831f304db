"""Correct-but-different variants of the demo: each does what the spec asks in a way the
demo does not (other paths, other wording, other log shapes, other headers). Every check
must pass them: a check that fails one judges the demo's habits, not the spec."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import traceback
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from apiconform.common import logs
from apiconform.errors import ApiconformError
from apiconform.reference.demo import app as demo_app
from apiconform.reference.demo import controllers as demo_controllers
from apiconform.reference.demo import errors as demo_errors
from apiconform.reference.demo import filter_probes, recovery, startup
from apiconform.reference.errors import filters, middleware, pipeline
from apiconform.reference.kernel import controller, get
from tests.selftest.variants.base import legit
from tests.selftest.variants.problems import edit_bodies, edit_finished, edit_results
from tests.selftest.variants.scopes import set_correlation_header

# -- other probe paths, through the manifest ------------------------------------------------

PREFIX = "/probe/v2"
MOUNTS = {
    demo_controllers.ScopesController: "scopes",
    demo_controllers.UsersController: "users",
    demo_errors.ErrorsController: "errors",
    demo_errors.DatabaseController: "errors",
    filter_probes.FilteredController: "filters",
    filter_probes.UnfilteredController: "unfiltered",
    recovery.RetryController: "recovery",
    recovery.BreakerController: "recovery",
}


def _moved(manifest: dict[str, Any]) -> None:
    scopes, errors = manifest["scopes"], manifest["errors"]
    for name in ("whoami", "request_ids", "providers", "config", "cache", "log"):
        scopes[name] = f"{PREFIX}{scopes[name]}"
    manifest["target"]["ready_path"] = f"{PREFIX}/scopes/whoami"
    errors["triggers"] = {k: f"{PREFIX}/errors/raise/{k}" for k in errors["triggers"]}
    for name in ("crash", "validation", "create", "database", "degraded", "dependency"):
        errors[name] = f"{PREFIX}{errors[name]}"
    errors["retry"] = f"{PREFIX}/recovery/retry"
    errors["breaker"] = f"{PREFIX}/recovery/breaker"
    errors["filters"].update(
        route=f"{PREFIX}/filters/route",
        controller=f"{PREFIX}/filters/controller",
        unfiltered=f"{PREFIX}/unfiltered",
    )


@legit(manifest=_moved)
def other_probe_paths() -> None:
    """Every probe route lives under /probe/v2; the manifest says where."""
    for cls, name in MOUNTS.items():
        controller(f"{PREFIX}/{name}".lstrip("/"))(cls)


# -- problems that differ from the demo's -----------------------------------------------------


@legit()
def other_problem_shapes() -> None:
    """Problems with extra members, in another order; plain HTTP errors typed about:blank."""

    def blank(result: Any, exc: Exception) -> Any:
        if hasattr(result, "type"):
            result.type = "about:blank"
        return result

    edit_results(filters.HttpExceptionFilter, blank)

    def reorder(body: dict[str, Any]) -> None:
        items = list(body.items())
        body.clear()
        body.update(code=f"E{body.get('status', 0)}", help="https://example.org/errors")
        body.update(reversed(items))

    edit_bodies(reorder)


@legit()
def correlation_id_in_header_only() -> None:
    """Problems without a correlationId member: the header carries the id."""
    edit_finished(lambda p: p.extensions.pop("correlationId", None))


@legit()
def x_request_id_header() -> None:
    """The correlation id is returned in X-Request-ID instead of X-Correlation-ID."""
    set_correlation_header("x-request-id")


@controller("errors")
class ValidationForm:
    """The validation route's path also serves a GET (a form, say)."""

    @get("/validate")
    async def form(self) -> dict[str, str]:
        return {"form": "POST a signup here"}


@legit()
def lenient_framework() -> None:
    """The framework answers less than the demo's: GET on the validation route is a page,
    and a declared oversized body is awaited instead of refused at once (413 is not
    required early)."""
    demo_app.CONTROLLERS.insert(0, ValidationForm)
    middleware.BodyLimitMiddleware._check_declared = lambda self, values: None  # type: ignore[method-assign]


# -- a default-body fallback ------------------------------------------------------------------


@legit()
def default_body_fallback() -> None:
    """The fallback answers a default body, never the last good one."""
    current = demo_errors.ErrorsController.degraded
    inner = current.__wrapped__

    async def degraded(self: Any) -> Any:
        try:
            return await inner(self)
        except ApiconformError:
            logs.get_logger("demo.fallback").warning("degraded mode: downstream down")
            return JSONResponse(
                {"items": [], "source": "default"}, headers={"X-Degraded-Mode": "true"}
            )

    degraded.__apiconform_route__ = current.__apiconform_route__  # type: ignore[attr-defined]
    demo_errors.ErrorsController.degraded = degraded  # type: ignore[method-assign]


# -- logs as a Node service writes them --------------------------------------------------------


def node_stack(exc: BaseException) -> str:
    """The exception's trace in Node's format."""
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f"{type(exc).__name__}: {exc}"]
    for frame in reversed(frames):
        path = "/app/src/" + os.path.basename(frame.filename).replace(".py", ".js")
        lines.append(f"    at {frame.name} ({path}:{frame.lineno}:{(frame.colno or 0) + 1})")
    return "\n".join(lines)


@legit()
def node_style_logs() -> None:
    """JSON lines with their fields in another order; the error line as pino writes it
    (numeric level, epoch time, req/err objects, a Node stack)."""
    render = logs._render_json

    def reversed_fields(logger: Any, method: str, event: Any) -> str:
        line = json.loads(render(logger, method, event))
        return json.dumps(dict(reversed(list(line.items()))))

    logs._render_json = reversed_fields
    original = pipeline.ExceptionPipeline.log

    def log(self: Any, exc: Exception, request: Request, status: int, detail: Any) -> None:
        if status < 500:
            return original(self, exc, request, status, detail)
        context = logs.add_scope_fields(None, "error", {})
        url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        peer = request.client.host if request.client else "127.0.0.1"
        line = {
            "level": 50,
            "time": int(time.time() * 1000),
            "pid": os.getpid(),
            "hostname": socket.gethostname(),
            "reqId": context["correlation_id"],
            "req": {"method": request.method, "url": url, "remoteAddress": f"::ffff:{peer}"},
            "app_id": context["app_id"],
            "scope_id": context["scope_id"],
            "err": {"type": type(exc).__name__, "message": str(exc), "stack": node_stack(exc)},
            "msg": "request errored",
        }
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        return None

    pipeline.ExceptionPipeline.log = log  # type: ignore[method-assign]


# -- start-up errors in other words -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@legit()
def other_startup_wording() -> None:
    """Start-up errors worded as other stacks word them, with a Node trace after the port
    error."""

    async def port_conflict(port: int) -> None:
        print(
            f"Error: listen EADDRINUSE: address already in use 127.0.0.1:{port}\n"
            f"Another server holds it; try 127.0.0.1:{_free_port()} instead.\n"
            "    at Server.setupListenHandle [as _listen2] (node:net:1908:16)",
            file=sys.stderr,
        )
        raise SystemExit(1)

    def duplicate_id(app_id: str) -> None:
        raise ApiconformError(
            f"Application {app_id!r} is already registered (state: running, kind: agent). "
            "Pick a new id for the second one."
        )

    def invalid_scope(scope: str) -> None:
        raise ApiconformError(
            f'TypeError: unknown scope "{scope}"; expected one of: singleton | agent | request'
        )

    def invalid_config(app_id: str, port: int) -> None:
        raise ApiconformError(
            f"ConfigurationError in {app_id}: environment must be development or production"
        )

    startup.port_conflict = port_conflict
    startup.duplicate_id = duplicate_id
    startup.invalid_scope = invalid_scope
    startup.invalid_config = invalid_config
