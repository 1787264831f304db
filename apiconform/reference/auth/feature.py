"""Authentication as a feature: the ``[auth]`` section, the :class:`AuthService`, the auth
routes and the guard of ``@authenticated`` routes. It needs the store feature (its
:class:`~apiconform.reference.store.database.Database`) for users and linked accounts."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx

from apiconform.reference.auth.config import AuthConfig
from apiconform.reference.auth.controller import AuthController
from apiconform.reference.auth.decorator import oauth_routes
from apiconform.reference.auth.guard import guard_factory
from apiconform.reference.auth.service import AuthService
from apiconform.reference.auth.state import Clock
from apiconform.reference.kernel.feature import Contribution
from apiconform.reference.kernel.providers import Provider

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application


class Auth:
    """``Auth(clock=..., transport=...)``: a clock and an httpx transport replace the real
    ones in tests."""

    name = "auth"
    config_model = AuthConfig

    def __init__(
        self, *, clock: Clock = time.time, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.clock = clock
        self.transport = transport

    def setup(self, app: Application, config: AuthConfig) -> Contribution:
        service = AuthService(app, config, clock=self.clock, transport=self.transport)

        async def open_tables(app: Application) -> None:
            await service.accounts()

        return Contribution(
            providers=[Provider(AuthService, value=service)],
            controllers=[AuthController],
            guards=[guard_factory(service)],
            route_transforms=[oauth_routes(service)],
            on_start=[open_tables],
        )
