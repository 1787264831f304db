"""AUTH-LINK-01, AUTH-LINK-02 and AUTH-USER-01: a local account that links a provider
account, and signs in either way as one identity.

Each check registers local users with nonce emails (``auth.signup``), links a person
the suite adds to the mock (``auth.link``, with the user's session) and signs in again
with the password (``auth.local_login``) and with the provider. Identities are compared by
the ``id`` the current-user answer shows, wherever it shows it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from apiconform.conformance.checks.auth.mock import (
    JSON,
    Mock,
    callback_url,
    path,
    provider_location,
    providers,
    session_of,
)
from apiconform.conformance.checks.auth.users import ID_FIELDS, field, person, signed_in, strings
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import json_body, new_id
from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.registry import CheckSkipped, check, expect

PASSWORD_FIELDS = ("haspassword", "passwordset", "localaccount", "haslocalpassword")
PROBE_MISSING = (404, 405, 501)


@dataclass
class LocalUser:
    email: str
    password: str
    client: TargetClient
    session: dict[str, Any]
    identity: Any


def _me(ctx: CheckContext, client: TargetClient, session: dict[str, Any]) -> Any:
    answer = client.get(ctx.probe("auth.me"), **session)
    if answer.status_code != 200:
        raise CheckSkipped(f"the current user answered {answer.status_code} (see AUTH-OAUTH-02)")
    return json_body(answer)


def register(ctx: CheckContext, email: str | None = None) -> LocalUser:
    """A new local user, signed in; skips when the register probe does not work."""
    email = email or f"{new_id('local')}@example.com"
    password = f"Pw-{secrets.token_urlsafe(12)}"
    client = ctx.client()
    route = ctx.probe("auth.signup")
    answer = client.post(
        route, json={"email": email, "password": password, "name": f"Local {email}"}, headers=JSON
    )
    session = session_of(ctx, answer) if answer.is_success else None
    if session is None:
        raise CheckSkipped(
            f"the register probe answered POST {route} {answer.status_code} without a "
            f"session: {answer.text[:200]}"
        )
    identity = field(_me(ctx, client, session), ID_FIELDS)
    if identity is None:
        raise CheckSkipped("the current-user answer shows no user id")
    return LocalUser(email, password, client, session, identity)


def local_login(ctx: CheckContext, user: LocalUser) -> tuple[httpx.Response, Any]:
    """The password sign-in's answer and the identity it gives (None without a session)."""
    client = ctx.client()
    answer = client.post(
        ctx.probe("auth.local_login"),
        json={"email": user.email, "password": user.password},
        headers=JSON,
    )
    session = session_of(ctx, answer)
    if session is None:
        return answer, None
    return answer, field(_me(ctx, client, session), ID_FIELDS)


def link(
    ctx: CheckContext,
    mock: Mock,
    user: LocalUser,
    provider: str,
    person_id: str,
    *,
    owner: bool = False,
) -> httpx.Response:
    """The callback's answer after ``user`` links the mock's ``person_id``. A link start
    that does not redirect to the provider fails AUTH-LINK-01 (``owner``), and makes the
    other checks skip naming it."""
    route = path(ctx, "link", provider)
    started = user.client.post(route, **user.session)
    if started.status_code in PROBE_MISSING:
        raise CheckSkipped(f"the link probe answered POST {route} {started.status_code}")
    location = provider_location(ctx, mock, started)
    problem = (
        f"{provider}: starting to link answered {started.status_code} "
        f"{started.headers.get('location', '')[:200]!r}, not a redirect to the provider"
    )
    if location is None and not owner:
        raise CheckSkipped(f"{problem} (see AUTH-LINK-01)")
    expect(location is not None, "AUTH-LINK-01.flow", problem)
    assert location is not None
    callback = mock.authorize(f"{location}&{urlencode({'login_hint': person_id})}")
    headers = {**JSON, **user.session.get("headers", {})}
    return user.client.get(callback, **{**user.session, "headers": headers})


def provider_identity(ctx: CheckContext, mock: Mock, provider: str, person_id: str) -> Any:
    """The identity a provider sign-in as ``person_id`` gives (a fresh browser)."""
    return field(signed_in(ctx, mock, ctx.client(), provider, person_id), ID_FIELDS)


def refused_or_identity(ctx: CheckContext, mock: Mock, provider: str, person_id: str) -> Any:
    """Like :func:`provider_identity`, but None when the sign-in is refused."""
    client = ctx.client()
    answer = client.get(callback_url(ctx, mock, client, provider, person_id), headers=JSON)
    session = session_of(ctx, answer)
    return None if session is None else field(_me(ctx, client, session), ID_FIELDS)


def _linked_user(
    ctx: CheckContext, mock: Mock, *, owner: bool = False
) -> tuple[LocalUser, str, str, httpx.Response]:
    """A local user who linked a new person at the mock (an email no one uses)."""
    provider = providers(ctx)[0]
    user = register(ctx)
    person_id, profile = person(provider)
    mock.put_user(provider, person_id, profile)
    return user, provider, person_id, link(ctx, mock, user, provider, person_id, owner=owner)


