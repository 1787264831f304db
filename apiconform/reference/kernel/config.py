"""Per-application configuration: typed, validated once, errors naming the app id."""

from __future__ import annotations

import importlib.util
from ipaddress import IPv4Network, IPv6Network
from typing import Any, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from apiconform.common.validation import describe
from apiconform.errors import ConfigError


class CacheConfig(BaseModel):
    """Where an application's scoped cache keeps its entries."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["memory", "redis"] = "memory"
    redis_url: str | None = None
    default_ttl: float | None = Field(default=None, gt=0)
    max_entries: int = Field(default=10_000, gt=0)

    @model_validator(mode="after")
    def _redis_needs_url(self) -> CacheConfig:
        if self.backend == "redis" and not self.redis_url:
            raise ValueError("redis_url is required when backend is 'redis'")
        return self


# driver -> (the module it needs, what installs it)
ASYNC_DRIVERS = {
    "sqlite+aiosqlite": ("aiosqlite", "apiconform"),
    "postgresql+asyncpg": ("asyncpg", "apiconform[postgres]"),
}


class DatabaseConfig(BaseModel):
    """The application's database; no URL means a private in-memory SQLite database."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    schema_name: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")

    @field_validator("url")
    @classmethod
    def _async_driver(cls, url: str | None) -> str | None:
        if url is None:
            return None
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            driver = make_url(url).drivername
        except ArgumentError:
            raise ValueError("not a database URL (e.g. postgresql+asyncpg://host/db)") from None
        if driver not in ASYNC_DRIVERS:
            raise ValueError(
                f"driver {driver!r} is not supported; use {' or '.join(sorted(ASYNC_DRIVERS))}"
            )
        module, package = ASYNC_DRIVERS[driver]
        if importlib.util.find_spec(module) is None:
            raise ValueError(f"{driver} needs the {module} package: install {package}")
        return url


class ErrorsConfig(BaseModel):
    """Error handling: the request body limit and where server errors are reported."""

    model_config = ConfigDict(extra="forbid")

    body_limit: int = Field(default=10 * 1024 * 1024, gt=0)
    webhook_urls: list[AnyHttpUrl] = Field(default_factory=list)
    webhook_secret: SecretStr | None = None
    sentry_dsn: SecretStr | None = None


class AppConfig(BaseModel):
    """Settings of one application. Unknown keys are errors, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    environment: Literal["development", "production", "test"] = "production"
    drain_timeout: float = Field(default=10.0, ge=0)
    trusted_proxies: list[IPv4Network | IPv6Network] = Field(default_factory=list)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    errors: ErrorsConfig = Field(default_factory=ErrorsConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    settings: dict[str, JsonValue] = Field(default_factory=dict)


def validate_config(app_id: str, raw: AppConfig | dict[str, Any] | None) -> AppConfig:
    """Validate ``raw`` for application ``app_id``; a bad value raises :class:`ConfigError`
    naming the app and every offending field."""
    if isinstance(raw, AppConfig):
        return raw
    try:
        return AppConfig.model_validate(raw or {})
    except ValidationError as exc:
        raise ConfigError(f"app {app_id!r}: invalid config: {describe(exc)}") from None
