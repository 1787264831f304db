from __future__ import annotations

from pathlib import Path
from typing import Any

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
    assert manifest.claims == [
        "add-api-versioning",
        "add-application-scopes",
        "add-error-handling",
        "add-health-observability",
        "add-oauth-providers",
        "enhance-throttler",
    ]
    assert "--oauth-mock-url {oauth_mock_url}" in manifest.target.start
    assert len(manifest.scopes.apps) == 2
    assert manifest.versioning.deprecated
    assert manifest.versioning.deprecated.version == "1"


def test_versioning_probes_default_to_the_spec_and_may_be_absent() -> None:
    manifest = parse_manifest({"target": {"base_url": "http://x"}})
    probes = manifest.versioning
    assert (probes.header, probes.vendor, probes.uri_prefix) == ("X-API-Version", "cmmv", "v")
    assert probes.strategies == ["uri", "header", "media_type"]
    assert probes.deprecated is False
    assert probes.versioned("2", "/users") == "/v2/users"
    custom = parse_manifest(
        {
            "target": {"base_url": "http://x"},
            "versioning": {"uri_prefix": "api/v", "strategies": ["uri"], "resource": False},
        }
    ).versioning
    assert custom.versioned("3", "/") == "/api/v3"
    assert not custom.supports("header")
    assert custom.resource is False
    with pytest.raises(ConfigError, match=r"versioning\.strategies"):
        parse_manifest({"target": {"base_url": "http://x"}, "versioning": {"strategies": ["x"]}})
    with pytest.raises(ConfigError, match=r"versioning\.deprecated"):
        parse_manifest({"target": {"base_url": "http://x"}, "versioning": {"deprecated": "1"}})


