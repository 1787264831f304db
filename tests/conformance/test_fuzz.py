"""``apiconform fuzz``: schemathesis against each version's document, on the reference
(managed) and on small targets on 127.0.0.1, correct and broken."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse

from apiconform.cli import main
from apiconform.conformance import fuzz
from tests.load.targets import serve


def versioned_app(*, broken: bool = False, versions: tuple[str, ...] = ("1", "2")) -> FastAPI:
    """Each version's items at /v<N>/items, documented at /openapi/v<N>.json; ``broken``
    answers 500 to a page size it documents as valid."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    documents: dict[str, FastAPI] = {}
    for version in versions:
        sub = FastAPI(title=f"items v{version}", version=version, openapi_url=None)

        @sub.get(f"/v{version}/items")
        async def items(size: int = Query(default=10, ge=1, le=100)) -> list[int]:
            if broken and size > 50:
                raise RuntimeError("page too large")
            return list(range(min(size, 3)))

        documents[version] = sub
        app.router.routes.extend(sub.router.routes)

    @app.get("/openapi/v{version}.json", include_in_schema=False)
    async def document(version: str) -> Any:
        if version not in documents:
            return JSONResponse({"title": "Not Found"}, status_code=404)
        return documents[version].openapi()

    return app


def report_of(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((path / "fuzz.json").read_text())
    return data


def by_version(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["version"]: d for d in data["documents"]}


# three documents in turn against a traced reference: ~35 s alone, several times that on a
# loaded CI machine
@pytest.mark.timeout(600)
def test_the_reference_documents_hold_under_fuzzing(tmp_path: Path) -> None:
    assert main(["fuzz", "--examples", "10", "--report", str(tmp_path)]) == 0
    data = report_of(tmp_path)
    assert data["passed"] is True
    assert data["target"] == "managed"
    found = by_version(data)
    assert set(found) == {"0", "1", "2"}  # the demo's versions, the retired one included
    assert all(d["passed"] is True for d in found.values()), found
    assert "nothing found" in found["2"]["detail"]


def test_a_server_error_on_a_documented_input_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(versioned_app(broken=True)) as url:
        assert main(["fuzz", url, "--examples", "30", "--report", str(tmp_path)]) == 1
    data = report_of(tmp_path)
    assert data["passed"] is False
    for document in by_version(data).values():
        assert document["passed"] is False
        assert "500" in document["output"] or "Server error" in document["output"]
    out = capsys.readouterr().out
    assert "FAIL  v1" in out
    assert "reproduce: " in out


def test_a_version_without_a_document_is_skipped_not_failed(tmp_path: Path) -> None:
    manifest = tmp_path / "target.toml"
    with serve(versioned_app(versions=("2", "3"))) as url:
        manifest.write_text(
            f'[target]\nbase_url = "{url}"\n[versioning]\nversions = ["1", "2", "3"]\n'
        )
        args = ["fuzz", "--manifest", str(manifest), "--examples", "5"]
        assert main([*args, "--report", str(tmp_path / "r")]) == 0
    found = by_version(report_of(tmp_path / "r"))
    assert found["1"]["passed"] is None
    assert found["1"]["detail"] == "no document (404)"
    assert found["2"]["passed"] is found["3"]["passed"] is True


def test_a_target_serving_no_document_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(versioned_app(versions=())) as url:
        assert main(["fuzz", url, "--report", str(tmp_path)]) == 2
    assert "no version's document was served" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("body", "detail"),
    [(b"<html>", "the document is not JSON"), (b'{"openapi": "3.1.0"}', "no paths object")],
)
def test_a_document_that_is_not_openapi_fails(body: bytes, detail: str, tmp_path: Path) -> None:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/openapi/v{version}.json")
    async def document(version: str) -> Any:
        from starlette.responses import Response

        return Response(body, media_type="application/json")

    with serve(app) as url:
        assert main(["fuzz", url, "--report", str(tmp_path)]) == 1
    assert all(detail in d["detail"] for d in report_of(tmp_path)["documents"])


def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "m.toml"
    manifest.write_text(
        '[target]\nbase_url = "http://127.0.0.1:9"\n[versioning]\nopenapi = false\n'
    )
    assert main(["fuzz", "--manifest", str(manifest), "--report", str(tmp_path / "r")]) == 2
    assert "versioning.openapi" in capsys.readouterr().err
    assert main(["fuzz", "http://127.0.0.1:9", "--examples", "0"]) == 2


def test_a_target_that_does_not_answer_is_named_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fuzz", "http://127.0.0.1:9", "--report", str(tmp_path)]) == 2
    assert "the target does not answer" in capsys.readouterr().err


def test_without_schemathesis_the_install_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "schemathesis" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert main(["fuzz"]) == 2
    assert "pip install 'apiconform[fuzz]'" in capsys.readouterr().err


def test_schemathesis_is_found_beside_the_interpreter_or_on_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(fuzz.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(fuzz.shutil, "which", lambda name: "/opt/bin/schemathesis")
    assert fuzz.schemathesis_command() == ["/opt/bin/schemathesis"]
    monkeypatch.setattr(fuzz.shutil, "which", lambda name: None)
    with pytest.raises(fuzz.ConfigError, match=r"apiconform\[fuzz\]"):
        fuzz.schemathesis_command()


def test_a_document_that_cannot_be_fetched_or_fuzzed_in_time_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    options: dict[str, Any] = {"examples": 1, "seed": 1, "workdir": tmp_path, "timeout": 2.0}
    gone = fuzz.fuzz_document("1", "http://127.0.0.1:9/openapi/v1.json", **options)
    assert gone.passed is False
    assert gone.detail.startswith("not fetched: ")
    monkeypatch.setattr(fuzz, "RUN_TIMEOUT", 0.5)
    sleeper = [sys.executable, "-c", "import time; time.sleep(10)"]
    monkeypatch.setattr(fuzz, "schemathesis_command", lambda: sleeper)
    with serve(versioned_app()) as url:
        slow = fuzz.fuzz_document("1", f"{url}/openapi/v1.json", **options)
    assert slow.passed is False
    assert slow.detail == "schemathesis ran past 0.5 s"
