from __future__ import annotations

import asyncio
import gc
import os
import socket
import tracemalloc
import weakref
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from apiconform.common.logs import configure_logging
from apiconform.common.serving import ServerError, free_port
from apiconform.errors import ConfigError
from apiconform.reference.errors import ErrorHandling
from apiconform.reference.kernel import (
    AppConfig,
    Application,
    ApplicationFactory,
    AppRegistry,
    AppScope,
    AppStatus,
    DuplicateAppError,
    LifecycleError,
    PortInUseError,
    Provider,
    controller,
    get,
    get_current_application,
)
from apiconform.reference.store import Store
from tests.conftest import LogCapture


@controller("slow")
class SlowController:
    def __init__(self, app: Application) -> None:
        self.app = app

    @get("")
    async def slow(self, seconds: float = 0.3) -> dict[str, str]:
        await asyncio.sleep(seconds)
        return {"app": self.app.id}


@controller("hello")
class HelloController:
    def __init__(self, app: Application) -> None:
        self.app = app

    @get("")
    async def hello(self) -> dict[str, Any]:
        return {"app": self.app.id, "greeting": self.app.config.settings.get("greeting")}


@pytest.mark.requirement("SCOPE-TYPE-01", "SCOPE-COMPAT-01")
def test_create_without_scope_is_a_singleton_named_app(registry: AppRegistry) -> None:
    app = Application.create(registry=registry)
    assert app.scope is AppScope.SINGLETON
    assert app.id == "app"
    assert registry.get("app") is app


def test_only_one_singleton_per_registry(registry: AppRegistry) -> None:
    Application.create(id="main", registry=registry)
    with pytest.raises(DuplicateAppError, match=r"a singleton application already exists \('main'"):
        Application.create(id="other", registry=registry)
    # agents can still be added beside it
    ApplicationFactory.create(id="agent:x", scope="agent", registry=registry)


@pytest.mark.requirement("SCOPE-COMPAT-02")
def test_explicit_agent_scope_through_application_create(registry: AppRegistry) -> None:
    app = Application.create(id="agent:indexer", scope="agent", registry=registry)
    assert app.scope is AppScope.AGENT
    assert registry.get("agent:indexer") is app


def test_duplicate_id_names_the_existing_app_and_suggests_another(registry: AppRegistry) -> None:
    ApplicationFactory.create(id="agent:writer", scope="agent", registry=registry)
    with pytest.raises(DuplicateAppError) as info:
        ApplicationFactory.create(id="agent:writer", scope="agent", registry=registry)
    message = str(info.value)
    assert "'agent:writer' already exists (scope=agent, status=created" in message
    assert "choose a different id" in message


def test_invalid_scope_lists_the_valid_ones(registry: AppRegistry) -> None:
    with pytest.raises(ConfigError, match="valid scopes: singleton, agent, request"):
        ApplicationFactory.create(id="x", scope="galaxy", registry=registry)
    assert len(registry) == 0


@pytest.mark.parametrize("bad", ["", "-lead", "sp ace", "x" * 129, "semi;colon"])
def test_malformed_ids_are_refused(registry: AppRegistry, bad: str) -> None:
    with pytest.raises(ConfigError, match="invalid application id"):
        ApplicationFactory.create(id=bad, scope="agent", registry=registry)


def test_agent_without_id_is_refused(registry: AppRegistry) -> None:
    with pytest.raises(ConfigError, match="invalid application id ''"):
        ApplicationFactory.create(scope="agent", registry=registry)


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"port": 70000}, "port: Input should be less than or equal to 65535"),
        ({"prot": 80}, "prot: unknown setting or section; valid ones: cache, database,"),
        ({"database": 3}, "database: must be a table of settings"),
        ({"environment": "qa"}, "environment: Input should be 'development'"),
        ({"cache": {"backend": "redis"}}, "cache: Value error, redis_url is required"),
        ({"trusted_proxies": ["not-an-ip"]}, "trusted_proxies.0"),
        ({"database": {"url": "not a url"}}, "database.url: Value error, not a database URL"),
        ({"database": {"url": "mysql+aiomysql://h/db"}}, "driver 'mysql+aiomysql' is not supp"),
        ({"database": {"url": "mysql+aiomysql://h/db"}}, "use postgresql://... (asyncpg) or"),
        ({"errors": {"body_limit": 0}}, "errors.body_limit: Input should be greater than 0"),
    ],
)
def test_invalid_config_names_the_app_and_field(
    registry: AppRegistry, config: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ConfigError) as info:
        ApplicationFactory.create(
            id="agent:bad",
            scope="agent",
            config=config,
            features=[ErrorHandling(), Store()],
            registry=registry,
        )
    assert str(info.value).startswith("app 'agent:bad': invalid config: ")
    assert fragment in str(info.value)
    assert registry.get("agent:bad") is None


