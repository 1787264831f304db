"""Real-HTTP speed of the reference against a bare FastAPI app, measured the way users run
them: each app in a server process of its own (uvicorn on the same event loop and HTTP
parser: uvloop and httptools when installed), driven over loopback by wrk.

    python bench/http.py [--rounds 3] [--duration 5] [--quick]

wrk is Debian's package (``apt-get install -y wrk``); it runs on its own CPU (taskset) and
one thread, the servers on another, so the load generator is not the bottleneck. Rounds
are interleaved (reference, peer, reference, peer, ...) so that drift in the machine hits
both alike; the table shows medians over the rounds, and each ratio is the reference's
req/s over its peer's, measured in the same run.

Cases (targets from ARCHITECTURE.md and the kernel issue):

* ``trivial c=1``: p50 latency of one connection (target < 1 ms);
* ``trivial c=32``: a trivial route of a kernel app with scopes, error handling and the
  JSON access log on, against the same route in bare FastAPI (target >= 0.85x);
* ``404 c=32``: an unknown path, answered with an RFC 9457 problem, against FastAPI's own
  404 (target >= 0.80x);
* ``versioned c=32``: the same route with the versioning feature on, its version
  negotiated (the default), against the kernel app without it (target >= 0.95x).
* ``observability c=32``: the kernel route with the observability feature on against the
  same app without it, and the cost per request in microseconds;
* ``limited c=32``: the trivial route with the throttler on (memory storage, headers
  written) against the same kernel route without it (target >= 0.90x).

Feature issues add their rows to ``CASES`` (and their apps to ``APPS``).
"""

from __future__ import annotations

import sys
from pathlib import Path

# run as a script, this file would shadow the standard library's http package
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVER_CPU = "0"
LOAD_CPU = "1"


# -- the apps (built inside their server process) --------------------------------------------


def bare_app() -> Any:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    return app


def kernel_app(*, observed: bool = False) -> Any:
    """The trivial route in a kernel app with error handling (and, ``observed``, the
    observability feature: metrics, a server span per request without an exporter, trace
    ids on the access line)."""
    from apiconform.common.logs import configure_logging
    from apiconform.reference.errors import ErrorHandling
    from apiconform.reference.kernel import ApplicationFactory, Feature, controller, get
    from apiconform.reference.observability import Observability

    configure_logging("json", level="INFO")

    @controller("")
    class Ping:
        @get("/ping")
        async def ping(self) -> dict[str, bool]:
            return {"ok": True}

    features: list[Feature] = [ErrorHandling()]
    if observed:
        features.insert(0, Observability())
    app = ApplicationFactory.create(
        id="bench", scope="agent", controllers=[Ping], features=features
    )
    return app.asgi


def versioned_app() -> Any:
    """The kernel app with the versioning feature: ``/ping`` in version 1, found through
    negotiation (no version named: the default) and routed to ``/v1/ping``."""
    from apiconform.common.logs import configure_logging
    from apiconform.reference.errors import ErrorHandling
    from apiconform.reference.kernel import ApplicationFactory, controller, get
    from apiconform.reference.versioning import Versioning, version

    configure_logging("json", level="INFO")

    @controller("")
    @version("1")
    class Ping:
        @get("/ping")
        async def ping(self) -> dict[str, bool]:
            return {"ok": True}

    app = ApplicationFactory.create(
        id="bench", scope="agent", controllers=[Ping], features=[ErrorHandling(), Versioning()]
    )
    return app.asgi


def throttled_app(storage: str = "memory") -> Any:
    """The kernel app with the throttler on ``/ping`` and ``/limited`` (a limit no run
    reaches: the cost measured is the admitting path, headers included)."""
    import os
    import secrets

    from apiconform.common.logs import configure_logging
    from apiconform.reference.errors import ErrorHandling
    from apiconform.reference.kernel import ApplicationFactory, controller, get
    from apiconform.reference.throttling import Throttling, rate_limit

    configure_logging("json", level="INFO")

    @controller("")
    @rate_limit(10**9, 60)
    class Limited:
        @get("/ping")
        async def ping(self) -> dict[str, bool]:
            return {"ok": True}

        @get("/limited")
        async def limited(self) -> dict[str, bool]:
            return {"ok": True}

    config: dict[str, Any] = {}
    if storage == "redis":
        config = {
            "storage": "redis",
            "redis_url": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            "key_prefix": f"bench-{secrets.token_hex(4)}",
        }
    app = ApplicationFactory.create(
        id="bench",
        scope="agent",
        config={"throttling": config},
        controllers=[Limited],
        features=[ErrorHandling(), Throttling()],
    )
    return app.asgi


def slowapi_redis_app() -> Any:
    """FastAPI + slowapi on Redis (``limits``' synchronous Redis storage), the same limit."""
    import os

    from fastapi import FastAPI, Request, Response
    from slowapi import Limiter, _rate_limit_exceeded_handler
    from slowapi.errors import RateLimitExceeded
    from slowapi.util import get_remote_address

    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        headers_enabled=True,
    )
    app = FastAPI()
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]

    @app.get("/limited")
    @limiter.limit(f"{10**9}/minute")
    async def limited(request: Request, response: Response) -> dict[str, bool]:
        return {"ok": True}

    return app


APPS: dict[str, Callable[[], Any]] = {
    "bare": bare_app,
    "kernel": kernel_app,
    "observed": lambda: kernel_app(observed=True),
    "versioned": versioned_app,
    "throttled": throttled_app,
    "throttled-redis": lambda: throttled_app("redis"),
    "slowapi-redis": slowapi_redis_app,
}


