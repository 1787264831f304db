"""Probe routes for error recovery (ERR-RECOV-01/02): a database operation retried on
transient failures, and a downstream call behind a circuit breaker.

The downstream is the app's ``settings.downstream_url`` (the conformance suite points it
at its echo server); without one the breaker route answers 503.
"""

from __future__ import annotations

from typing import Any

import httpx

from apiconform.reference.errors.exceptions import ServiceUnavailable
from apiconform.reference.errors.resilience import CircuitBreaker, retry
from apiconform.reference.kernel import Application, controller, get, service
from apiconform.reference.store import Database

RETRY_ATTEMPTS = 5
RETRY_BASE_DELAY = 0.1
RETRY_MAX_DELAY = 2.0
RETRY_JITTER = True
BREAKER_THRESHOLD = 3
BREAKER_RESET = 1.0


@controller("errors/recovery")
class RetryController:
    """The retried database operation."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @get("/retry")
    async def retried_ping(self) -> dict[str, str]:
        """Pings the database up to :data:`RETRY_ATTEMPTS` times with exponential backoff;
        every retry is logged."""
        ping = retry(
            attempts=RETRY_ATTEMPTS,
            base_delay=RETRY_BASE_DELAY,
            max_delay=RETRY_MAX_DELAY,
            jitter=RETRY_JITTER,
            name="demo.database-ping",
        )(self.database.ping)
        await ping()
        return {"database": "up"}


@service(lifetime="singleton")
class GuardedDownstream:
    """A downstream service behind a circuit breaker, one per application."""

    def __init__(self, app: Application) -> None:
        url = app.config.settings.get("downstream_url")
        self.url = str(url) if url else None
        self.breaker = CircuitBreaker(
            f"{app.id}:downstream",
            failure_threshold=BREAKER_THRESHOLD,
            reset_timeout=BREAKER_RESET,
        )
        self._client = httpx.AsyncClient(timeout=2.0)

    async def fetch(self) -> Any:
        if self.url is None:
            raise ServiceUnavailable("no downstream service is configured", retry_after=60)
        return await self.breaker.call(self._get, self.url)

    async def _get(self, url: str) -> Any:
        response = await self._client.get(url)
        if response.status_code >= 500:
            raise ServiceUnavailable("the downstream service failed", retry_after=1)
        return response.json()

    async def aclose(self) -> None:
        await self._client.aclose()


@controller("errors/recovery")
class BreakerController:
    """The downstream call behind the circuit breaker."""

    def __init__(self, downstream: GuardedDownstream) -> None:
        self.downstream = downstream

    @get("/breaker")
    async def guarded_call(self) -> dict[str, Any]:
        return {"downstream": await self.downstream.fetch()}
