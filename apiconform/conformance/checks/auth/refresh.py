"""AUTH-SEC-02: an expired provider access token is refreshed with the refresh token,
without a new login.

The mock is told to issue access tokens that last two seconds (its
``access_token_lifetime`` fault) while a person the suite adds signs in; once the token
has expired, the target's provider-call probe (``auth.provider_call``) must still succeed,
by one ``refresh_token`` grant at the mock, and the session the sign-in gave must still
be accepted.
"""

from __future__ import annotations

import time

from apiconform.conformance.checks.auth.mock import JSON, Mock, callback_url, path, providers
from apiconform.conformance.checks.auth.mock import session_of as _session_of
from apiconform.conformance.checks.auth.users import person
from apiconform.conformance.context import CheckContext
from apiconform.conformance.registry import CheckSkipped, check, expect

# providers whose sign-in gives a refresh token at the mock (Facebook has none; GitHub
# only for apps that opt in to expiring tokens)
REFRESHING = ("google", "microsoft")
LIFETIME = 2.0


@check("AUTH-SEC-02")
def an_expired_provider_token_is_refreshed(ctx: CheckContext) -> None:
    """WHEN the provider's access token has expired and the target calls the provider for
    the user THEN it uses the refresh token to get a new access token (one refresh_token
    grant at the provider) AND the call succeeds without a new login AND the user's
    session is unaffected. Two calls after the expiry make one refresh: the new token is
    kept."""
    claimed = providers(ctx)
    provider = next((p for p in claimed if p in REFRESHING), None)
    if provider is None:
        raise CheckSkipped(
            f"none of the target's providers ({', '.join(claimed)}) issues refresh tokens "
            f"at the mock ({', '.join(REFRESHING)} do)"
        )
    mock = Mock(ctx)
    try:
        user_id, profile = person(provider)
        mock.put_user(provider, user_id, profile)
        client = ctx.client()
        mock.set_faults(provider, {"access_token_lifetime": LIFETIME})
        try:
            answer = client.get(callback_url(ctx, mock, client, provider, user_id), headers=JSON)
        finally:
            mock.clear_faults()
        session = _session_of(ctx, answer)
        if session is None:
            raise CheckSkipped(
                f"{provider}: the sign-in handed over no session ({answer.status_code}; see "
                f"AUTH-OAUTH-02): {answer.text[:200]}"
            )
        route = path(ctx, "provider_call", provider)
        fresh = client.get(route, **session)
        if fresh.status_code in (404, 405, 501):
            raise CheckSkipped(f"the provider-call probe answered GET {route} {fresh.status_code}")
        if not fresh.is_success:
            raise CheckSkipped(
                f"{provider}: the provider-call probe failed before any expiry: "
                f"{fresh.status_code} {fresh.text[:200]}"
            )
        time.sleep(LIFETIME + 1.0)
        before = mock.refresh_grants(provider)
        calls = [client.get(route, **session) for _ in range(2)]
        grants = mock.refresh_grants(provider) - before
        expect(
            grants >= 1,
            "AUTH-SEC-02.refreshed",
            f"{provider}: after the access token expired the provider call answered "
            f"{calls[0].status_code} with no refresh_token grant at the provider",
        )
        expect(
            grants == 1,
            "AUTH-SEC-02.once",
            f"{provider}: two provider calls after the expiry made {grants} refresh_token "
            f"grants (answers {[c.status_code for c in calls]}): the new access token was "
            "not kept",
        )
        expect(
            calls[0].is_success,
            "AUTH-SEC-02.succeeds",
            f"{provider}: the provider call that found the token expired answered "
            f"{calls[0].status_code}: {calls[0].text[:200]}",
        )
        me = client.get(ctx.probe("auth.me"), **session)
        expect(
            me.status_code == 200,
            "AUTH-SEC-02.session",
            f"{provider}: after the provider token was refreshed the user's session was "
            f"refused: {me.status_code}",
        )
    finally:
        mock.close()
