"""The gate's exceptions: all of them end the run with exit status 2 and one line."""

from __future__ import annotations

from apiconform.errors import ApiconformError


class GateError(ApiconformError):
    """The gate could not decide: bad input, or an output it could not write."""


class GateInputError(GateError):
    """A report, the policy or the git base is unusable.

    The message is one line that says where: ``coverage.lcov:17: DA record before SF``.
    ``line`` is ``None`` for formats without lines to point at (SQLite data files) and for
    problems of a whole file (empty); the message then names the file alone.
    """

    def __init__(self, source: str, message: str, *, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.reason = message
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: {message}")
