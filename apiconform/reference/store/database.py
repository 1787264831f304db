"""The database of an application: an async SQLAlchemy engine and sessions.

With no URL it is an in-memory SQLite database private to the application. PostgreSQL
(``postgresql+asyncpg://...``) gets pre-ping (a dropped connection is noticed and replaced
rather than failing a request) and bounded connect and command timeouts.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from apiconform.errors import ConfigError
from apiconform.reference.store.models import Base

MEMORY_URL = "sqlite+aiosqlite:///:memory:"
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def engine_options(url: str, schema: str | None) -> dict[str, Any]:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database url: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        options: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if parsed.database in (None, "", ":memory:"):
            options["poolclass"] = StaticPool  # one shared connection keeps the memory DB
        return options
    if backend == "postgresql":
        settings = {"search_path": schema} if schema else {}
        return {
            "pool_pre_ping": True,
            "pool_timeout": 5,
            "connect_args": {"timeout": 5, "command_timeout": 10, "server_settings": settings},
        }
    raise ConfigError(f"database url: unsupported backend {backend!r} (use sqlite or postgresql)")


class _TaskLock:
    """An asyncio lock that the task holding it may take again (a session opened inside
    another of the same task)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and self._owner is task:
            yield
            return
        async with self._lock:
            self._owner = task
            try:
                yield
            finally:
                self._owner = None


class Database:
    """Engine + session factory; ``aclose`` disposes the pool.

    The in-memory SQLite database lives on one connection that every session shares, so
    two transactions at once would interleave on it (one's rollback undoing the other's
    insert): its sessions take turns."""

    def __init__(self, url: str | None = None, *, schema: str | None = None) -> None:
        if schema is not None and not _SCHEMA.fullmatch(schema):
            raise ConfigError(f"database schema {schema!r}: use lowercase letters, digits and _")
        self.url = url or MEMORY_URL
        self.schema = schema
        self.engine: AsyncEngine = create_async_engine(self.url, **engine_options(self.url, schema))
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        shared = engine_options(self.url, schema).get("poolclass") is StaticPool
        self._turns = _TaskLock() if shared else None

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    async def create_all(self) -> None:
        """Create the schema (if named) and the tables that do not exist yet."""
        async with self.engine.begin() as conn:
            if self.schema and self.backend == "postgresql":
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
            await conn.run_sync(Base.metadata.create_all)

    async def drop_schema(self) -> None:
        """Drop the named schema with everything in it (tests' clean-up)."""
        if self.schema and self.backend == "postgresql":
            async with self.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        if self._turns is None:
            async with self.sessions() as session:
                yield session
            return
        async with self._turns.hold(), self.sessions() as session:
            yield session

    async def ping(self) -> None:
        if self._turns is None:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return
        async with self._turns.hold(), self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def aclose(self) -> None:
        await self.engine.dispose()


async def open_database(url: str | None = None, *, schema: str | None = None) -> Database:
    """A :class:`Database` with its tables created."""
    database = Database(url, schema=schema)
    await database.create_all()
    return database
