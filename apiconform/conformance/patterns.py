"""What a check recognises in a target's output, for servers in any language: stack
traces, leaked internals, and ports named in an error message.

Each pattern says what it stands for; a value a check takes from output must be shown to
mean what the check thinks (a number is a port only where the text presents it as one,
never inside a file reference such as ``node:net:1908``).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterable
from typing import Any

# One stack frame (or a trace header) per language. Anchored to a whole line where the
# shape alone would also match prose.
STACK_PATTERNS: dict[str, re.Pattern[str]] = {
    "python": re.compile(r'Traceback \(most recent call last\)|File "[^"\n]+", line \d+'),
    "node": re.compile(
        r"^\s*at (?:async )?(?:[^\s()][^()\n]* \()?(?:file://|node:)?[^\s()]+:\d+:\d+\)?\s*$",
        re.MULTILINE,
    ),
    "java": re.compile(
        r"^\s*at [\w$.]+(?:/[\w$.]+)?\((?:[\w$-]+\.(?:java|kt|scala|groovy):\d+|Native Method"
        r"|Unknown Source)\)",
        re.MULTILINE,
    ),
    "dotnet": re.compile(
        r"^\s*at [\w.`<>$|+-]+(?:\[[^\]\n]*\])?\([^)\n]*\)(?: in [^\n]+:line \d+)?\s*$",
        re.MULTILINE,
    ),
    "go": re.compile(
        r"goroutine \d+ \[[\w ,]+\]:|^\s*\S+\.go:\d+(?: \+0x[0-9a-f]+)?\s*$", re.MULTILINE
    ),
    "ruby": re.compile(r"\S+\.rb:\d+:in [`'][^'`\n]+'"),
    "php": re.compile(r"^#\d+ \S+\.php\(\d+\): ", re.MULTILINE),
}
# Internals that must not reach a production client besides a stack: a source file path
# and SQL (upper-case keywords, so that prose such as "select a value from" is not SQL).
LEAK_PATTERNS: dict[str, re.Pattern[str]] = {
    "a source file path": re.compile(
        r"(?:[A-Za-z]:)?(?:[\\/][\w.@-]+)+\.(?:py|js|mjs|cjs|ts|java|kt|cs|go|rb|php)\b"
    ),
    "SQL": re.compile(
        r"\bSELECT\b.{0,200}?\bFROM\b|\bINSERT INTO\b|\bDELETE FROM\b|\bUPDATE \S+ SET\b"
    ),
}
# Keys under which structured loggers keep a frame's file and line.
_FRAME_FILE = frozenset({"filename", "file", "fileName", "path", "module"})
_FRAME_LINE = frozenset({"lineno", "line", "lineNumber", "line_number"})


def stack_language(text: str) -> str | None:
    """The language whose stack trace ``text`` holds, or None."""
    for language, pattern in STACK_PATTERNS.items():
        if pattern.search(text):
            return language
    return None


def texts(value: Any) -> list[str]:
    """Every string inside a JSON value; a list of strings also joined into one text (a
    stack is often a list of lines)."""
    found: list[str] = []
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            found += texts(item)
    elif isinstance(value, list):
        strings = [v for v in value if isinstance(v, str)]
        if len(strings) > 1:
            found.append("".join(s if s.endswith("\n") else s + "\n" for s in strings))
        for item in value:
            found += texts(item)
    return found


def _structured_frame(value: Any) -> bool:
    if isinstance(value, dict):
        if _FRAME_FILE & set(value) and _FRAME_LINE & set(value):
            return True
        return any(_structured_frame(v) for v in value.values())
    if isinstance(value, list):
        return any(_structured_frame(v) for v in value)
    return False


def holds_stack(value: Any) -> bool:
    """Whether a JSON value holds a stack trace: frames as text in any of the known
    languages, or frames as data (objects with a file and a line number)."""
    return any(stack_language(text) for text in texts(value)) or _structured_frame(value)


def leaks(text: str) -> list[str]:
    """What in ``text``, besides a stack, gives internals away (``"SQL"``, ...)."""
    return [name for name, pattern in LEAK_PATTERNS.items() if pattern.search(text)]


# -- ports ---------------------------------------------------------------------------------

SOURCE_EXTENSIONS = (
    "py|js|mjs|cjs|ts|tsx|jsx|java|kt|scala|groovy|cs|go|rb|php|rs|c|cc|cpp|h|ex|exs"
)
# a position in a source file: app.js:12:5, node:net:1908, Program.cs:line 42
_FILE_REF = re.compile(
    rf"\S+\.(?:{SOURCE_EXTENSIONS})[:(]\d+(?::\d+)?\)?|\bnode:[\w/]+:\d+(?::\d+)?|\S+:line \d+"
)
_AFTER_WORD = re.compile(
    r"\bports?\b[\s:=#'\"(]{0,3}(\d{1,5}(?:(?:\s*,\s*|\s+or\s+|\s+and\s+|\s*/\s*)\d{1,5})*)\b",
    re.IGNORECASE,
)
_HOST_PORT = re.compile(
    r"(?:\b(?:\d{1,3}\.){3}\d{1,3}|\blocalhost|\[[0-9a-fA-F:.]+\]|:::?|\b[a-z][\w-]*(?:\.[\w-]+)+)"
    r":(\d{1,5})\b(?!:\d)"
)
_STANDALONE = re.compile(r"(?<![\w:./\\-])(\d{2,5})(?![\w:/\\-]|\.\d)")
_PORT_LINE = re.compile(r"\bports?\b|\baddress\b|\bEADDRINUSE\b|\blisten", re.IGNORECASE)


def port_mentions(output: str) -> set[int]:
    """The numbers ``output`` presents as ports: after the word "port" ("port 8001",
    "--port 8001", "ports 8001, 8002"), as ``host:port``, or standing alone on a line that
    speaks of a port or an address. Stack frame lines and file references are ignored."""
    found: set[int] = set()
    for line in output.splitlines():
        if stack_language(line):
            continue
        line = _FILE_REF.sub(" ", line)
        for match in _AFTER_WORD.finditer(line):
            found.update(int(n) for n in re.findall(r"\d+", match.group(1)))
        found.update(int(m.group(1)) for m in _HOST_PORT.finditer(line))
        if _PORT_LINE.search(line):
            found.update(int(m.group(1)) for m in _STANDALONE.finditer(line))
    return {port for port in found if 0 < port < 65536}


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether ``port`` can be bound on ``host`` right now."""
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def mentions_all(output: str, words: Iterable[str]) -> bool:
    """Whether one line of ``output`` names every one of ``words`` (a list, not words
    scattered over a stack trace)."""
    wanted = [w.lower() for w in words]
    return any(
        all(re.search(rf"\b{re.escape(w)}\b", line.lower()) for w in wanted)
        for line in output.splitlines()
    )
