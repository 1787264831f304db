"""Fault injection: what can go wrong at one provider, switched on and off at run time.

Two kinds of knobs:

* transport faults -- ``outage`` (503), ``latency`` (seconds), ``connection_reset`` and
  ``malformed_json`` -- hit every endpoint of the provider, or only those named in
  ``endpoints``, and only the next ``times`` requests when that is set;
* protocol faults -- ``invalid_grant`` at the token endpoint, and ``unverified_email``,
  ``missing_email`` and ``changed_profile`` in every profile the provider hands out
  (userinfo, ``id_token``, Graph ``/me``, GitHub ``/user`` and ``/user/emails``), and
  ``access_token_lifetime``, the seconds the access tokens issued meanwhile last.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from apiconform.mocks.oauth_server.config import ProviderName

# Names of the endpoints the providers serve, for ``Faults.endpoints``.
ENDPOINT_NAMES = frozenset(
    {
        "discovery", "authorize", "consent", "token", "userinfo", "jwks", "people", "user",
        "emails", "me",
    }
)  # fmt: skip


class Faults(BaseModel):
    """The faults switched on at one provider; all off by default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    outage: bool = False
    latency: float = Field(default=0.0, ge=0, le=120)
    connection_reset: bool = False
    malformed_json: bool = False
    invalid_grant: bool = False
    unverified_email: bool = False
    missing_email: bool = False
    changed_profile: bool = False
    # access tokens issued meanwhile expire after this many seconds (a client's refresh)
    access_token_lifetime: float | None = Field(default=None, ge=1, le=86_400)
    endpoints: tuple[str, ...] = ()
    times: int | None = Field(default=None, ge=1)

    @field_validator("endpoints")
    @classmethod
    def _known_endpoints(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(names) - ENDPOINT_NAMES)
        if unknown:
            known = ", ".join(sorted(ENDPOINT_NAMES))
            raise ValueError(f"unknown endpoint(s) {', '.join(unknown)}; known: {known}")
        return names

    @property
    def transport(self) -> bool:
        """Whether any transport fault is on."""
        return self.outage or self.latency > 0 or self.connection_reset or self.malformed_json


@dataclass(frozen=True)
class TransportFaults:
    """The transport faults that apply to one request."""

    outage: bool
    latency: float
    connection_reset: bool
    malformed_json: bool


NO_FAULTS = Faults()


class FaultBoard:
    """The current faults of every provider. Thread-safe: a test thread may flip switches
    while the server runs in another."""

    def __init__(
        self, providers: Iterable[str], initial: Mapping[ProviderName, Faults] | None = None
    ) -> None:
        self._providers = tuple(providers)
        self._initial = {str(p): f for p, f in (initial or {}).items()}
        self._lock = threading.Lock()
        self._faults: dict[str, Faults] = dict(self._initial)

    def _check(self, provider: str) -> None:
        if provider not in self._providers:
            raise KeyError(f"unknown provider {provider!r}; known: {', '.join(self._providers)}")

    def get(self, provider: str) -> Faults:
        self._check(provider)
        with self._lock:
            return self._faults.get(provider, NO_FAULTS)

    def set(self, provider: str, faults: Faults | None = None, /, **fields: Any) -> Faults:
        """Replace ``provider``'s faults with ``faults`` or with a model built from ``fields``
        (``board.set("google", outage=True)``); invalid fields raise ``ValidationError``."""
        self._check(provider)
        chosen = faults if faults is not None else Faults.model_validate(fields)
        with self._lock:
            self._faults[provider] = chosen
        return chosen

    def clear(self, provider: str | None = None) -> None:
        """Switch off the faults of ``provider``, or of every provider."""
        if provider is not None:
            self._check(provider)
        with self._lock:
            if provider is None:
                self._faults.clear()
            else:
                self._faults.pop(provider, None)

    def reset(self) -> None:
        """Back to the faults the configuration started with."""
        with self._lock:
            self._faults = dict(self._initial)

    def snapshot(self) -> dict[str, Faults]:
        with self._lock:
            return {p: self._faults.get(p, NO_FAULTS) for p in self._providers}

    def take_transport(self, provider: str, endpoint: str | None) -> TransportFaults | None:
        """The transport faults for one request to ``endpoint``, counting down ``times``."""
        with self._lock:
            faults = self._faults.get(provider, NO_FAULTS)
            if not faults.transport:
                return None
            if faults.endpoints and endpoint not in faults.endpoints:
                return None
            if faults.times is not None:
                left = faults.times - 1
                self._faults[provider] = faults.model_copy(
                    update=_transport_off() if left == 0 else {"times": left}
                )
        return TransportFaults(
            outage=faults.outage,
            latency=faults.latency,
            connection_reset=faults.connection_reset,
            malformed_json=faults.malformed_json,
        )


def _transport_off() -> dict[str, Any]:
    return {
        "outage": False,
        "latency": 0.0,
        "connection_reset": False,
        "malformed_json": False,
        "times": None,
        "endpoints": (),
    }
