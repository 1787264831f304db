"""The demo's probe routes for exception filters and recovery, and its start-up probes."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from apiconform.reference.demo import startup
from apiconform.reference.demo.app import create_demo_app
from apiconform.reference.demo.recovery import BREAKER_THRESHOLD
from apiconform.reference.kernel import Application, AppRegistry

DOWNSTREAM = "http://downstream.test/items"


def client(app: Application) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app.asgi), base_url="http://t")


@pytest.fixture
async def demo(
    registry: AppRegistry, database_config: dict[str, str]
) -> AsyncIterator[Application]:
    app = create_demo_app(
        registry=registry,
        config={"database": database_config, "settings": {"downstream_url": DOWNSTREAM}},
    )
    yield app
    await app.dispose()


async def _stamp(http: httpx.AsyncClient, path: str, decline: str = "") -> tuple[int, str]:
    headers = {"X-Apiconform-Decline": decline} if decline else {}
    response = await http.get(path, headers=headers)
    return response.status_code, response.json()["type"]


@pytest.mark.requirement("ERR-ORDER-01", "ERR-REG-01", "ERR-REG-02", "ERR-REG-03")
async def test_each_filter_level_stamps_its_own_problem_type(demo: Application) -> None:
    async with client(demo) as http:
        route = "/errors/filters/route"
        assert await _stamp(http, route) == (400, "/problems/probe-route-filter")
        assert await _stamp(http, route, "route") == (400, "/problems/probe-controller-filter")
        assert await _stamp(http, route, "route, controller") == (
            400,
            "/problems/probe-global-filter",
        )
        status, kind = await _stamp(http, route, "route,controller,global")
        assert status == 500
        assert "probe" not in kind
        assert await _stamp(http, "/errors/filters/controller") == (
            400,
            "/problems/probe-controller-filter",
        )
        assert await _stamp(http, "/errors/unfiltered") == (400, "/problems/probe-global-filter")


async def test_the_retry_probe_answers_while_the_database_is_up(demo: Application) -> None:
    async with client(demo) as http:
        response = await http.get("/errors/recovery/retry")
    assert (response.status_code, response.json()) == (200, {"database": "up"})


@pytest.mark.requirement("ERR-RECOV-02")
async def test_the_breaker_probe_opens_on_a_failing_downstream(demo: Application) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.get(DOWNSTREAM).mock(return_value=httpx.Response(200, json={"n": 1}))
        async with client(demo) as http:
            ok = await http.get("/errors/recovery/breaker")
            assert (ok.status_code, ok.json()) == (200, {"downstream": {"n": 1}})
            route.mock(return_value=httpx.Response(503))
            statuses = [(await http.get("/errors/recovery/breaker")).status_code for _ in range(5)]
    assert statuses == [503] * 5
    assert route.call_count == 1 + BREAKER_THRESHOLD  # then the circuit answered alone


async def test_the_breaker_probe_without_a_downstream_is_503(
    registry: AppRegistry, database_config: dict[str, str]
) -> None:
    app = create_demo_app(registry=registry, config={"database": database_config})
    try:
        async with client(app) as http:
            assert (await http.get("/errors/recovery/breaker")).status_code == 503
    finally:
        await app.dispose()


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["duplicate-id", "--id", "agent:dup"], "'agent:dup' already exists (scope=agent"),
        (["invalid-scope", "--scope", "galaxy"], "valid scopes: singleton, agent, request"),
        (["invalid-config", "--id", "agent:cfg"], "app 'agent:cfg': invalid config: environment"),
    ],
)
def test_start_up_probes_fail_with_one_line(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert startup.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("apiconform: error: ")
    assert fragment in err
    assert err.count("\n") == 1


def test_two_apps_on_one_port_fail_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert startup.main(["port-conflict", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is already in use" in err


def test_a_probe_the_kernel_accepted_exits_0(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(startup, "invalid_scope", lambda scope: None)
    assert startup.main(["invalid-scope"]) == 0
    assert "apiconform: invalid-scope: started" in capsys.readouterr().err
