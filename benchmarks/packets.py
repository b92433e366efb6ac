"""Packet rendering figures (issue 10, item 8). Run: ``.venv/bin/python benchmarks/packets.py``.

Prints, for realistic view models (``hiring.packets.samples``: six focus competencies and ten
questions; a debrief with six scorecards):

1. the median time of an interview packet and of a debrief packet through
   :func:`hiring.packets.render.render_pdf` (Jinja + safe fetcher + tagged PDF/UA-1);
2. the app's overhead: that time divided by WeasyPrint alone on the same final HTML (same
   base URL, same ``pdf_variant``, WeasyPrint's default fetcher), measured interleaved in the
   same run; target at most 1.15. The same ratio through the render pool (one process, IPC
   included) is printed too;
3. a batch of 20 interview packets on the render pool with two processes against one; target a
   speed-up of at least 1.6 on a two-core machine.

The load average is printed: other work on the machine skews every figure.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pypdf import PdfReader  # noqa: E402
from weasyprint import HTML  # noqa: E402
from weasyprint.urls import path2url  # noqa: E402

from hiring.packets import samples  # noqa: E402
from hiring.packets.pool import RenderJob, RenderPool  # noqa: E402
from hiring.packets.render import (  # noqa: E402
    ASSETS_DIR,
    PDF_VARIANT,
    render_html,
    render_pdf,
)
from hiring.packets.viewmodels import packet_context  # noqa: E402


def _median_pair(a: Callable[[], object], b: Callable[[], object],
                 repeat: int) -> tuple[float, float, float]:
    """Median seconds of ``a`` and ``b``, run alternately (load drift hits both alike), and the
    ratio of their best runs (the least noisy estimate on a shared machine)."""
    a(), b()  # warm-up: fonts, templates, caches
    times_a, times_b = [], []
    for _ in range(repeat):
        for fn, times in ((a, times_a), (b, times_b)):
            gc.collect()  # as timeit does: no collection of the other's garbage mid-run
            gc.disable()
            try:
                started = time.perf_counter()
                fn()
                times.append(time.perf_counter() - started)
            finally:
                gc.enable()
    return statistics.median(times_a), statistics.median(times_b), min(times_a) / min(times_b)


def _weasyprint_alone(html: str) -> Callable[[], bytes]:
    base_url = path2url(str(ASSETS_DIR)) + "/"
    return lambda: HTML(string=html, base_url=base_url).write_pdf(pdf_variant=PDF_VARIANT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per figure (median)")
    parser.add_argument("--batch", type=int, default=20, help="packets in the batch figure")
    parser.add_argument("--rounds", type=int, default=2, help="alternating batch rounds")
    parser.add_argument("--only", choices=("single", "batch"), help="run one part only")
    args = parser.parse_args()

    load = os.getloadavg()
    print(f"cpus: {os.cpu_count()}  load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    if args.only != "batch":
        _single(args.repeat)
    if args.only != "single":
        _batch(args.batch, args.rounds)
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def _single(repeat: int) -> None:
    """Figures 1 and 2: median render times and the overhead ratios."""
    kinds = {
        "interview packet (6 competencies, 10 questions)": samples.sample_interview_packet(),
        "debrief packet (6 scorecards)": samples.sample_debrief_packet(),
    }
    for label, packet in kinds.items():
        template, context, title = packet_context(packet)
        html = render_html(template, context, title=title, paper_size="A4")

        def app_render(template: str = template, context: dict = context,
                       title: str = title) -> bytes:
            return render_pdf(template, context, title=title, paper_size="A4", strict=True)

        app_t, alone_t, best = _median_pair(app_render, _weasyprint_alone(html), repeat)
        pages = len(PdfReader(io.BytesIO(app_render())).pages)
        print(f"\n{label}")
        print(f"  median render_pdf          {app_t * 1000:8.0f} ms")
        print(f"  median WeasyPrint alone    {alone_t * 1000:8.0f} ms   (same final HTML)")
        print(f"  overhead ratio             {app_t / alone_t:8.3f}      target <= 1.15"
              f"   [{'ok' if app_t / alone_t <= 1.15 else 'MISSED'}]  pages: {pages}")
        print(f"  ratio of the best runs     {best:8.3f}")

    # Through the pool (IPC and pickling included), one process.
    template, context, title = packet_context(samples.sample_interview_packet())
    html = render_html(template, context, title=title, paper_size="A4")
    with RenderPool(1, timeout=120) as pool:
        def pooled() -> bytes:
            return pool.render(template, context, title=title, paper_size="A4", strict=True)

        pool_t, alone_t, best = _median_pair(pooled, _weasyprint_alone(html), repeat)
    print("\ninterview packet through the render pool (1 process)")
    print(f"  median pooled render       {pool_t * 1000:8.0f} ms")
    print(f"  overhead ratio             {pool_t / alone_t:8.3f}      (vs WeasyPrint alone)")
    print(f"  ratio of the best runs     {best:8.3f}")



def _batch(size: int, rounds: int) -> None:
    """Figure 3: a batch of interview packets on two pool processes against one, alternating
    the two set-ups ``rounds`` times (median) so that load drift hits both alike."""
    batch = samples.sample_batch(size)
    jobs = [RenderJob(*packet_context(p)) for p in batch.packets]
    timings: dict[int, list[float]] = {1: [], 2: []}
    with RenderPool(1, timeout=300) as one, RenderPool(2, timeout=300) as two:
        for pool in (one, two):
            pool.render_many(jobs[:pool.size], strict=True)  # warm every process
        for _ in range(rounds):
            for pool in (one, two):
                started = time.perf_counter()
                pdfs = pool.render_many(jobs, strict=True)
                timings[pool.size].append(time.perf_counter() - started)
                assert len(pdfs) == len(jobs)
                assert all(p.startswith(b"%PDF-") for p in pdfs)
    t1, t2 = statistics.median(timings[1]), statistics.median(timings[2])
    speedup = t1 / t2
    print(f"\nbatch of {len(jobs)} interview packets on the render pool "
          f"(median of {rounds} alternating rounds)")
    print(f"  1 process                  {t1:8.2f} s   ({t1 / len(jobs) * 1000:.0f} ms/packet)")
    print(f"  2 processes                {t2:8.2f} s   ({t2 / len(jobs) * 1000:.0f} ms/packet)")
    print(f"  speed-up                   {speedup:8.2f}      target >= 1.6"
          f"   [{'ok' if speedup >= 1.6 else 'MISSED'}]")


if __name__ == "__main__":
    main()
