"""Retry, circuit breaker, fallback and the transient-error classification."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import inspect
import json
import socket
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pydantic
import pytest
import sqlalchemy.exc as sa_exc
from hypothesis import given
from hypothesis import strategies as st
from starlette.responses import JSONResponse, PlainTextResponse

from apiconform.errors import ConfigError
from apiconform.mocks.factories import make_request
from apiconform.reference.errors.exceptions import (
    BadRequest,
    InternalServerError,
    NotFound,
    ServiceUnavailable,
    Validation,
)
from apiconform.reference.errors.resilience import (
    CircuitBreaker,
    CircuitOpenError,
    CircuitRegistry,
    CircuitState,
    ExponentialBackoff,
    OncePerInterval,
    error_summary,
    fallback,
    is_failure,
    is_transient,
    redact_text,
    retry,
)
from apiconform.reference.kernel import ApplicationFactory, AppRegistry, controller, get
from tests.conftest import LogCapture


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def sqlite_error(path: Path, *, locked: bool) -> sqlite3.OperationalError:
    """A real driver error: ``database is locked`` (busy) or ``no such table``."""
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("CREATE TABLE t (x)")
    holder.commit()
    other = sqlite3.connect(path, timeout=0)
    try:
        if locked:
            holder.execute("BEGIN EXCLUSIVE")
            other.execute("SELECT * FROM t")
        else:
            other.execute("SELECT * FROM missing")
    except sqlite3.OperationalError as exc:
        return exc
    finally:
        holder.close()
        other.close()
    raise AssertionError("sqlite did not fail")


def sa_wrap(cls: type[sa_exc.DBAPIError], orig: BaseException, **kw: Any) -> sa_exc.DBAPIError:
    return cls("SELECT 1", {}, orig, **kw)


# --- classification -------------------------------------------------------------------------

TRANSIENT = [
    ConnectionRefusedError(errno.ECONNREFUSED, "refused"),
    ConnectionResetError(),
    TimeoutError(),
    OSError(errno.ECONNRESET, "reset by peer"),
    OSError(errno.ENETUNREACH, "network unreachable"),
    socket.gaierror(socket.EAI_AGAIN, "temporary failure in name resolution"),
    httpx.ConnectError("refused"),
    httpx.ReadTimeout("slow"),
    httpx.RemoteProtocolError("server disconnected"),
    asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
    asyncpg.exceptions.SerializationError("could not serialize access"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
    asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    asyncpg.exceptions.TooManyConnectionsError("too many clients"),
    sa_wrap(sa_exc.OperationalError, ConnectionResetError()),
    sa_wrap(sa_exc.InterfaceError, Exception("connection closed")),
    sa_wrap(sa_exc.DBAPIError, Exception("server closed"), connection_invalidated=True),
    sa_wrap(sa_exc.DBAPIError, asyncpg.exceptions.DeadlockDetectedError("deadlock")),
    sa_exc.DisconnectionError("pool says stale"),
]
PERMANENT = [
    ValueError("bad"),
    KeyError("k"),
    OSError(errno.ENOENT, "no such file"),
    FileNotFoundError(),
    socket.gaierror(socket.EAI_NONAME, "unknown host"),
    httpx.UnsupportedProtocol("ftp"),
    httpx.LocalProtocolError("bad header"),
    NotFound(),
    BadRequest("bad"),
    Validation([]),
    ServiceUnavailable("down"),
    asyncpg.exceptions.UniqueViolationError("duplicate key"),
    sa_wrap(sa_exc.IntegrityError, asyncpg.exceptions.UniqueViolationError("duplicate")),
    sa_wrap(sa_exc.IntegrityError, ConnectionResetError()),
    sa_wrap(sa_exc.ProgrammingError, Exception("syntax error")),
    sa_wrap(sa_exc.DBAPIError, ValueError("odd")),
    sa_exc.ArgumentError("bad argument"),
]


@pytest.mark.parametrize("exc", TRANSIENT, ids=lambda e: type(e).__name__)
def test_connection_timeout_deadlock_and_serialization_errors_are_transient(
    exc: BaseException,
) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize("exc", PERMANENT, ids=lambda e: type(e).__name__)
def test_constraint_validation_and_http_errors_are_not_transient(exc: BaseException) -> None:
    assert not is_transient(exc)


def test_pydantic_validation_errors_are_not_transient() -> None:
    class Model(pydantic.BaseModel):
        n: int

    with pytest.raises(pydantic.ValidationError) as caught:
        Model.model_validate({"n": "x"})
    assert not is_transient(caught.value)


def test_sqlite_busy_is_transient_but_a_missing_table_is_not(tmp_path: Path) -> None:
    busy = sqlite_error(tmp_path / "busy.sqlite", locked=True)
    missing = sqlite_error(tmp_path / "missing.sqlite", locked=False)
    assert is_transient(sa_wrap(sa_exc.OperationalError, busy))
    # an OperationalError, yet retrying cannot create the table
    assert not is_transient(sa_wrap(sa_exc.OperationalError, missing))


def test_failures_for_the_breaker_are_transient_errors_and_5xx() -> None:
    request = httpx.Request("GET", "http://t/")
    assert is_failure(ConnectionResetError())
    assert is_failure(InternalServerError())
    assert is_failure(ServiceUnavailable())
    assert not is_failure(NotFound())
    assert not is_failure(ValueError())
    assert is_failure(httpx.HTTPStatusError("bad", request=request, response=httpx.Response(502)))
    assert not is_failure(
        httpx.HTTPStatusError("nf", request=request, response=httpx.Response(404))
    )


def test_error_text_masks_credentials_and_is_bounded() -> None:
    text = redact_text(
        "connect postgresql://app:hunter2@db:5432/x failed; password=hunter2, "
        "Authorization: Bearer abc.def-ghi token: t0ps3cret"
    )
    assert "hunter2" not in text
    assert "abc.def" not in text
    assert "t0ps3cret" not in text
    assert "postgresql://[redacted]@db:5432/x" in text
    assert error_summary(KeyError()) == "KeyError"
    long = error_summary(RuntimeError("x" * 1000))
    assert len(long) == 300
    assert long.startswith("RuntimeError: xxx")
    assert long.endswith("...")


def test_once_per_interval_counts_what_it_holds_back() -> None:
    clock = FakeClock()
    gate = OncePerInterval(10.0, clock)
    assert gate.ready() == 0
    assert gate.ready() is None
    clock.advance(9.9)
    assert gate.ready() is None
    clock.advance(0.1)
    assert gate.ready() == 2
    assert gate.ready() is None


# --- backoff and retry ----------------------------------------------------------------------


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    backoff = ExponentialBackoff(0.1, 2.0, jitter=False)
    assert [backoff.delay(n) for n in range(1, 8)] == pytest.approx(
        [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    )
    assert backoff.delay(100_000) == 2.0  # no float overflow far out


@given(st.integers(min_value=1, max_value=200))
def test_equal_jitter_stays_between_half_and_all_of_the_capped_delay(n: int) -> None:
    delay = ExponentialBackoff(0.1, 2.0, jitter=True).delay(n)
    capped = min(2.0, 0.1 * 2 ** min(n - 1, 64))
    assert capped / 2 <= delay <= capped


class Flaky:
    """Raises the given errors in turn, then returns ``"ok"``; counts calls."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.raised: list[BaseException] = []
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            error = self.errors.pop(0)
            self.raised.append(error)
            raise error
        return "ok"


