"""What a deprecated version adds to its responses (RFC 9745 ``Deprecation``, RFC 8594
``Sunset``, ``Link`` to the policy and the successor) and its warning, logged once per
version and route per interval."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime

from apiconform.common.logs import get_logger
from apiconform.reference.versioning.config import VersionConfig, VersioningConfig

_log = get_logger("apiconform.versioning")
Clock = Callable[[], float]


def deprecation_value(version: VersionConfig, form: str) -> str:
    """``@<unix seconds>`` (RFC 9745) or the seed's ``true``."""
    if form == "date" and isinstance(version.deprecated, datetime):
        return f"@{int(version.deprecated.timestamp())}"
    return "true"


def http_date(moment: datetime) -> str:
    """An IMF-fixdate: ``Sun, 06 Nov 1994 08:49:37 GMT``."""
    return format_datetime(moment, usegmt=True)


def deprecation_headers(
    config: VersioningConfig, version: str, successor_path: str | None
) -> list[tuple[str, str]]:
    """The headers of a response served by ``version``; none when it is not deprecated."""
    settings = config.versions[version]
    if not settings.is_deprecated:
        return []
    headers = [("Deprecation", deprecation_value(settings, config.deprecation_format))]
    if settings.sunset is not None:
        headers.append(("Sunset", http_date(settings.sunset)))
    links = []
    if settings.policy is not None:
        links.append(f'<{settings.policy}>; rel="deprecation"; type="text/html"')
    if successor_path is not None:
        links.append(f'<{successor_path}>; rel="successor-version"')
    if links:
        headers.append(("Link", ", ".join(links)))
    return headers


def sunset_passed(config: VersioningConfig, version: str, now: float) -> bool:
    sunset = config.versions[version].sunset
    return sunset is not None and sunset.timestamp() <= now


class DeprecationWarnings:
    """Logs "deprecated version used" at most once per (version, route) per interval."""

    def __init__(self, interval: float, clock: Clock) -> None:
        self.interval = interval
        self.clock = clock
        self._last: dict[tuple[str, str], float] = {}

    def used(self, version: str, route: str, config: VersionConfig) -> bool:
        """Record a use; True when it was logged."""
        now = self.clock()
        key = (version, route)
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            return False
        self._last[key] = now
        _log.warning(
            "deprecated API version used",
            version=version,
            route=route,
            successor=config.successor,
            sunset=None if config.sunset is None else http_date(config.sunset),
        )
        return True
