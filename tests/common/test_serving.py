"""Serving over real loopback HTTP: TCP_NODELAY on accepted connections, and no proxy
header believed unless the application trusts the peer."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket

import httpx
import pytest

from apiconform.common.loop import loop_factory
from apiconform.common.serving import Server, bind
from apiconform.reference.kernel import ApplicationFactory, AppRegistry, controller, get
from tests.conftest import LogCapture


async def hello(scope: object, receive: object, send: object) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"hi"})  # type: ignore[operator]


def nodelay_of_accepted(local: tuple[str, int], peer: tuple[str, int]) -> list[int]:
    """TCP_NODELAY of this process's sockets connected from ``peer`` to ``local``: the
    server side of an accepted connection, found through /proc/self/fd."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            fd = os.dup(int(name))
        except OSError:
            continue
        try:
            sock = socket.socket(fileno=fd)
        except OSError:
            os.close(fd)
            continue
        with sock:
            try:
                if sock.getsockname()[:2] == local and sock.getpeername()[:2] == peer:
                    found.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            except OSError:
                pass
    return found


def test_the_listening_socket_says_it_is_tcp() -> None:
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


@pytest.mark.parametrize("loop_name", ["asyncio", "uvloop"])
def test_accepted_connections_have_tcp_nodelay(
    loop_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APICONFORM_LOOP", loop_name)
    name, factory = loop_factory()
    assert name == loop_name

    async def main() -> list[int]:
        server = Server(hello, "127.0.0.1", 0, drain_timeout=1)
        await server.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            await reader.readuntil(b"hi")
            peer = writer.get_extra_info("sockname")[:2]
            found = nodelay_of_accepted(("127.0.0.1", server.port), peer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            return found
        finally:
            await server.stop(0)

    with asyncio.Runner(loop_factory=factory) as runner:
        options = runner.run(main())
    assert options, "the accepted socket was not found"
    assert all(option != 0 for option in options)


@controller("who")
class WhoController:
    @get("")
    async def who(self) -> dict[str, str]:
        return {}


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [([], "127.0.0.1"), (["127.0.0.0/8"], "198.51.100.7")],
)
async def test_forwarding_headers_count_only_from_a_trusted_peer(
    registry: AppRegistry, logs: LogCapture, trusted: list[str], expected: str
) -> None:
    app = ApplicationFactory.create(
        id="who",
        scope="agent",
        config={"port": 0, "trusted_proxies": trusted},
        controllers=[WhoController],
        registry=registry,
    )
    await app.start()
    try:
        async with httpx.AsyncClient(base_url=app.address or "") as client:
            spoofed = {"X-Forwarded-For": "198.51.100.7", "X-Real-IP": "9.9.9.9"}
            assert (await client.get("/who", headers=spoofed)).status_code == 200
    finally:
        await app.dispose()
    [line] = logs.lines(message="request", path="/who")
    assert line["client_ip"] == expected
