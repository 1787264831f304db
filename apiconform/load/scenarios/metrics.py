"""``metrics``: scrapes of the metrics endpoint while API traffic with ever-new raw paths
runs (spec: a scrape within 500 ms); the runner counts the series before and after."""

from __future__ import annotations

import uuid

from locust import FastHttpUser, between, constant, task

from apiconform.load.observations import series_count
from apiconform.load.scenarios.common import OBSERVED, params


class Scraper(FastHttpUser):
    weight = 1
    wait_time = between(0.2, 0.5)

    def on_start(self) -> None:
        self.path: str = params()["metrics"]

    @task
    def scrape(self) -> None:
        with self.client.get(self.path, name="scrape", catch_response=True) as response:
            if response.status_code != 200 or not response.text:
                response.failure(f"scrape answered {response.status_code}")
                return
            OBSERVED.count("scrapes")
            OBSERVED.maximum("series_max", series_count(response.text))
            response.success()


class RawPathUser(FastHttpUser):
    """Requests to paths never seen before (a target that labels raw paths grows a series
    for each) mixed with requests to a known route."""

    weight = 3
    wait_time = constant(0)

    def on_start(self) -> None:
        self.prefix: str = params()["raw_prefix"]
        self.background: str = params()["background"]

    @task(1)
    def unknown(self) -> None:
        path = f"{self.prefix}/{uuid.uuid4().hex}"
        with self.client.get(path, name="raw path", catch_response=True) as response:
            response.success()  # any answer will do: 404 is the expected one
        # Counted once answered: a request cut off when the run stops may never have
        # reached the target, and the figure is compared with the series it grew.
        OBSERVED.count("raw_paths")

    @task(3)
    def known(self) -> None:
        self.client.get(self.background, name="background")
