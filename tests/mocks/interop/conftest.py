"""The interoperability matrix runs every client against a mock in auto-approve mode, over
real HTTP on 127.0.0.1. ``node/`` holds the Node clients' package, not tests."""

from __future__ import annotations

import pytest

from apiconform.mocks.oauth_server import MockOAuthConfig

collect_ignore = ["node"]


@pytest.fixture
def mock_oauth_config() -> MockOAuthConfig:
    return MockOAuthConfig(auto_approve=True)
