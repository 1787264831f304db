"""Error events, the webhook reporter and the Sentry reporter."""

from __future__ import annotations

import asyncio
import gzip
import inspect
import json
import sys
import warnings
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from apiconform.conformance.echo import EchoServer
from apiconform.errors import ConfigError
from apiconform.reference.errors.monitoring import (
    ErrorEvent,
    ErrorReporter,
    SentryReporter,
    WebhookReporter,
    sign,
    verify_signature,
)
from apiconform.reference.kernel.context import correlation_context
from tests.conftest import LogCapture

SECRET = "whsec-test-7d1f"


def event(status: int = 500, **overrides: Any) -> ErrorEvent:
    fields: dict[str, Any] = {
        "error_type": "RuntimeError",
        "message": "boom",
        "status": status,
        "correlation_id": "corr-1",
        "service": "shop",
        "environment": "test",
        "method": "GET",
        "path": "/orders/7",
        "user_id": "u-42",
    }
    fields.update(overrides)
    return ErrorEvent(**fields)


def raise_boom() -> None:
    raise RuntimeError("cannot reach postgresql://app:hunter2@db/x")


def captured() -> RuntimeError:
    try:
        raise_boom()
    except RuntimeError as exc:
        return exc
    raise AssertionError("unreachable")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Sleeps:
    """An injected ``sleep``: records delays and may run a hook on each."""

    def __init__(self, hook: Callable[[], None] | None = None) -> None:
        self.delays: list[float] = []
        self.hook = hook

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self.hook is not None:
            self.hook()


@pytest.fixture(scope="module")
def echo_server() -> Iterator[EchoServer]:
    # one server for the module: stopping one takes half a second (its poll interval)
    with EchoServer() as server:
        yield server


@pytest.fixture
def echo(echo_server: EchoServer) -> EchoServer:
    echo_server.clear()
    echo_server.status = 200
    return echo_server


def mock_client(
    handler: Callable[[httpx.Request], Coroutine[Any, Any, httpx.Response]],
) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


# --- events ---------------------------------------------------------------------------------


def test_severity_follows_the_status_and_the_query_string_is_dropped() -> None:
    assert event(500).severity == "critical"
    assert event(503).severity == "critical"
    assert event(404).severity == "error"
    assert event(500, severity="error").severity == "error"  # an explicit choice stays
    assert event(path="/login?code=abc&state=x").path == "/login"


def test_an_event_from_an_exception_masks_secrets_and_takes_the_correlation_id() -> None:
    exc = captured()
    with correlation_context("req-9"):
        built = ErrorEvent.from_exception(
            exc,
            status=500,
            service="shop",
            environment="prod",
            method="POST",
            path="/pay?token=t",
            user_id="u-1",
            problem={"status": 500, "title": "Internal Server Error"},
        )
    assert built.correlation_id == "req-9"
    assert built.error_type == "RuntimeError"
    assert "hunter2" not in built.message
    assert built.stack is not None
    assert "raise_boom" in built.stack
    assert "hunter2" not in built.stack
    assert built.exception is exc
    assert built.path == "/pay"
    stamp = datetime.fromisoformat(built.timestamp.replace("Z", "+00:00"))
    assert built.timestamp.endswith("Z")
    assert stamp.utcoffset() is not None


def test_payload_leaves_the_stack_out_unless_allowed() -> None:
    built = ErrorEvent.from_exception(
        captured(), status=502, service="shop", environment="prod", correlation_id="c-2"
    )
    payload = built.to_payload()
    assert payload["event"] == "error"
    assert payload["severity"] == "critical"
    assert payload["status"] == 502
    assert payload["correlation_id"] == "c-2"
    assert "stack" not in payload
    assert "problem" not in payload
    assert "exception" not in payload
    assert "raise_boom" in built.to_payload(include_stack=True)["stack"]
    json.dumps(payload)  # ready for the wire as is


# --- signatures -----------------------------------------------------------------------------


def test_signatures_verify_only_the_exact_body_and_secret() -> None:
    body = b'{"severity":"critical"}'
    header = sign(body, SECRET)
    assert header.startswith("sha256=")
    assert len(header) == len("sha256=") + 64
    assert verify_signature(body, header, SECRET)
    assert not verify_signature(body + b" ", header, SECRET)
    assert not verify_signature(body, header, "other-secret")
    assert not verify_signature(body, header.replace("sha256=", "md5="), SECRET)
    assert not verify_signature(body, "", SECRET)


