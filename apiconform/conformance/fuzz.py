"""``apiconform fuzz``: schemathesis against each version's OpenAPI document of a target.

The conformance checks judge requirements one by one; this runs property-based tests
generated from the documents the target publishes (``[versioning] openapi`` of its
manifest, one per declared version): no 5xx, status codes, content types, headers and
bodies as documented, unsupported methods refused. The target is the one ``apiconform
check`` would judge: an external URL, or a managed target the suite starts and stops.

schemathesis is an optional dependency (``pip install 'apiconform[fuzz]'``); each
document runs in its own ``schemathesis run`` process with a fixed seed, so a finding is
reproduced by the command printed beside it.
"""

from __future__ import annotations

import importlib.util
import json
import shlex
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import click
import httpx

from apiconform.conformance.cli import choose_manifest
from apiconform.conformance.manifest import Manifest
from apiconform.conformance.report import ensure_writable
from apiconform.conformance.runner import ConformanceRun
from apiconform.conformance.signals import Terminated, stop_cleanly
from apiconform.errors import ConfigError

# schemathesis' checks that hold for any honest implementation of a published document
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "unsupported_method",
)
OUTPUT_TAIL = 4000  # characters of schemathesis' output kept in fuzz.json per document
RUN_TIMEOUT = 600.0  # seconds one document's schemathesis run may take


@dataclass(frozen=True)
class DocumentResult:
    """How one version's document fared: ``passed`` is None when it was not fuzzed."""

    version: str
    url: str
    passed: bool | None
    detail: str
    command: list[str]
    output: str = ""


def schemathesis_command() -> list[str]:
    """The ``schemathesis`` of this interpreter's environment, else the one on PATH."""
    beside = Path(sys.executable).parent / "schemathesis"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("schemathesis")
    if found is None:
        raise ConfigError("schemathesis is not installed: pip install 'apiconform[fuzz]'")
    return [found]


def document_paths(manifest: Manifest) -> list[tuple[str, str]]:
    """(version, path) of each declared version's document."""
    probes = manifest.versioning
    if not probes.openapi:
        raise ConfigError("the manifest declares no per-version documents (versioning.openapi)")
    return [(v, probes.openapi.replace("{version}", v)) for v in probes.versions]


def fuzz_document(
    version: str, url: str, *, examples: int, seed: int, workdir: Path, timeout: float
) -> DocumentResult:
    """schemathesis against one document (skipped when the target does not serve it)."""
    command = [*schemathesis_command(), "run", url, "--checks", ",".join(CHECKS)]
    command += ["--seed", str(seed), "-n", str(examples), "--no-color"]
    command += ["--request-timeout", str(timeout)]
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return DocumentResult(version, url, False, f"not fetched: {exc}", command)
    if response.status_code in (404, 410):
        return DocumentResult(version, url, None, f"no document ({response.status_code})", command)
    try:
        document = response.json()
    except json.JSONDecodeError:
        return DocumentResult(version, url, False, "the document is not JSON", command)
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        return DocumentResult(version, url, False, "the document has no paths object", command)
    workdir.mkdir(parents=True, exist_ok=True)  # schemathesis keeps its cache there
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, cwd=workdir, timeout=RUN_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        detail = f"schemathesis ran past {RUN_TIMEOUT:g} s"
        return DocumentResult(version, url, False, detail, command)
    output = (done.stdout + done.stderr)[-OUTPUT_TAIL:]
    operations = len(document["paths"])
    if done.returncode == 0:
        detail = f"{operations} path(s), up to {examples} examples each: nothing found"
        return DocumentResult(version, url, True, detail, command, output)
    summary = _failure_lines(done.stdout) or f"schemathesis exited {done.returncode}"
    return DocumentResult(version, url, False, summary, command, output)


def _failure_lines(stdout: str) -> str:
    """The lines of schemathesis' report that name a failed check."""
    marks = ("Server error", "Undocumented", "not conform", "Unsupported method", "Failed")
    lines = [line.strip() for line in stdout.splitlines() if any(m in line for m in marks)]
    return "; ".join(dict.fromkeys(lines))[:500]


@click.command()
@click.argument("url", required=False)
@click.option(
    "--manifest",
    "manifest_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Manifest TOML of the target (default: the reference demo, started by the suite).",
)
@click.option(
    "--examples",
    type=click.IntRange(1, 1000),
    default=25,
    show_default=True,
    help="Examples schemathesis generates per operation.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="schemathesis' seed.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True, max=600),
    default=10.0,
    show_default=True,
    help="Seconds each request may take.",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("apiconform-fuzz"),
    show_default=True,
    help="Directory for fuzz.json and schemathesis' working files.",
)
def fuzz(
    url: str | None,
    manifest_file: Path | None,
    examples: int,
    seed: int,
    timeout: float,
    report_dir: Path,
) -> int:
    """Run schemathesis against each version's OpenAPI document of a target.

    Exit status: 0 when nothing was found in any document served, 1 when something was,
    2 on bad input, a target that cannot be started or does not answer, or no document
    served at all; 128+N when stopped by signal N.
    """
    if importlib.util.find_spec("schemathesis") is None:
        raise ConfigError("schemathesis is not installed: pip install 'apiconform[fuzz]'")
    schemathesis_command()
    manifest = choose_manifest(url, manifest_file)
    documents = document_paths(manifest)
    ensure_writable(report_dir)
    run = ConformanceRun(manifest)
    results: list[DocumentResult] = []
    try:
        with stop_cleanly():
            try:
                run.start()
                for version, path in documents:
                    document = run.base_url + path
                    click.echo(f"fuzzing version {version}: {document}")
                    result = fuzz_document(
                        version,
                        document,
                        examples=examples,
                        seed=seed,
                        workdir=report_dir / "work",
                        timeout=timeout,
                    )
                    results.append(result)
                    _print(result)
            finally:
                run.close()
    except Terminated as stopped:
        click.echo(f"apiconform: stopped by {stopped}; the target was stopped", err=True)
        return stopped.exit_status
    fuzzed = [r for r in results if r.passed is not None]
    report = report_dir / "fuzz.json"
    data = {
        "target": manifest.target.base_url or "managed",
        "examples": examples,
        "seed": seed,
        "checks": list(CHECKS),
        "passed": bool(fuzzed) and all(r.passed for r in fuzzed),
        "documents": [asdict(r) for r in results],
    }
    report.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    click.echo(f"report written to {report}")
    if not fuzzed:
        raise ConfigError("no version's document was served: nothing was fuzzed")
    return 0 if data["passed"] else 1


def _print(result: DocumentResult) -> None:
    verdict = {True: "pass", False: "FAIL", None: "skip"}[result.passed]
    click.echo(f"  {verdict}  v{result.version}: {result.detail}")
    if result.passed is False and result.output:
        click.echo(f"  reproduce: {shlex.join(result.command)}")
