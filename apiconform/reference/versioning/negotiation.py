"""Which version a request asks for: the first strategy in the configured priority order
that the request uses decides; none used, the default version serves it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from apiconform.reference.errors.exceptions import BadRequest, NotFound
from apiconform.reference.versioning.config import VersioningConfig
from apiconform.reference.versioning.parse import (
    Malformed,
    accept_versions,
    normalise,
    version_key,
)


@dataclass(frozen=True)
class Resolution:
    """The version that serves a request, and the strategy that named it (``default``
    when none did)."""

    version: str
    source: str


class Negotiator:
    def __init__(self, config: VersioningConfig) -> None:
        self.config = config
        self.supported = config.supported
        self.vary = f"{config.header}, Accept"
        self.default = Resolution(config.default, "default")
        self._header_name = config.header.lower().encode("latin-1")

    def _unsupported(self, kind: type[BadRequest | NotFound], detail: str) -> Exception:
        return kind(
            detail,
            extensions={"supportedVersions": list(self.supported)},
            headers={"Vary": self.vary},
        )

    def request_headers(self, raw: Iterable[tuple[bytes, bytes]]) -> tuple[str | None, str]:
        """The version header's value (None when absent) and ``Accept`` (empty when absent)
        of a request's raw headers; the first of each, as Starlette reads them."""
        header: str | None = None
        accept: str | None = None
        for name, value in raw:
            lowered = name.lower()
            if header is None and lowered == self._header_name:
                header = value.decode("latin-1")
            elif accept is None and lowered == b"accept":
                accept = value.decode("latin-1")
        return header, accept or ""

    def resolve(self, uri_token: str | None, header: str | None, accept: str) -> Resolution:
        """The version named by the URI token, the version header or ``Accept``, in the
        configured order; the default when none names one. Raises a 404 problem for an
        unsupported URI version, a 400 problem for a malformed or unsupported header or
        media type version, each listing the supported versions."""
        for strategy in self.config.strategies:
            if strategy == "uri" and uri_token is not None:
                return Resolution(self._uri(uri_token), "uri")
            if strategy == "header" and header is not None:
                return Resolution(self._header(header), "header")
            if strategy == "media_type":
                found = self._media(accept)
                if found is not None:
                    return Resolution(found, "media_type")
        return self.default

    def _uri(self, token: str) -> str:
        try:
            version = normalise(token)
        except Malformed:
            version = None
        if version not in self.config.versions:
            raise self._unsupported(NotFound, "this API version does not exist")
        return version

    def _header(self, value: str) -> str:
        name = self.config.header
        try:
            version = normalise(value)
        except Malformed as exc:
            raise self._unsupported(BadRequest, f"{name}: {exc}") from None
        if version not in self.config.versions:
            raise self._unsupported(BadRequest, f"{name} names a version that is not supported")
        return version

    def _media(self, accept: str) -> str | None:
        lowered = accept.lower()
        if "vnd." not in lowered and "version" not in lowered:
            return None  # the common case: no versioned media type at all
        try:
            offered = accept_versions(accept, self.config.vendor)
        except Malformed as exc:
            raise self._unsupported(BadRequest, f"Accept: {exc}") from None
        if not offered:
            return None
        known = [version for version in offered if version in self.config.versions]
        if not known:
            raise self._unsupported(BadRequest, "Accept names only versions that are not supported")
        return max(known, key=version_key)
