"""The gate's policy: thresholds overall, per path glob and for changed lines, exclusions
and the badge, read from TOML and validated once.

A policy is a file or the name of a preset shipped in ``apiconform/gate/presets/``
(``--policy cmmv``). Without one, the seed's thresholds apply: 95% lines, 85% branches,
95% functions overall, and 95% of the changed lines. Thresholds are percentages from 0 to
100 or ``"off"``; they are read as decimals, so ``85.5`` means exactly 85.5.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from apiconform.gate.errors import GateInputError
from apiconform.gate.globs import PathMatcher, compile_globs

METRICS: tuple[Literal["lines", "branches", "functions"], ...] = ("lines", "branches", "functions")
Metric = Literal["lines", "branches", "functions"]


def _off(value: object) -> object:
    return None if value == "off" else value


#: A percentage, or ``"off"`` (read as ``None``): the metric is shown but not checked.
Percent = Annotated[Decimal, Field(ge=0, le=100)]
Threshold = Annotated[Percent | None, BeforeValidator(_off)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Strict):
    """Minimum percentages; ``None`` leaves a metric unchecked."""

    lines: Threshold = None
    branches: Threshold = None
    functions: Threshold = None

    def get(self, metric: Metric) -> Decimal | None:
        value: Decimal | None = getattr(self, metric)
        return value


class OverallThresholds(Thresholds):
    """The whole project's thresholds; the seed's 95 / 85 / 95 unless set."""

    lines: Threshold = Decimal(95)
    branches: Threshold = Decimal(85)
    functions: Threshold = Decimal(95)


class Rule(Thresholds):
    """Thresholds for the files matching ``paths`` (globs relative to the root)."""

    name: str | None = None
    paths: list[str] = Field(min_length=1)

    @field_validator("paths")
    @classmethod
    def _globs_compile(cls, paths: list[str]) -> list[str]:
        compile_globs(paths)
        return paths

    @property
    def label(self) -> str:
        return self.name or ", ".join(self.paths)

    def matcher(self) -> PathMatcher:
        return PathMatcher(self.paths)


class ChangedLines(_Strict):
    """The threshold for lines added or modified since ``--base``."""

    lines: Threshold = Decimal(95)


class Badge(_Strict):
    """Which metric the badge shows, and where its colours change."""

    metric: Metric = "lines"
    green: Percent = Decimal(90)
    yellow: Percent = Decimal(75)

    @model_validator(mode="after")
    def _ordered(self) -> Badge:
        if self.yellow > self.green:
            raise ValueError("yellow must not be above green")
        return self


class Policy(_Strict):
    """A whole policy file."""

    exclude: list[str] = Field(default_factory=list)
    overall: OverallThresholds = Field(default_factory=OverallThresholds)
    rules: list[Rule] = Field(default_factory=list)
    changed: ChangedLines = Field(default_factory=ChangedLines)
    badge: Badge = Field(default_factory=Badge)

    @field_validator("exclude")
    @classmethod
    def _exclude_compiles(cls, patterns: list[str]) -> list[str]:
        compile_globs(patterns)
        return patterns

    def excluded(self) -> PathMatcher:
        return PathMatcher(self.exclude)


def presets() -> list[str]:
    """Names of the policies shipped with apiconform."""
    folder = resources.files("apiconform.gate") / "presets"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "(root)"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def parse_policy(source: str, text: str) -> Policy:
    """Validate policy TOML; errors name ``source`` and the line or field at fault."""
    try:
        raw: dict[str, Any] = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise GateInputError(source, f"invalid TOML: {exc}") from None
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        raise GateInputError(source, f"invalid policy: {_describe(exc)}") from None


def load_policy(ref: str | None) -> Policy:
    """The policy in file ``ref``, or the preset named ``ref``, or the defaults."""
    if ref is None:
        return Policy()
    path = Path(ref)
    if not path.is_file() and ref in presets():
        preset = resources.files("apiconform.gate") / "presets" / f"{ref}.toml"
        return parse_policy(f"preset {ref}", preset.read_text(encoding="utf-8"))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        known = ", ".join(presets())
        raise GateInputError(
            ref, f"cannot read policy: {reason or exc} (presets: {known})"
        ) from None
    return parse_policy(ref, text)
