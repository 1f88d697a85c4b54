"""The dashboard in headless Chromium against a real server on 127.0.0.1."""

from __future__ import annotations

import time
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from conftest import DEFAULT_EVENTS, FIXTURE_TEXT, event, write_dataset
from dashboard.figures import CONTROLLER_COLORS
from dashboard.testing import JS_MAP_DAY, JS_MAP_READY, JS_MARKER, chromium, dashboard_command, running_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server():
    """The app on the shipped data, served by `python -m dashboard serve`."""
    with running_server(dashboard_command()) as (base, _process):
        yield base


@pytest.fixture
def page(server):
    """A fresh browser page on the app, recording console errors and every request's host."""
    with chromium() as context:
        page = context.new_page()
        page.console_errors = []
        page.hosts = set()
        page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        page.on("request", lambda r: page.hosts.add(urlparse(r.url).hostname))
        page.goto(server)
        page.wait_for_function(JS_MAP_READY, timeout=30_000)
        yield page


def slider_to(page, day: int) -> None:
    """Move the slider with the keyboard, as a user would: Home, then ArrowRight `day` times."""
    thumb = page.locator("#date-slider [role=slider]")
    thumb.focus()
    thumb.press("Home")
    for _ in range(day):
        thumb.press("ArrowRight")
    page.wait_for_function(f"() => ({JS_MAP_DAY})() === '{day}'", timeout=10_000)


def test_page_loads_offline_with_no_console_errors(page):
    assert page.evaluate(JS_MARKER, "aleppo") is not None
    time.sleep(0.5)
    assert page.hosts == {"127.0.0.1"}
    assert page.console_errors == []
    expect(page.locator("#day-label")).to_have_text("27 Nov 2024")
    assert "unknown, not unchanged" in page.locator("#coverage-note").inner_text()


def test_moving_slider_to_30_nov_turns_aleppo_to_opposition(page):
    assert page.evaluate(JS_MARKER, "aleppo")["color"] == CONTROLLER_COLORS["government"]
    slider_to(page, 3)
    expect(page.locator("#day-label")).to_have_text("30 Nov 2024")
    assert page.locator("#date-slider [role=slider]").get_attribute("aria-valuenow") == "3"
    assert page.evaluate(JS_MARKER, "aleppo")["color"] == CONTROLLER_COLORS["opposition"]
    expect(page.locator("#day-summary")).to_contain_text("central Aleppo")
    slider_to(page, 2)
    assert page.evaluate(JS_MARKER, "aleppo")["color"] == CONTROLLER_COLORS["government"]


def test_clicking_aleppo_shows_its_excerpt_in_source_panel(page):
    slider_to(page, 3)
    point = page.evaluate(JS_MARKER, "aleppo")
    page.mouse.move(point["x"], point["y"])
    time.sleep(0.15)  # plotly needs a hover before a click on a geo point
    page.mouse.click(point["x"], point["y"])
    panel = page.locator("#source-panel")
    panel.locator("mark").first.wait_for(timeout=10_000)
    text = panel.inner_text()
    assert "On Nov. 30, anti-regime groups captured much of central Aleppo" in text
    assert "30 Nov 2024 (stated in the source)" in text
    assert "Erdoğan says Assad declined request for talks on Syria" in text
    assert "geocoder:geonames" in text
    assert page.locator("#source-panel .event.on-day").count() >= 1
    assert page.console_errors == []


def test_play_advances_day_by_day_and_stops_at_the_end(page):
    slider_to(page, 7)
    page.click("#play-button")
    page.wait_for_function(f"() => ({JS_MAP_DAY})() === '8'", timeout=10_000)
    assert page.locator("#play-button").get_attribute("aria-pressed") == "true"
    page.wait_for_function(f"() => ({JS_MAP_DAY})() === '9'", timeout=10_000)
    page.wait_for_function("() => document.querySelector('#play-button').getAttribute('aria-pressed') === 'false'", timeout=10_000)
    time.sleep(2)  # longer than one step: it must not wrap around or run on
    assert page.evaluate(JS_MAP_DAY) == "9"
    expect(page.locator("#day-label")).to_have_text("6 Dec 2024")


def test_events_mode_hides_places_without_events_that_day(page):
    slider_to(page, 3)
    page.get_by_label("What happened on the day").check()
    page.wait_for_function("() => document.querySelector('#map .js-plotly-plot').getAttribute('data-mode') === 'events'")
    assert page.evaluate(JS_MARKER, "aleppo") is not None
    assert page.evaluate(JS_MARKER, "damascus") is None  # only named on 6 Dec
    assert page.evaluate(JS_MARKER, "khan-shaykhun")["text"] == "?"  # window-dated


