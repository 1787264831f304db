"""Playing the browser between a target and the suite's mock OAuth server, and reading
the mock's journal (``/_control/requests``) to see what reached the provider."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from apiconform.conformance.context import CheckContext
from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.registry import CheckSkipped

JSON = {"accept": "application/json"}


class Mock:
    """The suite's mock OAuth server, as the auth checks use it."""

    def __init__(self, ctx: CheckContext) -> None:
        if ctx.oauth_mock_url is None:
            raise CheckSkipped(
                "needs the suite's mock OAuth server: a managed target whose start command "
                "takes {oauth_mock_url}"
            )
        self.url = ctx.oauth_mock_url.rstrip("/")
        self._client = httpx.Client(timeout=ctx.timeout)

    def authorize(self, location: str) -> str:
        """The callback URL the (auto-approving) mock redirects the browser to."""
        response = self._client.get(location)
        if not response.is_redirect:
            raise CheckSkipped(
                f"the mock OAuth server refused the authorization request "
                f"({response.status_code}): {response.text[:200]}"
            )
        return str(response.headers["location"]).split("#", 1)[0]

    def _token_records(self, provider: str) -> list[Any]:
        found = self._client.get(
            f"{self.url}/_control/requests", params={"provider": provider, "endpoint": "token"}
        )
        records = found.json().get("requests") if found.status_code == 200 else None
        if not isinstance(records, list):
            raise CheckSkipped(
                f"the mock OAuth server's journal did not answer: {found.status_code}"
            )
        return records

    def token_requests(self, provider: str) -> int:
        return len(self._token_records(provider))

    def refresh_grants(self, provider: str) -> int:
        """The refresh_token grants the provider's token endpoint has received."""
        return sum(
            1
            for record in self._token_records(provider)
            if isinstance(record, dict)
            and (record.get("form") or {}).get("grant_type") == "refresh_token"
        )

    def set_faults(self, provider: str, faults: dict[str, Any]) -> None:
        answer = self._client.put(f"{self.url}/_control/faults/{provider}", json=faults)
        if answer.status_code != 200:
            raise CheckSkipped(f"the mock OAuth server refused the faults: {answer.text[:200]}")

    def put_user(self, provider: str, user_id: str, fields: dict[str, Any]) -> None:
        """Add or change a user of ``provider`` at the mock (a new person, a new email)."""
        answer = self._client.put(f"{self.url}/_control/users/{provider}/{user_id}", json=fields)
        if answer.status_code != 200:
            raise CheckSkipped(f"the mock OAuth server refused the user: {answer.text[:200]}")

    def clear_faults(self) -> None:
        self._client.delete(f"{self.url}/_control/faults")

    def close(self) -> None:
        self._client.close()


def providers(ctx: CheckContext) -> list[str]:
    ctx.require_claim("add-oauth-providers")
    return list(ctx.manifest.auth.providers)


def path(ctx: CheckContext, probe: str, provider: str) -> str:
    template: str = ctx.probe(f"auth.{probe}")
    return template.replace("{provider}", provider)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def start(ctx: CheckContext, client: TargetClient, provider: str) -> httpx.Response:
    """The target's answer to a login start (its redirect, unfollowed)."""
    return client.get(path(ctx, "login", provider))


def provider_location(ctx: CheckContext, mock: Mock, response: httpx.Response) -> str | None:
    """The provider URL a login start redirected to, when it is one on the mock."""
    location = response.headers.get("location", "")
    if response.is_redirect and location.startswith(mock.url + "/"):
        return str(location)
    return None


def session_of(ctx: CheckContext, response: httpx.Response) -> dict[str, Any] | None:
    """How the callback's answer hands over the session: request options that carry it
    to the current-user path, or None when it hands over none."""
    if ctx.manifest.auth.session == "json":
        try:
            body = response.json()
        except ValueError:
            return None
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code in (200, 201) and isinstance(token, str) and token:
            return {"headers": {"authorization": f"Bearer {token}"}}
        return None
    cookie = response.headers.get("set-cookie", "")
    if response.status_code in (200, 201, 302, 303) and "httponly" in cookie.lower():
        return {}  # the client's cookie jar carries it
    return None


def callback_url(
    ctx: CheckContext, mock: Mock, client: TargetClient, provider: str, user: str | None = None
) -> str:
    """A fresh login's callback URL (code and state), as the mock redirects to it; ``user``
    picks the mock's user who approves (a ``login_hint`` the browser adds), else its first."""
    location = provider_location(ctx, mock, start(ctx, client, provider))
    if location is None:
        raise CheckSkipped(f"{provider}: the login does not redirect (see AUTH-OAUTH-01)")
    if user is not None:
        location = f"{location}&{urlencode({'login_hint': user})}"
    return mock.authorize(location)
