"""OAuth request parameters: each may appear once, and an empty value counts as absent
(RFC 6749 section 3.1)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import parse_qsl

from starlette.requests import Request

from apiconform.mocks.oauth_server.errors import FlowError

FORM_TYPE = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"


class Params:
    """The parameters of one request (query string, form body, or both)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name, []).append(value)

    def get(self, name: str) -> str | None:
        """The value of ``name``, None if absent or empty; repeated is ``invalid_request``."""
        values = [v for v in self._values.get(name, ()) if v != ""]
        if len(values) > 1:
            raise FlowError(
                "invalid_request", "param_repeated", f"Parameter {name} was given more than once."
            )
        return values[0] if values else None

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise missing(name)
        return value

    def first(self, name: str) -> str | None:
        """The first value of ``name`` without the repetition check (for echoing ``state``)."""
        values = self._values.get(name)
        return values[0] if values else None

    def __contains__(self, name: str) -> bool:
        return name in self._values


def missing(name: str) -> FlowError:
    """The error for a required parameter that was not given."""
    return FlowError("invalid_request", "param_missing", f"Missing required parameter: {name}")


def media_type(request: Request) -> str:
    """The request's media type without parameters, lower-cased ("" when none is given)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def is_form_post(request: Request) -> bool:
    """A POST with a form-encoded body (RFC 6750 section 2.2's conditions)."""
    return request.method == "POST" and media_type(request) == FORM_TYPE


def body_pairs(body: bytes, kind: str, accepted: tuple[str, ...]) -> list[tuple[str, str]]:
    """The parameters of a request body of media type ``kind``: form fields (also when no
    type is given), or the string members of a JSON object where ``accepted`` lists JSON.
    A body of a type the endpoint does not read carries no parameters."""
    if kind in ("", FORM_TYPE):
        return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    if kind not in accepted:
        return []
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
        return []
    if not isinstance(document, dict):
        return []
    return [(str(name), value) for name, value in document.items() if isinstance(value, str)]
