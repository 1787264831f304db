"""Fixtures shared by the whole suite."""

from __future__ import annotations

import io
import json
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from apiconform.common.logs import configure_logging
from apiconform.mocks.redis import RedisHandle, redis_client
from apiconform.reference.kernel import AppRegistry
from apiconform.reference.store.database import Database

# pytester for the plugin tests; the mocks' plugin, as a user would enable it
pytest_plugins = ["pytester", "apiconform.mocks.pytest"]


@pytest.fixture(autouse=True)
def _logging() -> Iterator[None]:
    """Every test starts with JSON logs on (captured) stdout and ends with the setup it
    found, whatever the code under test configured meanwhile."""
    setup = configure_logging("json", level="INFO")
    yield
    setup.restore()


@pytest.fixture
def registry() -> AppRegistry:
    """A registry of its own, so tests never see each other's applications."""
    return AppRegistry()


class LogCapture:
    """The JSON log lines written while a test ran."""

    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    def lines(self, **match: Any) -> list[dict[str, Any]]:
        found = []
        for raw in self._stream.getvalue().splitlines():
            line = json.loads(raw)
            if all(line.get(k) == v for k, v in match.items()):
                found.append(line)
        return found

    @property
    def text(self) -> str:
        return self._stream.getvalue()


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    stream = io.StringIO()
    setup = configure_logging("json", stream=stream, level="DEBUG")
    yield LogCapture(stream)
    setup.restore()


@pytest.fixture
async def database_config() -> AsyncIterator[dict[str, str]]:
    """App database config: PostgreSQL (a schema of its own, dropped afterwards) when
    ``DATABASE_URL`` is set, else a private in-memory SQLite database."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield {}
        return
    schema = f"apiconform_test_{secrets.token_hex(6)}"
    yield {"url": url, "schema_name": schema}
    database = Database(url, schema=schema)
    await database.drop_schema()
    await database.aclose()


@pytest.fixture
async def redis() -> AsyncIterator[RedisHandle]:
    """Real Redis when ``REDIS_URL`` is set, else a container or fakeredis."""
    async with redis_client() as handle:
        yield handle
