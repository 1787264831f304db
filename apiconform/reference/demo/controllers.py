"""Controllers of the demo app: a users resource and the scope probe routes."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Body, Path, Query, Request, Response
from pydantic import BaseModel, JsonValue

from apiconform.common.logs import get_logger
from apiconform.reference.demo.services import AppProbe, RequestProbe, TransientProbe
from apiconform.reference.errors.exceptions import NotFound
from apiconform.reference.kernel import (
    Application,
    ScopedCache,
    controller,
    delete,
    get,
    get_correlation_id,
    get_current_scope,
    post,
    put,
)
from apiconform.reference.kernel.di import token_name
from apiconform.reference.store.users import User, UserIn, UserRepository
from apiconform.reference.versioning import version

# ids are database integers: anything outside their range is a 422, not a driver error
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CacheKey = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:-]+$")]


@controller("users")
@version("2")
class UsersController:
    def __init__(self, users: UserRepository) -> None:
        self.users = users

    @get("")
    async def list_users(
        self,
        limit: Annotated[int, Query(ge=1, le=100)] = 100,
        offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    ) -> list[User]:
        return await self.users.list(limit, offset)

    @get("/{user_id}")
    async def get_user(self, user_id: UserId) -> User:
        user = await self.users.get(user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        return user

    @post("", status_code=201)
    async def create_user(self, data: UserIn) -> User:
        return await self.users.create(data)

    @put("/{user_id}")
    async def replace_user(self, user_id: UserId, data: UserIn) -> User:
        user = await self.users.replace(user_id, data)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        return user

    @delete("/{user_id}", status_code=204)
    async def delete_user(self, user_id: UserId) -> Response:
        if not await self.users.remove(user_id):
            raise NotFound(f"user {user_id} not found")
        return Response(status_code=204)


class CacheValue(BaseModel):
    value: JsonValue


class LogLine(BaseModel):
    message: str


@controller("scopes")
class ScopesController:
    """Probe routes that make scope behaviour visible over HTTP."""

    def __init__(
        self,
        app: Application,
        probe: RequestProbe,
        singleton: AppProbe,
        transient: TransientProbe,
        cache: ScopedCache,
    ) -> None:
        self.app = app
        self.probe = probe
        self.singleton = singleton
        self.transient = transient
        self.cache = cache

    @get("/whoami")
    async def whoami(self) -> dict[str, Any]:
        scope = get_current_scope()
        return {
            "app_id": self.app.id,
            "scope": str(self.app.scope),
            "scope_id": scope.scope_id if scope else None,
            "correlation_id": get_correlation_id(),
        }

    @get("/request-ids")
    async def request_ids(self) -> dict[str, Any]:
        """The request-scoped probe injected into the controller and resolved again from
        the request's container: equal within a request, new in the next one."""
        scope = get_current_scope()
        assert scope is not None  # every request runs in a scope
        again = await scope.container.aresolve(RequestProbe)
        other_transient = await scope.container.aresolve(TransientProbe)
        return {
            "app_id": self.app.id,
            "scope_id": scope.scope_id,
            "first": self.probe.id,
            "second": again.id,
            "singleton": self.singleton.id,
            "transient": [self.transient.id, other_transient.id],
        }

    @get("/providers")
    async def providers(self) -> dict[str, Any]:
        return {
            "app_id": self.app.id,
            "providers": sorted(token_name(t) for t in self.app.container.tokens()),
        }

    @get("/config")
    async def config(self) -> dict[str, Any]:
        return {"app_id": self.app.id, "settings": self.app.config.settings}

    @put("/cache/{key}", status_code=204)
    async def cache_put(self, key: CacheKey, body: CacheValue) -> Response:
        await self.cache.set(key, body.value)
        return Response(status_code=204)

    @get("/cache/{key}")
    async def cache_get(self, key: CacheKey) -> dict[str, Any]:
        missing = object()
        value = await self.cache.get(key, missing)
        if value is missing:
            raise NotFound(f"no cache entry {key!r} in app {self.app.id!r}")
        return {"app_id": self.app.id, "key": key, "value": value}

    @post("/log")
    async def log(self, request: Request, line: Annotated[LogLine, Body()]) -> dict[str, Any]:
        """Write ``message`` from the handler and from a task it spawns; both lines must
        carry this request's ids."""
        logger = get_logger("apiconform.demo")
        logger.info(line.message, origin="handler")

        async def background() -> None:
            logger.info(line.message, origin="task")

        await asyncio.create_task(background())
        scope = get_current_scope()
        return {
            "app_id": self.app.id,
            "scope_id": scope.scope_id if scope else None,
            "correlation_id": get_correlation_id(),
        }


def agent_controller(name: str) -> type[Any]:
    """A controller that exists only in the agent called ``name`` (route isolation)."""

    class AgentController:
        def __init__(self, app: Application) -> None:
            self.app = app

        @get("/ping")
        async def ping(self) -> dict[str, str]:
            return {"agent": name, "app_id": self.app.id}

    AgentController.__name__ = AgentController.__qualname__ = f"AgentController_{name}"
    return controller(f"agents/{name}")(AgentController)
