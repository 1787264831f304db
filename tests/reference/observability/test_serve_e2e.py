"""End to end over real HTTP against ``apiconform serve`` on loopback: probes, the scrape
(checked by promtool where installed), trace propagation through the demo's outbound
probe, and SIGTERM with a slow request in flight."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.reference.test_cli_serve import start_serve, wait_for_addresses

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


class Served:
    def __init__(self, proc: subprocess.Popen[str], url: str) -> None:
        self.proc = proc
        self.url = url

    def logs(self) -> list[dict[str, Any]]:
        """The JSON log lines, once the process has exited."""
        assert self.proc.stdout is not None
        return [json.loads(line) for line in self.proc.stdout.read().splitlines() if line]


@pytest.fixture
def serve() -> Iterator[Any]:
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> Served:
        proc = start_serve("--port", "0", *args)
        procs.append(proc)
        [url] = wait_for_addresses(proc, 1)
        return Served(proc, url)

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


class Echo(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        Echo.seen.append({k.lower(): v for k, v in self.headers.items()})
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    Echo.seen.clear()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/downstream"
    server.shutdown()
    server.server_close()


def test_probes_and_the_scrape_over_http(serve: Any, tmp_path: Any) -> None:
    served = serve()
    with httpx.Client(base_url=served.url, timeout=10) as client:
        assert client.get("/health/live").json() == {"status": "ok"}
        ready = client.get("/health/ready")
        assert ready.status_code == 200
        assert {"database", "memory", "external-api"} <= set(ready.json()["checks"])
        for n in range(5):
            client.get(f"/users/{n + 1}")
        client.post("/observability/orders", params={"amount": 42})
        scrape = client.get("/metrics")
    assert scrape.status_code == 200
    names = {f.name for f in text_string_to_metric_families(scrape.text)}
    assert {"http_requests", "http_request_duration_seconds", "orders_created"} <= names
    paths = {
        s.labels["path"]
        for f in text_string_to_metric_families(scrape.text)
        for s in f.samples
        if s.name == "http_requests_total"
    }
    assert "/users/{user_id}" in paths  # as addressed: the default version, no prefix
    assert not any(p.startswith("/users/1") for p in paths)
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    checked = subprocess.run(
        [promtool, "check", "metrics"],
        input=scrape.text,
        capture_output=True,
        text=True,
        timeout=30,
    )
    # promtool exits 0 when the exposition parses; its lint remarks are advice
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_outbound_probe_carries_the_trace_with_a_new_parent(serve: Any, echo_url: str) -> None:
    served = serve("--set", f'settings.outbound_url="{echo_url}"')
    traceparent = f"00-{TRACE_ID}-{PARENT_ID}-01"
    with httpx.Client(base_url=served.url, timeout=10) as client:
        answer = client.get("/observability/outbound", headers={"traceparent": traceparent})
        assert answer.json() == {"status": 200}
        client.get("/observability/outbound")
    with_trace, without = Echo.seen
    _, trace_id, parent_id, _ = with_trace["traceparent"].split("-")
    assert trace_id == TRACE_ID
    assert parent_id != PARENT_ID
    assert without["traceparent"].split("-")[1] != TRACE_ID


def _status(url: str) -> dict[str, Any]:
    with httpx.Client(timeout=5) as client:
        return client.get(f"{url}/health/status").json()  # type: ignore[no-any-return]


def _wait_in_flight(url: str, count: int) -> None:
    deadline = time.monotonic() + 10
    while _status(url)["in_flight"] < count:
        assert time.monotonic() < deadline, "the slow request never started"
        time.sleep(0.02)


def _slow(url: str, seconds: float) -> Future[httpx.Response]:
    pool = ThreadPoolExecutor(1)

    def call() -> httpx.Response:
        with httpx.Client(timeout=30) as client:
            return client.get(f"{url}/observability/slow", params={"seconds": seconds})

    future = pool.submit(call)
    pool.shutdown(wait=False)
    return future


def test_sigterm_turns_readiness_503_drains_the_slow_request_and_exits_0(serve: Any) -> None:
    served = serve("--set", "drain_timeout=10", "--set", "observability.shutdown_delay=1.0")
    slow = _slow(served.url, 1.5)
    _wait_in_flight(served.url, 1)
    served.proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    # a fresh connection during the shutdown delay: readiness already fails
    with httpx.Client(timeout=5) as client:
        ready = client.get(f"{served.url}/health/ready")
    assert ready.status_code == 503
    assert ready.json()["status"] == "shutting_down"
    answer = slow.result(timeout=20)
    assert answer.status_code == 200
    assert answer.json() == {"slept": 1.5}
    assert served.proc.wait(20) == 0
    with pytest.raises(httpx.ConnectError), httpx.Client(timeout=2) as client:
        client.get(f"{served.url}/health/live")
    lines = served.logs()
    [drained] = [line for line in lines if line["message"] == "drained"]
    assert (drained["completed"], drained["cut"]) == (1, 0)
    assert not [line for line in lines if line["message"].startswith("forced shutdown")]


def test_a_request_outliving_the_drain_timeout_is_cut_with_a_warning_and_exit_1(
    serve: Any,
) -> None:
    served = serve("--set", "drain_timeout=0.5")
    slow = _slow(served.url, 20)
    _wait_in_flight(served.url, 1)
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(20) == 1
    # the server cuts it: uvicorn answers a bare 500 and closes the connection
    cut = slow.result(timeout=20)
    assert cut.status_code == 500
    assert cut.headers["connection"] == "close"
    lines = served.logs()
    [warning] = [line for line in lines if line["message"].startswith("forced shutdown")]
    assert warning["level"] == "warning"
    assert warning["cut"] == 1
