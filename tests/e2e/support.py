"""What every journey page gets checked for, and keyboard helpers.

``audit`` runs on each page a journey visits: no console error so far (CSP violations
included), a full-page screenshot, axe with no serious or critical violation, no horizontal
scroll of the page at 320 px (tables may scroll inside ``.table-wrap``), and a print check
(navigation hidden, content shown, nothing wider than an A4 page).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "screenshots"          # ignored by git (.gitignore: /screenshots/)
DOCS_SHOTS = ARTIFACTS / "docs"           # viewport-sized shots `make screenshots` publishes
DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 720}
PRINT_WIDTH = 718                         # A4 minus 16 mm margins, in CSS pixels
BLOCKING_IMPACTS = {"serious", "critical"}

# Pages are checked with the full axe rule set; only serious and critical violations fail.
_AXE = Axe()

# Reports CSP violations as console errors even where the browser would only warn.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
                + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""

_OVERFLOW_JS = """(limit) => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= limit + 1) continue;
    // Inside a scroller that fits? Absolutely positioned boxes escape scrollers that are not
    // their containing block (a static ancestor), so those do not count for them.
    let p = el.parentElement, inside = false;
    let escaped = ['absolute', 'fixed'].includes(getComputedStyle(el).position);
    while (p && p !== document.body) {
      const s = getComputedStyle(p);
      const contains = !escaped || s.position !== 'static';
      if (contains && ['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX)
          && p.getBoundingClientRect().right <= limit + 1) { inside = true; break; }
      if (s.position !== 'static') escaped = ['absolute', 'fixed'].includes(s.position);
      p = p.parentElement;
    }
    if (inside) continue;
    const wide = [...el.children].some(c => c.getBoundingClientRect().right > limit + 1);
    if (!wide) {
      const cls = typeof el.className === 'string' && el.className
        ? '.' + el.className.split(' ').join('.') : '';
      out.push(el.tagName.toLowerCase() + cls + ' (right edge ' + Math.round(r.right) + ' px): '
               + (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 50));
    }
  }
  return out.slice(0, 8);
}"""

_PRINT_JS = """() => {
  const shown = (el) => el && getComputedStyle(el).display !== 'none'
                         && el.getClientRects().length > 0;
  const main = document.querySelector('main');
  const hiddenWraps = [...document.querySelectorAll('.table-wrap')]
      .filter(w => shown(w) && getComputedStyle(w).overflowX !== 'visible'
              && w.scrollWidth > w.clientWidth + 1)
      .map(w => (w.querySelector('caption') || w).textContent.trim().slice(0, 60));
  return {
    nav: [...document.querySelectorAll('.topbar, .mainnav, .usermenu, .skip-link')]
           .filter(shown).length,
    main: shown(main) && main.innerText.trim().length,
    width: document.documentElement.scrollWidth,
    clipped: hiddenWraps,
  };
}"""


@dataclass
class Watch:
    """Console errors, uncaught exceptions and server errors seen by one page."""

    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def console(self, message: Any) -> None:
        """Record a console error unless a refusal the test expects explains it."""
        if message.type != "error":
            return
        text = message.text
        for pattern in self.allowed:
            if pattern.search(text):
                self.allowed.remove(pattern)  # each expected answer excuses one line
                return
        where = message.location.get("url", "") if message.location else ""
        self.errors.append(f"console error ({where}): {text}")

    def response(self, response: Any) -> None:
        """A 5xx answer is a failure whatever the page shows."""
        if response.status >= 500:
            self.errors.append(f"server error {response.status} for {response.url}")

    def check(self, when: str = "") -> None:
        """Fail with every error seen so far (then forget them)."""
        if self.errors:
            errors, self.errors = self.errors, []
            raise AssertionError(f"browser errors{' ' + when if when else ''}:\n  "
                                 + "\n  ".join(errors))


WATCHES: dict[Page, Watch] = {}


def watch(page: Page) -> Watch:
    """Attach console, exception and server-error capture to ``page``."""
    seen = Watch()
    page.on("console", seen.console)
    page.on("pageerror", lambda exc: seen.errors.append(f"uncaught exception: {exc}"))
    page.on("response", seen.response)
    WATCHES[page] = seen
    return seen


@contextmanager
def status_expected(page: Page, *statuses: int) -> Iterator[None]:
    """Within the block, the browser's console line for these HTTP statuses is expected (a form
    sent back with errors answers 400; a refusal 403 or 404), not an error."""
    # The console line may arrive after the block: the allowance stays until it is used.
    WATCHES[page].allowed.append(
        re.compile(r"status of ({})\b".format("|".join(str(s) for s in statuses))))
    with page.expect_response(lambda r: r.status in statuses
                              and r.request.is_navigation_request()):
        yield
    page.wait_for_load_state("load")


def expect_refused(page: Page, url: str) -> int:
    """Open ``url`` and assert it is refused (403 or 404) with the app's error page."""
    with status_expected(page, 403, 404):
        response = page.goto(url)
    assert response is not None
    assert response.status in (403, 404), f"{url} answered {response.status}, not a refusal"
    heading = page.locator("h1").first.inner_text()
    assert heading, f"{url}: the refusal page has no heading"
    return response.status


