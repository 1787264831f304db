"""Config layers of ``apiconform serve``, and errors that name where a bad value came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiconform.cli import main
from apiconform.errors import ConfigError
from apiconform.reference.cli import build_apps, config_sources
from apiconform.reference.kernel import InvalidConfig
from apiconform.reference.settings import ConfigSources, add_environment, explain, parse_setting
from apiconform.reference.store import DatabaseConfig


def test_later_layers_win_key_by_key_and_remember_their_origin(tmp_path: Path) -> None:
    config = tmp_path / "app.toml"
    config.write_text('environment = "development"\nport = 9000\n[errors]\nbody_limit = 10\n')
    sources = config_sources(
        config_file=config,
        port=9100,
        settings=("errors.webhook_secret=s3",),
        environ={"APICONFORM_ERRORS__BODY_LIMIT": "20", "APICONFORM_LOG_FORMAT": "json"},
    )
    assert sources.values == {
        "environment": "development",
        "port": 9100,
        "errors": {"body_limit": 20, "webhook_secret": "s3"},
    }
    assert sources.origins(("environment",)) == [str(config)]
    assert sources.origins(("port",)) == ["--port"]
    assert sources.origins(("errors", "body_limit")) == [
        "environment variable APICONFORM_ERRORS__BODY_LIMIT"
    ]
    assert sources.origins(("errors",)) == [
        "--set errors.webhook_secret",
        "environment variable APICONFORM_ERRORS__BODY_LIMIT",
    ]
    assert sources.origins(("nothing",)) == []


def test_a_value_replacing_a_table_drops_the_tables_origins() -> None:
    sources = ConfigSources()
    sources.add({"errors": {"body_limit": 1}}, "file")
    sources.add({"errors": 5}, "--set errors")
    assert sources.values == {"errors": 5}
    assert sources.origins(("errors", "body_limit")) == ["--set errors"]
    sources.add({"errors": {"body_limit": 2}}, "env")
    assert sources.values == {"errors": {"body_limit": 2}}
    assert sources.origins(("errors", "body_limit")) == ["env"]


def test_environment_variables_of_the_process_are_not_app_settings() -> None:
    sources = ConfigSources()
    add_environment(
        sources,
        {"environment", "errors"},
        {
            "APICONFORM_LOG_LEVEL": "debug",
            "APICONFORM_ENVIRONMENT": "test",
            "APICONFORM_ERRORS__": "x",
            "PATH": "/bin",
            "APICONFORM_DATABASE_URL": "postgres://db/x",
        },
    )
    assert sources.values == {"environment": "test", "database": {"url": "postgres://db/x"}}


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("postgres://u:p@db:5432/x", "postgresql+asyncpg://u:p@db:5432/x"),
        ("postgresql://db/x", "postgresql+asyncpg://db/x"),
        ("postgresql+asyncpg://db/x", "postgresql+asyncpg://db/x"),
        ("sqlite:///tmp/x.db", "sqlite+aiosqlite:///tmp/x.db"),
    ],
)
def test_common_database_url_spellings_are_accepted(url: str, normalised: str) -> None:
    assert DatabaseConfig(url=url).url == normalised


def test_a_bad_value_from_the_environment_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    sources = config_sources(config_file=None, environ={"APICONFORM_DATABASE_URL": "mysql://db/x"})
    with pytest.raises(InvalidConfig) as info:
        build_apps(config=sources.values, agents=0)
    message = explain(info.value, sources)
    assert message.startswith("app 'demo': invalid config: database.url: Value error, driver")
    assert message.endswith("(from environment variable APICONFORM_DATABASE_URL)")


def test_serve_names_the_option_the_file_and_the_agent_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--set", "errors.body_limit=0"]) == 2
    assert "errors.body_limit: Input should be greater than 0 (from --set errors.body_limit)" in (
        capsys.readouterr().err
    )
    config = tmp_path / "agents.toml"
    config.write_text("[agents.agent-1]\nenvironment = 'staging'\n")
    assert main(["serve", "--agents", "2", "--port", "0", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "app 'agent:agent-1': invalid config: environment: Input should be" in err
    assert err.rstrip().endswith(f"(from {config})")
    assert main(["serve", "--database-url", "oracle://x/y"]) == 2
    assert "(from --database-url)" in capsys.readouterr().err


def test_set_needs_a_dotted_key_and_a_value() -> None:
    assert parse_setting("a.b=[1, 2]") == {"a": {"b": [1, 2]}}
    assert parse_setting("name=plain text") == {"name": "plain text"}
    with pytest.raises(ConfigError, match="use a dotted key and a value"):
        parse_setting("no-equals-sign")
