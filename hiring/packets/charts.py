"""Server-side SVG for packets and pages: the contribution bar chart and the QR code.

Both functions return :class:`markupsafe.Markup` built here from numbers and *escaped* text, so
templates may print them as is; user text never reaches a template through ``|safe``.

Styling: no ``style`` attributes and no ``<style>`` elements (the pages' CSP forbids inline
styles). Every element carries a class for the pages' CSS; the few presentation attributes
(``fill``, ``stroke``, ``font-size``) are a black-and-white baseline that any CSS rule overrides,
and that WeasyPrint needs because it does not apply the document's stylesheet inside inline SVG.
Black-and-white readability does not depend on colour: positive bars are solid, negative bars
are outlined and hatched, and every bar has its signed value printed beside it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import segno
from markupsafe import Markup, escape

# Geometry of the bar chart, in SVG user units (1 unit = 1 CSS px at 100 %).
_WIDTH = 640
_LABEL_W = 210  # competency names, right-aligned against the bars
_VALUE_W = 64  # signed values, always in their own column (never collide with bars or names)
_ROW_H = 24
_BAR_H = 14
_TOP = 30  # room for the axis captions
_BOTTOM = 10
_HATCH_STEP = 5
_MAX_LABEL = 34


def _fmt(value: float) -> str:
    """Signed value with a real minus sign: ``+1.50`` / ``\u22120.75``."""
    return f"{value:+.2f}".replace("-", "\u2212")


def _num(value: float) -> str:
    """A coordinate, compact."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _label(text: str) -> str:
    """Shortened (full name stays in the row's ``<title>``) and escaped."""
    text = " ".join(str(text).split())
    if len(text) > _MAX_LABEL:
        text = text[: _MAX_LABEL - 1].rstrip() + "\u2026"
    return str(escape(text))


def _hatch(x: float, y: float, w: float, h: float) -> str:
    """Path data of 45-degree hatch lines clipped to the rectangle (no clipPath, no ids)."""
    parts = []
    c = float(_HATCH_STEP)
    while c < w + h:
        u0, u1 = max(0.0, c - h), min(w, c)
        if u1 > u0:
            parts.append(f"M{_num(x + u0)} {_num(y + h - (c - u0))}"
                         f"L{_num(x + u1)} {_num(y + h - (c - u1))}")
        c += _HATCH_STEP
    return "".join(parts)


def contribution_chart_svg(contributions: Mapping[str, float], labels: Mapping[str, str]) -> Markup:
    """Horizontal bar chart of per-competency contributions to a score, as inline SVG.

    ``contributions`` maps competency keys to signed contributions (weight x (evidence - bar));
    ``labels`` maps the same keys to display names (the key is shown when a label is missing).
    Rows are ordered from the largest positive to the most negative contribution, drawn from a
    zero axis ("at the bar profile"): right of it above, left of it below. Labels are escaped.
    """
    rows = sorted(contributions.items(), key=lambda item: (-item[1], item[0]))
    finite = [abs(v) for _, v in rows if math.isfinite(v)]
    scale_max = max(finite, default=0.0) or 1.0
    chart_x0 = _LABEL_W + 8
    chart_x1 = _WIDTH - _VALUE_W - 8
    zero_x = (chart_x0 + chart_x1) / 2
    half = (chart_x1 - chart_x0) / 2
    height = _TOP + len(rows) * _ROW_H + _BOTTOM

    total = sum(v for _, v in rows if math.isfinite(v))
    summary = (f"Contributions of {len(rows)} competencies to the score, relative to a candidate "
               f"exactly at the bar profile; total {_fmt(total)}.")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="hchart" role="img" '
        f'viewBox="0 0 {_WIDTH} {height}" width="{_WIDTH}" height="{height}" '
        f'font-family="Liberation Sans, DejaVu Sans, Arial, sans-serif" font-size="12" '
        f'aria-label="{escape(summary)}">',
        f"<title>{escape(summary)}</title>",
        f'<text class="hchart-caption" x="{_num(zero_x - 6)}" y="14" text-anchor="end" '
        f'fill="#000">\u2190 below the bar profile</text>',
        f'<text class="hchart-caption" x="{_num(zero_x + 6)}" y="14" fill="#000">'
        f"above the bar profile \u2192</text>",
    ]
    for index, (key, value) in enumerate(rows):
        y = _TOP + index * _ROW_H
        bar_y = y + (_ROW_H - _BAR_H) / 2
        text_y = y + _ROW_H / 2 + 4
        name = labels.get(key) or key
        out.append(f'<g class="hchart-row"><title>{escape(name)}: {_fmt(value)}</title>')
        out.append(f'<text class="hchart-label" x="{_LABEL_W}" y="{_num(text_y)}" '
                   f'text-anchor="end" fill="#000">{_label(name)}</text>')
        if math.isfinite(value) and value != 0:
            length = abs(value) / scale_max * half
            if value > 0:
                out.append(f'<rect class="hchart-bar hchart-pos" x="{_num(zero_x)}" '
                           f'y="{_num(bar_y)}" width="{_num(length)}" height="{_BAR_H}" '
                           f'fill="#333"/>')
            else:
                x = zero_x - length
                out.append(f'<rect class="hchart-bar hchart-neg" x="{_num(x)}" '
                           f'y="{_num(bar_y)}" width="{_num(length)}" height="{_BAR_H}" '
                           f'fill="#fff" stroke="#000" stroke-width="1"/>')
                out.append(f'<path class="hchart-hatch" d="{_hatch(x, bar_y, length, _BAR_H)}" '
                           f'stroke="#000" stroke-width="0.8" fill="none"/>')
        shown = _fmt(value) if math.isfinite(value) else "n/a"
        out.append(f'<text class="hchart-value" x="{_WIDTH - 4}" y="{_num(text_y)}" '
                   f'text-anchor="end" fill="#000">{shown}</text></g>')
    out.append(f'<line class="hchart-axis" x1="{_num(zero_x)}" y1="{_TOP - 6}" '
               f'x2="{_num(zero_x)}" y2="{height - _BOTTOM + 4}" stroke="#000" '
               f'stroke-width="1.2"/>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - numbers and escaped labels, built above


def qr_svg(url: str, *, scale: int = 3) -> Markup:
    """A regular QR code (never Micro QR) of ``url`` as inline SVG, for a packet or a page.

    ``segno`` escapes nothing we give it beyond the encoded data, and we pass no title or
    description, so the SVG holds only geometry.
    """
    code = segno.make_qr(url, error="m")
    svg = code.svg_inline(scale=scale, border=2, svgclass="qr", lineclass="qr-modules")
    return Markup(svg)  # noqa: S704 - geometry only: segno encodes the URL into modules
