"""Every request a provider received, kept for assertions.

``journal.find(provider="google", endpoint="token")[-1].form["code_verifier"]`` answers
"did the token request carry a code_verifier?". The journal is test evidence, not a log:
in Python it keeps headers and bodies as sent, so never print it where logs go.

Its JSON form (``GET /_control/requests``) masks credentials as ``[redacted]``: the
``Authorization`` and ``Cookie`` headers, and client secrets, access, refresh and id tokens
in the query, the form and the body. Codes and code verifiers stay: they are single-use,
and the evidence that a client used PKCE. ``to_json(redact=False)`` (``?raw=1``) shows all.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from apiconform.common.redaction import REDACTED, is_secret_name
from apiconform.common.redaction import redact_body as _redact_body

FORM_TYPE = "application/x-www-form-urlencoded"
# Codes and PKCE verifiers stay visible: single-use, and the evidence a client used PKCE.


def _secret(name: str) -> bool:
    return is_secret_name(name)


def redact_fields(values: dict[str, str]) -> dict[str, str]:
    """``values`` with the secret ones masked."""
    return {k: REDACTED if _secret(k) else v for k, v in values.items()}


def redact_body(body: str) -> str:
    """A request body with secret values masked: form fields (whatever the content type
    said, as the token endpoint reads them), JSON members and credentials in text."""
    return _redact_body(body)


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

    def to_json(self, *, redact: bool = True) -> dict[str, Any]:
        """The record as JSON, credentials masked unless ``redact`` is false."""
        data = asdict(self)
        if redact:
            data["headers"] = redact_fields(self.headers)
            data["query"] = redact_fields(self.query)
            data["form"] = redact_fields(self.form)
            data["body"] = redact_body(self.body)
        return data


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
