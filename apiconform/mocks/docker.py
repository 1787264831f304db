"""Whether a Docker engine answers, asked once per process and cheaply."""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path


@functools.cache
def docker_available(timeout: float = 0.5) -> bool:
    """True when the Docker engine's API answers ``/_ping`` (``DOCKER_HOST`` or the default
    Unix socket). A client binary alone (``docker --version``) is not enough."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        return False  # remote engines: let testcontainers find them when asked explicitly
    path = host.removeprefix("unix://")
    if not Path(path).exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return b" 200 " in sock.recv(64)
    except OSError:
        return False
