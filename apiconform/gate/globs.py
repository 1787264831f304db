"""Path globs for policy rules and exclusions, with ``**`` for any number of folders.

``fnmatch`` lets ``*`` cross ``/`` and Python 3.11 has no ``PurePath.full_match``, so the
patterns are translated here. The rules follow ``.gitignore``: a pattern without ``/``
(``*.spec.ts``) matches a file name in any folder; one with ``/`` matches the whole path
from the root (``packages/vault/**``); ``*`` and ``?`` stay inside one path segment and
``**`` spans segments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def _segment(segment: str) -> str:
    out = []
    i = 0
    while i < len(segment):
        char = segment[i]
        close = segment.find("]", i + 2) if char == "[" else -1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif close != -1:
            body = segment[i + 1 : close]
            negate = body.startswith("!")
            body = re.escape(body[1:] if negate else body).replace("\\-", "-")
            out.append(f"[{'^/' if negate else ''}{body}]")
            i = close
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def translate(pattern: str) -> str:
    """The regular expression (to match a whole path) that ``pattern`` stands for."""
    glob = pattern.strip().replace("\\", "/")
    core = glob.rstrip("/")
    if not core.strip("/"):
        raise ValueError(f"empty glob {pattern!r}")
    anchored = "/" in core
    # A trailing slash means the folder's contents, as in ``.gitignore``.
    parts = core.strip("/").split("/") + (["**"] if glob.endswith("/") else [])
    regex = "" if anchored else "(?:.*/)?"
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            regex += ".*" if last else "(?:[^/]+/)*"
        else:
            regex += _segment(part) + ("" if last else "/")
    return regex


class PathMatcher:
    """Matches normalised paths against a list of globs."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._regex = compile_globs(self.patterns) if self.patterns else None

    def __call__(self, path: str) -> bool:
        return self._regex is not None and self._regex.fullmatch(path) is not None


def compile_globs(patterns: Iterable[str]) -> re.Pattern[str]:
    """One regular expression for a whole path matching any of ``patterns``.

    Raises ``ValueError`` naming the glob when one is empty or does not compile (a
    character range out of order, ``[z-a]``), so policy validation can report it.
    """
    alternatives = []
    for pattern in patterns:
        regex = translate(pattern)
        try:
            re.compile(regex)
        except re.error as exc:
            raise ValueError(f"bad glob {pattern!r}: {exc.msg}") from None
        alternatives.append(f"(?:{regex})")
    # Grouped, so that the whole-path anchor (fullmatch) applies to every alternative.
    return re.compile("(?:" + "|".join(alternatives) + ")")