def test_sync_retry_recovers_and_logs_each_retry(logs: LogCapture) -> None:
    sleeps: list[float] = []
    flaky = Flaky(ConnectionResetError("reset"), TimeoutError("slow"))
    wrapped = retry(attempts=3, base_delay=0.1, jitter=False, sleep=sleeps.append)(flaky)

    assert wrapped() == "ok"
    assert flaky.calls == 3
    assert sleeps == pytest.approx([0.1, 0.2])
    lines = logs.lines(message="retrying")
    assert [(ln["attempt"], ln["max_attempts"], ln["delay_s"]) for ln in lines] == [
        (1, 3, 0.1),
        (2, 3, 0.2),
    ]
    assert lines[0]["level"] == "warning"
    assert lines[0]["operation"] == "Flaky"
    assert lines[0]["error"] == "ConnectionResetError: reset"
    assert lines[1]["error"] == "TimeoutError: slow"


def test_sync_retry_reraises_the_last_error_itself(logs: LogCapture) -> None:
    sleeps: list[float] = []
    flaky = Flaky(*(ConnectionResetError(f"reset {n}") for n in range(5)))
    wrapped = retry(attempts=3, sleep=sleeps.append, name="db.read")(flaky)

    with pytest.raises(ConnectionResetError) as caught:
        wrapped()
    assert caught.value is flaky.raised[-1]
    assert flaky.calls == 3
    assert len(sleeps) == 2
    assert {ln["operation"] for ln in logs.lines(message="retrying")} == {"db.read"}


