"""Variants of the demo's throttler (THR-HDR-01, THR-HDR-02, THR-DEC-03): broken ones,
each changing one thing about the headers, the refusal or the skipped route, and correct
ones with other windows, limits and paths.

The demo's manifest does not claim enhance-throttler while most of its requirements have
no check yet; these variants claim it, and the requirements without a check are the
skips they expect."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse

from apiconform.conformance.registry import all_checks
from apiconform.reference.demo import app as demo_app
from apiconform.reference.demo import throttle as demo_throttle
from apiconform.reference.kernel import get
from apiconform.reference.throttling import feature, rate_limit, skip_rate_limit
from apiconform.reference.throttling import keys as throttling_keys
from apiconform.reference.throttling import storage as throttling_storage
from apiconform.reference.throttling.decision import Decision, rate_limit_headers
from apiconform.reference.throttling.throttler import Throttler
from apiconform.spec import load_catalog
from tests.selftest.variants.base import Variant, broken, register

THROTTLER = "enhance-throttler"


def _unchecked() -> frozenset[str]:
    """The throttler's requirements no check decides yet (they skip: no check ran)."""
    decided = {rid for c in all_checks() for rid in c.requirement_ids}
    return (
        frozenset(r.id for r in load_catalog() if r.proposal == THROTTLER and r.checkable) - decided
    )


UNCHECKED = _unchecked()
# partly checked against any target the suite reaches from one address: a skip when it holds
PARTLY = frozenset({"THR-STRAT-01"})


def throttler(
    kills: dict[str, str], skips: frozenset[str] = frozenset()
) -> Callable[[Callable[[], None]], Callable[[], None]]:
    unobserved = (UNCHECKED | PARTLY | skips) - set(kills)
    return broken(THROTTLER, kills, skips=unobserved)


Headers = dict[str, str]


def edit_headers(edit: Callable[[Decision, Headers], None]) -> None:
    """Every rate-limit header set goes out as ``edit`` changes it."""

    def headers(decision: Decision, family: Any) -> Headers:
        found = rate_limit_headers(decision, family)
        edit(decision, found)
        return found

    feature.rate_limit_headers = headers  # type: ignore[assignment]


@throttler(
    {
        "THR-HDR-01": "THR-HDR-01.reset-unix",
        "THR-HDR-02": "THR-HDR-02.reset",
        "THR-DEC-01": "THR-DEC-01.ttl",
        "THR-WIN-02": "THR-WIN-02.reset",
        "THR-WIN-03": "THR-WIN-03.reset",
    }
)
def reset_as_delta() -> None:
    """X-RateLimit-Reset in seconds until the window ends, not as a Unix time."""

    def edit(decision: Decision, headers: Headers) -> None:
        headers["X-RateLimit-Reset"] = str(decision.reset_in)

    edit_headers(edit)


@throttler(
    {
        "THR-HDR-01": "THR-HDR-01.limit",
        "THR-DEC-01": "THR-DEC-01.limit",
        "THR-DEC-02": "THR-DEC-02.override",
        "THR-WIN-03": "THR-WIN-03.limit",
        "THR-STRAT-03": "THR-STRAT-03.tier",
        "THR-STRAT-02": "THR-STRAT-02.anonymous",
    }
)
def advertises_twice_its_limit() -> None:
    """X-RateLimit-Limit says twice the limit the route enforces."""

    def edit(decision: Decision, headers: Headers) -> None:
        headers["X-RateLimit-Limit"] = str(decision.limit * 2)

    edit_headers(edit)


@throttler({"THR-HDR-01": "THR-HDR-01.present"})
def no_remaining_when_admitted() -> None:
    """Admitted requests get no X-RateLimit-Remaining."""

    def edit(decision: Decision, headers: Headers) -> None:
        if decision.allowed:
            del headers["X-RateLimit-Remaining"]

    edit_headers(edit)


@throttler({"THR-HDR-01": "THR-HDR-01.counts-down"})
def remaining_never_drops() -> None:
    """X-RateLimit-Remaining stays at the limit while requests are admitted."""

    def edit(decision: Decision, headers: Headers) -> None:
        if decision.allowed:
            headers["X-RateLimit-Remaining"] = str(decision.limit)

    edit_headers(edit)


@throttler({"THR-HDR-01": "THR-HDR-01.reset-constant"})
def reset_slides_with_each_request() -> None:
    """An admitted request's X-RateLimit-Reset is its own time plus the TTL."""

    def edit(decision: Decision, headers: Headers) -> None:
        if decision.allowed:
            headers["X-RateLimit-Reset"] = str(math.ceil(decision.now_ms / 1000 + decision.ttl))

    edit_headers(edit)


