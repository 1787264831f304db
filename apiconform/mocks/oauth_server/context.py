"""The state one mock server shares between its providers and its control API."""

from __future__ import annotations

from dataclasses import dataclass

from apiconform.mocks.oauth_server.config import PROVIDERS, MockOAuthConfig
from apiconform.mocks.oauth_server.faults import FaultBoard
from apiconform.mocks.oauth_server.journal import Journal
from apiconform.mocks.oauth_server.keys import KeyRing
from apiconform.mocks.oauth_server.state import Clock, TokenStore
from apiconform.mocks.oauth_server.users import UserDirectory


@dataclass
class MockContext:
    config: MockOAuthConfig
    clock: Clock
    store: TokenStore
    users: UserDirectory
    faults: FaultBoard
    journal: Journal
    keys: KeyRing

    @classmethod
    def create(cls, config: MockOAuthConfig, clock: Clock | None = None) -> MockContext:
        clock = clock or Clock()
        return cls(
            config=config,
            clock=clock,
            store=TokenStore(clock, config.lifetimes),
            users=UserDirectory(config.users),
            faults=FaultBoard(PROVIDERS, config.faults),
            journal=Journal(),
            keys=KeyRing(),
        )

    def reset(self) -> None:
        """Forget codes, tokens and recorded requests; restore configured users and faults."""
        self.store.clear()
        self.users.reset()
        self.faults.reset()
        self.journal.clear()
