"""AUTH-OAUTH-01..03: the login redirect, the callback and its state check."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from apiconform.conformance.checks.auth.mock import (
    JSON,
    Mock,
    provider_location,
    providers,
    query,
    session_of,
    start,
)
from apiconform.conformance.context import CheckContext
from apiconform.conformance.registry import CheckSkipped, check, expect

# 128 bits of entropy in base64url (22 characters) or hex (32): at least 22 characters
MIN_STATE = 22


@check("AUTH-OAUTH-01")
def login_redirects_with_state_scopes_and_pkce(ctx: CheckContext) -> None:
    """Starting a login redirects to the provider's authorize URL (here, the mock's) with
    response_type=code, the client id, a redirect_uri back to the target and the configured
    scopes, a state for CSRF protection (fresh for each login, at least 128 bits) and a
    PKCE S256 challenge."""
    mock = Mock(ctx)
    try:
        for provider in providers(ctx):
            client = ctx.client()
            first, second = start(ctx, client, provider), start(ctx, client, provider)
            location = provider_location(ctx, mock, first)
            params = query(location or "")
            expect(
                location is not None
                and params.get("response_type") == "code"
                and bool(params.get("client_id"))
                and bool(params.get("scope", "").replace(",", " ").split())
                and params.get("redirect_uri", "").startswith(("http://", "https://")),
                "AUTH-OAUTH-01.redirect",
                f"{provider}: the login did not redirect to the provider's authorize URL with "
                f"response_type=code, client_id, redirect_uri and scope: {first.status_code} "
                f"{first.headers.get('location', '')[:300]}",
            )
            states = {
                params.get("state", ""),
                query(second.headers.get("location", "")).get("state"),
            }
            expect(
                len(params.get("state", "")) >= MIN_STATE and len(states) == 2,
                "AUTH-OAUTH-01.state",
                f"{provider}: the state must be fresh for each login and at least 128 bits; "
                f"two logins gave {sorted(s or '' for s in states)}",
            )
            expect(
                params.get("code_challenge_method") == "S256"
                and len(params.get("code_challenge", "")) >= 43,
                "AUTH-OAUTH-01.pkce",
                f"{provider}: no PKCE S256 challenge in the authorization request",
            )
    finally:
        mock.close()


@check("AUTH-OAUTH-02")
def callback_issues_a_session(ctx: CheckContext) -> None:
    """A valid callback: the target checks the state, exchanges the code (the mock sees the
    token request), reads the profile, saves the user and issues a session JWT, which the
    current-user path accepts."""
    mock = Mock(ctx)
    me = ctx.probe("auth.me")
    try:
        for provider in providers(ctx):
            client = ctx.client()
            location = provider_location(ctx, mock, start(ctx, client, provider))
            if location is None:
                raise CheckSkipped(f"{provider}: the login does not redirect (see AUTH-OAUTH-01)")
            callback = mock.authorize(location)
            before = mock.token_requests(provider)
            answer = client.get(callback, headers=JSON)
            expect(
                mock.token_requests(provider) > before,
                "AUTH-OAUTH-02.exchanged",
                f"{provider}: the callback answered {answer.status_code} without exchanging "
                "the code at the provider's token endpoint",
            )
            session = session_of(ctx, answer)
            expect(
                session is not None,
                "AUTH-OAUTH-02.session",
                f"{provider}: the callback handed over no session "
                f"({ctx.manifest.auth.session}): {answer.status_code} {answer.text[:300]}",
            )
            assert session is not None
            user = client.get(me, **session)
            expect(
                user.status_code == 200,
                "AUTH-OAUTH-02.signed-in",
                f"{provider}: {me} did not accept the new session: {user.status_code}",
            )
    finally:
        mock.close()


def _with_state(callback: str, state: str | None) -> str:
    parts = urlsplit(callback)
    params = query(callback)
    if state is None:
        params.pop("state", None)
    else:
        params["state"] = state
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(params)}"


@check("AUTH-OAUTH-03")
def invalid_state_is_refused_before_the_exchange(ctx: CheckContext) -> None:
    """A callback whose state is missing, altered or already used is answered 401, and the
    code is never exchanged: the mock sees no token request, so no profile is read and no
    user can be created or changed from it."""
    mock = Mock(ctx)
    provider = providers(ctx)[0]
    try:
        client = ctx.client()
        cases: list[tuple[str, str]] = []
        for case in ("missing", "altered"):
            location = provider_location(ctx, mock, start(ctx, client, provider))
            if location is None:
                raise CheckSkipped(f"{provider}: the login does not redirect (see AUTH-OAUTH-01)")
            callback = mock.authorize(location)
            state = query(callback).get("state", "")
            altered = (
                None
                if case == "missing"
                else state[:-4] + ("AAAA" if state[-4:] != "AAAA" else "BBBB")
            )
            cases.append((case, _with_state(callback, altered)))
        location = provider_location(ctx, mock, start(ctx, client, provider))
        assert location is not None
        used = mock.authorize(location)
        client.get(used, headers=JSON)  # its first use, whatever the answer
        cases.append(("replayed", used))
        for case, url in cases:
            before = mock.token_requests(provider)
            answer = client.get(url, headers=JSON)
            expect(
                answer.status_code == 401,
                "AUTH-OAUTH-03.status",
                f"a callback with a {case} state was answered {answer.status_code}, not 401",
            )
            expect(
                mock.token_requests(provider) == before,
                "AUTH-OAUTH-03.no-exchange",
                f"the target exchanged the code of a callback with a {case} state before "
                "refusing it",
            )
    finally:
        mock.close()