# --- webhook: delivery ----------------------------------------------------------------------


async def test_webhook_posts_signed_json_to_every_url(echo: EchoServer) -> None:
    reporter = WebhookReporter(
        [f"{echo.url}/hook", f"{echo.url}/other"], secret=SECRET, service="shop"
    )
    assert isinstance(reporter, ErrorReporter)
    reporter.report(event(problem={"title": "Internal Server Error", "status": 500}))
    await reporter.aclose()

    [hook] = echo.requests("/hook")
    assert len(echo.requests("/other")) == 1
    assert hook.method == "POST"
    assert hook.headers["content-type"] == "application/json"
    assert hook.headers["x-apiconform-event"] == "error"
    assert hook.headers["x-apiconform-service"] == "shop"
    assert verify_signature(hook.body, hook.headers["x-apiconform-signature"], SECRET)
    body = hook.json()
    assert body["severity"] == "critical"
    assert body["correlation_id"] == "corr-1"
    assert body["problem"] == {"title": "Internal Server Error", "status": 500}
    assert "stack" not in body
    assert (reporter.delivered, reporter.failed, reporter.dropped) == (2, 0, 0)


async def test_without_a_secret_there_is_no_signature(echo: EchoServer) -> None:
    reporter = WebhookReporter([f"{echo.url}/hook"], secret=None, service="shop")
    reporter.start()
    reporter.report(event())
    await reporter.aclose()
    [hook] = echo.requests("/hook")
    assert "x-apiconform-signature" not in hook.headers


async def test_a_custom_payload_and_the_stack_when_allowed(echo: EchoServer) -> None:
    custom = WebhookReporter(
        [f"{echo.url}/slack"],
        secret=None,
        service="shop",
        payload=lambda e: {"text": f"{e.severity}: {e.error_type} on {e.path}"},
    )
    with_stack = WebhookReporter(
        [f"{echo.url}/full"], secret=None, service="shop", include_stack=True
    )
    built = ErrorEvent.from_exception(captured(), status=500, service="shop", environment="t")
    custom.report(event())
    with_stack.report(built)
    await custom.aclose()
    await with_stack.aclose()
    assert echo.requests("/slack")[0].json() == {"text": "critical: RuntimeError on /orders/7"}
    assert "raise_boom" in echo.requests("/full")[0].json()["stack"]


async def test_a_503_is_retried_with_backoff_until_it_succeeds(echo: EchoServer) -> None:
    echo.status = 503

    def recover() -> None:
        echo.status = 200

    sleeps = Sleeps(hook=recover)
    reporter = WebhookReporter(
        [f"{echo.url}/hook"], secret=SECRET, service="shop", backoff=0.5, sleep=sleeps
    )
    reporter.report(event())
    await reporter.aclose()
    assert len(echo.requests("/hook")) == 2
    assert sleeps.delays == [0.5]
    assert (reporter.delivered, reporter.failed) == (1, 0)


async def test_a_webhook_that_keeps_failing_is_given_up_with_one_warning(
    echo: EchoServer, logs: LogCapture
) -> None:
    echo.status = 503
    sleeps = Sleeps()
    url = f"{echo.url}/hooks/T000/s3cr3t-path-token"
    reporter = WebhookReporter([url], secret=SECRET, service="shop", retries=2, sleep=sleeps)
    with correlation_context("req-77"):
        reporter.report(event(correlation_id="req-77"))
    await reporter.aclose()

    assert len(echo.requests("/hooks")) == 3
    assert sleeps.delays == [0.5, 1.0]
    assert (reporter.delivered, reporter.failed) == (0, 1)
    [line] = logs.lines(message="error webhook failed")
    assert line["level"] == "warning"
    assert line["attempts"] == 3
    assert line["error"] == "HTTP 503"
    assert line["target"] == echo.url
    assert line["event_correlation_id"] == "req-77"
    assert line["correlation_id"] is None  # the worker is not part of that request
    assert "s3cr3t" not in logs.text
    assert SECRET not in logs.text


async def test_a_4xx_answer_is_not_retried(echo: EchoServer) -> None:
    echo.status = 400
    sleeps = Sleeps()
    reporter = WebhookReporter([f"{echo.url}/hook"], secret=None, service="s", sleep=sleeps)
    reporter.report(event())
    await reporter.aclose()
    assert len(echo.requests("/hook")) == 1
    assert sleeps.delays == []
    assert reporter.failed == 1


