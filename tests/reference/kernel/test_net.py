from __future__ import annotations

from ipaddress import ip_network

import pytest

from apiconform.reference.kernel.net import (
    CLIENT_IP_KEY,
    client_address,
    client_ip,
    parse_address,
    resolve_client_ip,
)

PROXIES = [ip_network("10.0.0.0/8"), ip_network("::1/128")]


def scope(peer: str | None, *forwarded: str) -> dict[str, object]:
    return {
        "client": (peer, 1234) if peer else None,
        "headers": [(b"x-forwarded-for", f.encode()) for f in forwarded],
    }


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() -> None:
    assert client_ip(scope("203.0.113.9", "1.1.1.1")) == "203.0.113.9"


def test_header_from_an_untrusted_peer_is_ignored() -> None:
    assert client_ip(scope("203.0.113.9", "1.1.1.1"), PROXIES) == "203.0.113.9"


def test_trusted_proxy_hands_over_the_rightmost_untrusted_hop() -> None:
    # the client may prepend anything; only what our proxies appended is believed
    header = "6.6.6.6, 198.51.100.7, 10.1.1.1"
    assert client_ip(scope("10.0.0.2", header), PROXIES) == "198.51.100.7"


def test_multiple_header_lines_are_read_in_order() -> None:
    assert client_ip(scope("10.0.0.2", "6.6.6.6", "198.51.100.7"), PROXIES) == "198.51.100.7"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("198.51.100.7:8080", "198.51.100.7"),
        ("2001:db8::2", "2001:db8::2"),
    ],
)
def test_addresses_with_ports_and_ipv6_are_parsed(header: str, expected: str) -> None:
    assert client_ip(scope("::1", header), PROXIES) == expected


def test_garbage_in_the_header_stops_the_walk() -> None:
    assert client_ip(scope("10.0.0.2", "1.1.1.1, <script>"), PROXIES) == "10.0.0.2"


def test_all_hops_trusted_gives_the_leftmost() -> None:
    assert client_ip(scope("10.0.0.2", "10.9.9.9"), PROXIES) == "10.9.9.9"


def test_missing_or_odd_peer() -> None:
    assert client_ip(scope(None)) is None
    assert client_ip(scope("unix-socket", "1.1.1.1"), PROXIES) == "unix-socket"


def forwarded_scope(peer: str, *values: str) -> dict[str, object]:
    return {"client": (peer, 1), "headers": [(b"forwarded", v.encode()) for v in values]}


def test_the_forwarded_header_is_read_when_configured() -> None:
    value = 'for=6.6.6.6, for="[2001:db8::7]:4711";proto=https, for=10.1.1.1;by=10.0.0.1'
    scope = forwarded_scope("10.0.0.2", value)
    assert resolve_client_ip(scope, PROXIES, "forwarded") == "2001:db8::7"
    # the other header is not believed when the proxies use this one
    assert resolve_client_ip(scope, PROXIES, "x-forwarded-for") == "10.0.0.2"


@pytest.mark.parametrize("hidden", ["for=unknown", "for=_gazonk", "proto=https"])
def test_obfuscated_or_missing_forwarded_nodes_stop_the_walk(hidden: str) -> None:
    scope = forwarded_scope("10.0.0.2", f"for=6.6.6.6, {hidden}")
    assert resolve_client_ip(scope, PROXIES, "forwarded") == "10.0.0.2"


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        ("::ffff:203.0.113.9", "1.1.1.1", "203.0.113.9"),  # mapped peer, untrusted
        ("::ffff:10.0.0.2", "::ffff:198.51.100.7", "198.51.100.7"),  # both mapped
        ("10.0.0.2", "fe80::1%eth0", "10.0.0.2"),  # a zone id is no client address
    ],
)
def test_ipv4_mapped_addresses_are_normalised(peer: str, header: str, expected: str) -> None:
    assert resolve_client_ip(scope(peer, header), PROXIES) == expected


def test_the_resolved_address_is_read_from_the_scope() -> None:
    assert client_address({CLIENT_IP_KEY: "198.51.100.1", "client": ("127.0.0.1", 1)}) == (
        "198.51.100.1"
    )
    assert client_address({"client": ("127.0.0.1", 1)}) == "127.0.0.1"
    assert parse_address('"[::1]:80"') == parse_address("::1")
