"""Pure figure builders on fixture data: who appears, in which colour and style, on a day."""

from __future__ import annotations

import pytest

from conftest import DEFAULT_EVENTS, DEFAULT_PLACES, event, place, write_dataset
from dashboard import figures, schema
from dashboard.data import load_dataset
from dashboard.figures import CONTROLLER_COLORS, UNKNOWN_COLOR, client_payload, day_payload, figure_for_day
from dashboard.model import build_timeline

NOV27, NOV29, NOV30, DEC5, DEC6 = 0, 2, 3, 8, 9


@pytest.fixture
def timeline(dataset_dir):
    return build_timeline(load_dataset(dataset_dir))


def places_on(timeline, day: int, mode: str) -> dict[str, dict]:
    """{place_id: drawn marker attributes} for one day/mode, read from the restyle payload."""
    payload = client_payload(timeline)
    updates = dict(day_payload(payload, day, mode))
    places = updates[figures.TRACE_PLACES]
    drawn = {}
    for i, pid in enumerate(timeline.places["place_id"]):
        if places["lat"][i] is None:
            continue
        drawn[pid] = {key: places[key][i] for key in ("marker.color", "marker.line.color", "marker.opacity", "marker.symbol", "text", "hovertext")}
    return drawn


def test_held_mode_colours_capture_from_its_stated_day(timeline):
    before, on = places_on(timeline, NOV29, "held"), places_on(timeline, NOV30, "held")
    assert before["alpha"]["marker.color"] == CONTROLLER_COLORS["government"]
    assert on["alpha"]["marker.color"] == CONTROLLER_COLORS["opposition"]
    assert on["alpha"]["marker.opacity"] == 1.0 and on["alpha"]["text"] == ""
    assert "changed hands this day" in on["alpha"]["hovertext"]


def test_changed_today_ring_only_on_the_day_of_a_dated_change(timeline):
    payload = client_payload(timeline)
    alpha = timeline.place_index["alpha"]
    lat = timeline.places["lat"][alpha]
    assert payload["days"][NOV30]["changed"][0] == [pytest.approx(lat)]
    assert payload["days"][NOV29]["changed"][0] == [] and payload["days"][DEC5]["changed"][0] == []


def test_window_dated_capture_is_pending_during_its_window_and_done_after(timeline):
    """Bravo's capture is dated only 27 Nov-6 Dec: uncertain ('?', faded) until the window closes."""
    for day in (NOV27, NOV30, DEC5):
        bravo = places_on(timeline, day, "held")["bravo"]
        assert bravo["text"] == "?"
        assert bravo["marker.opacity"] < 1
        assert bravo["marker.color"] == CONTROLLER_COLORS["opposition"]  # where it is going
        assert bravo["marker.line.color"] == CONTROLLER_COLORS["government"]  # who held it
        assert "unstated date" in bravo["hovertext"]
    done = places_on(timeline, DEC6, "held")["bravo"]
    assert done["text"] == "" and done["marker.opacity"] == 1.0
    assert "changed hands this day" not in done["hovertext"]  # never shown as happening on a stated day


def test_claim_is_a_ring_in_the_claimants_colour_not_a_change_of_control(timeline):
    payload = client_payload(timeline)
    charlie = places_on(timeline, DEC5, "held")["charlie"]
    assert charlie["marker.color"] == CONTROLLER_COLORS["sdf"]  # still the holder's colour
    claims = payload["days"][DEC5]
    assert len(claims["claims"][0]) == 1 and claims["claim_colors"] == [figures.ACTOR_COLORS["sna"]]


def test_place_with_no_control_information_is_grey_not_assumed(timeline):
    delta = places_on(timeline, DEC6, "held")["delta"]
    assert delta["marker.color"] == UNKNOWN_COLOR
    assert delta["hovertext"] == "Control not reported by the sources"


def test_places_abroad_and_unidentified_are_never_pinned(timeline):
    for day in range(len(timeline.days)):
        for mode in figures.MODES:
            assert "echo" not in places_on(timeline, day, mode)
    assert list(timeline.unpinned_event_indices(DEC5)) == [timeline.events.index[timeline.events["event_id"] == "echo-statement"][0]]


def test_events_mode_shows_only_that_days_events_with_their_certainty(timeline):
    nov30 = places_on(timeline, NOV30, "events")
    assert set(nov30) == {"alpha", "bravo", "charlie"}  # Alpha stated; Bravo/Charlie windows include the day
    assert nov30["alpha"]["text"] == "" and nov30["alpha"]["marker.opacity"] == 1.0
    assert nov30["bravo"]["text"] == "?" and nov30["bravo"]["marker.opacity"] == 0.5
    assert nov30["charlie"]["marker.symbol"] == "circle-open"  # a claim is hollow
    dec5 = places_on(timeline, DEC5, "events")
    assert dec5["delta"]["marker.symbol"] == "diamond-open"  # a statement
    assert "alpha" not in dec5


