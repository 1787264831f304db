"""What a check gets: the manifest, HTTP clients that record evidence, and (in managed
mode) the target's process, its services and the echo server."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from apiconform.conformance.echo import EchoServer
from apiconform.conformance.evidence import Recorder, TargetClient
from apiconform.conformance.manifest import Manifest
from apiconform.conformance.proxy import FaultProxy
from apiconform.conformance.registry import CheckSkipped
from apiconform.conformance.services import DatabaseService, RedisService
from apiconform.conformance.target import Instance, ManagedTarget

_PORT_REF = re.compile(r"\{port(\d*)\}")


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
    _clients: list[TargetClient] = field(default_factory=list)

    @property
    def managed(self) -> bool:
        return self.instance is not None

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
        client = TargetClient(self.url(url) if url else self.base_url, self.recorder)
        self._clients.append(client)
        return client

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
