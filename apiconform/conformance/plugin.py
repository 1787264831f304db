"""The pytest plugin (entry point ``pytest11``): options, the ``requirement`` marker and the
fixtures ``conformance``, ``target``, ``manifest`` and ``echo_server``.

It is inert unless a ``--conformance-*`` option is given: a project's own test run only
sees the marker registered. Run the suite with::

    pytest --pyargs apiconform.conformance.suite --conformance-url=http://127.0.0.1:8000
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from apiconform.conformance.echo import EchoServer
    from apiconform.conformance.evidence import TargetClient
    from apiconform.conformance.manifest import Manifest
    from apiconform.conformance.registry import Check
    from apiconform.conformance.runner import ConformanceRun

OPTIONS = ("url", "manifest", "report", "proposals", "level", "timeout", "strict")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """With the plugin active, a ``requirement`` marker naming no catalog entry fails its
    test: a typo would otherwise drop the result from the report unnoticed."""
    marker = item.get_closest_marker("requirement")
    if marker is None or not active(item.config):
        return
    from apiconform.spec import load_catalog

    unknown = [rid for rid in marker.args if rid not in load_catalog()]
    if unknown:
        pytest.fail(f"unknown requirement id(s) {unknown} in @pytest.mark.requirement", False)


RUN_KEY = pytest.StashKey["ConformanceRun"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "apiconform conformance suite")
    group.addoption("--conformance-url", help="Base URL of a running target (external mode).")
    group.addoption(
        "--conformance-manifest", help="Manifest TOML of the target (managed or external)."
    )
    group.addoption(
        "--conformance-report",
        help="Directory for conformance.{json,junit.xml,md,html} written at the end.",
    )
    group.addoption("--conformance-proposals", help="Comma-separated proposals to check.")
    group.addoption(
        "--conformance-level",
        help="Check requirements of this level and stronger: must, should or may (default).",
    )
    group.addoption(
        "--conformance-timeout",
        help="Seconds each request to the target may take (default 10).",
    )
    group.addoption(
        "--conformance-strict",
        action="store_true",
        default=None,
        help="A MUST requirement that is not verified (skipped) fails.",
    )


def active(config: pytest.Config) -> bool:
    return any(config.getoption(f"--conformance-{name}") for name in OPTIONS)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requirement(*ids): the conformance requirement ids (e.g. SCOPE-ISO-02) this test decides",
    )
    if active(config):
        # a bad option is a usage error now, not a collection traceback later
        from apiconform.conformance.report import ensure_writable
        from apiconform.errors import ApiconformError

        try:
            _build_run(config)
            directory = config.getoption("--conformance-report")
            if directory:
                ensure_writable(Path(directory))
        except ApiconformError as exc:
            raise pytest.UsageError(f"conformance: {exc}") from None


def _timeout(config: pytest.Config) -> float:
    from apiconform.conformance.context import DEFAULT_TIMEOUT
    from apiconform.errors import ConfigError

    raw = config.getoption("--conformance-timeout")
    if raw is None:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 600:
        raise ConfigError(f"--conformance-timeout {raw!r}: give seconds between 0 and 600")
    return value


def _build_run(config: pytest.Config) -> ConformanceRun:
    from apiconform.conformance.cli import choose_manifest, parse_level, parse_proposals
    from apiconform.conformance.runner import ConformanceRun

    manifest_file = config.getoption("--conformance-manifest")
    manifest = choose_manifest(
        config.getoption("--conformance-url"), Path(manifest_file) if manifest_file else None
    )
    return ConformanceRun(
        manifest,
        proposals=parse_proposals(config.getoption("--conformance-proposals")),
        level=parse_level(config.getoption("--conformance-level")),
        timeout=_timeout(config),
        strict=bool(config.getoption("--conformance-strict")),
    )


def selected_checks(config: pytest.Config) -> list[Check]:
    """The checks deciding a requirement the options select (claims and mode are decided
    when the run starts: such tests skip with the reason)."""
    from apiconform.conformance.registry import all_checks

    run = _build_run(config)
    wanted = {r.id for r in run.requirements}
    return [c for c in all_checks() if wanted & set(c.requirement_ids)]


STOPPED_KEY = pytest.StashKey[int]()


@pytest.fixture(scope="session")
def conformance(request: pytest.FixtureRequest) -> Iterator[ConformanceRun]:
    """The run: the target (started in managed mode), its services and the echo server.
    SIGTERM and SIGHUP stop them before the session ends."""
    config = request.config
    if not active(config):
        pytest.fail(
            "the conformance fixtures need --conformance-url, --conformance-manifest or "
            "another --conformance-* option",
            pytrace=False,
        )
    from apiconform.conformance.signals import Terminated, stop_cleanly
    from apiconform.errors import ApiconformError

    def stop(signum: int) -> NoReturn:
        config.stash[STOPPED_KEY] = signum  # the session ends as on Ctrl-C, then exits
        raise Terminated(signum)

    run = _build_run(config)
    with stop_cleanly(run.close, stop):
        try:
            run.start()
        except ApiconformError as exc:
            pytest.fail(f"conformance target: {exc}", pytrace=False)
        config.stash[RUN_KEY] = run
        try:
            yield run
        finally:
            run.close()


@pytest.fixture(scope="session")
def manifest(conformance: ConformanceRun) -> Manifest:
    return conformance.manifest


@pytest.fixture(scope="session")
def echo_server(conformance: ConformanceRun) -> EchoServer:
    assert conformance.echo is not None
    return conformance.echo


@pytest.fixture
def target(conformance: ConformanceRun) -> Iterator[TargetClient]:
    """An httpx client bound to the target that records each exchange as evidence."""
    from apiconform.conformance.evidence import TargetClient

    with TargetClient(conformance.base_url, timeout=conformance.timeout) as client:
        yield client


def run_check_in_pytest(run: ConformanceRun, check: Check) -> None:
    """Run ``check`` and turn its outcome into a pytest result. SHOULD/MAY failures are
    shown as xfail: only a MUST failure fails the session, as with ``apiconform check``
    (and, with ``--conformance-strict``, a MUST requirement that is not verified)."""
    from apiconform.conformance.report.model import Verdict
    from apiconform.spec import Level, load_catalog

    levels = {load_catalog().get(rid).level for rid in check.requirement_ids}
    must = Level.MUST in levels
    reason = run.why_not(check)
    if reason is not None:
        if run.strict and must and reason.startswith("skip:"):
            pytest.fail(f"not verified (strict): {reason}", pytrace=False)
        pytest.skip(reason)
    outcome = run.run_check(check)
    if outcome.verdict is Verdict.ERROR:
        pytest.fail(f"the check broke (not the target's failure): {outcome.message}", False)
    if outcome.verdict is Verdict.SKIP:
        if run.strict and must:
            pytest.fail(f"not verified (strict): {outcome.message}", pytrace=False)
        pytest.skip(outcome.message)
    if outcome.verdict is Verdict.FAIL:
        if not must:
            names = "/".join(sorted(level.value for level in levels))
            pytest.xfail(f"{names} not met: {outcome.message}")
        pytest.fail(f"[{outcome.assertion}] {outcome.message}", pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """Record the outcome of a user's own test marked ``requirement`` in the run's report."""
    result = yield
    report = result.get_result()
    run = item.config.stash.get(RUN_KEY, None)
    marker = item.get_closest_marker("requirement")
    if run is None or marker is None or "conformance_check" in getattr(item, "fixturenames", ()):
        return
    # the test's verdict: its call, or a setup that skipped or failed, or a teardown failure
    decisive = (
        report.when == "call"
        or (report.when == "setup" and not report.passed)
        or (report.when == "teardown" and report.failed)
    )
    if not decisive:
        return
    from apiconform.conformance.report.model import CheckOutcome, Verdict
    from apiconform.spec import load_catalog

    catalog = load_catalog()
    known = tuple(rid for rid in marker.args if rid in catalog)
    if not known:
        return
    verdict = Verdict.PASS if report.passed else Verdict.SKIP if report.skipped else Verdict.FAIL
    run.outcomes.append(
        CheckOutcome(
            check=item.nodeid,
            requirement_ids=known,
            verdict=verdict,
            message=f"{report.when}: {str(report.longrepr)[:2000]}" if report.failed else "",
            duration_ms=round(report.duration * 1000, 1),
        )
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    directory = session.config.getoption("--conformance-report")
    if run is not None and directory:
        _write_reports(session, run, Path(directory))
    signum = session.config.stash.get(STOPPED_KEY, None)
    if signum is not None:
        import signal

        pytest.exit(
            f"stopped by {signal.Signals(signum).name}; the target and its services were stopped",
            returncode=128 + signum,
        )


def _write_reports(session: pytest.Session, run: ConformanceRun, directory: Path) -> None:
    from apiconform.conformance.report import write_reports

    report = run.report()
    written = write_reports(report, directory)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        from apiconform.conformance.report.markdown import summary_rows

        reporter.write_sep("-", "conformance")
        for proposal, passed, failed, errors, skipped, not_claimed in summary_rows(report):
            reporter.write_line(
                f"{proposal}: {passed} passed, {failed} failed, {errors} errors, "
                f"{skipped} skipped, {not_claimed} not claimed"
            )
        reporter.write_line(f"conformance {report.status_line()}: {report.coverage_line}")
        reporter.write_line(f"reports written to {written[0].parent}/")
