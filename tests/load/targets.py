"""Small HTTP targets for the load tests, served by uvicorn on 127.0.0.1 in a thread: a
correct one and broken variants (errors that are not problems, metrics labelled by raw
path)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from apiconform.common.serving import free_port
from apiconform.conformance.manifest import ERROR_KINDS

Send = Any


async def _answer(send: Send, status: int, body: bytes, content_type: str) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class FakeTarget:
    """A target of the load scenarios; ``broken`` names what it does wrong."""

    def __init__(self, broken: str | None = None) -> None:
        self.broken = broken
        self.seen_paths: set[str] = set()

    def metrics(self) -> bytes:
        lines = ["# HELP http_requests_total Requests.", "# TYPE http_requests_total counter"]
        labels = sorted(self.seen_paths) if self.broken == "raw-path-labels" else ["/ping"]
        lines += [f'http_requests_total{{path="{p}"}} 1' for p in labels]
        return ("\n".join(lines) + "\n").encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        path: str = scope["path"]
        self.seen_paths.add(path)
        if path == "/health/live":
            await _answer(send, 200, b'{"status":"ok"}', "application/json")
        elif path == "/health/ready":
            await _answer(send, 200, b'{"status":"ready"}', "application/json")
        elif path == "/metrics" and self.broken == "metrics-down":
            await _answer(send, 503, b"down", "text/plain")
        elif path == "/metrics":
            await _answer(send, 200, self.metrics(), "text/plain; version=0.0.4")
        elif path in ("/users", "/v1/users", "/v2/users"):
            await self.versioned(scope, send)
        elif path == "/ping":
            await _answer(send, 200, b'{"ok":true}', "application/json")
        elif path.startswith("/errors/raise/") and path.rsplit("/", 1)[1] in ERROR_KINDS:
            status = ERROR_KINDS[path.rsplit("/", 1)[1]]
            if self.broken == "all-500":
                status = 500
            if self.broken == "plain-errors":
                await _answer(send, status, b"something went wrong", "text/plain")
            else:
                body = json.dumps({"type": "about:blank", "status": status, "title": "x"})
                await _answer(send, status, body.encode(), "application/problem+json")
        else:
            body = json.dumps({"type": "about:blank", "status": 404, "title": "Not Found"})
            await _answer(send, 404, body.encode(), "application/problem+json")

    async def versioned(self, scope: dict[str, Any], send: Send) -> None:
        """``/users`` in versions 1 (deprecated) and 2, named by path, header or media type."""
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        path = scope["path"]
        version = "2"
        if path != "/users":
            version = path[2]
        elif self.broken != "header-ignored":
            accept = headers.get("accept", "")
            if "x-api-version" in headers:
                version = headers["x-api-version"]
            elif accept.startswith("application/vnd.acme.v"):
                version = accept.removeprefix("application/vnd.acme.v")[0]
        extra = [(b"x-api-version", version.encode())]
        if version == "1" and self.broken != "no-deprecation":
            extra.append((b"deprecation", b"@1767225600"))
        body = b'{"data": []}' if version == "1" else b"[]"
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), *extra],
            }
        )
        await send({"type": "http.response.body", "body": body})


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """``app`` on a free loopback port for the duration; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_config=None, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:  # pragma: no cover - a machine too slow to test on
            raise RuntimeError("the fake target did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
