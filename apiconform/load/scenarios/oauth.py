"""``oauth``: whole sign-ins against the suite's mock OAuth server (auto-approving):
the target's login path, the mock's authorize URL, the target's callback, then the
current user with the session the callback handed over. Redirects are followed only to
the mock, never to another host."""

from __future__ import annotations

import random
from typing import Any

from locust import FastHttpUser, constant, task

from apiconform.load.scenarios.common import OBSERVED, params


def _location(response: Any) -> str:
    value = (response.headers or {}).get("location")
    return value if isinstance(value, str) else ""


class SignInUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.plan = params()

    def _fail(self, step: str, reason: str) -> None:
        OBSERVED.count("login_failed")
        OBSERVED.count(f"login_failed.{step}")
        self.environment.events.request.fire(
            request_type="FLOW", name=f"login {step}", response_time=0, response_length=0,
            exception=AssertionError(reason), context={},
        )  # fmt: skip

    @task
    def sign_in(self) -> None:
        plan = self.plan
        provider = random.choice(plan["providers"])
        login = plan["login"].replace("{provider}", provider)
        start = self.client.get(login, name=f"{provider} login", allow_redirects=False)
        location = _location(start)
        if not location.startswith(plan["mock_url"] + "/"):
            self._fail("start", f"{provider}: the login answered {start.status_code}, {location!r}")
            return
        consent = self.client.get(location, name=f"{provider} authorize", allow_redirects=False)
        callback = _location(consent).split("#", 1)[0]
        if not callback.startswith(str(self.host).rstrip("/") + "/"):
            self._fail("authorize", f"{provider}: the mock answered {consent.status_code}")
            return
        accept = {"accept": "application/json"}
        answer = self.client.get(
            callback, name=f"{provider} callback", headers=accept, allow_redirects=False
        )
        headers: dict[str, str] = {}
        if plan["session"] == "json":
            token = (answer.json() or {}).get("access_token") if answer.status_code == 200 else None
            if not token:
                self._fail("callback", f"{provider}: the callback answered {answer.status_code}")
                return
            headers["authorization"] = f"Bearer {token}"
        elif answer.status_code not in (200, 302, 303):
            self._fail("callback", f"{provider}: the callback answered {answer.status_code}")
            return
        me = self.client.get(plan["me"], name=f"{provider} me", headers=headers)
        if me.status_code != 200:
            self._fail("me", f"{provider}: the current user answered {me.status_code}")
            return
        OBSERVED.count("logins")
