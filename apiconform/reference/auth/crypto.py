"""Provider tokens at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a configured key."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class TokenCipher:
    def __init__(self, key: str | None) -> None:
        # the key was checked with the config
        self._fernet = Fernet(key.encode() if key else Fernet.generate_key())

    def encrypt(self, value: str | None) -> str | None:
        return None if value is None else self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return self._fernet.decrypt(value.encode()).decode()
        except InvalidToken:
            return None  # another key: as if there were no stored token
