"""A TCP proxy the suite puts between a managed target and a service it needs (its
database, its Redis), so fault checks can cut the connection and restore it without owning
the service itself.

``cut()`` closes every open connection and refuses new ones (accepted, then closed at
once: the client sees a reset, as when a server dies); ``restore()`` forwards again.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit, urlunsplit

from apiconform.conformance.services import ServiceError

BUFFER = 64 * 1024
DEFAULT_PORTS = {"postgresql": 5432, "postgres": 5432, "redis": 6379, "rediss": 6380}


def redact_url(url: str) -> str:
    """``url`` with any password replaced, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class FaultProxy:
    """Forwards ``127.0.0.1:<port>`` to ``upstream_host:upstream_port``."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._cut = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @classmethod
    def for_url(cls, url: str) -> tuple[FaultProxy, str]:
        """A proxy for the host and port of a service URL (the scheme's default port when it
        names none), and the URL through it."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ServiceError(f"cannot read the service URL {redact_url(url)}") from None
        scheme = parts.scheme.split("+", 1)[0]
        port = port or DEFAULT_PORTS.get(scheme)
        if port is None:
            raise ServiceError(f"{redact_url(url)}: no port, and none is known for {scheme!r}")
        proxy = cls(parts.hostname or "127.0.0.1", port)
        credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        routed = parts._replace(netloc=f"{credentials}127.0.0.1:{proxy.port}")
        return proxy, urlunsplit(routed)

    @property
    def is_cut(self) -> bool:
        return self._cut.is_set()

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def cut(self) -> None:
        self._cut.set()
        with self._lock:
            doomed, self._open = self._open, set()
        for sock in doomed:
            _close(sock)

    def restore(self) -> None:
        self._cut.clear()

    def close(self) -> None:
        self._closed.set()
        self.cut()
        _close(self._listener)
        self._thread.join(5)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._cut.is_set():
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(BUFFER):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


def _reset(sock: socket.socket) -> None:
    """Close with RST rather than FIN, as a dead server would."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    _close(sock)
