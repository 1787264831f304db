"""The issuer and every URL in discovery documents follow the Host the client used, and a
Host header the mock would not put into a URL is refused with a 400."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apiconform.mocks.factories import SentResponse, call_asgi, make_receive, make_scope
from apiconform.mocks.oauth_server import MockOAuthApp, MockOAuthServer
from apiconform.mocks.oauth_server.hostguard import valid_host

DISCOVERY = {
    "google": "/google/.well-known/openid-configuration",
    "microsoft": "/microsoft/v2.0/.well-known/openid-configuration",
}
ISSUER = {"google": "/google", "microsoft": "/microsoft/v2.0"}


def urls_in(document: dict[str, Any]) -> list[str]:
    return [v for v in document.values() if isinstance(v, str) and v.startswith("http")]


def assert_follows(document: dict[str, Any], base: str, provider: str) -> None:
    assert document["issuer"] == base + ISSUER[provider]
    urls = urls_in(document)
    assert len(urls) >= 5  # issuer, authorize, token, userinfo, jwks
    assert all(url.startswith(base + "/") for url in urls), urls


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_discovery_follows_127_0_0_1_and_localhost(provider: str) -> None:
    with MockOAuthServer() as mock:
        port = mock.url.rsplit(":", 1)[1]
        for host in ("127.0.0.1", "localhost"):
            base = f"http://{host}:{port}"
            document = httpx.get(base + DISCOVERY[provider], timeout=10).json()
            assert_follows(document, base, provider)


@pytest.mark.skipif(not ipv6_loopback(), reason="this machine cannot bind the IPv6 loopback ::1")
@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_discovery_follows_the_ipv6_loopback(provider: str) -> None:
    with MockOAuthServer(host="::1") as mock:
        assert mock.url.startswith("http://[::1]:")
        document = httpx.get(mock.url + DISCOVERY[provider], timeout=10).json()
    assert_follows(document, mock.url, provider)


async def test_the_index_and_consent_form_follow_the_host_too() -> None:
    app = MockOAuthApp()
    index = await call_asgi(app, "GET", "/", headers={"host": "localhost:9000"})
    assert index.json()["control"] == "http://localhost:9000/_control"
    assert index.json()["providers"]["github"]["user"] == "http://localhost:9000/github/api/user"
    query = {
        "client_id": "apiconform-client",
        "redirect_uri": "http://127.0.0.1:1/cb",
        "response_type": "code",
        "scope": "openid",
    }
    page = await call_asgi(
        app, "GET", "/google/o/oauth2/v2/auth", query=query, headers={"host": "[::1]:9000"}
    )
    assert 'action="http://[::1]:9000/google/_consent"' in page.text


HOSTILE = [
    'evil.example"><script>',
    "two words",
    "a/b",
    "user@host",
    "host:port",
    "host:",
    "host:0",
    "host:65536",
    "host:123456",
    "[::1",
    "[::1]x",
    "[::1]:",
    "[fe80::1%eth0]",
    "[not-an-address]",
    "::1",
    "-leading.dash",
    "trailing.dot.",
    "a..b",
    "x" * 64,
    ".".join(["abc"] * 70),
    "",
]


async def send_raw(
    headers: list[tuple[bytes, bytes]], path: str = DISCOVERY["google"], version: str = "1.1"
) -> SentResponse:
    """The app's answer to a request with exactly these header lines."""
    scope = {**make_scope("GET", path), "headers": headers, "http_version": version}
    sent = SentResponse()
    await MockOAuthApp()(scope, make_receive(), sent)
    return sent


@pytest.mark.parametrize("host", HOSTILE)
async def test_a_bad_host_is_a_400_that_does_not_echo_it(host: str) -> None:
    sent = await send_raw([(b"host", host.encode())])
    assert sent.status == 400
    assert sent.headers["content-type"] == "application/json"
    assert sent.json()["error"] == "invalid_request"
    if host:
        assert host not in sent.text


async def test_two_host_headers_none_in_http_1_1_or_non_ascii_are_refused() -> None:
    assert (await send_raw([(b"host", b"a"), (b"host", b"b")])).status == 400
    assert (await send_raw([])).status == 400
    assert (await send_raw([(b"host", "\u00e9t\u00e9".encode())])).status == 400
    old = await send_raw([], version="1.0")  # HTTP/1.0 has no Host: the server's address
    assert old.status == 200
    assert old.json()["issuer"] == "http://testserver/google"


def raw_request(port: int, head: bytes) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + b"Connection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


def test_over_the_wire_bad_hosts_get_json_and_http_1_0_gets_the_servers_address() -> None:
    with MockOAuthServer() as mock:
        port = int(mock.url.rsplit(":", 1)[1])
        path = DISCOVERY["google"].encode()
        status, body = raw_request(port, b"GET " + path + b' HTTP/1.1\r\nHost: a"b<c>\r\n')
        assert (status, json.loads(body)["error"]) == (400, "invalid_request")
        assert b"<c>" not in body
        status, body = raw_request(port, b"GET " + path + b" HTTP/1.1\r\nHost: a\r\nHost: b\r\n")
        assert status == 400
        status, body = raw_request(port, b"GET " + path + b" HTTP/1.0\r\n")
        assert status == 200
        assert json.loads(body)["issuer"] == f"http://127.0.0.1:{port}/google"


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:8484", "127.0.0.1:1", "[::1]:65535", "[2001:db8::7]", "a-b.c_d.e",
     "accounts.google.com", "mock-oauth.test"],
)  # fmt: skip
def test_plain_hosts_are_valid(host: str) -> None:
    assert valid_host(host)


@settings(max_examples=200, deadline=None)
@given(host=st.text(max_size=40))
async def test_any_host_is_either_followed_exactly_or_refused(host: str) -> None:
    try:
        encoded = host.encode("latin-1")
    except UnicodeEncodeError:
        return  # not expressible in an HTTP header
    sent = await send_raw([(b"host", encoded)])
    if valid_host(host):
        assert sent.status == 200
        assert sent.json()["issuer"] == f"http://{host}/google"
    else:
        assert sent.status == 400
