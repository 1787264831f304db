"""The kernel's route class: it runs the route's guards, refuses a body it cannot read with
415 before parsing it, and hands every exception (validation included) to its
application's error handler, when the application has one."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, params
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from apiconform.reference.kernel.feature import Guard, RouteDef

APP_KEY = "apiconform.app"


def _json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _has_body(request: Request) -> bool:
    headers = request.headers
    length = headers.get("content-length")
    return "transfer-encoding" in headers or (length is not None and length.strip() != "0")


class KernelRoute(APIRoute):
    """An APIRoute that knows the controller route it serves (``definition``) and its
    ``guards``; the application sets both when it registers the route."""

    definition: RouteDef | None = None
    guards: tuple[Guard, ...] = ()

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body = self.body_field
        expects_json = body is not None and not isinstance(body.field_info, params.Form)

        async def route_handler(request: Request) -> Response:
            try:
                for guard in self.guards:
                    await guard(request)
                if expects_json and _has_body(request):
                    content_type = request.headers.get("content-type", "")
                    if not _json_media_type(content_type):
                        raise HTTPException(
                            415,
                            f"this route reads application/json, not {content_type or 'no type'}",
                            headers={"Accept": "application/json"},
                        )
                return await handler(request)
            except Exception as exc:
                application = request.scope.get(APP_KEY)
                errors = application.error_handler if application is not None else None
                if errors is None:  # no error handling installed: FastAPI answers
                    raise
                response: Response = await errors.handle(exc, request)
                return response

        return route_handler


class RoutingCore:
    """FastAPI's router without FastAPI's app-level middleware, for applications whose
    error handler answers every exception.

    ``FastAPI.__call__`` wraps the router in ServerErrorMiddleware, exception handlers, a
    body limit and telemetry; an application with an error handling feature has its own
    layers for each, so the kernel calls the router directly (keeping the exit stack that
    closes uploaded files). The router raises ``HTTPException`` for an unknown path or
    method because ``scope["app"]`` is set, and the error layer answers it.
    """

    def __init__(self, http: FastAPI) -> None:
        self.http = http
        self.app = AsyncExitStackMiddleware(http.router)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self.http
        try:
            await self.app(scope, receive, send)
        except HTTPException as exc:
            if exc.status_code == 405:
                # Starlette names the methods of the first route with this path only
                allowed = allowed_methods(self.http.router.routes, scope)
                exc.headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)}
            raise


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> list[str]:
    """The methods of every route whose path matches the request's, in route order."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    found: dict[str, None] = {}
    for route in routes:
        if isinstance(route, Route) and route.methods and route.path_regex.fullmatch(path):
            found.update(dict.fromkeys(sorted(route.methods)))
    return list(found)


# A feature that routes a request under another path than the client's (versioning: the
# default version's routes) puts here the route template as the client addressed it.
ADDRESSED_ROUTE_KEY = "apiconform.route.addressed"


def route_template(scope: Scope) -> str | None:
    """The route template the request matched, as the client addressed it (None when no
    route matched): what metrics and spans are labelled with."""
    addressed = scope.get(ADDRESSED_ROUTE_KEY)
    if addressed is not None:
        return str(addressed)
    return getattr(scope.get("route"), "path", None)
