"""Session JWTs: claims, and the same 401 for every bad token."""

from __future__ import annotations

import base64
import json

import jwt
import pytest

from apiconform.reference.auth.sessions import InvalidSession
from tests.reference.auth.conftest import AuthApp


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_the_session_jwt_carries_sub_iat_exp_iss_aud(auth_app: AuthApp) -> None:
    token = await auth_app.token("google")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert claims["iss"] == "apiconform"
    assert claims["aud"] == "apiconform"
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["iat"] == int(auth_app.clock())
    user = (await auth_app.me(token)).json()
    assert claims["sub"] == str(user["id"])


async def bad_tokens(auth_app: AuthApp) -> dict[str, str]:
    token = await auth_app.token("github")
    header, _payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = {**claims, "sub": "999"}
    return {
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(forged)}.",
        "tampered": f"{header}.{b64(forged)}.{signature}",
        "other key": jwt.encode(claims, "k" * 48, algorithm="HS256"),
        "garbage": "not.a.jwt",
        "unknown user": auth_app.service.sessions.issue(424242),
    }


async def test_forged_expired_and_alg_none_tokens_get_the_same_401(auth_app: AuthApp) -> None:
    tokens = await bad_tokens(auth_app)
    good = await auth_app.token("github")
    auth_app.clock.advance(3601)
    tokens["expired"] = good
    bodies = set()
    for name, token in tokens.items():
        response = await auth_app.me(token)
        assert response.status_code == 401, name
        body = response.json()
        bodies.add((body["type"], body["detail"]))
    assert len(bodies) == 1  # nothing tells whether the user exists
    assert (await auth_app.client.get("/auth/me")).status_code == 401


def test_verify_refuses_a_non_numeric_subject(auth_app: AuthApp) -> None:
    sessions = auth_app.service.sessions
    now = int(auth_app.clock())
    claims = {"sub": "admin", "iat": now, "exp": now + 60, "iss": "apiconform", "aud": "apiconform"}
    with pytest.raises(InvalidSession):
        sessions.verify(jwt.encode(claims, sessions.secret, algorithm="HS256"))
    claims.update(sub="1", iat=now + 3600)
    with pytest.raises(InvalidSession):
        sessions.verify(jwt.encode(claims, sessions.secret, algorithm="HS256"))
