"""The middleware stack of an application, built in one place (outermost first):

1. RequestScopeMiddleware -- the request's DI scope, correlation id, access log: outermost,
   so the access line records the final status, error responses included;
2. ErrorMiddleware -- answers anything that escapes below with a problem;
3. BodyLimitMiddleware -- 413 for bodies over the limit, before or while reading;
4. FastAPI -- routing and validation; its routes hand exceptions to the app's pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from apiconform.reference.errors.middleware import BodyLimitMiddleware, ErrorMiddleware
from apiconform.reference.kernel.middleware import RequestScopeMiddleware

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application


def install_exception_handlers(app: Application, http: FastAPI) -> None:
    """Errors FastAPI raises outside the kernel's routes (unknown route 404, wrong method 405,
    and anything its own middleware lets through) go to the same pipeline."""

    async def handle(request: Request, exc: Exception) -> Response:
        return await app.errors.handle(exc, request)

    for kind in (StarletteHTTPException, RequestValidationError, Exception):
        http.add_exception_handler(kind, handle)


def build_stack(app: Application) -> ASGIApp:
    install_exception_handlers(app, app.http)
    inner: ASGIApp = BodyLimitMiddleware(
        app.http, limit=app.config.errors.body_limit, application=app
    )
    inner = ErrorMiddleware(inner, application=app)
    return RequestScopeMiddleware(inner, application=app)
