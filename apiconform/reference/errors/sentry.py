"""Reporting server errors to Sentry with a client of the reporter's own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from apiconform.common.logs import get_logger
from apiconform.common.redaction import redact_text
from apiconform.errors import ConfigError
from apiconform.reference.errors.classify import (
    OncePerInterval,
    error_summary,
)
from apiconform.reference.errors.events import ErrorEvent

_log = get_logger("apiconform.monitoring")


class SentryReporter:
    """Sends unhandled 5xx errors to Sentry; off (a no-op) unless a ``dsn`` is given.

    Each event carries the tags ``service``, ``environment``, ``correlation_id``,
    ``status`` and ``severity``, the user ``{"id": user_id}`` when known, the request
    method and path, and an ``http`` breadcrumb for the request. With the exception
    object at hand Sentry gets its frames; local variables only with ``send_default_pii``.
    ``sample_rate`` is the share of events sent; ``sent`` counts those the SDK accepted.

    The reporter uses a ``sentry_sdk.Client`` of its own rather than ``sentry_sdk.init``:
    several applications may share a process, each with its own DSN, and a client of its
    own installs no process-wide hooks. ``transport`` replaces the HTTP transport (tests).
    """

    def __init__(
        self,
        dsn: str | None,
        *,
        environment: str,
        release: str | None = None,
        transport: Any = None,
        send_default_pii: bool = False,
        sample_rate: float = 1.0,
        log_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client: Any = None
        self._locals = send_default_pii
        self._failures = OncePerInterval(log_interval, clock)
        self.sent = 0
        if not dsn:
            return
        try:
            import sentry_sdk
        except ImportError as exc:
            raise ConfigError(
                "SentryReporter needs sentry-sdk: install apiconform[sentry]"
            ) from exc
        options: dict[str, Any] = {
            "environment": environment,
            "release": release,
            "transport": transport,
            "sample_rate": sample_rate,
            "include_local_variables": send_default_pii,
            "default_integrations": False,
            "auto_enabling_integrations": False,
            "integrations": [],
        }
        if send_default_pii:  # only when asked: recent SDKs deprecate the option itself
            options["send_default_pii"] = True
        try:
            self._client = sentry_sdk.Client(dsn, **options)
        except Exception as exc:  # BadDsn and kin; the DSN holds a key, so it is not shown
            raise ConfigError(f"sentry dsn is invalid: {type(exc).__name__}") from None

    @property
    def enabled(self) -> bool:
        return self._client is not None

    def report(self, event: ErrorEvent) -> None:
        """Hand a 5xx event to the Sentry client (whose transport sends it from a thread
        of its own); anything below 500 is a deliberate answer, not sent."""
        if self._client is None or event.status < 500:
            return
        try:
            sentry_event, hint = self._build(event)
            if self._client.capture_event(sentry_event, hint=hint) is not None:
                self.sent += 1
        except Exception as exc:  # never into the request path
            suppressed = self._failures.ready()
            if suppressed is not None:
                _log.warning(
                    "sentry report failed", error=error_summary(exc), suppressed=suppressed
                )

    def _build(self, event: ErrorEvent) -> tuple[dict[str, Any], dict[str, Any]]:
        from sentry_sdk.utils import event_from_exception

        if event.exception is not None:
            built, hint = event_from_exception(
                event.exception,
                client_options=self._client.options,
                mechanism={"type": "apiconform", "handled": False},
            )
            sentry_event: dict[str, Any] = dict(built)
            _redact_exceptions(sentry_event, keep_locals=self._locals)
        else:
            sentry_event = {
                "exception": {"values": [{"type": event.error_type, "value": event.message}]}
            }
            hint = {}
        request = f"{event.method or '-'} {event.path or '-'}"
        tags = {
            "service": event.service,
            "environment": event.environment,
            "correlation_id": event.correlation_id,
            "status": str(event.status),
            "severity": event.severity,
        }
        sentry_event.update(
            level="error",
            timestamp=event.timestamp,
            tags={key: value for key, value in tags.items() if value is not None},
            request={"method": event.method, "url": event.path},
            breadcrumbs={
                "values": [
                    {
                        "type": "http",
                        "category": "http",
                        "level": "error",
                        "message": request,
                        "timestamp": event.timestamp,
                        "data": {
                            "method": event.method,
                            "url": event.path,
                            "status_code": event.status,
                        },
                    }
                ]
            },
        )
        if event.user_id is not None:
            sentry_event["user"] = {"id": event.user_id}
        return sentry_event, hint

    async def aclose(self, timeout: float = 2.0) -> None:
        """Flush what the client holds (up to ``timeout`` seconds, off the event loop)
        and close it."""
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(client.close, timeout)


def _redact_exceptions(sentry_event: dict[str, Any], *, keep_locals: bool) -> None:
    """Mask credentials in the exception messages the SDK copied from the exception, and
    drop frame variables unless PII was consented to: a local may hold a token."""
    for value in (sentry_event.get("exception") or {}).get("values") or []:
        if isinstance(value.get("value"), str):
            value["value"] = redact_text(value["value"])
        for frame in (value.get("stacktrace") or {}).get("frames") or []:
            if not keep_locals:
                frame.pop("vars", None)
