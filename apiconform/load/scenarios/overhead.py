"""``overhead``: the same trivial route on the target and on a peer (a bare app); the
runner runs this file once per host and reports the ratio of their throughput, as
``bench/http.py`` does."""

from __future__ import annotations

from locust import FastHttpUser, constant, task

from apiconform.load.scenarios.common import params


class TrivialUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.path: str = params()["path"]

    @task
    def trivial(self) -> None:
        self.client.get(self.path, name="trivial")