def test_errors_that_are_not_transient_are_not_retried(logs: LogCapture) -> None:
    sleeps: list[float] = []
    flaky = Flaky(ValueError("constraint"))
    with pytest.raises(ValueError, match="constraint"):
        retry(sleep=sleeps.append)(flaky)()
    assert flaky.calls == 1
    assert sleeps == []
    assert logs.lines(message="retrying") == []


def test_retry_log_lines_mask_secrets(logs: LogCapture) -> None:
    flaky = Flaky(ConnectionRefusedError("cannot reach postgresql://app:hunter2@db/x"))
    assert retry(sleep=lambda _: None)(flaky)() == "ok"
    [line] = logs.lines(message="retrying")
    assert "hunter2" not in line["error"]


def test_jittered_retry_delays_stay_in_bounds() -> None:
    sleeps: list[float] = []
    flaky = Flaky(*(ConnectionResetError() for _ in range(5)))
    wrapped = retry(attempts=6, base_delay=0.1, max_delay=0.5, sleep=sleeps.append)(flaky)
    assert wrapped() == "ok"
    caps = [0.1, 0.2, 0.4, 0.5, 0.5]
    assert all(cap / 2 <= got <= cap for got, cap in zip(sleeps, caps, strict=True))


def test_custom_retry_predicate_and_wrapped_metadata() -> None:
    calls: list[int] = []

    @retry(attempts=2, retry_if=lambda e: isinstance(e, KeyError), sleep=lambda _: None)
    def lookup(key: int) -> int:
        """Look up."""
        calls.append(key)
        if len(calls) == 1:
            raise KeyError(key)
        return key * 2

    assert lookup(21) == 42
    assert calls == [21, 21]
    assert lookup.__name__ == "lookup"
    assert lookup.__doc__ == "Look up."


def test_real_sleep_is_the_default() -> None:
    flaky = Flaky(ConnectionResetError())
    assert retry(base_delay=0.0, max_delay=0.0)(flaky)() == "ok"


async def test_async_retry_recovers_with_an_async_sleep(logs: LogCapture) -> None:
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    flaky = Flaky(httpx.ConnectError("refused"))

    @retry(attempts=3, jitter=False, base_delay=0.25, sleep=fake_sleep)
    async def fetch() -> str:
        return flaky()

    assert await fetch() == "ok"
    assert sleeps == [0.25]
    [line] = logs.lines(message="retrying")
    assert line["operation"].endswith("fetch")
    assert line["error"] == "ConnectError: refused"


async def test_async_retry_reraises_the_last_error_and_accepts_a_sync_sleep() -> None:
    sleeps: list[float] = []
    flaky = Flaky(*(asyncpg.exceptions.DeadlockDetectedError("dl") for _ in range(4)))

    @retry(attempts=4, sleep=sleeps.append)
    async def write() -> str:
        return flaky()

    with pytest.raises(asyncpg.exceptions.DeadlockDetectedError) as caught:
        await write()
    assert caught.value is flaky.raised[-1]
    assert len(sleeps) == 3
    assert inspect.iscoroutinefunction(write)


async def test_async_retry_does_not_retry_integrity_errors() -> None:
    flaky = Flaky(sa_wrap(sa_exc.IntegrityError, Exception("duplicate key")))

    @retry(sleep=lambda _: None)
    async def insert() -> str:
        return flaky()

    with pytest.raises(sa_exc.IntegrityError):
        await insert()
    assert flaky.calls == 1


async def test_async_retry_uses_asyncio_sleep_by_default() -> None:
    flaky = Flaky(TimeoutError())

    @retry(base_delay=0.0, max_delay=0.0)
    async def op() -> str:
        return flaky()

    assert await op() == "ok"
    assert flaky.calls == 2


