"""Reading versions from what clients send: a version token, the version header and the
``Accept`` header. Every input is hostile: anything that is not a plain version is
:class:`Malformed`, never an exception of another kind."""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION_PATTERN = r"(0|[1-9][0-9]{0,5})(\.(0|[1-9][0-9]{0,5}))?"
"""How versions are spelled in the configuration: ``2``, ``1.1``."""

_CLIENT_VERSION = re.compile(r"[vV]?([0-9]{1,6})(?:\.([0-9]{1,6}))?")
MAX_VERSION_LENGTH = 16
MAX_ACCEPT_LENGTH = 8192
MAX_ACCEPT_ITEMS = 64


class Malformed(ValueError):
    """A value that does not spell a version (or an Accept header too large to read)."""


def normalise(token: str) -> str:
    """The version ``token`` names, as the configuration spells it (``v02`` is ``2``);
    :class:`Malformed` when it is not a version."""
    if len(token) > MAX_VERSION_LENGTH:
        raise Malformed("a version is at most 16 characters")
    found = _CLIENT_VERSION.fullmatch(token.strip())
    if found is None:
        raise Malformed("a version is a number such as 2 or 1.1, optionally spelled v2")
    major, minor = found.groups()
    return str(int(major)) if minor is None else f"{int(major)}.{int(minor)}"


def version_key(version: str) -> tuple[int, ...]:
    """Sort key: ``1.10`` is higher than ``1.9``."""
    return tuple(int(part) for part in version.split("."))


@dataclass(frozen=True)
class MediaRange:
    media_type: str
    params: dict[str, str]
    q: float


def _quality(value: str) -> float:
    try:
        q = float(value)
    except ValueError:
        return 1.0  # an unreadable weight counts as the default (RFC 9110 12.4.2)
    return q if 0.0 <= q <= 1.0 else 1.0


def media_ranges(accept: str) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header, in the order given."""
    if len(accept) > MAX_ACCEPT_LENGTH:
        raise Malformed("the Accept header is longer than 8192 characters")
    items = accept.split(",")
    if len(items) > MAX_ACCEPT_ITEMS:
        raise Malformed("the Accept header lists more than 64 media ranges")
    ranges: list[MediaRange] = []
    for item in items:
        media_type, *raw_params = (part.strip() for part in item.split(";"))
        if not media_type:
            continue
        params: dict[str, str] = {}
        for raw in raw_params:
            name, _, value = raw.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        q = _quality(params.pop("q", "1"))
        ranges.append(MediaRange(media_type.lower(), params, q))
    return ranges


def vendor_pattern(vendor: str) -> re.Pattern[str]:
    """``application/vnd.<vendor>.v<version>+json``; the version group is read loosely
    so that a wrong one is reported rather than ignored."""
    return re.compile(rf"application/vnd\.{re.escape(vendor.lower())}\.v([^+]*)\+json")


def accept_versions(accept: str, vendor: str) -> list[str]:
    """The versions an ``Accept`` header asks for with q > 0: from vendor media types
    (``application/vnd.<vendor>.v2+json``) and from a ``version`` parameter on
    ``application/json`` or ``application/vnd.<vendor>+json``. Empty: it names none."""
    pattern = vendor_pattern(vendor)
    plain = {"application/json", f"application/vnd.{vendor.lower()}+json"}
    found: list[str] = []
    for media in media_ranges(accept):
        token: str | None = None
        matched = pattern.fullmatch(media.media_type)
        if matched is not None:
            token = matched.group(1)
        elif media.media_type in plain and "version" in media.params:
            token = media.params["version"]
        if token is None or media.q == 0.0:
            continue
        found.append(normalise(token))
    return found
