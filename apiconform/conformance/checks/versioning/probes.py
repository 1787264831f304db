"""What the versioning checks share: the manifest's ``[versioning]`` section, requests
that name a version the way the target supports, and telling versions' answers apart."""

from __future__ import annotations

import json
import random
from typing import Any

import httpx

from apiconform.conformance.context import CheckContext
from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.manifest import VersioningProbes
from apiconform.conformance.registry import CheckSkipped


def section(ctx: CheckContext) -> VersioningProbes:
    return ctx.manifest.versioning


def need(ctx: CheckContext, strategy: str) -> VersioningProbes:
    """The section, when the target declares ``strategy``; otherwise the check skips."""
    probes = section(ctx)
    if not probes.supports(strategy):
        raise CheckSkipped(f"the target declares no {strategy} versioning (versioning.strategies)")
    return probes


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def live_versions(probes: VersioningProbes) -> list[str]:
    """The declared versions, lowest first, without one past its sunset."""
    retired = probes.sunset_passed.version if probes.sunset_passed else None
    return sorted((v for v in probes.versions if v != retired), key=version_key)


def two_versions(ctx: CheckContext) -> tuple[str, str]:
    """The two highest versions that still answer."""
    live = live_versions(section(ctx))
    if len(live) < 2:
        raise CheckSkipped("needs two versions that answer (versioning.versions)")
    return live[-2], live[-1]


def unsupported_version(probes: VersioningProbes) -> str:
    """A version the target does not declare (a nonce: never a fixed number)."""
    while True:
        candidate = str(random.randint(700_000, 799_999))
        if candidate not in probes.versions:
            return candidate


def vendor_type(probes: VersioningProbes, version: str) -> str:
    return f"application/vnd.{probes.vendor}.v{version}+json"


def by_version(
    ctx: CheckContext, client: TargetClient, version: str, path: str, *, media: bool = True
) -> httpx.Response:
    """``path`` in ``version``, named in the URI when the target supports it, else in the
    version header, else (when ``media``) in the media type."""
    probes = section(ctx)
    if probes.supports("uri"):
        return client.get(probes.versioned(version, path))
    if probes.supports("header"):
        return client.get(path, headers={probes.header: version})
    if media and probes.supports("media_type"):
        return client.get(path, headers={"Accept": vendor_type(probes, version)})
    raise CheckSkipped("the target declares no strategy to name a version with")


def reference(ctx: CheckContext, client: TargetClient, version: str, path: str) -> Any:
    """The answer of ``path`` in ``version`` through the URI or the header (what another
    strategy's answer is compared with); the check skips when that does not answer 2xx."""
    response = by_version(ctx, client, version, path, media=False)
    if not response.is_success:
        raise CheckSkipped(
            f"{path} in version {version} answered {response.status_code} "
            "(the resource must be served: see VER-URI-01)"
        )
    return content(response)


def distinct_references(ctx: CheckContext, client: TargetClient) -> tuple[str, Any, str, Any]:
    """Two versions and their answers of the resource, which must differ to be told apart."""
    low, high = two_versions(ctx)
    resource = ctx.probe("versioning.resource")
    low_body, high_body = (reference(ctx, client, v, resource) for v in (low, high))
    if low_body == high_body:
        raise CheckSkipped(
            f"{resource} answers alike in versions {low} and {high} (see VER-URI-02)"
        )
    return low, low_body, high, high_body


def content(response: httpx.Response) -> Any:
    """The body as JSON when it parses, else as text."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text


def media_type(response: httpx.Response) -> str:
    value = str(response.headers.get("content-type", ""))
    return value.split(";", 1)[0].strip().lower()


def lists_versions(body: Any, versions: list[str]) -> bool:
    """Whether some list in ``body`` (at any depth) names every one of ``versions``
    (``2`` or ``v2``)."""
    if isinstance(body, dict):
        return any(lists_versions(value, versions) for value in body.values())
    if isinstance(body, list):
        named = {str(item).strip().lstrip("vV") for item in body if isinstance(item, str | int)}
        return set(versions) <= named or any(lists_versions(item, versions) for item in body)
    return False