async def test_transport_errors_are_retried_and_protocol_mistakes_are_not(
    logs: LogCapture,
) -> None:
    attempts: list[str] = []

    async def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(request.url.path)
        if request.url.path == "/down":
            raise httpx.ConnectError("connection refused", request=request)
        raise httpx.LocalProtocolError("illegal header")

    sleeps = Sleeps()
    client = mock_client(refuse)
    reporter = WebhookReporter(
        ["http://hooks.test/down", "http://hooks.test/bad"],
        secret=None,
        service="s",
        retries=3,
        client=client,
        sleep=sleeps,
    )
    reporter.report(event())
    await reporter.aclose()
    assert attempts.count("/down") == 4
    assert attempts.count("/bad") == 1
    assert reporter.failed == 2
    errors = {ln["error"] for ln in logs.lines(message="error webhook failed")}
    assert errors == {"ConnectError: connection refused", "LocalProtocolError: illegal header"}
    assert not client.is_closed  # a client it was given is the caller's to close
    await client.aclose()


async def test_a_payload_hook_that_fails_does_not_stop_the_worker(
    echo: EchoServer, logs: LogCapture
) -> None:
    def payload(e: ErrorEvent) -> dict[str, Any]:
        if e.status == 501:
            raise ValueError("cannot format")
        return {"status": e.status}

    reporter = WebhookReporter([f"{echo.url}/hook"], secret=None, service="s", payload=payload)
    reporter.report(event(501))
    reporter.report(event(502))
    await reporter.aclose()
    assert [r.json() for r in echo.requests("/hook")] == [{"status": 502}]
    assert (reporter.delivered, reporter.failed) == (1, 1)
    [line] = logs.lines(message="error webhook payload failed")
    assert line["error"] == "ValueError: cannot format"


# --- webhook: never in the way --------------------------------------------------------------


@pytest.fixture
async def stalled() -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    """A webhook that accepts the connection and never answers."""
    started: list[str] = []
    never = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        started.append(request.url.path)
        await never.wait()
        return httpx.Response(200)  # pragma: no cover - never reached

    client = mock_client(hang)
    yield client, started
    await client.aclose()


async def test_a_stalled_webhook_never_delays_report(
    stalled: tuple[httpx.AsyncClient, list[str]], logs: LogCapture
) -> None:
    client, started = stalled
    reporter = WebhookReporter(
        ["http://hooks.test/slow"], secret=None, service="s", client=client, drain_timeout=0.05
    )
    assert not inspect.iscoroutinefunction(reporter.report)
    reporter.report(event())
    await asyncio.sleep(0.01)  # the worker takes the event and stalls on the webhook
    assert started == ["/slow"]
    reporter.report(event())  # returns at once: the event waits in the queue
    assert reporter.pending == 2

    await reporter.aclose()  # gives up after drain_timeout
    assert reporter.pending == 0
    assert (reporter.delivered, reporter.dropped) == (0, 2)
    [line] = logs.lines(message="error webhook closed with undelivered events")
    assert line["undelivered"] == 2


async def test_a_full_queue_drops_events_with_a_counted_warning(
    stalled: tuple[httpx.AsyncClient, list[str]], logs: LogCapture
) -> None:
    client, _ = stalled
    clock = FakeClock()
    reporter = WebhookReporter(
        ["http://hooks.test/slow"],
        secret=None,
        service="s",
        queue_size=2,
        client=client,
        clock=clock,
        log_interval=60.0,
        drain_timeout=0.01,
    )
    for _ in range(5):
        reporter.report(event())
    assert (reporter.pending, reporter.dropped) == (2, 3)
    [first] = logs.lines(message="error event dropped")
    assert (first["reason"], first["dropped"], first["suppressed"]) == ("queue full", 1, 0)

    clock.now = 60.0
    reporter.report(event())
    second = logs.lines(message="error event dropped")[1]
    assert (second["dropped"], second["suppressed"]) == (4, 2)
    assert len(logs.lines(message="error event dropped")) == 2
    await reporter.aclose()


async def test_reports_after_close_are_dropped(echo: EchoServer) -> None:
    reporter = WebhookReporter([f"{echo.url}/hook"], secret=None, service="s")
    await reporter.aclose()
    reporter.report(event())
    assert reporter.dropped == 1
    assert echo.requests() == []


