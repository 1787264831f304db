"""HTTP exceptions: each carries its status, title, detail, problem ``type`` and extensions.

Handlers and middleware raise these; exactly one place (the problem renderer) turns them
into ``application/problem+json``. ``type`` defaults to ``about:blank`` for plain HTTP
errors (RFC 9457 section 4.2.1) and to ``/problems/<slug>`` for the kinds the reference
documents itself (validation, conflict, ...), a relative reference the server resolves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from apiconform.errors import ApiconformError

PROBLEM_BASE = "/problems/"


@dataclass(frozen=True)
class FieldError:
    """One failed field: a dotted path, a message, and the constraints it broke."""

    field: str
    message: str
    # `dataclasses.field`: the attribute above shadows the bare name in the class body
    constraints: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.constraints:
            data["constraints"] = dict(self.constraints)
        return data


class HttpException(ApiconformError):
    """Base of the HTTP exceptions. Subclasses set ``status`` and, optionally, ``slug``."""

    status: ClassVar[int] = 500
    slug: ClassVar[str | None] = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        title: str | None = None,
        type: str | None = None,
        extensions: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.title = title or HTTPStatus(self.status).phrase
        self.detail = detail
        self.type = type or (f"{PROBLEM_BASE}{self.slug}" if self.slug else "about:blank")
        self.extensions = dict(extensions or {})
        self.headers = dict(headers or {})
        super().__init__(detail or self.title)

    @property
    def status_code(self) -> int:
        return self.status


class BadRequest(HttpException):
    status = 400


class Unauthorized(HttpException):
    status = 401

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(HttpException):
    status = 403


class NotFound(HttpException):
    status = 404


class MethodNotAllowed(HttpException):
    status = 405

    def __init__(
        self, detail: str | None = None, *, allowed: Sequence[str] = (), **kwargs: Any
    ) -> None:
        super().__init__(detail, **kwargs)
        if allowed:
            self.headers["Allow"] = ", ".join(allowed)


class Conflict(HttpException):
    status = 409
    slug = "conflict"


class Gone(HttpException):
    status = 410
    slug = "gone"


class PayloadTooLarge(HttpException):
    status = 413
    slug = "payload-too-large"


class UnsupportedMediaType(HttpException):
    status = 415
    slug = "unsupported-media-type"


class Validation(HttpException):
    """Input that parsed but failed validation: 422 with every failed field."""

    status = 422
    slug = "validation"

    def __init__(
        self,
        errors: Sequence[FieldError],
        detail: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            detail or f"{len(errors)} field(s) failed validation",
            title=kwargs.pop("title", "Validation Failed"),
            **kwargs,
        )
        self.errors = list(errors)
        self.extensions["errors"] = [e.to_dict() for e in self.errors]


class TooManyRequests(HttpException):
    status = 429
    slug = "rate-limited"

    def __init__(self, detail: str | None = None, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.retry_after = retry_after
        self.headers["Retry-After"] = str(retry_after)


class InternalServerError(HttpException):
    status = 500


class ServiceUnavailable(HttpException):
    """503, with ``Retry-After`` (seconds) when the caller should try again later."""

    status = 503
    slug = "service-unavailable"

    def __init__(
        self, detail: str | None = None, *, retry_after: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(detail, **kwargs)
        self.retry_after = retry_after
        if retry_after is not None:
            self.headers["Retry-After"] = str(max(0, int(retry_after)))
