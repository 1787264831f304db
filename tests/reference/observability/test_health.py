"""Liveness, readiness and status over HTTP, with the store's database indicator and
switchable custom ones."""

from __future__ import annotations

import pytest

from apiconform.reference.kernel import HealthStatus
from apiconform.reference.observability import Telemetry
from apiconform.reference.observability.health import HealthChecks
from tests.conftest import LogCapture
from tests.reference.observability.conftest import Served, Switchable


async def test_liveness_answers_ok_on_both_paths(served: Served) -> None:
    async with served() as (_, client):
        for path in ("/health/live", "/health"):
            response = await client.get(path)
            assert response.status_code == 200
            assert response.json() == {"status": "ok"}
            assert response.headers["cache-control"] == "no-store"
        head = await client.head("/health/live")
        assert head.status_code == 200


async def test_liveness_answers_503_with_details_once_marked_broken(served: Served) -> None:
    async with served() as (app, client):
        telemetry = await app.container.aresolve(Telemetry)
        telemetry.health.liveness.mark_broken("worker pool lost, token=abc123secret")
        response = await client.get("/health/live")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "error"
        assert "worker pool lost" in body["error"]
        assert "abc123secret" not in response.text
        assert body["since"].endswith("Z")
        telemetry.health.liveness.clear()
        assert (await client.get("/health/live")).status_code == 200


async def test_readiness_reports_every_dependency_when_all_are_up(served: Served) -> None:
    external = Switchable("external-api", critical=False)
    async with served(indicators=[external]) as (_, client):
        response = await client.get("/health/ready")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ready"
        assert set(body["checks"]) == {"memory", "database", "external-api"}
        database = body["checks"]["database"]
        assert database["status"] == "up"
        assert database["critical"] is True
        assert database["latency_ms"] >= 0
        assert external.calls == 1


async def test_a_critical_indicator_down_fails_readiness_naming_it(served: Served) -> None:
    payments = Switchable("payments", critical=True)
    payments.state = "raise"
    async with served(indicators=[payments]) as (_, client):
        response = await client.get("/health/ready")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "not_ready"
        assert body["failed"] == ["payments"]
        assert body["checks"]["payments"]["status"] == "down"
        assert "ConnectionError" in body["error"]
        assert body["timestamp"].endswith("Z")
        # no secrets of the failure reach the body
        assert "hunter2" not in response.text
        assert body["checks"]["database"]["status"] == "up"


async def test_a_non_critical_indicator_down_leaves_readiness_200_degraded(
    served: Served,
) -> None:
    cache = Switchable("cache", critical=False)
    cache.state = "down"
    async with served(indicators=[cache]) as (_, client):
        response = await client.get("/health/ready")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ready"
        assert body["degraded"] == ["cache"]


async def test_a_slow_indicator_is_degraded_with_its_timeout_and_others_still_report(
    served: Served,
) -> None:
    slow = Switchable("external-api", critical=False, timeout=0.1)
    slow.state = "slow"
    async with served(indicators=[slow]) as (_, client):
        response = await client.get("/health/ready")
        assert response.status_code == 200
        checks = response.json()["checks"]
        assert checks["external-api"]["status"] == "degraded"
        assert checks["external-api"]["timeout_ms"] == 100.0
        assert checks["external-api"]["error"] == "timed out"
        assert checks["database"]["status"] == "up"


async def test_a_critical_indicator_that_times_out_fails_readiness(served: Served) -> None:
    slow = Switchable("ledger", critical=True, timeout=0.1)
    slow.state = "slow"
    async with served(indicators=[slow]) as (_, client):
        response = await client.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["failed"] == ["ledger"]


async def test_the_checks_filter_runs_only_the_named_indicators(served: Served) -> None:
    other = Switchable("other", critical=True)
    other.state = "down"
    async with served(indicators=[other]) as (_, client):
        response = await client.get("/health/ready", params={"checks": "database,memory"})
        assert response.status_code == 200
        assert set(response.json()["checks"]) == {"database", "memory"}
        assert other.calls == 0


async def test_an_unknown_check_is_a_400_problem(served: Served) -> None:
    async with served() as (_, client):
        response = await client.get("/health/ready", params={"checks": "database,<script>"})
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 400
        assert "known checks: memory, database" in problem["detail"]


async def test_without_the_errors_feature_the_probe_problem_is_still_a_problem(
    served: Served,
) -> None:
    async with served(errors=False) as (_, client):
        response = await client.get("/health/ready?checks=nope")
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 400


async def test_status_reports_indicators_system_figures_version_and_environment(
    served: Served,
) -> None:
    config = {"environment": "test", "observability": {"version": "9.9.9", "service": "shop"}}
    async with served(config=config) as (_, client):
        response = await client.get("/health/status")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "up"
        assert body["application"]["version"] == "9.9.9"
        assert body["application"]["environment"] == "test"
        assert body["application"]["service"] == "shop"
        assert set(body["checks"]) == {"memory", "database"}
        system = body["system"]
        for key in ("rss_bytes", "cpu_percent", "cpu_user_seconds", "uptime_seconds"):
            assert system[key] >= 0
        assert body["checks"]["memory"]["gc"]["counts"]


async def test_a_status_token_protects_the_status_endpoint(served: Served) -> None:
    config = {"observability": {"status_token": "s3cret-token"}}
    async with served(config=config) as (_, client):
        refused = await client.get("/health/status")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        wrong = await client.get("/health/status", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        allowed = await client.get(
            "/health/status", headers={"Authorization": "Bearer s3cret-token"}
        )
        assert allowed.status_code == 200
        # liveness and readiness stay open for the orchestrator
        assert (await client.get("/health/ready")).status_code == 200


async def test_readiness_turns_503_when_stopping_begins(served: Served) -> None:
    async with served() as (app, client):
        telemetry = await app.container.aresolve(Telemetry)
        telemetry.health.draining = True
        response = await client.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["status"] == "shutting_down"
        assert (await client.get("/health/live")).status_code == 200
        status = await client.get("/health/status")
        assert status.status_code == 503
        assert status.json()["draining"] is True


async def test_probe_paths_only_answer_get_and_head(served: Served) -> None:
    async with served() as (_, client):
        response = await client.post("/health/ready")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, HEAD"
        assert response.headers["content-type"] == "application/problem+json"


async def test_readiness_answers_are_reused_within_the_cache_window() -> None:
    now = [100.0]
    indicator = Switchable("db", critical=True)
    checks = HealthChecks([indicator], cache_seconds=2.0, clock=lambda: now[0])
    assert (await checks.readiness())[0] == 200
    indicator.state = "down"
    assert (await checks.readiness())[0] == 200  # cached
    assert indicator.calls == 1
    # a filtered request is never served from the cache
    assert (await checks.readiness(["db"]))[0] == 503
    now[0] += 2.5
    assert (await checks.readiness())[0] == 503
    assert indicator.calls == 3


async def test_an_indicator_that_is_not_up_logs_a_warning(logs: LogCapture) -> None:
    indicator = Switchable("redis", critical=False)
    indicator.state = "down"
    [outcome] = await HealthChecks([indicator]).run()
    assert outcome.status is HealthStatus.DOWN
    [line] = logs.lines(message="health indicator not up")
    assert line["level"] == "warning"
    assert line["indicator"] == "redis"


@pytest.mark.parametrize("bad", ["health/live", "/h?x=1"])
def test_probe_paths_must_be_absolute(bad: str) -> None:
    from pydantic import ValidationError

    from apiconform.reference.observability import ObservabilityConfig

    with pytest.raises(ValidationError):
        ObservabilityConfig(live_path=bad)
