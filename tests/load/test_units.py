"""The load runner's parts that need no locust run: thresholds, plans, statistics,
observations and the result's JSON."""

from __future__ import annotations

import asyncio
import json
import math
import re
from pathlib import Path

import httpx
import pytest

from apiconform.common.serving import free_port
from apiconform.conformance.manifest import parse_manifest
from apiconform.errors import ConfigError
from apiconform.load.cli import choose_target, parse_run_time
from apiconform.load.locust_run import LocustRun, Settings, command, figures_of, plan_json
from apiconform.load.observations import Observations, is_problem, series_count
from apiconform.load.peer import serve
from apiconform.load.plan import PLAN_ENV, ScenarioSkipped, build_plan
from apiconform.load.runner import LoadResult, write_report
from apiconform.load.thresholds import DEFAULTS, Threshold, Verdict, judge, load_thresholds


def manifest(**sections: object) -> object:
    data = {
        "target": {"base_url": "http://127.0.0.1:9"},
        "claims": ["add-health-observability", "add-error-handling", "add-api-versioning"],
        **sections,
    }
    return parse_manifest(data)


# -- thresholds ---------------------------------------------------------------------------


def test_a_number_is_a_maximum_and_a_table_gives_bounds(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[health]\n"live.p99_ms" = 50\n"ready.p99_ms" = { min = 1, max = 2 }\n')
    chosen = {t.metric: t for t in load_thresholds(path, "health")}
    assert chosen["live.p99_ms"] == Threshold("live.p99_ms", maximum=50)
    assert chosen["ready.p99_ms"] == Threshold("ready.p99_ms", minimum=1, maximum=2)
    assert chosen["live.failures"] in DEFAULTS["health"]  # defaults not named stay


def test_the_defaults_are_the_spec_bounds() -> None:
    chosen = {t.metric: t for t in load_thresholds(None, "health")}
    assert chosen["live.p99_ms"].maximum == 100
    assert {t.metric: t for t in load_thresholds(None, "metrics")}["scrape.p99_ms"].maximum == 500
    assert {t.metric: t for t in load_thresholds(None, "overhead")}["ratio"].minimum == 0.70


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[nope]\nx = 1\n", "unknown scenario [nope]"),
        ("[health]\nx = true\n", "must be a number or a table"),
        ("[health]\nx = { least = 1 }\n", "table with min and/or max"),
        ("[health]\nx = { min = 'a' }\n", "min must be a number"),
        ("health = 3\n", "[health] must be a table"),
        ("[health\n", "invalid TOML"),
    ],
)
def test_a_bad_thresholds_file_is_one_line_naming_it(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        load_thresholds(path, "health")
    assert str(path) in str(raised.value)


def test_a_missing_thresholds_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read thresholds"):
        load_thresholds(tmp_path / "absent.toml", "health")


def test_a_figure_the_run_did_not_produce_fails_and_nan_fails() -> None:
    limit = Threshold("p99_ms", maximum=10)
    assert [v.passed for v in judge([limit], {})] == [False]
    assert not Verdict(limit, float("nan")).passed
    assert Verdict(limit, 10).passed
    assert not Verdict(limit, 10.5).passed
    low = Threshold("ratio", minimum=0.7)
    assert not Verdict(low, 0.69).passed
    assert Verdict(low, 0.7).passed
    assert Verdict(low, None).as_dict() == {
        "name": "ratio",
        "limit": ">= 0.7",
        "measured": None,
        "passed": False,
    }
    assert Threshold("x", minimum=1, maximum=2).limit == ">= 1 and <= 2"


# -- plans ----------------------------------------------------------------------------------


def test_plans_carry_the_manifest_probes() -> None:
    plan = build_plan("health", manifest(load={"trivial": "/ping"}))
    assert plan.params == {"live": "/health/live", "ready": "/health/ready", "background": "/ping"}
    assert plan.locustfile.name == "health.py"
    assert plan.locustfile.exists()
    errors = build_plan(
        "errors", manifest(errors={"triggers": {"not-found": "/x", "internal": False}})
    )
    assert errors.params == {"triggers": {"not-found": ["/x", 404]}}
    assert build_plan("metrics", manifest()).params["raw_prefix"] == "/apiconform-load"
    assert build_plan("overhead", manifest()).params == {"path": "/health/live"}


@pytest.mark.parametrize(
    ("scenario", "sections", "reason"),
    [
        ("health", {"observability": {"live": False}}, "declares no observability.live"),
        ("metrics", {"observability": {"metrics": False}}, "declares no observability.metrics"),
        ("errors", {"errors": {"triggers": False}}, "declares no errors.triggers"),
        ("errors", {"errors": {"triggers": {"internal": False}}}, "declares no error trigger"),
        ("overhead", {"load": {"trivial": False}}, "declares no load.trivial"),
        ("health", {"claims": []}, "does not claim add-health-observability"),
        ("versioned", {"versioning": {"resource": False}}, "declares no versioning.resource"),
        (
            "versioned",
            {"versioning": {"versions": ["1"], "sunset_passed": {"version": "1", "path": "/x"}}},
            "no version that still answers",
        ),
        ("versioned", {"versioning": {"strategies": []}}, "declares no versioning.strategies"),
    ],
)
def test_a_scenario_the_target_cannot_take_is_skipped_with_the_reason(
    scenario: str, sections: dict[str, object], reason: str
) -> None:
    with pytest.raises(ScenarioSkipped, match=reason):
        build_plan(scenario, manifest(**sections))


def test_the_locust_command_and_plan() -> None:
    plan = build_plan("errors", manifest())
    settings = Settings(users=3, spawn_rate=1.5, run_time=2.4, processes=2, max_requests=9)
    argv = command(plan, "http://h", settings, Path("/tmp/p"))
    assert argv[argv.index("-u") + 1] == "3"
    assert argv[argv.index("-r") + 1] == "1.5"
    assert argv[argv.index("-t") + 1] == "2s"
    assert argv[argv.index("--processes") + 1] == "2"
    assert "--master" not in argv
    # local workers meet their master on a loopback port of this run's own
    assert argv[argv.index("--master-bind-host") + 1] == "127.0.0.1"
    port = argv[argv.index("--master-bind-port") + 1]
    assert argv[argv.index("--master-port") + 1] == port
    assert port != "5557"
    other = command(plan, "http://h", settings, Path("/tmp/q"))
    assert other[other.index("--master-port") + 1] != port  # a second run, side by side
    remote = command(
        plan, "http://h", Settings(expect_workers=4, master_bind="0.0.0.0"), Path("/p")
    )
    assert remote[remote.index("--expect-workers") + 1] == "4"
    assert remote[remote.index("--master-bind-host") + 1] == "0.0.0.0"
    data = json.loads(plan_json(plan, settings, None))
    assert data["max_requests"] == 9
    assert data["observations"] is None
    assert data["scenario"] == "errors"
    assert PLAN_ENV == "APICONFORM_LOAD_PLAN"


# -- statistics and observations -------------------------------------------------------------


def test_statistics_become_figures_per_name_and_whole() -> None:
    figures = figures_of(
        {"live": {"requests": 10, "failures": 1, "p99_ms": 9}, "": {"rps": 6.0, "p99_ms": None}}
    )
    assert figures["live.requests"] == 10
    assert figures["live.failures"] == 1
    assert figures["live.p99_ms"] == 9
    assert figures["rps"] == 6.0
    assert math.isnan(figures["p99_ms"])


def test_observations_merge_sums_counters_and_keeps_maxima() -> None:
    worker = Observations()
    worker.count("errors", 3)
    worker.maximum("series_max", 7)
    worker.maximum("series_max", 5)
    master = Observations()
    master.merge(worker.drain())
    assert worker.as_dict() == {"counters": {}, "maxima": {}}
    worker.count("errors")
    worker.maximum("series_max", 9)
    master.merge(worker.drain())
    assert master.as_dict() == {"counters": {"errors": 4}, "maxima": {"series_max": 9}}
    run = LocustRun(observations=master.as_dict())
    assert run.counter("errors") == 4
    assert run.counter("other") == 0
    assert run.maximum("series_max") == 9
    assert run.maximum("other") is None


def test_problem_media_type_and_series_count() -> None:
    assert is_problem("application/problem+json; charset=utf-8")
    assert not is_problem("application/json")
    assert not is_problem(None)
    assert series_count('# HELP a x\n# TYPE a counter\na 1\n\na{x="1"} 2\n') == 2


# -- the result ---------------------------------------------------------------------------


def test_load_json_has_the_promised_fields(tmp_path: Path) -> None:
    result = LoadResult(
        "errors",
        target="http://t",
        figures={
            "requests": 5,
            "failures": 1,
            "rps": 2.5,
            "p50_ms": 1,
            "p99_ms": float("nan"),
            "non_problem": 0,
        },
    )
    result.verdicts = judge([Threshold("non_problem", maximum=0)], result.figures)
    stats = tmp_path / "errors_stats.csv"
    stats.write_text("x")
    written = write_report(result, [stats], tmp_path / "report")
    data = json.loads((tmp_path / "report" / "load.json").read_text())
    assert [p.name for p in written] == ["load.json", "errors_stats.csv"]
    assert data["requests"] == 5
    assert data["failures"] == 1
    assert data["rps"] == 2.5
    assert data["p99_ms"] is None
    assert data["passed"] is True
    assert data["thresholds"] == [
        {"name": "non_problem", "limit": "<= 0", "measured": 0, "passed": True}
    ]


# -- the command line's parsing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("2m", 120), ("1h", 3600), ("5", 5), (" 1.5s ", 1.5)]
)
def test_run_times(text: str, seconds: float) -> None:
    assert parse_run_time(text) == seconds


