"""Reporting server errors to webhooks: a bounded queue, a background sender with retries,
and an HMAC-SHA256 signature receivers can verify."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import httpx

from apiconform.common.logs import get_logger
from apiconform.errors import ConfigError
from apiconform.reference.errors.classify import (
    OncePerInterval,
    error_summary,
    is_transient,
)
from apiconform.reference.errors.events import ErrorEvent

_log = get_logger("apiconform.monitoring")

SIGNATURE_HEADER = "X-Apiconform-Signature"
EVENT_HEADER = "X-Apiconform-Event"


def sign(body: bytes, secret: str) -> str:
    """The ``X-Apiconform-Signature`` value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str, secret: str) -> bool:
    """For receivers: whether ``header`` (the ``X-Apiconform-Signature`` value) signs
    ``body`` with ``secret``.

    Pass the raw request body, before any JSON parsing: the signature covers the exact
    bytes. The comparison takes constant time, so timing reveals nothing of the digest.
    """
    return hmac.compare_digest(sign(body, secret), header.strip())


def _origin(url: str) -> str:
    """Scheme, host and port only: a webhook path often embeds its own token."""
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


class WebhookReporter:
    """POSTs each error event as JSON to every configured URL, from a background task.

    ``report()`` puts the event on a bounded queue (``queue_size``) and returns; when the
    queue is full the event is dropped and counted in ``dropped``, with one warning per
    ``log_interval`` seconds. The worker (started by :meth:`start` or the first
    ``report()`` on an event loop) sends ``Content-Type: application/json``,
    ``X-Apiconform-Event: error``, ``X-Apiconform-Service`` and, with a ``secret``,
    ``X-Apiconform-Signature`` (see :func:`verify_signature`). A transport error, a 5xx or
    a 429 is retried up to ``retries`` times after the first attempt, ``backoff * 2**n``
    seconds apart; then the delivery is given up with one warning. ``delivered`` and
    ``failed`` count deliveries per URL. ``payload`` replaces the body built from an event
    (default :meth:`ErrorEvent.to_payload`). ``report()`` is safe to call from worker
    threads once the worker runs: it hands the event to the worker's loop.
    """

    def __init__(
        self,
        urls: Sequence[str],
        *,
        secret: str | None,
        service: str,
        queue_size: int = 1000,
        retries: int = 3,
        timeout: float = 5.0,
        backoff: float = 0.5,
        client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        include_stack: bool = False,
        payload: Callable[[ErrorEvent], Mapping[str, Any]] | None = None,
        drain_timeout: float = 5.0,
        log_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not urls:
            raise ConfigError("error webhook: at least one URL is needed")
        for index, url in enumerate(urls):
            if httpx.URL(url).scheme not in ("http", "https"):
                raise ConfigError(f"error webhook: URL #{index + 1} must be http or https")
        if queue_size < 1 or retries < 0:
            raise ConfigError("error webhook: queue_size must be >= 1 and retries >= 0")
        self.urls = list(urls)
        self.service = service
        self._secret = secret
        self._retries = retries
        self._timeout = timeout
        self._backoff = backoff
        self._given_client = client
        self._own_client: httpx.AsyncClient | None = None
        self._sleep = sleep
        self._payload = payload or (lambda event: event.to_payload(include_stack=include_stack))
        self._drain_timeout = drain_timeout
        self._drops = OncePerInterval(log_interval, clock)
        self._queue: asyncio.Queue[ErrorEvent] = asyncio.Queue(maxsize=queue_size)
        self._worker: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending = 0  # queued or being delivered
        self._closed = False
        self.delivered = 0
        self.failed = 0
        self.dropped = 0

    @property
    def pending(self) -> int:
        """Events queued or being delivered."""
        return self._pending

    def report(self, event: ErrorEvent) -> None:
        """Queue ``event`` for delivery; never waits and never raises."""
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if self._loop is not None and running is not self._loop:
            try:  # another thread (a sync handler): asyncio.Queue is not thread-safe
                self._loop.call_soon_threadsafe(self._enqueue, event)
            except RuntimeError:  # the worker's loop is closed
                self._drop("closed")
            return
        self._enqueue(event)
        if running is not None and not self._closed:
            self._ensure_worker(running)

    def start(self) -> None:
        """Start the worker on the running loop now rather than on the first report."""
        self._ensure_worker(asyncio.get_running_loop())

    async def aclose(self) -> None:
        """Deliver what is queued within ``drain_timeout`` seconds, then stop the worker
        (events still undelivered count as dropped) and close the client it created."""
        self._closed = True
        if self._worker is None and self._pending:
            self._ensure_worker(asyncio.get_running_loop())
        if self._worker is not None:
            with contextlib.suppress(TimeoutError):  # what is left counts as dropped below
                await asyncio.wait_for(self._queue.join(), self._drain_timeout)
            self._worker.cancel()
            await asyncio.wait([self._worker])  # unlike ``await``, does not re-raise
            self._worker = None
        if self._pending:
            self.dropped += self._pending
            _log.warning(
                "error webhook closed with undelivered events",
                undelivered=self._pending,
                service=self.service,
            )
            self._pending = 0
        if self._own_client is not None:
            await self._own_client.aclose()
            self._own_client = None

    def _enqueue(self, event: ErrorEvent) -> None:
        if self._closed:
            self._drop("closed")
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._drop("queue full")
            return
        self._pending += 1

    def _drop(self, reason: str) -> None:
        self.dropped += 1
        suppressed = self._drops.ready()
        if suppressed is not None:
            _log.warning(
                "error event dropped",
                reason=reason,
                dropped=self.dropped,
                suppressed=suppressed,
                service=self.service,
            )

    def _ensure_worker(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._worker is None:
            self._loop = loop
            # A fresh context: the worker outlives the request that started it, and its
            # log lines must not carry that request's correlation id.
            self._worker = loop.create_task(
                self._run(), name="apiconform-error-webhook", context=contextvars.Context()
            )

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self._deliver(event)
            except Exception as exc:  # a bad payload hook must not stop the worker
                self.failed += len(self.urls)
                _log.warning(
                    "error webhook payload failed",
                    error=error_summary(exc),
                    event_correlation_id=event.correlation_id,
                )
            finally:
                self._queue.task_done()
            # not in ``finally``: an event whose delivery was cancelled is still pending,
            # and aclose() counts it as dropped
            self._pending -= 1

    async def _deliver(self, event: ErrorEvent) -> None:
        body = json.dumps(self._payload(event), separators=(",", ":"), default=str).encode()
        headers = {
            "Content-Type": "application/json",
            EVENT_HEADER: "error",
            "X-Apiconform-Service": self.service,
        }
        if self._secret:
            headers[SIGNATURE_HEADER] = sign(body, self._secret)
        await asyncio.gather(*(self._post(url, body, headers, event) for url in self.urls))

    async def _post(
        self, url: str, body: bytes, headers: dict[str, str], event: ErrorEvent
    ) -> None:
        client = self._client()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await client.post(
                    url, content=body, headers=headers, timeout=self._timeout
                )
            except httpx.HTTPError as exc:
                problem = error_summary(exc).replace(url, _origin(url))
                retryable = is_transient(exc)
            else:
                if response.is_success:
                    self.delivered += 1
                    return
                problem = f"HTTP {response.status_code}"
                retryable = response.status_code >= 500 or response.status_code == 429
            if not retryable or attempt > self._retries:
                break
            await self._sleep(self._backoff * 2 ** (attempt - 1))
        self.failed += 1
        _log.warning(
            "error webhook failed",
            target=_origin(url),
            attempts=attempt,
            error=problem,
            event_correlation_id=event.correlation_id,
        )

    def _client(self) -> httpx.AsyncClient:
        if self._given_client is not None:
            return self._given_client
        if self._own_client is None:
            self._own_client = httpx.AsyncClient(timeout=self._timeout)
        return self._own_client
