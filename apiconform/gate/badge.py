"""The coverage badge: a shields.io-style flat SVG ("coverage | 96.3%"), written here.

genbadge (named in DESIGN.md) was measured instead of used: ``pip download genbadge``
fetches 9 wheels, 8.9 MB, which install to 33.1 MB; Pillow alone is 21.8 MB of that
(it measures text with a bundled font) and setuptools 6.4 MB, with requests, urllib3,
idna, certifi and charset-normalizer besides. The badge is one SVG template and a table
of character widths, under 100 lines, so the gate adds no dependency for it.

Widths are Verdana 11px advances (the font shields.io lays out with); ``textLength``
makes renderers fit the text to the computed box whatever font they substitute.
"""

from __future__ import annotations

from html import escape

from apiconform.gate.result import BadgeValue

# Advance widths in px of Verdana at 11px; other characters count as 7.5.
_LOWER = (
    "6.6 6.8 5.7 6.8 6.6 3.8 6.8 7.0 3.0 3.8 6.5 3.0 10.7 "  # a-m
    "7.0 6.7 6.8 6.8 4.7 5.7 4.3 7.0 6.5 9.0 6.5 6.5 5.8"  # n-z
)
_WIDTHS = {
    **dict.fromkeys("0123456789", 7.0),
    **dict(zip("abcdefghijklmnopqrstuvwxyz", map(float, _LOWER.split()), strict=True)),
    **{" ": 3.9, ".": 3.9, ",": 3.9, ":": 4.6, "-": 4.6, "/": 4.9, "%": 12.0, "(": 4.5, ")": 4.5},
}
_PAD = 10

_TEMPLATE = """\
<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" \
aria-label="{label}: {value}">
<title>{label}: {value}</title>
<linearGradient id="s" x2="0" y2="100%">
<stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/>
</linearGradient>
<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)">
<rect width="{label_width}" height="20" fill="#555"/>
<rect x="{label_width}" width="{value_width}" height="20" fill="{color}"/>
<rect width="{width}" height="20" fill="url(#s)"/>
</g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" \
text-rendering="geometricPrecision" font-size="110">
<text aria-hidden="true" x="{label_x}" y="150" fill="#010101" fill-opacity=".3" \
transform="scale(.1)" textLength="{label_length}">{label}</text>
<text x="{label_x}" y="140" transform="scale(.1)" fill="#fff" \
textLength="{label_length}">{label}</text>
<text aria-hidden="true" x="{value_x}" y="150" fill="#010101" fill-opacity=".3" \
transform="scale(.1)" textLength="{value_length}">{value}</text>
<text x="{value_x}" y="140" transform="scale(.1)" fill="#fff" \
textLength="{value_length}">{value}</text>
</g>
</svg>
"""


def text_width(text: str) -> float:
    """Approximate width in px of ``text`` in Verdana 11px."""
    return sum(_WIDTHS.get(c, 7.5) for c in text)


def render_badge(value: BadgeValue, label: str = "coverage") -> str:
    """The SVG for ``value`` (its text and colour), labelled ``label``."""
    label_text, value_text = text_width(label), text_width(value.text)
    label_width = round(label_text) + _PAD
    value_width = round(value_text) + _PAD
    return _TEMPLATE.format(
        width=label_width + value_width,
        label=escape(label),
        value=escape(value.text),
        color=value.color,
        label_width=label_width,
        value_width=value_width,
        label_x=label_width * 5,
        value_x=label_width * 10 + value_width * 5,
        label_length=round(label_text * 10),
        value_length=round(value_text * 10),
    )
