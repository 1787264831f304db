"""The container: registration, scopes, resolution (sync and async) and disposal."""

from __future__ import annotations

import asyncio
import inspect
import itertools
from typing import Any, TypeVar, cast

from apiconform.common.logs import get_logger
from apiconform.reference.kernel.di.declare import Lifetime, Token, declared_lifetime, token_name
from apiconform.reference.kernel.di.errors import (
    CircularDependencyError,
    DIError,
    DisposedError,
    LifetimeError,
    UnknownTokenError,
)
from apiconform.reference.kernel.di.plan import Param, Registration
from apiconform.reference.kernel.di.tree import Tree, closer

T = TypeVar("T")

_log = get_logger("apiconform.di")
_scope_ids = itertools.count(1)


class Container:
    """A DI container; ``create_scope()`` makes a child that sees its parent's registrations.

    ``isolated=True`` makes the child create its own instances of the singletons registered
    in its parent (request-scoped applications recreate every provider per request), while
    singletons registered further up stay shared.
    """

    def __init__(
        self, parent: Container | None = None, *, name: str = "root", isolated: bool = False
    ) -> None:
        self.parent = parent
        self._tree: Tree = parent._tree if parent is not None else Tree()
        self.name = name
        self.isolated = isolated
        self._registrations: dict[Token, Registration] = {}
        self._instances: dict[Token, Any] = {}
        self._created: list[Any] = []
        self._locks: dict[Token, asyncio.Lock] = {}
        self._async_graph: dict[Token, tuple[int, bool]] = {}
        self._disposed = False

    # -- registration -------------------------------------------------------------------

    def register(
        self,
        token: Token,
        provider: Any = None,
        lifetime: Lifetime | str | None = None,
    ) -> None:
        """Register ``provider`` (a class, a factory or a value) under ``token``.

        With no provider the token must be a class, which provides itself. With no lifetime
        the class's ``@service``/``@scope`` lifetime applies, else ``singleton``.
        """
        self._check_alive()
        if provider is None:
            if isinstance(token, str):
                raise DIError(f"token {token!r} needs a provider")
            provider = token
        resolved_lifetime = Lifetime(lifetime or declared_lifetime(provider) or Lifetime.SINGLETON)
        self._registrations[token] = Registration(token, provider, resolved_lifetime, self)
        self._tree.generation += 1

    def register_value(self, token: Token, value: Any) -> None:
        """Register a ready instance (a singleton that the container did not create)."""
        self._check_alive()
        registration = Registration(token, None, Lifetime.SINGLETON, self)
        registration.value = value
        self._registrations[token] = registration
        self._instances[token] = value
        self._tree.generation += 1

    def has(self, token: Token) -> bool:
        return self._lookup(token) is not None

    def tokens(self) -> list[Token]:
        """Every token visible from this container, the nearest registration winning."""
        seen: dict[Token, None] = {}
        container: Container | None = self
        while container is not None:
            for token in container._registrations:
                seen.setdefault(token, None)
            container = container.parent
        return list(seen)

    def _lookup(self, token: Token) -> Registration | None:
        found = self._registrations.get(token)
        if found is not None:
            return found
        container: Container | None = self.parent
        while container is not None:
            found = container._registrations.get(token)
            if found is not None:
                return found
            container = container.parent
        return None

    # -- scopes ---------------------------------------------------------------------------

    def create_scope(self, name: str | None = None, *, isolated: bool = False) -> Container:
        """A child container: its own scoped instances, its parent's singletons."""
        self._check_alive()
        return Container(self, name=name or f"scope:{next(_scope_ids)}", isolated=isolated)

    @property
    def is_root(self) -> bool:
        return self.parent is None

    @property
    def disposed(self) -> bool:
        return self._disposed

    def _holder(self, registration: Registration) -> Container:
        """The container that caches an instance of ``registration``."""
        if registration.lifetime is Lifetime.SCOPED:
            if self.is_root:
                raise LifetimeError(
                    f"scoped provider {token_name(registration.token)} resolved from the root "
                    f"container {self.name!r}; resolve it inside create_scope()"
                )
            return self
        # singleton: cached by the registering container, except that an isolated scope
        # makes its own copies of its parent's singletons (ancestors' stay shared)
        container: Container | None = self
        while container is not None and container is not registration.owner:
            if container.isolated and container.parent is registration.owner:
                return container
            container = container.parent
        return registration.owner

    # -- resolution -------------------------------------------------------------------------

    def resolve(self, token: type[T] | str) -> T:
        """Resolve synchronously; providers that need ``await`` require :meth:`aresolve`."""
        return cast(T, self._resolve(token, (), None))

    async def aresolve(self, token: type[T] | str) -> T:
        """Resolve, awaiting async factories on the way."""
        return cast(T, await self._aresolve(token, (), None))

    def _registration(self, token: Token, chain: tuple[Token, ...]) -> Registration:
        if self._disposed:
            raise DisposedError(f"container {self.name!r} is disposed")
        if token in chain:
            path = " -> ".join(token_name(t) for t in (*chain, token))
            raise CircularDependencyError(f"circular dependency: {path}")
        registration = self._lookup(token)
        if registration is None:
            needed = f" (needed by {token_name(chain[-1])})" if chain else ""
            raise UnknownTokenError(f"no provider registered for {token_name(token)}{needed}")
        return registration

    def _cached(self, registration: Registration) -> tuple[Container | None, Any]:
        if registration.lifetime is Lifetime.TRANSIENT:
            return None, None
        if registration.factory is None:
            return None, registration.value
        holder = self._holder(registration)
        return holder, holder._instances.get(registration.token, _MISSING)

    def _resolve(
        self,
        token: Token,
        chain: tuple[Token, ...],
        captor: Token | None,
        registration: Registration | None = None,
    ) -> Any:
        """``chain`` is the path of tokens being built (for cycles); ``captor`` the nearest
        singleton on it, which must not capture a scoped instance."""
        if registration is None:
            registration = self._registration(token, chain)
        captor = self._captor(registration, captor)
        holder, cached = self._cached(registration)
        if registration.factory is None or (holder is not None and cached is not _MISSING):
            return cached
        if registration.is_async:
            raise LifetimeError(
                f"provider {token_name(token)} has an async factory; use aresolve()"
            )
        if holder is None:  # transient: nothing shared to guard
            return self._build_sync(self, registration, (*chain, token), captor)
        # handlers in the thread pool resolve concurrently: build a shared instance once
        with self._tree.lock:
            cached = holder._instances.get(token, _MISSING)
            if cached is not _MISSING:
                return cached
            return self._build_sync(holder, registration, (*chain, token), captor)

    def _build_sync(
        self,
        holder: Container,
        registration: Registration,
        chain: tuple[Token, ...],
        captor: Token | None,
    ) -> Any:
        assert registration.factory is not None  # guarded by the caller
        kwargs = {p.name: self._resolve(p.token, chain, captor) for p in self._wanted(registration)}
        instance = registration.factory(**kwargs)
        if not registration.is_class and inspect.isawaitable(instance):
            if inspect.iscoroutine(instance):
                instance.close()  # never awaited: close it rather than leak a warning
            raise DIError(
                f"factory of {token_name(registration.token)} returned an awaitable; "
                "declare it async def"
            )
        return self._keep(holder, registration, instance)

    async def _aresolve(self, token: Token, chain: tuple[Token, ...], captor: Token | None) -> Any:
        registration = self._registration(token, chain)
        if not self._graph_is_async(registration):
            # nothing to await below this provider: the sync path cannot interleave
            return self._resolve(token, chain, captor, registration)
        captor = self._captor(registration, captor)
        holder, cached = self._cached(registration)
        if registration.factory is None or (holder is not None and cached is not _MISSING):
            return cached
        if holder is None:
            return await self._build(self, registration, (*chain, token), captor)
        lock = holder._locks.setdefault(token, asyncio.Lock())
        async with lock:  # one instance even when concurrent resolutions await inside
            cached = holder._instances.get(token, _MISSING)
            if cached is not _MISSING:
                return cached
            return await self._build(holder, registration, (*chain, token), captor)

    async def _build(
        self,
        holder: Container,
        registration: Registration,
        chain: tuple[Token, ...],
        captor: Token | None,
    ) -> Any:
        assert registration.factory is not None  # guarded by the callers
        kwargs = {
            p.name: await self._aresolve(p.token, chain, captor) for p in self._wanted(registration)
        }
        instance = registration.factory(**kwargs)
        if registration.is_async:
            instance = await instance
        return self._keep(holder, registration, instance)

    def _wanted(self, registration: Registration) -> tuple[Param, ...]:
        """Parameters to inject: a defaulted one only when its token is registered."""
        if not registration.optional:
            return registration.required
        return registration.required + tuple(
            p for p in registration.optional if self._lookup(p.token)
        )

    @staticmethod
    def _captor(registration: Registration, captor: Token | None) -> Token | None:
        """Refuse a singleton capturing a scoped instance (it would outlive its scope), and
        pass on the nearest singleton to the dependencies."""
        if registration.lifetime is Lifetime.SCOPED and captor is not None:
            raise LifetimeError(
                f"singleton {token_name(captor)} depends on scoped "
                f"{token_name(registration.token)}; make it scoped or transient"
            )
        if registration.lifetime is Lifetime.SINGLETON:
            return registration.token
        return captor

    def _graph_is_async(self, registration: Registration) -> bool:
        """Whether building ``registration`` may await (an async factory anywhere below).

        Cached per registering container and invalidated by any later registration.
        """
        view: Container = self
        while not view._registrations and view.parent is not None:
            view = view.parent
        known = view._async_graph.get(registration.token)
        if known is not None and known[0] == self._tree.generation:
            return known[1]
        seen: set[Token] = set()

        def walk(reg: Registration) -> bool:
            if reg.is_async:
                return True
            seen.add(reg.token)
            for param in reg.params:
                dep = view._lookup(param.token)
                if dep is not None and dep.token not in seen and walk(dep):
                    return True
            return False

        result = walk(registration)
        view._async_graph[registration.token] = (self._tree.generation, result)
        return result

    def _keep(self, holder: Container, registration: Registration, instance: Any) -> Any:
        if registration.lifetime is not Lifetime.TRANSIENT:
            holder._instances[registration.token] = instance
        if closer(instance, self._tree.closers) is not None:
            (holder if registration.lifetime is not Lifetime.TRANSIENT else self)._created.append(
                instance
            )
        return instance

    # -- disposal -----------------------------------------------------------------------------

    async def dispose(self) -> None:
        """Close what this container created, newest first; errors are logged, not raised."""
        if self._disposed:
            return
        self._disposed = True
        created, self._created = self._created, []
        for instance in reversed(created):
            close = closer(instance, self._tree.closers)
            if close is None:  # pragma: no cover - only closable instances are tracked
                continue
            try:
                result = close()
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                _log.error(
                    "provider disposal failed",
                    container=self.name,
                    provider=type(instance).__qualname__,
                    error=repr(exc),
                    exc_info=exc,
                )
        self._instances.clear()
        self._registrations.clear()
        self._locks.clear()

    def _check_alive(self) -> None:
        if self._disposed:
            raise DisposedError(f"container {self.name!r} is disposed")


_MISSING = object()
