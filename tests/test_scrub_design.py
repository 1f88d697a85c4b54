"""The design that makes scrubbing fast, guarded by tests (not timings).

- The day states precomputed (vectorised) by build_timeline equal a direct computation
  with the reference per-place functions held_state_for / event_mark_for / claimant_for.
- Moving the slider makes no server round trip: the browser shows the day itself.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import DEFAULT_EVENTS, DEFAULT_PLACES, event, place, write_dataset
from dashboard import figures
from dashboard.data import load_dataset
from dashboard.model import NONE, build_timeline, claimant_for, event_mark_for, held_state_for

ROOT = Path(__file__).resolve().parent.parent
RECORD_KEYS = ("line", "date_start_day", "date_end_day", "date_basis", "event_type", "actor",
               "controller_before", "controller_after", "claim_status")

ALPHA = "On Nov. 30, rebels captured Alpha after a rapid advance."
BRAVO = "Rebels also seized the town of Bravo."
CHARLIE = "The group claims to have encircled Charlie from three sides."
DELTA = "\"Delta is the target,\" an official said on Dec. 5 in Echo."


def _make_scale_data():
    spec = importlib.util.spec_from_file_location("make_scale_data", ROOT / "benchmarks" / "make_scale_data.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_scale_data", module)
    spec.loader.exec_module(module)
    return module


def tricky_dataset(folder: Path) -> Path:
    """Fixture data with the cases that matter: overlapping windows, claims, ties, several changes a day."""
    places = DEFAULT_PLACES + [
        place("foxtrot", "Foxtrot", 35.0, 36.0, kind="area", geo_precision="area"),
        place("golf", "Golf", 34.7, 36.7, kind="town"),
        place("road", "Alpha-Bravo road", None, None, kind="route", geo_precision="approximate",
              route_ends="alpha|bravo", coord_source="straight line"),
    ]
    quiet = dict(controller_before="", controller_after="")
    events = DEFAULT_EVENTS + [
        # Alpha: retaken by the government inside a window, then a dated SDF change the same day it closes.
        event("alpha-back", "alpha", ALPHA, "2024-12-01", "2024-12-03", actor="government",
              controller_before="opposition", controller_after="government"),
        event("alpha-sdf", "alpha", ALPHA, "2024-12-03", actor="sdf", controller_before="government",
              controller_after="sdf", date_basis="inferred"),
        event("alpha-claim", "alpha", ALPHA, "2024-12-02", actor="sna", controller_before="",
              controller_after="sna", claim_status="claimed"),
        event("alpha-clash", "alpha", ALPHA, "2024-11-30", event_type="clashes", actor="contested", **quiet),
        # Bravo: a second, overlapping window (two pending changes), and a claim with no actor.
        event("bravo-sna", "bravo", BRAVO, "2024-11-29", "2024-12-02", actor="sna", controller_before="government",
              controller_after="sna", place_as_written="Bravo"),
        event("bravo-claim-anon", "bravo", BRAVO, "2024-12-04", actor="", claim_status="claimed",
              event_type="statement", place_as_written="Bravo", **quiet),
        event("bravo-claim", "bravo", BRAVO, "2024-12-01", actor="sdf", claim_status="claimed",
              event_type="clashes", place_as_written="Bravo", **quiet),
        # Charlie: events of equal significance on one day (tie broken by claim, certainty, line).
        event("charlie-a", "charlie", CHARLIE, "2024-11-28", event_type="clashes", actor="sdf", **quiet,
              place_as_written="Charlie"),
        event("charlie-b", "charlie", CHARLIE, "2024-11-28", event_type="clashes", actor="sna", **quiet,
              date_basis="inferred", place_as_written="Charlie"),
        event("charlie-c", "charlie", CHARLIE, "2024-11-27", "2024-11-29", event_type="clashes", actor="government",
              **quiet, place_as_written="Charlie"),
        # Foxtrot, an area: captured on the first day, before any controller is named.
        event("foxtrot-capture", "foxtrot", BRAVO, "2024-11-27", controller_before="", place_as_written="Bravo"),
        event("foxtrot-approach", "golf", BRAVO, "2024-12-05", event_type="approach", place_as_written="Bravo", **quiet),
        event("road-cut", "road", CHARLIE, "2024-12-01", event_type="route_cut", actor="sna", claim_status="claimed",
              place_as_written="Charlie", **quiet),
    ]
    return write_dataset(folder, places=places, events=events)


def direct_states(timeline):
    """Call the reference functions for every place on every day."""
    events = timeline.events
    records = events[list(RECORD_KEYS)].astype(object).where(events[list(RECORD_KEYS)].notna(), "").to_dict("records")
    by_place: dict[int, list[dict]] = {}
    for record, p in zip(records, events["_place_index"]):
        record["line"], record["date_start_day"], record["date_end_day"] = (
            int(record["line"]), int(record["date_start_day"]), int(record["date_end_day"]))
        by_place.setdefault(int(p), []).append(record)
    n_days, n_places = len(timeline.days), len(timeline.places)
    held = [[held_state_for(by_place.get(p, []), d) for p in range(n_places)] for d in range(n_days)]
    marks = [[event_mark_for(by_place.get(p, []), d) for p in range(n_places)] for d in range(n_days)]
    claims = [[claimant_for(by_place.get(p, []), d) for p in range(n_places)] for d in range(n_days)]
    return held, marks, claims


def assert_matches_direct_computation(timeline):
    held, marks, claims = direct_states(timeline)
    n_days, n_places = len(timeline.days), len(timeline.places)
    assert timeline.held.shape == timeline.marks.shape == timeline.claims.shape == (n_days, n_places)
    for d in range(n_days):
        for p in range(n_places):
            where = f"day {d}, place {timeline.places['place_id'][p]}"
            assert timeline.held_states[timeline.held[d, p]] == held[d][p], where
            code = timeline.marks[d, p]
            assert (None if code == NONE else timeline.event_marks[code]) == marks[d][p], where
            code = timeline.claims[d, p]
            assert (("" if code == NONE else timeline.claimants[code]) or "") == claims[d][p], where
    # The event lists behind the lanes and the source panel.
    start = timeline.events["date_start_day"].to_numpy()
    end = timeline.events["date_end_day"].to_numpy()
    for d in range(n_days):
        assert timeline.events_by_day[d].tolist() == np.flatnonzero((start <= d) & (d <= end)).tolist()
    order = timeline.events.assign(_j=range(len(timeline.events))).sort_values(["date_start_day", "date_end_day", "line"])
    expected = {int(p): group["_j"].tolist() for p, group in order.groupby("_place_index", sort=False)}
    assert {p: v.tolist() for p, v in timeline.events_by_place.items()} == expected


def test_precomputed_day_states_equal_the_reference_functions_on_fixture_data(tmp_path):
    timeline = build_timeline(load_dataset(tricky_dataset(tmp_path / "d")))
    assert_matches_direct_computation(timeline)
    # The fixture exercises what it means to: pending changes, same-day changes, claims, ties.
    states = set(timeline.held_states)
    assert any(s.pending for s in states) and any(s.changed_today for s in states)
    assert any(m.count > 1 for m in timeline.event_marks) and timeline.claimants


def test_precomputed_day_states_equal_the_reference_functions_on_generated_data(tmp_path):
    make = _make_scale_data()
    folder = tmp_path / "scale"
    make.make(events=600, places=60, out=folder, seed=3)
    timeline = build_timeline(load_dataset(folder))
    assert len(timeline.events) == 600
    assert_matches_direct_computation(timeline)


def test_payload_styles_follow_the_reference_states(tmp_path):
    """What the browser draws for each place and day comes from the same states."""
    timeline = build_timeline(load_dataset(tricky_dataset(tmp_path / "d")))
    held, _, _ = direct_states(timeline)
    payload = figures.client_payload(timeline)
    is_area = timeline.places["kind"].isin(figures.AREA_KINDS).to_numpy()
    for d in range(len(timeline.days)):
        places = figures.day_view(payload, d, "held")["places"]
        for p in np.flatnonzero(timeline.pinned):
            assert places[p]["color"] == figures.held_style(held[d][p], bool(is_area[p])).color


def test_scale_generator_is_deterministic_and_valid(tmp_path):
    make = _make_scale_data()
    a, b = tmp_path / "a", tmp_path / "b"
    make.make(events=300, places=40, out=a, seed=9)
    make.make(events=300, places=40, out=b, seed=9)
    for name in ("sources.csv", "places.csv", "events.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    dataset = load_dataset(a)  # raises DataError if anything is invalid
    events = dataset.events
    assert set(events["date_basis"]) == {"stated", "inferred", "bounded"}
    assert set(events["claim_status"]) == {"reported", "claimed", "statement"}
    assert (events["controller_after"].fillna("") != "").any()
    assert set(dataset.places["geo_precision"]) >= {"exact", "approximate", "area", "unidentified"}
    assert (dataset.places["kind"] == "route").any()


# ---------------------------------------------------------------- in the browser


@pytest.mark.browser
def test_scrubbing_makes_no_server_round_trip(tmp_path):
    from dashboard.testing import JS_MAP_DAY, JS_MARKER, chromium, dashboard_command, running_server

    folder = tricky_dataset(tmp_path / "d")
    with running_server(dashboard_command(folder)) as (base, _process), chromium() as context:
        page = context.new_page()
        page.goto(base + "/")
        page.wait_for_function("() => { const gd = document.querySelector('#map .js-plotly-plot');"
                               " return gd && gd.getAttribute('data-day') === '0'; }", timeout=60_000)
        page.wait_for_load_state("networkidle")
        calls: list[str] = []
        page.on("request", lambda request: calls.append(request.url) if "/_dash-update-component" in request.url else None)

        thumb = page.locator("#date-slider [role=slider]")
        thumb.focus()
        seen = []
        for key, day in (("ArrowRight", 1), ("ArrowRight", 2), ("ArrowRight", 3), ("End", 9), ("ArrowLeft", 8), ("Home", 0)):
            page.keyboard.press(key)
            page.wait_for_function(f"() => document.querySelector('#map .js-plotly-plot').getAttribute('data-day') === '{day}'",
                                   timeout=20_000)
            seen.append(page.evaluate(JS_MAP_DAY))
        page.wait_for_timeout(300)  # let any late request show up
        assert seen == ["1", "2", "3", "9", "8", "0"]
        assert calls == []
        # And the marker really changed: Alpha is drawn in the opposition's colour on 30 Nov (day 3).
        page.keyboard.press("End")
        page.keyboard.press("Home")
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.wait_for_function("() => document.querySelector('#map .js-plotly-plot').getAttribute('data-day') === '3'")
        assert page.evaluate(JS_MARKER, "alpha")["color"] == figures.CONTROLLER_COLORS["opposition"]
        assert calls == []
