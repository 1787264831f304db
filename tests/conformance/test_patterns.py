"""What the checks recognise in output from servers in other languages."""

from __future__ import annotations

import socket

import pytest

from apiconform.conformance.patterns import (
    holds_stack,
    leaks,
    mentions_all,
    port_is_free,
    port_mentions,
    stack_language,
    texts,
)

STACKS = {
    "python": 'Traceback (most recent call last):\n  File "/app/x.py", line 12, in f\n',
    "node": "Error: boom\n    at handler (/app/src/x.js:12:5)\n    at node:internal/timers:1:2",
    "java": "java.lang.IllegalStateException: boom\n\tat com.example.Handler.run(Handler.java:42)",
    "dotnet": "System.Exception: boom\n   at App.Handler.Run() in /src/Handler.cs:line 42",
    "go": "panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:42 +0x1d",
    "ruby": "app/handler.rb:42:in 'run': boom (RuntimeError)",
    "php": "PHP Fatal error\n#0 /var/www/x.php(12): handler()",
}


@pytest.mark.parametrize(("language", "text"), sorted(STACKS.items()))
def test_stacks_of_every_language_are_recognised(language: str, text: str) -> None:
    assert stack_language(text) == language
    assert holds_stack({"error": {"stack": text}})


@pytest.mark.parametrize(
    "text",
    [
        "Please try again at a later time.",
        "The request failed: at least one field is invalid (see errors).",
        "Retry in 5 seconds; contact support at help@example.org:443",
        "An unexpected error occurred. Quote the correlation id when you report it.",
    ],
)
def test_prose_is_not_a_stack(text: str) -> None:
    assert stack_language(text) is None
    assert not holds_stack(text)


def test_stacks_as_lists_and_as_frames() -> None:
    lines = ["Traceback (most recent call last):\n", '  File "/a.py", line 1, in f\n']
    assert holds_stack({"stack": lines})
    assert texts(["a", "b"]) == ["a\nb\n", "a", "b"]
    structured = {"exception": [{"frames": [{"filename": "/a.py", "lineno": 3, "name": "f"}]}]}
    assert holds_stack(structured)
    assert not holds_stack({"file": "/a.py"})  # a file alone is not a frame


def test_leaks_are_paths_and_sql() -> None:
    assert leaks("failed in /srv/app/internal/db.py") == ["a source file path"]
    assert leaks("C:\\app\\Handler.cs broke") == ["a source file path"]
    assert leaks("SELECT * FROM users WHERE id = 1") == ["SQL"]
    assert leaks("Please select a value from the list; see /docs/errors.") == []


@pytest.mark.parametrize(
    ("output", "ports"),
    [
        (
            "apiconform: error: port 8000 on 127.0.0.1 is already in use; port 8001 is free",
            {8000, 8001},
        ),
        ("EADDRINUSE: address already in use 127.0.0.1:8000; try 127.0.0.1:8002", {8000, 8002}),
        ("Port 8000 is busy, use --port 8003 or ports 8004, 8005", {8000, 8003, 8004, 8005}),
        ("listen tcp [::1]:8000: bind: address already in use", {8000}),
        ("Error: listen EADDRINUSE :::8000\n    at Server.listen (node:net:1908:16)", {8000}),
        ("port 8000 taken (see server.js:4012:7 and Program.cs:line 1999)", {8000}),
        ('  File "/app/serve.py", line 1908, in bind\nOSError: [Errno 98] in use', set()),
        ("address in use, suggested 8001", {8001}),
        ("nothing to see: 1908 errors in 2024", set()),
    ],
)
def test_ports_are_numbers_presented_as_ports(output: str, ports: set[int]) -> None:
    assert port_mentions(output) == ports


def test_port_is_free_binds_to_find_out() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        assert not port_is_free(taken)
    assert port_is_free(taken)


def test_words_must_share_a_line() -> None:
    assert mentions_all(
        "valid scopes: singleton, agent, request", ["singleton", "agent", "request"]
    )
    scattered = "at singleton (x.js:1:2)\nat agent (y.js:1:2)\nrequest failed"
    assert not mentions_all(scattered, ["singleton", "agent", "request"])
    assert not mentions_all("singletons and agents and requests", ["singleton", "agent"])
