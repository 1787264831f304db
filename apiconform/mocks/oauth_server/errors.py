"""Why an OAuth request failed, in terms each provider then renders in its own shape."""

from __future__ import annotations

from typing import Literal

from apiconform.errors import ApiconformError

# RFC 6749 error codes (section 5.2, and 4.1.2.1 for the authorization endpoint).
ErrorKind = Literal[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "unsupported_response_type",
    "invalid_scope",
    "access_denied",
]

# The precise cause, so a provider can pick its own code (GitHub's
# ``bad_verification_code``, Microsoft's AADSTS numbers, Facebook's subcodes).
Reason = Literal[
    "param_missing",
    "param_invalid",
    "param_repeated",
    "client_missing",
    "client_unknown",
    "client_secret_wrong",
    "client_secret_missing",
    "client_mismatch",
    "redirect_mismatch",
    "grant_unsupported",
    "code_unknown",
    "code_expired",
    "code_replayed",
    "pkce_missing",
    "pkce_mismatch",
    "pkce_method",
    "token_unknown",
    "token_expired",
    "token_revoked",
    "scope_widened",
    "fault",
]


class FlowError(Exception):
    """An OAuth request the mock refuses, with the RFC 6749 ``kind`` and the ``reason``."""

    def __init__(self, kind: ErrorKind, reason: Reason, description: str) -> None:
        super().__init__(f"{kind} ({reason}): {description}")
        self.kind: ErrorKind = kind
        self.reason: Reason = reason
        self.description = description
        self.grant_type: str | None = None  # set at the token endpoint, for rendering


class MockOAuthError(ApiconformError):
    """Using the mock went wrong (a helper could not complete what it was asked)."""
