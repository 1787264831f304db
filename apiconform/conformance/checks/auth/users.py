"""AUTH-SYNC-01 and AUTH-SYNC-02: the user a provider sign-in creates, and finding it again.

Each check signs in a person the suite adds to the mock (a nonce id, name, email and
picture, so no earlier run or check shares it) and reads the target's current-user answer.
That answer's shape is the target's own: the checks look for the values anywhere in it,
and for fields by name (``id``; ``email_verified``/``emailVerified``;
``last_login_at``/``lastLogin``...) at any depth; a field the target does not show leaves
its clause unchecked, never failed.
"""

from __future__ import annotations

import random
import time
from datetime import datetime
from typing import Any

from apiconform.conformance.checks.auth.mock import (
    JSON,
    Mock,
    callback_url,
    providers,
    session_of,
)
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import new_id
from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.registry import CheckSkipped, check, expect

# providers whose profile says whether the address is verified (Google's email_verified
# claim, GitHub's /user/emails); Facebook and Microsoft do not say
ASSERTS_VERIFIED = ("google", "github")
ID_FIELDS = ("id", "userid", "uid", "sub")
VERIFIED_FIELDS = ("emailverified", "verified")
LAST_LOGIN_FIELDS = ("lastloginat", "lastlogin", "lastsigninat", "lastsignin", "lastloginon")


