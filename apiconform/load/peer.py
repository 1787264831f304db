"""A bare FastAPI app serving one trivial route: the overhead scenario's peer, served like
the reference (the same server, event loop and HTTP parser) so that the ratio measures the
reference's features and nothing else.

    python -m apiconform.load.peer --port 8001 --path /agents/agent-0/ping
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from fastapi import FastAPI

from apiconform.common.loop import run
from apiconform.common.serving import Server


def bare_app(path: str) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get(path)
    async def trivial() -> dict[str, bool]:
        return {"ok": True}

    return app


async def serve(path: str, port: int, stop: asyncio.Event) -> None:
    """Serve the peer on 127.0.0.1:``port`` until ``stop`` is set."""
    server = Server(bare_app(path), "127.0.0.1", port, drain_timeout=1)
    await server.start()
    try:
        await stop.wait()
    finally:
        await server.stop(1)


async def _serve_until_signalled(path: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(path, port, stop)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m apiconform.load.peer")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/ping")
    args = parser.parse_args(argv)
    run(_serve_until_signalled(args.path, args.port))


if __name__ == "__main__":
    main()
