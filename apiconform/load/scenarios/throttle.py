"""``throttle``: many users on the manifest's limited route (one client address: one
key), spread over the target's instances. Each answer is counted in the window it
belongs to, which the rate-limit headers name (``X-RateLimit-Reset`` as Unix seconds, or
seconds from now; ``RateLimit: ...;t=``); the runner compares each window's admissions
with the limit."""

from __future__ import annotations

import random
import re
import time
from typing import Any

from locust import FastHttpUser, constant, task

from apiconform.load.scenarios.common import OBSERVED, params

_T = re.compile(r"(?:^|[;,\s])t=(\d+)")


def window_end(headers: Any, now: float) -> int | None:
    """When the answer's window ends (Unix seconds), from its rate-limit headers."""
    reset = headers.get("x-ratelimit-reset") or headers.get("ratelimit-reset")
    if reset is not None and reset.strip().isdigit():
        value = int(reset.strip())
        return value if value > 1_000_000_000 else round(now + value)
    found = _T.search(headers.get("ratelimit") or "")
    return round(now + int(found.group(1))) if found else None


class ThrottledUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.plan = params()

    @task
    def limited(self) -> None:
        url = random.choice(self.plan["hosts"]) + self.plan["path"]
        with self.client.get(url, name="limited", catch_response=True) as response:
            status = response.status_code
            end = window_end(response.headers or {}, time.time())
            if status == 429 or (status and status < 300):
                response.success()
            else:
                OBSERVED.count("unexpected")
                response.failure(f"status {status}")
                return
            if end is None:
                OBSERVED.count("no_window")
                return
            OBSERVED.count(f"{'admitted' if status < 300 else 'refused'}|{end}")
