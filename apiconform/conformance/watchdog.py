"""Noticing a target that stopped answering, so a run ends in seconds with one line
instead of a timeout per remaining request."""

from __future__ import annotations

import httpx

from apiconform.errors import ApiconformError

CONSECUTIVE_LIMIT = 3


class TargetUnresponsive(ApiconformError):
    """The target stopped answering: the run is aborted (exit status 2)."""


def describe(exc: httpx.TransportError, method: str, url: str, timeout: float) -> str:
    """One phrase for a transport failure: what was asked and what went wrong."""
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {timeout:g} s to {method} {url}"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect for {method} {url} ({exc or 'connection refused'})"
    return f"{method} {url} failed: {type(exc).__name__}: {exc}"


class Watchdog:
    """Counts consecutive transport failures across the checks of one run; after
    ``limit`` of them it raises :class:`TargetUnresponsive`."""

    def __init__(self, timeout: float, limit: int = CONSECUTIVE_LIMIT) -> None:
        self.timeout = timeout
        self.limit = limit
        self.consecutive = 0

    def answered(self) -> None:
        self.consecutive = 0

    def failed(self, exc: httpx.TransportError, method: str, url: str) -> None:
        self.consecutive += 1
        if self.consecutive >= self.limit:
            raise TargetUnresponsive(
                f"the target stopped answering: {self.consecutive} requests in a row failed, "
                f"the last: {describe(exc, method, url, self.timeout)}"
            )
