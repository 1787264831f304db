"""Providers of the demo app, one per lifetime, plus an in-memory user store."""

from __future__ import annotations

import asyncio
import itertools
import uuid

from pydantic import BaseModel, Field

from apiconform.reference.kernel import service


@service(lifetime="scoped")
class RequestProbe:
    """One instance per request scope; its id shows whether two resolutions shared it."""

    def __init__(self) -> None:
        self.id = uuid.uuid4().hex


@service(lifetime="singleton")
class AppProbe:
    """One instance per application."""

    def __init__(self) -> None:
        self.id = uuid.uuid4().hex


@service(lifetime="transient")
class TransientProbe:
    """A new instance at every resolution."""

    def __init__(self) -> None:
        self.id = uuid.uuid4().hex


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)


class User(UserIn):
    id: int


@service(lifetime="singleton")
class UserStore:
    """The demo's users, kept per application in memory."""

    def __init__(self) -> None:
        self._users: dict[int, User] = {}
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()

    async def list(self) -> list[User]:
        return list(self._users.values())

    async def get(self, user_id: int) -> User | None:
        return self._users.get(user_id)

    async def create(self, data: UserIn) -> User:
        async with self._lock:
            user = User(id=next(self._ids), **data.model_dump())
            self._users[user.id] = user
            return user

    async def replace(self, user_id: int, data: UserIn) -> User | None:
        async with self._lock:
            if user_id not in self._users:
                return None
            user = User(id=user_id, **data.model_dump())
            self._users[user_id] = user
            return user

    async def remove(self, user_id: int) -> bool:
        async with self._lock:
            return self._users.pop(user_id, None) is not None
