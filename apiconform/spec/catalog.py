"""Loading and validating the requirement catalog.

The catalog is data: one TOML file per proposal under ``data/``. Each entry names the
spec scenario it comes from, how conformance to it is observed, and how strongly it is
required. This module only reads and checks it; nothing here knows how to test anything.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator
from enum import StrEnum
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from apiconform.errors import ApiconformError

ID_PATTERN = re.compile(r"^(?P<area>[A-Z]{2,5})-(?P<topic>[A-Z0-9]{2,6})-(?P<n>\d{2})$")

# proposal directory name -> ID area prefix
AREAS: dict[str, str] = {
    "add-application-scopes": "SCOPE",
    "add-error-handling": "ERR",
    "add-api-versioning": "VER",
    "add-health-observability": "OBS",
    "enhance-throttler": "THR",
    "add-oauth-providers": "AUTH",
    "improve-test-coverage": "COV",
}
PROPOSALS = tuple(AREAS)


class CatalogError(ApiconformError):
    """The catalog data is malformed (a packaging defect, or a bad custom catalog)."""


class Level(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"

    @property
    def rank(self) -> int:
        return {"MUST": 0, "SHOULD": 1, "MAY": 2}[self.value]


class Observed(StrEnum):
    """How conformance to a requirement can be seen."""

    HTTP = "http"  # black-box over HTTP
    PROCESS = "process"  # needs the target's process: signals, logs, restarts, instances
    LIBRARY = "library"  # an in-process API, checked by the reference's own tests
    COVERAGE = "coverage"  # about an implementation's own test suite: the coverage gate
    NA = "n/a"  # about a CMMV package the reference does not have


class Requirement(BaseModel):
    """One catalog entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN.pattern)
    proposal: str
    title: str = Field(min_length=5, max_length=120)
    level: Level
    observed: Observed
    spec: str = Field(pattern=r"^[a-z-]+/specs/[a-z]+/spec\.md$")
    requirement: str = Field(min_length=3)
    scenario: str = Field(min_length=3)
    decision: str | None = None
    reason: str | None = None
    checked_by: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Requirement:
        if self.proposal not in AREAS:
            raise ValueError(f"unknown proposal {self.proposal!r}")
        area = self.id.split("-", 1)[0]
        if area != AREAS[self.proposal]:
            raise ValueError(f"id {self.id} must start with {AREAS[self.proposal]}-")
        if not self.spec.startswith(self.proposal + "/"):
            raise ValueError(f"spec {self.spec} is not in proposal {self.proposal}")
        if self.observed is Observed.NA and not self.reason:
            raise ValueError(f"{self.id}: an n/a requirement needs a reason")
        return self

    @property
    def checkable(self) -> bool:
        """Checked by the conformance suite (over HTTP or on the target's process)."""
        return self.observed in (Observed.HTTP, Observed.PROCESS)


class Catalog:
    """All requirements, in file order, indexed by ID."""

    def __init__(self, requirements: Iterable[Requirement]) -> None:
        self.requirements = list(requirements)
        duplicates = [i for i, n in Counter(r.id for r in self.requirements).items() if n > 1]
        if duplicates:
            raise CatalogError(f"duplicate requirement ids: {', '.join(sorted(duplicates))}")
        self._by_id = {r.id: r for r in self.requirements}

    def __iter__(self) -> Iterator[Requirement]:
        return iter(self.requirements)

    def __len__(self) -> int:
        return len(self.requirements)

    def __contains__(self, req_id: object) -> bool:
        return req_id in self._by_id

    def get(self, req_id: str) -> Requirement:
        try:
            return self._by_id[req_id]
        except KeyError:
            raise CatalogError(f"unknown requirement id {req_id!r}") from None

    def select(
        self,
        *,
        proposals: Iterable[str] | None = None,
        observed: Iterable[Observed] | None = None,
        level: Level | None = None,
    ) -> list[Requirement]:
        """Requirements of the given proposals / observation kinds, at ``level`` or
        stronger (``SHOULD`` selects MUST and SHOULD)."""
        wanted_p = set(proposals) if proposals is not None else None
        wanted_o = set(observed) if observed is not None else None
        return [
            r
            for r in self.requirements
            if (wanted_p is None or r.proposal in wanted_p)
            and (wanted_o is None or r.observed in wanted_o)
            and (level is None or r.level.rank <= level.rank)
        ]


def _parse(name: str, text: str) -> list[Requirement]:
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{name}: invalid TOML: {exc}") from None
    proposal = data.get("proposal")
    entries = data.get("requirement", [])
    if not isinstance(entries, list):
        raise CatalogError(f"{name}: [[requirement]] must be an array of tables")
    found = []
    for index, entry in enumerate(entries):
        try:
            found.append(Requirement.model_validate({"proposal": proposal, **entry}))
        except ValidationError as exc:
            where = entry.get("id", f"entry {index + 1}") if isinstance(entry, dict) else index
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors()
            )
            raise CatalogError(f"{name}: {where}: {problems}") from None
    return found


@functools.cache
def load_catalog() -> Catalog:
    """The packaged catalog (every proposal), validated."""
    folder = resources.files("apiconform.spec") / "data"
    requirements: list[Requirement] = []
    for proposal in PROPOSALS:
        resource = folder / f"{proposal}.toml"
        requirements.extend(_parse(resource.name, resource.read_text(encoding="utf-8")))
    return Catalog(requirements)


def parse_catalog_file(name: str, text: str) -> list[Requirement]:
    """Parse one catalog file (exposed for tests and custom catalogs)."""
    return _parse(name, text)
