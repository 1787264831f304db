from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from typing import Annotated

import pytest

from apiconform.reference.kernel import (
    CircularDependencyError,
    Container,
    DIError,
    Inject,
    Lifetime,
    LifetimeError,
    UnknownTokenError,
    scope,
    service,
)
from apiconform.reference.kernel.di import DisposedError, declared_lifetime
from tests.conftest import LogCapture


class Leaf:
    pass


class Middle:
    def __init__(self, leaf: Leaf) -> None:
        self.leaf = leaf


class Top:
    def __init__(self, middle: Middle, leaf: Leaf) -> None:
        self.middle = middle
        self.leaf = leaf


def graph(lifetime: Lifetime) -> Container:
    root = Container()
    for cls in (Leaf, Middle, Top):
        root.register(cls, cls, lifetime)
    return root


def test_singleton_is_one_instance_per_container_and_shared_with_child_scopes() -> None:
    root = graph(Lifetime.SINGLETON)
    top = root.resolve(Top)
    assert root.resolve(Top) is top
    assert top.middle.leaf is top.leaf
    child = root.create_scope()
    assert child.resolve(Top) is top


def test_scoped_is_one_instance_per_child_scope() -> None:
    root = graph(Lifetime.SCOPED)
    first, second = root.create_scope(), root.create_scope()
    a = first.resolve(Top)
    assert first.resolve(Top) is a
    assert a.middle.leaf is a.leaf
    b = second.resolve(Top)
    assert b is not a
    assert b.leaf is not a.leaf


def test_scoped_provider_cannot_be_resolved_from_the_root() -> None:
    root = graph(Lifetime.SCOPED)
    with pytest.raises(LifetimeError, match="resolve it inside create_scope"):
        root.resolve(Leaf)


def test_transient_is_new_for_every_injection() -> None:
    root = graph(Lifetime.TRANSIENT)
    top = root.resolve(Top)
    assert top.middle.leaf is not top.leaf
    assert root.resolve(Top) is not top


@pytest.mark.requirement("SCOPE-DI-04")
def test_dependencies_are_injected_recursively_from_type_hints() -> None:
    root = Container()
    root.register(Leaf)
    root.register(Middle)
    root.register(Top)
    top = root.resolve(Top)
    assert isinstance(top.middle, Middle)
    assert isinstance(top.middle.leaf, Leaf)


def test_inject_marker_resolves_a_string_token() -> None:
    class UsesSetting:
        def __init__(self, dsn: Annotated[str, Inject("dsn")]) -> None:
            self.dsn = dsn

    root = Container()
    root.register_value("dsn", "sqlite://")
    root.register(UsesSetting)
    assert root.resolve(UsesSetting).dsn == "sqlite://"


def test_annotated_without_inject_uses_the_underlying_type() -> None:
    class UsesLeaf:
        def __init__(self, leaf: Annotated[Leaf, "doc"]) -> None:
            self.leaf = leaf

    root = Container()
    root.register(Leaf)
    root.register(UsesLeaf)
    assert isinstance(root.resolve(UsesLeaf).leaf, Leaf)


def test_defaulted_parameters_use_the_default_unless_registered() -> None:
    class Tunable:
        def __init__(self, leaf: Leaf | None = None, retries: int = 3) -> None:
            self.leaf = leaf
            self.retries = retries

    root = Container()
    root.register(Tunable)
    made = root.resolve(Tunable)
    assert made.retries == 3
    assert made.leaf is None


def test_parameter_without_hint_or_default_is_rejected_at_registration() -> None:
    class Untyped:
        def __init__(self, thing) -> None:  # type: ignore[no-untyped-def]
            self.thing = thing

    with pytest.raises(DIError, match="parameter 'thing' has no injectable type hint"):
        Container().register(Untyped)


def test_unresolvable_forward_reference_is_reported() -> None:
    class Broken:
        def __init__(self, other: Missing) -> None:  # type: ignore[name-defined]  # noqa: F821
            self.other = other

    with pytest.raises(DIError, match="cannot read type hints of provider"):
        Container().register(Broken)


def test_unknown_token_error_names_the_token_and_its_dependent() -> None:
    root = Container()
    root.register(Middle)
    with pytest.raises(
        UnknownTokenError, match=r"no provider registered for .*Leaf \(needed by .*Middle\)"
    ):
        root.resolve(Middle)
    with pytest.raises(UnknownTokenError, match="no provider registered for nothing"):
        root.resolve("nothing")


class CycleA:
    def __init__(self, b: CycleB) -> None:
        self.b = b


class CycleB:
    def __init__(self, c: CycleC) -> None:
        self.c = c


class CycleC:
    def __init__(self, a: CycleA) -> None:
        self.a = a


