"""Per-application configuration: typed, validated once, errors naming the app id.

The kernel's own settings (address, environment, drain timeout, trusted proxies, the
scoped cache, free-form settings) are :class:`AppConfig`'s fields. Every feature brings
the model of its own section (``[errors]``, ``[database]``, ...); :func:`validate_config`
validates each section with its feature's model, so a key that belongs to no installed
feature is an error, like a typo in the kernel's own fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from ipaddress import IPv4Network, IPv6Network
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from apiconform.errors import ConfigError

if TYPE_CHECKING:
    from apiconform.reference.kernel.feature import Feature

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


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


class AppConfig(BaseModel):
    """Settings of one application. Unknown keys are errors, so typos do not pass silently.

    Feature sections are validated by their features and read with :meth:`section`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    environment: Literal["development", "production", "test"] = "production"
    drain_timeout: float = Field(default=10.0, ge=0)
    trusted_proxies: list[IPv4Network | IPv6Network] = Field(default_factory=list)
    # which header the trusted proxies append the client to
    proxy_header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for"
    cache: CacheConfig = Field(default_factory=CacheConfig)
    settings: dict[str, JsonValue] = Field(default_factory=dict)

    _sections: dict[str, BaseModel] = PrivateAttr(default_factory=dict)

    def section(self, name: str, model: type[M]) -> M:
        """The validated config section of feature ``name``."""
        found = self._sections.get(name)
        if found is None:
            found = model()  # a feature added after validation gets its defaults
        if not isinstance(found, model):
            raise ConfigError(f"config section {name!r} is a {type(found).__name__}")
        return found

    @property
    def sections(self) -> Mapping[str, BaseModel]:
        return dict(self._sections)


class InvalidConfig(ConfigError):
    """A config failed validation; ``issues`` holds each offending field and its message,
    so a caller that knows where each value came from can say so."""

    def __init__(self, app_id: str, issues: list[tuple[Loc, str]]) -> None:
        self.app_id = app_id
        self.issues = issues
        super().__init__(f"app {app_id!r}: invalid config: {describe_issues(issues)}")


def describe_issues(issues: Iterable[tuple[Loc, str]]) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in loc) or '(root)'}: {msg}" for loc, msg in issues)


def _issues(exc: ValidationError, prefix: Loc = ()) -> list[tuple[Loc, str]]:
    return [((*prefix, *error["loc"]), error["msg"]) for error in exc.errors()]


def validate_config(
    app_id: str,
    raw: AppConfig | Mapping[str, Any] | None,
    features: Iterable[Feature] = (),
) -> AppConfig:
    """Validate ``raw`` for application ``app_id`` and the sections of its ``features``.

    A bad value raises :class:`InvalidConfig` naming the app and every offending field; a
    top-level key that is neither a kernel setting nor an installed feature's section is
    one of them.
    """
    features = list(features)
    if isinstance(raw, AppConfig) and all(f.name in raw.sections for f in features):
        return raw
    if isinstance(raw, AppConfig):
        data: dict[str, Any] = raw.model_dump(exclude_unset=True)
        data.update({name: model.model_dump() for name, model in raw.sections.items()})
    else:
        data = dict(raw or {})
    issues: list[tuple[Loc, str]] = []
    sections: dict[str, BaseModel] = {}
    for feature in features:
        given = data.pop(feature.name, None)
        if given is not None and not isinstance(given, Mapping | BaseModel):
            issues.append(((feature.name,), "must be a table of settings"))
            continue
        try:
            sections[feature.name] = (
                given
                if isinstance(given, feature.config_model)
                else feature.config_model.model_validate(given or {})
            )
        except ValidationError as exc:
            issues.extend(_issues(exc, (feature.name,)))
    known = set(AppConfig.model_fields)
    unknown = sorted(str(key) for key in data if key not in known)
    for key in unknown:
        valid = ", ".join(sorted(known | {f.name for f in features}))
        issues.append(((key,), f"unknown setting or section; valid ones: {valid}"))
        data.pop(key)
    try:
        config = AppConfig.model_validate(data)
    except ValidationError as exc:
        issues.extend(_issues(exc))
        config = AppConfig()
    if issues:
        raise InvalidConfig(app_id, issues)
    config._sections.update(sections)
    return config
