"""The check that every source file reaches the coverage report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from check_coverage_files import main, missing_files  # noqa: E402


def test_files_absent_from_the_report_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("__init__.py", "a.py", "ns/b.py"):
        (tmp_path / "pkg" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "pkg" / name).write_text("")
    report = tmp_path / "coverage.json"
    report.write_text(json.dumps({"files": {"pkg/__init__.py": {}, "pkg/a.py": {}}}))
    assert missing_files(Path("coverage.json"), Path("pkg")) == ["pkg/ns/b.py"]
    assert main(["coverage.json", "pkg"]) == 1
    assert "not in the coverage report: pkg/ns/b.py" in capsys.readouterr().err
    every = {f"pkg/{name}": {} for name in ("__init__.py", "a.py", "ns/b.py")}
    report.write_text(json.dumps({"files": every}))
    assert main(["coverage.json", "pkg"]) == 0
    assert main([]) == 2
