"""Pure figure builders on fixture data: who appears, in which colour and style, on a day."""

from __future__ import annotations

import pytest

from conftest import DEFAULT_EVENTS, DEFAULT_PLACES, event, place, write_dataset
from dashboard import figures, schema
from dashboard.data import load_dataset
from dashboard.figures import CONTROLLER_COLORS, UNKNOWN_COLOR, client_payload, day_view, figure_for_day, map_plan
from dashboard.model import build_timeline

NOV27, NOV29, NOV30, DEC5, DEC6 = 0, 2, 3, 8, 9


@pytest.fixture
def timeline(dataset_dir):
    return build_timeline(load_dataset(dataset_dir))


def places_on(timeline, day: int, mode: str) -> dict[str, dict]:
    """{place_id: style drawn} for the places shown on one day/mode, read from the client payload."""
    view = day_view(client_payload(timeline), day, mode)
    return {pid: style for pid, style in zip(timeline.places["place_id"], view["places"]) if style is not None}


def test_held_mode_colours_capture_from_its_stated_day(timeline):
    before, on = places_on(timeline, NOV29, "held"), places_on(timeline, NOV30, "held")
    assert before["alpha"]["color"] == CONTROLLER_COLORS["government"]
    assert on["alpha"]["color"] == CONTROLLER_COLORS["opposition"]
    assert on["alpha"]["opacity"] == 1.0 and on["alpha"]["text"] == ""
    assert "changed hands this day" in on["alpha"]["label"]


def ringed(payload: dict, day: int, mode: str = "held") -> list[int]:
    """Place indices with a "changed hands this day" ring on a day."""
    return [p for p, on in zip(payload["changed_places"], day_view(payload, day, mode)["changed"]) if on]


def test_changed_today_ring_only_on_the_day_of_a_dated_change(timeline):
    payload = client_payload(timeline)
    alpha = timeline.place_index["alpha"]
    assert ringed(payload, NOV30) == [alpha]
    assert ringed(payload, NOV29) == [] and ringed(payload, DEC5) == []
    assert ringed(payload, NOV30, "events") == []  # rings belong to the held view


def test_window_dated_capture_is_pending_during_its_window_and_done_after(timeline):
    """Bravo's capture is dated only 27 Nov-6 Dec: uncertain ('?', faded) until the window closes."""
    for day in (NOV27, NOV30, DEC5):
        bravo = places_on(timeline, day, "held")["bravo"]
        assert bravo["text"] == "?"
        assert bravo["opacity"] < 1
        assert bravo["color"] == CONTROLLER_COLORS["opposition"]  # where it is going
        assert bravo["line_color"] == CONTROLLER_COLORS["government"]  # who held it
        assert "unstated date" in bravo["label"]
    done = places_on(timeline, DEC6, "held")["bravo"]
    assert done["text"] == "" and done["opacity"] == 1.0
    assert "changed hands this day" not in done["label"]  # never shown as happening on a stated day


def test_claim_is_a_ring_in_the_claimants_colour_not_a_change_of_control(timeline):
    payload = client_payload(timeline)
    charlie = places_on(timeline, DEC5, "held")["charlie"]
    assert charlie["color"] == CONTROLLER_COLORS["sdf"]  # still the holder's colour
    claims = day_view(payload, DEC5, "held")["claims"]
    shown = [(p, colour) for p, colour in zip(payload["claim_places"], claims) if colour is not None]
    assert shown == [(timeline.place_index["charlie"], figures.ACTOR_COLORS["sna"])]


def test_place_with_no_control_information_is_grey_not_assumed(timeline):
    delta = places_on(timeline, DEC6, "held")["delta"]
    assert delta["color"] == UNKNOWN_COLOR
    assert delta["label"] == "Control not reported by the sources"


def test_places_abroad_and_unidentified_are_never_pinned(timeline):
    for day in range(len(timeline.days)):
        for mode in figures.MODES:
            assert "echo" not in places_on(timeline, day, mode)
    assert list(timeline.unpinned_event_indices(DEC5)) == [timeline.events.index[timeline.events["event_id"] == "echo-statement"][0]]


