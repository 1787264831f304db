"""How each provider takes client credentials at the token endpoint and access tokens at its
APIs: what the real provider accepts is accepted, what it refuses is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from xml.etree import ElementTree

import pytest

from apiconform.mocks.oauth_server import ClientConfig
from tests.mocks.harness import BASE, REDIRECT, Harness, harness_for

BASIC = "Basic " + base64.b64encode(b"apiconform-client:apiconform-secret").decode()


async def exchange_with_basic(oauth: Harness, provider: str) -> dict[str, object]:
    code = await oauth.code(provider)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": oauth.verifier,
    }
    response = await oauth.client.post(
        oauth.urls(provider).token, data=form, headers={"authorization": BASIC}
    )
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize("provider", ["google", "microsoft", "github"])
async def test_http_basic_client_authentication_is_accepted(oauth: Harness, provider: str) -> None:
    assert "access_token" in await exchange_with_basic(oauth, provider)


async def test_facebook_refuses_http_basic_and_names_the_missing_parameter(
    oauth: Harness,
) -> None:
    body = await exchange_with_basic(oauth, "facebook")
    error = body["error"]
    assert isinstance(error, dict)
    assert (error["code"], error["message"]) == (101, "Missing client_id parameter.")


async def test_facebook_takes_credentials_from_the_query_of_a_post(oauth: Harness) -> None:
    code = await oauth.code("facebook")
    params = {"client_id": "apiconform-client", "client_secret": "apiconform-secret"}
    form = {"code": code, "redirect_uri": REDIRECT, "code_verifier": oauth.verifier}
    response = await oauth.client.post(oauth.urls("facebook").token, params=params, data=form)
    assert response.json()["token_type"] == "bearer"


@pytest.mark.parametrize(
    ("provider", "methods"),
    [("google", ["client_secret_post", "client_secret_basic"]),
     ("microsoft", ["client_secret_post", "client_secret_basic"])],
)  # fmt: skip
async def test_discovery_names_the_client_authentication_methods(
    oauth: Harness, provider: str, methods: list[str]
) -> None:
    document = (await oauth.client.get(oauth.urls(provider).discovery or "")).json()
    assert document["token_endpoint_auth_methods_supported"] == methods


# request and response content types at the token endpoint ------------------------------


async def test_github_reads_a_json_body_and_answers_in_xml_when_asked(oauth: Harness) -> None:
    code = await oauth.code("github")
    body = {
        "client_id": "apiconform-client",
        "client_secret": "apiconform-secret",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": oauth.verifier,
    }
    response = await oauth.client.post(
        oauth.urls("github").token,
        content=json.dumps(body),
        headers={"content-type": "application/json", "accept": "application/xml"},
    )
    assert response.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(response.text)
    assert root.tag == "OAuth"
    assert root.findtext("access_token", "").startswith("gho_")
    assert root.findtext("token_type") == "bearer"


async def test_github_errors_come_in_xml_too(oauth: Harness) -> None:
    response = await oauth.client.post(
        oauth.urls("github").token,
        data={"client_id": "apiconform-client", "client_secret": "wrong", "code": "x"},
        headers={"accept": "application/xml"},
    )
    root = ElementTree.fromstring(response.text)
    assert root.findtext("error") == "incorrect_client_credentials"


@pytest.mark.parametrize(
    "body", [b"{not json", b'["a list"]', b'{"code": 1}', b"[" * 100_000, b"\xff\xfe"]
)
async def test_a_json_body_github_cannot_use_carries_no_parameters(
    oauth: Harness, body: bytes
) -> None:
    response = await oauth.client.post(
        oauth.urls("github").token, content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200  # GitHub's errors come with HTTP 200
    assert response.json()["error"] == "incorrect_client_credentials"


@pytest.mark.parametrize("provider", ["google", "microsoft"])
async def test_other_providers_read_only_form_bodies(oauth: Harness, provider: str) -> None:
    code = await oauth.code(provider)
    body = {
        "grant_type": "authorization_code",
        "client_id": "apiconform-client",
        "client_secret": "apiconform-secret",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": oauth.verifier,
    }
    as_json = await oauth.client.post(
        oauth.urls(provider).token,
        content=json.dumps(body),
        headers={"content-type": "application/json"},
    )
    assert as_json.status_code == 400
    as_form = await oauth.client.post(
        oauth.urls(provider).token,
        data=body,
        headers={"content-type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    assert as_form.status_code == 200


# access tokens at the APIs --------------------------------------------------------------


async def test_google_userinfo_takes_the_token_in_the_query_string(oauth: Harness) -> None:
    token = (await oauth.tokens("google"))["access_token"]
    for url in (f"{BASE}/google/oauth2/v3/userinfo", f"{BASE}/google/v1/userinfo"):
        response = await oauth.client.get(url, params={"access_token": token})
        assert response.json()["email"] == "ada.lovelace@example.com"


async def test_google_userinfo_takes_the_token_in_a_form_post(oauth: Harness) -> None:
    token = (await oauth.tokens("google"))["access_token"]
    url = oauth.urls("google").userinfo or ""
    response = await oauth.client.post(url, data={"access_token": token})
    assert response.json()["sub"] == "104857600000000000001"
    as_json = await oauth.client.post(
        url, content=json.dumps({"access_token": token}), headers={"content-type": "text/plain"}
    )
    assert as_json.status_code == 401  # only a form body counts (RFC 6750 section 2.2)


async def test_google_refuses_other_schemes_and_repeated_tokens(oauth: Harness) -> None:
    token = (await oauth.tokens("google"))["access_token"]
    url = oauth.urls("google").userinfo or ""
    scheme = await oauth.client.get(url, headers={"authorization": f"token {token}"})
    repeated = await oauth.client.get(url, params=[("access_token", token)] * 2)
    assert (scheme.status_code, repeated.status_code) == (401, 401)
    assert "invalid_token" in scheme.headers["www-authenticate"]


@pytest.mark.parametrize(
    ("provider", "endpoint"), [("github", "user"), ("microsoft", "me"), ("microsoft", "userinfo")]
)
async def test_header_only_apis_refuse_the_token_in_the_query_or_the_body(
    oauth: Harness, provider: str, endpoint: str
) -> None:
    token = (await oauth.tokens(provider))["access_token"]
    url = getattr(oauth.urls(provider), endpoint)
    in_query = await oauth.client.get(url, params={"access_token": token})
    assert in_query.status_code == 401
    if endpoint == "userinfo":
        in_body = await oauth.client.post(url, data={"access_token": token})
        assert in_body.status_code == 401
    in_header = await oauth.client.get(url, headers={"authorization": f"Bearer {token}"})
    assert in_header.status_code == 200


async def test_github_takes_both_of_its_schemes(oauth: Harness) -> None:
    token = (await oauth.tokens("github"))["access_token"]
    for scheme in ("token", "Bearer", "bearer"):
        response = await oauth.client.get(
            oauth.urls("github").user or "", headers={"authorization": f"{scheme} {token}"}
        )
        assert response.json()["login"] == "gracehopper"


@pytest.mark.parametrize("endpoint", ["user", "emails"])
async def test_github_refuses_an_api_request_without_a_user_agent(
    oauth: Harness, endpoint: str
) -> None:
    token = (await oauth.tokens("github"))["access_token"]
    response = await oauth.client.get(
        getattr(oauth.urls("github"), endpoint),
        headers={"authorization": f"token {token}", "user-agent": ""},
    )
    assert response.status_code == 403
    assert "User-Agent" in response.text


async def test_microsoft_graph_me_answers_with_a_trailing_slash(oauth: Harness) -> None:
    token = (await oauth.tokens("microsoft"))["access_token"]
    response = await oauth.client.get(
        f"{BASE}/microsoft/graph/v1.0/me/", headers={"authorization": f"Bearer {token}"}
    )
    assert response.json()["displayName"] == "Alan Turing"


async def test_facebook_takes_the_token_in_the_query_or_the_header(oauth: Harness) -> None:
    token = (await oauth.tokens("facebook"))["access_token"]
    url = oauth.urls("facebook").me or ""
    in_query = await oauth.client.get(url, params={"access_token": token})
    in_header = await oauth.client.get(url, headers={"authorization": f"Bearer {token}"})
    assert (
        in_query.json()
        == in_header.json()
        == {
            "id": "10160000000000001",
            "name": "Katherine Johnson",
        }
    )


def proof(secret: str, token: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


async def test_facebook_checks_the_appsecret_proof(oauth: Harness) -> None:
    token = (await oauth.tokens("facebook"))["access_token"]
    url = oauth.urls("facebook").me or ""
    good = await oauth.client.get(
        url, params={"access_token": token, "appsecret_proof": proof("apiconform-secret", token)}
    )
    assert good.json()["id"] == "10160000000000001"
    for wrong in (proof("other-secret", token), "not-hex-\u00e9"):
        bad = await oauth.client.get(url, params={"access_token": token, "appsecret_proof": wrong})
        assert bad.status_code == 400
        assert bad.json()["error"]["message"].startswith("Invalid appsecret_proof")


async def test_a_public_client_has_no_secret_to_prove() -> None:
    public = ClientConfig(client_id="apiconform-client", client_secret=None)
    async with harness_for(auto_approve=True, clients=[public]) as oauth:
        code = await oauth.code("facebook")
        response = await oauth.exchange("facebook", code, client_secret=None)
        token = response.json()["access_token"]
        me = await oauth.client.get(
            oauth.urls("facebook").me or "",
            params={"access_token": token, "appsecret_proof": proof("", token)},
        )
    assert me.status_code == 400


# the People API (httpx-oauth's Google client reads the profile there) ------------------


async def test_people_me_returns_the_fields_asked_for(oauth: Harness) -> None:
    token = (await oauth.tokens("google"))["access_token"]
    response = await oauth.client.get(
        oauth.urls("google").people or "",
        params={"personFields": "names,emailAddresses,photos,birthdays"},
        headers={"authorization": f"Bearer {token}"},
    )
    person = response.json()
    assert person["resourceName"] == "people/104857600000000000001"
    [email] = person["emailAddresses"]
    assert (email["value"], email["metadata"]["primary"]) == ("ada.lovelace@example.com", True)
    assert email["metadata"]["verified"] is True
    assert person["names"][0]["displayName"] == "Ada Lovelace"
    assert person["names"][0]["displayNameLastFirst"] == "Lovelace, Ada"
    assert person["photos"][0]["url"] == "https://example.com/avatars/ada.png"
    assert "birthdays" not in person  # a valid field the mock has no data for


async def test_people_me_releases_only_what_the_scopes_grant(oauth: Harness) -> None:
    token = (await oauth.tokens("google", scope="openid email"))["access_token"]
    response = await oauth.client.get(
        oauth.urls("google").people or "",
        params={"personFields": "names,emailAddresses", "access_token": token},
    )
    assert set(response.json()) == {"resourceName", "etag", "emailAddresses"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [(None, "personFields mask is required"), ("names,shoeSize", 'path: "shoeSize"')],
)
async def test_people_me_refuses_a_missing_or_unknown_field(
    oauth: Harness, fields: str | None, message: str
) -> None:
    token = (await oauth.tokens("google"))["access_token"]
    params = {"access_token": token} | ({"personFields": fields} if fields else {})
    response = await oauth.client.get(oauth.urls("google").people or "", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert message in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("header", "message"),
    [(None, "missing required authentication"), ("Bearer nope", "invalid authentication")],
)
async def test_people_me_without_a_valid_token_is_unauthenticated(
    oauth: Harness, header: str | None, message: str
) -> None:
    headers = {"authorization": header} if header else {}
    response = await oauth.client.get(
        oauth.urls("google").people or "", params={"personFields": "names"}, headers=headers
    )
    assert response.status_code == 401
    assert response.json()["error"]["status"] == "UNAUTHENTICATED"
    assert message in response.json()["error"]["message"]
    assert response.headers["www-authenticate"].startswith("Bearer realm=")


async def test_people_me_leaves_out_what_the_user_does_not_have() -> None:
    async with harness_for(
        auto_approve=True, users={"google": [{"id": "42", "name": "Plato"}]}
    ) as oauth:
        token = (await oauth.tokens("google"))["access_token"]
        response = await oauth.client.get(
            oauth.urls("google").people or "",
            params={"personFields": "names,photos,emailAddresses", "access_token": token},
        )
    assert response.json() == {
        "resourceName": "people/42",
        "etag": "%mock42",
        "names": [
            {
                "metadata": {
                    "primary": True,
                    "sourcePrimary": True,
                    "source": {"type": "PROFILE", "id": "42"},
                },
                "displayName": "Plato",
                "givenName": "Plato",
                "unstructuredName": "Plato",
            }
        ],
    }


async def test_people_me_answers_on_the_real_host_too(oauth: Harness) -> None:
    token = (await oauth.tokens("google"))["access_token"]
    response = await oauth.client.get(
        "https://people.googleapis.com/v1/people/me",
        params={"personFields": "emailAddresses"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.json()["emailAddresses"][0]["value"] == "ada.lovelace@example.com"
    assert oauth.app.endpoints("google", BASE, real=True).people == (
        "https://people.googleapis.com/v1/people/me"
    )
