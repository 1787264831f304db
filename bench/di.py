"""DI cost: resolution per lifetime, request-scope churn, and a route with injected
services against the same route constructing them itself (and a plain FastAPI peer).

    python bench/di.py [--quick]

Prints microseconds per operation (the best of the repeats, the figure least disturbed by
other load) and the ratios; the spec's target is under 5% DI overhead on request handling.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

from fastapi import FastAPI

from apiconform.common.logs import configure_logging
from apiconform.reference.kernel import (
    ApplicationFactory,
    AppRegistry,
    Container,
    Lifetime,
    controller,
    get,
)


class Repo:
    pass


class Service:
    def __init__(self, repo: Repo) -> None:
        self.repo = repo


class Handler:
    def __init__(self, service: Service, repo: Repo) -> None:
        self.service = service
        self.repo = repo


def graph(lifetime: Lifetime) -> Container:
    root = Container()
    for cls in (Repo, Service, Handler):
        root.register(cls, cls, lifetime)
    return root


def per_op(fn: Callable[[], Any], n: int, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter_ns() - start) / n / 1000)
    return min(samples)


async def aper_op(fn: Callable[[], Awaitable[Any]], n: int, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(n):
            await fn()
        samples.append((time.perf_counter_ns() - start) / n / 1000)
    return min(samples)


@controller("bench")
class InjectedController:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    @get("/injected")
    async def injected(self) -> dict[str, int]:
        return {"n": 1}


@controller("bench")
class DirectController:
    @get("/direct")
    async def direct(self) -> dict[str, int]:
        repo = Repo()
        Handler(Service(repo), repo)
        return {"n": 1}


def asgi_caller(app: Any, path: str) -> Callable[[], Awaitable[None]]:
    """Drive an ASGI app directly: no client or socket noise in the figure."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"{path}: {message['status']}")

    async def call() -> None:
        await app(dict(scope), receive, send)

    return call


async def routes(n: int, repeats: int, sink: TextIO) -> dict[str, float]:
    # the access log is rendered as in production but written to /dev/null
    configure_logging("json", stream=sink, level=os.environ.get("BENCH_LOG_LEVEL", "INFO"))
    app = ApplicationFactory.create(
        id="bench",
        scope="agent",
        registry=AppRegistry(),
        controllers=[InjectedController, DirectController],
    )
    for cls in (Repo, Service, Handler):
        app.container.register(cls, cls, Lifetime.SCOPED)
    peer = FastAPI()

    @peer.get("/direct")
    async def plain() -> dict[str, int]:
        repo = Repo()
        Handler(Service(repo), repo)
        return {"n": 1}

    calls = {
        "kernel route, 3 scoped services injected": asgi_caller(app.asgi, "/bench/injected"),
        "kernel route, same services built inline": asgi_caller(app.asgi, "/bench/direct"),
        "plain FastAPI route, built inline (peer)": asgi_caller(peer, "/direct"),
    }
    for call in calls.values():  # warm up
        for _ in range(200):
            await call()
    # interleave the routes so drift (frequency scaling, other load) hits all alike
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            samples[name].append(await aper_op(call, n, 1))
    results = {name: min(values) for name, values in samples.items()}
    await app.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (CI smoke run)")
    args = parser.parse_args()
    n, repeats = (2_000, 3) if args.quick else (20_000, 9)

    print(f"python {sys.version.split()[0]}, {n} ops x {repeats} repeats, best us/op\n")
    direct = per_op(lambda: Handler(Service(Repo()), Repo()), n, repeats)
    rows = [("direct construction (3 objects)", direct)]
    singleton = graph(Lifetime.SINGLETON)
    singleton.resolve(Handler)
    rows.append(
        ("resolve singleton (cached)", per_op(lambda: singleton.resolve(Handler), n, repeats))
    )
    scoped_root = graph(Lifetime.SCOPED)
    rows.append(
        (
            "resolve scoped (new scope each time)",
            per_op(lambda: scoped_root.create_scope().resolve(Handler), n, repeats),
        )
    )
    transient = graph(Lifetime.TRANSIENT)
    rows.append(
        (
            "resolve transient (3 new objects)",
            per_op(lambda: transient.resolve(Handler), n, repeats),
        )
    )

    async def scope_cycle() -> None:
        scope = scoped_root.create_scope()
        await scope.aresolve(Handler)
        await scope.dispose()

    rows.append(
        (
            "request scope: create + aresolve + dispose",
            asyncio.run(aper_op(scope_cycle, n, repeats)),
        )
    )
    for name, value in rows:
        print(f"  {name:<46} {value:8.2f} us  ({value / direct:5.1f}x direct)")

    print("\nrequest handling (ASGI call, no network)")
    with open(os.devnull, "w") as sink:
        timings = asyncio.run(routes(max(n // 4, 500), repeats, sink))
    for name, value in timings.items():
        print(f"  {name:<46} {value:8.2f} us")
    names = list(timings)
    overhead = timings[names[0]] / timings[names[1]] - 1
    print(f"\n  DI overhead on request handling: {overhead * 100:+.1f}% (target < 5%)")
    print(f"  kernel vs plain FastAPI:        {timings[names[1]] / timings[names[2]]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
