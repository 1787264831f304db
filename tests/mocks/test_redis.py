from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from apiconform.mocks import docker, redis
from apiconform.mocks.redis import choose_kind, delete_prefix, redis_client


async def test_handle_uses_a_unique_prefix_and_cleans_it_up() -> None:
    async with redis_client() as first, redis_client() as second:
        assert first.prefix != second.prefix
        await first.client.set(first.key("a"), "1")
        await first.client.set(first.key("b"), "2")
        await second.client.set(second.key("a"), "keep")
        assert await first.client.get(first.key("a")) == "1"
        client, prefix = first.client, first.prefix
    async with redis_client(prefix=prefix) as again:
        assert await again.client.get(again.key("a")) is None
    assert client is not None


async def test_real_redis_is_used_when_redis_url_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    async with redis_client() as handle:
        expected = "real" if handle.url else "fake"
        assert handle.kind in (expected, "container")
        assert await handle.client.ping()


async def test_fakeredis_runs_lua(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(redis, "docker_available", lambda: False)
    async with redis_client() as handle:
        assert handle.kind == "fake"
        assert handle.url is None
        key = handle.key("counter")
        assert await handle.client.eval("return redis.call('INCRBY', KEYS[1], 5)", 1, key) == 5


def test_choice_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis, "docker_available", lambda: False)
    assert choose_kind("redis://x") == "real"
    assert choose_kind("") == "fake"
    monkeypatch.setattr(redis, "docker_available", lambda: True)
    assert choose_kind("") == "container"  # testcontainers is a dev dependency


def test_choice_without_testcontainers_falls_back_to_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_testcontainers(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("testcontainers"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(redis, "docker_available", lambda: True)
    monkeypatch.setattr(builtins, "__import__", no_testcontainers)
    assert choose_kind("") == "fake"


async def test_delete_prefix_leaves_other_keys() -> None:
    async with redis_client() as handle:
        await handle.client.set(handle.key("x1"), 1)
        await handle.client.set(handle.key("x2"), 1)
        await handle.client.set(handle.key("y"), 1)
        assert await delete_prefix(handle.client, handle.key("x")) == 2
        assert await handle.client.get(handle.key("y")) == "1"


def serve_once(path: Path, reply: bytes) -> threading.Thread:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def answer() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(1024)
            conn.sendall(reply)
        server.close()

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("reply", "expected"),
    [(b"HTTP/1.0 200 OK\r\n\r\nOK", True), (b"HTTP/1.0 500 Oops\r\n\r\n", False)],
)
def test_docker_probe_reads_the_ping_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reply: bytes, expected: bool
) -> None:
    sock = tmp_path / "docker.sock"
    thread = serve_once(sock, reply)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{sock}")
    docker.docker_available.cache_clear()
    try:
        assert docker.docker_available() is expected
    finally:
        docker.docker_available.cache_clear()
    thread.join(5)


def test_docker_probe_without_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docker.docker_available.cache_clear()
    try:
        monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'absent.sock'}")
        assert docker.docker_available() is False
        docker.docker_available.cache_clear()
        monkeypatch.setenv("DOCKER_HOST", "tcp://10.0.0.1:2375")
        assert docker.docker_available() is False
        docker.docker_available.cache_clear()
        dead = tmp_path / "dead.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(dead))
        listener.close()  # the file exists, nobody listens
        monkeypatch.setenv("DOCKER_HOST", f"unix://{dead}")
        assert docker.docker_available() is False
    finally:
        docker.docker_available.cache_clear()


class FakeContainer:
    """Stands in for testcontainers' RedisContainer, pointing at the given server."""

    started: list[str] = []

    def __init__(self, image: str) -> None:
        self.image = image

    def __enter__(self) -> FakeContainer:
        FakeContainer.started.append(self.image)
        return self

    def __exit__(self, *exc: object) -> None:
        FakeContainer.started.remove(self.image)

    def get_container_host_ip(self) -> str:
        return "127.0.0.1"

    def get_exposed_port(self, port: int) -> int:  # replaced per test
        raise AssertionError


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a Redis server to stand in")
async def test_container_kind_starts_and_removes_a_container(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = os.environ["REDIS_URL"]
    monkeypatch.delenv("REDIS_URL")
    monkeypatch.setattr(redis, "docker_available", lambda: True)
    monkeypatch.setattr(redis, "_container_class", lambda: FakeContainer)
    monkeypatch.setattr(
        FakeContainer,
        "get_exposed_port",
        lambda self, port: int(url.rsplit(":", 1)[1].split("/")[0]),
    )
    async with redis_client() as handle:
        assert handle.kind == "container"
        assert FakeContainer.started == ["redis:7-alpine"]
        assert handle.url is not None
        assert handle.url.startswith("redis://127.0.0.1:")
        assert await handle.client.ping()
    assert FakeContainer.started == []
