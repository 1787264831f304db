"""The one set of redaction rules used on every outbound path."""

from __future__ import annotations

import json

import pytest

from apiconform.common.redaction import (
    REDACTED,
    is_secret_name,
    redact_body,
    redact_mapping,
    redact_url,
)
from apiconform.common.redaction import (
    redact_text as text,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("client_secret=cs1&grant_type=x", f"client_secret={REDACTED}&grant_type=x"),
        ("access_token=ya29.a0 ok", f"access_token={REDACTED} ok"),
        ("refresh_token: 1//0g-abc", f"refresh_token: {REDACTED}"),
        ('{"password": "hunter2", "name": "ada"}', f'{{"password": "{REDACTED}", "name": "ada"}}'),
        ("{'password': 'hunter2'}", f"{{'password': '{REDACTED}'}}"),
        ("postgresql://user:p@ss@db.example/x", f"postgresql://{REDACTED}@db.example/x"),
        ("redis://:pw@127.0.0.1:6379/0", f"redis://{REDACTED}@127.0.0.1:6379/0"),
        ("Authorization: Bearer eyJhbGciOi.abc.def", f"Authorization: Bearer {REDACTED}"),
        ("Authorization: token gho_16C7e42F292c6912", f"Authorization: token {REDACTED}"),
        ('db_password="two words"', f"db_password={REDACTED}"),
        ("api-key:k-123", f"api-key:{REDACTED}"),
    ],
)
def test_credentials_in_text_are_masked(raw: str, expected: str) -> None:
    assert text(raw) == expected


@pytest.mark.parametrize(
    "harmless",
    [
        "token_type=bearer expires_in=3600",
        "GET /users/3 -> 404",
        "the token endpoint answered 400",
        "https://example.org/path?q=1",
        "password reset requested",
    ],
)
def test_text_without_credentials_is_left_alone(harmless: str) -> None:
    assert text(harmless) == harmless


def test_secret_names_cover_suffixes_and_spellings() -> None:
    for name in ("Authorization", "X-API-Key", "client_secret", "id_token", "set-cookie"):
        assert is_secret_name(name)
    for name in ("token_type", "expires_in", "state", "code", "scope"):
        assert not is_secret_name(name)
    assert is_secret_name("code", extra={"code"})


def test_mappings_are_masked_in_place_including_nested_text() -> None:
    event = {
        "headers": {"Authorization": "Bearer x", "accept": "*/*"},
        "items": [{"refresh_token": "r"}, "connect postgresql://u:pw@h/d"],
        "error": "password=hunter2 failed",
        "none": None,
        "password": None,
    }
    assert redact_mapping(event) is True
    assert event == {
        "headers": {"Authorization": REDACTED, "accept": "*/*"},
        "items": [{"refresh_token": REDACTED}, f"connect postgresql://{REDACTED}@h/d"],
        "error": f"password={REDACTED} failed",
        "none": None,
        "password": None,
    }


def test_bodies_are_masked_as_json_form_or_text() -> None:
    form = redact_body("client_secret=s&code=c&code_verifier=v&grant_type=g", extra={"code"})
    assert form == f"client_secret={REDACTED}&code={REDACTED}&code_verifier=v&grant_type=g"
    data = json.loads(redact_body('{"a": [{"access_token": "t", "token_type": "bearer"}]}'))
    assert data == {"a": [{"access_token": REDACTED, "token_type": "bearer"}]}
    assert redact_body("plain: nothing") == "plain: nothing"
    assert redact_body('{"not": "closed"') == '{"not": "closed"'
    assert redact_body("a=1&b=2") == "a=1&b=2"


def test_urls_lose_passwords_and_secret_parameters() -> None:
    assert redact_url("https://u:p@h/x?access_token=t&a=1") == (
        f"https://{REDACTED}@h/x?access_token={REDACTED}&a=1"
    )
    assert redact_url("https://h/x?a=1") == "https://h/x?a=1"
    assert redact_url("http://[::1") == "http://[::1"
