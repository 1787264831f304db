"""Stopping cleanly on SIGTERM and SIGHUP (a CI job cancelled, ``timeout``, a closed
terminal): the managed target, its services and their temporary folders must not outlive
the suite."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import NoReturn

SIGNALS = tuple(s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process is told to stop. Not an ``Exception``,
    so that no ``except Exception`` in a check swallows it (``finally`` blocks run); a
    ``KeyboardInterrupt``, so that a test runner ends its session as on Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def _raise_terminated(signum: int) -> NoReturn:
    raise Terminated(signum)


@contextlib.contextmanager
def stop_cleanly(
    cleanup: Callable[[], None] | None = None,
    stop: Callable[[int], NoReturn] = _raise_terminated,
) -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP run ``cleanup`` and then ``stop`` (by default:
    raise :class:`Terminated`). Further signals are ignored until then, so that they
    cannot interrupt the cleanup. Outside the main thread nothing is installed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, object] = {}

    def handler(signum: int, frame: FrameType | None) -> None:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        if cleanup is not None:
            cleanup()
        stop(signum)

    for sig in SIGNALS:
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)  # type: ignore[arg-type]
