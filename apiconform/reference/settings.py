"""Where the reference server's config comes from, so that an error can say so.

Layers, a later one winning key by key: the TOML file (``--config``), ``APICONFORM_*``
environment variables, then the command line (``--host``, ``--port``,
``--database-url``, ``--set``). Every value remembers its layer, and
:func:`explain` adds it to each field of a failed validation:
``database.url: driver 'mysql' is not supported (from environment variable
APICONFORM_DATABASE_URL)``.

pydantic-settings merges its sources before validating, so it cannot name the source of
a bad value; that is why this small loader exists instead.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from apiconform.errors import ConfigError
from apiconform.reference.kernel.config import InvalidConfig

ENV_PREFIX = "APICONFORM_"
# conventional names for one setting each
ENV_ALIASES: dict[str, tuple[str, ...]] = {"APICONFORM_DATABASE_URL": ("database", "url")}


class ConfigSources:
    """A config built layer by layer, with the origin of every value."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self._origins: dict[tuple[str, ...], str] = {}

    def add(self, data: Mapping[str, Any], origin: str, at: tuple[str, ...] = ()) -> None:
        """Merge ``data`` (nested tables merge key by key) as coming from ``origin``."""
        for key, value in data.items():
            path = (*at, str(key))
            if isinstance(value, Mapping):
                self._table(path)
                self.add(value, origin, path)
            else:
                self._set(path, value)
                self._origins[path] = origin

    def _table(self, path: tuple[str, ...]) -> dict[str, Any]:
        node = self.values
        for part in path:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
                self._origins.pop(path[: path.index(part) + 1], None)
            node = child
        return node

    def _set(self, path: tuple[str, ...], value: Any) -> None:
        self._table(path[:-1])[path[-1]] = value
        # a value replaces whatever table was there, and the origins of its leaves
        for known in [p for p in self._origins if p[: len(path)] == path and p != path]:
            del self._origins[known]

    def origins(self, loc: Iterable[str | int]) -> list[str]:
        """Where the value at ``loc`` came from: its own layer or its nearest enclosing
        one, else the layers of the values inside it."""
        path = tuple(str(part) for part in loc)
        for end in range(len(path), 0, -1):
            found = self._origins.get(path[:end])
            if found is not None:
                return [found]
        inside = {o for p, o in self._origins.items() if p[: len(path)] == path}
        return sorted(inside)


def load_file(path: Path) -> dict[str, Any]:
    """Read a TOML config file; a syntax error names the file and line."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def parse_value(raw: str) -> Any:
    """A JSON value when ``raw`` parses as JSON, else the plain string."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def parse_setting(text: str) -> dict[str, Any]:
    """``a.b.c=value`` as ``{"a": {"b": {"c": value}}}`` (the value as in
    :func:`parse_value`)."""
    key, sep, raw = text.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(part.isidentifier() for part in parts):
        raise ConfigError(
            f"--set {text!r}: use a dotted key and a value, e.g. errors.body_limit=1024"
        )
    value: Any = parse_value(raw)
    for part in reversed(parts):
        value = {part: value}
    return dict(value)


def add_environment(
    sources: ConfigSources, known: Iterable[str], environ: Mapping[str, str] | None = None
) -> None:
    """Add ``APICONFORM_<KEY>[__<KEY>...]`` variables whose first key is a setting or a
    section in ``known`` (``APICONFORM_ENVIRONMENT``, ``APICONFORM_ERRORS__BODY_LIMIT``),
    and the aliases (``APICONFORM_DATABASE_URL``). Other ``APICONFORM_*`` variables
    (``APICONFORM_LOG_FORMAT``, say) are the process's, not an application's."""
    environ = os.environ if environ is None else environ
    names = set(known)
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX):
            continue
        path = ENV_ALIASES.get(name)
        if path is None:
            parts = tuple(name[len(ENV_PREFIX) :].lower().split("__"))
            if parts[0] not in names or not all(parts):
                continue
            path = parts
        value: Any = parse_value(environ[name])
        for part in reversed(path):
            value = {part: value}
        sources.add(value, f"environment variable {name}")


def explain(exc: InvalidConfig, sources: ConfigSources, agent: str | None = None) -> str:
    """``exc``'s message with the origin of each offending value; ``agent`` names the
    ``[agents.<agent>]`` table whose values the application got too."""
    parts = []
    for loc, message in exc.issues:
        origins = sources.origins(("agents", agent, *map(str, loc))) if agent else []
        origins = origins or sources.origins(loc)
        where = ".".join(str(p) for p in loc) or "(root)"
        source = f" (from {', '.join(origins)})" if origins else ""
        parts.append(f"{where}: {message}{source}")
    return f"app {exc.app_id!r}: invalid config: {'; '.join(parts)}"
