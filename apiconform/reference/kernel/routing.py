"""The kernel's route class: every route hands its exceptions (validation included) to its
application's exception pipeline, with the route's and controller's own filters first, and
refuses a body it cannot read with 415 before parsing it."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import params
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

APP_KEY = "apiconform.app"
CONTROLLER_ATTR = "__apiconform_controller_class__"
METHOD_ATTR = "__apiconform_method__"


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
    """An APIRoute whose handler never lets an exception escape unanswered."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        from apiconform.reference.errors.exceptions import UnsupportedMediaType
        from apiconform.reference.errors.filters import attached_filters

        handler = super().get_route_handler()
        body = self.body_field
        expects_json = body is not None and not isinstance(body.field_info, params.Form)
        endpoint = self.endpoint
        scoped = (
            *attached_filters(getattr(endpoint, METHOD_ATTR, endpoint)),
            *attached_filters(getattr(endpoint, CONTROLLER_ATTR, None)),
        )

        async def route_handler(request: Request) -> Response:
            try:
                if expects_json and _has_body(request):
                    content_type = request.headers.get("content-type", "")
                    if not _json_media_type(content_type):
                        raise UnsupportedMediaType(
                            f"this route reads application/json, not {content_type or 'no type'}",
                            headers={"Accept": "application/json"},
                        )
                return await handler(request)
            except Exception as exc:
                application = request.scope.get(APP_KEY)
                if application is None:  # mounted outside a kernel application
                    raise
                response: Response = await application.errors.handle(exc, request, scoped)
                return response

        return route_handler
