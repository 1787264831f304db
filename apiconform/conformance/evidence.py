"""HTTP access to a target that records every exchange as evidence for the report."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from apiconform.common.redaction import redact_body, redact_pairs, redact_text

EXCERPT = 2000
# Never copy credentials into a report, whoever sent them: besides every credential the
# shared redaction rules know (apiconform.common.redaction), OAuth codes and PKCE
# verifiers are masked too.
EXTRA_HIDDEN = frozenset({"code", "code_verifier"})


def _excerpt(data: bytes, content_type: str = "") -> str:
    text = data.decode("utf-8", errors="replace")
    redacted = redact_body(text, content_type, EXTRA_HIDDEN)
    body = redacted.encode("utf-8")
    text = body[:EXCERPT].decode("utf-8", errors="replace")
    return text + (f"... [{len(body) - EXCERPT} more bytes]" if len(body) > EXCERPT else "")


def _headers(headers: httpx.Headers) -> dict[str, str]:
    return dict(redact_pairs(headers.multi_items(), EXTRA_HIDDEN))


def _url(url: httpx.URL) -> str:
    if not url.query:
        return str(url)
    params = redact_pairs(url.params.multi_items(), EXTRA_HIDDEN)
    return str(url.copy_with(params=params))


def _request_body(request: httpx.Request) -> str:
    try:
        content = request.content
    except httpx.RequestNotRead:
        return "[streamed body]"
    return _excerpt(content, request.headers.get("content-type", "")) if content else ""


@dataclass
class Exchange:
    """One request and what came back (or the transport error)."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    error: str | None = None
    elapsed_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": self.request_headers,
                "body": self.request_body,
            },
            "response": {
                "status": self.status,
                "headers": self.response_headers,
                "body": self.response_body,
                "error": self.error,
                "elapsed_ms": self.elapsed_ms,
            },
        }

    def summary(self) -> str:
        outcome = self.error or f"{self.status}"
        return f"{self.method} {self.url} -> {outcome}"


class Recorder:
    """The exchanges of one check run (shared by every client the check uses)."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []


class TargetClient:
    """An ``httpx.Client`` bound to one base URL that records what it sends and receives.

    Redirects are not followed: checks look at them.
    """

    def __init__(
        self, base_url: str, recorder: Recorder | None = None, *, timeout: float = 10.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.recorder = recorder or Recorder()
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        request = self._client.build_request(method, url, **kwargs)
        exchange = Exchange(
            method=request.method,
            url=_url(request.url),
            request_headers=_headers(request.headers),
            request_body=_request_body(request),
        )
        self.recorder.exchanges.append(exchange)
        started = time.perf_counter()
        try:
            response = self._client.send(request)
        except httpx.HTTPError as exc:
            exchange.error = redact_text(f"{type(exc).__name__}: {exc}")
            raise
        finally:
            exchange.elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
        exchange.status = response.status_code
        exchange.response_headers = _headers(response.headers)
        exchange.response_body = _excerpt(
            response.content, response.headers.get("content-type", "")
        )
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> TargetClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
