"""The ``[auth]`` section: required fields, enabling, scopes, endpoints."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from apiconform.reference.auth import Auth, AuthConfig
from apiconform.reference.auth.crypto import TokenCipher
from apiconform.reference.auth.providers import resolve_providers
from apiconform.reference.errors import ErrorHandling
from apiconform.reference.kernel import ApplicationFactory, AppRegistry, InvalidConfig
from apiconform.reference.store import Store
from tests.reference.auth.conftest import AuthApp

FULL = {"client_id": "id-1", "client_secret": "secret-1"}


@pytest.mark.parametrize("field", ["client_id", "client_secret"])
def test_an_enabled_provider_missing_a_field_fails_at_start(
    registry: AppRegistry, field: str
) -> None:
    settings = {k: v for k, v in FULL.items() if k != field}
    with pytest.raises(InvalidConfig) as failure:
        ApplicationFactory.create(
            id="cfg",
            scope="agent",
            config={"auth": {"providers": {"github": settings}}},
            features=[ErrorHandling(), Store(), Auth()],
            registry=registry,
        )
    message = str(failure.value)
    assert "github" in message
    assert field in message


def test_a_disabled_provider_needs_nothing_and_is_not_offered() -> None:
    config = AuthConfig.model_validate(
        {"providers": {"github": {"enabled": False}, "google": FULL}}
    )
    assert list(resolve_providers(config)) == ["google"]


def test_real_endpoints_by_default_and_custom_scopes() -> None:
    config = AuthConfig.model_validate(
        {
            "providers": {
                "google": {**FULL, "scopes": ["openid", "email"]},
                "microsoft": {**FULL, "tenant": "contoso.onmicrosoft.com"},
                "github": {**FULL, "token_url": "https://ghe.example/token"},
                "facebook": {**FULL, "callback_url": "https://app.example/cb"},
            }
        }
    )
    providers = resolve_providers(config)
    google = providers["google"]
    assert google.endpoints.authorize == "https://accounts.google.com/o/oauth2/v2/auth"
    assert google.endpoints.issuer == "https://accounts.google.com"
    assert google.scopes == ("openid", "email")
    microsoft = providers["microsoft"].endpoints
    assert microsoft.token == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    )
    assert microsoft.issuer == "https://login.microsoftonline.com/{tenantid}/v2.0"
    assert providers["github"].endpoints.token == "https://ghe.example/token"
    assert providers["github"].endpoints.authorize == "https://github.com/login/oauth/authorize"
    assert providers["facebook"].callback_url == "https://app.example/cb"
    assert providers["facebook"].scopes == ("email", "public_profile")


def test_a_mock_url_enables_every_provider_with_the_mock_client() -> None:
    config = AuthConfig.model_validate(
        {"mock_url": "http://127.0.0.1:8484", "providers": {"facebook": {"enabled": False}}}
    )
    providers = resolve_providers(config)
    assert sorted(providers) == ["github", "google", "microsoft"]
    assert providers["google"].client_id == "apiconform-client"
    assert providers["microsoft"].endpoints.issuer == "http://127.0.0.1:8484/microsoft/v2.0"


def test_a_provider_base_url_points_only_it_elsewhere() -> None:
    config = AuthConfig.model_validate(
        {"providers": {"github": {**FULL, "base_url": "http://127.0.0.1:9/"}, "google": FULL}}
    )
    providers = resolve_providers(config)
    assert providers["github"].endpoints.emails == "http://127.0.0.1:9/github/api/user/emails"
    assert providers["google"].endpoints.token == "https://oauth2.googleapis.com/token"


def test_the_token_key_must_be_a_fernet_key() -> None:
    with pytest.raises(ValueError, match="token_key"):
        AuthConfig.model_validate({"token_key": "short"})
    key = Fernet.generate_key().decode()
    cipher = TokenCipher(AuthConfig.model_validate({"token_key": key}).token_key)
    assert cipher.decrypt(cipher.encrypt("tok")) == "tok"
    assert TokenCipher(None).decrypt(cipher.encrypt("tok")) is None  # another key
    assert cipher.encrypt(None) is None


@pytest.fixture
def auth_config() -> dict[str, object]:
    return {"providers": {"github": {"enabled": False}}, "state_ttl": 60}


async def test_a_disabled_provider_login_is_404_and_the_state_ttl_applies(
    auth_app: AuthApp,
) -> None:
    response = await auth_app.client.get("/auth/github")
    assert response.status_code == 404
    url = await auth_app.start_login("google")
    callback = await auth_app.mock.aauthorize(url)
    auth_app.clock.advance(61)
    assert (await auth_app.client.get(callback)).status_code == 401