@pytest.mark.parametrize(
    ("versioning", "message"),
    [
        ({"shared": {"versions": ["1", "3"], "path": "/x"}}, r"shared: versions \['3'\]"),
        ({"shared": {"versions": ["2"], "path": "/x"}}, r"versioning\.shared"),
        ({"deprecated": {"version": "0", "path": "/x"}}, "deprecated: version 0 is not in"),
        ({"sunset_passed": {"version": "9", "path": "/x"}}, "sunset_passed: version 9 is not"),
        ({"controller": {"version": "3", "paths": ["/x"]}}, r"controller: versions \['3'\]"),
        ({"controller": {"version": "1", "paths": []}}, r"versioning\.controller"),
        (
            {"override": {"controller_version": "1", "versions": ["3"], "path": "/x"}},
            r"override: versions \['3'\]",
        ),
        (
            {"override": {"controller_version": "1", "versions": ["1", "2"], "path": "/x"}},
            "include its controller's version 1, so nothing is overridden",
        ),
    ],
)
def test_versioned_probes_name_declared_versions(versioning: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_manifest({"target": {"base_url": "http://x"}, "versioning": versioning})
    shared = {"versions": ["2", "1"], "path": "/about"}
    probes = parse_manifest({"target": {"base_url": "http://x"}, "versioning": {"shared": shared}})
    assert probes.versioning.shared
    assert probes.versioning.shared.versions == ["2", "1"]


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


def test_any_probe_may_be_declared_absent(tmp_path: Path) -> None:
    manifest = load_manifest(
        write(
            tmp_path,
            '[target]\nbase_url = "http://x"\n'
            "[scopes]\nrequest_ids = false\n"
            '[[scopes.apps]]\nurl = "http://x"\nonly_route = false\n'
            "[observability]\nmetrics = false\n"
            '[errors]\ncreate = false\ntriggers = { not-found = "/x" }\n'
            "development_url = false\n"
            "[errors.filters]\nroute = false\n",
        )
    )
    assert manifest.scopes.request_ids is False
    assert manifest.scopes.apps[0].only_route is False
    assert manifest.observability.metrics is False
    assert manifest.errors.create is False
    assert manifest.errors.triggers == {"not-found": "/x"}  # the other kinds: none
    assert manifest.errors.development_url is False
    assert manifest.errors.filters.route is False
    assert manifest.scopes.startup.port_conflict is False  # start-up probes: none by default
    assert parse_manifest({"target": {"base_url": "http://x"}, "errors": {"triggers": False}})


@pytest.mark.parametrize(
    ("section", "fragment"),
    [
        ("[errors]\ncreate = true\n", "errors.create: must be a path starting with / (or false"),
        ('[errors]\ncreate = "users"\n', "errors.create: must be a path starting with /"),
        ("[scopes]\nwhoami = 3\n", "scopes.whoami: must be a path"),
        ('[errors]\ntriggers = { gone = "/x" }\n', "errors.triggers: unknown kind 'gone'"),
        ("[errors]\ntriggers = { not-found = true }\n", "errors.triggers: a trigger must be"),
        ("[errors]\ntriggers = 4\n", "errors.triggers: must be a table of kind = path"),
        ('[errors]\ndevelopment_url = "ftp://x"\n', "errors.development_url: must be an http"),
        ('[errors]\nsentry_project = ""\n', "errors.sentry_project: must be a non-empty string"),
        (
            '[scopes.startup]\nduplicate_id = "run {app}"\n',
            "scopes.startup.duplicate_id: cannot be read as a command: unknown placeholder {app}",
        ),
        ("[scopes.startup]\ninvalid_scope = true\n", "scopes.startup.invalid_scope: must be a"),
        (
            '[errors.filters]\ntypes = { route = "/a" }\n',
            "errors.filters: types: give exactly route, controller, global",
        ),
        (
            '[errors.filters]\ntypes = { route = "/a", controller = "/a", global = "/b" }\n',
            "each filter must stamp a type of its own",
        ),
    ],
)
def test_bad_probe_values_name_the_field(tmp_path: Path, section: str, fragment: str) -> None:
    path = write(tmp_path, f'[target]\nbase_url = "http://x"\n{section}')
    with pytest.raises(ConfigError) as info:
        load_manifest(path)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_startup_commands_take_the_suites_values(tmp_path: Path) -> None:
    manifest = load_manifest(
        write(
            tmp_path,
            '[target]\nbase_url = "http://x"\n[scopes.startup]\n'
            'invalid_config = "{python} app.py --id {app_id} --port {port} --dir {manifest_dir}"\n'
            'invalid_scope = "{python} app.py --scope {scope}"\n',
        )
    )
    assert manifest.scopes.startup.invalid_config.endswith("{manifest_dir}")


def test_a_url_without_a_scheme_gets_a_hint() -> None:
    with pytest.raises(ConfigError, match=r"'127.0.0.1:8000' is not a URL; did you mean http://"):
        default_manifest("127.0.0.1:8000")
    with pytest.raises(ConfigError, match=r"did you mean http://example.org/api\?"):
        reference_manifest().with_base_url("example.org/api")


def test_the_public_view_hides_credentials() -> None:
    manifest = parse_manifest(
        {
            "target": {
                "start": "{python} app.py {port} --db postgresql://u:pw1234@db/x --token=abc123",
                "env": {"API_TOKEN": "tok-9876", "LOG_LEVEL": "info"},
            },
            "errors": {"webhook_secret": "s3cret-value", "crash_secrets": ["s3cret-value"]},
        }
    )
    view = manifest.public_view()
    text = repr(view)
    for secret in ("pw1234", "abc123", "tok-9876", "s3cret-value"):
        assert secret not in text, secret
    assert view["errors"]["webhook_secret"] == "[redacted]"
    assert view["target"]["env"] == {"API_TOKEN": "[redacted]", "LOG_LEVEL": "info"}
    assert manifest.hide("echo tok-9876 and s3cret-value") == "echo [redacted] and [redacted]"


def test_the_throttling_test_credentials_never_reach_a_report() -> None:
    tokens = {"ann": ["tok-ann-phone", "tok-ann-laptop"], "ben": ["tok-ben"]}
    keys = [
        {"key": "key-free-1", "tier": "free", "limit": 5},
        {"key": "key-pro-1", "tier": "pro", "limit": 50, "override": True},
    ]
    manifest = parse_manifest(
        {
            "target": {"base_url": "http://x"},
            "throttling": {
                "user": {"limit": 20, "anonymous_limit": 10, "tokens": tokens},
                "api_key": {"keys": keys},
            },
        }
    )
    text = repr(manifest.public_view())
    for secret in ("tok-ann-phone", "tok-ann-laptop", "tok-ben", "key-free-1", "key-pro-1"):
        assert secret not in text, secret
    assert manifest.hide("Bearer tok-ben sent") == "Bearer [redacted] sent"
    assert "ann" in text  # the users and tiers stay: messages name them


@pytest.mark.parametrize(
    "tokens",
    [{"ann": ["a", "b"]}, {"ann": ["a"], "ben": ["b"]}, {"ann": ["a b", "c"], "ben": ["d"]}],
)
def test_user_probes_need_two_users_one_with_two_devices(tokens: dict[str, list[str]]) -> None:
    user = {"limit": 20, "anonymous_limit": 10, "tokens": tokens}
    with pytest.raises(ConfigError, match=r"throttling\.user"):
        parse_manifest({"target": {"base_url": "http://x"}, "throttling": {"user": user}})
