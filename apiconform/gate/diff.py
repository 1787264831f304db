"""Lines added or modified since a git base: what changed-lines coverage counts.

The engine is ``git diff --merge-base BASE -U0`` parsed here, not diff-cover. Reasons:
diff-cover's Python API is undocumented, untyped and reads its own report formats, while
the gate needs only "which new-side line numbers changed", which zero-context hunk headers
(``@@ -a,b +c,d @@``) state exactly; and calling git directly lets a bad base fail as one
line naming the base (``--base origin/mian: fatal: bad revision``), which this module
guarantees.

``--merge-base`` compares the working tree with the merge base of BASE and ``HEAD``, so a
pull request's checkout counts its own commits only, and a pre-commit hook given
``--base HEAD`` counts the staged and unstaged edits. Untracked files are not counted
(``git add`` them). Paths are relative to the gate's root (``--relative``), like the
report paths they are matched with.
"""

from __future__ import annotations

import codecs
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from apiconform.gate.errors import GateInputError

_HUNK = re.compile(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Diff:
    """Changed line numbers (new side) per file, and the base they were compared with."""

    base: str
    lines: Mapping[str, set[int]]


def _unquote(name: str) -> str:
    # git C-quotes names with unusual bytes ("b/sp\"ace"); core.quotePath=false keeps
    # UTF-8 as it is, so only escapes remain to undo.
    if not name.startswith('"'):
        return name
    raw = name[1:-1].encode("latin-1", "backslashreplace")
    decoded: bytes = codecs.escape_decode(raw)[0]
    return decoded.decode("utf-8", "replace")


def parse_diff(text: str) -> dict[str, set[int]]:
    """New-side line numbers added or modified, per file, from ``git diff -U0`` output."""
    changed: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in text.splitlines():
        if line.startswith("diff --git "):
            current = None
        elif line.startswith("+++ "):
            target = _unquote(line[4:].rstrip("\t"))
            current = None if target == "/dev/null" else changed.setdefault(target[2:], set())
        elif line.startswith("@@") and current is not None:
            match = _HUNK.match(line)
            if match is not None:
                start, count = int(match[1]), int(match[2] or 1)
                current.update(range(start, start + count))
    return {path: lines for path, lines in changed.items() if lines}


def _git(git: str, args: list[str], root: Path, base: str) -> str:
    # Arguments are a list (no shell) and the base cannot pass for an option.
    done = subprocess.run(
        [git, *args], cwd=root, capture_output=True, text=True, encoding="utf-8", errors="replace"
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"git exited {done.returncode}"])[0]
        raise GateInputError(f"--base {base}", reason)
    return done.stdout


def changed_lines(base: str, root: Path) -> Diff:
    """Lines changed since ``base`` in the git work tree holding ``root``."""
    git = shutil.which("git")
    if git is None:
        raise GateInputError(f"--base {base}", "git is not installed")
    if base.startswith("-"):
        raise GateInputError(f"--base {base}", "a revision cannot start with '-'")
    # Outside a work tree ``git diff`` silently becomes ``diff --no-index``: ask first.
    _git(git, ["rev-parse", "--show-toplevel"], root, base)
    config = ["core.quotePath=false", "diff.noprefix=false", "diff.mnemonicPrefix=false"]
    options = [
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--unified=0",
        "--find-renames",
        "--relative",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        "--merge-base",
    ]
    settings = [arg for item in config for arg in ("-c", item)]
    return Diff(base, parse_diff(_git(git, [*settings, "diff", *options, base, "--"], root, base)))
