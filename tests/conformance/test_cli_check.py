from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from apiconform.cli import main
from tests.conformance.conftest import RunningDemo

ROOT = Path(__file__).resolve().parents[2]


def test_check_with_no_arguments_checks_the_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    claims = "add-application-scopes, add-error-handling"
    assert re.search(rf"checking \d+ requirements \(managed mode, claims: {claims}\)", out)
    assert row(out, "add-application-scopes") == [12, 0, 1, 0]
    assert row(out, "add-error-handling")[1] == 0  # (the database outage needs DATABASE_URL)
    assert "conformance passed (managed mode" in out
    assert "reports written to apiconform-report/" in out
    report = json.loads((tmp_path / "apiconform-report" / "conformance.json").read_text())
    assert report["passed"] is True
    for name in ("conformance.html", "conformance.junit.xml", "conformance.md"):
        assert (tmp_path / "apiconform-report" / name).stat().st_size > 0


def test_check_a_running_url_with_its_manifest(
    running_demo: RunningDemo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = running_demo.write_manifest(tmp_path / "t.toml")
    code = main(
        [
            "check",
            running_demo.urls[0],
            "--manifest",
            str(manifest),
            "--report",
            str(tmp_path / "r"),
            "--level",
            "must",
            "--proposals",
            "add-application-scopes",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "(external mode, claims: add-application-scopes)" in out
    assert row(out, "add-application-scopes") == [9, 0, 4, 0]


def row(out: str, proposal: str) -> list[int]:
    """The (passed, failed, skipped, not claimed) counts printed for ``proposal``."""
    line = next(x for x in out.splitlines() if x.startswith(proposal + " "))
    return [int(n) for n in line.split()[1:]]


def test_check_a_bare_url_claims_everything(
    running_demo: RunningDemo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["check", running_demo.urls[0], "--report", str(tmp_path / "r")]
    code = main([*args, "--proposals", "add-application-scopes"])
    out = capsys.readouterr().out
    # without a manifest there are no [[scopes.apps]]: the isolation checks skip; and a
    # bare URL claims every proposal, so the demo's missing /metrics fails SCOPE-LOG-02
    assert row(out, "add-application-scopes") == [3, 1, 9, 0]
    assert "FAIL SCOPE-LOG-02 [MUST] metrics answered 404" in out
    assert code == 1


def test_a_failing_must_requirement_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = ROOT / "apiconform/reference/demo"
    manifest = (demo / "manifest.toml").read_text()
    assert "{python} -m apiconform.cli serve" in manifest
    variant = "{python} -m tests.selftest.variants shared-cache serve"
    manifest = manifest.replace("{python} -m apiconform.cli serve", variant)
    manifest = manifest.replace("[target]\n", f'[target]\ncwd = "{ROOT}"\n', 1)
    path = tmp_path / "broken.toml"
    path.write_text(manifest)
    (tmp_path / "demo.toml").write_text((demo / "demo.toml").read_text())  # {manifest_dir}
    assert main(["check", "--manifest", str(path), "--report", str(tmp_path / "r")]) == 1
    out = capsys.readouterr().out
    assert "FAIL SCOPE-ISO-02 [MUST]" in out
    assert "conformance failed: 1 MUST requirement(s)" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["check", "--proposals", "add-magic"], "unknown proposal 'add-magic'"),
        (["check", "--manifest", "/nonexistent.toml"], "cannot read manifest"),
        (["check", "notaurl"], "<command line>: invalid manifest: target.base_url"),
        (
            ["check", "notaurl", "--manifest", "apiconform/reference/demo/manifest.toml"],
            "'notaurl' is not an http(s) URL of a target",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_target_that_cannot_start_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.toml"
    path.write_text("[target]\nstart = \"{python} -c 'raise SystemExit(4)' {port}\"\n")
    assert main(["check", "--manifest", str(path), "--report", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "apiconform: error: target exited with status 4 before it was ready" in err


def test_catalog_command_formats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "--proposal", "add-application-scopes"]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == ["id", "level", "observed", "title"]
    assert "SCOPE-ISO-02" in table
    assert "\nERR-" not in table
    assert main(["catalog", "--format", "json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert len(entries) >= 188
    assert {"id", "proposal", "level", "observed", "spec", "scenario"} <= set(entries[0])
    assert main(["catalog", "--format", "markdown", "--proposal", "add-api-versioning"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("## add-api-versioning")
    assert "| id | level | observed | title | spec scenario |" in markdown
    assert main(["catalog", "--proposal", "nope"]) == 2
