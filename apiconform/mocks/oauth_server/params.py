"""OAuth request parameters: each may appear once, and an empty value counts as absent
(RFC 6749 section 3.1)."""

from __future__ import annotations

from collections.abc import Iterable

from apiconform.mocks.oauth_server.errors import FlowError


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
