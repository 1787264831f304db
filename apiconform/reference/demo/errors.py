"""Probe routes of the error layer: one per exception kind, a crash, a validation target and
a database probe."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, Field

from apiconform.reference.errors import exceptions as exc
from apiconform.reference.errors.resilience import fallback
from apiconform.reference.kernel import controller, get, post, put, service
from apiconform.reference.store.database import Database

Kind = Literal[
    "bad-request",
    "unauthorized",
    "forbidden",
    "not-found",
    "conflict",
    "validation",
    "internal",
    "unavailable",
]

# A message full of what production must never show: SQL, a file path, a secret.
CRASH_MESSAGE = (
    "SELECT * FROM users WHERE password = 'hunter2-internal' failed in "
    "/srv/apiconform/internal/db.py"
)


class Address(BaseModel):
    street: str = Field(min_length=1, max_length=200)
    zip: str = Field(pattern=r"^[0-9]{5}$")


class Signup(BaseModel):
    """A body with nested fields and several constraints, for field-level errors."""

    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    age: int = Field(ge=18, le=150)
    address: Address
    tags: list[str] = Field(default_factory=list, max_length=10)


class InternalCrash(RuntimeError):
    """An unexpected failure, as a bug would raise it."""


@service(lifetime="singleton")
class Downstream:
    """A dependency the demo can switch off (``PUT /errors/dependency``), standing in for a
    remote service that goes down."""

    def __init__(self) -> None:
        self.up = True
        self.version = 0

    async def items(self) -> dict[str, Any]:
        if not self.up:
            raise exc.ServiceUnavailable("the downstream service is down", retry_after=5)
        self.version += 1
        return {"items": ["alpha", "beta"], "version": self.version}


class DependencyState(BaseModel):
    up: bool


@controller("errors")
class ErrorsController:
    # no database here: a lost database must not fail the routes that never touch it
    def __init__(self, downstream: Downstream) -> None:
        self.downstream = downstream

    @get("/raise/{kind}")
    async def raise_kind(self, kind: Annotated[Kind, Path()]) -> None:
        """Raise the built-in exception named by ``kind``."""
        raise {
            "bad-request": exc.BadRequest("the 'q' parameter must not be empty"),
            "unauthorized": exc.Unauthorized("a bearer token is required"),
            "forbidden": exc.Forbidden("this resource belongs to another user"),
            "not-found": exc.NotFound("no such widget"),
            "conflict": exc.Conflict("a widget with this name exists"),
            "validation": exc.Validation(
                [exc.FieldError("name", "must not be empty", {"min_length": "min 1"})]
            ),
            "internal": exc.InternalServerError("the widget store is inconsistent"),
            "unavailable": exc.ServiceUnavailable("the widget store is busy", retry_after=7),
        }[kind]

    @get("/crash")
    async def crash(self, message: Annotated[str, Query(max_length=500)] = "") -> None:
        """An unhandled exception whose message (with ``message``, a text the caller
        chose) must not leak in production."""
        raise InternalCrash(f"{message}: {CRASH_MESSAGE}" if message else CRASH_MESSAGE)

    @post("/validate")
    async def validate(self, body: Signup) -> dict[str, str]:
        return {"email": body.email}

    @get("/degraded")
    @fallback(default={"items": [], "version": 0})
    async def degraded(self) -> dict[str, Any]:
        """Answers from the downstream service; while it is down, from the last good answer
        (or an empty default) with ``X-Degraded-Mode: true``."""
        return await self.downstream.items()

    @put("/dependency")
    async def dependency(self, state: DependencyState) -> dict[str, bool]:
        self.downstream.up = state.up
        return {"up": self.downstream.up}


@controller("errors")
class DatabaseController:
    """The one error probe that needs the database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @get("/db")
    async def db(self) -> dict[str, str]:
        """Needs the database: 503 with Retry-After when it is unreachable."""
        await self.database.ping()
        return {"database": "up"}
