"""The manifest: what the suite needs to know about a target (TOML, validated once).

A target is either reached at ``base_url`` (external mode) or started from a ``start``
command template (managed mode). Probe paths default to the spec's literal paths and the
reference demo's probe API, so a target that follows them writes little.
"""

from __future__ import annotations

import shlex
import string
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, model_validator

from apiconform.errors import ConfigError
from apiconform.spec import PROPOSALS

# Placeholders a start command (and the URLs in a manifest) may use.
START_PLACEHOLDERS = frozenset(
    {
        "port",
        "python",
        "manifest_dir",
        "redis_url",
        "database_url",
        "oauth_mock_url",
        "echo_url",
        "echo_netloc",
    }
)
MAX_PORTS = 16


def placeholders(template: str) -> set[str]:
    """Names of the ``{placeholders}`` in ``template``; malformed braces raise ValueError."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _port_names(count: int) -> set[str]:
    return {"port"} | {f"port{i}" for i in range(1, count)}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetSpec(_Section):
    """How to reach (or start) the target."""

    base_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/\S*)?$")
    start: str | None = Field(default=None, min_length=1)
    ports: int = Field(default=1, ge=1, le=MAX_PORTS)
    ready_path: str = Field(default="/health/live", pattern=r"^/\S*$")
    ready_timeout: float = Field(default=30.0, gt=0, le=600)
    stop_timeout: float = Field(default=10.0, gt=0, le=120)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None

    @model_validator(mode="after")
    def _mode(self) -> TargetSpec:
        if self.start is not None:
            try:
                used = placeholders(self.start)
            except ValueError as exc:
                raise ValueError(f"start: malformed placeholder: {exc}") from None
            allowed = START_PLACEHOLDERS | _port_names(self.ports)
            unknown = sorted(used - allowed)
            if unknown:
                raise ValueError(
                    f"start: unknown placeholder {{{unknown[0]}}}; use "
                    + ", ".join(f"{{{p}}}" for p in sorted(allowed))
                )
            if "port" not in used:
                raise ValueError("start: the command must take its port from {port}")
            try:  # what the suite will do with it: split, then fill every placeholder
                dummy = dict.fromkeys(allowed, "1")
                for arg in shlex.split(self.start):
                    arg.format(**dummy)
            except ValueError as exc:
                raise ValueError(f"start: cannot be read as a command: {exc}") from None
        return self

    @property
    def managed(self) -> bool:
        return self.base_url is None and self.start is not None


class ScopeApp(_Section):
    """One application of the target's process, as the scope checks see it."""

    url: str = Field(min_length=1)
    id: str | None = None
    only_route: str | None = Field(default=None, pattern=r"^/\S*$")
    only_provider: str | None = None
    config: dict[str, JsonValue] = Field(default_factory=dict)


class ScopesProbes(_Section):
    """Probe routes of add-application-scopes (the reference demo's by default)."""

    whoami: str = "/scopes/whoami"
    request_ids: str = "/scopes/request-ids"
    providers: str = "/scopes/providers"
    config: str = "/scopes/config"
    cache: str = "/scopes/cache"
    log: str = "/scopes/log"
    apps: list[ScopeApp] = Field(default_factory=list)


class ObservabilityProbes(_Section):
    """Paths of add-health-observability (the spec's literal paths by default)."""

    live: str = "/health/live"
    ready: str = "/health/ready"
    metrics: str = "/metrics"


ERROR_KINDS = (
    "bad-request",
    "unauthorized",
    "forbidden",
    "not-found",
    "conflict",
    "validation",
    "internal",
    "unavailable",
)


def _invalid_body() -> dict[str, JsonValue]:
    return {"email": "nope", "age": 7, "address": {"zip": "1"}}


def _create_body() -> dict[str, JsonValue]:
    return {"name": "Conformance", "email": "{unique}@example.org"}


class ErrorsProbes(_Section):
    """Probe routes of add-error-handling (the reference demo's by default)."""

    environment: Literal["production", "development"] = "production"
    development_url: str | None = None
    triggers: dict[str, str] = Field(
        default_factory=lambda: {k: f"/errors/raise/{k}" for k in ERROR_KINDS}
    )
    crash: str = "/errors/crash"
    crash_secrets: list[str] = Field(
        default_factory=lambda: ["hunter2-internal", "/srv/apiconform", "SELECT * FROM"]
    )
    validation: str = "/errors/validate"
    invalid_body: dict[str, JsonValue] = Field(default_factory=_invalid_body)
    invalid_fields: list[str] = Field(
        default_factory=lambda: ["email", "age", "address.street", "address.zip"]
    )
    create: str = "/users"
    create_body: dict[str, JsonValue] = Field(default_factory=_create_body)
    database: str | None = "/errors/db"
    degraded: str | None = "/errors/degraded"
    dependency: str | None = "/errors/dependency"
    body_limit: int = Field(default=10 * 1024 * 1024, gt=0)
    webhook_path: str | None = None
    webhook_secret: str | None = None
    sentry_project: str | None = None

    @model_validator(mode="after")
    def _kinds(self) -> ErrorsProbes:
        unknown = sorted(set(self.triggers) - set(ERROR_KINDS))
        if unknown:
            raise ValueError(
                f"triggers: unknown kind {unknown[0]!r}; known: {', '.join(ERROR_KINDS)}"
            )
        return self


class Manifest(_Section):
    """A whole manifest. ``source`` is the file it came from (for messages)."""

    target: TargetSpec
    claims: list[str] = Field(default_factory=list)
    scopes: ScopesProbes = Field(default_factory=ScopesProbes)
    observability: ObservabilityProbes = Field(default_factory=ObservabilityProbes)
    errors: ErrorsProbes = Field(default_factory=ErrorsProbes)
    source: str | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _claims_and_mode(self) -> Manifest:
        for claim in self.claims:
            if claim not in PROPOSALS:
                raise ValueError(
                    f"claims: unknown proposal {claim!r}; known: {', '.join(PROPOSALS)}"
                )
        if (self.target.base_url is None) == (self.target.start is None):
            raise ValueError("target: give exactly one of base_url (external) or start (managed)")
        return self

    def claims_proposal(self, proposal: str) -> bool:
        return proposal in self.claims

    def with_base_url(self, url: str) -> Manifest:
        """The same manifest pointed at a running target (external mode)."""
        data = {**self.target.model_dump(), "base_url": url.rstrip("/"), "start": None}
        try:
            target = TargetSpec.model_validate(data)
        except ValidationError:
            raise ConfigError(f"{url!r} is not an http(s) URL of a target") from None
        return self.model_copy(update={"target": target})


def parse_manifest(data: dict[str, Any], source: str = "<manifest>") -> Manifest:
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise ConfigError(f"{source}: invalid manifest: {'; '.join(problems)}") from None
    return manifest.model_copy(update={"source": source})


def load_manifest(path: Path | str) -> Manifest:
    """Read and validate a manifest file; every problem names the file and the field."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read manifest: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_manifest(data, str(path))


def default_manifest(base_url: str, claims: list[str] | None = None) -> Manifest:
    """A manifest for a bare URL: every proposal claimed, the spec's default paths."""
    return parse_manifest(
        {"target": {"base_url": base_url}, "claims": list(PROPOSALS if claims is None else claims)},
        "<command line>",
    )
