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

import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from apiconform.gate.errors import GateInputError

_HUNK = re.compile(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_OCTAL = re.compile(r"[0-3][0-7]{2}")
# git's C-style escapes besides octal ones (quote.c, sq_lookup).
_ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r"}


@dataclass(frozen=True)
class Diff:
    """Changed line numbers (new side) per file, and the base they were compared with."""

    base: str
    lines: Mapping[str, set[int]]


def _unquote(name: str) -> str:
    """A file name as git printed it, C-quoted or not (``"b/sp\\"ace \\303\\251.py"``).

    git quotes a name holding a quote, a backslash or a control character. Under
    ``core.quotePath=false`` its other non-ASCII characters stay raw inside the quotes,
    so the escapes are walked on the text: ``\\t``-style ones become their character and
    runs of octal escapes (``\\303\\251``) are the UTF-8 bytes of one.
    """
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    body = name[1:-1]
    out: list[str] = []
    octets = bytearray()
    i = 0
    while i < len(body):
        if body[i] == "\\" and _OCTAL.fullmatch(body, i + 1, i + 4):
            octets.append(int(body[i + 1 : i + 4], 8))
            i += 4
            continue
        if octets:
            out.append(octets.decode("utf-8", "replace"))
            octets.clear()
        if body[i] == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(body[i])
            i += 1
    out.append(octets.decode("utf-8", "replace"))
    return "".join(out)


def parse_diff(text: str) -> dict[str, set[int]]:
    """New-side line numbers added or modified, per file, from ``git diff -U0`` output.

    ``+++ NAME`` names the file only in a block's header: after its ``--- NAME`` and before
    its first hunk. Inside a hunk, an added line ``++ x`` reads ``+++ x`` too, and is content.
    """
    changed: dict[str, set[int]] = {}
    current: set[int] | None = None
    header = old_name = False
    # Lines end in "\n" only: str.splitlines would also split content at \f, \v or \x1c.
    for line in text.split("\n"):
        if line.startswith("diff --git "):
            current, header, old_name = None, True, False
        elif header and line.startswith("--- "):
            old_name = True
        elif header and old_name and line.startswith("+++ "):
            target = _unquote(line[4:].rstrip("\t"))
            current = None if target == "/dev/null" else changed.setdefault(target[2:], set())
        elif line.startswith("@@"):
            header = False
            match = _HUNK.match(line)
            if match is not None and current is not None:
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
