"""The users repository (parameterised queries only: input never becomes SQL)."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import select

from apiconform.reference.store.database import Database
from apiconform.reference.store.models import UserRow


def _storable(value: str) -> str:
    """Text every database stores as given: no control characters (PostgreSQL refuses
    NUL in text) and no lone surrogates (which no encoding stores)."""
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise ValueError("must not contain control characters or lone surrogates")
    return value


Text = Annotated[str, AfterValidator(_storable)]


class UserIn(BaseModel):
    name: Text = Field(min_length=1, max_length=100)
    email: Text = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)


class User(BaseModel):
    """A stored user, read back as stored (the input rules apply on the way in only)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str


class UserRepository:
    """CRUD on users. A duplicate email raises SQLAlchemy's IntegrityError, which the error
    layer answers with 409."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def list(self, limit: int = 100, offset: int = 0) -> list[User]:
        async with self.database.session() as session:
            rows = await session.scalars(
                select(UserRow).order_by(UserRow.id).limit(limit).offset(offset)
            )
            return [User.model_validate(row) for row in rows]

    async def get(self, user_id: int) -> User | None:
        async with self.database.session() as session:
            row = await session.get(UserRow, user_id)
            return None if row is None else User.model_validate(row)

    async def create(self, data: UserIn) -> User:
        async with self.database.session() as session, session.begin():
            row = UserRow(name=data.name, email=data.email)
            session.add(row)
            await session.flush()
            return User.model_validate(row)

    async def replace(self, user_id: int, data: UserIn) -> User | None:
        async with self.database.session() as session, session.begin():
            row = await session.get(UserRow, user_id)
            if row is None:
                return None
            row.name, row.email = data.name, data.email
            await session.flush()
            return User.model_validate(row)

    async def remove(self, user_id: int) -> bool:
        async with self.database.session() as session, session.begin():
            row = await session.get(UserRow, user_id)
            if row is None:
                return False
            await session.delete(row)
            return True