def serve(name: str, port: int) -> None:
    """Run app ``name`` on ``port`` until SIGTERM (the child process's job)."""
    import asyncio

    from apiconform.common.loop import run
    from apiconform.common.serving import Server

    app = APPS[name]()

    async def main() -> None:
        server = Server(app, "127.0.0.1", port, drain_timeout=1)
        await server.start()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        print("ready", flush=True, file=sys.stderr)
        await stop.wait()
        await server.stop(1)

    run(main())


# -- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    label: str
    app: str
    path: str
    peer: str
    peer_path: str
    connections: int
    target_ratio: float | None = None
    target_p50_ms: float | None = None
    # print the cost per request of the app over its peer, in microseconds
    overhead: bool = False


CASES: list[Case] = [
    Case("trivial c=1", "kernel", "/ping", "bare", "/ping", 1, target_p50_ms=1.0),
    Case("trivial c=32", "kernel", "/ping", "bare", "/ping", 32, target_ratio=0.85),
    Case("404 problem c=32", "kernel", "/missing", "bare", "/missing", 32, target_ratio=0.80),
    Case("versioned c=32", "versioned", "/ping", "kernel", "/ping", 32, target_ratio=0.95),
    # the same kernel route with observability on vs off (target: < 100 us per request)
    Case("observability c=32", "observed", "/ping", "kernel", "/ping", 32, overhead=True),
    # the throttler on (memory storage) against the same route without it
    Case("limited c=32", "throttled", "/ping", "kernel", "/ping", 32, target_ratio=0.90),
]


@dataclass
class Sample:
    rps: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if match is None:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(url: str, connections: int, duration: float) -> tuple[float, float, float]:
    """req/s, p50 ms and p99 ms of one wrk run."""
    command = [
        "taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{connections}",
        f"-d{max(1, round(duration))}s", "--latency", url,
    ]  # fmt: skip
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    return rps, p50, p99


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(name: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    proc = subprocess.Popen(
        ["taskset", "-c", SERVER_CPU, sys.executable, __file__, "--serve", name, str(port)],
        stdout=subprocess.DEVNULL,  # the JSON log stream: written, as in production
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    if line.strip() != "ready":
        proc.kill()
        raise SystemExit(f"{name} did not start: {line}{proc.stderr.read()}")
    return proc, port


def measure(cases: list[Case], rounds: int, duration: float) -> dict[tuple[str, str], Sample]:
    names = sorted({c.app for c in cases} | {c.peer for c in cases})
    servers = {name: start(name) for name in names}
    results: dict[tuple[str, str], Sample] = {}
    try:
        for case in cases:  # warm every path up once
            for app, path in ((case.app, case.path), (case.peer, case.peer_path)):
                wrk(f"http://127.0.0.1:{servers[app][1]}{path}", case.connections, 1)
        for _ in range(rounds):
            for case in cases:
                for app, path in ((case.app, case.path), (case.peer, case.peer_path)):
                    url = f"http://127.0.0.1:{servers[app][1]}{path}"
                    rps, p50, p99 = wrk(url, case.connections, duration)
                    sample = results.setdefault((case.label, app), Sample())
                    sample.rps.append(rps)
                    sample.p50.append(p50)
                    sample.p99.append(p99)
    finally:
        for proc, _ in servers.values():
            proc.send_signal(signal.SIGTERM)
        for proc, _ in servers.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return results


def report(cases: list[Case], results: dict[tuple[str, str], Sample]) -> bool:
    print(f"{'case':<22}{'app':<10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}  target")
    ok = True
    for case in cases:
        mine, peer = results[(case.label, case.app)], results[(case.label, case.peer)]
        ratio = statistics.median(mine.rps) / statistics.median(peer.rps)
        p50 = statistics.median(mine.p50)
        verdicts = []
        if case.target_ratio is not None:
            met = ratio >= case.target_ratio
            ok = ok and met
            verdicts.append(f">= {case.target_ratio:.2f}x {'met' if met else 'MISSED'}")
        if case.target_p50_ms is not None:
            met = p50 < case.target_p50_ms
            ok = ok and met
            verdicts.append(f"p50 < {case.target_p50_ms} ms {'met' if met else 'MISSED'}")
        for name, sample, shown in ((case.app, mine, f"{ratio:.2f}x"), (case.peer, peer, "")):
            print(
                f"{case.label:<22}{name:<10}{statistics.median(sample.rps):>10.0f}"
                f"{statistics.median(sample.p50):>9.3f}{statistics.median(sample.p99):>9.3f}"
                f"{shown:>8}  {'; '.join(verdicts) if shown else ''}"
            )
    for case in cases:
        if case.overhead:
            mine, peer = results[(case.label, case.app)], results[(case.label, case.peer)]
            # one server process on one CPU: 1 / req/s is the CPU time of one request
            extra = 1e6 / statistics.median(mine.rps) - 1e6 / statistics.median(peer.rps)
            print(f"{case.label}: {extra:.1f} us per request ({case.app} over {case.peer})")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s")
    parser.add_argument("--only", default="", help="run the cases whose label contains this")
    parser.add_argument("--serve", nargs=2, metavar=("APP", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            print(f"bench/http.py needs {tool}: apt-get install -y {tool}", file=sys.stderr)
            return 2
    rounds, duration = (1, 2.0) if args.quick else (args.rounds, args.duration)
    from apiconform.common.loop import loop_factory

    print(f"event loop: {loop_factory()[0]}; {rounds} round(s) of {duration:g} s per run")
    started = time.perf_counter()
    cases = [case for case in CASES if args.only in case.label]
    ok = report(cases, measure(cases, rounds, duration))
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
