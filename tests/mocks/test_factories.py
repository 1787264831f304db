"""Data, JWT and request/response factories."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from apiconform.mocks.factories import (
    DataFactory,
    SentResponse,
    StubApp,
    asgi_triple,
    call_asgi,
    claims_for,
    make_receive,
    make_request,
    make_scope,
    render_response,
    sign_hs256,
)
from apiconform.mocks.factories.asgi import RequestFactory
from apiconform.mocks.oauth_server import MockOAuthApp, build_config
from tests.mocks.harness import harness_for


def test_users_are_numbered_and_overridable() -> None:
    factory = DataFactory(now=datetime(2024, 1, 1, tzinfo=UTC))
    first, second = factory.user(), factory.user(name="Named", password_hash="x")
    assert (first.id, first.email) == (1, "user1@example.com")
    assert (second.id, second.name, second.password_hash) == (2, "Named", "x")
    assert first.created_at == datetime(2024, 1, 1, tzinfo=UTC)


def test_token_sets_look_like_provider_token_responses() -> None:
    factory = DataFactory(now=datetime(2024, 1, 1, tzinfo=UTC))
    tokens = factory.token_set("github", scope="user:email")
    assert tokens.access_token.startswith("gho_")
    assert tokens.expires_at == int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()) + 3600
    body = tokens.as_dict()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "user:email"
    assert "id_token" not in body
    assert factory.token_set(expires_in=None).expires_at is None


def test_linked_accounts_carry_the_profile_the_provider_returns() -> None:
    factory = DataFactory()
    user = factory.user(name="Grace Hopper")
    account = factory.linked_account(user, "github")
    assert account.user_id == user.id
    assert account.provider_user_id.isdigit()
    assert account.profile["name"] == "Grace Hopper"
    assert account.profile["url"].startswith("https://api.github.com/users/")
    assert factory.linked_account(provider="google", scopes=()).scopes == ()


@pytest.mark.parametrize(
    ("provider", "endpoint", "params"),
    [
        ("google", "userinfo", {}),
        ("microsoft", "me", {}),
        ("facebook", "me", {"fields": "id,name,first_name,last_name,email,picture"}),
    ],
)
async def test_profiles_match_what_the_mock_serves(
    provider: str, endpoint: str, params: dict[str, str]
) -> None:
    factory = DataFactory()
    user = factory.oauth_user(provider)  # type: ignore[arg-type]
    async with harness_for(auto_approve=True, users={provider: [user]}) as oauth:
        tokens = await oauth.tokens(provider)
        served = (await oauth.profile(provider, tokens["access_token"], **params)).json()
    assert factory.profile(provider, user) == served  # type: ignore[arg-type]


async def test_github_profile_matches_the_real_host_shape() -> None:
    factory = DataFactory()
    user = factory.oauth_user("github", username="octo")
    profile = factory.profile("github", user)
    assert profile["login"] == "octo"
    assert profile["html_url"] == "https://github.com/octo"


def test_hs256_and_rs256_tokens_verify_and_expire() -> None:
    factory = DataFactory()
    token = factory.jwt_hs256("alice", issuer="me", audience="you", role="admin")
    claims = jwt.decode(token, factory.secret, algorithms=["HS256"], audience="you", issuer="me")
    assert (claims["sub"], claims["role"], claims["exp"] - claims["iat"]) == (
        "alice",
        "admin",
        3600,
    )
    rs = factory.jwt_rs256("bob", lifetime=None)
    key = jwt.PyJWKSet.from_dict(factory.jwks()).keys[0].key
    assert "exp" not in jwt.decode(rs, key, algorithms=["RS256"])
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(factory.expired_jwt(), factory.secret, algorithms=["HS256"])
    forged = sign_hs256(claims_for("x"), "another-secret-0123456789abcdef-0123")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, factory.secret, algorithms=["HS256"])


def test_oauth_users_are_valid_mock_users() -> None:
    factory = DataFactory()
    users = {p: factory.oauth_user(p) for p in ("google", "github", "facebook", "microsoft")}  # type: ignore[misc]
    config = build_config(users={p: [u] for p, u in users.items()})
    assert MockOAuthApp(config).users.list("github")[0].id == users["github"].id


async def test_make_request_builds_a_readable_request() -> None:
    request = make_request(
        "post", "/items", query={"a": "1"}, json={"x": 1}, headers={"X-Trace": "t"}, client=None
    )
    assert request.method == "POST"
    assert request.query_params["a"] == "1"
    assert request.headers["x-trace"] == "t"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["host"] == "testserver"
    assert await request.json() == {"x": 1}
    assert request.client is None
    form = make_request("POST", "/f", form={"a": "b"}, server=("api.test", 8443))
    assert await form.body() == b"a=b"
    assert form.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form.url.netloc == "api.test:8443"
    raw = make_request(body=b"raw", headers=[("content-type", "text/plain")])
    assert await raw.body() == b"raw"


async def test_receive_delivers_chunks_then_disconnect() -> None:
    receive = make_receive(b"abcdef", chunk_size=4)
    assert await receive() == {"type": "http.request", "body": b"abcd", "more_body": True}
    assert await receive() == {"type": "http.request", "body": b"ef", "more_body": False}
    assert await receive() == {"type": "http.disconnect"}
    empty = make_receive()
    assert (await empty())["body"] == b""


class AddHeader:
    """A middleware of the house style, to show the triple in use."""

    def __init__(self, app: StubApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-added", b"1")]  # type: ignore[misc]
            await send(message)

        await self.app(scope, receive, sending)


async def test_triple_and_stub_app_unit_test_a_middleware() -> None:
    stub = StubApp(status=201, json={"ok": True}, headers={"x-stub": "s"})
    scope, receive, send = asgi_triple("PUT", "/thing", body=b"payload")
    await AddHeader(stub)(scope, receive, send)
    assert send.status == 201
    assert send.headers["x-added"] == "1"
    assert send.headers["x-stub"] == "s"
    assert send.json() == {"ok": True}
    assert send.started
    assert send.complete
    assert stub.calls[0]["path"] == "/thing"
    assert stub.bodies == [b"payload"]


async def test_stub_app_raises_and_passes_other_scopes() -> None:
    failing = StubApp(raises=RuntimeError("boom"))
    with pytest.raises(RuntimeError, match="boom"):
        await call_asgi(failing, "GET", "/")
    lifespan = StubApp()
    await AddHeader(lifespan)({"type": "lifespan"}, make_receive(), SentResponse())
    assert lifespan.calls == [{"type": "lifespan"}]


async def test_render_response_shows_what_a_handler_returned() -> None:
    sent = await render_response(JSONResponse({"detail": "nope"}, status_code=418))
    assert (sent.status, sent.json(), sent.text) == (418, {"detail": "nope"}, '{"detail":"nope"}')
    empty = SentResponse()
    assert (empty.status, empty.started, empty.complete, empty.body) == (None, False, False, b"")
    assert len(empty.headers) == 0


def test_scope_defaults_and_request_factory_fixture_shape() -> None:
    scope = make_scope(headers={"Host": "h.test"}, scheme="https", state={"k": 1})
    assert [v for k, v in scope["headers"] if k == b"host"] == [b"h.test"]
    assert scope["state"] == {"k": 1}
    factory = RequestFactory()
    assert factory.request().method == "GET"
    assert isinstance(factory.stub(), StubApp)


async def test_call_asgi_returns_what_the_app_sent() -> None:
    sent = await call_asgi(StubApp(body=b"hello"), "POST", "/echo", body=b"x")
    assert (sent.status, sent.text, sent.headers["content-type"]) == (
        200,
        "hello",
        "text/plain; charset=utf-8",
    )
