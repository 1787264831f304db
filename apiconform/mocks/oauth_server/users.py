"""The seeded users of each provider, changeable at run time (to test profile sync)."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from apiconform.mocks.oauth_server.config import MockUser, ProviderName
from apiconform.mocks.oauth_server.faults import Faults


class UserDirectory:
    """Users per provider, in configuration order. Thread-safe."""

    def __init__(self, seeded: Mapping[ProviderName, Sequence[MockUser]]) -> None:
        self._seeded: dict[str, list[MockUser]] = {str(p): list(u) for p, u in seeded.items()}
        self._lock = threading.Lock()
        self._users = {p: {u.id: u for u in users} for p, users in self._seeded.items()}

    def list(self, provider: str) -> list[MockUser]:
        with self._lock:
            return list(self._users[provider].values())

    def get(self, provider: str, user_id: str) -> MockUser | None:
        with self._lock:
            return self._users[provider].get(user_id)

    def choose(self, provider: str, hint: str | None) -> MockUser:
        """The user ``hint`` names (id, email or username), else the provider's first."""
        users = self.list(provider)
        if hint:
            for user in users:
                if user.matches(hint):
                    return user
        return users[0]

    def put(self, provider: str, user_id: str, changes: Mapping[str, Any]) -> MockUser:
        """Change fields of ``user_id``, or add the user if it is new (then ``name`` is
        required). Invalid values raise pydantic's ``ValidationError``."""
        with self._lock:
            current = self._users[provider].get(user_id)
            data = current.model_dump() if current else {}
            data.update(changes)
            data["id"] = user_id
            if provider == "github" and not user_id.isdigit():
                raise ValueError("GitHub user ids are numbers")
            user = MockUser.model_validate(data)
            self._users[provider][user_id] = user
            return user

    def reset(self) -> None:
        with self._lock:
            self._users = {p: {u.id: u for u in users} for p, users in self._seeded.items()}


def profile_view(user: MockUser, faults: Faults) -> MockUser:
    """``user`` as the provider shows it while ``faults`` are on."""
    changes: dict[str, Any] = {}
    if faults.missing_email:
        changes["email"] = None
    if faults.unverified_email:
        changes["email_verified"] = False
    if faults.changed_profile:
        changes["name"] = f"{user.name} (changed)"
        changes["picture"] = f"https://example.com/avatars/{user.id}-changed.png"
    return user.model_copy(update=changes) if changes else user