@pytest.mark.parametrize(
    "options",
    [{"attempts": 0}, {"base_delay": -1.0}, {"base_delay": 3.0, "max_delay": 1.0}],
)
def test_retry_rejects_impossible_settings(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="retry"):
        retry(**options)


# --- circuit breaker ------------------------------------------------------------------------


def state(breaker: CircuitBreaker) -> CircuitState:
    """The breaker's state, read afresh (a helper, so type checkers do not narrow it)."""
    return breaker.state


def failing() -> None:
    raise ConnectionResetError("down")


def state_changes(logs: LogCapture, circuit: str = "db") -> list[tuple[str, str]]:
    return [
        (ln["from"], ln["to"])
        for ln in logs.lines(message="circuit state changed")
        if ln["circuit"] == circuit
    ]


def trip(breaker: CircuitBreaker) -> None:
    for _ in range(breaker.failure_threshold):
        with pytest.raises(ConnectionResetError):
            breaker.call_sync(failing)


def test_consecutive_failures_open_the_circuit(logs: LogCapture) -> None:
    breaker = CircuitBreaker("db", failure_threshold=3, clock=FakeClock())
    for _ in range(2):
        with pytest.raises(ConnectionResetError):
            breaker.call_sync(failing)
    assert state(breaker) is CircuitState.CLOSED
    with pytest.raises(ConnectionResetError):
        breaker.call_sync(failing)
    assert state(breaker) is CircuitState.OPEN
    assert state_changes(logs) == [("closed", "open")]
    [line] = logs.lines(message="circuit state changed")
    assert line["level"] == "warning"


def test_a_success_or_a_4xx_resets_the_count_of_consecutive_failures() -> None:
    breaker = CircuitBreaker("db", failure_threshold=3, clock=FakeClock())

    def not_found() -> None:
        raise NotFound("no such user")

    for interruption in (lambda: "ok", not_found):
        for _ in range(2):
            with pytest.raises(ConnectionResetError):
                breaker.call_sync(failing)
        with contextlib.suppress(NotFound):  # re-raised, yet a sign of a working dependency
            breaker.call_sync(interruption)
        assert breaker.snapshot()["failures"] == 0
    assert state(breaker) is CircuitState.CLOSED
    assert breaker.snapshot()["total_failures"] == 4


def test_an_open_circuit_fails_fast_without_calling(logs: LogCapture) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("db", failure_threshold=2, reset_timeout=30.0, clock=clock)
    trip(breaker)
    called: list[int] = []

    clock.advance(0.5)
    with pytest.raises(CircuitOpenError) as caught:
        breaker.call_sync(lambda: called.append(1))
    assert called == []
    error = caught.value
    assert isinstance(error, ServiceUnavailable)
    assert error.status == 503
    assert error.retry_after == 30  # 29.5 s left, rounded up
    assert error.headers["Retry-After"] == "30"
    assert error.circuit == "db"
    assert error.extensions == {}  # clients are not told which dependency is down
    assert error.detail is not None
    assert "db" not in error.detail


@pytest.mark.parametrize(("elapsed", "expected"), [(0.0, 30), (20.2, 10), (29.2, 1), (29.99, 1)])
def test_retry_after_is_the_time_left_rounded_up_and_at_least_one(
    elapsed: float, expected: int
) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("db", failure_threshold=1, reset_timeout=30.0, clock=clock)
    trip(breaker)
    clock.advance(elapsed)
    with pytest.raises(CircuitOpenError) as caught:
        breaker.call_sync(lambda: None)
    assert caught.value.retry_after == expected
    assert breaker.snapshot()["retry_after"] == expected


def test_after_the_timeout_a_trial_success_closes_the_circuit(logs: LogCapture) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("db", failure_threshold=1, reset_timeout=30.0, clock=clock)
    trip(breaker)
    clock.advance(30.0)
    assert state(breaker) is CircuitState.HALF_OPEN
    assert state(breaker) is CircuitState.HALF_OPEN  # observed twice, logged once
    assert breaker.call_sync(lambda: "fine") == "fine"
    assert state(breaker) is CircuitState.CLOSED
    assert state_changes(logs) == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]
    assert breaker.snapshot()["opened_at"] is None


