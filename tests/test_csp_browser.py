"""The page under its real Content-Security-Policy in headless Chromium.

No CSP violation and no console error while the map loads and is used; CSV text
carrying HTML (the XSS fixture from test_hardening.py) shows as literal text, and
creates no element and runs no script.  Runs whenever Chromium exists and always
under CI=true (see conftest.py).
"""

from __future__ import annotations

import time

import pytest

from dashboard.testing import JS_MAP_READY, JS_MARKER, chromium, dashboard_command, running_server
from test_hardening import IMG, SCRIPT, XSS_NAME, XSS_PINNED_ID, XSS_PLACE_ID, XSS_SENTENCE, write_xss_dataset

pytestmark = pytest.mark.browser

# Installed before any page script runs: records every CSP violation the page sees.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push({directive: e.violatedDirective, blocked: e.blockedURI,
                               source: e.sourceFile, line: e.lineNumber, sample: e.sample});
});
"""

JS_INJECTED = """() => ({
  imgX: document.querySelectorAll('img[src="x"], img[src$="/x"]').length,
  imgs: document.querySelectorAll('img').length,
  alertScripts: [...document.scripts].filter(s => s.textContent.includes('alert(1)')).length,
  onerror: document.querySelectorAll('[onerror]').length,
})"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = write_xss_dataset(tmp_path_factory.mktemp("csp") / "data")
    with running_server(dashboard_command(data)) as (base, _process):
        yield base


@pytest.fixture
def page(server):
    with chromium() as context:
        page = context.new_page()
        page.add_init_script(RECORD_VIOLATIONS)
        page.console_messages = []
        page.dialogs = []
        page.page_errors = []
        page.on("console", lambda m: page.console_messages.append((m.type, m.text)))
        page.on("pageerror", lambda e: page.page_errors.append(str(e)))

        def on_dialog(dialog):
            page.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto(server + "/")
        page.wait_for_function(JS_MAP_READY, timeout=30_000)
        yield page


def assert_no_violations(page) -> None:
    violations = page.evaluate("window.__cspViolations")
    assert violations == [], violations
    bad = [(kind, text) for kind, text in page.console_messages if kind in ("error", "warning")]
    assert bad == [], bad
    assert page.page_errors == []
    assert page.dialogs == []


def test_page_runs_under_the_csp_with_no_violation(page):
    headers = page.request.get(page.url).headers
    assert "script-src 'self' 'sha256-" in headers["content-security-policy"]
    assert "unsafe-eval" not in headers["content-security-policy"]
    # Use the page: hover and click a marker, change mode, step the slider, open a listed place.
    marker = page.evaluate(JS_MARKER, "alpha")
    assert marker is not None
    page.mouse.move(marker["x"], marker["y"])
    time.sleep(0.3)
    page.mouse.click(marker["x"], marker["y"])
    page.wait_for_function("() => document.querySelector('#panel-place-name')?.textContent === 'Alpha'")
    page.locator("#mode input").nth(1).click()
    page.locator(".slider-wrap [role=slider]").first.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(JS_MAP_READY)
    time.sleep(0.5)
    assert_no_violations(page)


def test_html_in_the_data_renders_as_text(page):
    page.locator("#unlocated button", has_text=IMG).click()
    page.wait_for_function(
        "(name) => document.querySelector('#panel-place-name')?.textContent === name", arg=XSS_NAME
    )
    panel = page.inner_text("#source-panel")
    assert IMG in panel and SCRIPT in panel
    assert page.inner_text("#source-panel mark") == XSS_SENTENCE
    # Hover the pinned place whose name is HTML: Plotly draws it as SVG text.
    marker = page.evaluate(JS_MARKER, XSS_PINNED_ID)
    assert marker is not None
    page.mouse.move(marker["x"], marker["y"])
    time.sleep(0.5)
    page.mouse.click(marker["x"], marker["y"])
    page.wait_for_function("() => document.querySelector('#panel-place-name')?.textContent.includes('Bold')")
    time.sleep(0.5)
    injected = page.evaluate(JS_INJECTED)
    assert injected == {"imgX": 0, "imgs": 0, "alertScripts": 0, "onerror": 0}, injected
    assert page.evaluate("document.querySelector('#unlocated').textContent").count(IMG) >= 1
    assert XSS_PLACE_ID  # the unidentified place was opened from its list button above
    assert_no_violations(page)


def test_the_lane_built_in_the_browser_shows_html_as_text_and_opens_the_source(page):
    """The "Beyond the map" list is built by map.js from the payload: names stay text."""
    thumb = page.locator("#date-slider [role=slider]")
    thumb.focus()
    for _ in range(2):  # 29 Nov, the day of the unlocated place's capture
        thumb.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#lane-days')?.getAttribute('data-day') === '2'")
    lane = page.inner_text("#lane-days")
    assert XSS_NAME in lane
    page.locator("#lane-days button", has_text=XSS_NAME).first.click()
    page.wait_for_function(
        "(name) => document.querySelector('#panel-place-name')?.textContent === name", arg=XSS_NAME
    )
    injected = page.evaluate(JS_INJECTED)
    assert injected == {"imgX": 0, "imgs": 0, "alertScripts": 0, "onerror": 0}, injected
    assert_no_violations(page)
