"""The manifest: what the suite needs to know about a target (TOML, validated once).

A target is either reached at ``base_url`` (external mode) or started from a ``start``
command template (managed mode). Probe paths default to the spec's literal paths and the
reference demo's probe API, so a target that follows them writes little; a probe the
target does not have is declared absent with ``false`` (TOML has no null), and the checks
that need it skip with "the target declares no <field>".
"""

from __future__ import annotations

import re
import shlex
import string
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    PlainValidator,
    ValidationError,
    model_validator,
)

from apiconform.common.redaction import REDACTED, is_secret_name, redact_mapping, redact_text
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
# Placeholders of a start-up probe command (``[scopes.startup]``): values the suite picks.
STARTUP_PLACEHOLDERS = frozenset({"port", "python", "manifest_dir", "app_id", "scope", "strategy"})
MAX_PORTS = 16


def placeholders(template: str) -> set[str]:
    """Names of the ``{placeholders}`` in ``template``; malformed braces raise ValueError."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _port_names(count: int) -> set[str]:
    return {"port"} | {f"port{i}" for i in range(1, count)}


ABSENT_HINT = "or false when the target has no such probe"


def _path(value: Any) -> str | Literal[False]:
    if value is False:
        return False
    if isinstance(value, str) and re.fullmatch(r"/\S*", value):
        return value
    raise ValueError(f"must be a path starting with / ({ABSENT_HINT}), not {value!r}")


def _optional_path(value: Any) -> str | Literal[False] | None:
    return None if value is None else _path(value)


def _url(value: Any) -> str | Literal[False] | None:
    if value is None or value is False:
        return value
    if isinstance(value, str) and re.fullmatch(r"(?:https?://|\{base_url\})\S*", value):
        return value
    raise ValueError(f"must be an http(s) URL ({ABSENT_HINT}), not {value!r}")


def _text(value: Any) -> str | Literal[False] | None:
    if value is None or value is False or (isinstance(value, str) and value):
        return value
    raise ValueError(f"must be a non-empty string ({ABSENT_HINT}), not {value!r}")


def _command(value: Any) -> str | Literal[False]:
    """A start-up probe command: split like ``start``, filled with the suite's values."""
    if value is False:
        return False
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a command ({ABSENT_HINT}), not {value!r}")
    try:
        used = placeholders(value)
        unknown = sorted(used - STARTUP_PLACEHOLDERS)
        if unknown:
            raise ValueError(
                f"unknown placeholder {{{unknown[0]}}}; use "
                + ", ".join(f"{{{p}}}" for p in sorted(STARTUP_PLACEHOLDERS))
            )
        dummy = dict.fromkeys(STARTUP_PLACEHOLDERS, "1")
        for arg in shlex.split(value):
            arg.format(**dummy)
    except ValueError as exc:
        raise ValueError(f"cannot be read as a command: {exc}") from None
    return value


# ``str | Literal[False]``: a probe the target has, or ``false`` when it has none.
Probe = Annotated[str | Literal[False], PlainValidator(_path)]
OptionalProbe = Annotated[str | Literal[False] | None, PlainValidator(_optional_path)]
ProbeUrl = Annotated[str | Literal[False] | None, PlainValidator(_url)]
ProbeText = Annotated[str | Literal[False] | None, PlainValidator(_text)]
Command = Annotated[str | Literal[False], PlainValidator(_command)]


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
    log_wait: float = Field(default=5.0, gt=0, le=120)
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
    only_route: OptionalProbe = None
    only_provider: ProbeText = None
    config: dict[str, JsonValue] = Field(default_factory=dict)


class StartupProbes(_Section):
    """Commands that start the target so that it must refuse to start (absent by
    default: a foreign target names its own)."""

    port_conflict: Command = False
    duplicate_id: Command = False
    invalid_scope: Command = False
    invalid_config: Command = False


