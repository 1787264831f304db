"""The control API: faults, recorded requests, users, clock, reset, index."""

from __future__ import annotations

import base64

import pytest

from apiconform.mocks.oauth_server import ClientConfig
from tests.mocks.harness import BASE, REDIRECT, Harness, harness_for


async def test_faults_are_set_read_and_cleared_over_http(oauth: Harness) -> None:
    client = oauth.client
    put = await client.put(f"{BASE}/_control/faults/google", json={"outage": True, "times": 1})
    assert put.status_code == 200
    assert put.json()["outage"] is True
    assert (await client.get(f"{BASE}/_control/faults/google")).json()["times"] == 1
    assert (await client.get(f"{BASE}/_control/faults")).json()["google"]["outage"] is True
    assert (await client.get(oauth.urls("google").jwks or "")).status_code == 503
    assert (await client.get(oauth.urls("google").jwks or "")).status_code == 200  # times=1
    await client.put(f"{BASE}/_control/faults/github", json={"missing_email": True})
    deleted = await client.delete(f"{BASE}/_control/faults/github")
    assert deleted.json()["missing_email"] is False
    await client.put(f"{BASE}/_control/faults/facebook", json={"latency": 0.01})
    cleared = (await client.delete(f"{BASE}/_control/faults")).json()
    assert all(not f["latency"] for f in cleared.values())


@pytest.mark.parametrize(
    ("path", "body", "status", "fragment"),
    [
        ("/_control/faults/myspace", {"outage": True}, 404, "unknown provider"),
        ("/_control/faults/google", {"outage": "sometimes"}, 400, "outage"),
        ("/_control/faults/google", {"colour": "red"}, 400, "colour: Extra inputs"),
        ("/_control/faults/google", [1, 2], 400, "JSON object"),
        ("/_control/users/google/1", {"email_verified": "maybe"}, 400, "email_verified"),
        ("/_control/users/google/new", {"email": "x@example.com"}, 400, "name"),
        ("/_control/users/github/octocat", {"name": "Octo"}, 400, "numbers"),
        ("/_control/users/myspace/1", {"name": "x"}, 404, "unknown provider"),
    ],
)
async def test_bad_control_requests_get_oauth_style_errors(
    oauth: Harness, path: str, body: object, status: int, fragment: str
) -> None:
    response = await oauth.client.put(f"{BASE}{path}", json=body)
    assert response.status_code == status
    assert fragment in response.json()["error_description"]


async def test_invalid_json_body_is_a_400(oauth: Harness) -> None:
    response = await oauth.client.put(f"{BASE}/_control/faults/google", content=b"{nope")
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "the body is not valid JSON",
    }
    empty = await oauth.client.put(f"{BASE}/_control/faults/google", content=b"")
    assert empty.json()["outage"] is False


async def test_requests_are_recorded_and_queryable(oauth: Harness) -> None:
    await oauth.tokens("google")
    await oauth.tokens("github")
    response = await oauth.client.get(
        f"{BASE}/_control/requests", params={"provider": "google", "endpoint": "token"}
    )
    [token] = response.json()["requests"]
    assert token["method"] == "POST"
    assert token["path"] == "/google/token"
    assert token["form"]["code_verifier"] == oauth.verifier
    assert token["status"] == 200
    by_path = await oauth.client.get(
        f"{BASE}/_control/requests",
        params={"path": "/github/login/oauth/authorize", "method": "get"},
    )
    [authorize] = by_path.json()["requests"]
    assert authorize["query"]["state"] == "state-123"
    assert authorize["endpoint"] == "authorize"
    everything = (await oauth.client.get(f"{BASE}/_control/requests")).json()["requests"]
    assert [r["seq"] for r in everything] == sorted(r["seq"] for r in everything)
    assert all(not r["path"].startswith("/_control") for r in everything)
    assert (await oauth.client.delete(f"{BASE}/_control/requests")).json() == {"requests": []}
    assert len(oauth.app.requests) == 0


SECRET = "s3cr3t-of-the-web-app"


async def test_recorded_secrets_are_redacted_over_http_unless_raw_is_asked() -> None:
    web = ClientConfig(client_id="web", client_secret=SECRET)
    async with harness_for(auto_approve=True, clients=[web]) as oauth:
        code = await oauth.code("facebook", client_id="web")
        basic = base64.b64encode(f"web:{SECRET}".encode()).decode()
        # Facebook reads the credentials from the parameters; the header is recorded anyway
        exchanged = await oauth.client.post(
            oauth.urls("facebook").token,
            data={
                "client_id": "web",
                "client_secret": SECRET,
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": oauth.verifier,
            },
            headers={"authorization": f"Basic {basic}"},
        )
        access = exchanged.json()["access_token"]
        await oauth.token(
            "facebook",
            client_id="web",
            client_secret=SECRET,
            grant_type="fb_exchange_token",
            fb_exchange_token=access,
        )
        await oauth.client.get(oauth.urls("facebook").me or "", params={"access_token": access})
        await oauth.client.post(
            oauth.urls("google").token,
            content=f'{{"client_secret": "{SECRET}", "refresh_token": "r-1"}}'.encode(),
            headers={"content-type": "application/json", "cookie": "session=c-1"},
        )
        shown = (await oauth.client.get(f"{BASE}/_control/requests")).text
        for secret in (SECRET, basic, access, "r-1", "session=c-1"):
            assert secret not in shown
        token, exchange, me, google = (await oauth.client.get(f"{BASE}/_control/requests")).json()[
            "requests"
        ][-4:]
        assert token["headers"]["authorization"] == "[redacted]"
        assert token["form"]["code_verifier"] == oauth.verifier  # evidence of PKCE stays
        assert exchange["form"]["client_secret"] == "[redacted]"
        assert exchange["form"]["fb_exchange_token"] == "[redacted]"
        assert exchange["form"]["grant_type"] == "fb_exchange_token"
        assert "client_secret=[redacted]" in exchange["body"]
        assert me["query"]["access_token"] == "[redacted]"
        assert google["body"] == '{"client_secret": "[redacted]", "refresh_token": "[redacted]"}'
        raw = (await oauth.client.get(f"{BASE}/_control/requests", params={"raw": "1"})).text
        for secret in (SECRET, basic, access, "r-1", "session=c-1"):
            assert secret in raw
        # In Python the journal keeps everything as sent.
        assert oauth.app.requests.last("facebook", "me").query["access_token"] == access


