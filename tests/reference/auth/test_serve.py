"""``apiconform serve --oauth-mock-url URL``: the demo signs in against a running mock."""

from __future__ import annotations

import signal

import httpx
import pytest

from apiconform.mocks.oauth_server import MockOAuthServer
from tests.reference.test_cli_serve import start_serve, wait_for_addresses


async def test_serve_points_every_provider_at_the_mock(mock_oauth: MockOAuthServer) -> None:
    proc = start_serve("--port", "0", "--oauth-mock-url", mock_oauth.url)
    try:
        [address] = wait_for_addresses(proc, 1)
        async with httpx.AsyncClient(base_url=address) as client:
            for provider in ("google", "github", "facebook", "microsoft"):
                start = await client.get(f"/auth/{provider}")
                assert start.status_code == 302
                assert start.headers["location"].startswith(f"{mock_oauth.url}/{provider}/")
            start = await client.get("/auth/github")
            callback = await mock_oauth.aauthorize(start.headers["location"])
            done = await client.get(callback, headers={"accept": "application/json"})
            assert done.status_code == 200, done.text
            token = done.json()["access_token"]
            me = await client.get("/auth/me", headers={"authorization": f"Bearer {token}"})
            assert me.json()["email"] == "grace.hopper@example.com"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err


def test_serve_without_a_secret_fails_naming_provider_and_field(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from apiconform.cli import main

    assert main(["serve", "--port", "0", "--set", 'auth.providers.google.client_id="abc"']) == 2
    err = capsys.readouterr().err
    assert "google" in err
    assert "client_secret" in err