class ScopesProbes(_Section):
    """Probe routes of add-application-scopes (the reference demo's by default)."""

    whoami: Probe = "/scopes/whoami"
    request_ids: Probe = "/scopes/request-ids"
    providers: Probe = "/scopes/providers"
    config: Probe = "/scopes/config"
    cache: Probe = "/scopes/cache"
    log: Probe = "/scopes/log"
    apps: list[ScopeApp] = Field(default_factory=list)
    startup: StartupProbes = Field(default_factory=StartupProbes)


def _names(value: Any) -> list[str] | Literal[False]:
    if value is False:
        return False
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return value
    raise ValueError(f"must be a non-empty list of names ({ABSENT_HINT}), not {value!r}")


Names = Annotated[list[str] | Literal[False], PlainValidator(_names)]


class ObservabilityProbes(_Section):
    """Paths of add-health-observability (the spec's literal paths by default) and what
    the checks need to know: the dependencies readiness reports, and a route with a path
    parameter (``{id}`` is a number the suite picks) with the template the target reports
    as its ``path`` label."""

    live: Probe = "/health/live"
    ready: Probe = "/health/ready"
    status: Probe = "/health/status"
    metrics: Probe = "/metrics"
    ready_covers: Names = Field(default_factory=lambda: ["database"])
    # the name readiness and status report the database indicator under (OBS-DB-01/02,
    # OBS-READY-02: the outage checks cut the database given as {database_url})
    database: ProbeText = "database"
    templated: Probe = "/users/{id}"
    template: ProbeText = "/users/{user_id}"
    # PUT {"broken": true|false}: marks the application broken (as a fatal error would)
    liveness_switch: Probe = "/observability/liveness"
    # PUT {"state": "up"|"down"|"slow"}: the custom indicator named indicator_name
    indicator: Probe = "/observability/indicator"
    indicator_name: ProbeText = "external-api"
    # POST ?amount=<number>: custom_counter +1, custom_histogram observes the amount
    custom_metric: Probe = "/observability/orders"
    custom_counter: ProbeText = "orders_created_total"
    custom_histogram: ProbeText = "order_amount"
    # GET: one call to the echo server (the URL the start command gives it, {echo_url})
    outbound: Probe = "/observability/outbound"
    # POST {"message": text, "fields": {name: value}}: logs the message with the fields as
    # custom metadata at info level, from the handler and from async work it starts
    logged: Probe = "/observability/log"
    # seconds a span may take to reach the suite's OTLP collector ({echo_url}/v1/traces):
    # exporters batch (OpenTelemetry SDKs wait up to 5 s by default)
    span_wait: float = Field(default=10.0, gt=0, le=60)


class LimitedProbe(_Section):
    """A route limited to ``limit`` requests per ``ttl`` seconds per client address, with
    a fixed window (the reference demo's ``/v1/limited``: 5 per 10 s)."""

    path: Probe = "/v1/limited"
    limit: int = Field(default=5, ge=1, le=1000)
    ttl: float = Field(default=10, gt=0, le=60)


class BurstProbe(_Section):
    """A token-bucket route: ``burst`` requests at once, then ``refill`` tokens a second
    (the reference demo's ``/v1/burst``: 10, then 1 a second)."""

    path: Probe = "/v1/burst"
    burst: int = Field(default=10, ge=2, le=200)
    refill: float = Field(default=1.0, ge=0.2, le=10)


class WindowProbe(_Section):
    """A route limited to ``limit`` requests per ``ttl`` seconds per client address, for
    the long windows (a minute, an hour), whose limits the checks read from headers."""

    path: Probe
    limit: int = Field(ge=1, le=100_000)
    ttl: float = Field(gt=0, le=86_400)


class DeclaredApiKey(_Section):
    """One of the target's test API keys: its tier, the limit it gets, and whether that
    limit is the key's own override of its tier's."""

    key: str = Field(min_length=1, max_length=256, pattern=r"^[\x21-\x7e]+$")
    tier: str = Field(min_length=1, max_length=64)
    limit: int = Field(ge=1, le=10_000)
    override: bool = False