def test_database_driver_that_is_not_installed_is_named(
    registry: AppRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "asyncpg" else real(name, *a)
    )
    with pytest.raises(
        ConfigError, match=r"needs the asyncpg package: install apiconform\[postgres\]"
    ):
        ApplicationFactory.create(
            id="db",
            scope="agent",
            config={"database": {"url": "postgresql+asyncpg://h/d"}},
            features=[Store()],
            registry=registry,
        )


def test_failed_composition_leaves_nothing_registered(registry: AppRegistry) -> None:
    class NotAController:
        pass

    with pytest.raises(Exception, match="not decorated with @controller"):
        ApplicationFactory.create(
            id="x", scope="agent", controllers=[NotAController], registry=registry
        )
    assert registry.get("x") is None


def test_config_object_is_accepted_as_is(registry: AppRegistry) -> None:
    config = AppConfig(port=0, settings={"a": 1})
    app = ApplicationFactory.create(id="x", scope="agent", config=config, registry=registry)
    assert app.config is config


@pytest.mark.requirement("SCOPE-FACT-01", "SCOPE-REG-01", "SCOPE-REG-02", "SCOPE-REG-03")
def test_registry_lists_id_scope_and_status_and_filters(registry: AppRegistry) -> None:
    ApplicationFactory.create(id="s", registry=registry)
    ApplicationFactory.create(id="a", scope="agent", registry=registry)
    ApplicationFactory.create(id="r", scope="request", registry=registry)
    infos = {i.id: i for i in registry.get_all()}
    assert {k: (v.scope, v.status, v.address) for k, v in infos.items()} == {
        "s": ("singleton", "created", None),
        "a": ("agent", "created", None),
        "r": ("request", "created", None),
    }
    assert [i.id for i in registry.get_all(scope="agent")] == ["a"]
    assert [i.id for i in registry.get_all(status="running")] == []
    assert registry.get("missing") is None
    assert "a" in registry
    assert "missing" not in registry
    assert {a.id for a in registry.applications()} == {"s", "a", "r"}


def test_default_registry_is_process_wide() -> None:
    assert AppRegistry.default() is AppRegistry.default()


async def test_providers_are_isolated_between_apps(registry: AppRegistry) -> None:
    class Shared:
        pass

    a = ApplicationFactory.create(
        id="a", scope="agent", providers=[Provider("only-a", value=1)], registry=registry
    )
    b = ApplicationFactory.create(id="b", scope="agent", registry=registry)
    a.container.register(Shared)
    b.container.register(Shared)
    assert a.container.has("only-a")
    assert not b.container.has("only-a")
    assert a.container.resolve(Shared) is not b.container.resolve(Shared)
    assert a.container.resolve(Application) is a
    assert b.container.resolve(AppConfig) is b.config


@pytest.mark.requirement("SCOPE-REG-04", "SCOPE-LIFE-03")
async def test_dispose_unregisters_and_closes_providers(registry: AppRegistry) -> None:
    closed: list[str] = []

    class Resource:
        async def aclose(self) -> None:
            closed.append("resource")

    app = ApplicationFactory.create(
        id="a", scope="agent", providers=[Provider(Resource, use=Resource)], registry=registry
    )
    app.container.resolve(Resource)
    await app.dispose()
    await app.dispose()  # idempotent
    assert closed == ["resource"]
    assert app.status is AppStatus.DISPOSED
    assert registry.get("a") is None


@pytest.mark.requirement("SCOPE-ERR-02")
async def test_disposal_error_is_logged_and_app_still_unregistered(
    registry: AppRegistry, logs: LogCapture
) -> None:
    class Exploding:
        async def aclose(self) -> None:
            raise OSError("disk gone")

    app = ApplicationFactory.create(id="a", scope="agent", registry=registry)
    app.container.register(Exploding)
    app.container.resolve(Exploding)

    class BrokenBackend:
        async def delete_prefix(self, prefix: str) -> int:
            raise ConnectionError("cache down")

    app.cache.backend = BrokenBackend()  # type: ignore[assignment]
    await app.dispose()
    assert registry.get("a") is None
    assert app.status is AppStatus.DISPOSED
    assert logs.lines(message="provider disposal failed")[0]["error"] == "OSError('disk gone')"
    assert "cache down" in logs.lines(message="cache cleanup failed", app_id="a")[0]["error"]


