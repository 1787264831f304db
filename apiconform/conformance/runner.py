"""The core both adapters share: select requirements, provide the target, run checks and
turn their outcomes into one verdict per requirement."""

from __future__ import annotations

import shlex
import time
import traceback
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx

from apiconform.conformance.context import DEFAULT_TIMEOUT, CheckContext
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
from apiconform.conformance.watchdog import TargetUnresponsive, Watchdog, describe
from apiconform.spec import Level, Observed, Requirement, load_catalog

# how long a target that runs elsewhere gets to answer its first request
REACH_TIMEOUT = 5.0


class RunObserver(Protocol):
    """Follows a run (the command line's progress display)."""

    def starting(self, what: str) -> None: ...

    def waiting(self, elapsed: float, last_line: str) -> None: ...

    def check_started(self, check: Check, index: int, total: int) -> None: ...

    def check_finished(self, outcome: CheckOutcome) -> None: ...


class QuietObserver:
    """Shows nothing."""

    def starting(self, what: str) -> None:
        return None

    def waiting(self, elapsed: float, last_line: str) -> None:
        return None

    def check_started(self, check: Check, index: int, total: int) -> None:
        return None

    def check_finished(self, outcome: CheckOutcome) -> None:
        return None


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


def _error_message(exc: BaseException) -> str:
    """A check's own bug, with where it happened (the last frame of the traceback)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"the check itself broke{where}: {type(exc).__name__}: {exc}"


class ConformanceRun:
    """One run against one target: ``start()``, ``run_check()``/``run_all()``, ``report()``,
    ``close()`` (or use it as a context manager)."""

    def __init__(
        self,
        manifest: Manifest,
        *,
        proposals: Iterable[str] | None = None,
        level: Level = Level.MAY,
        timeout: float = DEFAULT_TIMEOUT,
        strict: bool = False,
        observer: RunObserver | None = None,
    ) -> None:
        self.manifest = manifest
        self.level = level
        self.timeout = timeout
        self.strict = strict
        self.observer: RunObserver = observer or QuietObserver()
        self.watchdog = Watchdog(timeout)
        chosen = set(proposals) if proposals is not None else None
        selected = load_catalog().select(proposals=chosen, level=level)
        self.requirements = [r for r in selected if r.checkable]
        self.not_checkable = dict(Counter(r.observed.value for r in selected if not r.checkable))
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
        if self.manifest.target.base_url is None:
            raise TargetError("the managed target has not been started")
        return self.manifest.target.base_url.rstrip("/")

    @property
    def command(self) -> str | None:
        """The command that started the target (credentials hidden), in managed mode."""
        if self.instance is None:
            return None
        return self.manifest.hide(shlex.join(self.instance.argv))

    def start(self) -> ConformanceRun:
        """Start the echo server and, in managed mode, the services and the target (in
        external mode, make sure the target answers); if any of them fails, what was
        started is stopped again."""
        try:
            return self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> ConformanceRun:
        self.echo = EchoServer().start()
        spec = self.manifest.target
        if not spec.managed:
            self.observer.starting(f"reaching {self.base_url}")
            self.reach()
            return self
        assert spec.start is not None
        used = placeholders(spec.start) & START_PLACEHOLDERS
        values = {
            "echo_url": self.echo.url,
            "echo_netloc": self.echo.url.removeprefix("http://"),
            "manifest_dir": str(Path(self.manifest.source).parent) if self.manifest.source else ".",
        }
        if "redis_url" in used:
            self.observer.starting("providing Redis")
            self.redis = RedisService().provide()
            if self.redis.url is None:
                raise TargetError(f"the start command needs {{redis_url}}: {self.redis.reason}")
            self.redis_proxy, values["redis_url"] = FaultProxy.for_url(self.redis.url)
            self.redis_proxy.start()
        if "oauth_mock_url" in used:
            self.observer.starting("starting the mock OAuth server")
            self.oauth_mock = start_oauth_mock()
            values["oauth_mock_url"] = self.oauth_mock.instances[0].base_url
        if "database_url" in used:
            self.observer.starting("providing a database")
            self.database = DatabaseService().provide()
            values["database_url"] = self.database.url
            if self.database.kind != "sqlite":  # a networked database: route it to cut it
                self.database_proxy, values["database_url"] = FaultProxy.for_url(self.database.url)
                self.database_proxy.start()
        self.target = ManagedTarget(spec, values)
        self.observer.starting("starting the target")
        self.instance = self.target.start_instance(progress=self.observer.waiting)
        return self

    def reach(self) -> None:
        """Fail in seconds, with one line, when the target at ``base_url`` does not
        answer (any status is an answer)."""
        wait = min(self.timeout, REACH_TIMEOUT)
        try:
            with httpx.Client(timeout=wait) as client:
                client.get(self.base_url + "/")
        except httpx.TransportError as exc:
            raise TargetError(
                f"the target does not answer: {describe(exc, 'GET', self.base_url + '/', wait)}"
            ) from None

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
            timeout=self.timeout,
            watchdog=self.watchdog,
        )

    def run_check(self, check: Check) -> CheckOutcome:
        """Run one check. A target that stopped answering raises
        :class:`TargetUnresponsive` (the run cannot go on)."""
        ctx = self.context()
        started = time.perf_counter()
        assertion = None
        try:
            check(ctx)
            verdict, message = Verdict.PASS, ""
            if ctx.untested:
                verdict = Verdict.SKIP
                message = "partly checked (the rest held): " + "; ".join(ctx.untested)
        except CheckFailed as exc:
            verdict, message, assertion = Verdict.FAIL, str(exc), exc.assertion
        except CheckSkipped as exc:
            verdict, message = Verdict.SKIP, str(exc)
        except TargetUnresponsive:
            raise
        except httpx.TransportError as exc:  # the target did not answer a request
            request = exc.request if _has_request(exc) else None
            where = (request.method, str(request.url)) if request else ("a request", "")
            verdict, message = Verdict.FAIL, describe(exc, *where, self.timeout)
            assertion = "transport.answered"
        except Exception as exc:  # a bug in the check, not the target's failure
            verdict, message = Verdict.ERROR, _error_message(exc)
        finally:
            ctx.close()
        outcome = CheckOutcome(
            check=check.name,
            requirement_ids=check.requirement_ids,
            verdict=verdict,
            message=message,
            evidence=[e.to_dict() for e in ctx.recorder.exchanges],
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
            assertion=assertion,
        )
        self.outcomes.append(outcome)
        return outcome

    def run_all(self) -> list[CheckOutcome]:
        checks = self.checks()
        outcomes = []
        for index, check in enumerate(checks, start=1):
            self.observer.check_started(check, index, len(checks))
            outcome = self.run_check(check)
            self.observer.check_finished(outcome)
            outcomes.append(outcome)
        return outcomes

    # -- verdicts -------------------------------------------------------------------------

    def result(self, requirement: Requirement) -> RequirementResult:
        blocked = self._blocked(requirement.id)
        if blocked is not None:
            return RequirementResult(requirement, blocked[0], blocked[1])
        outcomes = [o for o in self.outcomes if requirement.id in o.requirement_ids]
        if not outcomes:
            return RequirementResult(requirement, Verdict.SKIP, "no check ran")
        for verdict in (Verdict.FAIL, Verdict.ERROR):
            decisive = [o for o in outcomes if o.verdict is verdict]
            if decisive:
                return RequirementResult(requirement, verdict, decisive[0].message, outcomes)
        passed = [o for o in outcomes if o.verdict is Verdict.PASS]
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
            strict=self.strict,
            command=self.command,
            manifest=self.manifest.public_view(),
        )


def _has_request(exc: httpx.TransportError) -> bool:
    try:
        exc.request  # noqa: B018 - raises RuntimeError when the error has no request
    except RuntimeError:
        return False
    return True
