"""Node OAuth clients log in against the mock over real HTTP on 127.0.0.1.

``node/app.js`` is a small express app with passport (or openid-client), configured as for
the real provider except for the endpoint URLs and the credentials. The test plays the
browser: GET /login, follow every redirect through the mock's auto-approve flow back to the
app's callback, where the app exchanges the code, reads the profile, renews its token
(refresh, or Facebook's long-lived exchange) and reads the profile again; it prints the
outcome as one JSON line, which is checked against the mock's own records.

The packages come from ``node/package-lock.json`` (``npm ci --prefix
tests/mocks/interop/node``, which ``.ci/run`` and ``scripts/test`` run). Without ``node``
and ``npm`` on the machine these tests skip; with them but without the packages they fail,
naming the command.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiconform.mocks.oauth_server import MockOAuthServer
from apiconform.mocks.oauth_server.microsoft import pairwise_sub
from tests.mocks.interop.expect import USERS, Login, check_login

NODE_DIR = Path(__file__).parent / "node"
INSTALL = "npm ci --prefix tests/mocks/interop/node"
START_TIMEOUT = 30.0
LOGIN_TIMEOUT = 30.0

CASES = [
    ("passport-google-oauth20", "google"),
    ("passport-github2", "github"),
    ("passport-facebook", "facebook"),
    ("passport-microsoft", "microsoft"),
    ("openid-client", "google"),
    ("openid-client", "microsoft"),
]


@pytest.fixture(scope="module")
def node() -> str:
    """The ``node`` binary, once the interop package's dependencies are installed."""
    binary = shutil.which("node")
    if binary is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: the Node OAuth clients cannot run")
    missing = [
        package
        for package in json.loads((NODE_DIR / "package.json").read_text())["dependencies"]
        if not (NODE_DIR / "node_modules" / package / "package.json").is_file()
    ]
    if missing:
        pytest.fail(
            f"the Node clients are not installed ({', '.join(missing)} missing): run {INSTALL}"
        )
    return binary


class NodeApp:
    """The app's process and the JSON lines it prints."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("{"):
                self.lines.put(json.loads(line))

    def next_line(self, timeout: float) -> dict[str, Any]:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(
                f"the Node app printed nothing in {timeout}s (exit status {self.process.poll()})"
            ) from None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._reader.join(timeout=10)  # the pipe reaches its end with the process
        assert self.process.stdout is not None
        self.process.stdout.close()


@contextmanager
def node_app(node: str, client: str, provider: str, mock: MockOAuthServer) -> Iterator[NodeApp]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "NODE_ENV": "test",
        "CLIENT": client,
        "PROVIDER": provider,
        "MOCK_URL": mock.url,
        "CLIENT_ID": mock.client_id,
        "CLIENT_SECRET": mock.client_secret or "",
    }
    process = subprocess.Popen(
        [node, str(NODE_DIR / "app.js")],
        cwd=NODE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    app = NodeApp(process)
    try:
        yield app
    finally:
        app.stop()


def log_in(app: NodeApp) -> tuple[dict[str, Any], httpx.Response]:
    """Play the browser from the app's /login to its callback's answer."""
    started = app.next_line(START_TIMEOUT)
    assert "listening" in started, started
    base = f"http://127.0.0.1:{started['listening']}"
    with httpx.Client(follow_redirects=True, timeout=LOGIN_TIMEOUT) as browser:
        response = browser.get(f"{base}/login")
    printed = app.next_line(LOGIN_TIMEOUT)
    return printed, response


@pytest.mark.parametrize(("client", "provider"), CASES, ids=[f"{c}-{p}" for c, p in CASES])
def test_node_client_logs_in(
    node: str, mock_oauth: MockOAuthServer, client: str, provider: str
) -> None:
    with node_app(node, client, provider, mock_oauth) as app:
        printed, response = log_in(app)
    assert "error" not in printed, printed
    assert response.json() == printed
    assert (printed["client"], printed["provider"]) == (client, provider)
    hops = [str(r.url) for r in response.history]
    assert any(hop.startswith(mock_oauth.url) for hop in hops)  # the browser went via the mock
    login = Login(
        user_id=printed["user"]["id"],
        email=printed["user"]["email"],
        access_token=printed["tokens"]["access"],
        refresh_token=printed["tokens"]["refresh"],
        renewed_token=printed["renewed"]["access"],
        renewed_user_id=printed["renewed"]["user_id"],
    )
    user_id = None
    if client == "openid-client" and provider == "microsoft":  # the OIDC sub is pairwise
        user_id = pairwise_sub(USERS[provider][0], mock_oauth.client_id)
    check_login(mock_oauth, provider, login, user_id=user_id, by_fingerprint=True)
    token_request = mock_oauth.requests.find(provider, "token")[0]
    assert token_request.form["code_verifier"]  # every one of them used PKCE
    if provider == "facebook":  # enableProof: the Graph call carried a valid proof
        assert mock_oauth.requests.last(provider, "me").query["appsecret_proof"]
