"""The version table: which paths exist in which versions, filled by the route transform
that registers a versioned route once per version under its versioned path."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from starlette.routing import compile_path

from apiconform.errors import ConfigError
from apiconform.reference.kernel.feature import RouteDef
from apiconform.reference.versioning.config import VersioningConfig
from apiconform.reference.versioning.decorator import declared_versions

VERSION_KEY = "x-api-version"
"""The OpenAPI extension that names an operation's version."""


class VersionConflictError(ConfigError):
    """Two handlers for one method, path and version, or a route in an unknown version."""


class VersionTable:
    """Versioned routes of one application, and how paths carry versions."""

    def __init__(self, config: VersioningConfig) -> None:
        self.config = config
        self.supported = config.supported
        self._handlers: dict[tuple[str, str, str], str] = {}
        self._static: set[str] = set()
        self._patterns: dict[str, re.Pattern[str]] = {}
        prefix = config.uri_prefix
        self._uri = re.compile(rf"/{re.escape(prefix)}([^/]*)(/.*)?", re.DOTALL)

    def versioned_path(self, version: str, path: str) -> str:
        """``path`` under ``version``: ``/users`` in 2 is ``/v2/users`` (prefix ``v``)."""
        return f"/{self.config.uri_prefix}{version}{path if path != '/' else ''}"

    def split_uri(self, path: str) -> tuple[str, str] | None:
        """(version token, path without it) when ``path`` starts with a URI version;
        None when it does not. After a prefix that is not a segment of its own, a token
        that does not begin like a number (``/videos`` under prefix ``v``) is no version."""
        found = self._uri.fullmatch(path)
        if found is None:
            return None
        token, rest = found.group(1), found.group(2) or "/"
        numeric = token.lstrip("+-")[:1].isdigit()  # a sign is a wrong version, not a word
        if not self.config.uri_prefix.endswith("/") and not numeric:
            return None
        return token, rest

    def is_versioned(self, path: str) -> bool:
        """Whether some versioned route has ``path`` (without a version)."""
        if path in self._static:
            return True
        return any(pattern.fullmatch(path) for pattern in self._patterns.values())

    def transform(self, definition: RouteDef) -> Iterator[RouteDef]:
        """The route transform: one route per version the route is in."""
        versions = declared_versions(definition)
        if versions is None:
            if self.config.unversioned == "neutral":
                yield definition
                return
            versions = (self.config.default,)
        if not versions:
            yield definition
            return
        for version in versions:
            self._claim(definition, version)
            yield definition.replace(
                path=self.versioned_path(version, definition.path),
                options=self._options(definition, version),
            )

    def _claim(self, definition: RouteDef, version: str) -> None:
        if version not in self.config.versions:
            raise VersionConflictError(
                f"{definition.name} is declared in version {version!r}, which is not "
                f"configured; versions: {', '.join(self.supported)}"
            )
        key = (definition.http_method, definition.path, version)
        other = self._handlers.setdefault(key, definition.name)
        if other != definition.name:
            raise VersionConflictError(
                f"{definition.http_method} {definition.path} in version {version} has two "
                f"handlers: {other} and {definition.name}"
            )
        if "{" in definition.path:
            self._patterns.setdefault(definition.path, compile_path(definition.path)[0])
        else:
            self._static.add(definition.path)

    def _options(self, definition: RouteDef, version: str) -> dict[str, Any]:
        options = dict(definition.options)
        extra = dict(options.get("openapi_extra") or {})
        extra[VERSION_KEY] = version
        options["openapi_extra"] = extra
        if self.config.versions[version].is_deprecated:
            options["deprecated"] = True
        return options
