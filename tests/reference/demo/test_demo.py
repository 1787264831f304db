from __future__ import annotations

import httpx
import pytest

from apiconform.reference.demo.app import create_agents, create_demo_app
from apiconform.reference.kernel import Application, AppRegistry, DuplicateAppError
from tests.conftest import LogCapture


def client(app: Application) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app.asgi), base_url="http://t")


@pytest.fixture
async def demo(registry: AppRegistry, database_config: dict[str, str]) -> Application:
    app = create_demo_app(registry=registry, config={"database": database_config})
    yield app
    await app.dispose()


async def test_users_resource_crud(demo: Application) -> None:
    async with client(demo) as http:
        assert (await http.get("/users")).json() == []
        created = await http.post("/users", json={"name": "Ada", "email": "ada@example.org"})
        assert created.status_code == 201
        user = created.json()
        assert user == {"id": 1, "name": "Ada", "email": "ada@example.org"}
        assert (await http.get("/users/1")).json() == user
        replaced = await http.put("/users/1", json={"name": "Ada L", "email": "ada@example.org"})
        assert replaced.json()["name"] == "Ada L"
        assert (await http.get("/users")).json() == [replaced.json()]
        assert (await http.delete("/users/1")).status_code == 204
        for method in ("get", "delete"):
            assert (await getattr(http, method)("/users/1")).status_code == 404
        missing = await http.put("/users/9", json={"name": "x", "email": "x@example.org"})
        assert missing.status_code == 404


@pytest.mark.parametrize(
    "body",
    [{"name": "", "email": "a@b.co"}, {"name": "x", "email": "not-an-email"}, {"name": "x"}],
)
async def test_users_input_is_validated(demo: Application, body: dict[str, str]) -> None:
    async with client(demo) as http:
        assert (await http.post("/users", json=body)).status_code == 422


async def test_request_probe_is_shared_within_a_request_and_new_across(demo: Application) -> None:
    async with client(demo) as http:
        one = (await http.get("/scopes/request-ids")).json()
        two = (await http.get("/scopes/request-ids")).json()
    assert one["first"] == one["second"]
    assert two["first"] == two["second"]
    assert one["first"] != two["first"]
    assert one["singleton"] == two["singleton"]
    assert one["transient"][0] != one["transient"][1]
    assert one["scope_id"] != two["scope_id"]
    assert one["app_id"] == "demo"


async def test_whoami_config_and_providers(demo: Application) -> None:
    async with client(demo) as http:
        who = (await http.get("/scopes/whoami", headers={"X-Correlation-ID": "w1"})).json()
        config = (await http.get("/scopes/config")).json()
        providers = (await http.get("/scopes/providers")).json()
    assert who["app_id"] == "demo"
    assert who["scope"] == "singleton"
    assert who["correlation_id"] == "w1"
    assert who["scope_id"].startswith("scope:req:")
    assert config == {"app_id": "demo", "settings": {}}
    assert "apiconform.reference.store.users.UserRepository" in providers["providers"]


async def test_cache_probe_round_trip_and_key_validation(demo: Application) -> None:
    async with client(demo) as http:
        assert (await http.get("/scopes/cache/k1")).status_code == 404
        assert (await http.put("/scopes/cache/k1", json={"value": {"n": 1}})).status_code == 204
        assert (await http.get("/scopes/cache/k1")).json() == {
            "app_id": "demo",
            "key": "k1",
            "value": {"n": 1},
        }
        assert (await http.put("/scopes/cache/bad*key", json={"value": 1})).status_code == 422
        assert (await http.put("/scopes/cache/k2", json={})).status_code == 422


async def test_log_probe_writes_handler_and_task_lines_with_request_ids(
    demo: Application, logs: LogCapture
) -> None:
    async with client(demo) as http:
        reply = (
            await http.post(
                "/scopes/log", json={"message": "probe-1"}, headers={"X-Request-ID": "r1"}
            )
        ).json()
    lines = logs.lines(message="probe-1")
    assert sorted(line["origin"] for line in lines) == ["handler", "task"]
    for line in lines:
        assert line["app_id"] == "demo"
        assert line["correlation_id"] == "r1" == reply["correlation_id"]
        assert line["scope_id"] == reply["scope_id"]


async def test_agents_have_their_own_routes_providers_config_and_singletons(
    registry: AppRegistry,
) -> None:
    a, b = create_agents(2, base={"port": 0}, registry=registry)
    try:
        async with client(a) as ha, client(b) as hb:
            assert (await ha.get("/agents/agent-0/ping")).json() == {
                "agent": "agent-0",
                "app_id": "agent:agent-0",
            }
            assert (await hb.get("/agents/agent-0/ping")).status_code == 404
            assert (await hb.get("/agents/agent-1/ping")).status_code == 200
            pa = (await ha.get("/scopes/providers")).json()["providers"]
            pb = (await hb.get("/scopes/providers")).json()["providers"]
            assert "agent-role:agent-0" in pa
            assert "agent-role:agent-0" not in pb
            assert (await ha.get("/scopes/config")).json()["settings"] == {"name": "agent-0"}
            assert (await hb.get("/scopes/config")).json()["settings"] == {"name": "agent-1"}
            sa = (await ha.get("/scopes/request-ids")).json()["singleton"]
            sb = (await hb.get("/scopes/request-ids")).json()["singleton"]
            assert sa != sb
            await ha.put("/scopes/cache/shared-key", json={"value": "a"})
            assert (await hb.get("/scopes/cache/shared-key")).status_code == 404
    finally:
        await a.dispose()
        await b.dispose()


def test_agents_get_consecutive_ports(registry: AppRegistry) -> None:
    apps = create_agents(3, base={"port": 9100, "settings": {"x": 1}}, registry=registry)
    assert [a.config.port for a in apps] == [9100, 9101, 9102]
    assert apps[2].config.settings == {"x": 1, "name": "agent-2"}


def test_failed_agent_creation_unregisters_the_ones_created(registry: AppRegistry) -> None:
    create_demo_app(id="agent:agent-1", scope="agent", registry=registry)
    with pytest.raises(DuplicateAppError):
        create_agents(3, registry=registry)
    assert [i.id for i in registry.get_all()] == ["agent:agent-1"]


@pytest.mark.requirement("SCOPE-TYPE-03")
async def test_request_scoped_app_recreates_singletons_per_request(registry: AppRegistry) -> None:
    app = create_demo_app(id="tenant", scope="request", registry=registry)
    async with client(app) as http:
        one = (await http.get("/scopes/request-ids")).json()
        two = (await http.get("/scopes/request-ids")).json()
    assert one["singleton"] != two["singleton"]
    await app.dispose()
