"""Correlation ids as the suite sends and reads them.

The suite sends an id it chose in both ``X-Correlation-ID`` and ``X-Request-ID`` (targets
read one or the other) and reads the id a target returns from either header, or from a
problem member (``correlationId``; ``traceId`` as ASP.NET writes it, ...).
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx

HEADERS = ("X-Correlation-ID", "X-Request-ID")
BODY_MEMBERS = ("correlationId", "correlation_id", "requestId", "request_id", "traceId")


def new_id(tag: str = "apiconform") -> str:
    """A fresh id no target has seen (a nonce)."""
    return f"{tag}-{secrets.token_hex(8)}"


def tagged(correlation_id: str) -> dict[str, str]:
    """Request headers that carry ``correlation_id`` whichever header the target reads."""
    return dict.fromkeys(HEADERS, correlation_id)


def from_headers(response: httpx.Response) -> list[str]:
    """The ids the response's headers return (one per header present)."""
    return [response.headers[h] for h in HEADERS if response.headers.get(h)]


def from_body(body: Any) -> list[str]:
    """The ids a problem body returns in a correlation member."""
    if not isinstance(body, dict):
        return []
    return [str(body[m]) for m in BODY_MEMBERS if isinstance(body.get(m), str) and body[m]]


def json_body(response: httpx.Response) -> Any:
    """The response's JSON, or None when it has none."""
    try:
        return response.json()
    except ValueError:
        return None


def returned(response: httpx.Response) -> list[str]:
    """Every correlation id the response returns, headers first."""
    return from_headers(response) + from_body(json_body(response))
