"""Error events: one per failed request, as monitoring services see it, and the
reporter protocol every destination implements."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, runtime_checkable

from apiconform.common.redaction import redact_text
from apiconform.reference.kernel.context import get_correlation_id

Severity = Literal["critical", "error"]


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ErrorEvent:
    """One failed request, as monitoring services see it.

    ``severity`` defaults from ``status``: ``critical`` for a 5xx, ``error`` otherwise. ``path``
    never carries the query string (it may hold codes or tokens). ``stack`` is sent only
    by reporters configured to; ``problem`` is the problem-details body the client got;
    ``exception`` (never serialised) lets Sentry read the frames.
    """

    error_type: str
    message: str
    status: int
    correlation_id: str | None
    service: str
    environment: str
    method: str | None = None
    path: str | None = None
    user_id: str | None = None
    timestamp: str = field(default_factory=_utc_now)
    stack: str | None = None
    problem: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    exception: BaseException | None = field(default=None, repr=False, compare=False, hash=False)
    severity: Severity | None = None

    def __post_init__(self) -> None:
        # frozen: derived fields are set through object.__setattr__
        if self.severity is None:
            object.__setattr__(self, "severity", "critical" if self.status >= 500 else "error")
        if self.path is not None:
            object.__setattr__(self, "path", self.path.split("?", 1)[0])

    @classmethod
    def from_exception(
        cls,
        exc: BaseException,
        *,
        status: int,
        service: str,
        environment: str,
        method: str | None = None,
        path: str | None = None,
        user_id: str | None = None,
        correlation_id: str | None = None,
        problem: Mapping[str, Any] | None = None,
    ) -> ErrorEvent:
        """The event for ``exc``; the correlation id defaults to the current request's.
        Message and stack have credentials masked (:func:`redact_text`)."""
        return cls(
            error_type=type(exc).__name__,
            message=redact_text(str(exc)),
            status=status,
            correlation_id=correlation_id or get_correlation_id(),
            service=service,
            environment=environment,
            method=method,
            path=path,
            user_id=user_id,
            stack=redact_text("".join(traceback.format_exception(exc))),
            problem=problem,
            exception=exc,
        )

    def to_payload(self, *, include_stack: bool = False) -> dict[str, Any]:
        """The JSON-ready body: every field but ``exception``; ``stack`` only when asked
        for and present, ``problem`` only when present."""
        payload: dict[str, Any] = {
            "event": "error",
            "error_type": self.error_type,
            "message": self.message,
            "severity": self.severity,
            "status": self.status,
            "correlation_id": self.correlation_id,
            "service": self.service,
            "environment": self.environment,
            "method": self.method,
            "path": self.path,
            "user_id": self.user_id,
            "timestamp": self.timestamp,
        }
        if self.problem is not None:
            payload["problem"] = dict(self.problem)
        if include_stack and self.stack is not None:
            payload["stack"] = self.stack
        return payload


@runtime_checkable
class ErrorReporter(Protocol):
    """Sends error events somewhere. ``report`` must return at once and never raise."""

    def report(self, event: ErrorEvent) -> None: ...

    async def aclose(self) -> None: ...
