"""Managed targets: start the target from its manifest command, wait until it is ready,
capture its output (for log checks) and stop it (SIGTERM, then SIGKILL after a bound).

Several instances of one target can run at once (distributed checks) and be restarted.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import httpx

from apiconform.conformance.manifest import TargetSpec
from apiconform.errors import ApiconformError

MAX_LINES = 50_000
# what a readiness wait reports: seconds waited so far, the target's last output line
Progress = Callable[[float, str], None]


class TargetError(ApiconformError):
    """The target could not be started, did not become ready, or misbehaved when stopped."""


@dataclass(frozen=True)
class OutputLine:
    stream: str  # "stdout" or "stderr"
    text: str
    received: float = field(default_factory=time.monotonic)  # when the suite read it

    def json(self) -> dict[str, Any] | None:
        """The line as a JSON object, or None when it is not one."""
        if not self.text.startswith("{"):
            return None
        try:
            value = json.loads(self.text)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


class OutputLog:
    """Lines a process wrote, in arrival order, bounded; safe across reader threads."""

    def __init__(self) -> None:
        self._lines: list[OutputLine] = []
        self._dropped = 0
        self._lock = threading.Lock()

    def append(self, line: OutputLine) -> None:
        with self._lock:
            self._lines.append(line)
            if len(self._lines) > MAX_LINES:
                excess = len(self._lines) - MAX_LINES
                del self._lines[:excess]
                self._dropped += excess

    def mark(self) -> int:
        """A position; :meth:`lines` with ``since=mark`` gives what came after it."""
        with self._lock:
            return self._dropped + len(self._lines)

    def lines(self, since: int = 0) -> list[OutputLine]:
        with self._lock:
            return list(self._lines[max(0, since - self._dropped) :])

    def json_lines(self, since: int = 0) -> list[dict[str, Any]]:
        return [obj for line in self.lines(since) if (obj := line.json()) is not None]

    def timed_json_lines(self, since: int = 0) -> list[tuple[float, dict[str, Any]]]:
        """JSON lines with the monotonic time the suite read each."""
        return [(ln.received, obj) for ln in self.lines(since) if (obj := ln.json()) is not None]

    def text(self, since: int = 0) -> str:
        return "\n".join(line.text for line in self.lines(since))


def _pump(stream: IO[bytes], name: str, log: OutputLog) -> None:
    for raw in iter(stream.readline, b""):
        log.append(OutputLine(name, raw.decode("utf-8", errors="replace").rstrip("\r\n")))
    stream.close()


def consecutive_free_ports(count: int, host: str = "127.0.0.1", attempts: int = 200) -> list[int]:
    """``count`` consecutive ports that are free right now."""
    rng = random.Random()
    for _ in range(attempts):
        base = rng.randrange(20_000, 60_000 - count)
        socks: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                socks.append(sock)
                sock.bind((host, port))
            return list(range(base, base + count))
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise TargetError(f"found no {count} consecutive free ports on {host}")


class Instance:
    """One running process of the target."""

    def __init__(
        self, spec: TargetSpec, argv: list[str], ports: list[int], env: Mapping[str, str]
    ) -> None:
        self.spec = spec
        self.argv = argv
        self.ports = ports
        self.output = OutputLog()
        self._env = dict(env)
        self.proc: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ports[0]}"

    def url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index]}"

    def spawn(self) -> Instance:
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                env=self._env,
                cwd=self.spec.cwd,
                # its own process group: stopping it stops what it started (npm, sh -c ...)
                start_new_session=True,
            )
        except OSError as exc:
            raise TargetError(f"cannot start {self.argv[0]!r}: {exc.strerror}") from None
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self._threads = [
            threading.Thread(target=_pump, args=(s, n, self.output), daemon=True)
            for s, n in ((self.proc.stdout, "stdout"), (self.proc.stderr, "stderr"))
        ]
        for thread in self._threads:
            thread.start()
        return self

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def wait_exit(self, timeout: float) -> int | None:
        """Wait up to ``timeout`` seconds for the process to end; its exit status or None."""
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._join_readers()
        return code

    def wait_ready(self, progress: Progress | None = None) -> None:
        """Poll ``ready_path`` on every port until each answers 2xx, bounded by
        ``ready_timeout``; an early exit or the timeout raises :class:`TargetError`.
        ``progress`` hears the seconds waited and the target's last output line."""
        started = time.monotonic()
        deadline = started + self.spec.ready_timeout
        pending = [f"{self.url(i)}{self.spec.ready_path}" for i in range(len(self.ports))]
        with httpx.Client(timeout=2.0) as client:
            while pending:
                if progress is not None:
                    last = self.output.lines()[-1:]
                    progress(time.monotonic() - started, last[0].text if last else "")
                if self.returncode is not None:
                    self._join_readers()
                    raise TargetError(
                        f"target exited with status {self.returncode} before it was ready; "
                        f"last output:\n{self._tail()}"
                    )
                if time.monotonic() > deadline:
                    self.stop()
                    raise TargetError(
                        f"target not ready within {self.spec.ready_timeout:g} s "
                        f"(waiting for {pending[0]}); last output:\n{self._tail()}"
                    )
                try:
                    if client.get(pending[0]).is_success:
                        pending.pop(0)
                        continue
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it has not ended within ``stop_timeout``."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(self.spec.stop_timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.proc.wait(5)
        # the group may outlive its leader (a child that ignored SIGTERM): end it too
        self._signal(signal.SIGKILL)
        self._join_readers()
        return self.proc.returncode

    def _signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def restart(self) -> Instance:
        self.stop()
        self.output.append(OutputLine("stderr", "--- restarted by apiconform ---"))
        self.spawn()
        self.wait_ready()
        return self

    def _join_readers(self) -> None:
        for thread in self._threads:
            thread.join(5)

    def _tail(self, count: int = 20) -> str:
        return "\n".join(line.text for line in self.output.lines()[-count:])


class ManagedTarget:
    """Starts instances of a target from its manifest's ``start`` template."""

    def __init__(self, spec: TargetSpec, values: Mapping[str, str]) -> None:
        if spec.start is None:
            raise TargetError("managed mode needs target.start in the manifest")
        self.spec = spec
        self.values = {"python": sys.executable, **values}
        self.instances: list[Instance] = []

    def command(self, ports: list[int]) -> list[str]:
        """The start command for ``ports``, placeholders filled argument by argument."""
        assert self.spec.start is not None
        values = dict(self.values, port=str(ports[0]))
        values.update({f"port{i}": str(p) for i, p in enumerate(ports[1:], start=1)})
        try:
            return [arg.format(**values) for arg in shlex.split(self.spec.start)]
        except KeyError as exc:
            raise TargetError(
                f"the start command needs {{{exc.args[0]}}}, which is not available here"
            ) from None

    def environment(self) -> dict[str, str]:
        return {**os.environ, "PYTHONUNBUFFERED": "1", **self.spec.env}

    def instance(self, ports: list[int] | None = None) -> Instance:
        """A new, not yet started instance (on fresh ports unless given)."""
        ports = ports or consecutive_free_ports(self.spec.ports)
        instance = Instance(self.spec, self.command(ports), ports, self.environment())
        self.instances.append(instance)
        return instance

    def start_instance(self, progress: Progress | None = None) -> Instance:
        """Start an instance on fresh ports and wait until it is ready."""
        instance = self.instance().spawn()
        instance.wait_ready(progress)
        return instance

    def stop_all(self) -> None:
        for instance in self.instances:
            instance.stop()
