"""The shape every error must have (RFC 9457 problem details, as the proposal asks), and
the stimuli several ERR checks share."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import json_body, new_id, tagged
from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.registry import CheckSkipped, expect

PROBLEM_MEDIA_TYPE = "application/problem+json"
STANDARD_MEMBERS = ("type", "title", "status", "detail", "instance")


def media_type(response: httpx.Response) -> str:
    value: str = response.headers.get("content-type", "")
    return value.split(";")[0].strip().lower()


def is_problem(response: httpx.Response) -> bool:
    return media_type(response) == PROBLEM_MEDIA_TYPE


def _instance_names(instance: str, method: str, path: str) -> bool:
    """Whether ``instance`` names the request: its path, a URL with that path, or
    ``"METHOD path"`` (as ASP.NET Core writes it)."""
    candidate = instance.removeprefix(f"{method} ")
    return urlsplit(candidate).path == path


def problem(response: httpx.Response, status: int | None = None) -> dict[str, Any]:
    """Assert ``response`` is an RFC 9457 problem (of ``status``) with the five members
    the proposal requires, and return its body."""
    where = f"{response.request.method} {response.request.url.path}"
    expect(
        status is None or response.status_code == status,
        "problem.status-code",
        f"{where} answered {response.status_code}, expected {status}",
    )
    expect(
        is_problem(response),
        "problem.media-type",
        f"{where} ({response.status_code}) is {media_type(response) or 'untyped'}, "
        f"not {PROBLEM_MEDIA_TYPE}",
    )
    body = json_body(response)
    expect(isinstance(body, dict), "problem.object", f"{where}: the problem is not a JSON object")
    missing = [m for m in STANDARD_MEMBERS if m not in body]
    expect(not missing, "problem.members", f"{where}: the problem has no {', '.join(missing)}")
    expect(
        isinstance(body["type"], str) and body["type"],
        "problem.type",
        f"{where}: type {body['type']!r} is not a URI reference",
    )
    expect(
        isinstance(body["title"], str) and body["title"],
        "problem.title",
        f"{where}: title {body['title']!r} is not a text",
    )
    expect(
        type(body["status"]) is int and body["status"] == response.status_code,
        "problem.status-member",
        f"{where}: status member {body['status']!r} is not the response's {response.status_code}",
    )
    expect(
        isinstance(body["detail"], str) and body["detail"].strip(),
        "problem.detail",
        f"{where}: detail {body['detail']!r} is not a text",
    )
    expect(
        isinstance(body["instance"], str)
        and _instance_names(body["instance"], response.request.method, response.request.url.path),
        "problem.instance",
        f"{where}: instance {body['instance']!r} does not name the request path",
    )
    return dict(body)


def trigger(ctx: CheckContext, kind: str) -> str:
    """The path of the trigger for ``kind``; skips when the target declares none."""
    path: str = ctx.probe(f"errors.triggers.{kind}")
    return path


def unknown_path() -> str:
    """A path no target serves."""
    return f"/apiconform-no-such-route-{new_id('r')}"


def not_found_stimulus(ctx: CheckContext, client: TargetClient, **kwargs: Any) -> httpx.Response:
    """A 404: the not-found trigger, or an unknown route when the target has none."""
    path = trigger(ctx, "not-found") if ctx.has("errors.triggers.not-found") else unknown_path()
    return client.get(path, **kwargs)


def crash(
    ctx: CheckContext, client: TargetClient, message: str, correlation_id: str
) -> httpx.Response:
    """Make the target crash with ``message`` (the crash probe raises an unhandled
    exception with the ``message`` query parameter as its message)."""
    path = ctx.probe("errors.crash")
    return client.get(path, params={"message": message}, headers=tagged(correlation_id))


def crash_secret() -> str:
    """A secret the suite chose, for a crash message: it must reach the development
    client and the log, never a production client."""
    return new_id("apiconform-secret")


def server_error(response: httpx.Response, what: str) -> None:
    """Skip unless ``response`` is a server error: a crash that is not answered 5xx is
    ERR-FILTER-01's failure, and leaves nothing for this check to judge."""
    if response.status_code < 500:
        raise CheckSkipped(
            f"{what} answered {response.status_code}, not a server error (see ERR-FILTER-01)"
        )


_SECONDS = re.compile(r"^\d+$")


def retry_after_ok(value: str) -> bool:
    """Whether a Retry-After value is delay-seconds or an HTTP-date (RFC 9110)."""
    from email.utils import parsedate_to_datetime

    if _SECONDS.match(value.strip()):
        return True
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return False
    return True
