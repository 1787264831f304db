"""Who a request counts against: API keys and their tiers, users, custom keys, everyone,
and clients behind trusted proxies."""

from __future__ import annotations

import asyncio

import jwt
import pytest
from starlette.requests import Request

from apiconform.reference.errors import ErrorHandling
from apiconform.reference.kernel import ApplicationFactory, AppRegistry, controller, get
from apiconform.reference.throttling import ThrottlerStorage, Throttling, rate_limit
from apiconform.reference.throttling.keys import digest

from .conftest import Build, FakeClock, client

KEYS = {
    "free-key-1": {"tier": "free"},
    "free-key-2": {"tier": "free"},
    "premium-key": {"tier": "premium"},
    "override-key": {"tier": "free", "limit": 7},
}
SECRET = "test-secret-of-the-user-strategy-0123456789"


def token(sub: str, secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode({'sub': sub}, secret, algorithm='HS256')}"}


def by_tenant(request: Request) -> str:
    return f"tenant:{request.headers.get('x-tenant', 'none')}"


@controller("s")
class Strategies:
    @get("/keyed")
    @rate_limit(strategy="api_key")
    async def keyed(self) -> dict[str, str]:
        return {}

    @get("/user")
    @rate_limit(3, 60, strategy="user")
    async def user(self) -> dict[str, str]:
        return {}

    @get("/global")
    @rate_limit(2, 60, strategy="global")
    async def everyone(self) -> dict[str, str]:
        return {}

    @get("/tenant")
    @rate_limit(2, 60, key_generator=by_tenant, error_message="slow down, tenant")
    async def tenant(self) -> dict[str, str]:
        return {}

    @get("/ip")
    @rate_limit(2, 60)
    async def ip(self) -> dict[str, str]:
        return {}


async def statuses(http: object, path: str, n: int, **kwargs: object) -> list[int]:
    return [(await http.get(path, **kwargs)).status_code for _ in range(n)]  # type: ignore[attr-defined]


async def test_api_keys_count_apart_at_their_tier_limits_with_overrides(build: Build) -> None:
    app = build([Strategies], {"api_keys": KEYS})
    async with client(app) as http:
        free = await statuses(http, "/s/keyed", 6, headers={"X-API-Key": "free-key-1"})
        assert free == [200] * 5 + [429]
        assert (await http.get("/s/keyed", headers={"x-api-key": "free-key-2"})).status_code == 200
        premium = await http.get("/s/keyed", headers={"X-API-Key": "premium-key"})
        assert premium.headers["x-ratelimit-limit"] == "50"
        override = await statuses(http, "/s/keyed", 8, headers={"X-API-Key": "override-key"})
        assert override == [200] * 7 + [429]


async def test_no_key_or_an_unknown_key_counts_by_address_at_the_smallest_tier(
    build: Build,
) -> None:
    app = build([Strategies], {"api_keys": KEYS})
    async with client(app) as http:
        assert await statuses(http, "/s/keyed", 3) == [200] * 3
        # a made-up key is not a fresh bucket: it shares the address's
        made_up = await statuses(http, "/s/keyed", 3, headers={"X-API-Key": "made-up"})
        assert made_up == [200, 200, 429]


async def test_the_api_key_is_hashed_in_the_key_and_never_in_the_response(
    build: Build, logs: object
) -> None:
    app = build([Strategies], {"api_keys": KEYS})
    async with client(app) as http:
        for _ in range(6):
            refused = await http.get("/s/keyed", headers={"X-API-Key": "free-key-1"})
    assert "free-key-1" not in refused.text
    text = logs.text  # type: ignore[attr-defined]
    assert "free-key-1" not in text
    assert digest("free-key-1") in text


async def test_one_user_shares_a_counter_across_devices_and_anonymous_has_its_own(
    build: Build,
) -> None:
    app = build([Strategies], {"jwt_secret": SECRET, "anonymous_limit": 2})
    async with client(app, "198.51.100.1") as phone, client(app, "198.51.100.2") as laptop:
        await phone.get("/s/user", headers=token("alice"))
        await laptop.get("/s/user", headers=token("alice"))
        assert (await phone.get("/s/user", headers=token("alice"))).status_code == 200
        assert (await laptop.get("/s/user", headers=token("alice"))).status_code == 429
        assert (await laptop.get("/s/user", headers=token("bob"))).status_code == 200
        anonymous = await statuses(phone, "/s/user", 3)
        assert anonymous == [200, 200, 429]
        forged = await phone.get(
            "/s/user", headers=token("alice", "wrong-secret-0123456789abcdefghijklmnop")
        )
        assert forged.status_code == 429  # an unverifiable token is anonymous


