"""The auth feature's HTTP errors, rendered as RFC 9457 problems by the errors feature."""

from __future__ import annotations

from typing import Any

from apiconform.reference.errors.exceptions import (
    Conflict,
    ServiceUnavailable,
    Unauthorized,
)


class StateRejected(Unauthorized):
    slug = "oauth-state"

    def __init__(self) -> None:
        super().__init__(
            "the sign-in could not be verified (unknown, expired or already used state): "
            "start the sign-in again",
            title="Invalid OAuth state",
        )


class LoginFailed(Unauthorized):
    slug = "oauth-login-failed"

    def __init__(self, provider: str) -> None:
        super().__init__(f"{provider} did not confirm the sign-in: start it again")


class NotSignedIn(Unauthorized):
    slug = "not-signed-in"

    def __init__(self) -> None:
        super().__init__("sign in first: a valid session token is required")


class BadCredentials(Unauthorized):
    slug = "bad-credentials"

    def __init__(self) -> None:
        super().__init__("email or password is wrong")


class AccountConflictError(Conflict):
    def __init__(self, reason: str) -> None:
        super().__init__(reason, title="Account conflict")


class ProviderDown(ServiceUnavailable):
    slug = "provider-unavailable"

    def __init__(self, provider: str, alternatives: list[dict[str, Any]]) -> None:
        super().__init__(
            f"{provider} sign-in is unavailable right now: try again later or use another "
            "sign-in method",
            retry_after=30,
            extensions={"provider": provider, "alternatives": alternatives},
        )