def _demo_api_keys() -> list[DeclaredApiKey]:
    return [
        DeclaredApiKey(key="demo-free-key", tier="free", limit=5),
        DeclaredApiKey(key="demo-free-key-2", tier="free", limit=5),
        DeclaredApiKey(key="demo-premium-key", tier="premium", limit=50),
        DeclaredApiKey(key="demo-override-key", tier="free", limit=7, override=True),
    ]


class ApiKeyProbe(_Section):
    """A route limited per API key (the demo's ``/v1/keyed``), the header the key goes
    in, and test keys of two tiers or more, one with an override."""

    path: Probe = "/v1/keyed"
    header: str = Field(default="X-API-Key", pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
    keys: list[DeclaredApiKey] = Field(default_factory=_demo_api_keys, min_length=2)


class UserProbe(_Section):
    """A route limited per user, the ``sub`` of a bearer token (the demo's ``/v1/user``):
    ``limit`` for a signed-in user, ``anonymous_limit`` for requests without a token
    (counted by client address), and test tokens by user: two users or more, one of them
    with two tokens or more (two devices)."""

    path: Probe = "/v1/user"
    limit: int = Field(ge=1, le=10_000)
    anonymous_limit: int = Field(ge=1, le=10_000)
    tokens: dict[
        Annotated[str, Field(min_length=1, max_length=64)],
        list[Annotated[str, Field(min_length=1, max_length=4096, pattern=r"^[\x21-\x7e]+$")]],
    ]

    @model_validator(mode="after")
    def _devices(self) -> UserProbe:
        if len(self.tokens) < 2 or not any(len(t) >= 2 for t in self.tokens.values()):
            raise ValueError("tokens: give two users or more, one with two tokens or more")
        return self


class ThrottlingProbes(_Section):
    """Probes of enhance-throttler (the reference demo's by default): a limited route
    whose own limit overrides its controller's, a route marked to skip rate limiting, and
    two routes of the same controller on the controller's limit."""

    limited: LimitedProbe | Literal[False] = Field(default_factory=LimitedProbe)
    unlimited: Probe = "/v1/unlimited"
    # a route of the limited route's controller without a limit of its own, and another
    controller_default: LimitedProbe | Literal[False] = Field(
        default_factory=lambda: LimitedProbe(path="/v1/default", limit=100, ttl=60)
    )
    controller_sibling: Probe = "/v1/sibling"
    burst: BurstProbe | Literal[False] = Field(default_factory=BurstProbe)
    # a route limited per second (the demo's /v1/second: 3 per second)
    per_second: LimitedProbe | Literal[False] = Field(
        default_factory=lambda: LimitedProbe(path="/v1/second", limit=3, ttl=1)
    )
    # a route limited per minute (the demo's /v1/minute: 5 a minute), and an hourly
    # quota (the demo's /v1/hourly: 1000 an hour)
    per_minute: WindowProbe | Literal[False] = Field(
        default_factory=lambda: WindowProbe(path="/v1/minute", limit=5, ttl=60)
    )
    per_hour: WindowProbe | Literal[False] = Field(
        default_factory=lambda: WindowProbe(path="/v1/hourly", limit=1000, ttl=3600)
    )
    api_key: ApiKeyProbe | Literal[False] = Field(default_factory=ApiKeyProbe)
    # no default: the tokens are the target's own (the demo's are in its manifest)
    user: UserProbe | Literal[False] = False


ERROR_KINDS = {
    "bad-request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not-found": 404,
    "conflict": 409,
    "validation": 422,
    "internal": 500,
    "unavailable": 503,
}
FILTER_LEVELS = ("route", "controller", "global")


def _triggers(value: Any) -> dict[str, str | Literal[False]] | Literal[False]:
    if value is False:
        return False
    if not isinstance(value, dict):
        raise ValueError(f"must be a table of kind = path ({ABSENT_HINT}), not {value!r}")
    for kind in value:
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown kind {kind!r}; known: {', '.join(ERROR_KINDS)}")
    try:
        return {kind: _path(path) for kind, path in value.items()}
    except ValueError as exc:
        raise ValueError(f"a trigger {exc}") from None


Triggers = Annotated[dict[str, str | Literal[False]] | Literal[False], PlainValidator(_triggers)]


def _invalid_body() -> dict[str, JsonValue]:
    return {"email": "nope", "age": 7, "address": {"zip": "1"}}


def _create_body() -> dict[str, JsonValue]:
    return {"name": "Conformance", "email": "{unique}@example.org"}


def _default_triggers() -> dict[str, str | Literal[False]]:
    return {kind: f"/errors/raise/{kind}" for kind in ERROR_KINDS}


def _filter_types() -> dict[str, str]:
    return {level: f"/problems/probe-{level}-filter" for level in FILTER_LEVELS}


class FilterProbes(_Section):
    """Routes whose exception filters stamp distinct problem types (ERR-ORDER/REG)."""

    route: Probe = "/errors/filters/route"
    controller: Probe = "/errors/filters/controller"
    unfiltered: Probe = "/errors/unfiltered"
    types: dict[str, str] = Field(default_factory=_filter_types)

    @model_validator(mode="after")
    def _levels(self) -> FilterProbes:
        if set(self.types) != set(FILTER_LEVELS):
            raise ValueError(f"types: give exactly {', '.join(FILTER_LEVELS)}")
        if len(set(self.types.values())) != len(FILTER_LEVELS):
            raise ValueError("types: each filter must stamp a type of its own")
        return self


class ErrorsProbes(_Section):
    """Probe routes of add-error-handling (the reference demo's by default)."""

    environment: Literal["production", "development"] = "production"
    development_url: ProbeUrl = None
    triggers: Triggers = Field(default_factory=_default_triggers)
    crash: Probe = "/errors/crash"
    crash_secrets: list[str] = Field(default_factory=list)
    validation: Probe = "/errors/validate"
    invalid_body: dict[str, JsonValue] = Field(default_factory=_invalid_body)
    invalid_fields: list[str] = Field(
        default_factory=lambda: ["email", "age", "address.street", "address.zip"]
    )
    create: Probe = "/users"
    create_body: dict[str, JsonValue] = Field(default_factory=_create_body)
    database: Probe = "/errors/db"
    degraded: Probe = "/errors/degraded"
    dependency: Probe = "/errors/dependency"
    retry: Probe = "/errors/recovery/retry"
    retry_attempts: int = Field(default=4, ge=2, le=20)
    breaker: Probe = "/errors/recovery/breaker"
    breaker_downstream: OptionalProbe = None
    breaker_reset: float = Field(default=1.0, gt=0, le=60)
    filters: FilterProbes = Field(default_factory=FilterProbes)
    body_limit: int = Field(default=10 * 1024 * 1024, gt=0)
    webhook_path: OptionalProbe = None
    webhook_secret: str | None = None
    sentry_project: ProbeText = None


class LoadProbes(_Section):
    """What the load scenarios (``apiconform load``) use besides the proposals' probes."""

    # a cheap route of the target's own: background traffic, and the overhead scenario
    trivial: Probe = "/health/live"
    # where the metrics scenario sends ever-new paths (they should answer 404)
    raw_prefix: str = Field(default="/apiconform-load", pattern=r"^/[\w\-./]*$")


Strategy = Literal["uri", "header", "media_type"]
VERSIONING_STRATEGIES: tuple[Strategy, ...] = ("uri", "header", "media_type")
_VERSION = r"^[0-9]{1,6}(\.[0-9]{1,6})?$"


class VersionedPath(_Section):
    """A version and a path served in it (``deprecated``, ``sunset_passed``)."""

    version: str = Field(pattern=_VERSION)
    path: str = Field(pattern=r"^/\S*$")


VersionedProbe = VersionedPath | Literal[False]


class SharedPath(_Section):
    """A path that one handler serves under each of ``versions`` (``shared``)."""

    versions: list[Annotated[str, Field(pattern=_VERSION)]] = Field(min_length=2)
    path: str = Field(pattern=r"^/\S*$")


SharedProbe = SharedPath | Literal[False]


class ControllerPaths(_Section):
    """The routes of one controller that a version is declared on (``controller``)."""

    version: str = Field(pattern=_VERSION)
    paths: list[Annotated[str, Field(pattern=r"^/\S*$")]] = Field(min_length=1)


ControllerProbe = ControllerPaths | Literal[False]


class OverridePath(_Section):
    """A route whose own ``versions`` override its controller's version (``override``)."""

    controller_version: str = Field(pattern=_VERSION)
    versions: list[Annotated[str, Field(pattern=_VERSION)]] = Field(min_length=1)
    path: str = Field(pattern=r"^/\S*$")

    @model_validator(mode="after")
    def _overrides(self) -> OverridePath:
        if self.controller_version in self.versions:
            raise ValueError(
                f"override: the route's versions {self.versions} include its controller's "
                f"version {self.controller_version}, so nothing is overridden"
            )
        return self


OverrideProbe = OverridePath | Literal[False]


class VersioningProbes(_Section):
    """What add-api-versioning checks need to know (the spec's examples by default): the
    strategies the target supports, in its priority order, how each names a version, the
    versions, a ``resource`` served by two or more versions with different shapes, a
    ``deprecated`` version and path, a ``sunset_passed`` one (410), and where the
    per-version OpenAPI documents are (``{version}`` in ``openapi``)."""

    strategies: list[Strategy] = Field(default_factory=lambda: list(VERSIONING_STRATEGIES))
    header: str = Field(default="X-API-Version", pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
    vendor: str = Field(default="cmmv", pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]*$")
    uri_prefix: str = Field(default="v", pattern=r"^[A-Za-z0-9_/-]+$")
    default: str | None = Field(default=None, pattern=_VERSION)
    versions: list[Annotated[str, Field(pattern=_VERSION)]] = Field(
        default_factory=lambda: ["1", "2"]
    )
    resource: Probe = "/users"
    deprecated: VersionedProbe = False
    sunset_passed: VersionedProbe = False
    shared: SharedProbe = False
    """A route declared for several versions (VER-DEC-03): one handler, so it must answer
    alike under each."""
    controller: ControllerProbe = False
    """A controller's routes, its version declared on the controller (VER-DEC-01): each
    answers in that version and in no other."""
    override: OverrideProbe = False
    """A route of a versioned controller with versions of its own (VER-DEC-02): it answers
    in its own versions, not in its controller's."""
    openapi: ProbeText = "/openapi/v{version}.json"
    docs: Probe = "/docs"
    invalid_strategy: Command = False
    """Starts the target with the versioning strategy ``{strategy}`` (a name the suite
    makes up): it must refuse to start (VER-CFG-01)."""

    @model_validator(mode="after")
    def _declared_versions(self) -> VersioningProbes:
        named = [("deprecated", self.deprecated), ("sunset_passed", self.sunset_passed)]
        for name, probe in named:
            if probe and probe.version not in self.versions:
                raise ValueError(f"{name}: version {probe.version} is not in versions")
        listed = [
            ("shared", self.shared.versions if self.shared else []),
            ("controller", [self.controller.version] if self.controller else []),
            (
                "override",
                [self.override.controller_version, *self.override.versions]
                if self.override
                else [],
            ),
        ]
        for name, versions in listed:
            unknown = [v for v in versions if v not in self.versions]
            if unknown:
                raise ValueError(f"{name}: versions {unknown} are not in versions")
        return self

    def supports(self, strategy: str) -> bool:
        return strategy in self.strategies

    def versioned(self, version: str, path: str) -> str:
        """``path`` under ``version`` in the target's URI scheme (``/v2/users``)."""
        return f"/{self.uri_prefix.lstrip('/')}{version}{path if path != '/' else ''}"


OAuthProvider = Literal["google", "github", "facebook", "microsoft"]
OAUTH_PROVIDERS: tuple[OAuthProvider, ...] = ("google", "github", "facebook", "microsoft")


class AuthProbes(_Section):
    """Routes of add-oauth-providers (the reference demo's by default). ``{provider}`` in
    a path stands for the provider's name; the target's providers must point at the
    suite's mock OAuth server (``{oauth_mock_url}`` in the start command)."""

    providers: list[OAuthProvider] = Field(
        default_factory=lambda: list(OAUTH_PROVIDERS), min_length=1
    )
    login: Probe = "/auth/{provider}"
    callback: Probe = "/auth/{provider}/callback"
    me: Probe = "/auth/me"
    # local accounts: POST {"email", "password", "name"} creates a user and answers with a
    # session; POST {"email", "password"} signs in (AUTH-LINK-01/02, AUTH-USER-01)
    signup: Probe = "/auth/register"
    local_login: Probe = "/auth/login"
    # POST with the user's session starts linking {provider}: a redirect to the provider,
    # whose callback (the same callback path) links the account to that user
    link: Probe = "/auth/{provider}/link"
    # GET with the user's session calls {provider} on the user's behalf with the stored
    # access token (refreshing it when it has expired) and answers 2xx (AUTH-SEC-02)
    provider_call: Probe = "/auth/{provider}/profile"
    # how the callback hands over the session: a JSON body with access_token (asked for
    # with Accept: application/json), or an HttpOnly cookie with a redirect
    session: Literal["json", "cookie"] = "json"


# Fields whose values are credentials: never copied into a report.
SECRET_FIELDS = (("errors", "webhook_secret"),)


class Manifest(_Section):
    """A whole manifest. ``source`` is the file it came from (for messages)."""

    target: TargetSpec
    claims: list[str] = Field(default_factory=list)
    scopes: ScopesProbes = Field(default_factory=ScopesProbes)
    observability: ObservabilityProbes = Field(default_factory=ObservabilityProbes)
    errors: ErrorsProbes = Field(default_factory=ErrorsProbes)
    auth: AuthProbes = Field(default_factory=AuthProbes)
    load: LoadProbes = Field(default_factory=LoadProbes)
    throttling: ThrottlingProbes = Field(default_factory=ThrottlingProbes)
    versioning: VersioningProbes = Field(default_factory=VersioningProbes)
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
        check_url(url)
        data = {**self.target.model_dump(), "base_url": url.rstrip("/"), "start": None}
        try:
            target = TargetSpec.model_validate(data)
        except ValidationError:
            raise ConfigError(f"{url!r} is not an http(s) URL of a target") from None
        return self.model_copy(update={"target": target})

    def secret_values(self) -> list[str]:
        """Credential values this manifest holds (to hide wherever they appear)."""
        values = [str(getattr(getattr(self, s), f) or "") for s, f in SECRET_FIELDS]
        values += [v for k, v in self.target.env.items() if is_secret_name(k)]
        # the test credentials the throttling checks send: never in a report
        throttling = self.throttling
        if throttling.api_key:
            values += [k.key for k in throttling.api_key.keys]
        if throttling.user:
            values += [t for tokens in throttling.user.tokens.values() for t in tokens]
        return [v for v in values if len(v) >= 3]

    def hide(self, text: str) -> str:
        """``text`` with this manifest's credentials, URL passwords and secret
        ``name=value`` pairs hidden."""
        for value in sorted(self.secret_values(), key=len, reverse=True):
            text = text.replace(value, REDACTED)
        return redact_text(text)

    def public_view(self) -> dict[str, Any]:
        """The manifest as data for a report, credentials hidden."""
        data: dict[str, Any] = self.model_dump(mode="json")
        redact_mapping(data, text=False)
        return _map_strings(data, self.hide)  # type: ignore[no-any-return]


def _map_strings(value: Any, fn: Any) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    return value


def check_url(url: str) -> None:
    """A one-line error for a target URL without a scheme, with the likely fix."""
    if "://" not in url and re.fullmatch(r"[\w.\-\[\]:]+(?::\d+)?(?:/\S*)?", url):
        raise ConfigError(f"{url!r} is not a URL; did you mean http://{url}?")


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
    check_url(base_url)
    return parse_manifest(
        {"target": {"base_url": base_url}, "claims": list(PROPOSALS if claims is None else claims)},
        "<command line>",
    )
