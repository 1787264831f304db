"""The versioning middleware: resolves a request's version, routes it to that version's
path, refuses unsupported and sunset versions, and marks the response (``X-API-Version``,
``Vary``, deprecation headers, the vendor media type)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiconform.common.logs import emit
from apiconform.reference.errors.exceptions import NotFound
from apiconform.reference.kernel.routing import ADDRESSED_ROUTE_KEY
from apiconform.reference.versioning.deprecation import (
    DeprecationWarnings,
    deprecation_headers,
)
from apiconform.reference.versioning.negotiation import Negotiator, Resolution
from apiconform.reference.versioning.table import VersionTable

VERSION_SCOPE_KEY = "apiconform.version"
"""Where the resolved :class:`Resolution` is kept in the request's scope."""
SUCCESSOR_SCOPE_KEY = "apiconform.version.successor"
"""The path of the requested resource in the successor version, when there is one."""
CLIENT_PATH_KEY = "apiconform.version.client_path"
"""The path the client asked for, when the middleware routed it to a versioned path."""
_JSON = b"application/json"
_VARY = b"vary"
_CONTENT_TYPE = b"content-type"


_Marks = tuple[list[tuple[bytes, bytes]], frozenset[bytes]]


def _log_default(level: str, path: str, version: str) -> None:
    """The line saying a request named no version (below the configured level: nothing,
    before any event is built)."""
    emit(
        "apiconform.versioning",
        level,
        "no version requested: default used",
        {
            "path": path,
            "version": version,
        },
    )


class VersioningMiddleware:
    def __init__(self, app: ASGIApp, *, table: VersionTable, warnings: DeprecationWarnings) -> None:
        self.app = app
        self.table = table
        self.config = table.config
        self.negotiator = Negotiator(table.config)
        self.warnings = warnings
        self.uri = "uri" in table.config.strategies
        # the encoded marks of each plain (not deprecated) answer, computed once
        self._vary = self.negotiator.vary.encode("latin-1")
        self._plain_marks: dict[tuple[tuple[str, str], ...], _Marks] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        split = self.table.split_uri(path)
        if split is not None and not self.uri and self.table.is_versioned(split[1]):
            # versioned paths are how routes are registered, not an address clients use
            raise NotFound("versions are not named in the path; use the version header")
        if not self.uri:
            split = None
        if split is None and not self.table.is_versioned(path):
            await self.app(scope, receive, send)
            return
        token, base = split if split is not None else (None, path)
        header, accept = self.negotiator.request_headers(scope["headers"])
        resolution = self.negotiator.resolve(token, header, accept)
        version = resolution.version
        if resolution.source == "default":
            _log_default(self.config.default_log_level, path, version)
            if self.config.redirect_unversioned:
                await self._redirect(scope, receive, send, version, base)
                return
        target = self.table.versioned_path(version, base)
        scope[VERSION_SCOPE_KEY] = resolution
        successor = self.config.versions[version].successor
        successor_path = (
            None
            if successor is None
            else quote(self.table.versioned_path(successor, base), safe="/:@!$&'()*+,;=-._~")
        )
        scope[SUCCESSOR_SCOPE_KEY] = successor_path
        extra = [
            ("X-API-Version", version),
            *deprecation_headers(self.config, version, successor_path),
        ]
        send_marked = self._marking(scope, send, resolution, extra)
        if target == path:
            await self.app(scope, receive, send_marked)
            return
        scope[CLIENT_PATH_KEY] = (path, scope.get("raw_path"))
        scope["path"] = target
        scope["raw_path"] = target.encode("utf-8")
        try:
            await self.app(scope, receive, send_marked)
        finally:
            addressed = _addressed(scope, path, target)
            if addressed is not None:
                scope[ADDRESSED_ROUTE_KEY] = addressed
            # problems and log lines name the path the client asked for
            restore_client_path(scope)

    def _marking(
        self, scope: Scope, send: Send, resolution: Resolution, extra: list[tuple[str, str]]
    ) -> Send:
        marks, replaced = self._encoded(extra)
        vendor_type = None
        if resolution.source == "media_type":
            vendor_type = f"application/vnd.{self.config.vendor}.v{resolution.version}+json"
        deprecated = self.config.versions[resolution.version]

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _marked(
                    message.get("headers", ()), marks, replaced, self._vary, vendor_type
                )
                route = scope.get("route")
                if deprecated.is_deprecated and route is not None:
                    self.warnings.used(resolution.version, getattr(route, "path", ""), deprecated)
            await send(message)

        return send_marked

    def _encoded(self, extra: list[tuple[str, str]]) -> _Marks:
        """The headers to add, encoded, and their names (each plain answer's once)."""
        key = tuple(extra)
        found = self._plain_marks.get(key)
        if found is None:
            marks = [
                (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in extra
            ]
            found = (marks, frozenset(name for name, _ in marks))
            if len(extra) == 1 and len(self._plain_marks) < 64:  # X-API-Version alone
                self._plain_marks[key] = found
        return found

    async def _redirect(
        self, scope: Scope, receive: Receive, send: Send, version: str, base: str
    ) -> None:
        location = self.table.versioned_path(version, base)
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            location = f"{location}?{query}"
        response = RedirectResponse(location, status_code=308)
        response.headers["Vary"] = self.negotiator.vary
        await response(scope, receive, send)


def _marked(
    raw: Iterable[tuple[bytes, bytes]],
    marks: list[tuple[bytes, bytes]],
    replaced: frozenset[bytes],
    vary: bytes,
    vendor_type: str | None,
) -> list[tuple[bytes, bytes]]:
    """The response's headers with ``marks`` in place of any of the same names, ``vary``
    added to ``Vary``, and a JSON ``Content-Type`` turned into ``vendor_type`` when given."""
    headers: list[tuple[bytes, bytes]] = []
    varied = False
    for name, value in raw:
        lowered = name.lower()
        if lowered in replaced:
            continue
        if lowered == _VARY and not varied:
            value, varied = value + b", " + vary, True
        elif (
            vendor_type is not None
            and lowered == _CONTENT_TYPE
            and value.split(b";", 1)[0].strip().lower() == _JSON
        ):
            value = vendor_type.encode("latin-1")
        headers.append((name, value))
    headers.extend(marks)
    if not varied:
        headers.append((_VARY, vary))
    return headers


def _addressed(scope: Scope, path: str, target: str) -> str | None:
    """The matched route's template without the version prefix this middleware added
    (``/users/{user_id}`` for a request to ``/users/5`` routed to ``/v2/users/5``)."""
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str) or not target.endswith(path) or path == target:
        return None
    prefix = target[: len(target) - len(path)] if path != "/" else target.rstrip("/")
    if not template.startswith(prefix):
        return None
    return template[len(prefix) :] or "/"


def restore_client_path(scope: Scope) -> None:
    """Put back the path the client asked for once routing is done."""
    saved = scope.pop(CLIENT_PATH_KEY, None)
    if saved is None:
        return
    scope["path"], raw_path = saved
    if raw_path is None:
        scope.pop("raw_path", None)
    else:
        scope["raw_path"] = raw_path