@pytest.mark.parametrize("text", ["2x", "", "0s", "2h", "-1"])
def test_bad_run_times(text: str) -> None:
    with pytest.raises(ConfigError, match="--run-time"):
        parse_run_time(text)


def test_target_choice(tmp_path: Path) -> None:
    assert choose_target(None, "http://127.0.0.1:1", None).target.base_url == "http://127.0.0.1:1"
    assert choose_target(None, None, None).target.managed  # the reference by default
    with pytest.raises(ConfigError, match="cannot be combined"):
        choose_target(None, "http://x", "reference")
    file = tmp_path / "m.toml"
    file.write_text('claims = []\n[target]\nbase_url = "http://127.0.0.1:2"\n')
    assert choose_target(file, None, None).target.base_url == "http://127.0.0.1:2"
    assert choose_target(file, "http://127.0.0.1:3", None).target.base_url == "http://127.0.0.1:3"


async def test_the_peer_serves_its_one_route_until_stopped() -> None:
    port = free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(serve("/agents/a/ping", port, stop))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(100):
            try:
                response = await client.get("/agents/a/ping")
                break
            except httpx.ConnectError:
                await asyncio.sleep(0.05)
        assert response.json() == {"ok": True}
        assert (await client.get("/other")).status_code == 404
    stop.set()
    await asyncio.wait_for(task, 10)


def test_the_throttle_plan_and_the_reference_on_shared_redis() -> None:
    plan = build_plan("throttle", manifest(claims=["enhance-throttler"]))
    assert plan.params == {"path": "/v1/limited", "limit": 5, "ttl": 10}
    with pytest.raises(ScenarioSkipped, match=r"declares no throttling\.limited"):
        build_plan(
            "throttle", manifest(claims=["enhance-throttler"], throttling={"limited": False})
        )
    reference = choose_target(None, None, None, "throttle")
    assert "enhance-throttler" in reference.claims
    assert "throttling.redis_url={redis_url}" in (reference.target.start or "")
    assert "redis" not in (choose_target(None, None, None, "errors").target.start or "")
