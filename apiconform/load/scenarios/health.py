"""``health``: liveness and readiness probes while other users load the API (spec: the
liveness answer within 100 ms)."""

from __future__ import annotations

from locust import FastHttpUser, between, constant, task

from apiconform.load.scenarios.common import params


class ProbeUser(FastHttpUser):
    """A kubelet-like prober: live and ready, a few times a second."""

    weight = 1
    wait_time = between(0.1, 0.3)

    def on_start(self) -> None:
        self.live_path: str = params()["live"]
        self.ready_path: str | None = params()["ready"]

    @task(3)
    def live(self) -> None:
        self.client.get(self.live_path, name="live")

    @task(1)
    def ready(self) -> None:
        if self.ready_path:
            self.client.get(self.ready_path, name="ready")


class ApiUser(FastHttpUser):
    """Background API traffic the probes must not wait behind."""

    weight = 3
    wait_time = constant(0)

    def on_start(self) -> None:
        self.path: str = params()["background"]

    @task
    def api(self) -> None:
        self.client.get(self.path, name="background")
