"""PKCE (RFC 7636): checking the challenge at authorize, the verifier at the token endpoint."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from apiconform.mocks.oauth_server.errors import FlowError

# 43 to 128 unreserved characters, for verifiers and for challenges alike (used with
# fullmatch: "$" would let a trailing newline through).
_SHAPE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def s256(verifier: str) -> str:
    """The S256 challenge of ``verifier``."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def check_challenge(
    challenge: str | None, method: str | None, *, plain_allowed: bool, required: bool
) -> str | None:
    """The challenge method to remember (None without PKCE); a bad request raises
    ``invalid_request``. A challenge without a method is ``plain`` (RFC 7636 4.3)."""
    if challenge is None:
        if method is not None:
            raise FlowError(
                "invalid_request", "param_invalid", "code_challenge_method without code_challenge."
            )
        if required:
            raise FlowError("invalid_request", "pkce_missing", "code_challenge is required.")
        return None
    method = method or "plain"
    if method not in ("S256", "plain") or (method == "plain" and not plain_allowed):
        raise FlowError(
            "invalid_request", "pkce_method", f"Unsupported code_challenge_method: {method}."
        )
    if not _SHAPE.fullmatch(challenge):
        raise FlowError(
            "invalid_request", "param_invalid", "code_challenge must be 43-128 URL-safe characters."
        )
    return method


def verify(verifier: str | None, challenge: str | None, method: str | None) -> None:
    """Raise ``invalid_grant`` unless ``verifier`` answers the code's challenge.

    A code issued without a challenge takes no verifier: one sent anyway means the
    challenge was stripped from the authorization request (RFC 9700 section 2.1.1).
    """
    if challenge is None:
        if verifier is not None:
            raise FlowError(
                "invalid_grant",
                "pkce_mismatch",
                "code_verifier given, but the authorization request had no code_challenge.",
            )
        return
    if verifier is None:
        raise FlowError("invalid_grant", "pkce_missing", "Missing code verifier.")
    # The shape first: s256 takes ASCII only, and no other verifier is valid anyway.
    if not _SHAPE.fullmatch(verifier):
        raise FlowError("invalid_grant", "pkce_mismatch", "Invalid code verifier.")
    computed = s256(verifier) if method == "S256" else verifier
    if not hmac.compare_digest(computed, challenge):
        raise FlowError("invalid_grant", "pkce_mismatch", "Invalid code verifier.")
