"""The throttler through HTTP, in process: headers, 429 problems, honest Retry-After,
overrides, skipped routes, and buckets that a client cannot multiply."""

from __future__ import annotations

import asyncio
import math

import pytest

from apiconform.reference.kernel import controller, get
from apiconform.reference.throttling import rate_limit, skip_rate_limit

from .conftest import START, Build, FakeClock, client


@controller("v1")
@rate_limit(4, 60)
class Limited:
    @get("/limited")
    @rate_limit(3, 10)
    async def limited(self) -> dict[str, str]:
        return {"ok": "limited"}

    @get("/default")
    async def default(self) -> dict[str, str]:
        return {"ok": "default"}

    @get("/other")
    async def other(self) -> dict[str, str]:
        return {"ok": "other"}

    @get("/skipped")
    @skip_rate_limit
    async def skipped(self) -> dict[str, str]:
        return {"ok": "skipped"}

    @get("/burst")
    @rate_limit(1, 1, burst=3)
    async def burst(self) -> dict[str, str]:
        return {"ok": "burst"}

    @get("/items/{item}")
    async def item(self, item: str) -> dict[str, str]:
        return {"ok": item}


@controller("plain")
class Plain:
    @get("/route")
    async def route(self) -> dict[str, str]:
        return {"ok": "plain"}


@controller("health")
class Health:
    @get("/live")
    async def live(self) -> dict[str, str]:
        return {"ok": "live"}


@controller("healthz")
class Healthz:
    @get("")
    async def healthz(self) -> dict[str, str]:
        return {"ok": "healthz"}


async def test_headers_count_down_by_one_and_reset_is_a_constant_unix_time(
    build: Build, clock: FakeClock
) -> None:
    async with client(build([Limited])) as http:
        seen = []
        for _ in range(3):
            response = await http.get("/v1/limited")
            assert response.status_code == 200
            seen.append(response.headers)
            clock.advance(1.5)
    assert [h["x-ratelimit-limit"] for h in seen] == ["3", "3", "3"]
    assert [h["x-ratelimit-remaining"] for h in seen] == ["2", "1", "0"]
    # the window opened at the first request and lasts 10 s: its end in Unix seconds
    assert {h["x-ratelimit-reset"] for h in seen} == {str(math.ceil(START + 10))}
    assert seen[0]["ratelimit-policy"] == '"ip";q=3;w=10'
    assert [h["ratelimit"] for h in seen] == ['"ip";r=2;t=10', '"ip";r=1;t=9', '"ip";r=0;t=7']


async def test_over_the_limit_is_a_429_problem_with_an_honest_retry_after(
    build: Build, clock: FakeClock
) -> None:
    async with client(build([Limited])) as http:
        for _ in range(3):
            assert (await http.get("/v1/limited")).status_code == 200
        clock.advance(2.6)
        refused = await http.get("/v1/limited")
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        # 10 - 2.6 = 7.4 s left: 8 whole seconds
        assert refused.headers["retry-after"] == "8"
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert refused.headers["x-ratelimit-reset"] == str(math.ceil(START + 10))
        body = refused.json()
        assert body["status"] == 429
        assert (body["retryAfter"], body["limit"], body["ttl"]) == (8, 3, 10)
        assert body["detail"] == "Too many requests, please try again later"
        assert "203.0.113.7" not in refused.text
        clock.advance(7.3)  # still in the window
        assert (await http.get("/v1/limited")).status_code == 429
        clock.advance(0.7)  # exactly Retry-After after the refusal
        admitted = await http.get("/v1/limited")
        assert admitted.status_code == 200
        assert admitted.headers["x-ratelimit-remaining"] == "2"


async def test_a_route_limit_overrides_its_controller_and_routes_count_apart(
    build: Build,
) -> None:
    async with client(build([Limited])) as http:
        statuses = [(await http.get("/v1/default")).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 200, 429]
        other = await http.get("/v1/other")
        assert other.status_code == 200
        assert other.headers["x-ratelimit-limit"] == "4"
        assert other.headers["x-ratelimit-remaining"] == "3"
        assert (await http.get("/v1/limited")).headers["x-ratelimit-limit"] == "3"


async def test_a_skipped_route_is_never_limited_and_has_no_headers(build: Build) -> None:
    async with client(build([Limited])) as http:
        for _ in range(20):
            response = await http.get("/v1/skipped")
            assert response.status_code == 200
            assert not any("ratelimit" in name for name in response.headers)


async def test_config_defaults_apply_to_undecorated_routes_except_skip_routes(
    build: Build,
) -> None:
    app = build([Plain, Health, Healthz])
    async with client(app) as http:
        plain = await http.get("/plain/route")
        assert plain.headers["x-ratelimit-limit"] == "100"
        assert plain.headers["ratelimit-policy"] == '"ip";q=100;w=60'
        live = await http.get("/health/live")
        assert "x-ratelimit-limit" not in live.headers
        assert (await http.get("/healthz")).headers["x-ratelimit-limit"] == "100"


async def test_apply_to_decorated_leaves_other_routes_alone(build: Build) -> None:
    async with client(build([Plain, Limited], {"apply_to": "decorated"})) as http:
        assert "x-ratelimit-limit" not in (await http.get("/plain/route")).headers
        assert (await http.get("/v1/default")).headers["x-ratelimit-limit"] == "4"


