"""Where each provider's endpoints live: on the real hosts, and under the mock's prefixes.

One table serves both directions. Inbound, :func:`mock_path` turns a real URL
(``https://oauth2.googleapis.com/token``) into the mock's path (``/google/token``); the
in-process transport and the respx routes use it. Outbound, :func:`public_url` builds the
URLs the mock hands out (discovery documents, issuers, consent forms): pointing back at the
mock when it was reached at its own address, at the real hosts when it was reached under a
real host name (through respx), so a client sees consistent URLs either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Host:
    """One real host of a provider and the path below ``/<provider>`` it maps to."""

    real: str  # origin of the real host
    mock: str  # path below the provider's prefix in the mock
    tenant: bool = False  # real paths start with a tenant segment (Microsoft's login host)

    @property
    def hostname(self) -> str:
        return urlsplit(self.real).hostname or ""


HOSTS: dict[str, dict[str, Host]] = {
    "google": {
        "accounts": Host("https://accounts.google.com", ""),
        "oauth2": Host("https://oauth2.googleapis.com", ""),
        "openidconnect": Host("https://openidconnect.googleapis.com", ""),
        "www": Host("https://www.googleapis.com", ""),
        "people": Host("https://people.googleapis.com", ""),
    },
    "github": {
        "web": Host("https://github.com", ""),
        "api": Host("https://api.github.com", "/api"),
    },
    "facebook": {
        "www": Host("https://www.facebook.com", ""),
        "graph": Host("https://graph.facebook.com", ""),
    },
    "microsoft": {
        "login": Host("https://login.microsoftonline.com", "", tenant=True),
        "graph": Host("https://graph.microsoft.com", "/graph"),
    },
}

REAL_HOSTNAMES = frozenset(host.hostname for hosts in HOSTS.values() for host in hosts.values())


def is_real_host(hostname: str | None) -> bool:
    return hostname in REAL_HOSTNAMES


def find_host(hostname: str) -> tuple[str, Host] | None:
    """The provider and host entry of a real host name."""
    for provider, hosts in HOSTS.items():
        for host in hosts.values():
            if host.hostname == hostname:
                return provider, host
    return None


def mock_path(hostname: str, path: str) -> str | None:
    """The mock's path for ``path`` on the real host ``hostname``; None if not a provider
    host. Microsoft's tenant segment (``/common``, ``/organizations``, a GUID) is dropped."""
    found = find_host(hostname)
    if found is None:
        return None
    provider, host = found
    if host.tenant:
        _, _, path = path.lstrip("/").partition("/")
        path = "/" + path
    return f"/{provider}{host.mock}{path}"


def public_url(
    *, base: str, real: bool, provider: str, role: str, path: str, tenant: str = ""
) -> str:
    """The URL of ``path`` on ``provider``'s ``role`` host as a client should see it:
    ``base`` + the mock prefix, or the real host when ``real``."""
    host = HOSTS[provider][role]
    if real:
        prefix = f"/{tenant}" if host.tenant else ""
        return f"{host.real}{prefix}{path}"
    return f"{base.rstrip('/')}/{provider}{host.mock}{path}"