async def test_two_apps_serve_side_by_side_with_their_own_routes_and_config(
    registry: AppRegistry,
) -> None:
    a = ApplicationFactory.create(
        id="agent:a",
        scope="agent",
        controllers=[HelloController],
        config={"port": 0, "settings": {"greeting": "hi from a"}},
        registry=registry,
    )
    b = ApplicationFactory.create(
        id="agent:b",
        scope="agent",
        controllers=[SlowController],
        config={"port": 0, "settings": {"greeting": "hi from b"}},
        registry=registry,
    )
    await a.start()
    await b.start()
    try:
        assert a.address != b.address
        async with httpx.AsyncClient() as client:
            hello = await client.get(f"{a.address}/hello")
            assert hello.json() == {"app": "agent:a", "greeting": "hi from a"}
            assert (await client.get(f"{b.address}/hello")).status_code == 404
            assert (await client.get(f"{a.address}/slow")).status_code == 404
            assert (await client.get(f"{b.address}/slow?seconds=0")).json() == {"app": "agent:b"}
        assert {i.status for i in registry.get_all()} == {"running"}
    finally:
        await a.dispose()
        await b.dispose()


async def test_ten_agent_apps_in_one_process(registry: AppRegistry) -> None:
    apps = [
        ApplicationFactory.create(
            id=f"agent:{i}",
            scope="agent",
            controllers=[HelloController],
            config={"port": 0, "settings": {"greeting": f"g{i}"}},
            registry=registry,
        )
        for i in range(10)
    ]
    await asyncio.gather(*(app.start() for app in apps))
    try:
        async with httpx.AsyncClient() as client:
            replies = await asyncio.gather(*(client.get(f"{a.address}/hello") for a in apps))
        assert [r.json() for r in replies] == [
            {"app": f"agent:{i}", "greeting": f"g{i}"} for i in range(10)
        ]
        assert len({a.port for a in apps}) == 10
    finally:
        await asyncio.gather(*(app.dispose() for app in apps))
    assert len(registry) == 0


async def test_taken_port_names_the_port_and_suggests_a_free_one(registry: AppRegistry) -> None:
    a = ApplicationFactory.create(id="a", scope="agent", config={"port": 0}, registry=registry)
    await a.start()
    b = ApplicationFactory.create(id="b", scope="agent", registry=registry)
    try:
        assert a.port is not None
        with pytest.raises(PortInUseError) as info:
            await b.start(port=a.port)
        assert f"port {a.port} on 127.0.0.1 is already in use" in str(info.value)
        suggestion = info.value.suggestion
        assert suggestion is not None
        assert suggestion > a.port
        assert f"port {suggestion} is free" in str(info.value)
        assert b.status is AppStatus.STOPPED
        await b.start(port=suggestion)
        assert b.port == suggestion
    finally:
        await a.dispose()
        await b.dispose()


async def test_port_held_by_another_process_socket_is_reported(registry: AppRegistry) -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    app = ApplicationFactory.create(id="a", scope="agent", registry=registry)
    try:
        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1"):
            await app.start(port=port)
    finally:
        holder.close()
        await app.dispose()


async def test_unbindable_address_is_a_server_error(registry: AppRegistry) -> None:
    app = ApplicationFactory.create(id="a", scope="agent", registry=registry)
    with pytest.raises(ServerError, match=r"cannot bind 192\.0\.2\.1"):
        await app.start(host="192.0.2.1", port=free_port())
    await app.dispose()


@pytest.mark.requirement("SCOPE-LIFE-02")
async def test_stop_drains_in_flight_requests_and_leaves_other_apps_running(
    registry: AppRegistry,
) -> None:
    slow = ApplicationFactory.create(
        id="slow", scope="agent", controllers=[SlowController], registry=registry
    )
    other = ApplicationFactory.create(
        id="other", scope="agent", controllers=[HelloController], registry=registry
    )
    await slow.start(port=0)
    await other.start(port=0)
    try:
        async with httpx.AsyncClient() as client:
            in_flight = asyncio.create_task(client.get(f"{slow.address}/slow?seconds=0.4"))
            await asyncio.sleep(0.15)
            await slow.stop(timeout=5)
            reply = await in_flight
            assert reply.status_code == 200
            assert reply.json() == {"app": "slow"}
            assert slow.status is AppStatus.STOPPED
            assert slow.address is None
            assert (await client.get(f"{other.address}/hello")).status_code == 200
    finally:
        await slow.dispose()
        await other.dispose()


