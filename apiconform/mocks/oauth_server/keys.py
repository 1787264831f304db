"""RSA signing keys for ``id_token``s and the JWKS documents that publish them.

Each OIDC provider gets its own key, made when first needed (2048-bit generation takes
tens of milliseconds, and most tests never ask for one). A client that verified Microsoft
tokens against Google's JWKS would therefore fail here as it would in production.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


class SigningKey:
    """An RSA private key with its ``kid`` (the RFC 7638 thumbprint of the public key)."""

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self.private_key = private_key
        public = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        self.kid = jwk_thumbprint(public)
        self._public_jwk: dict[str, Any] = {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": public["n"],
            "e": public["e"],
        }

    @classmethod
    def generate(cls, bits: int = 2048) -> SigningKey:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=bits))

    def public_jwk(self) -> dict[str, Any]:
        return dict(self._public_jwk)

    def jwks(self) -> dict[str, Any]:
        """A JWKS document holding this key."""
        return {"keys": [self.public_jwk()]}

    def sign(self, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        """``claims`` as an RS256 JWS carrying this key's ``kid``."""
        return jwt.encode(
            claims,
            self.private_key,
            algorithm="RS256",
            headers={"kid": self.kid, **(headers or {})},
        )


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of an RSA JWK: SHA-256 of its required members, base64url."""
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(value: str) -> str:
    """OIDC ``at_hash``: the left half of the SHA-256 of the token, base64url."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


class KeyRing:
    """One signing key per name, generated on first use. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, SigningKey] = {}

    def get(self, name: str) -> SigningKey:
        with self._lock:
            key = self._keys.get(name)
            if key is None:
                key = self._keys[name] = SigningKey.generate()
            return key
