"""Sharing, exporting and reading without a mouse, in headless Chromium."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import shapely.geometry
from playwright.sync_api import expect

from dashboard.figures import CONTROLLER_COLORS
from dashboard.testing import JS_MAP_DAY, JS_MAP_READY, JS_MARKER, chromium, dashboard_command, running_server

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[1] / "benchmarks" / "out"


@pytest.fixture(scope="module")
def server():
    with running_server(dashboard_command()) as (base, _process):
        yield base


@pytest.fixture
def context():
    with chromium() as ctx:
        yield ctx


def open_page(context, url):
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(JS_MAP_READY, timeout=30_000)
    return page


def wait_day(page, day):
    page.wait_for_function(f"() => ({JS_MAP_DAY})() === '{day}'", timeout=10_000)


def test_shared_url_restores_date_place_and_mode(server, context):
    page = open_page(context, server + "/?date=2024-11-30&place=aleppo&mode=events")
    wait_day(page, 3)
    expect(page.locator("#day-label")).to_have_text("30 Nov 2024")
    expect(page.locator("input[value=events]")).to_be_checked()
    page.locator("#source-panel mark").first.wait_for(timeout=10_000)
    assert page.locator("#panel-place-name").inner_text() == "Aleppo"
    assert page.locator("#url-notice").inner_text() == ""


def test_moving_slider_updates_url_and_back_forward_step_through_views(server, context):
    page = open_page(context, server + "/")
    thumb = page.locator("#date-slider [role=slider]")
    thumb.focus()
    thumb.press("ArrowRight")
    wait_day(page, 1)
    page.wait_for_function("() => location.search.includes('date=2024-11-28')")
    thumb.press("ArrowRight")
    wait_day(page, 2)
    page.wait_for_function("() => location.search.includes('date=2024-11-29')")
    page.go_back()
    wait_day(page, 1)
    assert "date=2024-11-28" in page.url
    page.go_forward()
    wait_day(page, 2)
    expect(page.locator("#day-label")).to_have_text("29 Nov 2024")


def test_bad_url_values_fall_back_with_a_visible_notice(server, context):
    page = open_page(context, server + "/?date=2025-02-30&mode=%3Cscript%3E&place=atlantis")
    page.wait_for_function("() => document.querySelector('#url-notice').innerText.length > 0")
    notice = page.locator("#url-notice").inner_text()
    assert "No data for date" in notice and "Unknown view" in notice and "No place" in notice
    expect(page.locator("#day-label")).to_have_text("27 Nov 2024")
    assert page.evaluate(JS_MARKER, "aleppo")["color"] == CONTROLLER_COLORS["government"]


def test_exports_download_and_parse(server, context):
    page = open_page(context, server + "/?date=2024-11-30&mode=held")
    wait_day(page, 3)
    with page.expect_download() as info:
        page.click("#export-geojson")
    download = info.value
    assert download.suggested_filename == "syria-offensive-2024-11-30-held.geojson"
    collection = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    aleppo = next(f for f in collection["features"] if f["id"] == "aleppo")
    assert shapely.geometry.shape(aleppo["geometry"]).x == pytest.approx(37.16117)
    assert aleppo["properties"]["controller_on_date"] == "opposition"
    with page.expect_download() as info:
        page.click("#export-csv")
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert any(r["event_id"] == "aleppo-central-capture" for r in rows)
    assert {r["export_date_filter"] for r in rows} == {"2024-11-30"}


def test_selecting_a_table_row_opens_its_source(server, context):
    page = open_page(context, server + "/")
    page.locator("#event-table td[data-dash-column=place]", has_text="Khan Shaykhun").first.click()
    page.locator("#source-panel mark").first.wait_for(timeout=10_000)
    assert page.locator("#panel-place-name").inner_text() == "Khan Shaykhun"
    assert "They also seized the town of Khan Shaykhun" in page.locator("#source-panel").inner_text()
    page.keyboard.press("ArrowDown")  # keyboard navigation moves to the next row and opens it
    page.wait_for_function("() => document.querySelector('#panel-place-name').innerText !== 'Khan Shaykhun'")


def test_slider_highlights_the_days_rows_and_updates_the_live_summary(server, context):
    page = open_page(context, server + "/")
    live = page.locator("#day-summary")
    assert live.get_attribute("aria-live") == "polite"
    first = live.inner_text()
    thumb = page.locator("#date-slider [role=slider]")
    thumb.focus()
    for _ in range(3):
        thumb.press("ArrowRight")
    wait_day(page, 3)
    expect(live).to_contain_text("1 reported capture (central Aleppo)")  # the map may be drawn a moment before
    assert live.inner_text() != first
    aleppo_row = page.locator("#event-table tr", has=page.locator("td[data-dash-column=place]", has_text="Aleppo")).first
    expect(aleppo_row.locator("td").first).to_have_css("background-color", "rgb(255, 243, 196)")


def test_mobile_viewport_keeps_map_slider_and_panel_usable(server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium((390, 844)) as context:
        page = open_page(context, server + "/?date=2024-11-30&place=aleppo")
        page.locator("#source-panel mark").first.wait_for(timeout=10_000)
        map_box = page.locator("#map").bounding_box()
        panel_box = page.locator("#source-panel").bounding_box()
        play_box = page.locator("#play-button").bounding_box()
        assert 340 <= map_box["width"] <= 390 and map_box["height"] >= 240
        assert panel_box["y"] > map_box["y"] + map_box["height"]  # the panel is a sheet below the map
        assert play_box["height"] >= 44 and play_box["width"] >= 44  # big enough to touch
        thumb = page.locator("#date-slider [role=slider]")
        thumb.focus()
        thumb.press("ArrowRight")
        wait_day(page, 4)
        page.screenshot(path=str(SHOTS / "mobile.png"), full_page=False)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways scrolling


def test_every_control_has_a_label(server, context):
    page = open_page(context, server + "/")
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('button, input, [role=slider], select')]
        .filter(el => el.offsetParent !== null)
        .filter(el => !(el.getAttribute('aria-label') || el.innerText.trim() || (el.labels && el.labels.length)
                        || el.getAttribute('aria-labelledby')))
        .map(el => el.outerHTML.slice(0, 120))""")
    assert unlabelled == []
    thumb = page.locator("#date-slider [role=slider]")
    assert thumb.get_attribute("aria-valuetext") == "27 Nov 2024"
