"""From a manifest to a scenario's plan: the probe paths a locustfile needs, or the reason
the scenario cannot run against this target (a probe declared ``false``, a proposal not
claimed)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from apiconform.conformance.manifest import ERROR_KINDS, Manifest
from apiconform.errors import ApiconformError

# the environment variable that carries the plan to locust's processes (JSON)
PLAN_ENV = "APICONFORM_LOAD_PLAN"
# the proposal each scenario needs the target to claim (overhead needs none)
NEEDS = {
    "health": "add-health-observability",
    "metrics": "add-health-observability",
    "errors": "add-error-handling",
    "versioned": "add-api-versioning",
    "oauth": "add-oauth-providers",
    "throttle": "enhance-throttler",
}


class ScenarioSkipped(ApiconformError):
    """The target cannot be put through this scenario; the message says why."""


def locustfile(scenario: str) -> Path:
    """The locustfile of ``scenario`` (a plain file inside the installed package)."""
    with resources.as_file(resources.files("apiconform.load.scenarios") / f"{scenario}.py") as path:
        return Path(path)


@dataclass(frozen=True)
class Plan:
    scenario: str
    params: dict[str, Any]
    locustfile: Path


def _claimed(manifest: Manifest, scenario: str) -> None:
    proposal = NEEDS.get(scenario)
    if proposal is not None and not manifest.claims_proposal(proposal):
        raise ScenarioSkipped(f"the target does not claim {proposal}")


def _probe(value: str | bool, section: str, name: str) -> str:
    if value is False:
        raise ScenarioSkipped(f"the target declares no {section}.{name}")
    return str(value)


def _trivial(manifest: Manifest) -> str:
    return _probe(manifest.load.trivial, "load", "trivial")


def health(manifest: Manifest) -> dict[str, Any]:
    probes = manifest.observability
    return {
        "live": _probe(probes.live, "observability", "live"),
        "ready": probes.ready or None,
        "background": _trivial(manifest),
    }


def metrics(manifest: Manifest) -> dict[str, Any]:
    return {
        "metrics": _probe(manifest.observability.metrics, "observability", "metrics"),
        "raw_prefix": manifest.load.raw_prefix,
        "background": _trivial(manifest),
    }


def errors(manifest: Manifest) -> dict[str, Any]:
    triggers = manifest.errors.triggers
    if triggers is False:
        raise ScenarioSkipped("the target declares no errors.triggers")
    chosen = {k: [p, ERROR_KINDS[k]] for k, p in triggers.items() if p is not False}
    if not chosen:
        raise ScenarioSkipped("the target declares no error trigger")
    return {"triggers": chosen}


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def versioned(manifest: Manifest) -> dict[str, Any]:
    probes = manifest.versioning
    resource = _probe(probes.resource, "versioning", "resource")
    retired = probes.sunset_passed.version if probes.sunset_passed else None
    live = sorted((v for v in probes.versions if v != retired), key=_version_key)
    if not live:
        raise ScenarioSkipped("the target declares no version that still answers")
    if not probes.strategies:
        raise ScenarioSkipped("the target declares no versioning.strategies")
    return {
        "resource": resource,
        "paths": {v: probes.versioned(v, resource) for v in live},
        "versions": live,
        "strategies": list(probes.strategies),
        "header": probes.header,
        "vendor": probes.vendor,
        "deprecated": [probes.deprecated.version] if probes.deprecated else [],
    }


def oauth(manifest: Manifest) -> dict[str, Any]:
    """The sign-in paths; the runner adds the mock OAuth server's URL (``mock_url``)."""
    probes = manifest.auth
    return {
        "providers": list(probes.providers),
        "login": _probe(probes.login, "auth", "login"),
        "me": _probe(probes.me, "auth", "me"),
        "session": probes.session,
    }


def throttle(manifest: Manifest) -> dict[str, Any]:
    """The limited route and its policy; the runner adds the instances' URLs (``hosts``)."""
    limited = manifest.throttling.limited
    if limited is False:
        raise ScenarioSkipped("the target declares no throttling.limited")
    path = _probe(limited.path, "throttling.limited", "path")
    return {"path": path, "limit": limited.limit, "ttl": limited.ttl}


def overhead(manifest: Manifest) -> dict[str, Any]:
    return {"path": _trivial(manifest)}


BUILDERS = {
    "health": health,
    "metrics": metrics,
    "errors": errors,
    "overhead": overhead,
    "versioned": versioned,
    "oauth": oauth,
    "throttle": throttle,
}


def build_plan(scenario: str, manifest: Manifest) -> Plan:
    """The plan of ``scenario`` for the target ``manifest`` describes."""
    _claimed(manifest, scenario)
    return Plan(scenario, BUILDERS[scenario](manifest), locustfile(scenario))
