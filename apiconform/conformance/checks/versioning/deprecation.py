"""VER-DEP-01/02/03: a deprecated version answers normally (and is logged), with
``Deprecation`` (RFC 9745's ``@<unix seconds>`` or the seed's ``true``) and ``Sunset``
(an IMF-fixdate, RFC 8594); a current version carries neither; one past its sunset
answers 410 naming a newer one."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

from apiconform.conformance import loglines
from apiconform.conformance.checks.versioning.probes import (
    by_version,
    content,
    live_versions,
    section,
    version_key,
)
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import new_id, tagged
from apiconform.conformance.registry import CheckSkipped, check, expect

_DEPRECATION = re.compile(r"@(-?[0-9]{1,15})|true")
_IMF_FIXDATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    r"[0-9]{2}:[0-9]{2}:[0-9]{2} GMT"
)


def sunset_seconds(value: str | None) -> float | None:
    """The Unix time of an IMF-fixdate, None for anything else."""
    if value is None or not _IMF_FIXDATE.fullmatch(value.strip()):
        return None
    try:
        return parsedate_to_datetime(value.strip()).timestamp()
    except (TypeError, ValueError):
        return None


@check("VER-DEP-01")
def deprecated_version_answers_with_deprecation_headers(ctx: CheckContext) -> None:
    """THEN the system processes the request normally, AND includes the Deprecation
    header (``@<unix>`` or ``true``), AND includes Sunset with the date (an IMF-fixdate
    not before the deprecation date); a version that is not deprecated carries neither."""
    deprecated = ctx.probe("versioning.deprecated")
    probes = section(ctx)
    client = ctx.client()
    response = by_version(ctx, client, deprecated.version, deprecated.path)
    expect(
        response.is_success,
        "VER-DEP-01.served",
        f"{deprecated.path} in deprecated version {deprecated.version} answered "
        f"{response.status_code}",
    )
    value = (response.headers.get("deprecation") or "").strip()
    form = _DEPRECATION.fullmatch(value)
    expect(
        form is not None,
        "VER-DEP-01.deprecation-format",
        f"Deprecation is {value!r}: neither @<unix seconds> (RFC 9745) nor true",
    )
    sunset = response.headers.get("sunset")
    when = sunset_seconds(sunset)
    expect(when is not None, "VER-DEP-01.sunset-date", f"Sunset {sunset!r} is no IMF-fixdate")
    if form is not None and form.group(1) is not None and when is not None:
        expect(
            when >= int(form.group(1)),
            "VER-DEP-01.sunset-after-deprecation",
            f"Sunset {sunset} is before the deprecation date {value}",
        )
    current = [v for v in live_versions(probes) if v != deprecated.version]
    if probes.default is not None and probes.default in current:
        current = [probes.default]
    if not current:
        ctx.unchecked("a version that is not deprecated: the target declares none")
        return
    fresh = by_version(ctx, client, current[-1], probes.resource or deprecated.path)
    if not fresh.is_success:
        ctx.unchecked(f"version {current[-1]} answered {fresh.status_code}: nothing to judge")
        return
    marked = sorted(h for h in ("deprecation", "sunset") if h in fresh.headers)
    expect(
        not marked,
        "VER-DEP-01.current-clean",
        f"version {current[-1]}, not deprecated, answers with {', '.join(marked)}",
    )


def names_version(text: str, versions: list[str]) -> bool:
    """Whether ``text`` names one of ``versions`` as a version (``2``, ``v2``)."""
    return any(re.search(rf"(?<![\w.])v?{re.escape(v)}(?![\w.])", text) for v in versions)


@check("VER-DEP-03")
def retired_version_is_gone(ctx: CheckContext) -> None:
    """WHEN the sunset date has passed (blocking enabled) THEN the system returns 410,
    AND suggests migrating to a newer version: the detail names one, and a Link of
    rel="successor-version" points to it."""
    retired = ctx.probe("versioning.sunset_passed")
    probes = section(ctx)
    response = by_version(ctx, ctx.client(), retired.version, retired.path)
    expect(
        response.status_code == 410,
        "VER-DEP-03.gone",
        f"{retired.path} in version {retired.version}, past its sunset, answered "
        f"{response.status_code}",
    )
    newer = [v for v in live_versions(probes) if version_key(v) > version_key(retired.version)]
    body = content(response)
    said = str(body.get("detail") or "") if isinstance(body, dict) else str(body)
    expect(
        names_version(said, newer),
        "VER-DEP-03.names-successor",
        f"the 410 names no newer version ({', '.join(newer)}): {said[:200]!r}",
    )
    link = response.headers.get("link", "")
    expect(
        re.search(r'rel="?successor-version"?', link, re.IGNORECASE),
        "VER-DEP-03.successor-link",
        f"the 410 has no Link of rel=successor-version: {link!r}",
    )


@check("VER-DEP-02")
def deprecated_use_is_logged(ctx: CheckContext) -> None:
    """THEN the system logs a deprecation warning: a line at warning level or worse that
    carries the deprecated version and the path. The request's own line counts; so does
    an earlier one for the same version and path, since a target may log the warning once
    per interval rather than on every request."""
    deprecated = ctx.probe("versioning.deprecated")
    probes = section(ctx)
    output = ctx.process().output
    since = output.mark()
    correlation_id = new_id()
    headers = tagged(correlation_id)
    if probes.supports("uri"):
        path = probes.versioned(deprecated.version, deprecated.path)
    else:
        path = deprecated.path
        headers[probes.header] = deprecated.version
    response = ctx.client().get(path, headers=headers)
    if not response.is_success:
        raise CheckSkipped(f"{path} answered {response.status_code} (see VER-DEP-01)")

    def warns(line: loglines.Line) -> bool:
        return (
            loglines.is_warning_or_worse(line)
            and loglines.carries(line, deprecated.version)
            and loglines.has_path(line, path)
        )

    own = loglines.wait_for_request(
        output, since, correlation_id, lambda found: any(warns(x) for x in found), ctx.log_wait
    )
    earlier = [line for line in output.json_lines(0) if warns(line)]
    expect(
        any(warns(x) for x in own) or earlier,
        "VER-DEP-02.logged",
        f"no warning-level log line carries version {deprecated.version} and {path} "
        f"({len(own)} line(s) of the request)",
    )
