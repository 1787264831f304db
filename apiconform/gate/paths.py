"""Report paths made comparable: ``/``-separated and relative to the gate's root.

Reports name files in several ways: coverage.py JSON and vitest's LCOV relative to the
directory the tool ran in, istanbul's LCOV without ``projectRoot`` and coverage.py data
absolute, Cobertura relative to one of its ``<source>`` roots. Reports are also made on
other machines (a CI matrix job) and gated elsewhere, so an absolute path outside the root
is matched by its longest tail that exists under the root (``/ci/proj/apiconform/cli.py``
-> ``apiconform/cli.py``). Globs in the policy can then match every format alike.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from pathlib import Path

_DRIVE = re.compile(r"^[A-Za-z]:/")


def to_posix(raw: str) -> str:
    """Forward slashes, ``.`` and ``..`` folded; a Windows drive path stays absolute."""
    path = raw.strip().replace("\\", "/")
    if not path:
        return path
    # normpath keeps a UNC path's leading "//" (POSIX lets two slashes mean something).
    return posixpath.normpath(path)


def is_absolute(path: str) -> bool:
    return path.startswith("/") or bool(_DRIVE.match(path))


def _key(path: str) -> str:
    # Windows paths compare without regard to case, POSIX paths exactly.
    return path.lower() if _DRIVE.match(path) else path


def is_file(path: Path) -> bool:
    """Whether ``path`` is a file here; ``False`` for a name the file system cannot hold
    (a component over 255 bytes raises ``ENAMETOOLONG``, a NUL byte ``ValueError``)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


class PathMapper:
    """Normalises report paths against ``root`` (the directory globs are relative to)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = to_posix(str(root.resolve()))

    def relative(self, path: str) -> str | None:
        """``path`` relative to the root, or ``None`` when it lies outside."""
        if _key(path) == _key(self._root):
            return ""
        prefix = self._root.rstrip("/") + "/"
        if _key(path).startswith(_key(prefix)):
            return path[len(prefix) :]
        return None

    def _existing_tail(self, path: str) -> str | None:
        parts = [p for p in path.split("/") if p and not _DRIVE.match(p + "/")]
        for start in range(len(parts)):
            tail = "/".join(parts[start:])
            if is_file(self.root / tail):
                return tail
        return None

    def file(self, raw: str, *, bases: Sequence[str] = ()) -> str:
        """Normalise a file path from a report.

        ``bases`` are the directories a relative ``raw`` is relative to (Cobertura's
        ``<source>`` elements), tried in order; without them a relative path is taken as
        relative to the root already.
        """
        name = to_posix(raw)
        if is_absolute(name):
            candidates = [name]
        else:
            candidates = [to_posix(posixpath.join(to_posix(b), name)) for b in bases if b]
        local = []
        for candidate in candidates:
            rel = self.relative(candidate) if is_absolute(candidate) else candidate
            if rel is not None:
                if is_file(self.root / rel):
                    return rel
                local.append(rel)
        if local:
            return local[0]
        for candidate in candidates:
            tail = self._existing_tail(candidate)
            if tail is not None:
                return tail
        # A base from another machine and no such file here: the name relative to that
        # base is the best guess (istanbul's Cobertura ``<source>`` is the project root).
        return name
