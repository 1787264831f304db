from __future__ import annotations

import asyncio

import pytest

from apiconform.reference.kernel import (
    ApplicationFactory,
    AppRegistry,
    Lifetime,
    get_current_application,
    get_current_scope,
    run_with_application_scope,
)
from apiconform.reference.kernel.context import correlation_context, get_correlation_id


@pytest.mark.requirement("SCOPE-ERR-01")
def test_outside_any_scope_current_application_is_none() -> None:
    assert get_current_application() is None
    assert get_current_scope() is None
    assert get_correlation_id() is None


def test_sync_function_runs_inside_the_scope(registry: AppRegistry) -> None:
    app = ApplicationFactory.create(id="a", scope="agent", registry=registry)
    assert run_with_application_scope(app, get_current_application) is app
    assert get_current_application() is None


async def test_scope_propagates_through_await_tasks_and_gather(registry: AppRegistry) -> None:
    app = ApplicationFactory.create(id="a", scope="agent", registry=registry)

    async def leaf() -> object:
        await asyncio.sleep(0)
        return get_current_application()

    async def body() -> list[object]:
        direct = await leaf()
        task = await asyncio.create_task(leaf())
        gathered = await asyncio.gather(leaf(), leaf())
        return [direct, task, *gathered]

    seen = await run_with_application_scope(app, body)
    assert seen == [app, app, app, app]
    assert get_current_application() is None


async def test_concurrent_scopes_stay_isolated(registry: AppRegistry) -> None:
    a = ApplicationFactory.create(id="a", scope="agent", registry=registry)
    b = ApplicationFactory.create(id="b", scope="agent", registry=registry)

    async def observe() -> list[str]:
        ids = []
        for _ in range(5):
            await asyncio.sleep(0)
            current = get_current_application()
            assert current is not None
            ids.append(current.id)
        return ids

    seen_a, seen_b = await asyncio.gather(
        run_with_application_scope(a, observe), run_with_application_scope(b, observe)
    )
    assert set(seen_a) == {"a"}
    assert set(seen_b) == {"b"}


async def test_lambda_returning_a_coroutine_is_still_scoped(registry: AppRegistry) -> None:
    app = ApplicationFactory.create(id="a", scope="agent", registry=registry)

    async def read() -> object:
        return get_current_application()

    assert await run_with_application_scope(app, lambda: read()) is app


class Shared:
    pass


class PerRequest:
    def __init__(self, shared: Shared) -> None:
        self.shared = shared


@pytest.mark.requirement("SCOPE-CTX-02")
async def test_nested_request_scope_sees_parent_singletons(registry: AppRegistry) -> None:
    agent = ApplicationFactory.create(id="agent", scope="agent", registry=registry)
    agent.container.register(Shared, Shared, Lifetime.SINGLETON)
    agent.container.register(PerRequest, PerRequest, Lifetime.SCOPED)
    child = ApplicationFactory.create(id="child", scope="request", registry=registry, parent=agent)

    async def body() -> tuple[object, object]:
        request = child.container.create_scope(isolated=True)
        try:
            made = await request.aresolve(PerRequest)
            return made.shared, made
        finally:
            await request.dispose()

    shared, made = await run_with_application_scope(child, body)
    assert shared is agent.container.resolve(Shared)
    assert isinstance(made, PerRequest)
    await child.dispose()
    assert agent.container.resolve(Shared) is shared  # the parent outlives its child


async def test_correlation_id_propagates_to_spawned_tasks() -> None:
    async def read() -> str | None:
        return get_correlation_id()

    with correlation_context("abc-1"):
        assert await asyncio.create_task(read()) == "abc-1"
    assert get_correlation_id() is None
