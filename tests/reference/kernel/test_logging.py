from __future__ import annotations

import io
import json
import logging
from datetime import datetime

import pytest

from apiconform.common.logs import REDACTED, configure_logging, get_logger
from apiconform.errors import ConfigError
from apiconform.reference.kernel import ApplicationFactory, AppRegistry
from apiconform.reference.kernel.context import correlation_context, scope_context
from tests.conftest import LogCapture


def test_lines_are_json_with_the_common_fields_first(logs: LogCapture) -> None:
    get_logger("test.module").info("hello", extra_field=3)
    [line] = logs.lines(message="hello")
    assert list(line)[:7] == [
        "timestamp",
        "level",
        "message",
        "logger",
        "app_id",
        "scope_id",
        "correlation_id",
    ]
    assert line["level"] == "info"
    assert line["logger"] == "test.module"
    assert line["extra_field"] == 3
    stamp = datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00"))
    assert stamp.utcoffset() is not None
    assert stamp.utcoffset().total_seconds() == 0


def test_scope_and_correlation_come_from_the_context(
    logs: LogCapture, registry: AppRegistry
) -> None:
    app = ApplicationFactory.create(id="agent:indexer", scope="agent", registry=registry)
    with scope_context(app, scope_id="scope:req:abc123"), correlation_context("corr-9"):
        get_logger("t").info("Request processed")
    [line] = logs.lines(message="Request processed")
    assert (line["app_id"], line["scope_id"], line["correlation_id"]) == (
        "agent:indexer",
        "scope:req:abc123",
        "corr-9",
    )


def test_outside_a_scope_the_fields_are_null(logs: LogCapture) -> None:
    get_logger("t").info("bare")
    [line] = logs.lines(message="bare")
    assert line["app_id"] is None
    assert line["scope_id"] is None
    assert line["correlation_id"] is None


def test_bound_fields_win_over_the_context(logs: LogCapture, registry: AppRegistry) -> None:
    app = ApplicationFactory.create(id="a", scope="agent", registry=registry)
    with scope_context(app):
        get_logger("t", app_id="explicit").info("bound")
    assert logs.lines(message="bound")[0]["app_id"] == "explicit"


def test_secrets_are_redacted_also_when_nested(logs: LogCapture) -> None:
    get_logger("t").info(
        "login",
        password="hunter2",
        headers={"Authorization": "Bearer abc", "accept": "x"},
        refresh_token=None,
    )
    [line] = logs.lines(message="login")
    assert line["password"] == REDACTED
    assert line["headers"] == {"Authorization": REDACTED, "accept": "x"}
    assert line["refresh_token"] is None
    assert "hunter2" not in logs.text
    assert "Bearer abc" not in logs.text


def test_stdlib_records_go_through_the_same_pipeline(logs: LogCapture) -> None:
    logging.getLogger("uvicorn.error").warning("plain %s", "record")
    [line] = logs.lines(message="plain record")
    assert line["level"] == "warning"
    assert line["logger"] == "uvicorn.error"


@pytest.mark.requirement("ERR-LOGGER-01")
def test_exceptions_are_structured(logs: LogCapture) -> None:
    try:
        raise ValueError("bad thing")
    except ValueError:
        get_logger("t").exception("failed")
    [line] = logs.lines(message="failed")
    assert line["level"] == "error"
    assert line["exception"][0]["exc_type"] == "ValueError"


def test_url_logging_libraries_are_quiet(logs: LogCapture) -> None:
    logging.getLogger("httpx").info("HTTP Request: GET http://x/?code=secret")
    assert "secret" not in logs.text


def test_console_format_when_asked_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APICONFORM_LOG_FORMAT", "console")
    stream = io.StringIO()
    setup = configure_logging(stream=stream, level="INFO")
    try:
        get_logger("t").info("human readable", n=1)
        get_logger("t").debug("hidden")
    finally:
        setup.restore()
    text = stream.getvalue()
    assert "human readable" in text
    assert "n=1" in text
    assert "hidden" not in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.splitlines()[0])


def test_reconfiguring_replaces_the_previous_handler_and_restore_undoes_it() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    first = configure_logging("json", stream=io.StringIO())
    second = configure_logging("json", stream=io.StringIO())
    assert second.handler in root.handlers
    assert first.handler not in root.handlers
    second.restore()
    assert first.handler in root.handlers
    first.restore()
    assert root.handlers == before


def test_loggers_made_before_configuration_follow_it() -> None:
    early = get_logger("early")
    early.info("warm the cache")
    stream = io.StringIO()
    setup = configure_logging("json", stream=stream, level="WARNING")
    try:
        early.info("dropped")
        early.warning("kept")
    finally:
        setup.restore()
    assert [json.loads(x)["message"] for x in stream.getvalue().splitlines()] == ["kept"]


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown log level 'loud'"):
        configure_logging(level="loud")


def test_tracebacks_never_carry_local_variables(logs: LogCapture) -> None:
    def handler(authorization: str) -> None:
        token = authorization.removeprefix("Bearer ")
        raise RuntimeError(f"failed after reading a token of {len(token)} characters")

    try:
        handler("Bearer TOPSECRET-123")
    except RuntimeError as exc:
        get_logger("t").error("crashed", exc_info=exc)
    [line] = logs.lines(message="crashed")
    assert line["exception"][0]["frames"]  # the stack is there
    assert "TOPSECRET" not in logs.text
    assert all("locals" not in frame for frame in line["exception"][0]["frames"])


def test_fields_bound_with_structlog_contextvars_reach_the_line(logs: LogCapture) -> None:
    import structlog.contextvars

    with structlog.contextvars.bound_contextvars(tenant="acme"):
        get_logger("t").info("bound in context")
    get_logger("t").info("after")
    assert logs.lines(message="bound in context")[0]["tenant"] == "acme"
    assert "tenant" not in logs.lines(message="after")[0]
