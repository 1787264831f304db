"""``errors``: a mix of requests that produce 4xx and 5xx problems; every error response
must be ``application/problem+json`` with the trigger's status, under load."""

from __future__ import annotations

import random

from locust import FastHttpUser, constant, task

from apiconform.load.observations import is_problem
from apiconform.load.scenarios.common import OBSERVED, params


class ErrorsUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.triggers: dict[str, list[object]] = params()["triggers"]  # kind -> [path, status]

    @task
    def trigger(self) -> None:
        kind = random.choice(sorted(self.triggers))
        path, status = self.triggers[kind]
        with self.client.get(str(path), name=kind, catch_response=True) as response:
            OBSERVED.count("errors")
            if response.status_code != status:
                OBSERVED.count("unexpected_status")
                response.failure(f"{kind}: status {response.status_code}, expected {status}")
            elif not is_problem(response.headers.get("content-type")):
                OBSERVED.count("non_problem")
                response.failure(f"{kind}: {response.headers.get('content-type')!r} is no problem")
            else:
                response.success()