def test_events_mode_shows_only_that_days_events_with_their_certainty(timeline):
    nov30 = places_on(timeline, NOV30, "events")
    assert set(nov30) == {"alpha", "bravo", "charlie"}  # Alpha stated; Bravo/Charlie windows include the day
    assert nov30["alpha"]["text"] == "" and nov30["alpha"]["opacity"] == 1.0
    assert nov30["bravo"]["text"] == "?" and nov30["bravo"]["opacity"] == 0.5
    assert nov30["charlie"]["symbol"] == "circle-open"  # a claim is hollow
    dec5 = places_on(timeline, DEC5, "events")
    assert dec5["delta"]["symbol"] == "diamond-open"  # a statement
    assert "alpha" not in dec5


def test_area_and_approximate_places_get_their_precision_style(tmp_path):
    places = DEFAULT_PLACES + [place("zone", "Zone", 35.5, 37.5, kind="province", geo_precision="area")]
    events = DEFAULT_EVENTS + [event("zone-capture", "zone", "Rebels also seized the town of Bravo.", "2024-11-30",
                                     place_as_written="Bravo")]
    tl = build_timeline(load_dataset(write_dataset(tmp_path / "d", places=places, events=events)))
    figure = figures.base_figure(tl)
    halos = figure.data[figures.TRACE_HALOS]
    assert sorted(zip(halos.lat, halos.marker.size)) == sorted([(36.53, 30), (35.5, 44)])  # charlie approximate, zone area
    assert places_on(tl, NOV30, "held")["zone"]["symbol"] == "square"


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
    route = figures.base_figure(tl).data[map_plan(tl).routes_start]
    assert route.lat[1] == pytest.approx((36.2 + 35.44) / 2) and route.line.dash == "dash"
    assert 35.44 < route.lat[-1] < route.lat[0] < 36.2  # stops short of both ends
    payload = client_payload(tl)
    assert payload["days"][NOV30]["route_colors"] == [figures.UNKNOWN_LINE]
    assert payload["days"][DEC5]["route_colors"] == [figures.ACTOR_COLORS["sna"]]


def test_figure_for_day_applies_the_payload_to_the_base_figure(timeline):
    fig = figure_for_day(timeline, NOV30, "held")
    places = fig.data[map_plan(timeline).places]
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


def test_day_view_rejects_unknown_mode(timeline):
    with pytest.raises(ValueError, match="mode must be one of"):
        day_view(client_payload(timeline), 0, "<script>")


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
    plan = map_plan(tl)
    name = fig.data[plan.places].customdata[tl.place_index["alpha"]][1]
    assert name == "&lt;b&gt;Alpha&lt;/b&gt; &amp; &lt;a href='javascript:x'&gt;co&lt;/a&gt;"
    assert "<" not in "".join(fig.data[plan.labels].text)


# ------------------------------------------- the base figure draws every mark once


def trail_scenario(tmp_path):
    places = DEFAULT_PLACES + [place("foxtrot", "Foxtrot", 35.0, 36.0)]
    events = DEFAULT_EVENTS + [
        event("foxtrot-near", "foxtrot", "Rebels also seized the town of Bravo.", "2024-12-06", event_type="approach",
              controller_before="", controller_after="", date_basis="inferred", place_as_written="Bravo")
    ]
    return build_timeline(load_dataset(write_dataset(tmp_path / "d", places=places, events=events)))


def test_trail_groups_shown_on_a_day_add_up_to_that_days_trail(tmp_path):
    tl = trail_scenario(tmp_path)
    plan, payload = map_plan(tl), client_payload(tl)
    assert {k for k, *_ in plan.trail_groups} == {"uncertain", "approach"}  # the scenario has both
    for day in range(len(tl.days)):
        shown = day_view(payload, day, "held")["trail"]
        for kind in figures.TRAIL_KINDS:
            lat = [x for (k, _, la, _), on in zip(plan.trail_groups, shown) if on and k == kind for x in la]
            assert lat == figures.trail_for_day(tl, day)[kind][0]
        assert not any(day_view(payload, day, "events")["trail"])  # the trail belongs to the held view


