"""Start-up validation: the configuration and the versioned routes are checked before the
application exists."""

from __future__ import annotations

from typing import Any

import pytest

from apiconform.errors import ConfigError
from apiconform.reference.kernel import AppRegistry, controller, get
from apiconform.reference.versioning import VersioningConfig, version
from apiconform.reference.versioning.decorator import VersionDeclarationError
from tests.reference.versioning.conftest import CONTROLLERS, make_app


def invalid(registry: AppRegistry, **versioning: Any) -> str:
    with pytest.raises(ConfigError) as raised:
        make_app(registry, **versioning)
    return str(raised.value)


@pytest.mark.requirement("VER-CFG-01")
def test_an_unknown_strategy_is_refused_listing_the_valid_ones(registry: AppRegistry) -> None:
    message = invalid(registry, strategies=["uri", "cookie"])
    assert "versioning.strategies" in message
    assert "unknown strategy 'cookie'; valid ones: uri, header, media_type" in message


@pytest.mark.parametrize(
    ("versioning", "expected"),
    [
        ({"strategies": ["uri", "uri"]}, "a strategy is listed twice"),
        ({"strategies": []}, "at least 1 item"),
        ({"default": "7"}, "default version '7' is not one of the versions"),
        ({"versions": {"2": {}, "two": {}}}, "version 'two' is not spelled like 2 or 1.1"),
        ({"versions": {"2": {"successor": "5"}}}, "successor '5' is not a version"),
        ({"versions": {"2": {"sunset": "2030-01-01T00:00:00Z"}}}, "must be deprecated"),
        (
            {"versions": {"2": {"deprecated": "2030-01-01", "sunset": "2029-01-01T00:00:00"}}},
            "sunset is before the deprecation date",
        ),
        ({"versions": {"2": {"deprecated": True}}}, "deprecated needs a date"),
        ({"uri_prefix": "../v"}, "uri_prefix"),
        ({"header": "X API"}, "header"),
        ({"vendor": "a b"}, "vendor"),
        ({"warning_interval": 0}, "warning_interval"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_settings_are_refused_naming_them(
    registry: AppRegistry, versioning: dict[str, Any], expected: str
) -> None:
    assert expected in invalid(registry, **versioning)


def test_a_deprecated_version_without_successor_is_refused_when_blocking(
    registry: AppRegistry,
) -> None:
    versions = {"1": {"deprecated": "2026-01-01T00:00:00Z"}, "2": {}}
    message = invalid(registry, versions=versions, block_after_sunset=True)
    assert "version 1 is deprecated without a successor" in message
    VersioningConfig(default="2", versions=versions)  # fine without blocking


@pytest.mark.requirement("VER-ROUTE-01")
def test_two_handlers_for_one_method_path_and_version_are_refused_naming_both(
    registry: AppRegistry,
) -> None:
    @controller("users")
    @version("2")
    class Clash:
        @get("/{user_id}")
        async def other_one(self, user_id: int) -> None: ...

    with pytest.raises(ConfigError) as raised:
        make_app(registry, controllers=[*CONTROLLERS, Clash])
    assert str(raised.value) == (
        "GET /users/{user_id} in version 2 has two handlers: UsersV2.one_v23 and Clash.other_one"
    )


def test_a_route_in_an_unconfigured_version_is_refused(registry: AppRegistry) -> None:
    @controller("future")
    @version("4")
    class Future:
        @get("")
        async def soon(self) -> None: ...

    with pytest.raises(ConfigError, match=r"Future.soon is declared in version '4'"):
        make_app(registry, controllers=[Future])


@pytest.mark.parametrize("bad", [(), ("two",), ("-1",), ("1e9",), (2,)])
def test_version_declarations_are_checked(bad: tuple[Any, ...]) -> None:
    with pytest.raises(VersionDeclarationError):
        version(*bad)
