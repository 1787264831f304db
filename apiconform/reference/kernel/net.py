"""The client's address: resolved once per request, trusting proxy headers only from
configured proxies.

:func:`resolve_client_ip` is the one resolution point; the request-scope middleware calls
it when a request arrives and keeps the answer in the ASGI scope, where logs, error
handling and the throttler read it with :func:`client_address`. uvicorn's own proxy-header
handling is off (see :mod:`apiconform.common.serving`), so the socket peer reaches here
untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Literal

from starlette.types import Scope

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address
ProxyHeader = Literal["x-forwarded-for", "forwarded"]
CLIENT_IP_KEY = "apiconform.client_ip"


def parse_address(value: str) -> Address | None:
    """An address from a header or a peer: ``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``,
    ``::1`` or a quoted ``"[::1]:80"``; IPv4-mapped IPv6 (``::ffff:1.2.3.4``) becomes the
    IPv4 address. Anything else (``unknown``, ``_hidden``, garbage) is None."""
    value = value.strip().strip('"')
    if value.startswith("[") and "]" in value:  # "[::1]:8080"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "1.2.3.4:8080"
        value = value.split(":", 1)[0]
    if "%" in value:  # an IPv6 zone identifier names an interface, not a client
        return None
    try:
        address = ip_address(value)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(addr: Address, proxies: Iterable[Network]) -> bool:
    return any(addr in net for net in proxies)


def _hops(scope: Scope, header: ProxyHeader) -> list[str]:
    """The addresses the proxies appended, left to right (several header lines in order)."""
    hops: list[str] = []
    name = header.encode()
    for key, value in scope.get("headers", ()):
        if key != name:
            continue
        text = value.decode("latin-1")
        if header == "x-forwarded-for":
            hops.extend(text.split(","))
            continue
        for element in text.split(","):  # RFC 7239: for=...; proto=...; by=...
            found = "unparsable"
            for pair in element.split(";"):
                key_text, _, pair_value = pair.strip().partition("=")
                if key_text.strip().lower() == "for":
                    found = pair_value
            hops.append(found)
    return hops


def resolve_client_ip(
    scope: Scope,
    trusted_proxies: Sequence[Network] = (),
    header: ProxyHeader = "x-forwarded-for",
) -> str | None:
    """The client's address for this request.

    The proxy ``header`` is read only when the socket peer is a trusted proxy; then the
    right-most address that is not itself a trusted proxy is the client (what a client
    puts in the header itself sits further left, behind what our proxies appended). A
    malformed entry stops the walk, so a forged header cannot inject an address.
    """
    client = scope.get("client")
    if not client:
        return None
    host = str(client[0])
    if not trusted_proxies and ":" not in host:  # IPv4 or a name: nothing to normalise
        return host
    peer = parse_address(host)
    if peer is None:
        return str(client[0])
    if not trusted_proxies or not _trusted(peer, trusted_proxies):
        return str(peer)
    candidate = peer
    for hop in reversed(_hops(scope, header)):
        addr = parse_address(hop)
        if addr is None:
            break
        candidate = addr
        if not _trusted(addr, trusted_proxies):
            break
    return str(candidate)


def client_address(scope: Scope) -> str | None:
    """The client address the kernel resolved for this request (the socket peer when the
    request did not come through the kernel's middleware)."""
    if CLIENT_IP_KEY in scope:
        found: str | None = scope[CLIENT_IP_KEY]
        return found
    return resolve_client_ip(scope)


def client_ip(scope: Scope, trusted_proxies: Sequence[Network] = ()) -> str | None:
    """:func:`resolve_client_ip` with ``X-Forwarded-For``."""
    return resolve_client_ip(scope, trusted_proxies)
