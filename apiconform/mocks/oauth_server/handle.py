"""What a running mock offers its tests, however it is reached (over HTTP or by respx)."""

from __future__ import annotations

from apiconform.mocks.oauth_server.app import MockOAuthApp
from apiconform.mocks.oauth_server.faults import FaultBoard
from apiconform.mocks.oauth_server.journal import Journal
from apiconform.mocks.oauth_server.state import Clock
from apiconform.mocks.oauth_server.users import UserDirectory


class MockHandle:
    """Shortcuts to the mock app's default client, fault board, journal, users and clock."""

    app: MockOAuthApp

    @property
    def client_id(self) -> str:
        return self.app.config.clients[0].client_id

    @property
    def client_secret(self) -> str | None:
        return self.app.config.clients[0].client_secret

    @property
    def faults(self) -> FaultBoard:
        return self.app.faults

    @property
    def requests(self) -> Journal:
        return self.app.requests

    @property
    def users(self) -> UserDirectory:
        return self.app.users

    @property
    def clock(self) -> Clock:
        return self.app.clock
