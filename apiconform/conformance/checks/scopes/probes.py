"""Reading the scope probes. A probe that does not answer as the probe API says leaves
nothing to judge: the check skips, naming the probe and its answer."""

from __future__ import annotations

from typing import Any

from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import json_body
from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.manifest import ScopeApp
from apiconform.conformance.registry import CheckSkipped


def probe_json(client: TargetClient, path: str, what: str) -> dict[str, Any]:
    """The JSON object a probe answers with; anything else skips the check."""
    response = client.get(path)
    body = json_body(response)
    if response.status_code != 200 or not isinstance(body, dict):
        raise CheckSkipped(
            f"the {what} probe {client.base_url}{path} answered {response.status_code} "
            "without the JSON object the probe API describes"
        )
    return dict(body)


def apps(ctx: CheckContext, needed: int = 2) -> list[tuple[ScopeApp, TargetClient]]:
    """The applications of the target's process, with a client each; skips with fewer
    than ``needed``."""
    listed = ctx.manifest.scopes.apps
    if len(listed) < needed:
        raise CheckSkipped(
            f"the manifest lists {len(listed)} scope app(s) ([[scopes.apps]]); "
            f"this check needs {needed}"
        )
    return [(app, ctx.client(app.url)) for app in listed]


def clients(ctx: CheckContext) -> list[TargetClient]:
    """A client per listed application, or one for the target when none is listed."""
    listed = ctx.manifest.scopes.apps
    return [ctx.client(app.url) for app in listed] if listed else [ctx.client()]


def request_ids(ctx: CheckContext, client: TargetClient) -> dict[str, Any]:
    """One answer of the request-ids probe, checked against the probe API."""
    path = ctx.probe("scopes.request_ids")
    body = probe_json(client, path, "request-ids")
    transient = body.get("transient")
    complete = {"first", "second", "singleton"} <= set(body)
    if not complete or not (isinstance(transient, list) and len(transient) == 2):
        raise CheckSkipped(
            f"the request-ids probe {client.base_url}{path} does not return first, second, "
            f"singleton and two transient ids: {body}"
        )
    return body
