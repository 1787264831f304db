"""Who a request counts against: the client address (THR-STRAT-01), the user
(THR-STRAT-02), the API key (THR-STRAT-03)."""

from __future__ import annotations

import secrets

from apiconform.conformance.checks.throttling.limits import admitted, burst, integer
from apiconform.conformance.context import CheckContext
from apiconform.conformance.manifest import DeclaredApiKey
from apiconform.conformance.registry import CheckSkipped, check, expect


def spoofs() -> list[dict[str, str]]:
    """Forwarding headers naming addresses the suite made up, in the spellings clients
    forge (any case, IPv6, the RFC 7239 form)."""
    v4 = f"198.18.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"
    v6 = f"2001:db8::{secrets.token_hex(2)}"
    return [
        {"X-Forwarded-For": v4},
        {"x-forwarded-for": f"{v6}, {v4}"},
        {"X-Real-IP": v4},
        {"Forwarded": f'for="[{v6}]"'},
        {"True-Client-IP": v4, "X-Client-IP": v4},
    ]


@check("THR-STRAT-01")
def forwarded_headers_do_not_mint_buckets(ctx: CheckContext) -> None:
    """IP-based rate limiting: THEN limits apply per client address, AND X-Forwarded-For
    is used (only) behind a trusted proxy, AND IPv4 and IPv6 are handled. A client that is
    not a proxy and whose limit is spent stays refused whatever forwarding headers it
    sends. Separate counters per address need a second client address or a trusted proxy
    the suite can speak through; that half is not checked here."""
    probe = ctx.probe("throttling.limited")
    client = ctx.client()
    admitted(client, probe)
    for _ in range(2 * probe.limit + 2):
        if client.get(str(probe.path)).status_code == 429:
            break
    else:
        raise CheckSkipped(f"{probe.path} never answered 429 (see THR-HDR-02)")
    answered = {
        ", ".join(headers): client.get(str(probe.path), headers=headers).status_code
        for headers in spoofs()
    }
    minted = {name: status for name, status in answered.items() if status != 429}
    expect(
        not minted,
        "THR-STRAT-01.spoof",
        f"the suite's client is not a proxy and its limit on {probe.path} is spent, yet "
        f"requests forging a client address were admitted: {minted}",
    )
    ctx.unchecked(
        "a counter per client address: the suite has one address and no trusted proxy to "
        "speak through"
    )


def _same_tier_pair(keys: list[DeclaredApiKey]) -> tuple[DeclaredApiKey, DeclaredApiKey]:
    """Two keys on their tier's limit, of one tier when the manifest has such a pair (the
    lowest limit first), else the first two keys."""
    plain = [k for k in keys if not k.override]
    pairs = [(a, b) for i, a in enumerate(plain) for b in plain[i + 1 :] if a.tier == b.tier]
    if pairs:
        return min(pairs, key=lambda pair: pair[0].limit)
    return keys[0], keys[1]


