"""Configuration: defaults, TOML files, overrides and the errors they raise."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiconform.errors import ConfigError
from apiconform.mocks.oauth_server import (
    PROVIDERS,
    ClientConfig,
    MockOAuthConfig,
    MockUser,
    build_config,
    load_config,
)


def test_defaults_work_without_configuration() -> None:
    config = MockOAuthConfig()
    [client] = config.clients
    assert (client.client_id, client.client_secret, client.redirect_uris) == (
        "apiconform-client",
        "apiconform-secret",
        (),
    )
    for provider in PROVIDERS:
        [user] = config.users[provider]
        assert user.email
        assert user.email_verified
    assert config.lifetimes.code == 60
    assert config.lifetimes.access_token == 3600
    assert config.auto_approve is False
    assert config.pkce_plain is False
    assert config.client("nobody") is None


def test_toml_file_sets_clients_users_lifetimes_and_faults(tmp_path: Path) -> None:
    path = tmp_path / "mock.toml"
    path.write_text(
        """
auto_approve = true
pkce_plain = true

[lifetimes]
access_token = 120

[[clients]]
client_id = "web"
client_secret = "s3cret"
redirect_uris = ["https://app.example/auth/callback", "http://127.0.0.1:*/cb"]

[[clients]]
client_id = "spa"
public = true

[[users.github]]
id = "77"
name = "Margaret Hamilton"
email = "margaret@example.com"
email_public = false

[faults.facebook]
outage = true
endpoints = ["token"]
"""
    )
    config = load_config(path)
    assert config.auto_approve
    assert config.pkce_plain
    assert config.lifetimes.access_token == 120
    assert config.clients[0].redirect_uris[1] == "http://127.0.0.1:*/cb"
    assert not config.clients[0].public
    spa = config.client("spa")
    assert spa is not None
    assert (spa.public, spa.client_secret) == (True, None)
    assert config.users["github"][0].name == "Margaret Hamilton"
    assert config.users["google"][0].name == "Ada Lovelace"  # others keep their default
    assert config.faults["facebook"].endpoints == ("token",)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("auto_approve = [\n", "invalid TOML"),
        ("colour = 'red'\n", "colour: Extra inputs are not permitted"),
        ("[lifetimes]\ncode = 0\n", "lifetimes.code: Input should be greater than 0"),
        (
            "[[users.github]]\nid = 'octocat'\nname = 'Octo'\n",
            "github: user id 'octocat' must be a number",
        ),
        (
            "[[users.google]]\nid = 'a'\nname = 'A'\n[[users.google]]\nid = 'a'\nname = 'B'\n",
            "unique",
        ),
        ("users.google = []\n", "at least one user"),
        ("[[users.myspace]]\nid = '1'\nname = 'Tom'\n", "users.myspace"),
        (
            "[[clients]]\nclient_id = 'a'\n[[clients]]\nclient_id = 'a'\n",
            "client ids must be unique",
        ),
        ("clients = []\n", "at least one client"),
        ("clients = ['web']\n", "clients.0: Input should be a valid dictionary"),
        ("[[clients]]\nclient_id = 'a'\nredirect_uris = ['/relative']\n", "not an absolute"),
        ("[[clients]]\nclient_id = 'a'\nredirect_uris = ['http://x/cb#f']\n", "fragment"),
        ("[faults.google]\nendpoints = ['tokens']\n", "unknown endpoint(s) tokens"),
        ("microsoft_tenant_id = 'common'\n", "microsoft_tenant_id"),
    ],
)
def test_bad_files_name_the_file_and_the_field(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert fragment in message
    assert "Value error" not in message


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"none\.toml: cannot read config: No such file"):
        load_config(tmp_path / "none.toml")


def test_overrides_merge_users_and_faults_per_provider() -> None:
    base = build_config(faults={"google": {"outage": True}})
    config = build_config(
        base,
        users={"github": [MockUser(id="9", name="Nine")]},
        faults={"github": {"latency": 1}},
        clients=[ClientConfig(client_id="x"), {"client_id": "y", "client_secret": None}],
    )
    assert config.faults["google"].outage
    assert config.faults["github"].latency == 1
    assert config.users["github"][0].id == "9"
    assert len(config.users["google"]) == 1
    assert config.client("y") is not None
    assert config.client("y").public
    with pytest.raises(ConfigError, match="invalid mock OAuth config: auto_approve"):
        build_config(auto_approve="perhaps")


def test_user_names_and_handles() -> None:
    user = MockUser(id="1", name="Ada King Lovelace", email="ada@example.com")
    assert (user.given_name, user.family_name, user.handle()) == ("Ada", "King Lovelace", "ada")
    mononym = MockUser(id="2", name="Plato")
    assert (mononym.family_name, mononym.handle()) == (None, "user2")
    assert MockUser(id="3", name="X", username="xx").handle() == "xx"
    assert user.matches("ada@example.com")
    assert user.matches("1")
    assert not user.matches("ada")