@pytest.mark.parametrize("is_async", [False, True])
async def test_cycles_are_detected_with_the_whole_chain(is_async: bool) -> None:
    root = Container()
    for cls in (CycleA, CycleB, CycleC):
        root.register(cls)
    resolve = root.aresolve if is_async else root.resolve
    with pytest.raises(CircularDependencyError) as info:
        await resolve(CycleA) if is_async else resolve(CycleA)
    assert "CycleA -> " in str(info.value)
    assert str(info.value).count("CycleA") == 2
    assert "CycleB" in str(info.value)
    assert "CycleC" in str(info.value)


def test_singleton_depending_on_scoped_is_refused() -> None:
    root = Container()
    root.register(Leaf, Leaf, Lifetime.SCOPED)
    root.register(Middle, Middle, Lifetime.SINGLETON)
    with pytest.raises(LifetimeError, match=r"singleton .*Middle depends on scoped .*Leaf"):
        root.create_scope().resolve(Middle)


def test_singleton_capturing_scoped_through_a_transient_is_refused() -> None:
    root = Container()
    root.register(Leaf, Leaf, Lifetime.SCOPED)
    root.register(Middle, Middle, Lifetime.TRANSIENT)
    root.register(Top, Top, Lifetime.SINGLETON)
    with pytest.raises(LifetimeError, match="Top depends on scoped"):
        root.create_scope().resolve(Top)


@pytest.mark.requirement("SCOPE-DEC-01")
def test_service_and_scope_decorators_set_the_default_lifetime() -> None:
    @service(lifetime="scoped")
    class PerRequest:
        pass

    @service
    class Shared:
        pass

    @scope("transient")
    class Fresh:
        pass

    assert declared_lifetime(PerRequest) is Lifetime.SCOPED
    assert declared_lifetime(Shared) is Lifetime.SINGLETON
    assert declared_lifetime(Fresh) is Lifetime.TRANSIENT
    root = Container()
    for cls in (PerRequest, Shared, Fresh):
        root.register(cls)
    child = root.create_scope()
    assert child.resolve(PerRequest) is child.resolve(PerRequest)
    assert root.create_scope().resolve(PerRequest) is not child.resolve(PerRequest)
    assert child.resolve(Fresh) is not child.resolve(Fresh)
    assert child.resolve(Shared) is root.resolve(Shared)


def test_unknown_lifetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="'forever' is not a valid Lifetime"):
        scope("forever")


def test_explicit_lifetime_overrides_the_decorator() -> None:
    @service(lifetime="singleton")
    class Svc:
        pass

    root = Container()
    root.register(Svc, Svc, "transient")
    assert root.resolve(Svc) is not root.resolve(Svc)


def test_string_token_needs_a_provider() -> None:
    with pytest.raises(DIError, match="token 'x' needs a provider"):
        Container().register("x")


def test_child_registrations_shadow_the_parent_and_stay_local() -> None:
    root = Container()
    root.register_value("name", "root")
    child = root.create_scope()
    child.register_value("name", "child")
    assert child.resolve("name") == "child"
    assert root.resolve("name") == "root"
    assert child.has("name")
    assert not root.has("other")
    assert child.tokens() == ["name"]


async def test_async_factories_are_awaited_and_their_dependencies_injected() -> None:
    async def make_middle(leaf: Leaf) -> Middle:
        await asyncio.sleep(0)
        return Middle(leaf)

    root = Container()
    root.register(Leaf)
    root.register(Middle, make_middle, Lifetime.TRANSIENT)
    root.register(Top)
    top = await root.aresolve(Top)
    assert top.middle.leaf is top.leaf
    with pytest.raises(LifetimeError, match="has an async factory; use aresolve"):
        root.create_scope().resolve(Middle)


async def test_concurrent_async_resolution_creates_one_singleton() -> None:
    calls = 0

    async def slow() -> Leaf:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return Leaf()

    root = Container()
    root.register(Leaf, slow)
    results = await asyncio.gather(*(root.aresolve(Leaf) for _ in range(20)))
    assert calls == 1
    assert all(r is results[0] for r in results)


async def test_sync_factory_returning_an_awaitable_is_refused() -> None:
    async def build() -> Leaf:
        return Leaf()

    root = Container()
    root.register("leaf", lambda: build(), Lifetime.TRANSIENT)
    with pytest.raises(DIError, match="factory of leaf returned an awaitable; declare it async"):
        await root.aresolve("leaf")


class Closable:
    def __init__(self, journal: list[str], name: str, how: str) -> None:
        self.journal = journal
        self.name = name
        setattr(self, how, self._close)

    async def _close(self) -> None:
        self.journal.append(self.name)


