from __future__ import annotations

import threading
from typing import Annotated

import httpx
import pytest
from fastapi import Query, Request
from pydantic import BaseModel

from apiconform.reference.kernel import (
    ApplicationFactory,
    AppRegistry,
    controller,
    delete,
    get,
    patch,
    post,
    put,
    service,
)
from apiconform.reference.kernel.controllers import ControllerError, join_path


class Item(BaseModel):
    name: str
    qty: int = 1


@service(lifetime="scoped")
class Counter:
    instances = 0

    def __init__(self) -> None:
        Counter.instances += 1
        self.n = Counter.instances


@controller("/items/", tags=["stock"])
class ItemsController:
    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    @get("/a")
    @get("/b")
    async def two_paths(self, request: Request) -> dict[str, str]:
        return {"path": request.url.path}

    @get("/{item_id}")
    async def read(
        self, item_id: int, verbose: Annotated[bool, Query()] = False
    ) -> dict[str, object]:
        return {"id": item_id, "verbose": verbose, "counter": self.counter.n}

    @post("", status_code=201)
    async def create(self, item: Item) -> Item:
        return item

    @put("/{item_id}")
    async def replace(self, item_id: int, item: Item) -> dict[str, object]:
        return {"id": item_id, **item.model_dump()}

    @patch("/{item_id}")
    async def rename(self, item_id: int, name: str) -> dict[str, object]:
        return {"id": item_id, "name": name}

    @delete("/{item_id}", status_code=204)
    async def remove(self, item_id: int) -> None:
        return None

    @get("/sync/thread")
    def blocking(self) -> dict[str, bool]:
        return {"main_thread": threading.current_thread() is threading.main_thread()}

    @get("/raw/request")
    async def raw(self, request: Request) -> dict[str, str]:
        return {"path": request.url.path}

    def not_a_route(self) -> None:  # pragma: no cover - must not be exposed
        raise AssertionError


@pytest.fixture
async def client(registry: AppRegistry) -> httpx.AsyncClient:
    app = ApplicationFactory.create(
        id="t", scope="agent", controllers=[ItemsController], providers=[Counter], registry=registry
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi), base_url="http://t"
    ) as http:
        yield http
    await app.dispose()


async def test_every_verb_routes_to_its_method(client: httpx.AsyncClient) -> None:
    assert (await client.get("/items/3?verbose=true")).json()["verbose"] is True
    created = await client.post("/items", json={"name": "nut"})
    assert created.status_code == 201
    assert created.json() == {"name": "nut", "qty": 1}
    assert (await client.put("/items/3", json={"name": "x", "qty": 2})).json() == {
        "id": 3,
        "name": "x",
        "qty": 2,
    }
    assert (await client.patch("/items/3?name=y")).json() == {"id": 3, "name": "y"}
    assert (await client.delete("/items/3")).status_code == 204


async def test_parameters_are_validated_by_fastapi(client: httpx.AsyncClient) -> None:
    assert (await client.get("/items/not-a-number")).status_code == 422
    assert (await client.post("/items", json={"qty": 1})).status_code == 422


async def test_controller_is_built_per_request_with_its_dependencies(
    client: httpx.AsyncClient,
) -> None:
    first = (await client.get("/items/1")).json()["counter"]
    second = (await client.get("/items/1")).json()["counter"]
    assert second == first + 1


async def test_sync_handlers_run_off_the_event_loop(client: httpx.AsyncClient) -> None:
    assert (await client.get("/items/sync/thread")).json() == {"main_thread": False}


async def test_routes_match_in_definition_order_and_handlers_may_take_the_request(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/items/raw/request")).json() == {"path": "/items/raw/request"}
    assert (await client.get("/items/a")).json() == {"path": "/items/a"}
    assert (await client.get("/items/b")).json() == {"path": "/items/b"}


async def test_openapi_has_typed_operations_without_self_or_request(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    read = spec["paths"]["/items/{item_id}"]["get"]
    assert [p["name"] for p in read["parameters"]] == ["item_id", "verbose"]
    assert read["tags"] == ["stock"]
    create = spec["paths"]["/items"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("Item")
    assert "/items/raw/request" in spec["paths"]
    assert spec["paths"]["/items/raw/request"]["get"].get("parameters") is None


def test_undecorated_class_is_refused(registry: AppRegistry) -> None:
    class Plain:
        pass

    with pytest.raises(ControllerError, match="Plain is not decorated with @controller"):
        ApplicationFactory.create(id="x", scope="agent", controllers=[Plain], registry=registry)


def test_paths_are_joined_without_double_slashes() -> None:
    assert join_path("", "/users/", "/{id}") == "/users/{id}"
    assert join_path("", "", "") == "/"
