"""Client addresses, trusting proxy headers only from configured proxies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.types import Scope

Network = IPv4Network | IPv6Network


def _parse(value: str) -> IPv4Address | IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[::1]:8080"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "1.2.3.4:8080"
        value = value.split(":", 1)[0]
    try:
        return ip_address(value)
    except ValueError:
        return None


def _trusted(addr: IPv4Address | IPv6Address, proxies: Iterable[Network]) -> bool:
    return any(addr in net for net in proxies)


def client_ip(scope: Scope, trusted_proxies: Sequence[Network] = ()) -> str | None:
    """The client's address.

    ``X-Forwarded-For`` is read only when the direct peer is a trusted proxy; then the
    right-most address that is not itself a trusted proxy is the client. A malformed entry
    stops the walk, so a forged header cannot inject an arbitrary address.
    """
    client = scope.get("client")
    peer: str | None = str(client[0]) if client else None
    if peer is None or not trusted_proxies:
        return peer
    peer_addr = _parse(peer)
    if peer_addr is None or not _trusted(peer_addr, trusted_proxies):
        return peer
    forwarded: list[str] = []
    for name, value in scope.get("headers", ()):
        if name == b"x-forwarded-for":
            forwarded.extend(value.decode("latin-1").split(","))
    candidate = str(peer_addr)
    for hop in reversed(forwarded):
        addr = _parse(hop)
        if addr is None:
            break
        candidate = str(addr)
        if not _trusted(addr, trusted_proxies):
            break
    return candidate