def shot(page: Page, name: str, *, docs: bool | str = False) -> Path:
    """A full-page screenshot to screenshots/; ``docs`` adds a one-screen shot for the README
    (of the page's top, or from the element a ``docs`` selector names)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs:
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        top = 0 if docs is True else page.evaluate(
            "(s) => document.querySelector(s).getBoundingClientRect().top + window.scrollY - 16",
            docs)
        page.evaluate("(y) => window.scrollTo(0, y)", top)
        page.screenshot(path=str(DOCS_SHOTS / f"{name}.png"))
    return path


def axe_violations(page: Page) -> list[str]:
    """Serious and critical axe violations on the page, one readable line each."""
    results = _AXE.run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in BLOCKING_IMPACTS:
            continue
        targets = "; ".join(", ".join(map(str, n["target"])) for n in violation["nodes"][:4])
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} "
                     f"[{len(violation['nodes'])} node(s): {targets}]")
    return lines


def narrow_overflow(page: Page) -> tuple[int, list[str]]:
    """The page's scroll width at 320 px and the elements sticking out (none when it fits)."""
    page.set_viewport_size(NARROW)
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        culprits = page.evaluate(_OVERFLOW_JS, NARROW["width"]) if width > NARROW["width"] + 1 \
            else []
    finally:
        page.set_viewport_size(DESKTOP)
    return width, culprits


def print_problems(page: Page) -> list[str]:
    """What is wrong with the page printed on A4: navigation shown, no content, overflow."""
    page.emulate_media(media="print")
    page.set_viewport_size({"width": PRINT_WIDTH, "height": 1000})
    try:
        state = page.evaluate(_PRINT_JS)
        culprits = page.evaluate(_OVERFLOW_JS, PRINT_WIDTH) \
            if state["width"] > PRINT_WIDTH + 1 else []
    finally:
        page.emulate_media(media="screen")
        page.set_viewport_size(DESKTOP)
    problems = []
    if state["nav"]:
        problems.append("navigation is printed")
    if not state["main"]:
        problems.append("the main content is not printed")
    if state["width"] > PRINT_WIDTH + 1:
        problems.append(f"the printed page is {state['width']} px wide (A4 fits {PRINT_WIDTH}): "
                        + "; ".join(culprits))
    for caption in state["clipped"]:
        problems.append(f"table cut off in print: {caption}")
    return problems


