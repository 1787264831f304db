"""Redis and a database for managed targets.

Redis, in order: ``REDIS_URL``; a throw-away container when a Docker engine answers; a
``redis-server`` binary on PATH started on a free loopback port; otherwise none, and the
checks that need it are skipped with that reason. Only a server the suite started itself
can be stopped and restarted for fault checks.

The database: ``DATABASE_URL``; a PostgreSQL container when Docker answers; otherwise a
SQLite file in a temporary directory (the reference's embedded default).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from apiconform.common.serving import free_port
from apiconform.errors import ApiconformError
from apiconform.mocks.docker import docker_available


class ServiceError(ApiconformError):
    """A service could not be provided or controlled."""


def _wait_for_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


class RedisService:
    """The Redis a managed target gets; ``kind`` says where it came from."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.kind = "none"
        self.reason = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._port = 0
        self._container: Any = None

    def provide(self) -> RedisService:
        env_url = os.environ.get("REDIS_URL")
        if env_url:
            self.url, self.kind = env_url, "env"
        elif docker_available() and self._start_container():
            self.kind = "container"
        elif shutil.which("redis-server"):
            self._port = free_port()
            self._spawn()
            self.url, self.kind = f"redis://127.0.0.1:{self._port}/0", "binary"
        else:
            self.reason = "no Redis: set REDIS_URL, run a Docker engine or put redis-server on PATH"
        return self

    def _start_container(self) -> bool:
        try:
            from testcontainers.community.redis import RedisContainer
        except ImportError:
            return False
        try:
            self._container = RedisContainer("redis:7-alpine").start()
            host = self._container.get_container_host_ip()
            self.url = f"redis://{host}:{self._container.get_exposed_port(6379)}/0"
        except Exception as exc:  # docker's own errors: a pull, a daemon, a port
            raise ServiceError(f"cannot start a Redis container: {exc}") from None
        return True

    def _spawn(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        self._proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self._port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not _wait_for_port(self._port, 10):
            self._kill()
            raise ServiceError(f"redis-server did not listen on port {self._port} within 10 s")

    @property
    def controllable(self) -> bool:
        """Whether :meth:`stop` and :meth:`start` can take this Redis down and back up."""
        return self.kind == "binary"

    def stop(self) -> None:
        if not self.controllable:
            raise ServiceError(f"cannot stop a Redis the suite does not own ({self.kind})")
        self._kill()

    def start(self) -> None:
        if not self.controllable:
            raise ServiceError(f"cannot start a Redis the suite does not own ({self.kind})")
        if self._proc is None or self._proc.poll() is not None:
            self._spawn()

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
            self._proc = None

    def close(self) -> None:
        self._kill()
        if self._container is not None:
            with contextlib.suppress(Exception):
                self._container.stop()
            self._container = None


class DatabaseService:
    """The database URL a managed target gets (SQLAlchemy async URL form)."""

    def __init__(self) -> None:
        self.url = ""
        self.kind = "none"
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._container: Any = None

    def provide(self) -> DatabaseService:
        env_url = os.environ.get("DATABASE_URL")
        if env_url:
            self.url, self.kind = env_url, "env"
        elif docker_available() and self._start_container():
            self.kind = "container"
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="apiconform-db-")
            self.url = f"sqlite+aiosqlite:///{Path(self._tmp.name) / 'target.db'}"
            self.kind = "sqlite"
        return self

    def _start_container(self) -> bool:
        try:
            from testcontainers.community.postgres import PostgresContainer
        except ImportError:
            return False
        try:
            self._container = PostgresContainer("postgres:16-alpine", driver="asyncpg").start()
            self.url = self._container.get_connection_url()
        except Exception as exc:  # docker's own errors: a pull, a daemon, a port
            raise ServiceError(f"cannot start a PostgreSQL container: {exc}") from None
        return True

    def close(self) -> None:
        if self._container is not None:
            with contextlib.suppress(Exception):
                self._container.stop()
            self._container = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
