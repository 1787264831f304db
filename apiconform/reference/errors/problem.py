"""RFC 9457 problem details: the one place error responses are rendered.

Members with no value are dropped; extensions sit beside the standard members at the top
level. ``correlationId`` and ``timestamp`` are added to every problem.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import orjson
from starlette.responses import Response

from apiconform.common.redaction import redact_text
from apiconform.reference.kernel.context import get_correlation_id

MEDIA_TYPE = "application/problem+json"
GENERIC_DETAIL = "An unexpected error occurred. Quote the correlation id when you report it."
STANDARD = ("type", "title", "status", "detail", "instance")


@dataclass
class Problem:
    """A problem before rendering. ``headers`` go on the response, not in the body."""

    status: int
    title: str | None = None
    detail: str | None = None
    type: str = "about:blank"
    instance: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    # a 5xx detail written for clients (not taken from an exception) survives production
    public: bool = False

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": self.type,
            "title": self.title or HTTPStatus(self.status).phrase,
            "status": self.status,
            "detail": self.detail,
            "instance": self.instance,
        }
        for key, value in self.extensions.items():
            if key not in STANDARD:  # extensions never override the standard members
                data[key] = value
        return {k: v for k, v in data.items() if v not in (None, "", [], {})}


class ProblemResponse(Response):
    """``application/problem+json`` with the problem's headers."""

    media_type = MEDIA_TYPE

    def __init__(self, problem: Problem, extra_headers: Mapping[str, str] | None = None) -> None:
        self.problem = problem
        body = _encode(problem.body())
        super().__init__(
            content=body,
            status_code=problem.status,
            headers={**problem.headers, **(extra_headers or {})},
            media_type=MEDIA_TYPE,
        )


def _encode(body: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(body, default=str, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, say
        return json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def finish(problem: Problem, *, path: str, correlation_id: str | None = None) -> Problem:
    """Add the members every problem has: instance, correlationId, timestamp."""
    problem.instance = problem.instance or path
    problem.extensions.setdefault("correlationId", correlation_id or get_correlation_id())
    problem.extensions.setdefault("timestamp", now_iso())
    return problem


def debug_members(exc: BaseException) -> dict[str, Any]:
    """``exception`` and ``stack`` members, for development only (credentials masked)."""
    return {
        "exception": redact_text(f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"),
        "stack": [redact_text(line) for line in traceback.format_exception(exc)],
    }