@pytest.mark.parametrize(
    ("family", "present", "absent"),
    [
        ("x-ratelimit", "x-ratelimit-limit", "ratelimit-policy"),
        ("ietf", "ratelimit-policy", "x-ratelimit-limit"),
    ],
)
async def test_the_header_family_is_configurable(
    build: Build, family: str, present: str, absent: str
) -> None:
    async with client(build([Limited], {"headers": family})) as http:
        response = await http.get("/v1/limited")
    assert present in response.headers
    assert absent not in response.headers


async def test_a_burst_passes_at_once_then_tokens_return_at_the_refill_rate(
    build: Build, clock: FakeClock
) -> None:
    async with client(build([Limited])) as http:
        burst = [await http.get("/v1/burst") for _ in range(4)]
        assert [r.status_code for r in burst] == [200, 200, 200, 429]
        assert [r.headers["x-ratelimit-remaining"] for r in burst] == ["2", "1", "0", "0"]
        assert burst[0].headers["x-ratelimit-limit"] == "3"
        # the next token is 1 s away, not the window
        assert burst[3].headers["retry-after"] == "1"
        clock.advance(0.5)
        assert (await http.get("/v1/burst")).status_code == 429
        clock.advance(0.5)
        assert (await http.get("/v1/burst")).status_code == 200
        assert (await http.get("/v1/burst")).status_code == 429
        clock.advance(10)
        refilled = [(await http.get("/v1/burst")).status_code for _ in range(4)]
        assert refilled == [200, 200, 200, 429]


async def test_windows_of_a_second_an_hour_and_a_day(build: Build, clock: FakeClock) -> None:
    for ttl in (1, 60, 3600, 86400):

        @controller(f"w{ttl}")
        class Window:
            @get("")
            @rate_limit(2, ttl)
            async def route(self) -> dict[str, str]:
                return {}

        app = build([Window])
        async with client(app) as http:
            first = await http.get(f"/w{ttl}")
            assert first.headers["x-ratelimit-reset"] == str(math.ceil(clock.now + ttl))
            await http.get(f"/w{ttl}")
            refused = await http.get(f"/w{ttl}")
            assert refused.status_code == 429
            assert int(refused.headers["retry-after"]) == ttl
            clock.advance(ttl)
            assert (await http.get(f"/w{ttl}")).status_code == 200
        await app.dispose()


async def test_each_client_address_has_its_own_bucket(build: Build) -> None:
    app = build([Limited])
    async with client(app, "198.51.100.1") as one, client(app, "198.51.100.2") as two:
        for _ in range(3):
            await one.get("/v1/limited")
        assert (await one.get("/v1/limited")).status_code == 429
        assert (await two.get("/v1/limited")).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-For": "192.0.2.99"},
        {"x-forwarded-for": "10.0.0.1, 192.0.2.99"},
        {"X-Real-IP": "192.0.2.99"},
        {"Forwarded": "for=192.0.2.99"},
    ],
)
async def test_forwarded_headers_from_an_untrusted_peer_do_not_mint_a_bucket(
    build: Build, headers: dict[str, str]
) -> None:
    async with client(build([Limited])) as http:
        for _ in range(3):
            await http.get("/v1/limited")
        assert (await http.get("/v1/limited", headers=headers)).status_code == 429


async def test_spellings_of_one_ipv6_address_share_a_bucket(build: Build) -> None:
    app = build([Limited])
    spellings = ["2001:db8::1", "2001:0db8:0000::0001", "2001:DB8::1"]
    for spelling in spellings:
        async with client(app, spelling) as http:
            assert (await http.get("/v1/limited")).status_code == 200
    async with client(app, "2001:db8:0:0:0:0:0:1") as http:
        assert (await http.get("/v1/limited")).status_code == 429


async def test_ipv6_clients_can_be_grouped_by_network(build: Build) -> None:
    app = build([Limited], {"ipv6_prefix": 64})
    for host in ("2001:db8::1", "2001:db8::2", "2001:db8::3"):
        async with client(app, host) as http:
            await http.get("/v1/limited")
    async with client(app, "2001:db8::ffff") as http:
        assert (await http.get("/v1/limited")).status_code == 429
    async with client(app, "2001:db8:1::1") as http:
        assert (await http.get("/v1/limited")).status_code == 200


async def test_path_variants_do_not_mint_a_bucket(build: Build) -> None:
    async with client(build([Limited])) as http:
        statuses = [
            (await http.get(path)).status_code
            for path in ("/v1/items/a", "/v1/items/b", "/v1/items/c", "/v1/items/d")
        ]
        assert statuses == [200, 200, 200, 200]
        # the route counts, not the concrete path: the fifth item is refused
        assert (await http.get("/v1/items/e")).status_code == 429
        for _ in range(4):
            await http.get("/v1/default")
        # a spelling either is not the route (redirect, 404) or counts in its bucket
        for variant in ("/v1/default/", "/V1/default", "/v1%2Fdefault", "/v1//default"):
            response = await http.get(variant)
            assert response.status_code in (307, 404, 429), variant


async def test_concurrent_requests_never_over_admit(build: Build) -> None:
    app = build([Limited])
    async with client(app) as http:
        responses = await asyncio.gather(*(http.get("/v1/default") for _ in range(60)))
    assert sum(r.status_code == 200 for r in responses) == 4
    assert sum(r.status_code == 429 for r in responses) == 56
