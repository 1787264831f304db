"""A local HTTP server the target can call; it records every request it gets.

Used to see what a target sends outward: trace headers (``traceparent``), webhook payloads,
outbound calls; and to stand in for a downstream service the suite switches on and off.
Answers ``200 {"ok": true}`` to anything, or what :meth:`EchoServer.respond` sets for a
path; at ``/v1/traces`` it is an OTLP/HTTP collector whose exports ``conformance.otlp``
reads.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY = 1_000_000
# where OTLP/HTTP exporters send spans (the suite reads them: conformance.otlp)
TRACES_PATH = "/v1/traces"
MAX_RECORDS = 10_000


@dataclass(frozen=True)
class EchoRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float

    def json(self) -> Any:
        return json.loads(self.body)


class EchoServer:
    """Start with ``with EchoServer() as echo:``; ``echo.url`` is its base URL."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._records: list[EchoRequest] = []
        self._lock = threading.Lock()
        self.status = 200
        self.reply: bytes = b'{"ok": true}'
        self._routes: dict[str, tuple[int, bytes]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
                body = self.rfile.read(length) if length > 0 else b""
                server._record(
                    EchoRequest(
                        self.command,
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                        time.time(),
                    )
                )
                status, reply = server.answer(self.path)
                media = "application/json"
                if self.path.split("?", 1)[0] == TRACES_PATH:
                    # an OTLP collector: an empty ExportTraceServiceResponse in the
                    # encoding of the export
                    sent = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip()
                    if sent in ("application/x-protobuf", "application/protobuf"):
                        media, reply = sent, b""
                    else:
                        reply = b"{}"
                self.send_response(status)
                self.send_header("Content-Type", media)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: the records are the log

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _record(self, request: EchoRequest) -> None:
        with self._lock:
            self._records.append(request)
            del self._records[:-MAX_RECORDS]

    def respond(self, path_prefix: str, status: int, reply: bytes = b'{"ok": true}') -> None:
        """Answer requests under ``path_prefix`` with ``status`` and ``reply`` from now on."""
        with self._lock:
            self._routes[path_prefix] = (status, reply)

    def answer(self, path: str) -> tuple[int, bytes]:
        """The status and body for a request to ``path`` (the longest matching prefix)."""
        with self._lock:
            matches = [p for p in self._routes if path.startswith(p)]
            if matches:
                return self._routes[max(matches, key=len)]
            return self.status, self.reply

    def start(self) -> EchoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def requests(self, path_prefix: str = "") -> list[EchoRequest]:
        with self._lock:
            return [r for r in self._records if r.path.startswith(path_prefix)]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def __enter__(self) -> EchoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
