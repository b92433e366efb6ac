"""Imported once by the render pool's fork server (never by the web app): load WeasyPrint,
compile the packet templates and lay out a tiny document with the packet stylesheet, so
fontconfig, Pango, Jinja and the CSS machinery are initialised before any render process is
forked from it. Every render process, including a replacement after a time-out, starts warm.
A failure here only costs the warm start: the fork server must come up regardless.
"""

from __future__ import annotations

import logging

from .render import TEMPLATES_DIR, _environment, html_to_pdf

try:
    for _template in sorted(TEMPLATES_DIR.glob("*.html")):
        _environment(str(TEMPLATES_DIR)).get_template(_template.name)
    html_to_pdf(
        '<html lang="en"><head><title>warm</title><link rel="stylesheet" href="packet.css">'
        '</head><body><h1>Warm</h1><p class="q-prompt">Warm <b>up</b> <span class="short-code">'
        'K7</span></p><svg width="10" height="10"><rect width="5" height="5"/><text y="9">t'
        "</text></svg><table><tr><td>1</td></tr></table></body></html>",
        title="warm",
        strict=True,
    )
except Exception:  # noqa: BLE001 - see the module docstring
    logging.getLogger("hiring.packets").exception("packet render warm-up failed")
