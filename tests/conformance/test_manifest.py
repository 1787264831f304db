from __future__ import annotations

from pathlib import Path

import pytest

from apiconform.conformance.cli import reference_manifest
from apiconform.conformance.manifest import (
    default_manifest,
    load_manifest,
    parse_manifest,
    placeholders,
)
from apiconform.errors import ConfigError
from apiconform.spec import PROPOSALS


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "target.toml"
    path.write_text(text)
    return path


def test_external_manifest_with_defaults(tmp_path: Path) -> None:
    manifest = load_manifest(
        write(
            tmp_path,
            'claims = ["add-application-scopes"]\n[target]\nbase_url = "http://127.0.0.1:9"\n',
        )
    )
    assert not manifest.target.managed
    assert manifest.scopes.whoami == "/scopes/whoami"
    assert manifest.observability.metrics == "/metrics"
    assert manifest.target.ready_path == "/health/live"
    assert manifest.source == str(tmp_path / "target.toml")
    assert manifest.claims_proposal("add-application-scopes")
    assert not manifest.claims_proposal("add-error-handling")


def test_managed_manifest_accepts_every_documented_placeholder(tmp_path: Path) -> None:
    manifest = load_manifest(
        write(
            tmp_path,
            "[target]\n"
            'start = "{python} app.py --port {port} --second {port1} --redis {redis_url} '
            '--db {database_url} --oauth {oauth_mock_url} --echo {echo_url}"\n'
            "ports = 2\n",
        )
    )
    assert manifest.target.managed


def test_the_reference_manifest_is_valid_and_managed() -> None:
    manifest = reference_manifest()
    assert manifest.target.managed
    assert manifest.claims == ["add-application-scopes", "add-error-handling"]
    assert len(manifest.scopes.apps) == 2


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[target]\n", "target: give exactly one of base_url (external) or start (managed)"),
        (
            '[target]\nbase_url = "http://x"\nstart = "run {port}"\n',
            "give exactly one of base_url",
        ),
        ('[target]\nbase_url = "ftp://x"\n', "target.base_url: String should match pattern"),
        ('[target]\nstart = "run {prot}"\n', "start: unknown placeholder {prot}"),
        ('[target]\nstart = "run {port1}"\n', "start: unknown placeholder {port1}"),
        ('[target]\nstart = "run 8000"\n', "start: the command must take its port from {port}"),
        ('[target]\nstart = "run {port"\n', "start: malformed placeholder"),
        ('[target]\nstart = "run {port}"\nports = 99\n', "target.ports: Input should be less"),
        (
            'claims = ["add-magic"]\n[target]\nbase_url = "http://x"\n',
            "claims: unknown proposal 'add-magic'",
        ),
        ('[target]\nbase_url = "http://x"\n[scopes]\nwhoamii = "/x"\n', "scopes.whoamii: Extra"),
        ('[target]\nbase_url = "http://x"\ncolour = 1\n', "target.colour: Extra inputs"),
    ],
)
def test_bad_manifests_name_the_file_and_field(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_manifest(path)
    message = str(info.value)
    assert message.startswith(f"{path}: invalid manifest: ")
    assert fragment in message
    assert "\n" not in message


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.toml: cannot read manifest"):
        load_manifest(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match=r"target.toml: invalid TOML: .*line 1"):
        load_manifest(write(tmp_path, "[target\n"))


def test_url_override_switches_to_external_mode() -> None:
    manifest = reference_manifest().with_base_url("http://127.0.0.1:9000/")
    assert not manifest.target.managed
    assert manifest.target.base_url == "http://127.0.0.1:9000"
    assert manifest.scopes.apps  # probes are kept


def test_bare_url_claims_every_proposal() -> None:
    manifest = default_manifest("http://127.0.0.1:9000")
    assert manifest.claims == list(PROPOSALS)
    assert manifest.source == "<command line>"


def test_placeholders_are_listed() -> None:
    assert placeholders("a {port} b {python}") == {"port", "python"}
    assert parse_manifest({"target": {"start": "x {port}"}}).target.ports == 1
