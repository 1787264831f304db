"""The core both adapters share: select requirements, provide the target, run checks and
turn their outcomes into one verdict per requirement."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from apiconform.conformance.context import CheckContext
from apiconform.conformance.echo import EchoServer
from apiconform.conformance.manifest import (
    START_PLACEHOLDERS,
    Manifest,
    TargetSpec,
    placeholders,
)
from apiconform.conformance.proxy import FaultProxy
from apiconform.conformance.registry import Check, CheckFailed, CheckSkipped, all_checks
from apiconform.conformance.report.model import CheckOutcome, Report, RequirementResult, Verdict
from apiconform.conformance.services import DatabaseService, RedisService
from apiconform.conformance.target import Instance, ManagedTarget, TargetError
from apiconform.spec import Level, Observed, Requirement, load_catalog


def start_oauth_mock() -> ManagedTarget:
    """The mock OAuth server (``apiconform mock-oauth``) as a process of its own, on a free
    loopback port, approving every consent: the suite talks to it over HTTP only."""
    spec = TargetSpec(
        start="{python} -m apiconform.cli mock-oauth --port {port} --auto-approve",
        ready_path="/",
    )
    mock = ManagedTarget(spec, {})
    mock.start_instance()
    return mock


class ConformanceRun:
    """One run against one target: ``start()``, ``run_check()``/``run_all()``, ``report()``,
    ``close()`` (or use it as a context manager)."""

    def __init__(
        self,
        manifest: Manifest,
        *,
        proposals: Iterable[str] | None = None,
        level: Level = Level.MAY,
    ) -> None:
        self.manifest = manifest
        self.level = level
        chosen = set(proposals) if proposals is not None else None
        self.requirements = [
            r for r in load_catalog().select(proposals=chosen, level=level) if r.checkable
        ]
        self.not_checkable = dict(
            Counter(
                r.observed.value
                for r in load_catalog().select(proposals=chosen, level=level)
                if not r.checkable
            )
        )
        self._selected = {r.id for r in self.requirements}
        self.outcomes: list[CheckOutcome] = []
        self.target: ManagedTarget | None = None
        self.instance: Instance | None = None
        self.echo: EchoServer | None = None
        self.redis: RedisService | None = None
        self.database: DatabaseService | None = None
        self.redis_proxy: FaultProxy | None = None
        self.database_proxy: FaultProxy | None = None
        self.oauth_mock: ManagedTarget | None = None
        self._started_at = datetime.now(UTC)
        self._clock = time.monotonic()

    # -- the target ---------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return "managed" if self.manifest.target.managed else "external"

    @property
    def base_url(self) -> str:
        if self.instance is not None:
            return self.instance.base_url
        assert self.manifest.target.base_url is not None
        return self.manifest.target.base_url.rstrip("/")

    def start(self) -> ConformanceRun:
        """Start the echo server and, in managed mode, the services and the target; if any
        of them fails, what was started is stopped again."""
        try:
            return self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> ConformanceRun:
        self.echo = EchoServer().start()
        spec = self.manifest.target
        if not spec.managed:
            return self
        assert spec.start is not None
        used = placeholders(spec.start) & START_PLACEHOLDERS
        values = {
            "echo_url": self.echo.url,
            "echo_netloc": self.echo.url.removeprefix("http://"),
            "manifest_dir": str(Path(self.manifest.source).parent) if self.manifest.source else ".",
        }
        if "redis_url" in used:
            self.redis = RedisService().provide()
            if self.redis.url is None:
                raise TargetError(f"the start command needs {{redis_url}}: {self.redis.reason}")
            self.redis_proxy, values["redis_url"] = FaultProxy.for_url(self.redis.url)
            self.redis_proxy.start()
        if "oauth_mock_url" in used:
            self.oauth_mock = start_oauth_mock()
            values["oauth_mock_url"] = self.oauth_mock.instances[0].base_url
        if "database_url" in used:
            self.database = DatabaseService().provide()
            values["database_url"] = self.database.url
            if self.database.kind != "sqlite":  # a networked database: route it to cut it
                self.database_proxy, values["database_url"] = FaultProxy.for_url(self.database.url)
                self.database_proxy.start()
        self.target = ManagedTarget(spec, values)
        self.instance = self.target.start_instance()
        return self

    def close(self) -> None:
        for managed in (self.target, self.oauth_mock):
            if managed is not None:
                managed.stop_all()
        for proxy in (self.redis_proxy, self.database_proxy):
            if proxy is not None:
                proxy.close()
        for service in (self.redis, self.database):
            if service is not None:
                service.close()
        if self.echo is not None:
            self.echo.stop()
            self.echo = None

    def __enter__(self) -> ConformanceRun:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- checks -------------------------------------------------------------------------

    def runnable(self, check: Check) -> bool:
        """Whether ``check`` decides a selected, claimed requirement this mode can observe."""
        return self.why_not(check) is None

    def why_not(self, check: Check) -> str | None:
        """Why ``check`` does not run here (``not-claimed: ...``, ``skip: ...``), or None."""
        reasons = [self._blocked(rid) for rid in check.requirement_ids]
        if any(r is None for r in reasons):
            return None
        verdict, reason = next(r for r in reasons if r is not None)
        return f"{verdict.value}: {reason}"

    def _blocked(self, requirement_id: str) -> tuple[Verdict, str] | None:
        """Why a requirement gets no check run here, or None when it does."""
        if requirement_id not in self._selected:
            return Verdict.SKIP, "not selected"
        requirement = load_catalog().get(requirement_id)
        if not self.manifest.claims_proposal(requirement.proposal):
            return Verdict.NOT_CLAIMED, f"the manifest does not claim {requirement.proposal}"
        if requirement.observed is Observed.PROCESS and self.instance is None:
            return Verdict.SKIP, "needs managed mode"
        return None

    def checks(self) -> list[Check]:
        return [c for c in all_checks() if self.runnable(c)]

    def context(self) -> CheckContext:
        return CheckContext(
            manifest=self.manifest,
            base_url=self.base_url,
            target=self.target,
            instance=self.instance,
            echo=self.echo,
            redis=self.redis,
            database=self.database,
            redis_proxy=self.redis_proxy,
            database_proxy=self.database_proxy,
            oauth_mock_url=self.oauth_mock.instances[0].base_url if self.oauth_mock else None,
        )

    def run_check(self, check: Check) -> CheckOutcome:
        ctx = self.context()
        started = time.perf_counter()
        try:
            check(ctx)
            verdict, message = Verdict.PASS, ""
        except CheckFailed as exc:
            verdict, message = Verdict.FAIL, str(exc)
        except CheckSkipped as exc:
            verdict, message = Verdict.SKIP, str(exc)
        except Exception as exc:  # a target misbehaving at transport level is a failure too
            verdict, message = Verdict.FAIL, f"{type(exc).__name__}: {exc}"
        finally:
            ctx.close()
        outcome = CheckOutcome(
            check=check.name,
            requirement_ids=check.requirement_ids,
            verdict=verdict,
            message=message,
            evidence=[e.to_dict() for e in ctx.recorder.exchanges],
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        self.outcomes.append(outcome)
        return outcome

    def run_all(self) -> list[CheckOutcome]:
        return [self.run_check(check) for check in self.checks()]

    # -- verdicts -------------------------------------------------------------------------

    def result(self, requirement: Requirement) -> RequirementResult:
        blocked = self._blocked(requirement.id)
        if blocked is not None:
            return RequirementResult(requirement, blocked[0], blocked[1])
        outcomes = [o for o in self.outcomes if requirement.id in o.requirement_ids]
        if not outcomes:
            return RequirementResult(requirement, Verdict.SKIP, "no check ran")
        failed = [o for o in outcomes if o.verdict is Verdict.FAIL]
        passed = [o for o in outcomes if o.verdict is Verdict.PASS]
        if failed:
            return RequirementResult(requirement, Verdict.FAIL, failed[0].message, outcomes)
        if passed:
            skipped = [f"{o.check}: {o.message}" for o in outcomes if o.verdict is Verdict.SKIP]
            return RequirementResult(requirement, Verdict.PASS, "; ".join(skipped), outcomes)
        return RequirementResult(requirement, Verdict.SKIP, outcomes[0].message, outcomes)

    def report(self) -> Report:
        return Report(
            target=self.base_url if self.instance or not self.manifest.target.managed else "",
            mode=self.mode,
            started_at=self._started_at.isoformat(timespec="seconds"),
            duration_s=round(time.monotonic() - self._clock, 2),
            results=[self.result(r) for r in self.requirements],
            not_checkable=self.not_checkable,
        )