def test_a_failed_trial_reopens_and_restarts_the_timeout(logs: LogCapture) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("db", failure_threshold=1, reset_timeout=30.0, clock=clock)
    trip(breaker)
    clock.advance(45.0)
    with pytest.raises(ConnectionResetError):
        breaker.call_sync(failing)  # the trial call is made, and fails
    assert state(breaker) is CircuitState.OPEN
    snapshot = breaker.snapshot()
    assert snapshot["opened_at"] == clock.now
    assert snapshot["retry_after"] == 30
    assert state_changes(logs) == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
    ]


def test_snapshot_reports_counters_for_metrics() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("payments", failure_threshold=2, reset_timeout=10.0, clock=clock)
    assert breaker.call_sync(lambda: 1) == 1
    trip(breaker)
    for _ in range(3):
        with pytest.raises(CircuitOpenError):
            breaker.call_sync(lambda: 1)
    assert breaker.snapshot() == {
        "name": "payments",
        "state": "open",
        "failures": 2,
        "opened_at": clock.now,
        "retry_after": 10,
        "total_calls": 6,
        "total_failures": 2,
        "rejected": 3,
    }
    clock.advance(10.0)
    assert breaker.snapshot()["state"] == "half_open"
    assert breaker.snapshot()["retry_after"] == 0


async def test_half_open_lets_only_the_allowed_trials_through() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("api", failure_threshold=1, reset_timeout=5.0, clock=clock)
    with pytest.raises(httpx.ConnectError):
        await breaker.call(_raise, httpx.ConnectError("down"))
    clock.advance(5.0)
    release = asyncio.Event()
    calls: list[str] = []

    async def slow() -> str:
        calls.append("trial")
        await release.wait()
        return "up"

    trial = asyncio.create_task(breaker.call(slow))
    await asyncio.sleep(0)
    with pytest.raises(CircuitOpenError) as caught:
        await breaker.call(slow)
    assert caught.value.retry_after == 1
    assert calls == ["trial"]
    release.set()
    assert await trial == "up"
    assert state(breaker) is CircuitState.CLOSED


async def test_a_cancelled_trial_frees_its_slot_without_a_verdict() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("api", failure_threshold=1, reset_timeout=5.0, clock=clock)
    with pytest.raises(TimeoutError):
        await breaker.call(_raise, TimeoutError())
    clock.advance(5.0)
    trial = asyncio.create_task(breaker.call(asyncio.sleep, 10))
    await asyncio.sleep(0)
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    assert state(breaker) is CircuitState.HALF_OPEN
    assert await breaker.call(_value, "next trial") == "next trial"
    assert state(breaker) is CircuitState.CLOSED


@pytest.mark.parametrize("wait_for_half_open", [False, True])
async def test_a_call_admitted_before_the_circuit_opened_does_not_close_it(
    wait_for_half_open: bool,
) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("api", failure_threshold=2, reset_timeout=5.0, clock=clock)
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "late"

    late = asyncio.create_task(breaker.call(slow))
    await asyncio.sleep(0)
    for _ in range(2):
        with pytest.raises(ConnectionResetError):
            await breaker.call(_raise, ConnectionResetError())
    expected = CircuitState.OPEN
    if wait_for_half_open:
        clock.advance(5.0)
        expected = CircuitState.HALF_OPEN  # and no trial call has been made yet
    assert state(breaker) is expected
    release.set()
    assert await late == "late"  # its success says nothing about the dependency now
    assert state(breaker) is expected
    assert breaker.snapshot()["failures"] == 2


async def test_protect_guards_sync_and_async_functions() -> None:
    breaker = CircuitBreaker("svc", failure_threshold=1, clock=FakeClock())

    @breaker.protect
    async def fetch(x: int) -> int:
        if x < 0:
            raise httpx.ReadTimeout("slow")
        return x

    @breaker.protect
    def compute(x: int) -> int:
        return x + 1

    assert await fetch(2) == 2
    assert compute(2) == 3
    assert fetch.__name__ == "fetch"
    with pytest.raises(httpx.ReadTimeout):
        await fetch(-1)
    with pytest.raises(CircuitOpenError):
        compute(1)
    with pytest.raises(CircuitOpenError):
        await fetch(1)


def test_a_cancelled_sync_call_gives_no_verdict() -> None:
    breaker = CircuitBreaker("svc", failure_threshold=1, clock=FakeClock())

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        breaker.call_sync(interrupted)
    assert breaker.snapshot()["failures"] == 0
    assert state(breaker) is CircuitState.CLOSED