async def test_journal_queries_in_python(oauth: Harness) -> None:
    await oauth.tokens("microsoft")
    journal = oauth.app.requests
    assert journal.last("microsoft", "token").form["grant_type"] == "authorization_code"
    assert journal.find(method="POST", provider="microsoft")[0].endpoint == "token"
    await oauth.client.get(f"{BASE}/microsoft/nowhere")
    assert journal.last("microsoft").endpoint is None
    with pytest.raises(LookupError):
        journal.last("facebook")


async def test_users_are_listed_and_changed_for_profile_sync(oauth: Harness) -> None:
    tokens = await oauth.tokens("google")
    users = (await oauth.client.get(f"{BASE}/_control/users/google")).json()["users"]
    user_id = users[0]["id"]
    changed = await oauth.client.put(
        f"{BASE}/_control/users/google/{user_id}", json={"name": "Ada King", "picture": None}
    )
    assert changed.json()["name"] == "Ada King"
    info = (await oauth.profile("google", tokens["access_token"])).json()
    assert info["name"] == "Ada King"  # the token's user, as the provider now shows it
    assert "picture" not in info
    added = await oauth.client.put(
        f"{BASE}/_control/users/google/999", json={"name": "New Person", "email": "new@example.com"}
    )
    assert added.status_code == 200
    assert [u.id for u in oauth.app.users.list("google")] == [user_id, "999"]


async def test_clock_can_be_advanced_to_expire_tokens(oauth: Harness) -> None:
    tokens = await oauth.tokens("google")
    response = await oauth.client.post(f"{BASE}/_control/clock/advance", json={"seconds": 3601})
    assert response.json()["now"] > 0
    assert (await oauth.profile("google", tokens["access_token"])).status_code == 401
    for bad in ({"seconds": -1}, {"seconds": "soon"}, {"seconds": True}, {}):
        refused = await oauth.client.post(f"{BASE}/_control/clock/advance", json=bad)
        assert refused.status_code == 400


@pytest.mark.parametrize(
    "seconds",
    [b"Infinity", b"-Infinity", b"NaN", b"1e400", b"1" + b"0" * 400],
    ids=["inf", "-inf", "nan", "float-overflow", "int-overflow"],
)
async def test_clock_advance_refuses_numbers_that_are_not_finite(
    oauth: Harness, seconds: bytes
) -> None:
    before = oauth.app.clock.now()
    response = await oauth.client.post(
        f"{BASE}/_control/clock/advance", content=b'{"seconds": ' + seconds + b"}"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "finite" in response.json()["error_description"]
    assert oauth.app.clock.now() - before < 3600  # not moved by the refused request


@pytest.mark.parametrize("body", [b'{"latency": NaN}', b'{"latency": Infinity}'])
async def test_control_bodies_with_non_finite_numbers_are_refused(
    oauth: Harness, body: bytes
) -> None:
    response = await oauth.client.put(f"{BASE}/_control/faults/google", content=body)
    assert response.status_code == 400
    assert set(response.json()) == {"error", "error_description"}
    assert oauth.app.faults.get("google").latency == 0


async def test_reset_forgets_tokens_requests_and_changes(oauth: Harness) -> None:
    tokens = await oauth.tokens("google")
    oauth.app.users.put("google", "104857600000000000001", {"name": "Changed"})
    oauth.app.faults.set("github", outage=True)
    assert (await oauth.client.post(f"{BASE}/_control/reset")).json() == {"reset": True}
    assert (await oauth.profile("google", tokens["access_token"])).status_code == 401
    assert oauth.app.users.list("google")[0].name == "Ada Lovelace"
    assert oauth.app.faults.get("github").outage is False
    assert len(oauth.app.requests) == 1  # only the profile call after the reset


async def test_index_lists_every_provider_and_the_client(oauth: Harness) -> None:
    index = (await oauth.client.get(f"{BASE}/")).json()
    assert index["client_id"] == "apiconform-client"
    assert index["client_secret"] == "apiconform-secret"  # published: shown as it is
    assert set(index["providers"]) == {"google", "github", "facebook", "microsoft"}
    assert index["providers"]["github"]["emails"] == f"{BASE}/github/api/user/emails"
    assert index["control"] == f"{BASE}/_control"


async def test_unknown_paths_and_methods_get_json_errors(oauth: Harness) -> None:
    missing = await oauth.client.get(f"{BASE}/nowhere")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    wrong = await oauth.client.get(oauth.urls("google").token)
    assert wrong.status_code == 405
    assert wrong.json()["error"] == "invalid_request"
    assert "allow" in wrong.headers


@pytest.mark.parametrize(
    ("client", "shown"),
    [
        (ClientConfig(client_id="web", client_secret=SECRET), "***"),
        (ClientConfig(client_id="spa", client_secret=None), None),
    ],
)
async def test_index_masks_a_configured_client_secret(
    client: ClientConfig, shown: str | None
) -> None:
    async with harness_for(clients=[client]) as oauth:
        index = (await oauth.client.get(f"{BASE}/")).json()
    assert (index["client_id"], index["client_secret"]) == (client.client_id, shown)
