"""A running two-agent demo (``apiconform serve --agents 2``) for external-mode tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from apiconform.conformance.cli import reference_manifest
from apiconform.conformance.manifest import Manifest, parse_manifest
from apiconform.conformance.target import consecutive_free_ports


@dataclass(frozen=True)
class RunningDemo:
    urls: list[str]

    def manifest(self) -> Manifest:
        """The reference manifest pointed at this process (external mode)."""
        data = reference_manifest().model_dump(mode="json")
        data["target"] = {"base_url": self.urls[0]}
        for app, url in zip(data["scopes"]["apps"], self.urls, strict=True):
            app["url"] = url
        return parse_manifest(data, "<running demo>")

    def write_manifest(self, path: Path) -> Path:
        lines = [
            'claims = ["add-application-scopes"]',
            "[target]",
            f'base_url = "{self.urls[0]}"',
        ]
        for index, url in enumerate(self.urls):
            lines += [
                "[[scopes.apps]]",
                f'url = "{url}"',
                f'id = "agent:agent-{index}"',
                f'only_route = "/agents/agent-{index}/ping"',
                f'only_provider = "agent-role:agent-{index}"',
                f'config = {{ name = "agent-{index}" }}',
            ]
        path.write_text("\n".join(lines) + "\n")
        return path


@pytest.fixture(scope="session")
def running_demo() -> Iterator[RunningDemo]:
    port = consecutive_free_ports(2)[0]
    proc = subprocess.Popen(
        [sys.executable, "-m", "apiconform.cli", "serve", "--agents", "2", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,  # the addresses; stdout is the JSON log stream
        text=True,
        env={**os.environ, "APICONFORM_LOG_LEVEL": "warning"},
    )
    assert proc.stderr is not None
    urls: list[str] = []
    deadline = time.monotonic() + 30
    while len(urls) < 2 and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if match := re.search(r"serving on (http://\S+)", line):
            urls.append(match.group(1))
    assert len(urls) == 2, "the demo did not start"
    yield RunningDemo(urls)
    proc.terminate()
    proc.communicate(timeout=20)
