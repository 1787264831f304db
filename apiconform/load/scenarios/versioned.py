"""``versioned``: mixed traffic across the target's live versions and the strategies it
declares (path, header, media type), deprecated versions included. Every answer must be a
success in the version asked for (``X-API-Version``, when the target sends it) and a
deprecated version's answers must carry ``Deprecation``.

Each user walks every (version, strategy) pair in turn, starting at its own offset, so even
a short run covers them all: a random pick can miss one pair for a whole run."""

from __future__ import annotations

import itertools

from locust import FastHttpUser, constant, task

from apiconform.load.scenarios.common import OBSERVED, params


class VersionedUser(FastHttpUser):
    wait_time = constant(0)

    started = itertools.count()

    def on_start(self) -> None:
        self.plan = params()
        pairs = list(itertools.product(self.plan["versions"], self.plan["strategies"]))
        offset = next(VersionedUser.started) % len(pairs)
        self.pairs = itertools.cycle(pairs[offset:] + pairs[:offset])

    def _request(self, version: str, strategy: str) -> tuple[str, dict[str, str]]:
        plan = self.plan
        if strategy == "uri":
            return plan["paths"][version], {}
        if strategy == "header":
            return plan["resource"], {plan["header"]: version}
        return plan["resource"], {"Accept": f"application/vnd.{plan['vendor']}.v{version}+json"}

    @task
    def versioned(self) -> None:
        version, strategy = next(self.pairs)
        path, headers = self._request(version, strategy)
        name = f"v{version} {strategy}"
        with self.client.get(path, headers=headers, name=name, catch_response=True) as response:
            OBSERVED.count("versioned")
            answered = response.headers.get("x-api-version")
            if not response.status_code or response.status_code >= 400:
                response.failure(f"{name}: status {response.status_code}")
            elif answered is not None and answered.lstrip("vV") != version:
                OBSERVED.count("version_mismatch")
                response.failure(f"{name}: answered in version {answered}")
            elif version in self.plan["deprecated"] and "deprecation" not in response.headers:
                OBSERVED.count("deprecation_missing")
                response.failure(f"{name}: a deprecated version without Deprecation")
            else:
                response.success()