def _key(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def field(body: Any, names: tuple[str, ...]) -> Any:
    """The first value of a key named like one of ``names`` (any case, ``_`` or ``-``),
    at the top of ``body`` first, then deeper; None when there is none."""
    if isinstance(body, dict):
        for key, value in body.items():
            if _key(str(key)) in names:
                return value
        for value in body.values():
            found = field(value, names)
            if found is not None:
                return found
    if isinstance(body, list):
        for item in body:
            found = field(item, names)
            if found is not None:
                return found
    return None


def strings(body: Any) -> set[str]:
    """Every string and number in ``body``, as text."""
    if isinstance(body, dict):
        return {s for value in body.values() for s in strings(value)}
    if isinstance(body, list):
        return {s for item in body for s in strings(item)}
    if isinstance(body, str | int) and not isinstance(body, bool):
        return {str(body)}
    return set()


def person(provider: str, *, verified: bool = True) -> tuple[str, dict[str, Any]]:
    """A new person at the mock: its id (digits: GitHub's are numbers) and profile."""
    user_id = str(random.randint(10**11, 10**12 - 1))
    nonce = new_id("user")
    return user_id, {
        "name": f"Probe {nonce}",
        "email": f"{nonce}@example.com",
        "email_verified": verified,
        "picture": f"https://avatars.example.com/{nonce}.png",
        "username": nonce,
    }


def signed_in(
    ctx: CheckContext, mock: Mock, client: TargetClient, provider: str, user_id: str
) -> Any:
    """The current-user answer after ``user_id`` signs in with ``provider``; the check
    skips when the sign-in itself does not work (AUTH-OAUTH-02's business)."""
    answer = client.get(callback_url(ctx, mock, client, provider, user_id), headers=JSON)
    session = session_of(ctx, answer)
    if session is None:
        raise CheckSkipped(
            f"{provider}: the sign-in handed over no session ({answer.status_code}; see "
            "AUTH-OAUTH-02)"
        )
    me = client.get(ctx.probe("auth.me"), **session)
    if me.status_code != 200:
        raise CheckSkipped(f"{provider}: the current user answered {me.status_code}")
    try:
        return me.json()
    except ValueError:
        raise CheckSkipped("the current-user answer is not JSON") from None


@check("AUTH-SYNC-01")
def a_first_sign_in_creates_the_user_from_the_profile(ctx: CheckContext) -> None:
    """WHEN a person signs in with a provider for the first time THEN a user is created AND
    it holds the provider's name and provider user id AND its email, name and avatar come
    from the provider (an avatar URL the target rewrites leaves that part unchecked)
    AND emailVerified is true when the provider verified the address
    (and false when it says it did not)."""
    mock = Mock(ctx)
    claimed = providers(ctx)
    provider = next((p for p in claimed if p in ASSERTS_VERIFIED), claimed[0])
    try:
        user_id, profile = person(provider)
        mock.put_user(provider, user_id, profile)
        me = signed_in(ctx, mock, ctx.client(), provider, user_id)
        shown = {s.lower() for s in strings(me)}
        expect(
            profile["email"].lower() in shown,
            "AUTH-SYNC-01.created",
            f"{provider}: the new user's current-user answer does not hold the provider's "
            f"email {profile['email']}: {str(me)[:300]}",
        )
        # the name whole, or its parts (given and family name kept apart)
        named = profile["name"].lower() in shown or all(
            part in shown for part in profile["name"].lower().split()
        )
        expect(
            named,
            "AUTH-SYNC-01.profile",
            f"{provider}: the new user lacks the provider's name: {str(me)[:300]}",
        )
        if profile["picture"].lower() not in shown:  # a proxied or resized avatar moves
            ctx.unchecked("the current-user answer shows not the provider's avatar URL")
        if user_id in shown:
            expect(
                provider in shown,
                "AUTH-SYNC-01.provider",
                f"the current user shows the provider id {user_id} but not the provider {provider}",
            )
        else:
            ctx.unchecked("the current-user answer shows no provider user id")
        if provider not in ASSERTS_VERIFIED:
            ctx.unchecked(f"{provider} does not say whether an email is verified")
            return
        if field(me, VERIFIED_FIELDS) is None:
            ctx.unchecked("the current-user answer shows no email_verified")
            return
        unverified_id, unverified = person(provider, verified=False)
        mock.put_user(provider, unverified_id, unverified)
        other = signed_in(ctx, mock, ctx.client(), provider, unverified_id)
        flags = (field(me, VERIFIED_FIELDS), field(other, VERIFIED_FIELDS))
        expect(
            flags == (True, False),
            "AUTH-SYNC-01.verified",
            f"{provider}: email_verified is {flags[0]!r} for a verified address and "
            f"{flags[1]!r} for one the provider did not verify (true, false expected)",
        )
    finally:
        mock.close()


def _moment(value: Any) -> float | None:
    """A timestamp as Unix seconds: a number (seconds or milliseconds) or ISO 8601."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / (1000 if value > 10**11 else 1)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


@check("AUTH-SYNC-02")
def a_returning_user_is_found_by_provider_id(ctx: CheckContext) -> None:
    """WHEN a person signs in again THEN the user is found by provider and provider id
    (the same user, though the email changed at the provider in between) AND its last
    login time is updated."""
    mock = Mock(ctx)
    provider = providers(ctx)[0]
    try:
        user_id, profile = person(provider)
        mock.put_user(provider, user_id, profile)
        first = signed_in(ctx, mock, ctx.client(), provider, user_id)
        identity = field(first, ID_FIELDS)
        if identity is None:
            raise CheckSkipped("the current-user answer shows no user id")
        time.sleep(1.1)  # a later second, for targets that keep whole seconds
        mock.put_user(provider, user_id, {"email": f"{new_id('moved')}@example.com"})
        second = signed_in(ctx, mock, ctx.client(), provider, user_id)
        expect(
            field(second, ID_FIELDS) == identity,
            "AUTH-SYNC-02.same-user",
            f"{provider}: the same provider id signed in as user {identity!r}, then, with "
            f"a new email at the provider, as {field(second, ID_FIELDS)!r}",
        )
        before, after = (_moment(field(b, LAST_LOGIN_FIELDS)) for b in (first, second))
        if before is None or after is None:
            ctx.unchecked("the current-user answer shows no last login time")
            return
        expect(
            after > before,
            "AUTH-SYNC-02.last-login",
            f"{provider}: the last login stayed at {field(first, LAST_LOGIN_FIELDS)!r} "
            "after a second sign-in",
        )
    finally:
        mock.close()