@check("AUTH-LINK-01")
def a_signed_in_user_links_a_provider_account(ctx: CheckContext) -> None:
    """WHEN an authenticated user starts linking a provider THEN the OAuth flow completes
    AND the provider data is associated with the current user AND later sign-ins work
    with either the password or the provider, as that user."""
    mock = Mock(ctx)
    try:
        user, provider, person_id, answer = _linked_user(ctx, mock, owner=True)
        expect(
            answer.status_code < 400,
            "AUTH-LINK-01.completed",
            f"{provider}: the linking callback answered {answer.status_code}: {answer.text[:300]}",
        )
        identity = provider_identity(ctx, mock, provider, person_id)
        expect(
            identity == user.identity,
            "AUTH-LINK-01.associated",
            f"{provider}: after user {user.identity!r} linked the account, signing in with "
            f"it gave user {identity!r}",
        )
        login, again = local_login(ctx, user)
        expect(
            again == user.identity,
            "AUTH-LINK-01.either-way",
            f"after linking {provider}, the password sign-in of user {user.identity!r} "
            f"gave {again!r}: {login.status_code} {login.text[:200]}",
        )
    finally:
        mock.close()


@check("AUTH-USER-01")
def a_user_with_both_methods_is_one_identity(ctx: CheckContext) -> None:
    """WHEN a user has both a password and a provider account THEN both are stored (the
    current-user answer shows the provider account and, when it says, a password) AND the
    user signs in with any configured method AND keeps one identity across them."""
    mock = Mock(ctx)
    try:
        user, provider, person_id, answer = _linked_user(ctx, mock)
        if answer.status_code >= 400:
            raise CheckSkipped(f"linking {provider} failed ({answer.status_code}; AUTH-LINK-01)")
        me = _me(ctx, user.client, user.session)
        shown = strings(me)
        if person_id in shown:
            expect(
                provider in shown,
                "AUTH-USER-01.stored",
                f"the user shows the provider id {person_id} but not {provider}: {str(me)[:300]}",
            )
        else:
            ctx.unchecked("the current-user answer shows no provider account")
        flag = field(me, PASSWORD_FIELDS)
        if flag is not None:
            expect(
                flag is True,
                "AUTH-USER-01.stored-password",
                f"the user signed up with a password, yet shows {flag!r} for it",
            )
        login, by_password = local_login(ctx, user)
        by_provider = provider_identity(ctx, mock, provider, person_id)
        expect(
            by_password is not None,
            "AUTH-USER-01.any-method",
            f"the password sign-in of a user with a linked {provider} account answered "
            f"{login.status_code} without a session",
        )
        expect(
            by_password == by_provider == user.identity,
            "AUTH-USER-01.single-identity",
            f"one user signed in as {user.identity!r} (sign-up), {by_password!r} (password) "
            f"and {by_provider!r} ({provider})",
        )
    finally:
        mock.close()


@check("AUTH-LINK-02")
def linking_another_users_email_is_refused(ctx: CheckContext) -> None:
    """WHEN a user links a provider account whose email is in use THEN the target checks
    whose it is AND links only when it is the user's own AND refuses another user's email
    (a 409 problem, nothing linked)."""
    mock = Mock(ctx)
    provider = providers(ctx)[0]
    try:
        owner, user = register(ctx), register(ctx)
        theirs_id, theirs = person(provider)
        theirs["email"] = owner.email
        mock.put_user(provider, theirs_id, theirs)
        refused = link(ctx, mock, user, provider, theirs_id)
        expect(
            refused.status_code == 409,
            "AUTH-LINK-02.refused",
            f"{provider}: linking an account with another user's email answered "
            f"{refused.status_code}, not 409: {refused.text[:300]}",
        )
        expect(
            refused.headers.get("content-type", "").startswith("application/problem+json"),
            "AUTH-LINK-02.problem",
            f"{provider}: the refusal is {refused.headers.get('content-type')!r}, not a problem",
        )
        identity = refused_or_identity(ctx, mock, provider, theirs_id)
        expect(
            identity != user.identity,
            "AUTH-LINK-02.unchanged",
            f"{provider}: the refused account signs in as user {user.identity!r}, who tried "
            "to link it",
        )
        own_id, own = person(provider)
        own["email"] = user.email
        mock.put_user(provider, own_id, own)
        allowed = link(ctx, mock, user, provider, own_id)
        expect(
            allowed.status_code < 400
            and provider_identity(ctx, mock, provider, own_id) == user.identity,
            "AUTH-LINK-02.own-email",
            f"{provider}: linking an account with the user's own email answered "
            f"{allowed.status_code} {allowed.text[:200]}; it must link to that user",
        )
    finally:
        mock.close()
