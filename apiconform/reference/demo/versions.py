"""The versioning probes of the demo: ``GET /users`` in version 1 (deprecated, sunset in
the future, successor 2) beside the users resource of version 2, ``GET /legacy`` only
in version 0, whose sunset has passed (410), ``GET /api-info``, one handler that a
route-level ``@version("1", "2")`` puts under both live versions, and the changelog: a
controller of version 1 whose migration guide's own ``@version("2")`` moves it to
version 2 alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, Field

from apiconform.reference.kernel import controller, get
from apiconform.reference.store.users import UserRepository
from apiconform.reference.versioning import VersionConfig, VersioningConfig, version


class UserV1(BaseModel):
    """Version 1's user: one ``full_name``, no email."""

    id: int
    full_name: str


class UserPageV1(BaseModel):
    """Version 1 wraps its list: ``{"data": [...], "count": n}``."""

    data: list[UserV1]
    count: int


class LegacyStatus(BaseModel):
    status: str


class ApiInfo(BaseModel):
    """What versions 1 and 2 share: the service's name and its largest page."""

    name: str
    max_page_size: int


class Change(BaseModel):
    """One entry of the changelog."""

    version: str
    summary: str


class Migration(BaseModel):
    """What a client of ``source`` changes to speak ``target``."""

    source: str
    target: str
    steps: list[str]


CHANGES = (
    Change(version="1", summary="users listed as {data, count}, each with one full_name"),
    Change(version="1", summary="version 1 deprecated: version 2 is its successor"),
)
MIGRATION = Migration(
    source="1",
    target="2",
    steps=["read users from a plain list", "split full_name into name", "read email"],
)


@controller("changelog")
@version("1")
class ChangelogController:
    """Version 1's changelog: the controller's ``@version`` puts both its routes under
    ``/v1``; the migration guide's own ``@version("2")`` overrides it, so the guide is
    served in version 2 and not in version 1."""

    @get("")
    async def changes(self) -> list[Change]:
        return list(CHANGES)

    @get("/latest")
    async def latest_change(self) -> Change:
        return CHANGES[-1]

    @get("/migration")
    @version("2")
    async def migration(self) -> Migration:
        return MIGRATION


@controller("users")
@version("1")
class UsersV1Controller:
    def __init__(self, users: UserRepository) -> None:
        self.users = users

    @get("")
    async def list_users_v1(self, limit: Annotated[int, Query(ge=1, le=100)] = 100) -> UserPageV1:
        users = await self.users.list(limit, 0)
        data = [UserV1(id=user.id, full_name=user.name) for user in users]
        return UserPageV1(data=data, count=len(data))


@controller("legacy")
@version("0")
class LegacyController:
    @get("")
    async def legacy(self) -> LegacyStatus:
        return LegacyStatus(status="legacy")


@controller("api-info")
class ApiInfoController:
    """No version of its own (the demo's unversioned controllers are neutral): the
    route's ``@version`` registers the one handler under ``/v1`` and ``/v2``."""

    @get("")
    @version("1", "2")
    async def api_info(self) -> ApiInfo:
        return ApiInfo(name="apiconform demo", max_page_size=100)


def _demo_versions() -> dict[str, VersionConfig]:
    return {
        "0": VersionConfig(
            deprecated=datetime(2024, 1, 1, tzinfo=UTC),
            sunset=datetime(2025, 1, 1, tzinfo=UTC),
            successor="2",
            policy="/docs",
        ),
        "1": VersionConfig(
            deprecated=datetime(2026, 1, 1, tzinfo=UTC),
            sunset=datetime(2099, 12, 31, tzinfo=UTC),
            successor="2",
            policy="/docs",
        ),
        "2": VersionConfig(),
    }


class DemoVersioningConfig(VersioningConfig):
    """The demo's ``[versioning]`` defaults: versions 0 (retired), 1 (deprecated) and 2
    (the default), vendor ``cmmv``, every strategy, sunset versions blocked, the use of the
    default logged at info level (where the conformance suite reads the log). The demo's
    probe routes of the other proposals stay outside the versions (``neutral``)."""

    default: str = "2"
    versions: dict[str, VersionConfig] = Field(default_factory=_demo_versions)
    vendor: str = "cmmv"
    block_after_sunset: bool = True
    # the conformance suite reads info and up
    default_log_level: Literal["debug", "info"] = "info"
    unversioned: str = "neutral"  # type: ignore[assignment]
