from __future__ import annotations

import re
from pathlib import Path

import pytest

import apiconform.spec
from apiconform.spec import AREAS, Catalog, CatalogError, Level, Observed, load_catalog
from apiconform.spec.catalog import ID_PATTERN, parse_catalog_file

# the seven spec deltas, shipped with the package; the originals may sit beside the repo
SPEC_ROOT = Path(apiconform.spec.__file__).parent / "sources"
UPSTREAM = Path(__file__).resolve().parents[3] / "shared" / "spec"
HEADING = re.compile(r"^### (?:Requirement|Decorator|Configuration|Interface): (?P<name>.+)$")
SCENARIO = re.compile(r"^#### Scenario: (?P<name>.+)$")


def spec_scenarios() -> set[tuple[str, str, str]]:
    """(spec file, requirement, scenario) for every scenario written in the spec markdown."""
    found: set[tuple[str, str, str]] = set()
    for path in sorted(SPEC_ROOT.glob("*/specs/*/spec.md")):
        requirement = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if match := HEADING.match(line):
                requirement = match["name"].strip()
            elif match := SCENARIO.match(line):
                assert requirement is not None, f"{path}: scenario before any requirement"
                found.add((str(path.relative_to(SPEC_ROOT)), requirement, match["name"].strip()))
    return found


def test_catalog_loads_with_unique_well_formed_ids() -> None:
    catalog = load_catalog()
    ids = [r.id for r in catalog]
    assert len(ids) == len(set(ids))
    for req in catalog:
        assert ID_PATTERN.match(req.id), req.id
        assert req.id.startswith(AREAS[req.proposal] + "-")


def test_every_proposal_has_entries() -> None:
    catalog = load_catalog()
    assert {r.proposal for r in catalog} == set(AREAS)


def test_every_scenario_of_the_spec_files_is_represented() -> None:
    written = spec_scenarios()
    assert len(written) >= 188  # the seven deltas hold 188 scenarios
    catalogued = {(r.spec, r.requirement, r.scenario) for r in load_catalog()}
    missing = sorted(written - catalogued)
    unknown = sorted(catalogued - written)
    assert not missing, f"scenarios without a catalog entry: {missing}"
    assert not unknown, f"catalog entries naming no spec scenario: {unknown}"


def test_na_entries_carry_a_reason() -> None:
    for req in load_catalog():
        if req.observed is Observed.NA:
            assert req.reason


def test_select_filters_by_proposal_observation_and_level() -> None:
    catalog = load_catalog()
    scopes_http = catalog.select(proposals=["add-application-scopes"], observed=[Observed.HTTP])
    assert scopes_http
    assert all(r.proposal == "add-application-scopes" for r in scopes_http)
    assert all(r.observed is Observed.HTTP for r in scopes_http)
    must = catalog.select(level=Level.MUST)
    assert all(r.level is Level.MUST for r in must)
    should = catalog.select(level=Level.SHOULD)
    assert {r.level for r in should} <= {Level.MUST, Level.SHOULD}
    assert len(catalog.select(level=Level.MAY)) == len(catalog)


def test_lookup_by_id() -> None:
    catalog = load_catalog()
    assert catalog.get("SCOPE-ISO-02").scenario == "No cache leakage"
    assert "SCOPE-ISO-02" in catalog
    with pytest.raises(CatalogError, match="unknown requirement id 'NOPE-X-01'"):
        catalog.get("NOPE-X-01")


ENTRY = """
proposal = "add-application-scopes"
[[requirement]]
id = "{id}"
title = "A well formed title"
level = "{level}"
observed = "{observed}"
spec = "add-application-scopes/specs/core/spec.md"
requirement = "Scope Isolation"
scenario = "No cache leakage"
"""


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": "scope-iso-01"}, "id: String should match pattern"),
        ({"id": "ERR-ISO-01"}, "must start with SCOPE-"),
        ({"level": "OPTIONAL"}, "level: Input should be 'MUST', 'SHOULD' or 'MAY'"),
        ({"observed": "n/a"}, "an n/a requirement needs a reason"),
    ],
)
def test_malformed_entries_are_reported_with_file_and_id(
    fields: dict[str, str], message: str
) -> None:
    values = {"id": "SCOPE-ISO-09", "level": "MUST", "observed": "http", **fields}
    with pytest.raises(CatalogError) as info:
        parse_catalog_file("custom.toml", ENTRY.format(**values))
    assert str(info.value).startswith(f"custom.toml: {values['id']}: ")
    assert message in str(info.value)


def test_invalid_toml_and_shapes_are_reported() -> None:
    with pytest.raises(CatalogError, match=r"custom\.toml: invalid TOML"):
        parse_catalog_file("custom.toml", "proposal = [")
    with pytest.raises(CatalogError, match=r"\[\[requirement\]\] must be an array"):
        parse_catalog_file("custom.toml", 'proposal = "x"\nrequirement = 3')
    unknown = ENTRY.replace('proposal = "add-application-scopes"', 'proposal = "nope"')
    with pytest.raises(CatalogError, match="unknown proposal 'nope'"):
        parse_catalog_file(
            "custom.toml", unknown.format(id="SCOPE-ISO-09", level="MUST", observed="http")
        )


def test_duplicate_ids_are_refused() -> None:
    entries = parse_catalog_file(
        "c.toml", ENTRY.format(id="SCOPE-ISO-09", level="MUST", observed="http")
    )
    with pytest.raises(CatalogError, match="duplicate requirement ids: SCOPE-ISO-09"):
        Catalog(entries * 2)


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason="no upstream spec checkout beside the repository")
def test_shipped_spec_sources_match_upstream() -> None:
    for path in UPSTREAM.glob("*/specs/*/spec.md"):
        shipped = SPEC_ROOT / path.relative_to(UPSTREAM)
        assert shipped.read_bytes() == path.read_bytes(), f"{shipped} differs from {path}"
