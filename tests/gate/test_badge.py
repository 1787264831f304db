"""The badge: colours at their boundaries, and a well-formed flat SVG."""

from __future__ import annotations

from fractions import Fraction
from xml.parsers import expat

import pytest

from apiconform.gate.badge import render_badge, text_width
from apiconform.gate.evaluate import GREEN, GREY, RED, YELLOW, badge_color
from apiconform.gate.policy import Badge
from apiconform.gate.result import BadgeValue


@pytest.mark.parametrize(
    ("percent", "color"),
    [
        (Fraction(100), GREEN),
        (Fraction(90), GREEN),
        (Fraction(8999, 100), YELLOW),  # shown as 89.9%: just below green
        (Fraction(75), YELLOW),
        (Fraction(7499, 100), RED),
        (Fraction(0), RED),
        (None, GREY),
    ],
)
def test_badge_colours_change_exactly_at_90_and_75(percent: Fraction | None, color: str) -> None:
    assert badge_color(percent, Badge()) == color


def test_policy_moves_the_colour_boundaries() -> None:
    badge = Badge(green=95, yellow=85)
    assert badge_color(Fraction(94), badge) == YELLOW
    assert badge_color(Fraction(95), badge) == GREEN


def test_badge_is_a_flat_svg_with_label_value_and_colour() -> None:
    svg = render_badge(BadgeValue("lines", Fraction(963, 10), GREEN))
    seen: list[str] = []
    parser = expat.ParserCreate()
    parser.CharacterDataHandler = seen.append
    parser.Parse(svg, True)
    assert "coverage" in seen
    assert "96.3%" in seen
    assert 'fill="#4c1"' in svg
    assert 'aria-label="coverage: 96.3%"' in svg


def test_badge_width_grows_with_its_text() -> None:
    narrow = render_badge(BadgeValue("lines", Fraction(5), RED))
    wide = render_badge(BadgeValue("lines", Fraction(100), GREEN))
    width = lambda svg: int(svg.split('width="', 1)[1].split('"', 1)[0])  # noqa: E731
    assert width(wide) - width(narrow) == round(text_width("100.0%")) - round(text_width("5.0%"))
    assert text_width("coverage") == pytest.approx(51, abs=1)  # shields.io's label width


def test_badge_without_data_says_na() -> None:
    svg = render_badge(BadgeValue("functions", None, GREY))
    assert ">n/a</text>" in svg
    assert GREY in svg
