"""One normalised profile from each provider's own shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class MalformedProfile(ValueError):
    """The provider's answer lacks what a profile needs."""


@dataclass(frozen=True)
class Profile:
    provider: str
    provider_id: str
    email: str | None
    email_verified: bool
    name: str | None
    avatar_url: str | None
    raw: dict[str, Any]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
        raise MalformedProfile("the profile has no user id")
    return str(value)


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedProfile("the profile is not a JSON object")
    return value


def google(claims: dict[str, Any], userinfo: Any) -> Profile:
    info = _object(userinfo)
    if str(info.get("sub")) != str(claims.get("sub")):
        raise MalformedProfile("userinfo is about another subject than the id_token")
    merged = {**claims, **info}
    email = _text(merged.get("email"))
    return Profile(
        "google",
        _id(merged.get("sub")),
        email,
        bool(email) and merged.get("email_verified") is True,
        _text(merged.get("name")),
        _text(merged.get("picture")),
        info,
    )


def microsoft(claims: dict[str, Any], me: Any) -> Profile:
    info = _object(me)
    user_id = _id(claims.get("oid") or info.get("id"))
    if info.get("id") is not None and str(info["id"]) != user_id:
        raise MalformedProfile("Graph /me is about another user than the id_token")
    email = _text(info.get("mail")) or _text(info.get("userPrincipalName"))
    claimed = _text(claims.get("email"))
    # verified only when the id_token asserts it (xms_edov) for this very address
    verified = (
        email is not None
        and claimed is not None
        and claimed.lower() == email.lower()
        and claims.get("xms_edov") in (True, 1, "1", "true")
    )
    return Profile(
        "microsoft", user_id, email, verified, _text(info.get("displayName")), None, info
    )


def github(user: Any, emails: Any) -> Profile:
    info = _object(user)
    email, verified = _text(info.get("email")), False
    entries = emails if isinstance(emails, list) else []
    primary = next((e for e in entries if isinstance(e, dict) and e.get("primary")), None)
    if primary is not None and _text(primary.get("email")):
        email, verified = primary["email"], primary.get("verified") is True
    elif email is not None:
        listed = next((e for e in entries if isinstance(e, dict) and e.get("email") == email), None)
        verified = listed is not None and listed.get("verified") is True
    return Profile(
        "github",
        _id(info.get("id")),
        email,
        verified,
        _text(info.get("name")) or _text(info.get("login")),
        _text(info.get("avatar_url")),
        info,
    )


def facebook(me: Any) -> Profile:
    info = _object(me)
    picture = info.get("picture")
    url = None
    if isinstance(picture, dict) and isinstance(picture.get("data"), dict):
        url = _text(picture["data"].get("url"))
    email = _text(info.get("email"))
    # Facebook only ever hands out a confirmed address
    return Profile(
        "facebook",
        _id(info.get("id")),
        email,
        email is not None,
        _text(info.get("name")),
        url,
        info,
    )
