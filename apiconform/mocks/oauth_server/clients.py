"""Client authentication and redirect URI rules."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Collection
from urllib.parse import unquote_plus, urlsplit

from apiconform.mocks.oauth_server.config import LOOPBACK_REDIRECTS, ClientConfig, MockOAuthConfig
from apiconform.mocks.oauth_server.errors import FlowError
from apiconform.mocks.oauth_server.params import Params


def authenticate(
    config: MockOAuthConfig,
    params: Params,
    authorization: str | None,
    *,
    methods: Collection[str] = ("client_secret_post", "client_secret_basic"),
) -> ClientConfig:
    """The client of a token request, by HTTP Basic (``client_secret_basic``) or by request
    parameters (``client_secret_post``), as far as ``methods`` allows: a provider that does
    not take HTTP Basic ignores the header. Public clients send only their id."""
    basic = _basic(authorization) if "client_secret_basic" in methods else None
    client_id: str | None
    secret: str | None
    if basic is not None:
        client_id, secret = basic
    else:
        client_id, secret = params.get("client_id"), params.get("client_secret")
    if not client_id:
        raise FlowError(
            "invalid_request", "client_missing", "Could not determine client ID from request."
        )
    client = config.client(client_id)
    if client is None:
        raise FlowError("invalid_client", "client_unknown", "The OAuth client was not found.")
    if client.client_secret is None:
        return client
    if not secret:
        raise FlowError("invalid_client", "client_secret_missing", "Client secret is missing.")
    if not hmac.compare_digest(secret.encode(), client.client_secret.encode()):
        raise FlowError("invalid_client", "client_secret_wrong", "Client authentication failed.")
    return client


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise FlowError(
            "invalid_client", "client_unknown", "Malformed Basic authorization header."
        ) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise FlowError("invalid_client", "client_unknown", "Malformed Basic authorization header.")
    # RFC 6749 section 2.3.1: both parts are form-urlencoded before joining.
    return unquote_plus(client_id), unquote_plus(secret)


def redirect_allowed(client: ClientConfig, uri: str) -> bool:
    """Whether ``uri`` matches one of the client's redirect URIs exactly (``*`` standing for
    any port); with none registered, any loopback URL."""
    if "#" in uri:
        return False
    patterns = client.redirect_uris or LOOPBACK_REDIRECTS
    return any(_matches(pattern, uri) for pattern in patterns)


def _matches(pattern: str, uri: str) -> bool:
    if ":*" not in pattern:
        return uri == pattern
    want = urlsplit(pattern.replace(":*", "", 1))
    try:
        got = urlsplit(uri)  # raises ValueError for a bad IPv6 host ("http://[::1:5/cb")
        port = got.port  # raises ValueError for a port that is not a number
    except ValueError:
        return False
    if got.scheme != want.scheme or got.hostname != want.hostname:
        return False
    # The host and port must be all there is: urlsplit overlooks "[::1]x:1", "user@" and
    # "localhost:" (no port), which no client could follow.
    host = f"[{got.hostname}]" if ":" in (got.hostname or "") else got.hostname
    if got.netloc.lower() != (host if port is None else f"{host}:{port}"):
        return False
    if not want.path and not want.query:
        return True  # a bare origin pattern allows any path
    return (got.path, got.query) == (want.path, want.query)


def default_redirect(client: ClientConfig) -> str | None:
    """The redirect URI to use when a request names none: the client's only exact one."""
    exact = [uri for uri in client.redirect_uris if ":*" not in uri]
    return exact[0] if len(client.redirect_uris) == 1 and exact else None