def test_area_and_approximate_places_get_their_precision_style(tmp_path):
    places = DEFAULT_PLACES + [place("zone", "Zone", 35.5, 37.5, kind="province", geo_precision="area")]
    events = DEFAULT_EVENTS + [event("zone-capture", "zone", "Rebels also seized the town of Bravo.", "2024-11-30",
                                     place_as_written="Bravo")]
    tl = build_timeline(load_dataset(write_dataset(tmp_path / "d", places=places, events=events)))
    figure = figures.base_figure(tl)
    halos = figure.data[figures.TRACE_HALOS]
    assert sorted(zip(halos.lat, halos.marker.size)) == sorted([(36.53, 30), (35.5, 44)])  # charlie approximate, zone area
    assert places_on(tl, NOV30, "held")["zone"]["marker.symbol"] == "square"


def test_trail_grows_with_known_captures_and_approach_stops_short(tmp_path):
    places = DEFAULT_PLACES + [place("foxtrot", "Foxtrot", 35.0, 36.0)]
    events = DEFAULT_EVENTS + [
        event("foxtrot-near", "foxtrot", "Rebels also seized the town of Bravo.", "2024-12-06", event_type="approach",
              controller_before="", controller_after="", date_basis="inferred", place_as_written="Bravo")
    ]
    tl = build_timeline(load_dataset(write_dataset(tmp_path / "d", places=places, events=events)))
    assert figures.trail_for_day(tl, NOV29) == {"known": ([], []), "uncertain": ([], []), "approach": ([], [])}
    dec6 = figures.trail_for_day(tl, DEC6)
    # Alpha (stated 30 Nov) then Bravo (window closes 6 Dec): the segment into Bravo is uncertain.
    assert dec6["known"] == ([], [])
    assert dec6["uncertain"][0] == [pytest.approx(36.2), pytest.approx(35.44), None]
    # The approach to Foxtrot ends short of it.
    tip_lat = dec6["approach"][0][1]
    assert tip_lat != pytest.approx(35.0) and min(35.0, 35.44) < tip_lat < max(35.0, 35.44)


def test_route_is_a_line_between_its_ends_coloured_by_its_claimant(tmp_path):
    places = DEFAULT_PLACES + [place("road", "Alpha-Bravo road", None, None, kind="route", geo_precision="approximate",
                                     route_ends="alpha|bravo", coord_source="straight line")]
    events = DEFAULT_EVENTS + [event("road-cut", "road", "The group claims to have encircled Charlie from three sides.",
                                     "2024-12-01", event_type="route_cut", actor="sna", controller_before="",
                                     controller_after="", claim_status="claimed", place_as_written="Charlie")]
    tl = build_timeline(load_dataset(write_dataset(tmp_path / "d", places=places, events=events)))
    route = figures.base_figure(tl).data[figures.TRACE_ROUTES_START]
    assert route.lat[1] == pytest.approx((36.2 + 35.44) / 2) and route.line.dash == "dash"
    assert 35.44 < route.lat[-1] < route.lat[0] < 36.2  # stops short of both ends
    payload = client_payload(tl)
    assert payload["days"][NOV30]["route_colors"] == [figures.UNKNOWN_LINE]
    assert payload["days"][DEC5]["route_colors"] == [figures.ACTOR_COLORS["sna"]]


def test_figure_for_day_applies_the_payload_to_the_base_figure(timeline):
    fig = figure_for_day(timeline, NOV30, "held")
    places = fig.data[figures.TRACE_PLACES]
    alpha = timeline.place_index["alpha"]
    assert places.marker.color[alpha] == CONTROLLER_COLORS["opposition"]
    assert fig.layout.uirevision == "keep"


def test_base_figure_keeps_basemap_geometry_out_of_the_figure(timeline):
    fig = figures.base_figure(timeline)
    governorates = fig.data[figures.TRACE_GOVERNORATES]
    assert governorates.geojson == figures.GOVERNORATES_URL  # a URL, never inlined GeoJSON
    assert len(fig.to_json()) < 20_000


def test_legend_explains_every_controller_colour():
    labels = {e["label"] for e in figures.legend_entries()}
    for code in schema.CONTROLLERS:
        assert schema.CONTROLLERS[code].label in labels


def test_day_payload_rejects_unknown_mode(timeline):
    with pytest.raises(ValueError, match="mode must be one of"):
        day_payload(client_payload(timeline), 0, "<script>")


def test_trail_visits_a_place_once_however_many_events_it_has(tmp_path):
    events = DEFAULT_EVENTS + [
        event("alpha-again", "alpha", "On Nov. 30, rebels captured Alpha after a rapid advance.", "2024-12-02",
              controller_before="", controller_after="", event_type="advance")
    ]
    tl = build_timeline(load_dataset(write_dataset(tmp_path / "d", events=events)))
    assert [tl.places.iloc[p.place_index]["place_id"] for p in tl.trail] == ["alpha", "bravo"]


def test_markup_in_place_names_is_escaped_for_plotly_labels(tmp_path):
    places = [dict(p) for p in DEFAULT_PLACES]
    places[0]["name"] = "<b>Alpha</b> & <a href='javascript:x'>co</a>"
    tl = build_timeline(load_dataset(write_dataset(tmp_path / "d", places=places)))
    fig = figures.base_figure(tl)
    name = fig.data[figures.TRACE_PLACES].customdata[tl.place_index["alpha"]][1]
    assert name == "&lt;b&gt;Alpha&lt;/b&gt; &amp; &lt;a href='javascript:x'&gt;co&lt;/a&gt;"
    assert "<" not in "".join(fig.data[figures.TRACE_LABELS].text)