def test_the_counters_stay_exact_across_threads() -> None:
    breaker = CircuitBreaker("shared", failure_threshold=10**9, clock=FakeClock())
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        for _ in range(200):
            with contextlib.suppress(ConnectionResetError):
                breaker.call_sync(failing)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    snapshot = breaker.snapshot()
    assert snapshot["total_calls"] == snapshot["total_failures"] == snapshot["failures"] == 1600


@pytest.mark.parametrize(
    "options",
    [{"failure_threshold": 0}, {"reset_timeout": -1.0}, {"half_open_max_calls": 0}],
)
def test_breaker_settings_are_validated_by_name(options: dict[str, Any]) -> None:
    field = next(iter(options))
    with pytest.raises(ConfigError, match=f"circuit 'x': {field}"):
        CircuitBreaker("x", **options)


def test_the_registry_lists_breakers_for_health() -> None:
    registry = CircuitRegistry()
    db = registry.breaker("db", failure_threshold=1, clock=FakeClock())
    assert registry.breaker("db") is db
    cache = registry.add(CircuitBreaker("cache"))
    with pytest.raises(ConfigError, match="'cache' already exists"):
        registry.add(CircuitBreaker("cache"))
    assert registry.get("cache") is cache
    assert registry.get("nope") is None
    assert [b.name for b in registry] == ["db", "cache"]
    assert len(registry) == 2
    trip(db)
    assert [(s["name"], s["state"]) for s in registry.snapshots()] == [
        ("db", "open"),
        ("cache", "closed"),
    ]
    assert len(CircuitRegistry()) == 0  # nothing shared between registries


async def _raise(exc: BaseException) -> None:
    raise exc


async def _value(value: str) -> str:
    return value


# --- fallback -------------------------------------------------------------------------------


class Dependency:
    """A switchable dependency for handlers."""

    def __init__(self) -> None:
        self.error: BaseException | None = None
        self.reads = 0

    async def read(self) -> dict[str, Any]:
        self.reads += 1
        if self.error is not None:
            raise self.error
        return {"items": [1, 2], "read": self.reads}


def degraded(response: Any) -> Any:
    """The body of a degraded answer, after checking it is one."""
    assert isinstance(response, JSONResponse)
    assert response.status_code == 200
    assert response.headers["X-Degraded-Mode"] == "true"
    return json.loads(bytes(response.body))


async def test_fallback_answers_with_the_last_good_result() -> None:
    dep = Dependency()
    handler = fallback(default={"items": []})(dep.read)

    assert await handler() == {"items": [1, 2], "read": 1}
    dep.error = ServiceUnavailable("db down")
    assert degraded(await handler()) == {"items": [1, 2], "read": 1}
    dep.error = None
    assert await handler() == {"items": [1, 2], "read": 3}  # back to normal, unwrapped


async def test_the_last_good_result_is_kept_per_call_never_served_to_another() -> None:
    """On ``/users/{id}`` a fallback must not answer user 8 with user 7's data."""
    down = False

    async def read_user(user_id: int, request: Any = None) -> dict[str, int]:
        if down:
            raise ServiceUnavailable("users service down")
        return {"id": user_id}

    handler = fallback(default={"id": 0}, remember=2)(read_user)
    assert await handler(7, request=make_request("GET", "/users/7")) == {"id": 7}
    assert await handler(user_id=8) == {"id": 8}
    down = True
    assert degraded(await handler(7)) == {"id": 7}  # the request object is not part of it
    assert degraded(await handler(user_id=8)) == {"id": 8}
    assert degraded(await handler(9)) == {"id": 0}  # never seen: the default, not 8's
    down = False
    await handler(10)  # a third key pushes the oldest (7) out
    down = True
    assert degraded(await handler(7)) == {"id": 0}


async def test_calls_whose_arguments_cannot_be_a_key_get_the_default_only() -> None:
    down = False

    class Body(pydantic.BaseModel):
        name: str

    async def create(body: Body, tags: list[str]) -> dict[str, str]:
        if down:
            raise ServiceUnavailable("down")
        return {"name": body.name}

    handler = fallback(default={"name": ""})(create)
    assert await handler(Body(name="a"), ["x"]) == {"name": "a"}
    down = True
    assert degraded(await handler(Body(name="a"), ["x"])) == {"name": ""}


