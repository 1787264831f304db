"""The demo's throttled routes over real HTTP, against ``apiconform serve`` on 127.0.0.1.

With ``REDIS_URL`` set the servers use that Redis, and two of them sharing it enforce one
limit under concurrent requests spread over both.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from apiconform.reference.demo.throttle import DEMO_JWT_SECRET


def serve(tmp_path: Path, config: str) -> tuple[subprocess.Popen[str], str]:
    conf = tmp_path / f"{secrets.token_hex(4)}.toml"
    conf.write_text(config)
    # the JSON log stream goes to a file: a pipe nobody reads would fill and stall the server
    with (tmp_path / f"{conf.stem}.log").open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "apiconform.cli", "serve", "--port", "0", "--config", str(conf)],
            stdout=log,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "APICONFORM_LOG_FORMAT": "json"},
        )
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        match = re.search(r"serving on (http://\S+)", line)
        if match:
            return proc, match.group(1)
    proc.kill()
    raise AssertionError("serve did not come up")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=20)
    assert proc.returncode == 0


def storage_config() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        return "[throttling]\n"
    prefix = f"apiconform-test-{secrets.token_hex(6)}"
    return f'[throttling]\nstorage = "redis"\nredis_url = "{url}"\nkey_prefix = "{prefix}"\n'


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    proc, address = serve(tmp_path, storage_config())
    try:
        yield address
    finally:
        stop(proc)


def test_limited_route_counts_down_then_answers_429_with_honest_headers(server: str) -> None:
    with httpx.Client(base_url=server) as http:
        started = time.time()
        responses = [http.get("/v1/limited") for _ in range(6)]
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    assert [r.headers["x-ratelimit-remaining"] for r in responses] == ["4", "3", "2", "1", "0", "0"]
    assert {r.headers["x-ratelimit-limit"] for r in responses} == {"5"}
    resets = {int(r.headers["x-ratelimit-reset"]) for r in responses}
    assert len(resets) == 1
    [reset] = resets
    assert started < reset <= started + 11
    refused = responses[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 10
    body = refused.json()
    assert (body["status"], body["limit"], body["ttl"]) == (429, 5, 10)
    assert body["retryAfter"] == int(refused.headers["retry-after"])
    assert refused.headers["ratelimit-policy"] == '"ip";q=5;w=10'
    assert refused.headers["ratelimit"].startswith('"ip";r=0;t=')


def test_spoofed_forwarding_headers_do_not_mint_a_bucket(server: str) -> None:
    with httpx.Client(base_url=server) as http:
        for _ in range(5):
            http.get("/v1/limited")
        for header in ("X-Forwarded-For", "X-Real-IP"):
            assert http.get("/v1/limited", headers={header: "192.0.2.77"}).status_code == 429
        assert http.get("/v1/limited", headers={"Forwarded": "for=192.0.2.77"}).status_code == 429


def test_unlimited_keyed_user_and_default_routes(server: str) -> None:
    with httpx.Client(base_url=server) as http:
        unlimited = [http.get("/v1/unlimited") for _ in range(12)]
        assert {r.status_code for r in unlimited} == {200}
        assert not any("ratelimit" in h for r in unlimited for h in r.headers)
        free = [http.get("/v1/keyed", headers={"X-API-Key": "demo-free-key"}) for _ in range(6)]
        assert [r.status_code for r in free] == [200] * 5 + [429]
        premium = http.get("/v1/keyed", headers={"X-API-Key": "demo-premium-key"})
        assert premium.headers["x-ratelimit-limit"] == "50"
        override = http.get("/v1/keyed", headers={"X-API-Key": "demo-override-key"})
        assert override.headers["x-ratelimit-limit"] == "7"
        alice = jwt.encode({"sub": "alice"}, DEMO_JWT_SECRET, algorithm="HS256")
        user = http.get("/v1/user", headers={"Authorization": f"Bearer {alice}"})
        assert user.headers["x-ratelimit-limit"] == "20"
        assert http.get("/v1/user").headers["x-ratelimit-limit"] == "10"
        assert http.get("/v1/default").headers["x-ratelimit-limit"] == "100"
        burst = [http.get("/v1/burst") for _ in range(11)]
        assert [r.status_code for r in burst].count(200) >= 10
        assert burst[0].headers["x-ratelimit-limit"] == "10"
        # routes of the other proposals are not limited in the demo
        assert "x-ratelimit-limit" not in http.get("/scopes/whoami").headers


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a real Redis (REDIS_URL)")
def test_two_instances_sharing_redis_admit_exactly_the_limit(tmp_path: Path) -> None:
    config = storage_config()
    first, a = serve(tmp_path, config)
    try:
        second, b = serve(tmp_path, config)
        try:

            async def burst() -> list[int]:
                async with httpx.AsyncClient() as http:
                    responses = await asyncio.gather(
                        *(http.get(f"{(a, b)[i % 2]}/v1/limited") for i in range(60))
                    )
                return [r.status_code for r in responses]

            statuses = asyncio.run(burst())
        finally:
            stop(second)
    finally:
        stop(first)
    assert statuses.count(200) == 5
    assert statuses.count(429) == 55