async def test_report_from_a_worker_thread_reaches_the_webhook(echo: EchoServer) -> None:
    reporter = WebhookReporter([f"{echo.url}/hook"], secret=None, service="s")
    reporter.start()
    await asyncio.to_thread(reporter.report, event(user_id="from-thread"))
    await asyncio.sleep(0)  # let the loop run the hand-off
    await reporter.aclose()
    assert [r.json()["user_id"] for r in echo.requests("/hook")] == ["from-thread"]


def test_events_reported_before_any_loop_are_sent_on_close(echo: EchoServer) -> None:
    reporter = WebhookReporter([f"{echo.url}/hook"], secret=None, service="s")
    reporter.report(event())
    assert reporter.pending == 1
    asyncio.run(reporter.aclose())
    assert len(echo.requests("/hook")) == 1
    assert reporter.delivered == 1


def test_a_report_after_the_worker_loop_closed_is_dropped(echo: EchoServer) -> None:
    reporter = WebhookReporter([f"{echo.url}/hook"], secret=None, service="s")

    async def start() -> None:
        reporter.start()

    asyncio.run(start())  # the loop ends; its tasks are cancelled
    reporter.report(event())
    assert reporter.dropped == 1


@pytest.mark.parametrize(
    ("urls", "options", "message"),
    [
        ([], {}, "at least one URL"),
        (["ftp://x/hook"], {}, "URL #1 must be http"),
        (["http://x/hook"], {"queue_size": 0}, "queue_size"),
        (["http://x/hook"], {"retries": -1}, "retries"),
    ],
)
def test_webhook_settings_are_validated(
    urls: list[str], options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        WebhookReporter(urls, secret=None, service="s", **options)


# --- Sentry ---------------------------------------------------------------------------------

DSN = "http://publickey@127.0.0.1:9/42"


class RecordingTransport(Transport):
    """Keeps envelopes instead of sending them."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    def events(self) -> list[dict[str, Any]]:
        found = []
        for envelope in self.envelopes:
            for item in envelope.items:
                if item.type == "event" and item.payload.json is not None:
                    found.append(item.payload.json)
        return found


@pytest.fixture
async def sentry() -> AsyncIterator[tuple[SentryReporter, RecordingTransport]]:
    transport = RecordingTransport()
    reporter = SentryReporter(DSN, environment="test", release="shop@1.2.3", transport=transport)
    yield reporter, transport
    await reporter.aclose()
    assert not sentry_sdk.get_client().is_active()  # the global SDK was never initialised


async def test_sentry_gets_tags_user_breadcrumb_and_frames(
    sentry: tuple[SentryReporter, RecordingTransport],
) -> None:
    reporter, transport = sentry
    built = ErrorEvent.from_exception(
        captured(),
        status=500,
        service="shop",
        environment="test",
        method="GET",
        path="/orders/7?token=abc",
        user_id="u-42",
        correlation_id="corr-5",
    )
    assert isinstance(reporter, ErrorReporter)
    reporter.report(built)

    [sent] = transport.events()
    assert reporter.sent == 1
    assert sent["level"] == "error"
    assert sent["environment"] == "test"
    assert sent["release"] == "shop@1.2.3"
    assert sent["tags"] == {
        "service": "shop",
        "environment": "test",
        "correlation_id": "corr-5",
        "status": "500",
        "severity": "critical",
    }
    assert sent["user"] == {"id": "u-42"}
    assert sent["request"] == {"method": "GET", "url": "/orders/7"}
    [crumb] = sent["breadcrumbs"]["values"]
    assert (crumb["category"], crumb["type"], crumb["message"]) == ("http", "http", "GET /orders/7")
    assert crumb["data"] == {"method": "GET", "url": "/orders/7", "status_code": 500}
    [value] = sent["exception"]["values"]
    assert value["type"] == "RuntimeError"
    assert value["mechanism"] == {"type": "apiconform", "handled": False}
    frames = value["stacktrace"]["frames"]
    assert frames[-1]["function"] == "raise_boom"
    assert all("vars" not in frame for frame in frames)  # no locals without PII consent


async def test_sentry_builds_the_exception_from_the_event_alone(
    sentry: tuple[SentryReporter, RecordingTransport],
) -> None:
    reporter, transport = sentry
    reporter.report(event(503, user_id=None, correlation_id=None))
    [sent] = transport.events()
    assert sent["exception"]["values"] == [{"type": "RuntimeError", "value": "boom"}]
    assert "user" not in sent
    assert "correlation_id" not in sent["tags"]


async def test_deliberate_4xx_answers_are_not_sent_to_sentry(
    sentry: tuple[SentryReporter, RecordingTransport],
) -> None:
    reporter, transport = sentry
    reporter.report(event(404))
    reporter.report(event(422))
    assert transport.envelopes == []
    assert reporter.sent == 0


async def test_a_failing_sentry_transport_never_raises_into_the_request(
    logs: LogCapture,
) -> None:
    class Broken(RecordingTransport):
        def capture_envelope(self, envelope: Envelope) -> None:
            raise OSError("disk full")

    clock = FakeClock()
    reporter = SentryReporter(
        DSN, environment="test", transport=Broken(), clock=clock, log_interval=60.0
    )
    for _ in range(3):
        reporter.report(event())
    clock.now = 61.0
    reporter.report(event())
    lines = logs.lines(message="sentry report failed")
    assert [ln["suppressed"] for ln in lines] == [0, 2]
    assert lines[0]["error"] == "OSError: disk full"
    await reporter.aclose()


async def test_local_variables_are_sent_only_with_pii_consent() -> None:
    transport = RecordingTransport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # newer SDKs deprecate the flag
        reporter = SentryReporter(
            DSN, environment="test", transport=transport, send_default_pii=True
        )
    reporter.report(ErrorEvent.from_exception(captured(), status=500, service="s", environment="t"))
    [sent] = transport.events()
    frames = sent["exception"]["values"][0]["stacktrace"]["frames"]
    assert any("vars" in frame for frame in frames)
    await reporter.aclose()


async def test_events_the_sdk_samples_out_are_not_counted_as_sent() -> None:
    transport = RecordingTransport()
    reporter = SentryReporter(DSN, environment="test", transport=transport, sample_rate=0.0)
    reporter.report(event())
    assert (transport.envelopes, reporter.sent) == ([], 0)
    await reporter.aclose()


async def test_sentry_is_off_without_a_dsn() -> None:
    reporter = SentryReporter(None, environment="test")
    assert not reporter.enabled
    reporter.report(event())
    await reporter.aclose()
    assert not SentryReporter("", environment="test").enabled


def test_a_missing_sentry_sdk_asks_for_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # makes the import fail
    with pytest.raises(ConfigError, match=r"install apiconform\[sentry\]"):
        SentryReporter(DSN, environment="test")


def test_an_invalid_dsn_is_reported_without_its_key() -> None:
    with pytest.raises(ConfigError, match="sentry dsn is invalid") as caught:
        SentryReporter("not-a-dsn-secretkey", environment="test")
    assert "secretkey" not in str(caught.value)


async def test_sentry_envelopes_reach_a_real_endpoint(echo: EchoServer) -> None:
    """The path the conformance check uses: the DSN points at the suite's echo server."""
    port = echo.url.rsplit(":", 1)[1]
    reporter = SentryReporter(f"http://publickey@127.0.0.1:{port}/42", environment="ci")
    reporter.report(event(user_id="u-7", correlation_id="corr-echo"))
    await reporter.aclose()  # flushes the SDK's sending thread

    [request] = echo.requests("/api/42/envelope/")
    body = request.body
    encoding = request.headers.get("content-encoding")
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding == "br":
        import brotli  # type: ignore[import-untyped]  # the SDK compresses with it only when it is installed

        body = brotli.decompress(body)
    lines = [json.loads(line) for line in body.splitlines() if line.strip()]
    sent = next(line for line in lines if "tags" in line)
    assert sent["tags"]["correlation_id"] == "corr-echo"
    assert sent["user"] == {"id": "u-7"}
    assert not sentry_sdk.get_client().is_active()


async def test_sentry_never_gets_credentials_from_the_exception_message(
    sentry: tuple[SentryReporter, RecordingTransport],
) -> None:
    reporter, transport = sentry
    secret = "".join(("pw", "-SEC", "RET"))  # no literal secret in the captured source lines
    try:
        raise RuntimeError(f"login to postgresql://app:{secret}@db/x failed: password={secret}")
    except RuntimeError as exc:
        failure = exc
    reporter.report(ErrorEvent.from_exception(failure, status=500, service="s", environment="t"))
    [sent] = transport.events()
    text = json.dumps(sent)
    assert secret not in text
    [value] = sent["exception"]["values"]
    assert value["value"] == ("login to postgresql://[redacted]@db/x failed: password=[redacted]")
