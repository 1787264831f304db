"""The root of every error apiconform raises on purpose.

Each part subclasses :class:`ApiconformError`, so a caller (the CLI above all) can tell an
expected failure, reported as one line, from a bug.
"""

from __future__ import annotations


class ApiconformError(Exception):
    """Base class of every deliberate apiconform error."""


class ConfigError(ApiconformError):
    """A configuration value (file, option or argument) is invalid."""