async def test_stop_cancels_requests_that_outlive_the_drain_timeout(
    registry: AppRegistry,
) -> None:
    app = ApplicationFactory.create(
        id="slow", scope="agent", controllers=[SlowController], registry=registry
    )
    await app.start(port=0)
    async with httpx.AsyncClient() as client:
        in_flight = asyncio.create_task(client.get(f"{app.address}/slow?seconds=30"))
        await asyncio.sleep(0.15)
        started = asyncio.get_running_loop().time()
        await app.stop(timeout=0.2)
        assert asyncio.get_running_loop().time() - started < 5
        reply = await in_flight
        assert reply.status_code >= 500  # cut off, never its normal 200
    await app.dispose()


@pytest.mark.requirement("SCOPE-LIFE-01")
async def test_lifecycle_hooks_run_for_their_app_only(registry: AppRegistry) -> None:
    journal: list[tuple[str, str, str | None]] = []
    a = ApplicationFactory.create(id="a", scope="agent", registry=registry)
    b = ApplicationFactory.create(id="b", scope="agent", registry=registry)

    @a.on_start
    async def started(app: Application) -> None:
        current = get_current_application()
        journal.append(("start", app.id, current.id if current else None))

    a.on_stop(lambda app: journal.append(("stop", app.id, None)))  # type: ignore[func-returns-value]
    await a.start(port=0)
    await b.start(port=0)
    await b.stop()
    await a.stop()
    await a.stop()  # stopping a stopped app is a no-op
    assert journal == [("start", "a", "a"), ("stop", "a", None)]
    await a.start(port=0)  # a stopped app can start again
    assert a.status is AppStatus.RUNNING
    await a.dispose()
    await b.dispose()


async def test_start_twice_or_after_dispose_is_a_lifecycle_error(registry: AppRegistry) -> None:
    app = ApplicationFactory.create(id="a", scope="agent", registry=registry)
    await app.start(port=0)
    with pytest.raises(LifecycleError, match="cannot start while running"):
        await app.start(port=0)
    await app.dispose()
    with pytest.raises(LifecycleError, match="cannot start while disposed"):
        await app.start(port=0)


async def test_failing_start_hook_leaves_the_app_stopped(registry: AppRegistry) -> None:
    app = ApplicationFactory.create(id="a", scope="agent", registry=registry)

    def fail(_: Application) -> None:
        raise RuntimeError("no database")

    app.on_start(fail)
    with pytest.raises(RuntimeError, match="no database"):
        await app.start(port=0)
    assert app.status is AppStatus.STOPPED
    assert app.address is None
    await app.dispose()


async def test_concurrent_lifecycle_calls_are_serialised(registry: AppRegistry) -> None:
    app = ApplicationFactory.create(id="a", scope="agent", registry=registry)
    await app.start(port=0)
    await asyncio.gather(app.stop(), app.stop(), app.dispose())
    assert app.status is AppStatus.DISPOSED


@pytest.fixture
def quiet_logs() -> Iterator[None]:
    """Log records kept by pytest's capture would count as growth; write them nowhere."""
    with open(os.devnull, "w") as sink:
        setup = configure_logging("json", stream=sink, level="WARNING")
        try:
            yield
        finally:
            setup.restore()


async def test_no_growth_over_200_create_dispose_cycles(
    registry: AppRegistry, quiet_logs: None
) -> None:
    async def cycle(i: int) -> weakref.ref[Application]:
        app = ApplicationFactory.create(
            id=f"agent:{i}", scope="agent", controllers=[HelloController], registry=registry
        )
        await app.cache.set("k", "v" * 100)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app.asgi), base_url="http://t"
        ) as client:
            assert (await client.get("/hello")).status_code == 200
        await app.dispose()
        return weakref.ref(app)

    for i in range(150):  # fill the bounded LRU caches of pydantic/FastAPI (128 entries)
        await cycle(i)
    tracemalloc.start()
    # tracemalloc sees the churn of those full caches as growth until every entry has been
    # replaced once under tracing, so measure only after another round of cycles
    refs = [await cycle(i) for i in range(150, 300)]
    gc.collect()
    before = tracemalloc.take_snapshot()
    refs += [await cycle(i) for i in range(300, 500)]
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    assert all(ref() is None for ref in refs), "disposed applications are still referenced"
    assert len(registry) == 0
    assert len(registry.shared_memory_cache()) == 0
    growth = sum(s.size_diff for s in after.compare_to(before, "filename"))
    # a leaked application holds well over 50 kB; 200 of them would be megabytes
    assert growth < 100_000, f"grew by {growth} bytes over 200 cycles"