def test_statements_abroad_are_listed_not_pinned(page):
    slider_to(page, 8)
    lane = page.locator("#lane-days .day-only[data-day='8']")  # built by map.js once Dash's callback runs
    expect(lane).to_contain_text("Ankara")
    expect(lane).to_contain_text("5 Dec 2024 (stated in the source)")
    assert page.evaluate(JS_MARKER, "ankara") is None
    lane.locator("button", has_text="Ankara").first.click()
    page.locator("#source-panel mark").first.wait_for(timeout=10_000)
    assert "Guterres" in page.locator("#source-panel").inner_text()


def test_markup_in_an_excerpt_renders_as_text(tmp_path):
    hostile = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"
    events = DEFAULT_EVENTS + [event("hostile", "alpha", hostile, "2024-12-01", event_type="clashes",
                                     controller_before="", controller_after="", place_as_written="Alpha")]
    folder = write_dataset(tmp_path / "d", events=events, text=FIXTURE_TEXT + hostile + "\n")
    with running_server(dashboard_command(folder)) as (base, _), chromium() as context:
        page = context.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(base)
        page.wait_for_function(JS_MAP_READY, timeout=30_000)
        point = page.evaluate(JS_MARKER, "alpha")
        page.mouse.move(point["x"], point["y"])
        time.sleep(0.15)
        page.mouse.click(point["x"], point["y"])
        page.locator("#source-panel mark").first.wait_for(timeout=10_000)
        marks = page.locator("#source-panel mark").all_inner_texts()
        assert hostile in marks
        assert page.locator("#source-panel script, #source-panel img").count() == 0
        assert page.evaluate("() => window.__pwned") is None
        assert dialogs == []


def hover_text(page) -> str:
    return page.evaluate("() => (document.querySelector('#map .hoverlayer') || {}).textContent || ''")


def test_the_day_stays_drawn_after_plotly_redraws_the_map(page):
    """A zoom ends with Plotly redrawing every trace: the day is applied again; hidden places stay hidden and unhoverable."""
    slider_to(page, 3)
    homs = page.evaluate(JS_MARKER, "homs")  # grey in the held view
    assert homs is not None
    page.get_by_label("What happened on the day").check()
    page.wait_for_function("() => document.querySelector('#map .js-plotly-plot').getAttribute('data-mode') === 'events'")
    assert page.evaluate(JS_MARKER, "homs") is None  # no event at Homs on 30 Nov
    page.mouse.move(homs["x"], homs["y"])
    time.sleep(0.3)
    assert "Homs" not in hover_text(page)  # an invisible place cannot be hovered (or clicked)

    scale = "() => document.querySelector('#map .js-plotly-plot')._fullLayout.geo.projection.scale"
    before = page.evaluate(scale)
    page.mouse.wheel(0, -400)  # zoom in around Homs
    page.wait_for_function(f"() => ({scale})() > {before} * 1.2", timeout=10_000)
    time.sleep(0.8)  # the zoom ends with a full redraw
    assert page.evaluate(JS_MARKER, "aleppo") is None or page.evaluate(JS_MARKER, "aleppo")["color"] == CONTROLLER_COLORS["opposition"]
    assert page.evaluate(JS_MARKER, "hama")["text"] == "?"
    assert page.evaluate(JS_MARKER, "homs") is None

    page.get_by_label("Who holds what on the day").check()
    page.wait_for_function("() => document.querySelector('#map .js-plotly-plot').getAttribute('data-mode') === 'held'")
    homs = page.evaluate(JS_MARKER, "homs")
    assert homs is not None and homs["color"] == "#BDBDBD"
    page.mouse.move(homs["x"] + 20, homs["y"] + 20)
    page.mouse.move(homs["x"], homs["y"])  # shown again, at its place on the zoomed map
    page.wait_for_function("() => ((document.querySelector('#map .hoverlayer') || {}).textContent || '').includes('Homs')",
                           timeout=5_000)
    assert page.console_errors == []


def test_zoom_survives_slider_moves(page):
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    scale = "() => document.querySelector('#map .js-plotly-plot')._fullLayout.geo.projection.scale"
    before = page.evaluate(scale)
    page.mouse.wheel(0, -400)  # zoom in, as a user does
    page.wait_for_function(f"() => ({scale})() > {before} * 1.2", timeout=10_000)
    zoomed = page.evaluate(scale)
    slider_to(page, 5)
    assert page.evaluate(scale) == pytest.approx(zoomed)
