"""Publish the README's screenshots: `make screenshots` runs the browser journeys, then this.

The journeys (tests/e2e) leave one-screen shots of key pages in screenshots/docs/ (ignored by
git); this copies the chosen ones to docs/screenshots/ under stable names, and renders the first
page of an interview packet to PNG with pdftoppm (poppler-utils): the packet a journey
downloaded (screenshots/interview-packet.pdf) when there is one, else the packet renderer's
sample interview (hiring.packets.samples: fictional people) through the same templates.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "screenshots" / "docs"
DOCS = ROOT / "docs" / "screenshots"

# docs/screenshots/<name>.png <- screenshots/docs/<journey shot>.png
CHOSEN = {
    "dashboard": "dashboard-manager",
    "plan": "plan-editor",
    "kit": "interview-kit",
    "scorecard": "scorecard",
    "debrief": "debrief",
    "ranking": "ranking",
    "explanation": "explanation",
    "bank": "bank",
    "compare": "bank-compare",
    "reliability": "report-reliability",
    "calibration": "report-calibration",
    "impact": "report-impact",
}


def _packet_pdf(workdir: Path) -> Path:
    downloaded = ROOT / "screenshots" / "interview-packet.pdf"
    if downloaded.exists():
        return downloaded
    sys.path.insert(0, str(ROOT))
    from hiring.packets import samples
    from hiring.packets.render import render_pdf
    from hiring.packets.viewmodels import packet_context

    template, context, title = packet_context(samples.sample_interview_packet())
    path = workdir / "interview-packet.pdf"
    path.write_bytes(render_pdf(template, context, title=title, paper_size="A4", strict=True))
    return path


def main() -> int:
    """Copy the chosen shots and render the packet page; non-zero when a shot is missing."""
    missing = [shot for shot in CHOSEN.values() if not (SHOTS / f"{shot}.png").exists()]
    if missing:
        print(f"screenshots: missing {', '.join(missing)} in {SHOTS}; run the browser tests "
              "first (`make screenshots` does)", file=sys.stderr)
        return 1
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, shot in CHOSEN.items():
        shutil.copyfile(SHOTS / f"{shot}.png", DOCS / f"{name}.png")
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        print("screenshots: pdftoppm is missing; install it with "
              "`sudo apt-get install -y poppler-utils`", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        pdf = _packet_pdf(Path(tmp))
        command = [pdftoppm, "-png", "-r", "90", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                   str(DOCS / "packet-page")]
        subprocess.run(command, check=True)  # noqa: S603 - fixed arguments, our own files
    names = sorted(p.name for p in DOCS.glob("*.png"))
    print(f"screenshots: {len(names)} images in {DOCS.relative_to(ROOT)}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
