"""The ``[database]`` config section."""

from __future__ import annotations

import importlib.util

from pydantic import BaseModel, ConfigDict, Field, field_validator

# driver -> (the module it needs, what installs it)
ASYNC_DRIVERS = {
    "sqlite+aiosqlite": ("aiosqlite", "apiconform"),
    "postgresql+asyncpg": ("asyncpg", "apiconform[postgres]"),
}
# common spellings of the same databases, as Heroku, Django and libpq users write them
ALIASES = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def normalise_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` as ``postgresql+asyncpg://``, ``sqlite://``
    as ``sqlite+aiosqlite://``; a URL that is not a database URL raises ValueError."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError("not a database URL (e.g. postgresql://host/db)") from None
    driver = ALIASES.get(parsed.drivername, parsed.drivername)
    if driver not in ASYNC_DRIVERS:
        raise ValueError(
            f"driver {parsed.drivername!r} is not supported; use postgresql://... "
            "(asyncpg) or sqlite:///path (aiosqlite)"
        )
    module, package = ASYNC_DRIVERS[driver]
    if importlib.util.find_spec(module) is None:
        raise ValueError(f"{driver} needs the {module} package: install {package}")
    if driver == parsed.drivername:
        return url
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


class DatabaseConfig(BaseModel):
    """The application's database; no URL means a private in-memory SQLite database."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    schema_name: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")

    @field_validator("url")
    @classmethod
    def _async_driver(cls, url: str | None) -> str | None:
        return None if url is None else normalise_url(url)
