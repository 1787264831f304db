"""A small versioned application: users in versions 1 and 2 with different shapes, a
route in versions 2 and 3, a route overriding its controller's version, a route without
``@version`` and a version-neutral one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from apiconform.reference.errors import ErrorHandling
from apiconform.reference.kernel import (
    Application,
    ApplicationFactory,
    AppRegistry,
    controller,
    get,
    post,
)
from apiconform.reference.versioning import Versioning, version, version_neutral

VERSIONS: dict[str, Any] = {
    "1": {
        "deprecated": "2026-01-01T00:00:00Z",
        "sunset": "2027-06-30T00:00:00Z",
        "successor": "2",
        "policy": "https://example.com/deprecation",
    },
    "2": {},
    "3": {},
}


@controller("users")
@version("1")
class UsersV1:
    @get("")
    async def list_v1(self) -> dict[str, Any]:
        return {"data": [{"full_name": "Ada Lovelace"}]}

    @get("/{user_id}")
    async def one_v1(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "v": 1}


@controller("users")
@version("2")
class UsersV2:
    @get("")
    async def list_v2(self) -> list[dict[str, Any]]:
        return [{"first": "Ada", "last": "Lovelace"}]

    @post("", status_code=201)
    async def create_v2(self) -> dict[str, Any]:
        return {"created": True}

    @get("/{user_id}")
    @version("2", "3")
    async def one_v23(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "v": "2-3"}


@controller("reports")
@version("2")
class Reports:
    @get("/daily")
    async def daily(self) -> dict[str, str]:
        return {"report": "daily"}

    @get("/archive")
    @version("1")
    async def archive(self) -> dict[str, str]:
        return {"report": "archive"}


@controller("plain")
class Plain:
    @get("")
    async def plain(self) -> dict[str, str]:
        return {"plain": "yes"}


@controller("status")
@version_neutral
class Status:
    @get("")
    async def status(self) -> dict[str, str]:
        return {"status": "ok"}


CONTROLLERS = [UsersV1, UsersV2, Reports, Plain, Status]


class Clock:
    """A settable clock (Unix seconds)."""

    def __init__(self, now: float = 1_780_000_000.0) -> None:  # 2026-05-28
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_app(
    registry: AppRegistry,
    clock: Clock | None = None,
    controllers: list[type[Any]] | None = None,
    **versioning: Any,
) -> Application:
    section: dict[str, Any] = {"default": "2", "versions": VERSIONS, **versioning}
    return ApplicationFactory.create(
        id="versioned",
        registry=registry,
        config={"versioning": section},
        controllers=CONTROLLERS if controllers is None else controllers,
        features=[ErrorHandling(), Versioning(clock=clock or Clock())],
    )


def client_of(app: Application) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi, raise_app_exceptions=False), base_url="http://t"
    )


ClientFactory = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def versioned(registry: AppRegistry) -> AsyncIterator[ClientFactory]:
    """Builds clients of versioned apps configured with the given ``[versioning]`` keys."""
    apps: list[Application] = []

    def build(clock: Clock | None = None, **versioning: Any) -> httpx.AsyncClient:
        app = make_app(registry, clock, **versioning)
        apps.append(app)
        registry.unregister(app.id)
        return client_of(app)

    yield build
    for app in apps:
        await app.dispose()


@pytest.fixture
async def client(versioned: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with versioned() as http:
        yield http
