"""The consent page and its answers."""

from __future__ import annotations

import re

import httpx
import pytest

from apiconform.mocks.oauth_server import MockUser
from apiconform.mocks.oauth_server.driver import complete_authorization
from apiconform.mocks.oauth_server.errors import MockOAuthError
from tests.mocks.harness import BASE, Harness, harness_for, query

USERS = [
    MockUser(id="1001", name="Alice <b>Admin</b>", email="alice@example.com"),
    MockUser(id="1002", name="Bob", email=None),
]


@pytest.fixture
async def consent() -> Harness:  # type: ignore[misc]
    async with harness_for(users={"google": USERS, "github": USERS}) as harness:
        yield harness


def request_id(page: str) -> str:
    match = re.search(r'name="request_id" value="([^"]+)"', page)
    assert match
    return match.group(1)


async def test_page_lists_users_escaped_with_approve_and_deny(consent: Harness) -> None:
    response = await consent.client.get(
        consent.authorize_url("google", scope='openid "><script>alert(1)</script>')
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "Alice &lt;b&gt;Admin&lt;/b&gt;" in page
    assert "(no email)" in page
    assert 'id="approve"' in page
    assert 'id="deny"' in page
    assert re.search(r'value="1001" id="user-1001" checked', page)
    assert f'action="{BASE}/google/_consent"' in page


async def test_login_hint_preselects_a_user(consent: Harness) -> None:
    page = (await consent.client.get(consent.authorize_url("google", login_hint="1002"))).text
    assert re.search(r'value="1002" id="user-1002" checked', page)


async def test_approve_with_a_chosen_user_and_deny(consent: Harness) -> None:
    location = await complete_authorization(
        consent.client, consent.authorize_url("github"), user="1002"
    )
    tokens = (await consent.exchange("github", query(location)["code"])).json()
    assert (await consent.profile("github", tokens["access_token"])).json()["id"] == 1002
    denied = await complete_authorization(
        consent.client, consent.authorize_url("google"), approve=False
    )
    assert query(denied) == {"error": "access_denied", "state": "state-123"}


async def test_a_consent_answers_once(consent: Harness) -> None:
    page = (await consent.client.get(consent.authorize_url("google"))).text
    form = {"request_id": request_id(page), "decision": "approve", "user": "1001"}
    first = await consent.client.post(f"{BASE}/google/_consent", data=form)
    assert first.status_code == 302
    again = await consent.client.post(f"{BASE}/google/_consent", data=form)
    assert again.status_code == 400
    assert "unknown or expired" in again.json()["error_description"]


async def test_consent_expires(consent: Harness) -> None:
    page = (await consent.client.get(consent.authorize_url("google"))).text
    consent.app.clock.advance(601)
    form = {"request_id": request_id(page), "decision": "approve", "user": "1001"}
    assert (await consent.client.post(f"{BASE}/google/_consent", data=form)).status_code == 400


@pytest.mark.parametrize(
    ("form", "fragment"),
    [
        ({"decision": "maybe", "user": "1001"}, "approve or deny"),
        ({"decision": "approve", "user": "9999"}, "test user"),
    ],
)
async def test_bad_consent_answers_are_shown_and_keep_the_request(
    consent: Harness, form: dict[str, str], fragment: str
) -> None:
    page = (await consent.client.get(consent.authorize_url("google"))).text
    rid = request_id(page)
    bad = await consent.client.post(f"{BASE}/google/_consent", data={"request_id": rid, **form})
    assert bad.status_code == 400
    assert fragment in bad.json()["error_description"]
    good = {"request_id": rid, "decision": "approve", "user": "1001"}
    assert (await consent.client.post(f"{BASE}/google/_consent", data=good)).status_code == 302


async def test_a_request_id_of_another_provider_is_refused(consent: Harness) -> None:
    page = (await consent.client.get(consent.authorize_url("google"))).text
    form = {"request_id": request_id(page), "decision": "approve", "user": "1001"}
    github_consent = f"{BASE}/github/login/oauth/_consent"
    assert (await consent.client.post(github_consent, data=form)).status_code == 400


async def test_driver_reports_what_went_wrong(consent: Harness) -> None:
    with pytest.raises(MockOAuthError, match="HTTP 400"):
        await complete_authorization(consent.client, consent.authorize_url("google", client_id="x"))
    other_site = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda request: httpx.Response(200, html="<p>hi</p>"))
    )
    async with other_site:
        with pytest.raises(MockOAuthError, match="not the mock's consent page"):
            await complete_authorization(other_site, "https://example.com/login")
    with pytest.raises(MockOAuthError, match="consent failed"):
        await complete_authorization(consent.client, consent.authorize_url("google"), user="9999")
