"""Counting admissions per rate-limit window."""

from __future__ import annotations

import math

from apiconform.load.admission import admission, windows


def test_a_window_that_admits_no_more_than_the_limit_is_clean() -> None:
    counters = {"admitted|1000": 5, "refused|1000": 40, "admitted|1010": 5, "refused|1010": 7}
    found = admission(counters, limit=5, ttl=10)
    assert found["windows"] == 2
    assert found["over_admitted"] == 0
    assert found["under_admitted"] == 0
    assert found["admitted"] == 10
    assert found["refused"] == 47


def test_admissions_beyond_the_limit_are_over_admission_per_window() -> None:
    # two instances counting apart: each admits the limit in every window
    counters = {"admitted|1000": 10, "admitted|1010": 9, "refused|1010": 3}
    assert admission(counters, limit=5, ttl=10)["over_admitted"] == 5 + 4


def test_refusals_with_quota_left_are_under_admission_except_in_the_first_window() -> None:
    counters = {"admitted|1000": 1, "refused|1000": 9, "admitted|1010": 2, "refused|1010": 9}
    assert admission(counters, limit=5, ttl=10)["under_admitted"] == 3


def test_ends_a_second_apart_are_one_window_when_windows_are_longer() -> None:
    counters = {"admitted|1000": 3, "admitted|1001": 2, "admitted|1010": 1}
    assert windows(counters, ttl=10) == [(1000, 5, 0), (1010, 1, 0)]
    assert windows({"admitted|1000": 1, "admitted|1001": 1}, ttl=1) == [(1000, 1, 0), (1001, 1, 0)]


def test_no_window_seen_cannot_be_judged() -> None:
    found = admission({"no_window": 12, "unexpected": 1}, limit=5, ttl=10)
    assert found["windows"] == 0
    assert math.isnan(found["over_admitted"])
