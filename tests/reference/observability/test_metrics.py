"""/metrics over HTTP: the exposition parsed with prometheus_client's own parser."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from pydantic import BaseModel

from apiconform.reference.kernel import (
    ApplicationFactory,
    AppRegistry,
    Contribution,
    MetricSample,
)
from apiconform.reference.observability import AppMetrics, Observability
from apiconform.reference.observability.config import DURATION_BUCKETS
from apiconform.reference.observability.metrics import OVERFLOW, CardinalityGuard
from tests.conftest import LogCapture
from tests.reference.observability.conftest import ItemsController, Served

CONSTANT = {"environment", "service", "version", "app_id"}


def samples(text: str, name: str) -> list[Sample]:
    return [
        sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def families(text: str) -> dict[str, str]:
    return {family.name: family.type for family in text_string_to_metric_families(text)}


async def test_request_metrics_carry_route_templates_and_the_spec_buckets(
    served: Served,
) -> None:
    async with served() as (_, client):
        for item in (1, 2, 3):
            assert (await client.get(f"/items/{item}")).status_code == 200
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        text = response.text
        assert "# HELP http_requests_total" in text
        assert "# TYPE http_request_duration_seconds histogram" in text
        counted = samples(text, "http_requests_total")
        [count] = [s for s in counted if s.labels["path"] == "/items/{item_id}"]
        assert count.value == 3
        assert count.labels["method"] == "GET"
        assert count.labels["status_code"] == "200"
        assert set(count.labels) >= CONSTANT
        buckets = [
            float(s.labels["le"])
            for s in samples(text, "http_request_duration_seconds_bucket")
            if s.labels["path"] == "/items/{item_id}"
        ]
        assert buckets == [*DURATION_BUCKETS, float("inf")]
        # the probes themselves are not counted, raw paths never appear
        assert "/items/1" not in text
        assert "/metrics" not in {s.labels.get("path") for s in counted}


async def test_every_series_has_the_constant_labels(served: Served) -> None:
    config = {"environment": "test", "observability": {"service": "shop", "version": "1.2.3"}}
    async with served(config=config) as (_, client):
        await client.get("/items/1")
        text = (await client.get("/metrics")).text
        every = [s for family in text_string_to_metric_families(text) for s in family.samples]
        assert len(every) > 20
        for sample in every:
            assert sample.labels["environment"] == "test", sample
            assert sample.labels["service"] == "shop"
            assert sample.labels["version"] == "1.2.3"
            assert sample.labels["app_id"] == "obs"


async def test_unmatched_paths_share_one_label_and_the_series_count_stays_flat(
    served: Served,
) -> None:
    async with served() as (_, client):

        async def series_after(start: int) -> int:
            for n in range(start, start + 40):
                await client.get(f"/nowhere/{n}")
                await client.get(f"/items/{n}")
            return len((await client.get("/metrics")).text.splitlines())

        assert await series_after(0) == await series_after(1000)
        text = (await client.get("/metrics")).text
        paths = {s.labels["path"] for s in samples(text, "http_requests_total")}
        assert paths == {"__unmatched__", "/items/{item_id}"}


async def test_errors_are_counted_by_status_code_and_error_type(served: Served) -> None:
    async with served() as (_, client):
        await client.get("/items/not-a-number")
        await client.get("/items/crash/now")
        await client.get("/nowhere")
        text = (await client.get("/metrics")).text
        errors = {
            (s.labels["status_code"], s.labels["error_type"]): s.value
            for s in samples(text, "http_request_errors_total")
        }
        assert errors == {
            ("422", "RequestValidationError"): 1.0,
            ("500", "server_error"): 1.0,
            ("404", "HTTPException"): 1.0,
        }


async def test_process_gc_cpu_and_event_loop_figures_are_exported(served: Served) -> None:
    async with served() as (_, client):
        text = (await client.get("/metrics")).text
        kinds = families(text)
        assert kinds["process_resident_memory_bytes"] == "gauge"
        assert kinds["python_gc_collections"] == "counter"
        assert kinds["process_cpu_mode_seconds"] == "counter"
        assert kinds["process_cpu_percent"] == "gauge"
        assert kinds["event_loop_lag_seconds"] == "gauge"
        modes = {s.labels["mode"] for s in samples(text, "process_cpu_mode_seconds_total")}
        assert modes == {"user", "system"}
        assert samples(text, "http_requests_in_progress")[0].value == 0


async def test_openmetrics_is_answered_when_the_scraper_asks(served: Served) -> None:
    async with served() as (_, client):
        response = await client.get(
            "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
        )
        assert response.headers["content-type"].startswith("application/openmetrics-text")
        assert response.text.rstrip().endswith("# EOF")


async def test_a_metrics_token_protects_the_scrape(served: Served) -> None:
    async with served(config={"observability": {"metrics_token": "scrape-me"}}) as (_, client):
        assert (await client.get("/metrics")).status_code == 401
        ok = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert ok.status_code == 200


async def test_metrics_can_be_switched_off(served: Served) -> None:
    async with served(config={"observability": {"metrics_enabled": False}}) as (_, client):
        assert (await client.get("/metrics")).status_code == 404


class QueueDepth:
    def samples(self) -> Iterable[MetricSample]:
        yield MetricSample("jobs_processed_total", "counter", "Jobs done", 7, {"queue": "mail"})
        yield MetricSample("jobs_waiting", "gauge", "Jobs waiting", 3)


class JobsConfig(BaseModel):
    pass


class Jobs:
    name = "jobs"
    config_model = JobsConfig

    def setup(self, app: object, config: object) -> Contribution:
        return Contribution(metrics=[QueueDepth()])


async def test_other_features_metrics_sources_are_exported(
    registry: AppRegistry,
) -> None:
    app = ApplicationFactory.create(
        id="jobs", scope="agent", features=[Observability(), Jobs()], registry=registry
    )
    metrics = await app.container.aresolve(AppMetrics)
    from prometheus_client import generate_latest

    text = generate_latest(metrics.registry).decode()
    [processed] = samples(text, "jobs_processed_total")
    assert processed.value == 7
    assert processed.labels["queue"] == "mail"
    assert processed.labels["app_id"] == "jobs"
    assert samples(text, "jobs_waiting")[0].value == 3
    await app.dispose()


async def test_two_applications_in_one_process_keep_separate_metrics(
    registry: AppRegistry,
) -> None:
    import httpx

    apps = [
        ApplicationFactory.create(
            id=name,
            scope="agent",
            controllers=[ItemsController],
            features=[Observability()],
            registry=registry,
        )
        for name in ("left", "right")
    ]
    for app in apps:
        await app.start(port=0)
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(3):
                await client.get(f"{apps[0].address}/items/1")
            await client.get(f"{apps[1].address}/items/1")
            counts = []
            for app in apps:
                text = (await client.get(f"{app.address}/metrics")).text
                [count] = samples(text, "http_requests_total")
                assert count.labels["app_id"] == app.id
                counts.append(count.value)
        assert counts == [3, 1]
    finally:
        for app in apps:
            await app.dispose()


async def test_custom_counter_histogram_and_gauge_are_exported(registry: AppRegistry) -> None:
    import pytest
    from prometheus_client import generate_latest

    app = ApplicationFactory.create(
        id="shop", scope="agent", features=[Observability()], registry=registry
    )
    metrics = await app.container.aresolve(AppMetrics)
    created = metrics.counter("orders_created_total", "Orders", ["channel"])
    assert metrics.counter("orders_created_total", "Orders", ["channel"]) is created
    created.labels("web").inc()
    created.labels("web").inc()
    amounts = metrics.histogram("order_amount", "Amounts", buckets=(10, 100))
    amounts.observe(5)
    amounts.observe(50)
    metrics.gauge("basket_size", "Items").set(4)
    text = generate_latest(metrics.registry).decode()
    assert samples(text, "orders_created_total")[0].value == 2
    assert samples(text, "order_amount_count")[0].value == 2
    assert samples(text, "order_amount_sum")[0].value == 55
    assert [s.value for s in samples(text, "order_amount_bucket")] == [1, 2, 2]
    assert samples(text, "basket_size")[0].value == 4
    with pytest.raises(ValueError, match="exists as a Counter"):
        metrics.gauge("orders_created_total", "x")
    with pytest.raises(ValueError, match="set on every series"):
        metrics.counter("logins_total", "x", ["app_id"])
    await app.dispose()


def test_the_cardinality_guard_folds_new_paths_with_one_warning(logs: LogCapture) -> None:
    guard = CardinalityGuard(3)
    for n in range(3):
        assert guard.admit("m", ("GET", f"/p{n}", "200")) == ("GET", f"/p{n}", "200")
    assert guard.admit("m", ("GET", "/p0", "200")) == ("GET", "/p0", "200")
    for n in range(3, 1000):
        assert guard.admit("m", ("GET", f"/p{n}", "200")) == ("GET", OVERFLOW, "200")
    assert guard.size("m") == 3
    warning = "metric label cap reached: new paths fold into __overflow__"
    assert len(logs.lines(message=warning)) == 1


async def test_routes_beyond_the_cap_fold_into_overflow_on_the_scrape(
    served: Served, registry: AppRegistry
) -> None:
    from apiconform.reference.kernel import controller, get

    @controller("many")
    class Many:
        @get("/a")
        async def a(self) -> None: ...

        @get("/b")
        async def b(self) -> None: ...

        @get("/c")
        async def c(self) -> None: ...

    config = {"observability": {"max_label_values": 2}}
    async with served(config=config, controllers=[Many]) as (_, client):
        for path in ("/many/a", "/many/b", "/many/c", "/many/c"):
            await client.get(path)
        text = (await client.get("/metrics")).text
        counts = {s.labels["path"]: s.value for s in samples(text, "http_requests_total")}
        assert counts == {"/many/a": 1, "/many/b": 1, OVERFLOW: 2}


def test_unusual_methods_share_one_label() -> None:
    metrics = AppMetrics({"app_id": "x"})
    metrics.observe("BREW", "/pot", 418, 0.01, None)
    metrics.observe("GET", "/pot", 200, 0.01, None)
    from prometheus_client import generate_latest

    text = generate_latest(metrics.registry).decode()
    methods = {s.labels["method"] for s in samples(text, "http_requests_total")}
    assert methods == {"OTHER", "GET"}
    [error] = samples(text, "http_request_errors_total")
    assert error.labels["error_type"] == "client_error"