def audit(page: Page, name: str, *, docs: bool | str = False) -> None:
    """Every check a visited page gets; fails with all problems of the page at once."""
    page.wait_for_load_state("load")
    WATCHES[page].check(f"before {name}")
    problems = []
    if not page.locator("h1").count():
        problems.append("no h1 heading")
    shot(page, name, docs=docs)
    violations = axe_violations(page)
    problems += [f"axe: {v}" for v in violations]
    width, culprits = narrow_overflow(page)
    if width > NARROW["width"] + 1:
        page.set_viewport_size(NARROW)
        shot(page, f"{name}-320")
        page.set_viewport_size(DESKTOP)
        problems.append(f"at 320 px the page scrolls sideways ({width} px): "
                        + "; ".join(culprits))
    problems += [f"print: {p}" for p in print_problems(page)]
    WATCHES[page].check(f"on {name}")
    assert not problems, f"{name} ({page.url}):\n  " + "\n  ".join(problems)


# ---------------------------------------------------------------------------- keyboard


def focused(page: Page) -> dict[str, Any]:
    """The focused element: tag, id, name, type, value and whether its focus ring shows."""
    return page.evaluate("""() => {
      const el = document.activeElement;
      const s = getComputedStyle(el);
      return {tag: el.tagName.toLowerCase(), id: el.id, name: el.name || '', type: el.type || '',
              value: el.value || '', text: (el.innerText || '').trim().slice(0, 60),
              ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                    || s.boxShadow !== 'none'};
    }""")


def tab_to(page: Page, selector: str, *, limit: int = 400) -> dict[str, Any]:
    """Press Tab until the focused element matches ``selector``; its focus must be visible."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            state = focused(page)
            assert state["ring"], f"no visible focus indicator on {selector}"
            return state
    raise AssertionError(f"Tab never reached {selector}")


def choose_radio(page: Page, name: str, value: str) -> None:
    """Tab into a radio group and select ``value`` with the arrow keys and Space."""
    tab_to(page, f"input[type=radio][name='{name}']")
    values = page.evaluate(
        "(n) => [...document.querySelectorAll(`input[type=radio][name='${n}']:not(:disabled)`)]"
        ".map(r => r.value)", name)
    current = focused(page)["value"]
    steps = (values.index(value) - values.index(current)) % len(values)
    for _ in range(steps):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    assert page.evaluate(
        "(a) => document.querySelector(`input[name='${a[0]}'][value='${a[1]}']`).checked",
        [name, value]), f"{name}={value} is not selected"


# ---------------------------------------------------------------------------- forms

_ERRORS_JS = """() => {
  const box = document.querySelector('.error-summary');
  if (!box) return ['no error summary at the top of the form'];
  const problems = [];
  if (box.getAttribute('role') !== 'alert') problems.push('the error summary is not role=alert');
  const links = [...box.querySelectorAll('a[href^="#"]')];
  if (!links.length) problems.push('the error summary links to no field');
  const names = (el) => (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
  for (const a of links) {
    const id = decodeURIComponent(a.getAttribute('href').slice(1));
    const target = document.getElementById(id);
    if (!target) { problems.push('summary link to a missing #' + id); continue; }
    const holders = [target, target.closest('fieldset'),
                     ...target.querySelectorAll('input, select, textarea')].filter(Boolean);
    const linked = holders.some(h => names(h).some(i => {
      const d = document.getElementById(i);
      return d && d.classList.contains('error') && d.textContent.trim().length > 0;
    }));
    if (!linked) problems.push('#' + id + ' does not point to its error (aria-describedby)');
  }
  return problems;
}"""


def assert_errors_announced(page: Page) -> None:
    """A role=alert summary at the top links each error to its field, and each field names its
    error message through aria-describedby."""
    problems = page.evaluate(_ERRORS_JS)
    assert not problems, f"{page.url}: " + "; ".join(problems)


# ---------------------------------------------------------------------------- downloads


def download_pdf(page: Page, link: Any, name: str) -> str:
    """Click a PDF link, keep the file as screenshots/<name>.pdf and return its text."""
    import io

    from pypdf import PdfReader

    # The first packet starts the server's warm render processes: allow for it.
    with page.expect_download(timeout=90_000) as info:
        link.click()
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    info.value.save_as(str(path))
    data = path.read_bytes()
    assert data.startswith(b"%PDF-"), f"{name}: not a PDF ({data[:20]!r})"
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
