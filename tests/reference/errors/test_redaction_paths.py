"""Credentials in an exception never reach a log line, a problem body or a webhook."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from apiconform.conformance.echo import EchoServer
from apiconform.reference.errors import ErrorHandling
from apiconform.reference.kernel import ApplicationFactory, AppRegistry, controller, get
from tests.conftest import LogCapture

# built, so that no source line a development stack shows holds the marker itself
MARK = "".join(("XY", "ZZY"))
LEAKED_MESSAGE = (
    f"cannot reach postgresql://app:pw-{MARK}@db/x (client_secret=cs-{MARK}, "
    f'payload {{"password": "pass-{MARK}"}}, Authorization: Bearer tok-{MARK}-123)'
)


class Leaky(RuntimeError):
    pass


@controller("leak")
class LeakController:
    @get("")
    async def leak(self) -> None:
        raise Leaky(LEAKED_MESSAGE)


async def call(registry: AppRegistry, environment: str, **errors: Any) -> httpx.Response:
    app = ApplicationFactory.create(
        id=f"leak-{environment}",
        scope="agent",
        config={"environment": environment, "errors": errors},
        controllers=[LeakController],
        features=[ErrorHandling()],
        registry=registry,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi), base_url="http://t"
    ) as client:
        response = await client.get("/leak")
    await app.dispose()
    return response


@pytest.mark.parametrize("environment", ["production", "development"])
async def test_the_error_log_line_and_the_problem_hold_no_credential(
    registry: AppRegistry, logs: LogCapture, environment: str
) -> None:
    response = await call(registry, environment)
    assert response.status_code == 500
    assert MARK not in response.text
    [line] = logs.lines(message="request failed")
    assert line["exception"], "the stack is logged"
    assert MARK not in json.dumps(logs.lines())
    if environment == "development":  # the stack and message are shown, masked
        body = response.json()
        assert "cannot reach postgresql://[redacted]@db/x" in body["exception"]
        assert any("raise Leaky" in frame for frame in body["stack"])


async def test_webhook_payloads_hold_no_credential(registry: AppRegistry) -> None:
    with EchoServer() as echo:
        await call(
            registry,
            "development",
            webhook_urls=[f"{echo.url}/hook"],
            webhook_secret="hook-secret",
        )
        [request] = echo.requests("/hook")  # dispose flushed the webhook queue
    assert MARK not in request.body.decode()
    assert json.loads(request.body)["message"].startswith("cannot reach postgresql://[redacted]@")
