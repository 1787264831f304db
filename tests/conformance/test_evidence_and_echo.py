from __future__ import annotations

import json

import httpx
import pytest

from apiconform.conformance.echo import EchoServer
from apiconform.conformance.evidence import EXCERPT, Recorder, TargetClient


@pytest.fixture
def echo() -> EchoServer:
    with EchoServer() as server:
        yield server


def test_echo_server_records_requests_and_answers(echo: EchoServer) -> None:
    reply = httpx.post(
        f"{echo.url}/hooks/error", json={"severity": "critical"}, headers={"X-Signature": "abc"}
    )
    assert reply.status_code == 200
    assert reply.json() == {"ok": True}
    [record] = echo.requests("/hooks")
    assert record.method == "POST"
    assert record.path == "/hooks/error"
    assert record.headers["x-signature"] == "abc"
    assert record.json() == {"severity": "critical"}
    assert echo.requests("/other") == []
    echo.clear()
    assert echo.requests() == []


def test_echo_server_reply_can_be_changed(echo: EchoServer) -> None:
    echo.status, echo.reply = 503, b'{"down": true}'
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        assert httpx.request(method, f"{echo.url}/x").status_code == 503
    assert [r.method for r in echo.requests()] == ["GET", "PUT", "PATCH", "DELETE"]


def test_client_records_each_exchange_and_hides_credentials(echo: EchoServer) -> None:
    recorder = Recorder()
    with TargetClient(echo.url + "/", recorder) as client:
        client.get("/a", headers={"Authorization": "Bearer secret", "Cookie": "sid=1"})
        client.post("/b", content=b"x" * (EXCERPT + 10))
        client.put("/c", json={"k": 1})
        client.patch("/d")
        client.delete("/e")
    first, second, third, *_ = recorder.exchanges
    assert first.request_headers["authorization"] == "[redacted]"
    assert first.request_headers["cookie"] == "[redacted]"
    assert first.status == 200
    assert first.response_body == '{"ok": true}'
    assert second.request_body.endswith("... [10 more bytes]")
    assert third.to_dict()["request"]["body"] == '{"k":1}'
    assert [e.method for e in recorder.exchanges] == ["GET", "POST", "PUT", "PATCH", "DELETE"]
    assert first.summary() == f"GET {echo.url}/a -> 200"


def test_transport_errors_are_recorded_and_raised() -> None:
    with EchoServer() as gone:
        url = gone.url
    recorder = Recorder()
    with TargetClient(url, recorder, timeout=1) as client, pytest.raises(httpx.ConnectError):
        client.get("/x")
    [exchange] = recorder.exchanges
    assert exchange.status is None
    assert exchange.error is not None
    assert exchange.error.startswith("ConnectError")
    assert exchange.summary().endswith(exchange.error)


def test_secrets_never_reach_the_evidence(echo: EchoServer) -> None:
    echo.reply = b'{"access_token": "at-SECRET", "nested": [{"refresh_token": "rt-SECRET"}]}'
    recorder = Recorder()
    with TargetClient(echo.url, recorder) as client:
        client.post(
            "/token?code=code-SECRET&state=visible",
            json={"password": "pw-SECRET", "user": "ada"},
            headers={"X-Api-Key": "key-SECRET"},
        )
    [exchange] = recorder.exchanges
    assert "SECRET" not in json.dumps(exchange.to_dict())
    assert "state=visible" in exchange.url
    assert json.loads(exchange.request_body) == {"password": "[redacted]", "user": "ada"}
    assert exchange.request_headers["x-api-key"] == "[redacted]"


def test_streamed_request_bodies_are_noted_not_read(echo: EchoServer) -> None:
    recorder = Recorder()
    with TargetClient(echo.url, recorder) as client:
        client.post("/s", content=iter([b"a", b"b"]))
    assert recorder.exchanges[0].request_body == "[streamed body]"


def test_form_bodies_hide_client_secrets_codes_and_verifiers(echo: EchoServer) -> None:
    recorder = Recorder()
    with TargetClient(echo.url, recorder) as client:
        client.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "client_secret": "cs-SECRET",
                "code": "code-SECRET",
                "code_verifier": "cv-SECRET",
            },
        )
    [exchange] = recorder.exchanges
    assert "SECRET" not in json.dumps(exchange.to_dict())
    assert "grant_type=authorization_code" in exchange.request_body
