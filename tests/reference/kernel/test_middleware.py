from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from apiconform.common.logs import get_logger
from apiconform.reference.kernel import (
    Application,
    ApplicationFactory,
    AppRegistry,
    controller,
    get,
    get_correlation_id,
    service,
)
from tests.conftest import LogCapture

closed: list[str] = []


@service(lifetime="scoped")
class Tracked:
    def __init__(self) -> None:
        self.name = f"tracked-{len(closed)}"

    async def aclose(self) -> None:
        closed.append(self.name)


@controller("m")
class MiddlewareController:
    def __init__(self, tracked: Tracked, app: Application) -> None:
        self.tracked = tracked
        self.app = app

    @get("/ok")
    async def ok(self) -> dict[str, Any]:
        return {"correlation_id": get_correlation_id()}

    @get("/crash")
    async def crash(self) -> None:
        raise RuntimeError("handler failed")

    @get("/spawn")
    async def spawn(self) -> dict[str, str]:
        async def child() -> None:
            get_logger("test.child").info("from the task")

        await asyncio.gather(asyncio.create_task(child()))
        return {"ok": "yes"}

    @get("/hang")
    async def hang(self) -> None:
        await asyncio.sleep(30)

    @get("/slow")
    async def slow(self) -> dict[str, str]:
        await asyncio.sleep(0.3)
        return {"late": "yes"}


@pytest.fixture
async def app(registry: AppRegistry) -> Application:
    closed.clear()
    application = ApplicationFactory.create(
        id="agent:m",
        scope="agent",
        controllers=[MiddlewareController],
        providers=[Tracked],
        config={"trusted_proxies": ["10.0.0.0/8"]},
        registry=registry,
    )
    yield application
    await application.dispose()


def client_for(app: Application, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi, raise_app_exceptions=False, **kwargs),
        base_url="http://t",
    )


@pytest.mark.parametrize("header", ["X-Correlation-ID", "X-Request-ID"])
async def test_valid_incoming_id_is_used_and_echoed(app: Application, header: str) -> None:
    async with client_for(app) as client:
        reply = await client.get("/m/ok", headers={header: "order-42.a_b"})
    assert reply.headers["x-correlation-id"] == "order-42.a_b"
    assert reply.json() == {"correlation_id": "order-42.a_b"}


@pytest.mark.parametrize("bad", ["", "x" * 129, "has space", "semi;colon", "é", "a\tb"])
async def test_invalid_incoming_id_is_replaced(app: Application, bad: str) -> None:
    async with client_for(app) as client:
        reply = await client.get("/m/ok", headers={"X-Correlation-ID": bad.encode("utf-8")})
    generated = reply.headers["x-correlation-id"]
    assert generated != bad
    assert len(generated) == 32
    assert generated.isalnum()


async def test_correlation_header_wins_over_request_id(app: Application) -> None:
    async with client_for(app) as client:
        reply = await client.get(
            "/m/ok", headers={"X-Request-ID": "rid", "X-Correlation-ID": "cid"}
        )
    assert reply.headers["x-correlation-id"] == "cid"


async def test_invalid_correlation_header_falls_back_to_request_id(app: Application) -> None:
    async with client_for(app) as client:
        reply = await client.get("/m/ok", headers={"X-Request-ID": "rid", "X-Correlation-ID": "!!"})
    assert reply.headers["x-correlation-id"] == "rid"


async def test_absent_id_is_generated_and_differs_per_request(app: Application) -> None:
    async with client_for(app) as client:
        ids = {(await client.get("/m/ok")).headers["x-correlation-id"] for _ in range(3)}
    assert len(ids) == 3


async def test_each_request_gets_one_access_log_line(app: Application, logs: LogCapture) -> None:
    async with client_for(app, client=("10.0.0.5", 5555)) as client:
        await client.get(
            "/m/ok?token=secret",
            headers={"X-Correlation-ID": "c1", "X-Forwarded-For": "198.51.100.4"},
        )
    [line] = logs.lines(logger="apiconform.access")
    assert line["message"] == "request"
    assert line["method"] == "GET"
    assert line["path"] == "/m/ok"  # the query string (tokens!) is never logged
    assert line["route"] == "/m/ok"
    assert line["status"] == 200
    assert line["client_ip"] == "198.51.100.4"
    assert line["correlation_id"] == "c1"
    assert line["app_id"] == "agent:m"
    assert line["scope_id"].startswith("scope:req:")
    assert isinstance(line["duration_ms"], float)
    assert "secret" not in logs.text


async def test_unknown_route_is_logged_without_template(app: Application, logs: LogCapture) -> None:
    async with client_for(app) as client:
        await client.get("/nowhere")
    [line] = logs.lines(logger="apiconform.access")
    assert line["status"] == 404
    assert line["route"] is None


async def test_lines_of_spawned_tasks_carry_the_request_ids(
    app: Application, logs: LogCapture
) -> None:
    async with client_for(app) as client:
        await client.get("/m/spawn", headers={"X-Correlation-ID": "spawned"})
    [child] = logs.lines(message="from the task")
    [access] = logs.lines(logger="apiconform.access")
    assert child["correlation_id"] == "spawned"
    assert child["app_id"] == "agent:m"
    assert child["scope_id"] == access["scope_id"]


async def test_request_scope_is_disposed_after_each_response(app: Application) -> None:
    async with client_for(app) as client:
        await client.get("/m/ok")
        await client.get("/m/ok")
    assert closed == ["tracked-0", "tracked-1"]


async def test_request_scope_is_disposed_after_a_crash(app: Application, logs: LogCapture) -> None:
    async with client_for(app) as client:
        reply = await client.get("/m/crash", headers={"X-Correlation-ID": "crash-1"})
    assert reply.status_code == 500
    assert reply.headers["x-correlation-id"] == "crash-1"
    assert closed == ["tracked-0"]
    [line] = logs.lines(logger="apiconform.access")
    assert line["status"] == 500


async def test_request_scope_is_disposed_when_the_client_went_away(app: Application) -> None:
    # the handler is not interrupted: when it returns, its answer goes nowhere and its
    # scope is disposed as usual, with the server still running
    await app.start(port=0)
    async with httpx.AsyncClient(timeout=0.05) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"{app.address}/m/slow")
    for _ in range(200):
        if closed:
            break
        await asyncio.sleep(0.01)
    assert closed == ["tracked-0"]
    assert app.address is not None
    await app.stop()


async def test_request_scope_is_disposed_when_shutdown_cancels_the_handler(
    app: Application,
) -> None:
    await app.start(port=0)
    async with httpx.AsyncClient(timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"{app.address}/m/hang")
    await app.stop(timeout=0.1)  # the drain timeout cancels the 30 s handler
    assert closed == ["tracked-0"]


async def test_lifespan_passes_through(app: Application) -> None:
    sent: list[dict[str, Any]] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app.asgi({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
