"""Fixtures shared by the whole suite."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from apiconform.mocks.redis import RedisHandle, redis_client
from apiconform.reference.kernel import AppRegistry
from apiconform.reference.kernel.logging import configure_logging


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
async def redis() -> AsyncIterator[RedisHandle]:
    """Real Redis when ``REDIS_URL`` is set, else a container or fakeredis."""
    async with redis_client() as handle:
        yield handle
