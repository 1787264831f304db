"""The control API under ``/_control``: faults, recorded requests, users, clock and reset.

It lets a test in another process (or a browser test) steer the mock the way an
in-process test uses :class:`~apiconform.mocks.oauth_server.app.MockOAuthApp` directly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from apiconform.common.validation import describe
from apiconform.mocks.oauth_server.config import PROVIDERS
from apiconform.mocks.oauth_server.context import MockContext
from apiconform.mocks.oauth_server.faults import Faults

Index = Callable[[Request], dict[str, Any]]


class ControlError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def _provider(request: Request) -> str:
    provider = str(request.path_params["provider"])
    if provider not in PROVIDERS:
        raise ControlError(404, "not_found", f"unknown provider {provider!r}")
    return provider


def _not_finite(text: str) -> ControlError:
    return ControlError(400, "invalid_request", f"{text} is not a finite number")


def _constant(text: str) -> float:
    raise _not_finite(text)  # NaN, Infinity, -Infinity


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 reads as infinity
        raise _not_finite(text)
    return value


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        # Python's json reads NaN and Infinity, which no JSON document may hold.
        data = json.loads(raw, parse_float=_finite, parse_constant=_constant) if raw.strip() else {}
    except ValueError:
        raise ControlError(400, "invalid_request", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ControlError(400, "invalid_request", "the body must be a JSON object")
    return data


def _invalid(exc: ValidationError) -> ControlError:
    return ControlError(400, "invalid_request", describe(exc))


def _dump_faults(faults: Mapping[str, Faults]) -> dict[str, Any]:
    return {p: f.model_dump(mode="json") for p, f in faults.items()}


def control_routes(ctx: MockContext, index: Index) -> list[Route]:
    """The control endpoints of one mock, ``index`` describing it at ``GET /``."""

    async def get_index(request: Request) -> dict[str, Any]:
        return index(request)

    async def get_faults(request: Request) -> dict[str, Any]:
        return _dump_faults(ctx.faults.snapshot())

    async def provider_faults(request: Request) -> dict[str, Any]:
        provider = _provider(request)
        if request.method == "PUT":
            try:
                ctx.faults.set(provider, Faults.model_validate(await _json_object(request)))
            except ValidationError as exc:
                raise _invalid(exc) from None
        elif request.method == "DELETE":
            ctx.faults.clear(provider)
        return ctx.faults.get(provider).model_dump(mode="json")

    async def clear_faults(request: Request) -> dict[str, Any]:
        ctx.faults.clear()
        return _dump_faults(ctx.faults.snapshot())

    async def requests(request: Request) -> dict[str, Any]:
        if request.method == "DELETE":
            ctx.journal.clear()
            return {"requests": []}
        query = request.query_params
        found = ctx.journal.find(
            query.get("provider") or None,
            query.get("endpoint") or None,
            path=query.get("path") or None,
            method=query.get("method") or None,
        )
        # ?raw=1: the credentials as sent, for tests that assert on them.
        redact = query.get("raw") not in ("1", "true")
        return {"requests": [r.to_json(redact=redact) for r in found]}

    async def users(request: Request) -> dict[str, Any]:
        provider = _provider(request)
        return {"users": [u.model_dump(mode="json") for u in ctx.users.list(provider)]}

    async def put_user(request: Request) -> dict[str, Any]:
        provider = _provider(request)
        changes = await _json_object(request)
        try:
            user = ctx.users.put(provider, str(request.path_params["user_id"]), changes)
        except ValidationError as exc:
            raise _invalid(exc) from None
        except ValueError as exc:
            raise ControlError(400, "invalid_request", str(exc)) from None
        return user.model_dump(mode="json")

    async def advance_clock(request: Request) -> dict[str, Any]:
        seconds = (await _json_object(request)).get("seconds")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            raise ControlError(400, "invalid_request", "seconds must be a number >= 0")
        try:
            step = float(seconds)
        except OverflowError:  # an integer of 400 digits
            raise ControlError(400, "invalid_request", "seconds must be a finite number") from None
        ctx.clock.advance(step)
        return {"now": ctx.clock.now()}

    async def reset(request: Request) -> dict[str, Any]:
        ctx.reset()
        return {"reset": True}

    def route(path: str, handler: Callable[[Request], Any], methods: list[str]) -> Route:
        async def endpoint(request: Request) -> Response:
            try:
                return JSONResponse(await handler(request))
            except ControlError as exc:
                body = {"error": exc.error, "error_description": exc.description}
                return JSONResponse(body, status_code=exc.status)

        return Route(path, endpoint, methods=methods)

    return [
        route("/", get_index, ["GET"]),
        route("/_control/faults", get_faults, ["GET"]),
        route("/_control/faults", clear_faults, ["DELETE"]),
        route("/_control/faults/{provider}", provider_faults, ["GET", "PUT", "DELETE"]),
        route("/_control/requests", requests, ["GET", "DELETE"]),
        route("/_control/users/{provider}", users, ["GET"]),
        route("/_control/users/{provider}/{user_id}", put_user, ["PUT"]),
        route("/_control/clock/advance", advance_clock, ["POST"]),
        route("/_control/reset", reset, ["POST"]),
    ]