@throttler({"THR-HDR-02": "THR-HDR-02.reset"})
def bare_429() -> None:
    """The 429 carries no rate-limit headers."""

    def edit(decision: Decision, headers: Headers) -> None:
        if not decision.allowed:
            headers.clear()

    edit_headers(edit)


@throttler({"THR-HDR-02": "THR-HDR-02.remaining-zero"})
def remaining_not_zero_on_429() -> None:
    """The 429 says one request remains."""

    def edit(decision: Decision, headers: Headers) -> None:
        if not decision.allowed:
            headers["X-RateLimit-Remaining"] = "1"

    edit_headers(edit)


@throttler(
    {
        "THR-HDR-02": "THR-HDR-02.refused",
        "THR-DEC-01": "THR-DEC-01.enforced",
        "THR-BURST-01": "THR-BURST-01.burst",
        "THR-WIN-01": "THR-WIN-01.burst",
        "THR-WIN-02": "THR-WIN-02.limit",
    },
    # nothing refused, no spent bucket to judge: it skips, naming THR-BURST-01
    skips=frozenset({"THR-BURST-02", "THR-STRAT-02", "THR-STRAT-03"}),
)
def never_refuses() -> None:
    """The headers count down to 0, but every request is admitted."""
    original = Throttler.hit

    async def hit(self: Throttler, *args: Any) -> Decision:
        return (await original(self, *args))._replace(allowed=True)

    Throttler.hit = hit  # type: ignore[method-assign]


def _edit_exception(edit: Callable[[dict[str, Any]], None]) -> None:
    """The throttler's exception is raised with its arguments as ``edit`` changes them."""
    original = feature.ThrottlerException

    class Edited(original):  # type: ignore[misc,valid-type]
        def __init__(self, detail: str, **kwargs: Any) -> None:
            edit(kwargs)
            super().__init__(detail, **kwargs)

    feature.ThrottlerException = Edited  # type: ignore[misc]


@throttler({"THR-HDR-02": "THR-HDR-02.retry-after", "THR-BURST-02": "THR-BURST-02.retry-after"})
def no_retry_after() -> None:
    """The 429 has no Retry-After."""
    original = feature.ThrottlerException

    class Bare(original):  # type: ignore[misc,valid-type]
        def __init__(self, detail: str, **kwargs: Any) -> None:
            super().__init__(detail, **kwargs)
            del self.headers["Retry-After"]

    feature.ThrottlerException = Bare  # type: ignore[misc]


@throttler({"THR-HDR-02": "THR-HDR-02.agrees"})
def retry_after_always_one_second() -> None:
    """Retry-After is 1 whatever the window says."""

    def edit(kwargs: dict[str, Any]) -> None:
        kwargs["retry_after"] = 1

    _edit_exception(edit)


@throttler({"THR-HDR-02": "THR-HDR-02.honest", "THR-WIN-01": "THR-WIN-01.resets"})
def window_outlasts_its_headers() -> None:
    """Windows last 3 s longer than Reset and Retry-After say."""
    original = throttling_storage.MemoryStorage.increment_now

    def increment_now(self: Any, key: str, ttl_ms: int, now_ms: int) -> Any:
        hits, end = original(self, key, ttl_ms + 3000, now_ms)
        return throttling_storage.Window(hits, end - 3000)

    throttling_storage.MemoryStorage.increment_now = increment_now  # type: ignore[method-assign]


def _replace_unlimited(route: Callable[..., Any]) -> None:
    demo_throttle.ThrottleController.unlimited = route  # type: ignore[method-assign]


@throttler({"THR-DEC-03": "THR-DEC-03.never-limited"})
def skipped_route_is_limited() -> None:
    """The route marked to skip is limited to 3 per 10 s."""

    @get("/unlimited")
    @rate_limit(3, 10)
    async def unlimited(self: Any) -> dict[str, str]:
        return {"route": "unlimited"}

    _replace_unlimited(unlimited)


@throttler({"THR-DEC-03": "THR-DEC-03.no-headers"})
def skipped_route_sends_headers() -> None:
    """The skipped route is not limited but advertises a limit."""

    @get("/unlimited")
    @skip_rate_limit
    async def unlimited(self: Any) -> JSONResponse:
        return JSONResponse({"route": "unlimited"}, headers={"RateLimit-Policy": "100;w=60"})

    _replace_unlimited(unlimited)


