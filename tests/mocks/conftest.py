"""Fixtures for the mocks' tests (the pytester and mocks plugins load in the root
conftest)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.mocks.harness import Harness, harness_for


@pytest.fixture
async def oauth() -> AsyncIterator[Harness]:
    """An in-process mock in auto-approve mode and a client for it."""
    async with harness_for(auto_approve=True) as harness:
        yield harness