def test_base_figure_has_a_point_for_every_mark_any_day_shows(timeline):
    plan, payload = map_plan(timeline), client_payload(timeline)
    fig = figures.base_figure(timeline, payload, plan)
    places = fig.data[plan.places]
    for day in range(len(timeline.days)):
        for mode in figures.MODES:
            view = day_view(payload, day, mode)
            for p, style in enumerate(view["places"]):
                if style is not None:  # shown that day: the base figure must have drawn it
                    assert places.lat[p] is not None and places.lon[p] is not None
            ever_claimed = [p for p, c in zip(payload["claim_places"], view["claims"]) if c is not None]
            assert set(ever_claimed) <= set(plan.claim_places)
    assert list(fig.data[plan.claims].lat) == [timeline.places["lat"][p] for p in plan.claim_places]
    # Day 0 held is drawn as such; marks hidden that day are transparent, not absent.
    view0 = day_view(payload, 0, "held")
    assert list(places.marker.color) == [(s or figures.HIDDEN_STYLE)["color"] for s in view0["places"]]
    assert list(fig.data[plan.changed].marker.opacity) == [1.0 if on else 0.0 for on in view0["changed"]]
    assert [t.opacity for t in fig.data[plan.trail_start:plan.places]] == [1.0 if on else 0.0 for on in view0["trail"]]


def test_a_text_node_exists_exactly_for_places_that_show_a_text_on_some_day(timeline):
    plan, payload = map_plan(timeline), client_payload(timeline)
    texts = figures.base_figure(timeline, payload, plan).data[plan.places].text
    ever = {p for d in range(len(timeline.days)) for mode in figures.MODES
            for p, s in enumerate(day_view(payload, d, mode)["places"]) if s is not None and s["text"]}
    assert ever  # the fixture has window-dated captures ("?")
    # Plotly drops the text node of an empty text: a space keeps one for the browser to fill.
    assert {p for p, t in enumerate(texts) if t != ""} == ever


def test_naive_figure_leaves_out_what_the_day_hides(timeline):
    plan = map_plan(timeline)
    fig = figure_for_day(timeline, DEC5, "events")
    places = fig.data[plan.places]
    shown = {pid for pid, lat in zip(timeline.places["place_id"], places.lat) if lat is not None}
    assert shown == set(places_on(timeline, DEC5, "events"))
    assert all(t.lat == () or all(x is None for x in t.lat) for t in fig.data[plan.trail_start:plan.places])


def test_symbol_paths_cover_every_symbol_the_styles_use(timeline):
    payload = client_payload(timeline)
    used = {s["symbol"].removesuffix("-open") for mode in figures.MODES for s in payload["styles"][mode]}
    assert used <= set(payload["symbol_paths"])


@pytest.mark.parametrize("keep_hidden", [True, False])
def test_figure_dict_built_without_plotly_serialises_as_the_validated_figure(tmp_path, keep_hidden):
    import base64
    import json

    import numpy as np

    import plotly

    places = DEFAULT_PLACES + [place("zone", "Zone", 35.5, 37.5, kind="province", geo_precision="area"),
                               place("road", "Alpha-Bravo road", None, None, kind="route", geo_precision="approximate",
                                     route_ends="alpha|bravo", coord_source="straight line")]
    tl = build_timeline(load_dataset(write_dataset(tmp_path / "d", places=places)))
    plan, payload = map_plan(tl), client_payload(tl)
    raw = figures._figure_dict(tl, plan, day_view(payload, NOV30, "held"), keep_hidden=keep_hidden)

    def plain(node):
        """plotly writes validated numeric arrays as base64 ("bdata"); compare values, not encodings."""
        if isinstance(node, dict) and set(node) == {"dtype", "bdata"}:
            return np.frombuffer(base64.b64decode(node["bdata"]), dtype=node["dtype"]).tolist()
        if isinstance(node, dict):
            return {k: plain(v) for k, v in node.items()}
        if isinstance(node, list):
            return [plain(v) for v in node]
        return node

    def as_json(figure) -> dict:
        return plain(json.loads(json.dumps(figure, cls=plotly.utils.PlotlyJSONEncoder)))

    checked = as_json(plotly.graph_objects.Figure(raw).to_plotly_json())  # validated by plotly
    assert len(raw["data"]) == plan.routes_start + 1
    assert as_json(raw) == checked
    assert as_json(figures.base_figure_dict(tl, payload, plan)) == as_json(figures.base_figure(tl, payload, plan).to_plotly_json())
