"""The browser harness itself: a CSP violation or a script error on a page fails the test."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.support import WATCHES

pytestmark = pytest.mark.browser


def test_csp_violations_and_script_errors_are_caught_as_failures(page_as: Any) -> None:
    page = page_as("interviewer")
    seen = WATCHES[page]
    assert not seen.errors
    # An inline style attribute and an inline script: both refused by the app's CSP.
    page.evaluate("""() => {
      document.querySelector('h1').setAttribute('style', 'color: red');
      const s = document.createElement('script');
      s.textContent = 'window.injected = true';
      document.body.appendChild(s);
    }""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.injected === undefined"), "the inline script ran"
    with pytest.raises(AssertionError, match="(?i)content security policy|CSP violation"):
        seen.check("after injecting inline style and script")
    page.evaluate("setTimeout(() => { throw new Error('boom from the page') }, 0)")
    page.wait_for_timeout(300)
    with pytest.raises(AssertionError, match="boom from the page"):
        seen.check("after an uncaught exception")
