"""Users: found by provider identity, synced, never merged by email behind their back;
local accounts; linking and unlinking."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.reference.auth.conftest import JSON, AuthApp

ADA = "ada.lovelace@example.com"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", **JSON}


async def me(auth_app: AuthApp, token: str) -> dict[str, Any]:
    response = await auth_app.me(token)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def register(auth_app: AuthApp, email: str, password: str = "correct horse") -> str:
    response = await auth_app.client.post(
        "/auth/register", json={"email": email, "password": password, "name": "Local"}
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["access_token"]
    return token


async def test_a_returning_user_is_found_by_provider_id_and_their_login_updated(
    auth_app: AuthApp,
) -> None:
    first = await me(auth_app, await auth_app.token("google"))
    auth_app.clock.advance(60)
    # the email changed at the provider: still the same user, matched by provider id
    auth_app.mock.users.put("google", "104857600000000000001", {"email": "ada@new.example"})
    auth_app.mock.faults.set("google", changed_profile=True)
    second = await me(auth_app, await auth_app.token("google"))
    assert second["id"] == first["id"]
    assert second["last_login_at"] > first["last_login_at"]
    assert second["name"] == "Ada Lovelace (changed)"
    assert second["avatar_url"].endswith("-changed.png")
    assert second["email"] == "ada@new.example"
    assert await (await auth_app.accounts()).count_users() == 1


async def test_an_unverified_provider_email_is_stored_as_unverified(auth_app: AuthApp) -> None:
    auth_app.mock.faults.set("github", unverified_email=True)
    user = await me(auth_app, await auth_app.token("github"))
    assert user["email"] == "grace.hopper@example.com"
    assert user["email_verified"] is False


async def test_a_github_user_without_public_email_gets_the_primary_one(
    auth_app: AuthApp,
) -> None:
    auth_app.mock.users.put("github", "5830001", {"email_public": False})
    user = await me(auth_app, await auth_app.token("github"))
    assert (user["email"], user["email_verified"]) == ("grace.hopper@example.com", True)


async def test_a_provider_without_email_creates_a_user_without_one(auth_app: AuthApp) -> None:
    auth_app.mock.faults.set("facebook", missing_email=True)
    user = await me(auth_app, await auth_app.token("facebook"))
    assert (user["email"], user["email_verified"]) == (None, False)


async def test_an_oauth_email_of_a_local_account_is_not_merged_silently(
    auth_app: AuthApp,
) -> None:
    await register(auth_app, ADA.upper())  # case-insensitive
    response = await auth_app.login("google")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "link" in response.json()["detail"]
    assert await (await auth_app.accounts()).count_users() == 1


async def test_a_local_account_links_google_and_signs_in_either_way(auth_app: AuthApp) -> None:
    token = await register(auth_app, ADA)
    local = await me(auth_app, token)
    start = await auth_app.client.post("/auth/google/link", headers=bearer(token))
    assert start.status_code == 302
    callback = await auth_app.mock.aauthorize(start.headers["location"])
    linked = await auth_app.client.get(callback, headers=JSON)
    assert linked.json() == {"linked": "google", "user_id": local["id"]}
    via_google = await me(auth_app, await auth_app.token("google"))
    assert via_google["id"] == local["id"]
    assert via_google["accounts"] == [
        {"provider": "google", "provider_id": "104857600000000000001"}
    ]
    password = await auth_app.client.post(
        "/auth/login", json={"email": ADA, "password": "correct horse"}
    )
    assert password.status_code == 200
    assert (await me(auth_app, password.json()["access_token"]))["id"] == local["id"]


async def test_linking_an_account_whose_email_is_another_users_is_refused(
    auth_app: AuthApp,
) -> None:
    await register(auth_app, ADA)
    token = await register(auth_app, "someone.else@example.com")
    start = await auth_app.client.post("/auth/google/link", headers=bearer(token))
    callback = await auth_app.mock.aauthorize(start.headers["location"])
    response = await auth_app.client.get(callback, headers=JSON)
    assert response.status_code == 409
    assert (await me(auth_app, token))["accounts"] == []


async def test_linking_a_provider_account_of_another_user_is_refused(auth_app: AuthApp) -> None:
    await auth_app.token("github")  # Grace signs up with GitHub
    token = await register(auth_app, "other@example.com")
    start = await auth_app.client.post("/auth/github/link", headers=bearer(token))
    callback = await auth_app.mock.aauthorize(start.headers["location"])
    response = await auth_app.client.get(callback, headers=JSON)
    assert response.status_code == 409
    assert (await me(auth_app, token))["accounts"] == []


async def test_linking_with_an_unused_email_proceeds_and_relinking_is_harmless(
    auth_app: AuthApp,
) -> None:
    token = await register(auth_app, "local@example.com")
    for _ in range(2):
        start = await auth_app.client.post("/auth/facebook/link", headers=bearer(token))
        callback = await auth_app.mock.aauthorize(start.headers["location"])
        assert (await auth_app.client.get(callback, headers=JSON)).status_code == 200
    assert len((await me(auth_app, token))["accounts"]) == 1


async def test_linking_needs_a_session(auth_app: AuthApp) -> None:
    response = await auth_app.client.post("/auth/google/link")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_unlinking_refuses_to_remove_the_last_sign_in_method(auth_app: AuthApp) -> None:
    token = await auth_app.token("microsoft")
    response = await auth_app.client.delete("/auth/microsoft/link", headers=bearer(token))
    assert response.status_code == 409
    assert len((await me(auth_app, token))["accounts"]) == 1
    missing = await auth_app.client.delete("/auth/google/link", headers=bearer(token))
    assert missing.status_code == 404


async def test_unlinking_works_when_a_password_remains(auth_app: AuthApp) -> None:
    token = await register(auth_app, "local@example.com")
    start = await auth_app.client.post("/auth/github/link", headers=bearer(token))
    callback = await auth_app.mock.aauthorize(start.headers["location"])
    await auth_app.client.get(callback, headers=JSON)
    response = await auth_app.client.delete("/auth/github/link", headers=bearer(token))
    assert response.status_code == 204
    assert (await me(auth_app, token))["accounts"] == []


async def test_local_accounts_refuse_duplicates_and_wrong_passwords(auth_app: AuthApp) -> None:
    await register(auth_app, "a@example.com")
    again = await auth_app.client.post(
        "/auth/register", json={"email": "A@example.com", "password": "another one"}
    )
    assert again.status_code == 409
    for email, password in (("a@example.com", "wrong password"), ("nobody@x.org", "whatever1")):
        response = await auth_app.client.post(
            "/auth/login", json={"email": email, "password": password}
        )
        assert response.status_code == 401
        assert response.json()["detail"] == "email or password is wrong"


async def test_an_oauth_only_user_cannot_sign_in_with_a_password(auth_app: AuthApp) -> None:
    await auth_app.token("google")
    response = await auth_app.client.post("/auth/login", json={"email": ADA, "password": "x" * 9})
    assert response.status_code == 401


async def test_a_browser_login_sets_the_session_cookie_and_redirects(auth_app: AuthApp) -> None:
    response = await auth_app.login("google", headers={"accept": "text/html"})
    assert response.status_code == 302
    assert response.headers["location"] == "/auth/me"
    cookie = response.headers["set-cookie"].lower()
    assert "apiconform_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "access_token" not in response.headers["location"]
    page = await auth_app.client.get("/auth/me")  # the cookie is the session
    assert page.status_code == 200
    assert page.json()["email"] == ADA
    out = await auth_app.client.post("/auth/logout")
    assert out.status_code == 204
    assert (await auth_app.client.get("/auth/me")).status_code == 401


async def test_provider_tokens_are_encrypted_at_rest(auth_app: AuthApp) -> None:
    from sqlalchemy import select

    from apiconform.reference.auth.models import OAuthAccount

    await auth_app.token("google")
    accounts = await auth_app.accounts()
    async with accounts.database.session() as session:
        row = (await session.scalars(select(OAuthAccount))).one()
    stored = await accounts.tokens(row.user_id, "google")
    assert stored is not None
    assert stored.access_token is not None
    assert stored.access_token.startswith("ya29.")
    assert row.access_token is not None
    assert "ya29." not in row.access_token
    assert row.refresh_token is not None
    assert stored.refresh_token not in row.refresh_token


async def test_first_sign_ins_of_one_identity_at_once_all_succeed_as_one_user(
    auth_app: AuthApp,
) -> None:
    # one browser each: the state is bound to the browser that started the sign-in
    browsers = [httpx.AsyncClient(base_url=auth_app.client.base_url) for _ in range(6)]
    try:
        tokens = await asyncio.gather(*(auth_app.token("github", client=b) for b in browsers))
    finally:
        for browser in browsers:
            await browser.aclose()
    users = {(await me(auth_app, token))["id"] for token in tokens}
    assert len(users) == 1
    assert await (await auth_app.accounts()).count_users() == 1


async def test_a_linked_provider_sign_in_keeps_a_password_users_email(auth_app: AuthApp) -> None:
    token = await register(auth_app, "local@example.com", "correct horse")
    start = await auth_app.client.post("/auth/facebook/link", headers=bearer(token))
    callback = await auth_app.mock.aauthorize(start.headers["location"])
    assert (await auth_app.client.get(callback, headers=JSON)).status_code == 200
    by_provider = await me(auth_app, await auth_app.token("facebook"))  # syncs the profile
    assert by_provider["email"] == "local@example.com"
    assert by_provider["name"] != "Local"  # the provider's name was copied
    password = await auth_app.client.post(
        "/auth/login", json={"email": "local@example.com", "password": "correct horse"}
    )
    assert password.status_code == 200
    assert (await me(auth_app, password.json()["access_token"]))["id"] == by_provider["id"]
