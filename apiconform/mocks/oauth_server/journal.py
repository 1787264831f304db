"""Every request a provider received, kept for assertions.

``journal.find(provider="google", endpoint="token")[-1].form["code_verifier"]`` answers
"did the token request carry a code_verifier?". The journal is test evidence, not a log:
it keeps headers and bodies as sent, so never print it where logs go.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl

FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass
class RecordedRequest:
    """One request as the mock saw it. ``status`` is None when no response was sent (a
    connection reset) or the response has not started yet."""

    seq: int
    time: float
    provider: str
    endpoint: str | None
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: str
    form: dict[str, str] = field(default_factory=dict)
    status: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_form(body: bytes) -> dict[str, str]:
    """A form body as a dict (the last value wins for a repeated name)."""
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


class Journal:
    """The recorded requests, oldest first. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RecordedRequest] = []
        self._seq = 0

    def record(
        self,
        *,
        time: float,
        provider: str,
        endpoint: str | None,
        method: str,
        path: str,
        query_string: bytes,
        headers: dict[str, str],
        body: bytes,
    ) -> RecordedRequest:
        is_form = headers.get("content-type", "").split(";")[0].strip() == FORM_TYPE
        with self._lock:
            self._seq += 1
            record = RecordedRequest(
                seq=self._seq,
                time=time,
                provider=provider,
                endpoint=endpoint,
                method=method,
                path=path,
                query=parse_form(query_string),
                headers=headers,
                body=body.decode("utf-8", "replace"),
                form=parse_form(body) if is_form else {},
            )
            self._records.append(record)
        return record

    def find(
        self,
        provider: str | None = None,
        endpoint: str | None = None,
        *,
        path: str | None = None,
        method: str | None = None,
    ) -> list[RecordedRequest]:
        """The recorded requests matching every given filter, oldest first."""
        with self._lock:
            records = list(self._records)
        return [
            r
            for r in records
            if (provider is None or r.provider == provider)
            and (endpoint is None or r.endpoint == endpoint)
            and (path is None or r.path == path)
            and (method is None or r.method == method.upper())
        ]

    def last(self, provider: str | None = None, endpoint: str | None = None) -> RecordedRequest:
        """The newest matching request; ``LookupError`` if there is none."""
        found = self.find(provider, endpoint)
        if not found:
            raise LookupError(f"no request recorded for provider={provider} endpoint={endpoint}")
        return found[-1]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
