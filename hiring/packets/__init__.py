"""Printed packets: view models in, tagged PDF bytes out (DESIGN.md 7, SECURITY.md PDF-1..4).

- :mod:`.viewmodels`: plain dataclasses the templates read (never ORM objects);
- :mod:`.charts`: server-side SVG (contribution bar chart, QR code), shared with the web pages;
- :mod:`.render`: the one rendering function, with its deny-by-default URL fetcher;
- :mod:`.pool`: warm render processes, the time limit, the cross-worker concurrency cap and
  the Flask response helper.

Importing this package is cheap: WeasyPrint is only imported where a render actually runs.
"""
