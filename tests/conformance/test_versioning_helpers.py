"""The readers the versioning checks share."""

from __future__ import annotations

import pytest

from apiconform.conformance.checks.versioning.deprecation import names_version, sunset_seconds
from apiconform.conformance.checks.versioning.probes import lists_versions, version_key


def test_a_version_list_may_be_nested_and_spelled_with_v() -> None:
    assert lists_versions({"supportedVersions": ["1", "2"]}, ["1", "2"])
    assert lists_versions({"error": {"versions": ["v1", "V2", 3]}}, ["1", "2", "3"])
    assert lists_versions([["1", "2"]], ["1", "2"])
    assert not lists_versions({"supportedVersions": ["1"]}, ["1", "2"])
    assert not lists_versions({"detail": "use 1 or 2"}, ["1", "2"])
    assert not lists_versions("1, 2", ["1", "2"])


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("Wed, 30 Jun 2027 00:00:00 GMT", 1_814_313_600.0),
        ("2027-06-30T00:00:00Z", None),
        ("Wednesday, 30-Jun-27 00:00:00 GMT", None),
        ("Wed, 30 Jun 2027 00:00:00 +0000", None),
        ("Xyz, 99 Jun 2027 00:00:00 GMT", None),
        (None, None),
    ],
)
def test_sunset_must_be_an_imf_fixdate(value: str | None, parsed: float | None) -> None:
    assert sunset_seconds(value) == parsed


def test_a_successor_is_named_as_a_version_not_inside_another_number() -> None:
    assert names_version("version 0 was retired; use version 2", ["2"])
    assert names_version("use v2", ["2"])
    assert not names_version("retired in 2024", ["2"])
    assert not names_version("see 1.2 notes", ["2"])


def test_versions_sort_numerically() -> None:
    assert sorted(["10", "2", "1.10", "1.9"], key=version_key) == ["1.9", "1.10", "2", "10"]