async def test_fallback_uses_the_default_without_a_last_good_result() -> None:
    dep = Dependency()
    dep.error = CircuitOpenError("db", 5)
    assert degraded(await fallback(default={"items": []})(dep.read)()) == {"items": []}
    assert degraded(await fallback(default=lambda: {"n": 0})(dep.read)()) == {"n": 0}

    async def async_default() -> list[int]:
        return [0]

    assert degraded(await fallback(default=async_default)(dep.read)()) == [0]


async def test_fallback_serialises_pydantic_defaults_in_json_mode() -> None:
    class Status(pydantic.BaseModel):
        ok: bool
        at: datetime

    dep = Dependency()
    dep.error = ConnectionResetError()
    default = Status(ok=False, at=datetime(2024, 1, 2, tzinfo=UTC))
    body = degraded(await fallback(default=default)(dep.read)())
    assert body == {"ok": False, "at": "2024-01-02T00:00:00Z"}


async def test_without_last_good_or_default_the_error_propagates() -> None:
    dep = Dependency()
    error = ServiceUnavailable("db down")
    dep.error = error
    with pytest.raises(ServiceUnavailable) as caught:
        await fallback()(dep.read)()
    assert caught.value is error


async def test_use_last_good_false_always_uses_the_default() -> None:
    dep = Dependency()
    handler = fallback(default={"d": 1}, use_last_good=False)(dep.read)
    await handler()
    dep.error = TimeoutError()
    assert degraded(await handler()) == {"d": 1}


async def test_errors_that_do_not_match_propagate_even_with_a_last_good_result() -> None:
    dep = Dependency()
    handler = fallback(default={"d": 1})(dep.read)
    await handler()
    dep.error = ValueError("a bug")
    with pytest.raises(ValueError, match="a bug"):
        await handler()
    dep.error = NotFound()
    with pytest.raises(NotFound):
        await handler()


async def test_on_accepts_exception_types_or_a_predicate() -> None:
    dep = Dependency()
    dep.error = KeyError("cache miss")
    by_type = fallback(default=1, on=KeyError)(dep.read)
    by_tuple = fallback(default=2, on=(LookupError, OSError))(dep.read)
    by_predicate = fallback(default=3, on=lambda e: "miss" in str(e))(dep.read)
    assert degraded(await by_type()) == 1
    assert degraded(await by_tuple()) == 2
    assert degraded(await by_predicate()) == 3
    dep.error = ServiceUnavailable()
    with pytest.raises(ServiceUnavailable):
        await by_type()


async def test_response_results_are_returned_but_not_kept() -> None:
    calls = Flaky()

    @fallback()
    async def page() -> PlainTextResponse:
        calls()
        if calls.calls > 1:
            raise ServiceUnavailable()
        return PlainTextResponse("hello")

    assert (await page()).body == b"hello"
    with pytest.raises(ServiceUnavailable):
        await page()


async def test_degraded_mode_is_logged_once_per_interval_with_a_count(logs: LogCapture) -> None:
    clock = FakeClock()
    dep = Dependency()
    dep.error = ConnectionRefusedError("postgresql://app:hunter2@db refused")
    handler = fallback(default={}, log_interval=60.0, clock=clock, name="users.list")(dep.read)

    for _ in range(3):
        degraded(await handler())
    [first] = logs.lines(message="degraded mode")
    assert first["level"] == "warning"
    assert first["operation"] == "users.list"
    assert first["source"] == "default"
    assert first["suppressed"] == 0
    assert first["error"].startswith("ConnectionRefusedError:")
    assert "hunter2" not in first["error"]

    clock.advance(60.0)
    degraded(await handler())
    second = logs.lines(message="degraded mode")[1]
    assert second["suppressed"] == 2
    assert len(logs.lines(message="degraded mode")) == 2


async def test_each_decorated_function_has_its_own_memory_and_log_budget(
    logs: LogCapture,
) -> None:
    one, two = Dependency(), Dependency()
    first = fallback(clock=FakeClock())(one.read)
    second = fallback(default={"two": True}, clock=FakeClock())(two.read)
    await first()
    one.error = two.error = TimeoutError()
    assert degraded(await first())["read"] == 1
    assert degraded(await second()) == {"two": True}
    assert len(logs.lines(message="degraded mode")) == 2


