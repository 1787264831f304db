"""Verifying webhook signatures as a receiver does (``sha256=<hex HMAC of the body>``)."""

from __future__ import annotations

import hashlib
import hmac


def verify_sha256(body: bytes, header: str, secret: str) -> bool:
    """Whether ``header`` is the HMAC-SHA256 of ``body`` under ``secret``."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.strip())
