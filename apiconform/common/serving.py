"""Serving one application with uvicorn inside the current event loop."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from apiconform.errors import ApiconformError


class ServerError(ApiconformError):
    """A server could not start or stop."""


class PortInUseError(ServerError):
    """The requested port is taken."""

    def __init__(self, host: str, port: int, suggestion: int | None) -> None:
        hint = f"; port {suggestion} is free" if suggestion else ""
        super().__init__(f"port {port} on {host} is already in use{hint}")
        self.host = host
        self.port = port
        self.suggestion = suggestion


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def suggest_port(host: str, port: int, span: int = 50) -> int | None:
    """The nearest free port above ``port``, or None when ``span`` ports are all taken."""
    for candidate in range(port + 1, min(port + 1 + span, 65536)):
        if port_is_free(host, candidate):
            return candidate
    return None


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel just handed out for ``host``."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; a taken port raises :class:`PortInUseError`.

    The socket is created with ``IPPROTO_TCP`` spelled out: asyncio sets ``TCP_NODELAY`` on
    an accepted connection only when its protocol says TCP, and accepted sockets inherit the
    listener's. Without it every small response waits for Nagle's algorithm and the
    client's delayed ACK (about 40 ms per request on Linux).
    """
    sock = socket.socket(_family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        # listen at once: two sockets with SO_REUSEADDR may share a port until one listens
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(host, port, suggest_port(host, port)) from None
        raise ServerError(f"cannot bind {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


class _QuietServer(uvicorn.Server):
    """Signals belong to the process owner (the CLI), not to one of many servers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Server:
    """One uvicorn server on a pre-bound socket, started and stopped as a task."""

    def __init__(self, app: ASGIApp, host: str, port: int, *, drain_timeout: float) -> None:
        self._sock = bind(host, port)
        self.host = host
        self.port = int(self._sock.getsockname()[1])
        config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="off",
            # the client address is resolved once, by the application, from its own
            # trusted_proxies; uvicorn would otherwise believe X-Forwarded-For from loopback
            proxy_headers=False,
            # typed int by uvicorn, but it only reaches asyncio.wait_for, which takes a float
            timeout_graceful_shutdown=drain_timeout,  # type: ignore[arg-type]
            server_header=False,
        )
        self._server = _QuietServer(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 10.0) -> None:
        self._task = asyncio.create_task(self._serve())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._server.started:
            if self._task.done():
                await self._task
                raise ServerError(f"server on {self.host}:{self.port} exited during start-up")
            if loop.time() > deadline:
                await self.stop(0)
                raise ServerError(f"server on {self.host}:{self.port} did not start in {timeout}s")
            await asyncio.sleep(0.005)

    async def _serve(self) -> None:
        try:
            await self._server.serve(sockets=[self._sock])
        except SystemExit as exc:  # uvicorn exits the process on start-up failure
            raise ServerError(
                f"server on {self.host}:{self.port} failed: exit {exc.code}"
            ) from None
        finally:
            self._sock.close()

    async def stop(self, timeout: float | None = None) -> int:
        """Stop accepting, let in-flight requests finish for up to ``timeout`` seconds, then
        cancel what is left; returns how many requests were cancelled."""
        if timeout is not None:
            self._server.config.timeout_graceful_shutdown = timeout  # type: ignore[assignment]
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(ServerError):
                await self._task
            self._task = None
        self._sock.close()
        # request tasks leave this set when they finish: those left were cancelled
        return len(self._server.server_state.tasks)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()