def throttler_legit(
    manifest: Callable[[dict[str, Any]], None] | None = None,
) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register a correct-but-different throttler, checked against the THR checks."""

    def add(fn: Callable[[], None]) -> Callable[[], None]:
        register(
            Variant(
                fn.__name__.replace("_", "-"),
                (THROTTLER,),
                fn,
                legit=True,
                skips=UNCHECKED | PARTLY,
                manifest=manifest,
            )
        )
        return fn

    return add


@throttler_legit()
def clock_aligned_windows() -> None:
    """Windows start at multiples of the TTL on the clock, not at a client's first request."""
    original = throttling_storage.MemoryStorage.increment_now

    def increment_now(self: Any, key: str, ttl_ms: int, now_ms: int) -> Any:
        aligned = (now_ms // ttl_ms + 1) * ttl_ms
        return original(self, f"{key}@{aligned}", aligned - now_ms, now_ms)

    throttling_storage.MemoryStorage.increment_now = increment_now  # type: ignore[method-assign]


def _quota_paths(data: dict[str, Any]) -> None:
    data.setdefault("throttling", {}).update(
        {
            "limited": {"path": "/v1/quota/tight", "limit": 3, "ttl": 5},
            "unlimited": "/v1/quota/free",
        }
    )


@throttler_legit(manifest=_quota_paths)
def other_limits_and_paths() -> None:
    """The limited route is /v1/quota/tight at 3 per 5 s, the skipped one /v1/quota/free;
    the manifest says so."""

    @get("/quota/tight")
    @rate_limit(3, 5)
    async def tight(self: Any) -> dict[str, str]:
        return {"route": "tight"}

    @get("/quota/free")
    @skip_rate_limit
    async def free(self: Any) -> dict[str, str]:
        return {"route": "free"}

    demo_throttle.ThrottleController.tight = tight  # type: ignore[attr-defined]
    demo_throttle.ThrottleController.free = free  # type: ignore[attr-defined]


@throttler(
    {
        "THR-HDR-01": "THR-HDR-01.limit",
        "THR-HDR-02": "THR-HDR-02.refused",
        "THR-DEC-02": "THR-DEC-02.override",
    }
)
def route_override_ignored() -> None:
    """The limited route's own limit is ignored: it gets its controller's."""

    @get("/limited")
    async def limited(self: Any) -> dict[str, str]:
        return {"route": "limited"}

    demo_throttle.ThrottleController.limited = limited  # type: ignore[method-assign]


@throttler({"THR-DEC-01": "THR-DEC-01.limit", "THR-DEC-02": "THR-DEC-02.others-keep"})
def route_override_leaks_to_the_controller() -> None:
    """The controller's other routes get the overriding route's 5 per 10 s."""
    rate_limit(5, 10)(demo_throttle.ThrottleController)


@throttler({"THR-DEC-01": "THR-DEC-01.enforced"})
def controller_route_never_refuses() -> None:
    """The controller's default route counts down but admits every request."""
    original = Throttler.hit

    async def hit(self: Throttler, policy: Any, subject: Any) -> Decision:
        decision = await original(self, policy, subject)
        if policy.name == "ThrottleController.default":
            return decision._replace(allowed=True)
        return decision

    Throttler.hit = hit  # type: ignore[method-assign]


@throttler({"THR-DEC-01": "THR-DEC-01.ttl", "THR-WIN-02": "THR-WIN-02.reset"})
def controller_reset_a_minute_late() -> None:
    """Routes on the controller's 60 s limit say their window ends a minute later."""

    def edit(decision: Decision, headers: Headers) -> None:
        if decision.ttl == 60:
            headers["X-RateLimit-Reset"] = str(decision.reset_at + 60)

    edit_headers(edit)


def _replace_burst(limit: int, ttl: float, burst: int | None) -> None:
    @get("/burst")
    @rate_limit(limit, ttl, burst=burst)
    async def burst_route(self: Any) -> dict[str, str]:
        return {"route": "burst"}

    burst_route.__name__ = "burst"
    demo_throttle.ThrottleController.burst = burst_route  # type: ignore[method-assign]


@throttler({"THR-BURST-01": "THR-BURST-01.burst"})
def burst_capacity_halved() -> None:
    """The bucket holds 5 tokens, not the 10 declared."""
    _replace_burst(1, 1, 5)


@throttler({"THR-BURST-01": "THR-BURST-01.refill", "THR-BURST-02": "THR-BURST-02.rate"})
def bucket_refills_twice_as_fast() -> None:
    """Tokens come back at 2 a second, not 1."""
    _replace_burst(2, 1, 10)


@throttler({"THR-BURST-01": "THR-BURST-01.refill", "THR-BURST-02": "THR-BURST-02.retry-after"})
def burst_is_a_fixed_window() -> None:
    """The burst route is a fixed window of 10 per 10 s: nothing comes back in between."""
    _replace_burst(10, 10, None)


@throttler({"THR-BURST-02": "THR-BURST-02.retry-after"})
def bucket_retry_after_is_the_window() -> None:
    """A spent bucket says to come back when it is full, not when the next token is."""

    def edit(kwargs: dict[str, Any]) -> None:
        if kwargs["ttl"] == 1:
            kwargs["retry_after"] = 10

    _edit_exception(edit)


@throttler({"THR-BURST-01": "THR-BURST-01.refill", "THR-BURST-02": "THR-BURST-02.honest"})
def bucket_retry_after_too_short() -> None:
    """Tokens come back every 2 s, and a spent bucket says to retry after 1."""
    _replace_burst(1, 2, 10)

    def edit(kwargs: dict[str, Any]) -> None:
        if kwargs["ttl"] == 2:
            kwargs["retry_after"] = 1

    _edit_exception(edit)


@throttler({"THR-STRAT-01": "THR-STRAT-01.spoof"})
def trusts_any_forwarded_for() -> None:
    """The IP strategy keys on X-Forwarded-For whoever sends it."""
    original = throttling_keys.ip_key

    def ip_key(request: Any, ipv6_prefix: int = 128) -> str:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return f"ip:{forwarded.split(',')[-1].strip()}"
        return original(request, ipv6_prefix)

    throttling_keys.ip_key = ip_key  # type: ignore[assignment]


def _replace_second(limit: int, ttl: float) -> None:
    @get("/second")
    @rate_limit(limit, ttl)
    async def second(self: Any) -> dict[str, str]:
        return {"route": "second"}

    demo_throttle.ThrottleController.second = second  # type: ignore[method-assign]


@throttler({"THR-WIN-01": "THR-WIN-01.burst"})
def per_second_limit_too_low() -> None:
    """The per-second route admits 2 a second, not the 3 declared."""
    _replace_second(2, 1)


@throttler({"THR-WIN-01": "THR-WIN-01.resets"})
def per_second_window_lasts_three() -> None:
    """The "per-second" route's window lasts 3 s."""
    _replace_second(3, 3)


def _on_route(name: str, edit: Callable[[Throttler, Any, Any], tuple[Any, Any]]) -> None:
    """The route ``name``'s requests are counted with the policy and subject ``edit``
    returns."""
    original = Throttler.hit

    async def hit(self: Throttler, policy: Any, subject: Any) -> Decision:
        if policy.name == name:
            policy, subject = edit(self, policy, subject)
        return await original(self, policy, subject)

    Throttler.hit = hit  # type: ignore[method-assign]


@throttler({"THR-WIN-02": "THR-WIN-02.minute-long"})
def minute_route_counted_per_second() -> None:
    """The per-minute route's limit applies to each second."""
    _on_route("ThrottleController.minute", lambda t, p, s: (dataclasses.replace(p, ttl=1.0), s))


@throttler({"THR-WIN-02": "THR-WIN-02.whole-minute"})
def minute_count_forgotten_each_second() -> None:
    """The per-minute route says its window is a minute, but counts afresh every second."""

    def per_second(throttler: Throttler, policy: Any, subject: Any) -> tuple[Any, Any]:
        return policy, dataclasses.replace(subject, key=f"{subject.key}:{int(throttler.clock())}")

    _on_route("ThrottleController.minute", per_second)


@throttler({"THR-WIN-03": "THR-WIN-03.reset"})
def hourly_quota_renewed_daily() -> None:
    """The hourly route's quota lasts a day."""
    _on_route("ThrottleController.hourly", lambda t, p, s: (dataclasses.replace(p, ttl=86400.0), s))


def _edit_key_subjects(edit: Callable[[Any, Any, Any], Any]) -> None:
    """A configured API key's subject is ``edit(keys, configured key, subject)``."""
    original = throttling_keys.Keys._api_key

    def api_key(self: throttling_keys.Keys, route: str, request: Any) -> Any:
        subject = original(self, route, request)
        given = request.headers.get(self.config.api_key_header, "")
        found = self.api_keys.get(throttling_keys.digest(given)) if given else None
        return subject if found is None else edit(self, found, subject)

    throttling_keys.Keys._api_key = api_key  # type: ignore[method-assign]


@throttler({"THR-STRAT-03": "THR-STRAT-03.per-key"})
def keys_of_a_tier_share_a_counter() -> None:
    """API keys are counted by their tier: one key's spent limit refuses its tier's others."""
    _edit_key_subjects(
        lambda keys, found, subject: dataclasses.replace(
            subject, key=f"{subject.key.split('|')[0]}|tier:{found.tier}"
        )
    )


@throttler({"THR-STRAT-03": "THR-STRAT-03.tier"})
def every_key_on_the_free_tier() -> None:
    """Tiers are ignored: keys without an override get the free tier's limit."""
    _edit_key_subjects(
        lambda keys, found, subject: dataclasses.replace(
            subject, limit=found.limit or keys.config.tiers["free"].limit
        )
    )


@throttler({"THR-STRAT-03": "THR-STRAT-03.override"})
def key_overrides_ignored() -> None:
    """A key's own limit is ignored: it gets its tier's."""
    _edit_key_subjects(
        lambda keys, found, subject: dataclasses.replace(
            subject, limit=keys.config.tiers[found.tier].limit
        )
    )


def _client_keys(data: dict[str, Any]) -> None:
    data.setdefault("throttling", {})["api_key"] = {
        "path": "/v1/keyed",
        "header": "X-Client-Key",
        "keys": [
            {"key": "basic-one", "tier": "basic", "limit": 3},
            {"key": "pro-one", "tier": "pro", "limit": 30},
            {"key": "pro-two", "tier": "pro", "limit": 30},
            {"key": "pro-raised", "tier": "pro", "limit": 40, "override": True},
        ],
    }


@throttler_legit(manifest=_client_keys)
def other_api_key_header_and_tiers() -> None:
    """API keys come in X-Client-Key, on tiers "basic" (3 a minute) and "pro" (30), with
    one key raised to 40; only one key of the basic tier, so the per-key half uses two of
    the pro tier."""

    def throttling() -> Any:
        return feature.Throttling(
            apply_to="decorated",
            api_key_header="X-Client-Key",
            tiers={"basic": {"limit": 3, "ttl": 60}, "pro": {"limit": 30, "ttl": 60}},
            anonymous_tier="basic",
            api_keys={
                "basic-one": {"tier": "basic"},
                "pro-one": {"tier": "pro"},
                "pro-two": {"tier": "pro"},
                "pro-raised": {"tier": "pro", "limit": 40},
            },
            jwt_secret=demo_throttle.DEMO_JWT_SECRET,
        )

    demo_app.demo_throttling = throttling


def _edit_user_subjects(edit: Callable[[Any, Any, Any], Any]) -> None:
    """A request's subject under the user strategy is ``edit(keys, request, subject)``."""
    original = throttling_keys.Keys.subject

    def subject(self: throttling_keys.Keys, policy: Any, request: Any) -> Any:
        found = original(self, policy, request)
        return edit(self, request, found) if policy.strategy == "user" else found

    throttling_keys.Keys.subject = subject  # type: ignore[method-assign]


@throttler({"THR-STRAT-02": "THR-STRAT-02.shared"})
def users_counted_per_token() -> None:
    """Each bearer token has its own counter: a user's two devices are two users."""

    def per_token(keys: Any, request: Any, subject: Any) -> Any:
        if "|user:" not in subject.key:
            return subject
        token = request.headers.get("authorization", "")
        return dataclasses.replace(subject, key=f"{subject.key}|{throttling_keys.digest(token)}")

    _edit_user_subjects(per_token)


@throttler({"THR-STRAT-02": "THR-STRAT-02.per-user"})
def signed_in_users_share_one_counter() -> None:
    """Every signed-in user counts against one counter for the route."""

    def shared(keys: Any, request: Any, subject: Any) -> Any:
        if "|user:" not in subject.key:
            return subject
        return dataclasses.replace(subject, key=subject.key.split("|user:")[0] + "|users")

    _edit_user_subjects(shared)


@throttler({"THR-STRAT-02": "THR-STRAT-02.anonymous"})
def anonymous_requests_get_the_user_limit() -> None:
    """Requests without a token are limited like signed-in users."""

    def user_limit(keys: Any, request: Any, subject: Any) -> Any:
        return dataclasses.replace(subject, limit=None, ttl=None)

    _edit_user_subjects(user_limit)


@throttler({"THR-STRAT-02": "THR-STRAT-02.authenticated"})
def tokens_ignored_by_the_user_strategy() -> None:
    """The user strategy never reads the token: everyone is anonymous, by address."""
    original = throttling_keys.Keys.__init__

    def init(self: throttling_keys.Keys, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.users = None

    throttling_keys.Keys.__init__ = init  # type: ignore[method-assign]