@check("THR-STRAT-03")
def api_keys_count_apart_by_tier(ctx: CheckContext) -> None:
    """API key rate limiting: THEN limits apply per API key (a key that spent its limit
    leaves another key of its tier its own), AND tiers have their limits (each key's
    X-RateLimit-Limit is its tier's), AND a key's own override replaces its tier's limit.
    The keys are the manifest's test keys, sent in its header; messages name their tiers,
    never the keys."""
    probe = ctx.probe("throttling.api_key")
    client = ctx.client()
    path = str(probe.path)
    advertised: dict[str, int | None] = {}
    for key in probe.keys:
        answer = client.get(path, headers={probe.header: key.key})
        if answer.status_code != 429 and not 200 <= answer.status_code < 300:
            raise CheckSkipped(f"{path} answered {answer.status_code} to a {key.tier} key")
        advertised[key.key] = integer(answer, "x-ratelimit-limit")
    if all(value is None for value in advertised.values()):
        raise CheckSkipped(f"{path} sends no X-RateLimit-Limit (see THR-HDR-01)")

    def wrong(keys: list[DeclaredApiKey]) -> list[str]:
        return [
            f"{k.tier}: {advertised[k.key]} not {k.limit}"
            for k in keys
            if advertised[k.key] != k.limit
        ]

    plain = wrong([k for k in probe.keys if not k.override])
    expect(
        not plain, "THR-STRAT-03.tier", f"keys advertise other limits than their tier's: {plain}"
    )
    if len({k.tier for k in probe.keys}) < 2:
        ctx.unchecked("the manifest's test keys are all of one tier")
    overrides = [k for k in probe.keys if k.override]
    if overrides:
        own = wrong(overrides)
        expect(
            not own,
            "THR-STRAT-03.override",
            f"keys with an override advertise their tier's limit or another: {own}",
        )
    else:
        ctx.unchecked("the manifest lists no test key with an override")
    spender, other = _same_tier_pair(probe.keys)
    if burst(client, path, spender.limit + 1, {probe.header: spender.key})[-1] != 429:
        raise CheckSkipped(
            f"{path} never refused a {spender.tier} key after {spender.limit + 1} requests "
            "(see THR-HDR-02)"
        )
    answer = client.get(path, headers={probe.header: other.key})
    expect(
        answer.status_code != 429,
        "THR-STRAT-03.per-key",
        f"once one {spender.tier} key spent its limit, another {other.tier} key was refused "
        "too: the limit is not counted per key",
    )


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@check("THR-STRAT-02")
def users_count_across_their_devices(ctx: CheckContext) -> None:
    """User-based rate limiting: THEN limits apply per user id (two tokens of one user,
    two devices, share one counter; another user's token has its own), AND anonymous and
    authenticated requests have separate limits (X-RateLimit-Limit is the anonymous limit
    without a token, the user limit with one). Messages name users, never tokens."""
    probe = ctx.probe("throttling.user")
    path = str(probe.path)
    owner = next(user for user, tokens in probe.tokens.items() if len(tokens) >= 2)
    other = next(user for user in probe.tokens if user != owner)
    first, second = probe.tokens[owner][:2]
    client = ctx.client()
    anonymous = client.get(path)
    signed = client.get(path, headers=_bearer(first))
    for who, answer in (("an anonymous request", anonymous), (owner, signed)):
        if answer.status_code != 429 and not 200 <= answer.status_code < 300:
            raise CheckSkipped(f"{path} answered {answer.status_code} to {who}")
    limits = [integer(answer, "x-ratelimit-limit") for answer in (anonymous, signed)]
    if limits == [None, None]:
        raise CheckSkipped(f"{path} sends no X-RateLimit-Limit (see THR-HDR-01)")
    expect(
        limits[0] == probe.anonymous_limit,
        "THR-STRAT-02.anonymous",
        f"without a token {path} advertises a limit of {limits[0]}, not the anonymous "
        f"{probe.anonymous_limit}",
    )
    expect(
        limits[1] == probe.limit,
        "THR-STRAT-02.authenticated",
        f"with {owner}'s token {path} advertises a limit of {limits[1]}, not the user "
        f"limit {probe.limit}",
    )
    if burst(client, path, probe.limit + 1, _bearer(first))[-1] != 429:
        raise CheckSkipped(
            f"{path} never refused {owner} after {probe.limit + 1} requests (see THR-HDR-02)"
        )
    device = client.get(path, headers=_bearer(second)).status_code
    expect(
        device == 429,
        "THR-STRAT-02.shared",
        f"once one token of {owner} spent the user's limit, another token of {owner} was "
        f"answered {device}: the limit is counted per token, not per user",
    )
    someone = client.get(path, headers=_bearer(probe.tokens[other][0])).status_code
    expect(
        someone != 429,
        "THR-STRAT-02.per-user",
        f"once {owner} spent the limit, {other} was refused too: the limit is not per user",
    )
