from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import redis as redis_sync

from apiconform.conformance import services
from apiconform.conformance.services import DatabaseService, RedisService, ServiceError

needs_binary = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(services, "docker_available", lambda: False)


def ping(url: str) -> bool:
    client = redis_sync.Redis.from_url(url, socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    except redis_sync.ConnectionError:
        return False
    finally:
        client.close()


def test_redis_from_the_environment_is_used_but_not_controlled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6399/3")
    service = RedisService().provide()
    assert (service.kind, service.url) == ("env", "redis://127.0.0.1:6399/3")
    assert not service.controllable
    with pytest.raises(ServiceError, match=r"cannot stop a Redis the suite does not own \(env\)"):
        service.stop()
    with pytest.raises(ServiceError, match="cannot start"):
        service.start()
    service.close()


@needs_binary
@pytest.mark.usefixtures("no_env")
def test_owned_redis_server_can_be_stopped_and_started() -> None:
    service = RedisService().provide()
    try:
        assert service.kind == "binary"
        assert service.controllable
        assert service.url is not None
        assert ping(service.url)
        service.stop()
        assert not ping(service.url)
        service.start()
        assert ping(service.url)
        service.start()  # already running: nothing happens
        assert ping(service.url)
    finally:
        service.close()
    assert not ping(service.url)


@pytest.mark.usefixtures("no_env")
def test_without_any_redis_the_reason_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services.shutil, "which", lambda name: None)
    service = RedisService().provide()
    assert service.url is None
    assert service.kind == "none"
    assert "set REDIS_URL, run a Docker engine or put redis-server on PATH" in service.reason


@needs_binary
@pytest.mark.usefixtures("no_env")
def test_redis_server_that_never_listens_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "_wait_for_port", lambda port, timeout: False)
    with pytest.raises(ServiceError, match="did not listen on port"):
        RedisService().provide()


class FakeContainer:
    stopped = False

    def __init__(self, image: str, **kwargs: Any) -> None:
        self.image = image

    def start(self) -> FakeContainer:
        return self

    def stop(self) -> None:
        FakeContainer.stopped = True

    def get_container_host_ip(self) -> str:
        return "10.1.2.3"

    def get_exposed_port(self, port: int) -> int:
        return 32768

    def get_connection_url(self) -> str:
        return "postgresql+asyncpg://test:test@10.1.2.3:32769/test"


@pytest.mark.usefixtures("no_env")
def test_containers_are_used_when_docker_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    import testcontainers.community.postgres as tc_postgres
    import testcontainers.community.redis as tc_redis

    monkeypatch.setattr(services, "docker_available", lambda: True)
    monkeypatch.setattr(tc_redis, "RedisContainer", FakeContainer)
    monkeypatch.setattr(tc_postgres, "PostgresContainer", FakeContainer)
    redis = RedisService().provide()
    database = DatabaseService().provide()
    assert (redis.kind, redis.url) == ("container", "redis://10.1.2.3:32768/0")
    assert (database.kind, database.url) == (
        "container",
        "postgresql+asyncpg://test:test@10.1.2.3:32769/test",
    )
    redis.close()
    database.close()
    assert FakeContainer.stopped


def test_database_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    service = DatabaseService().provide()
    assert service.kind == "env"
    assert service.url == os.environ["DATABASE_URL"]
    service.close()


@pytest.mark.usefixtures("no_env")
def test_database_falls_back_to_a_temporary_sqlite_file() -> None:
    service = DatabaseService().provide()
    assert service.kind == "sqlite"
    assert service.url.startswith("sqlite+aiosqlite:///")
    folder = Path(service.url.removeprefix("sqlite+aiosqlite:///")).parent
    assert folder.is_dir()
    service.close()
    assert not folder.exists()
