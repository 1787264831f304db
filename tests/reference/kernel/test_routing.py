"""The kernel's routing core."""

from __future__ import annotations

import httpx

from apiconform.reference.errors import ErrorHandling
from apiconform.reference.kernel import ApplicationFactory, AppRegistry, controller, get, post


@controller("things")
class Things:
    @get("")
    async def list_things(self) -> list[str]:
        return []

    @post("")
    async def add_thing(self) -> None: ...

    @get("/{thing_id}")
    async def one(self, thing_id: int) -> int:
        return thing_id


async def test_a_405_allows_the_methods_of_every_route_with_the_path(
    registry: AppRegistry,
) -> None:
    app = ApplicationFactory.create(
        id="allow", registry=registry, controllers=[Things], features=[ErrorHandling()]
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi), base_url="http://t"
    ) as client:
        collection = await client.delete("/things")
        assert collection.status_code == 405
        assert collection.headers["allow"] == "GET, POST"
        item = await client.put("/things/3")
        assert (item.status_code, item.headers["allow"]) == (405, "GET")
    await app.dispose()
