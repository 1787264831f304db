"""Start-up probes: commands the manifest names (``[scopes.startup]``) that start the
target in a way it must refuse: two apps on one port, a duplicate app id, an unknown
scope, an invalid config. The suite fills in values it chose (a free port, a fresh app id,
a made-up scope) and reads the exit status and the output."""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from apiconform.conformance import loglines
from apiconform.conformance.context import CheckContext
from apiconform.conformance.target import Instance, TargetError, consecutive_free_ports

POLL = 0.1
# once the output reported the error: how long the process gets to end (a process that
# still runs then keeps serving its other applications, which is allowed)
GRACE = 3.0


@dataclass(frozen=True)
class StartupResult:
    """How a start-up probe ended. ``code`` is None when it was still running at the
    bound (then the suite stopped it); ``served`` says whether ``port`` answered HTTP."""

    code: int | None
    output: str
    port: int
    served: bool

    @property
    def errors(self) -> str:
        """The output without informational log lines (JSON lines below warning level):
        what reports the error. An app that serves logs its port too, which names the
        port but reports nothing."""
        return "\n".join(line for line in self.output.splitlines() if not _informational(line))


def _informational(line: str) -> bool:
    if not line.startswith("{"):
        return False
    try:
        parsed = json.loads(line)
    except ValueError:
        return False
    return isinstance(parsed, dict) and loglines.level(parsed) in INFORMATIONAL


INFORMATIONAL = frozenset({"trace", "debug", "info", "information", "notice", "verbose"})


def run_startup_probe(
    ctx: CheckContext,
    template: str,
    values: dict[str, str] | None = None,
    *,
    until: Callable[[str, int], bool] | None = None,
) -> StartupResult:
    """Run ``template`` until it exits, or the manifest's ``ready_timeout`` passes, or
    :data:`GRACE` seconds after ``until`` accepted its output so far (``until`` gets the
    error output and the port the suite chose); meanwhile watch whether ``{port}``
    answers HTTP."""
    instance = ctx.process()
    target = ctx.target
    assert target is not None  # managed mode has both
    port = consecutive_free_ports(1)[0]
    fill = {**target.values, **(values or {}), "port": str(port)}
    try:
        argv = [arg.format(**fill) for arg in shlex.split(template)]
    except KeyError as exc:
        raise TargetError(f"the start-up probe needs {{{exc.args[0]}}}") from None
    probe = Instance(instance.spec, argv, [port], target.environment()).spawn()
    served = False
    deadline = time.monotonic() + ctx.manifest.target.ready_timeout
    with httpx.Client(timeout=0.5) as client:
        try:
            while probe.returncode is None and time.monotonic() < deadline:
                served = served or _answers(client, port)
                errors = StartupResult(None, probe.output.text(), port, served).errors
                if until is not None and until(errors, port):
                    until = None  # reported: the process may still end, or keep serving
                    deadline = min(deadline, time.monotonic() + GRACE)
                time.sleep(POLL)
        finally:
            code = probe.returncode
            if code is None:
                probe.stop()
            else:
                probe.wait_exit(5)
    return StartupResult(code, probe.output.text(), port, served)


def _answers(client: httpx.Client, port: int) -> bool:
    try:
        client.get(f"http://127.0.0.1:{port}/")
    except httpx.HTTPError:
        return False
    return True
