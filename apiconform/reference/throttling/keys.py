"""Key strategies: who a request counts against.

``ip`` reads the client address the kernel resolved (forwarded headers count only from
trusted proxies, see :mod:`apiconform.reference.kernel.net`); ``api_key`` the hashed
``X-API-Key`` of a configured key, with its tier's limit; ``user`` the subject of a
verified JWT, sharing one counter across the user's devices (anonymous requests fall back
to the client address with the anonymous limit); ``global`` one counter for everyone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from ipaddress import IPv6Address, IPv6Network
from typing import Protocol

import jwt
from starlette.requests import Request

from apiconform.reference.kernel.net import client_address, parse_address
from apiconform.reference.throttling.config import ThrottlingConfig
from apiconform.reference.throttling.policy import Policy


@dataclass(frozen=True)
class Subject:
    """Whom a request counts against, and the limit that replaces the policy's for them
    (an API key's tier, the anonymous limit), if any."""

    key: str
    limit: int | None = None
    ttl: float | None = None


class UserResolver(Protocol):
    def __call__(self, request: Request) -> str | None: ...


def digest(value: str) -> str:
    """A secret (an API key) as it may appear in storage keys and logs."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def ip_key(request: Request, ipv6_prefix: int = 128) -> str:
    raw = client_address(request.scope)
    address = parse_address(raw) if raw else None
    if address is None:
        return f"ip:{raw or 'unknown'}"
    if isinstance(address, IPv6Address) and ipv6_prefix < 128:
        return f"ip:{IPv6Network((address, ipv6_prefix), strict=False)}"
    return f"ip:{address}"


class JwtUsers:
    """The user of a request: the ``sub`` of an HS256 bearer token signed with ``secret``
    (None for no token, a bad one, or an expired one)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def __call__(self, request: Request) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token or len(token) > 4096:
            return None
        try:
            claims = jwt.decode(token.strip(), self.secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None
        subject = claims.get("sub")
        return str(subject)[:200] if subject not in (None, "") else None


class Keys:
    """Turns a request into the :class:`Subject` of a policy's strategy."""

    def __init__(self, config: ThrottlingConfig, users: UserResolver | None = None) -> None:
        self.config = config
        secret = config.jwt_secret.get_secret_value() if config.jwt_secret else None
        self.users = users or (JwtUsers(secret) if secret else None)
        # looked up by digest: the secrets themselves are not kept in the lookup table
        self.api_keys = {digest(k): v for k, v in config.api_keys.items()}

    def subject(self, policy: Policy, request: Request) -> Subject:
        if policy.key_generator is not None:
            return Subject(str(policy.key_generator(request)))
        route = policy.route
        if policy.strategy == "global":
            return Subject(f"{route}|global")
        if policy.strategy == "api_key":
            return self._api_key(route, request)
        if policy.strategy == "user":
            user = self.users(request) if self.users is not None else None
            if user is not None:
                return Subject(f"{route}|user:{digest(user)}")
            anonymous = ip_key(request, self.config.ipv6_prefix)
            return Subject(
                f"{route}|anon:{anonymous}", self.config.anonymous_limit, self.config.anonymous_ttl
            )
        return Subject(f"{route}|{ip_key(request, self.config.ipv6_prefix)}")

    def _api_key(self, route: str, request: Request) -> Subject:
        given = request.headers.get(self.config.api_key_header, "")
        hashed = digest(given) if given else ""
        found = self.api_keys.get(hashed) if hashed else None
        if found is None:
            address = ip_key(request, self.config.ipv6_prefix)
            anonymous = self.config.anonymous_tier
            if anonymous is None:
                return Subject(f"{route}|nokey:{address}")
            tier = self.config.tiers[anonymous]
            return Subject(f"{route}|nokey:{address}", tier.limit, tier.ttl)
        tier = self.config.tiers[found.tier]
        return Subject(f"{route}|key:{hashed}", found.limit or tier.limit, found.ttl or tier.ttl)