async def test_a_custom_resolver_names_the_user(build: Build) -> None:
    app = build([Strategies], users=lambda request: request.headers.get("x-user"))
    async with client(app) as http:
        assert await statuses(http, "/s/user", 4, headers={"x-user": "u1"}) == [200] * 3 + [429]
        assert (await http.get("/s/user", headers={"x-user": "u2"})).status_code == 200


async def test_the_global_strategy_counts_everyone_together(build: Build) -> None:
    app = build([Strategies])
    async with client(app, "198.51.100.1") as one, client(app, "198.51.100.2") as two:
        assert (await one.get("/s/global")).status_code == 200
        assert (await two.get("/s/global")).status_code == 200
        assert (await one.get("/s/global")).status_code == 429


@pytest.mark.requirement("THR-KEY-01")
async def test_a_key_generator_gets_the_request_and_its_result_is_the_key(
    build: Build, logs: object
) -> None:
    app = build([Strategies])
    async with client(app) as http:
        a = await statuses(http, "/s/tenant", 3, headers={"x-tenant": "a"})
        assert a == [200, 200, 429]
        assert (await http.get("/s/tenant", headers={"x-tenant": "b"})).status_code == 200
        refused = await http.get("/s/tenant", headers={"x-tenant": "a"})
    assert refused.json()["detail"] == "slow down, tenant"
    [line, *_] = logs.lines(message="rate limit exceeded")  # type: ignore[attr-defined]
    assert (line["key"], line["limit"], line["ttl"], line["retry_after"]) == (
        "tenant:a",
        2,
        60,
        60,
    )


async def test_behind_a_trusted_proxy_the_forwarded_client_is_the_key(
    registry: AppRegistry, clock: FakeClock
) -> None:
    app = ApplicationFactory.create(
        id="p",
        scope="agent",
        config={"trusted_proxies": ["10.0.0.0/8"]},
        controllers=[Strategies],
        features=[ErrorHandling(), Throttling(clock=clock)],
        registry=registry,
    )
    async with client(app, "10.0.0.5") as proxy:
        one = {"X-Forwarded-For": "198.51.100.1"}
        assert await statuses(proxy, "/s/ip", 3, headers=one) == [200, 200, 429]
        two = {"X-Forwarded-For": "198.51.100.2"}
        assert (await proxy.get("/s/ip", headers=two)).status_code == 200
        # what a client writes left of what the proxy appended does not count
        spoof = {"X-Forwarded-For": "192.0.2.1, 198.51.100.1"}
        assert (await proxy.get("/s/ip", headers=spoof)).status_code == 429
    async with client(app, "::ffff:198.51.100.1") as direct:
        # IPv4-mapped IPv6 is the IPv4 address
        assert (await direct.get("/s/ip")).status_code == 429


async def test_concurrent_requests_on_redis_never_over_admit(
    storage: ThrottlerStorage, registry: AppRegistry, clock: FakeClock
) -> None:
    app = ApplicationFactory.create(
        id="c",
        scope="agent",
        controllers=[Strategies],
        features=[ErrorHandling(), Throttling(clock=clock, storage=storage)],
        registry=registry,
    )
    async with client(app) as http:
        responses = await asyncio.gather(*(http.get("/s/global") for _ in range(80)))
    assert sum(r.status_code == 200 for r in responses) == 2
    assert {r.status_code for r in responses} == {200, 429}


@pytest.mark.parametrize("header", ["", "Basic abc", "Bearer ", "Bearer " + "x" * 5000])
async def test_odd_authorization_headers_are_anonymous(build: Build, header: str) -> None:
    app = build([Strategies], {"jwt_secret": SECRET, "anonymous_limit": 1})
    async with client(app) as http:
        await http.get("/s/user", headers={"Authorization": header} if header else {})
        refused = await http.get("/s/user", headers={"Authorization": header} if header else {})
    assert refused.status_code == 429
    assert refused.json()["limit"] == 1


async def test_without_an_anonymous_tier_a_missing_key_gets_the_route_limit(
    build: Build,
) -> None:
    app = build([Strategies], {"api_keys": KEYS, "anonymous_tier": None})
    async with client(app) as http:
        assert (await http.get("/s/keyed")).headers["x-ratelimit-limit"] == "100"


async def test_a_request_without_a_peer_counts_as_unknown(build: Build) -> None:
    from starlette.requests import Request

    from apiconform.reference.throttling.keys import ip_key

    assert ip_key(Request({"type": "http", "headers": []})) == "ip:unknown"
    assert ip_key(Request({"type": "http", "headers": [], "client": ("a-name", 1)})) == (
        "ip:a-name"
    )
