"""Imported once by the render pool's fork server (never by the web app): load WeasyPrint and
render one sample interview packet and one sample debrief, so fontconfig, Pango, the fonts and
glyphs the packets use, the compiled templates and the CSS machinery are all initialised before
any render process is forked from it. Every render process, including a replacement after a
time-out, then starts warm (its first render is as fast as its tenth). About a second, once per
web worker. A failure here only costs the warm start: the fork server must come up regardless.
"""

from __future__ import annotations

import gc
import logging

try:
    from . import samples
    from .render import render_pdf
    from .viewmodels import packet_context

    for _packet in (samples.sample_interview_packet(), samples.sample_debrief_packet()):
        _template, _context, _title = packet_context(_packet)
        render_pdf(_template, _context, title=_title, paper_size="A4", strict=True)
    del _packet, _template, _context, _title
    gc.collect()
except Exception:  # noqa: BLE001 - see the module docstring
    logging.getLogger("hiring.packets").exception("packet render warm-up failed")