def test_fallback_keeps_signature_and_attributes_and_refuses_sync_functions() -> None:
    async def handler(self: object, item_id: int, verbose: bool = False) -> dict[str, int]:
        return {}

    handler.marker = "route"  # type: ignore[attr-defined]
    wrapped = fallback(default={})(handler)
    assert inspect.signature(wrapped) == inspect.signature(handler)
    assert wrapped.marker == "route"  # type: ignore[attr-defined]
    assert wrapped.__name__ == "handler"

    def sync_handler() -> dict[str, int]:
        return {}

    with pytest.raises(ConfigError, match="async"):
        fallback(default={})(sync_handler)


def status_controller(db: Dependency) -> type[Any]:
    """A fresh controller per test: each decorated handler keeps its own last good result."""

    @controller("status")
    class StatusController:
        @get("/inner")
        @fallback(default={"status": "unknown"})
        async def inner(self, region: str = "eu") -> dict[str, str]:
            await db.read()
            return {"status": "ok", "region": region}

        @fallback(default=lambda: {"status": "unknown"})
        @get("/outer")
        async def outer(self, region: str = "eu") -> dict[str, str]:
            await db.read()
            return {"status": "ok", "region": region}

    return StatusController


@pytest.fixture
def status_db() -> Dependency:
    return Dependency()


@pytest.fixture
async def status_client(registry: AppRegistry, status_db: Dependency) -> Any:
    app = ApplicationFactory.create(
        id="fallback",
        scope="agent",
        controllers=[status_controller(status_db)],
        registry=registry,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi), base_url="http://t"
    ) as http:
        yield http
    await app.dispose()


@pytest.mark.parametrize("route", ["/status/inner", "/status/outer"])
async def test_fallback_routes_work_in_either_decorator_order(
    status_client: httpx.AsyncClient, status_db: Dependency, route: str, logs: LogCapture
) -> None:
    ok = await status_client.get(route, params={"region": "us"})
    assert ok.status_code == 200
    assert ok.json() == {"status": "ok", "region": "us"}  # the query parameter survived
    assert "x-degraded-mode" not in ok.headers

    status_db.error = ConnectionRefusedError("db down")
    cached = await status_client.get(route, params={"region": "us"})
    assert cached.status_code == 200
    assert cached.headers["X-Degraded-Mode"] == "true"
    assert cached.json() == {"status": "ok", "region": "us"}
    [line] = logs.lines(message="degraded mode")
    assert line["source"] == "last_good"
    other = await status_client.get(route, params={"region": "ap"})  # never answered well
    assert other.headers["X-Degraded-Mode"] == "true"
    assert other.json() == {"status": "unknown"}


async def test_fallback_route_serves_the_default_before_any_success(
    status_client: httpx.AsyncClient, status_db: Dependency
) -> None:
    status_db.error = ServiceUnavailable("db down")
    response = await status_client.get("/status/outer")
    assert response.status_code == 200
    assert response.headers["X-Degraded-Mode"] == "true"
    assert response.json() == {"status": "unknown"}
    schema = (await status_client.get("/openapi.json")).json()
    params = schema["paths"]["/status/outer"]["get"]["parameters"]
    assert [p["name"] for p in params] == ["region"]


async def test_applications_sharing_a_controller_never_see_each_others_last_good(
    registry: AppRegistry,
) -> None:
    db = Dependency()
    shared = status_controller(db)
    apps = [
        ApplicationFactory.create(id=name, scope="agent", controllers=[shared], registry=registry)
        for name in ("tenant-a", "tenant-b")
    ]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app.asgi), base_url="http://t")
        for app in apps
    ]
    a, b = clients
    assert (await a.get("/status/inner?region=a")).json() == {"status": "ok", "region": "a"}
    db.error = ServiceUnavailable("db down")
    assert (await a.get("/status/inner?region=a")).json() == {"status": "ok", "region": "a"}
    from_b = await b.get("/status/inner?region=a")
    assert from_b.headers["X-Degraded-Mode"] == "true"
    assert from_b.json() == {"status": "unknown"}  # its own default, not tenant-a's data
    for client, app in zip(clients, apps, strict=True):
        await client.aclose()
        await app.dispose()
