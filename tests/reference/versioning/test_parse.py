"""Reading versions from hostile input: a version or :class:`Malformed`, nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apiconform.reference.versioning.parse import (
    Malformed,
    accept_versions,
    media_ranges,
    normalise,
    version_key,
)


@pytest.mark.parametrize(
    ("token", "version"),
    [("2", "2"), ("v2", "2"), ("V02", "2"), ("1.10", "1.10"), ("01.01", "1.1"), (" 3 ", "3")],
)
def test_versions_are_normalised(token: str, version: str) -> None:
    assert normalise(token) == version


@pytest.mark.parametrize("token", ["", "v", "-1", "1e9", "1.2.3", "../", "٢", "1" * 7, "x" * 17])
def test_anything_else_is_malformed(token: str) -> None:
    with pytest.raises(Malformed):
        normalise(token)


def test_versions_sort_numerically() -> None:
    assert sorted(["1.10", "10", "1.9", "2"], key=version_key) == ["1.9", "1.10", "2", "10"]


def test_media_ranges_read_parameters_and_weights() -> None:
    [first, second, third] = media_ranges(
        'Application/JSON; Version="2"; q=0.5, text/html;q=x, , */*;q=7'
    )
    assert (first.media_type, first.params, first.q) == ("application/json", {"version": "2"}, 0.5)
    assert (second.media_type, second.q) == ("text/html", 1.0)
    assert third.q == 1.0


def test_accept_versions_come_from_vendor_types_and_version_parameters() -> None:
    accept = (
        "application/vnd.acme.v3+json, application/json;version=1, "
        "application/vnd.acme+json;version=2, application/vnd.other.v9+json, "
        "application/vnd.acme.v4+json;q=0, text/plain;version=8"
    )
    assert accept_versions(accept, "acme") == ["3", "1", "2"]


@given(st.text(max_size=200))
def test_any_accept_header_is_versions_or_malformed(accept: str) -> None:
    try:
        found = accept_versions(accept, "cmmv")
    except Malformed:
        return
    assert all(isinstance(version, str) for version in found)


@given(st.text(max_size=40))
def test_any_version_header_is_a_version_or_malformed(value: str) -> None:
    try:
        found = normalise(value)
    except Malformed:
        return
    assert normalise(found) == found
