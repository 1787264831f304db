"""The ``[versioning]`` config section, validated once at start-up."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from apiconform.reference.versioning.parse import VERSION_PATTERN, version_key

STRATEGIES = ("uri", "header", "media_type")
_VERSION = re.compile(VERSION_PATTERN)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class VersionConfig(BaseModel):
    """One supported version. ``deprecated`` is the date it was deprecated (or ``true``
    when only the seed's ``Deprecation: true`` form is used); ``sunset`` the date it may
    stop answering; ``successor`` the version clients should move to; ``policy`` the URL
    of a page describing the deprecation (``Link: rel="deprecation"``)."""

    model_config = ConfigDict(extra="forbid")

    deprecated: datetime | bool = False
    sunset: datetime | None = None
    successor: str | None = None
    policy: str | None = Field(default=None, pattern=r"^[^\s<>\"]{1,2000}$")

    @field_validator("deprecated", "sunset")
    @classmethod
    def _in_utc(cls, value: datetime | bool | None) -> datetime | bool | None:
        return _utc(value) if isinstance(value, datetime) else value

    @property
    def is_deprecated(self) -> bool:
        return self.deprecated is not False

    @model_validator(mode="after")
    def _coherent(self) -> VersionConfig:
        if self.sunset is not None and not self.is_deprecated:
            raise ValueError("a version with a sunset date must be deprecated")
        if (
            self.sunset is not None
            and isinstance(self.deprecated, datetime)
            and self.sunset < self.deprecated
        ):
            raise ValueError("sunset is before the deprecation date")
        return self


class VersioningConfig(BaseModel):
    """Versions, how clients name them (``strategies``, in priority order) and what the
    reference does with deprecated ones."""

    model_config = ConfigDict(extra="forbid")

    strategies: list[str] = Field(default_factory=lambda: list(STRATEGIES), min_length=1)
    default: str = "1"
    versions: dict[str, VersionConfig] = Field(default_factory=lambda: {"1": VersionConfig()})
    uri_prefix: str = Field(
        default="v", pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,30}(/[A-Za-z][A-Za-z0-9_-]{0,30}){0,3}/?$"
    )
    header: str = Field(default="X-API-Version", pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
    vendor: str = Field(default="cmmv", pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$")
    deprecation_format: Literal["date", "true"] = "date"
    """``date``: ``Deprecation: @<unix seconds>`` (RFC 9745); ``true``: the seed's form."""
    block_after_sunset: bool = False
    """After its sunset date a version answers 410 naming its successor."""
    redirect_unversioned: bool = False
    """A path without a version is redirected (308) to the default version's path instead
    of being served directly."""
    unversioned: Literal["default", "neutral"] = "default"
    """Routes without ``@version``: ``default`` puts them in the default version,
    ``neutral`` leaves them at their own path, outside every version."""
    default_log_level: Literal["debug", "info"] = "debug"
    """The level of the line that says a request named no version and got the default."""
    warning_interval: float = Field(default=3600.0, gt=0)
    """Seconds between two deprecation warnings for one version and route."""

    @field_validator("strategies")
    @classmethod
    def _known_strategies(cls, strategies: list[str]) -> list[str]:
        valid = ", ".join(STRATEGIES)
        for strategy in strategies:
            if strategy not in STRATEGIES:
                raise ValueError(f"unknown strategy {strategy!r}; valid ones: {valid}")
        if len(set(strategies)) != len(strategies):
            raise ValueError("a strategy is listed twice")
        return strategies

    @field_validator("uri_prefix")
    @classmethod
    def _no_leading_slash(cls, prefix: str) -> str:
        return prefix.lstrip("/")

    @model_validator(mode="after")
    def _coherent(self) -> VersioningConfig:
        for name, version in self.versions.items():
            if not _VERSION.fullmatch(name):
                raise ValueError(f"version {name!r} is not spelled like 2 or 1.1")
            if version.successor is not None and version.successor not in self.versions:
                raise ValueError(
                    f"version {name}: successor {version.successor!r} is not a version"
                )
            if self.deprecation_format == "date" and version.deprecated is True:
                raise ValueError(
                    f"version {name}: deprecated needs a date for the RFC 9745 form "
                    "(or set deprecation_format = 'true')"
                )
            if self.block_after_sunset and version.is_deprecated and version.successor is None:
                raise ValueError(
                    f"version {name} is deprecated without a successor, which a blocked "
                    "request must name (block_after_sunset is on)"
                )
        if self.default not in self.versions:
            raise ValueError(f"default version {self.default!r} is not one of the versions")
        return self

    @property
    def supported(self) -> list[str]:
        """The versions, lowest first."""
        return sorted(self.versions, key=version_key)