async def test_dispose_closes_instances_newest_first_with_every_method_kind() -> None:
    journal: list[str] = []

    def sync_close_factory() -> object:
        class SyncClose:
            def close(self) -> None:
                journal.append("sync")

        return SyncClose()

    root = Container()
    root.register("a", lambda: Closable(journal, "a", "aclose"))
    root.register("b", lambda: Closable(journal, "b", "dispose"), Lifetime.SCOPED)
    root.register("c", sync_close_factory, Lifetime.TRANSIENT)
    root.resolve("a")
    child = root.create_scope()
    child.resolve("b")
    child.resolve("c")
    child.resolve("a")  # a singleton lives in the root: the child must not close it
    await child.dispose()
    assert journal == ["sync", "b"]
    await root.dispose()
    assert journal == ["sync", "b", "a"]


async def test_disposal_error_is_logged_and_the_rest_still_disposed(logs: LogCapture) -> None:
    journal: list[str] = []

    class Failing:
        async def aclose(self) -> None:
            raise RuntimeError("boom")

    root = Container()
    root.register("first", lambda: Closable(journal, "first", "aclose"))
    root.register("failing", Failing)
    root.register("last", lambda: Closable(journal, "last", "aclose"))
    for token in ("first", "failing", "last"):
        root.resolve(token)
    await root.dispose()
    assert journal == ["last", "first"]
    [line] = logs.lines(message="provider disposal failed")
    assert line["level"] == "error"
    assert "boom" in line["error"]
    assert line["provider"].endswith("Failing")
    assert line["exception"][0]["exc_value"] == "boom"


async def test_disposed_container_refuses_work_and_dispose_is_idempotent() -> None:
    root = Container(name="gone")
    root.register(Leaf)
    await root.dispose()
    await root.dispose()
    assert root.disposed
    with pytest.raises(DisposedError, match="container 'gone' is disposed"):
        root.resolve(Leaf)
    with pytest.raises(DisposedError):
        root.register(Leaf)
    with pytest.raises(DisposedError):
        root.create_scope()


def test_values_are_returned_as_registered_and_classes_are_not_closed() -> None:
    root = Container()
    root.register_value("cls", Leaf)
    assert root.resolve("cls") is Leaf


def test_isolated_scope_owns_its_singletons() -> None:
    root = graph(Lifetime.SINGLETON)
    shared = root.resolve(Top)
    isolated = root.create_scope(isolated=True)
    own = isolated.resolve(Top)
    assert own is not shared
    assert isolated.resolve(Top) is own
    nested = isolated.create_scope()
    assert nested.resolve(Top) is own


def test_singleton_cannot_capture_a_scoped_instance_already_built() -> None:
    root = Container()
    root.register(Leaf, Leaf, Lifetime.SCOPED)
    root.register(Middle, Middle, Lifetime.SINGLETON)
    child = root.create_scope()
    child.resolve(Leaf)
    with pytest.raises(LifetimeError, match="Middle depends on scoped"):
        child.resolve(Middle)


async def test_registering_an_async_provider_later_switches_to_the_awaiting_path() -> None:
    root = Container()
    root.register(Leaf)
    root.register(Middle, Middle, Lifetime.TRANSIENT)
    assert isinstance(await root.aresolve(Middle), Middle)  # sync graph

    async def async_leaf() -> Leaf:
        return Leaf()

    child = root.create_scope()
    child.register(Leaf, async_leaf, Lifetime.SCOPED)
    made = await child.aresolve(Middle)
    assert made.leaf is await child.aresolve(Leaf)
    fresh = root.create_scope()
    fresh.register(Leaf, async_leaf, Lifetime.SCOPED)
    with pytest.raises(LifetimeError, match="use aresolve"):
        fresh.resolve(Middle)


@pytest.mark.parametrize("lifetime", ["singleton", "scoped"])
def test_threads_resolving_at_once_share_one_instance(lifetime: str) -> None:
    """Synchronous handlers run in the thread pool; eight of them resolving a slow shared
    provider at once must still get one instance."""
    built: list[object] = []
    gate = threading.Barrier(8)

    class Slow:
        def __init__(self) -> None:
            time.sleep(0.05)  # wide open for a race without the lock
            built.append(self)

    container = Container()
    container.register(Slow, Slow, lifetime)
    scope = container.create_scope()

    def resolve() -> object:
        gate.wait()
        return scope.resolve(Slow)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: resolve(), range(8)))
    assert len(built) == 1
    assert all(r is built[0] for r in results)


def test_registrations_in_one_tree_do_not_touch_another() -> None:
    first, second = Container(), Container()
    first.register("a", lambda: 1)
    before = second._tree.generation
    first.create_scope().register("b", lambda: 2)
    assert second._tree.generation == before
    assert first._tree is first.create_scope()._tree
    assert first._tree is not second._tree
