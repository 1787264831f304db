"""The demo served by ``apiconform serve``: each version's document is valid OpenAPI, and
a real browser switches the docs page's version selector."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from tests.reference.test_cli_serve import wait_for_addresses

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def demo() -> Iterator[str]:
    # the access log goes nowhere: an unread pipe would fill and stall the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "apiconform.cli", "serve", "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "APICONFORM_LOG_FORMAT": "json"},
    )
    try:
        [address] = wait_for_addresses(proc, 1)
        yield address
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


@pytest.mark.parametrize("version", ["0", "1", "2"])
def test_each_version_document_is_valid_openapi(demo: str, version: str) -> None:
    # schemathesis against these documents: tests/conformance/test_fuzz.py (apiconform fuzz)
    document = httpx.get(f"{demo}/openapi/v{version}.json").json()
    validate(document)
    assert document["info"]["version"] == version


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


def listed_operations(page: Any, expected: str) -> list[str]:
    """The paths of the operations on show, once ``expected`` is among them."""
    page.wait_for_selector(f'.opblock-summary [data-path="{expected}"]')
    paths = page.locator(".opblock-summary [data-path]").evaluate_all(
        "elements => elements.map(e => e.getAttribute('data-path'))"
    )
    return sorted(paths)


def test_the_version_selector_switches_the_listed_operations(demo: str, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda request: None if request.url.startswith(demo) else outside.append(request.url),
    )
    try:
        page.goto(f"{demo}/docs")
        selector = page.locator(".topbar select")
        selector.wait_for()
        assert selector.locator("option").all_inner_texts() == [
            "v0 (deprecated)",
            "v1 (deprecated)",
            "v2",
        ]
        selector.select_option(label="v1 (deprecated)")
        v1 = listed_operations(page, "/v1/users")
        assert v1 == ["/v1/api-info", "/v1/changelog", "/v1/changelog/latest", "/v1/users"]
        assert page.locator(".opblock-deprecated").count() == 4  # all of version 1's
        selector.select_option(label="v2")
        v2 = listed_operations(page, "/v2/users/{user_id}")
        assert "/v2/users" in v2
        assert "/v2/users/{user_id}" in v2
        assert "/v2/api-info" in v2  # the route of both versions, in each document
        assert "/v2/changelog/migration" in v2  # its own version, not its controller's
        assert not any(path.startswith("/v1/") for path in v2)
        assert outside == []  # every asset is served locally
    finally:
        context.close()
