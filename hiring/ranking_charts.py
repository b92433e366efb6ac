"""Server-side SVG for the ranking: a candidate's score and band on 0-100 beside the bar profile.

Built from numbers only (no user text), returned as :class:`markupsafe.Markup`. No ``style``
attributes (the CSP forbids inline styles): elements carry classes for the page's CSS, plus a few
presentation attributes as a black-and-white baseline that CSS overrides. The score is a position
on a 0-100 scale, never a percentage.
"""

from __future__ import annotations

import math

from markupsafe import Markup, escape

_WIDTH = 140
_HEIGHT = 28
_X0 = 4
_X1 = _WIDTH - 4
_AXIS_Y = 16


def _x(value: float) -> float:
    """0-100 to a horizontal coordinate."""
    value = min(max(value, 0.0), 100.0)
    return _X0 + (_X1 - _X0) * value / 100.0


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def fit_strip_svg(score_0_100: float | None, band_0_100: tuple[float, float] | None,
                  bar_0_100: float | None) -> Markup:
    """A 0-100 strip: the uncertainty band (box), the score (dot) and the bar profile (tick).

    Returns an empty string when there is no score (a state is never drawn as a zero).
    """
    values = [score_0_100, bar_0_100]
    if band_0_100 is not None:
        values.extend(band_0_100)
    if score_0_100 is None or any(v is None or not math.isfinite(v) for v in values):
        return Markup("")
    summary = f"{score_0_100:.0f} on 0-100"
    if band_0_100 is not None:
        summary += f", band {band_0_100[0]:.0f} to {band_0_100[1]:.0f}"
    if bar_0_100 is not None:
        summary += f"; bar profile {bar_0_100:.0f}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="fitstrip" role="img" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" width="{_WIDTH}" height="{_HEIGHT}" '
        f'aria-label="{escape(summary)}"><title>{escape(summary)}</title>',
        f'<line class="fitstrip-axis" x1="{_X0}" y1="{_AXIS_Y}" x2="{_X1}" y2="{_AXIS_Y}" '
        f'stroke="#8a94a3" stroke-width="1"/>',
    ]
    for tick in (0, 50, 100):
        out.append(f'<line class="fitstrip-tick" x1="{_n(_x(tick))}" y1="{_AXIS_Y - 3}" '
                   f'x2="{_n(_x(tick))}" y2="{_AXIS_Y + 3}" stroke="#8a94a3" stroke-width="1"/>')
    if band_0_100 is not None:
        lo, hi = _x(band_0_100[0]), _x(band_0_100[1])
        out.append(f'<rect class="fitstrip-band" x="{_n(lo)}" y="{_AXIS_Y - 5}" '
                   f'width="{_n(max(hi - lo, 1.0))}" height="10" fill="#d6e8fb" '
                   f'stroke="#1f5fad" stroke-width="1"/>')
    if bar_0_100 is not None:
        bx = _n(_x(bar_0_100))
        out.append(f'<line class="fitstrip-bar" x1="{bx}" y1="2" x2="{bx}" y2="{_HEIGHT - 2}" '
                   f'stroke="#1d2430" stroke-width="2" stroke-dasharray="3 2"/>')
    out.append(f'<circle class="fitstrip-score" cx="{_n(_x(score_0_100))}" cy="{_AXIS_Y}" '
               f'r="4" fill="#1d2430"/>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - numbers and escaped text, built above
