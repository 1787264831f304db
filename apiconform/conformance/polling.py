"""Waiting, bounded, for something a target does asynchronously (a log line, a webhook)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

WAIT = 5.0
INTERVAL = 0.05


def poll(fetch: Callable[[], T], accept: Callable[[T], bool], timeout: float = WAIT) -> T:
    """Call ``fetch`` until ``accept`` takes its result or ``timeout`` seconds pass; return
    the last result either way (the caller decides what a timeout means)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if accept(value) or time.monotonic() >= deadline:
            return value
        time.sleep(INTERVAL)
