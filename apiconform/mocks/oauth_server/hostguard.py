"""The Host header, checked before anything reads it.

The mock builds every URL it hands out (issuers, discovery documents, consent forms,
GitHub's resource URLs) from the Host header the client sent, so that a client reaching it
at ``127.0.0.1``, ``localhost`` or ``[::1]`` sees its own address back. Before that header
goes into a document it must be one plain ``host[:port]`` (RFC 9110 section 7.2): a host
name, an IPv4 address or a bracketed IPv6 address, and a port from 1 to 65535. Anything
else, and a request with two Host headers or an HTTP/1.1 request with none, gets a 400
(RFC 9112 section 3.2) without the value being echoed. An HTTP/1.0 request without a
Host header is answered with the server's own address, as it always was.
"""

from __future__ import annotations

import ipaddress
import re

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_PORT = re.compile(r"[0-9]{1,5}")
MAX_NAME = 253


def valid_host(value: str) -> bool:
    """Whether ``value`` is one ``host[:port]``: a DNS name, an IPv4 address or a bracketed
    IPv6 address (no zone), with an optional port from 1 to 65535."""
    if value.startswith("["):
        literal, bracket, rest = value[1:].partition("]")
        if not bracket or not _ipv6(literal):
            return False
        port = rest[1:] if rest.startswith(":") else None
        return rest == "" or (port is not None and _valid_port(port))
    name, colon, port = value.partition(":")
    if colon and not _valid_port(port):
        return False
    return len(name) <= MAX_NAME and _NAME.fullmatch(name) is not None


def _ipv6(literal: str) -> bool:
    if "%" in literal:  # a zone id has no meaning to another host
        return False
    try:
        ipaddress.IPv6Address(literal)
    except ValueError:
        return False
    return True


def _valid_port(port: str) -> bool:
    return _PORT.fullmatch(port) is not None and 0 < int(port) < 65536


class HostHeaderGuard:
    """Pure ASGI middleware: answers 400 to a request whose Host header the mock would not
    put into a URL; passes everything else (and non-HTTP scopes) through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._acceptable(scope):
            description = (
                "The Host header must be given once, as a host name, an IPv4 address or a "
                "bracketed IPv6 address, with an optional port."
            )
            response = JSONResponse(
                {"error": "invalid_request", "error_description": description}, status_code=400
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _acceptable(scope: Scope) -> bool:
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        if not hosts:
            return scope.get("http_version") == "1.0"
        if len(hosts) > 1:
            return False
        try:
            value = hosts[0].decode("ascii")
        except UnicodeDecodeError:
            return False
        return valid_host(value)
