"""What a check gets: the manifest, HTTP clients that record evidence, and (in managed
mode) the target's process, its services and the echo server."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from apiconform.conformance.echo import EchoServer
from apiconform.conformance.evidence import Recorder, TargetClient
from apiconform.conformance.manifest import Manifest
from apiconform.conformance.proxy import FaultProxy
from apiconform.conformance.registry import CheckSkipped
from apiconform.conformance.services import DatabaseService, RedisService
from apiconform.conformance.target import Instance, ManagedTarget
from apiconform.conformance.watchdog import Watchdog

_PORT_REF = re.compile(r"\{port(\d*)\}")
DEFAULT_TIMEOUT = 10.0


class WatchedClient(TargetClient):
    """A recording client that tells the run's :class:`Watchdog` whether the target
    answered, so a target that stopped answering ends the run early."""

    def __init__(
        self, base_url: str, recorder: Recorder, *, timeout: float, watchdog: Watchdog
    ) -> None:
        super().__init__(base_url, recorder, timeout=timeout)
        self.watchdog = watchdog

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = super().request(method, url, **kwargs)
        except httpx.TransportError as exc:
            self.watchdog.failed(exc, method, f"{self.base_url}{url}")
            raise
        self.watchdog.answered()
        return response


def declared(value: Any) -> bool:
    """Whether a manifest value names a probe (``false`` and a missing value do not)."""
    return value is not None and value is not False


@dataclass
class CheckContext:
    """The world of one check run. Clients made here are closed by the runner."""

    manifest: Manifest
    base_url: str
    recorder: Recorder = field(default_factory=Recorder)
    target: ManagedTarget | None = None
    instance: Instance | None = None
    echo: EchoServer | None = None
    redis: RedisService | None = None
    database: DatabaseService | None = None
    redis_proxy: FaultProxy | None = None
    database_proxy: FaultProxy | None = None
    oauth_mock_url: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    watchdog: Watchdog | None = None
    # THEN clauses the check could not produce here; a check that passes the rest is a skip
    untested: list[str] = field(default_factory=list)
    _clients: list[TargetClient] = field(default_factory=list)

    @property
    def managed(self) -> bool:
        return self.instance is not None

    @property
    def log_wait(self) -> float:
        """How long to wait for a request's log line that does not come."""
        return self.manifest.target.log_wait

    def url(self, template: str) -> str:
        """A manifest URL with ``{base_url}`` and, in managed mode, ``{port}``/``{portN}``
        filled in."""
        url = template.replace("{base_url}", self.base_url)
        if _PORT_REF.search(url):
            if self.instance is None:
                raise CheckSkipped(f"{template} uses a port placeholder: needs managed mode")
            ports = self.instance.ports

            def port(match: re.Match[str]) -> str:
                index = int(match.group(1) or 0)
                if index >= len(ports):
                    raise CheckSkipped(f"{template}: the target has only {len(ports)} port(s)")
                return str(ports[index])

            url = _PORT_REF.sub(port, url)
        return url.rstrip("/")

    def client(self, url: str | None = None) -> TargetClient:
        """A recording client for the target's base URL (or ``url``, a manifest template)."""
        base = self.url(url) if url else self.base_url
        watchdog = self.watchdog or Watchdog(self.timeout)
        client = WatchedClient(base, self.recorder, timeout=self.timeout, watchdog=watchdog)
        self._clients.append(client)
        return client

    def probe(self, dotted: str) -> Any:
        """The manifest value at ``dotted`` (``"errors.create"``,
        ``"errors.triggers.bad-request"``); skips the check when the target declares it
        absent (``false``) or leaves it out."""
        node: Any = self.manifest
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else getattr(node, part, None)
            if not declared(node):
                raise CheckSkipped(f"the target declares no {dotted}")
        return node

    def has(self, dotted: str) -> bool:
        """Whether the target declares the probe at ``dotted``."""
        try:
            self.probe(dotted)
        except CheckSkipped:
            return False
        return True

    def unchecked(self, reason: str) -> None:
        """Record a THEN clause this check cannot produce here; the others still run, and
        the requirement is skipped (not passed) with ``reason`` if they all hold."""
        self.untested.append(reason)

    def process(self) -> Instance:
        """The target's process; skips the check in external mode."""
        if self.instance is None:
            raise CheckSkipped("needs managed mode (the suite must start the target)")
        return self.instance

    def require_claim(self, proposal: str) -> None:
        if not self.manifest.claims_proposal(proposal):
            raise CheckSkipped(f"needs {proposal}, which the manifest does not claim")

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
