"""id_token validation: every check refuses a token that fails it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from apiconform.reference.auth.idtoken import InvalidIdToken, validate_id_token

NOW = 1_800_000_000
ISSUER = "https://issuer.example"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks(key: rsa.RSAPrivateKey = KEY, kid: str = "k1") -> dict[str, Any]:
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**jwk, "kid": kid, "alg": "RS256", "use": "sig"}]}


def token(key: rsa.RSAPrivateKey = KEY, kid: str = "k1", alg: str = "RS256", **claims: Any) -> str:
    body = {
        "iss": ISSUER,
        "aud": "client",
        "sub": "42",
        "iat": NOW,
        "exp": NOW + 3600,
        "nonce": "n-1",
        **claims,
    }
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid})


def validate(raw: Any, keys: Any = None, **options: Any) -> dict[str, Any]:
    settings = {"issuer": ISSUER, "audience": "client", "nonce": "n-1", **options}
    return validate_id_token(raw, jwks() if keys is None else keys, **settings)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_valid_token_gives_its_claims() -> None:
    assert validate(token())["sub"] == "42"


@pytest.mark.parametrize(
    ("raw", "keys", "options", "reason"),
    [
        (token(iss="https://evil.example"), None, {}, "issuer"),
        (token(aud="someone-else"), None, {}, "audience"),
        (token(nonce="replayed"), None, {}, "nonce"),
        (token(nonce=None), None, {}, "nonce"),
        (token(exp=NOW - 3600, iat=NOW - 7200), None, {}, "expired"),
        (token(iat=NOW + 3600, exp=NOW + 7200), None, {}, "Immature"),
        (token(OTHER), None, {}, "invalid"),
        (token(kid="unknown"), None, {}, "does not publish"),
        (token(exp=None), None, {}, "invalid"),
        (jwt.encode({"sub": "42"}, "s" * 32, algorithm="HS256"), None, {}, "algorithm"),
        ("not-a-jwt", None, {}, "unreadable"),
        (None, None, {}, "no id_token"),
        (token(), {"keys": "nope"}, {}, "unreadable"),
    ],
)
def test_a_token_failing_a_check_is_refused(
    raw: Any, keys: Any, options: dict[str, Any], reason: str
) -> None:
    with pytest.raises(InvalidIdToken, match=reason):
        validate(raw, keys, **options)


def test_a_multi_tenant_issuer_follows_the_tokens_tenant() -> None:
    template = "https://login.example/{tenantid}/v2.0"
    raw = token(iss="https://login.example/t-1/v2.0", tid="t-1")
    assert validate(raw, issuer=template)["tid"] == "t-1"
    with pytest.raises(InvalidIdToken, match="issuer"):
        validate(token(iss="https://login.example/t-2/v2.0", tid="t-1"), issuer=template)


def test_a_login_without_nonce_skips_the_nonce_check() -> None:
    assert validate(token(nonce=None), nonce=None)["sub"] == "42"
