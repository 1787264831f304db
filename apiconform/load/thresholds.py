"""Pass/fail thresholds of the load scenarios: the spec's bounds by default, overridden by a
TOML file with one table per scenario, e.g.::

    [health]
    "live.p99_ms" = 100          # a number is a maximum
    [overhead]
    ratio = { min = 0.70 }       # or a table with min and/or max

A metric is a request name's figure (``<name>.p50_ms``, ``<name>.p99_ms``, ``<name>.rps``,
``<name>.failures``), the whole run's (``p99_ms``, ``failures``, ...) or a figure the
scenario computes (``series_growth``, ``non_problem``, ``ratio``).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apiconform.errors import ConfigError

SCENARIOS = ("health", "metrics", "errors", "overhead", "versioned", "oauth", "throttle")


@dataclass(frozen=True)
class Threshold:
    metric: str
    minimum: float | None = None
    maximum: float | None = None

    @property
    def limit(self) -> str:
        parts = []
        if self.minimum is not None:
            parts.append(f">= {self.minimum:g}")
        if self.maximum is not None:
            parts.append(f"<= {self.maximum:g}")
        return " and ".join(parts)

    def holds(self, measured: float) -> bool:
        if math.isnan(measured):
            return False
        if self.minimum is not None and measured < self.minimum:
            return False
        return self.maximum is None or measured <= self.maximum


@dataclass(frozen=True)
class Verdict:
    threshold: Threshold
    measured: float | None

    @property
    def passed(self) -> bool:
        return self.measured is not None and self.threshold.holds(self.measured)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.threshold.metric,
            "limit": self.threshold.limit,
            # JSON has no NaN: a figure the run could not produce is null
            "measured": None
            if self.measured is None or math.isnan(self.measured)
            else self.measured,
            "passed": self.passed,
        }


# The spec's bounds (health: "response time is under 100ms"; metrics: "response completes
# within 500ms"), every error a problem, and the features' total cost >= 0.70x a bare app.
DEFAULTS: dict[str, list[Threshold]] = {
    "health": [Threshold("live.p99_ms", maximum=100), Threshold("live.failures", maximum=0)],
    "metrics": [
        Threshold("scrape.p99_ms", maximum=500),
        Threshold("scrape.failures", maximum=0),
        Threshold("series_growth", maximum=50),
    ],
    "errors": [
        Threshold("non_problem", maximum=0),
        Threshold("unexpected_status", maximum=0),
        Threshold("p99_ms", maximum=1000),
    ],
    "overhead": [Threshold("ratio", minimum=0.70)],
    "throttle": [Threshold("over_admitted", maximum=0), Threshold("unexpected", maximum=0)],
    "oauth": [Threshold("login_failed", maximum=0), Threshold("failures", maximum=0)],
    "versioned": [
        Threshold("failures", maximum=0),
        Threshold("version_mismatch", maximum=0),
        Threshold("deprecation_missing", maximum=0),
    ],
}


def _threshold(scenario: str, metric: str, value: Any, source: str) -> Threshold:
    where = f"{source}: [{scenario}] {metric}"
    if isinstance(value, bool):
        raise ConfigError(f"{where}: must be a number or a table with min/max, not {value!r}")
    if isinstance(value, int | float):
        return Threshold(metric, maximum=float(value))
    if not isinstance(value, dict) or not value or set(value) - {"min", "max"}:
        raise ConfigError(f"{where}: must be a number or a table with min and/or max")
    bounds: dict[str, float] = {}
    for key, bound in value.items():
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            raise ConfigError(f"{where}: {key} must be a number, not {bound!r}")
        bounds[key] = float(bound)
    return Threshold(metric, minimum=bounds.get("min"), maximum=bounds.get("max"))


def load_thresholds(path: Path | None, scenario: str) -> list[Threshold]:
    """The thresholds of ``scenario``: the defaults, each replaced or joined by the file's."""
    chosen = {t.metric: t for t in DEFAULTS[scenario]}
    if path is None:
        return list(chosen.values())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read thresholds: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    unknown = sorted(set(data) - set(SCENARIOS))
    if unknown:
        raise ConfigError(f"{path}: unknown scenario [{unknown[0]}]; known: {', '.join(SCENARIOS)}")
    table = data.get(scenario, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{scenario}] must be a table")
    for metric, value in table.items():
        chosen[metric] = _threshold(scenario, metric, value, str(path))
    return list(chosen.values())


def judge(thresholds: list[Threshold], figures: dict[str, float]) -> list[Verdict]:
    """Each threshold against its figure; a figure the run did not produce fails."""
    return [Verdict(t, figures.get(t.metric)) for t in thresholds]
