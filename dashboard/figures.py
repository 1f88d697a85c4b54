"""Pure figure builders: the base map and what changes on each day.

`base_figure` builds the figure once.  `day_payload` says, for one day and mode, which
trace attributes take which values; the browser applies it with Plotly.restyle (see
assets/map.js) and `figure_for_day` applies it in Python (tests, the naive baseline).
Visual encodings are decided here and only here; `legend_entries` describes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from . import schema
from .model import NONE, EventMark, HeldState, Timeline

# Okabe-Ito, a palette readers with colour-vision deficiencies can tell apart.
CONTROLLER_COLORS = {
    "opposition": "#009E73",  # bluish green
    "government": "#D55E00",  # vermillion
    "sna": "#0072B2",  # blue
    "sdf": "#E69F00",  # orange
    "contested": "#CC79A7",  # reddish purple
}
ACTOR_COLORS = {**CONTROLLER_COLORS, "turkiye": "#56B4E9", "lebanon": "#999999"}
UNKNOWN_COLOR = "#BDBDBD"
UNKNOWN_LINE = "#757575"
INK = "#1A1A1A"

MODES = ("held", "events")
MODE_LABELS = {"held": "Who holds what on the day", "events": "What happened on the day"}

# Trace order is part of the contract with assets/map.js (it restyles by index).
TRACE_GOVERNORATES = 0
TRACE_HALOS = 1
TRACE_TRAIL_KNOWN = 2
TRACE_TRAIL_UNCERTAIN = 3
TRACE_APPROACH = 4
TRACE_PLACES = 5
TRACE_CLAIMS = 6
TRACE_CHANGED = 7
TRACE_LABELS = 8
TRACE_ROUTES_START = 9  # one line trace per route from here on

# The map's frame: Syria with its neighbours' edges; plotly draws only this window.
GEO_LON_RANGE = (32.2, 45.4)
GEO_LAT_RANGE = (32.0, 37.6)
BASEMAP_URL = "/basemap/"
GOVERNORATES_URL = BASEMAP_URL + "syria_governorates.geojson"
# ISO 3166-2 ids of the features in data/basemap/syria_governorates.geojson.
GOVERNORATE_IDS = (
    "SY-DI", "SY-DR", "SY-DY", "SY-HA", "SY-HI", "SY-HL", "SY-HM",
    "SY-ID", "SY-LA", "SY-QU", "SY-RA", "SY-RD", "SY-SU", "SY-TA",
)

AREA_KINDS = frozenset({"area", "province"})
ROUTE_VERTICES = (0.08, 0.5, 0.92)  # fractions of the way from a route's first end to its second
LABELLED_KINDS = frozenset({"city"})


@dataclass(frozen=True)
class MarkerStyle:
    """How one interned state is drawn; `label` is the hover line for it."""

    color: str
    line_color: str
    line_width: float
    opacity: float
    symbol: str
    text: str
    label: str


def plotly_text(value: str) -> str:
    """`value` escaped for Plotly's text/hover labels (which interpret <b>, <a>, <br>...)."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _controller_label(code: str) -> str:
    return schema.CONTROLLERS[code].label if code else "Control not reported"


def held_style(state: HeldState, is_area: bool) -> MarkerStyle:
    """Marker style for a place's held state (see legend_entries for the meaning)."""
    symbol = "square" if is_area else "circle"
    if state.pending:
        before = _controller_label(state.controller)
        return MarkerStyle(
            color=CONTROLLER_COLORS[state.pending],
            line_color=CONTROLLER_COLORS.get(state.controller, UNKNOWN_LINE),
            line_width=3,
            opacity=0.55,
            symbol=symbol,
            text="?",
            label=(
                f"{before}; changes to {_controller_label(state.pending)} at an unstated date "
                f"within this window"
            ),
        )
    if not state.controller:
        return MarkerStyle(UNKNOWN_COLOR, UNKNOWN_LINE, 1, 0.9, symbol, "", "Control not reported by the sources")
    label = f"Held by {_controller_label(state.controller)}"
    if state.changed_today:
        label += f" - changed hands this day ({schema.DATE_BASIS[state.basis].label.lower()} date)"
    elif state.basis == "bounded":
        label += " (changed at an unstated date; now past its window)"
    return MarkerStyle(CONTROLLER_COLORS[state.controller], "#FFFFFF", 1.5, 1.0, symbol, "", label)


def event_style(mark: EventMark, is_area: bool) -> MarkerStyle:
    """Marker style for the most significant event at a place on a day."""
    if mark.claim_status == "statement":
        symbol = "diamond-open"
    elif mark.claim_status == "claimed":
        symbol = "circle-open"
    else:
        symbol = "square" if is_area else "circle"
    color = ACTOR_COLORS.get(mark.actor, UNKNOWN_LINE)
    opacity = {"stated": 1.0, "inferred": 0.85, "bounded": 0.5}[mark.certainty]
    text = {"stated": "", "inferred": "~", "bounded": "?"}[mark.certainty]
    actor = schema.ACTORS[mark.actor].label if mark.actor else "Unnamed party"
    when = {
        "stated": "on this date (stated)",
        "inferred": "on this date (inferred, not stated)",
        "bounded": "at an unstated date within a window that includes this day",
    }[mark.certainty]
    label = f"{schema.EVENT_TYPES[mark.event_type].label} by {actor}, {schema.CLAIM_STATUS[mark.claim_status].label.lower()}, {when}"
    if mark.count > 1:
        label += f" (+{mark.count - 1} more)"
    line_width = 2.5 if symbol.endswith("-open") else 1.5
    line_color = color if symbol.endswith("-open") else "#FFFFFF"
    return MarkerStyle(color, line_color, line_width, opacity, symbol, text, label)


def _style_dict(style: MarkerStyle) -> dict:
    return {
        "color": style.color,
        "line_color": style.line_color,
        "line_width": style.line_width,
        "opacity": style.opacity,
        "symbol": style.symbol,
        "text": style.text,
        "label": style.label,
    }


def _place_points(timeline: Timeline) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    places = timeline.places
    lat = places["lat"].to_numpy(dtype="float64", na_value=np.nan)
    lon = places["lon"].to_numpy(dtype="float64", na_value=np.nan)
    is_area = places["kind"].isin(AREA_KINDS).to_numpy()
    return lat, lon, is_area


def _approach_tip(lat0: float, lon0: float, lat1: float, lon1: float, fraction: float = 0.8) -> tuple[float, float]:
    """A point `fraction` of the way from (lat0, lon0) to (lat1, lon1): an approach stops short."""
    return lat0 + (lat1 - lat0) * fraction, lon0 + (lon1 - lon0) * fraction


def _trail_all(timeline: Timeline) -> tuple[dict[str, tuple[list, list]], dict[str, np.ndarray], np.ndarray]:
    """The trail on the last day, plus, after each trail point, how long each list is.

    build_trail orders points by the day they become known, so the trail of any day is
    a prefix of this one: trail_for_day slices it instead of walking it again.
    Returns (lines, lengths per line after each point, day_known per point).
    """
    lat, lon, _ = _place_points(timeline)
    known: tuple[list, list] = ([], [])
    uncertain: tuple[list, list] = ([], [])
    approach: tuple[list, list] = ([], [])
    n = len(timeline.trail)
    lengths = {key: np.zeros(n, dtype=np.int64) for key in ("known", "uncertain", "approach")}
    day_known = np.array([point.day_known for point in timeline.trail], dtype=np.int64)
    reached = np.zeros(n, dtype=np.int64)
    n_reached = 0
    previous: int | None = None
    for k, point in enumerate(timeline.trail):
        p = point.place_index
        if point.is_approach:
            if n_reached:
                # The nearest place already reached (first one on a tie, as min() would pick).
                candidates = reached[:n_reached]
                origin = int(candidates[np.argmin(np.hypot(lat[candidates] - lat[p], lon[candidates] - lon[p]))])
                tip = _approach_tip(lat[origin], lon[origin], lat[p], lon[p])
                approach[0].extend([lat[origin], tip[0], None])
                approach[1].extend([lon[origin], tip[1], None])
        else:
            if previous is not None and previous != p:
                target = known if point.basis != "bounded" else uncertain
                target[0].extend([lat[previous], lat[p], None])
                target[1].extend([lon[previous], lon[p], None])
            previous = p
            reached[n_reached] = p
            n_reached += 1
        lengths["known"][k] = len(known[0])
        lengths["uncertain"][k] = len(uncertain[0])
        lengths["approach"][k] = len(approach[0])
    return {"known": known, "uncertain": uncertain, "approach": approach}, lengths, day_known


def _trail_slice(trail: tuple, day: int) -> dict[str, tuple[list, list]]:
    lines, lengths, day_known = trail
    k = int(np.searchsorted(day_known, day, side="right"))
    out = {}
    for key, (la, lo) in lines.items():
        size = int(lengths[key][k - 1]) if k else 0
        out[key] = (la[:size], lo[:size])
    return out


def trail_for_day(timeline: Timeline, day: int) -> dict[str, tuple[list, list]]:
    """Trail line coordinates on day index `day`: known segments, uncertain segments, approach arrows.

    A vertex joins the trail once its event is certain to have happened (its window has
    closed).  A segment into a vertex dated only by a window is drawn as uncertain.
    An approach is an arrow that stops short of the place, never a vertex.
    """
    day_known = [point.day_known for point in timeline.trail]
    if any(b < a for a, b in zip(day_known, day_known[1:])):
        # Not in the order build_trail gives: keep only the points known by `day`, in order.
        from dataclasses import replace

        return _trail_all(replace(timeline, trail=tuple(p for p in timeline.trail if p.day_known <= day)))[0]
    return _trail_slice(_trail_all(timeline), day)


def _subset(mask: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> tuple[list, list]:
    return lat[mask].tolist(), lon[mask].tolist()


def client_payload(timeline: Timeline) -> dict:
    """Everything the browser needs to redraw any day in either mode without asking the server.

    Per-place states travel as small integer codes into style tables, so the payload
    grows with places x days, not with the number of events.
    """
    lat, lon, is_area = _place_points(timeline)
    pinned = timeline.pinned
    n_days = len(timeline.days)

    # Interned states x area/point -> style tables (code*2 + is_area).
    held_styles = [_style_dict(held_style(s, area)) for s in timeline.held_states for area in (False, True)]
    mark_styles = [_style_dict(event_style(m, area)) for m in timeline.event_marks for area in (False, True)]
    area_bit = is_area.astype(np.int32)
    held_codes = np.where(pinned, timeline.held * 2 + area_bit, NONE)
    mark_codes = np.where(pinned & (timeline.marks != NONE), timeline.marks * 2 + area_bit, NONE)
    changed_today = np.array([s.changed_today for s in timeline.held_states], dtype=bool)
    claimant_colors = np.array([ACTOR_COLORS.get(c, INK) for c in timeline.claimants] or [INK], dtype=object)
    trail = _trail_all(timeline)

    days = []
    for d in range(n_days):
        today = _trail_slice(trail, d)
        claim_mask = pinned & (timeline.claims[d] != NONE)
        changed_mask = pinned & changed_today[timeline.held[d]]
        days.append(
            {
                "held": held_codes[d].tolist(),
                "events": mark_codes[d].tolist(),
                "trail_known": today["known"],
                "trail_uncertain": today["uncertain"],
                "approach": today["approach"],
                "claims": _subset(claim_mask, lat, lon),
                "claim_colors": claimant_colors[timeline.claims[d][claim_mask]].tolist(),
                "changed": _subset(changed_mask, lat, lon),
                "route_colors": [_route_color(timeline, route, d) for route in timeline.routes],
            }
        )
    return {
        "dates": [day.isoformat() for day in timeline.days],
        "traces": {
            "places": TRACE_PLACES,
            "trail_known": TRACE_TRAIL_KNOWN,
            "trail_uncertain": TRACE_TRAIL_UNCERTAIN,
            "approach": TRACE_APPROACH,
            "claims": TRACE_CLAIMS,
            "changed": TRACE_CHANGED,
            "routes_start": TRACE_ROUTES_START,
        },
        "lat": [None if math.isnan(x) else round(x, 5) for x in lat.tolist()],
        "lon": [None if math.isnan(x) else round(x, 5) for x in lon.tolist()],
        "styles": {"held": held_styles, "events": mark_styles},
        "days": days,
    }


def _route_color(timeline: Timeline, route: tuple[int, int, int], day: int) -> str:
    code = timeline.claims[day, route[0]]
    if code != NONE:
        return ACTOR_COLORS.get(timeline.claimants[code], INK)
    mark = timeline.marks[day, route[0]]
    if mark != NONE:
        return ACTOR_COLORS.get(timeline.event_marks[mark].actor, UNKNOWN_LINE)
    return UNKNOWN_LINE


def day_payload(payload: dict, day: int, mode: str) -> list[tuple[int, dict]]:
    """Restyle updates for one day and mode: [(trace index, {attribute: value})].

    This is the Python twin of applyDay() in assets/map.js; both read `client_payload`.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    state = payload["days"][day]
    styles = payload["styles"][mode]
    codes = state[mode]
    shown = [c != NONE for c in codes]

    def pick(key: str, hidden=None) -> list:
        return [styles[c][key] if c != NONE else hidden for c in codes]

    places = {
        "lat": [la if ok else None for la, ok in zip(payload["lat"], shown)],
        "lon": [lo if ok else None for lo, ok in zip(payload["lon"], shown)],
        "marker.color": pick("color", UNKNOWN_COLOR),
        "marker.line.color": pick("line_color", UNKNOWN_LINE),
        "marker.line.width": pick("line_width", 0),
        "marker.opacity": pick("opacity", 0),
        "marker.symbol": pick("symbol", "circle"),
        "text": pick("text", ""),
        "hovertext": pick("label", ""),
    }
    held = mode == "held"
    traces = payload["traces"]

    def line(key: str) -> dict:
        la, lo = state[key] if held else ([], [])
        return {"lat": la, "lon": lo}

    updates = [
        (traces["places"], places),
        (traces["trail_known"], line("trail_known")),
        (traces["trail_uncertain"], line("trail_uncertain")),
        (traces["approach"], line("approach")),
        (traces["claims"], {"lat": state["claims"][0], "lon": state["claims"][1], "marker.line.color": state["claim_colors"]}),
        (traces["changed"], line("changed")),
    ]
    for k, color in enumerate(state["route_colors"]):
        updates.append((traces["routes_start"] + k, {"line.color": color}))
    return updates


def base_figure(timeline: Timeline) -> go.Figure:
    """The static figure: basemap, halos, labels and empty dynamic traces in a fixed order."""
    lat, lon, is_area = _place_points(timeline)
    places = timeline.places
    pinned = timeline.pinned
    place_ids = places["place_id"].tolist()
    # Plotly reads a subset of HTML in text and hover labels: names from the CSV are
    # escaped so they always show exactly as written.
    names = [plotly_text(name) for name in places["name"]]
    precision = places["geo_precision"].tolist()
    # numpy arrays pass plotly's validators in one step (lists are walked item by item).
    customdata = np.array(
        [[pid, name, schema.GEO_PRECISION[prec].label] for pid, name, prec in zip(place_ids, names, precision)], dtype=object
    ).reshape(len(place_ids), 3)

    halo_mask = pinned & places["geo_precision"].isin(["approximate", "area"]).to_numpy()
    halo_sizes = [44 if prec == "area" else 30 for prec in places["geo_precision"][halo_mask]]
    label_mask = pinned & places["kind"].isin(LABELLED_KINDS).to_numpy()

    nothing = {"lat": [], "lon": []}
    traces = [
        # Outlines only; the geometry is fetched by URL so it never travels inside the figure.
        go.Choropleth(
            name="governorates", geojson=GOVERNORATES_URL, featureidkey="id",
            locations=list(GOVERNORATE_IDS), z=[0] * len(GOVERNORATE_IDS),
            colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]], showscale=False,
            marker={"line": {"color": "#A39C8E", "width": 0.8}}, hoverinfo="skip",
        ),
        go.Scattergeo(
            name="halos", lat=lat[halo_mask], lon=lon[halo_mask], mode="markers", hoverinfo="skip",
            marker={"size": halo_sizes, "color": "#7A7A7A", "opacity": 0.18, "line": {"width": 0}},
        ),
        go.Scattergeo(name="trail-known", **nothing, mode="lines", hoverinfo="skip",
                      line={"color": CONTROLLER_COLORS["opposition"], "width": 3}),
        go.Scattergeo(name="trail-uncertain", **nothing, mode="lines", hoverinfo="skip",
                      line={"color": CONTROLLER_COLORS["opposition"], "width": 2.5, "dash": "dot"}),
        go.Scattergeo(name="approach", **nothing, mode="lines+markers", hoverinfo="skip",
                      line={"color": CONTROLLER_COLORS["opposition"], "width": 2.5, "dash": "dash"},
                      marker={"symbol": "arrow", "angleref": "previous", "size": 14,
                              "color": CONTROLLER_COLORS["opposition"]}),
        go.Scattergeo(
            name="places", lat=np.full(len(places), None), lon=np.full(len(places), None), mode="markers+text",
            customdata=customdata, text=np.full(len(places), ""), textposition="middle center",
            textfont={"size": 11, "color": INK, "family": "system-ui, sans-serif"},
            hovertext=np.full(len(places), ""),
            hovertemplate="<b>%{customdata[1]}</b><br>%{hovertext}<br>Location: %{customdata[2]}<extra></extra>",
            marker={"size": 15, "color": UNKNOWN_COLOR, "line": {"width": 1, "color": UNKNOWN_LINE}},
        ),
        go.Scattergeo(name="claims", **nothing, mode="markers", hoverinfo="skip",
                      marker={"symbol": "circle-open", "size": 28, "line": {"width": 2.5, "color": INK}}),
        go.Scattergeo(name="changed", **nothing, mode="markers", hoverinfo="skip",
                      marker={"symbol": "circle-open", "size": 24, "color": INK, "line": {"width": 3, "color": INK}}),
        go.Scattergeo(
            name="labels", lat=lat[label_mask], lon=lon[label_mask], mode="text", hoverinfo="skip",
            text=[names[i] for i in np.flatnonzero(label_mask)], textposition="top right",
            textfont={"size": 12, "color": "#333333", "family": "system-ui, sans-serif"},
        ),
    ]
    for route, a, b in timeline.routes:
        route_id = place_ids[route]
        # The line stops short of its ends so a click on an end's own marker selects that place;
        # the middle vertex gives the route a hover/click target of its own.
        route_lat = [lat[a] + (lat[b] - lat[a]) * f for f in ROUTE_VERTICES]
        route_lon = [lon[a] + (lon[b] - lon[a]) * f for f in ROUTE_VERTICES]
        traces.append(
            go.Scattergeo(
                name=f"route:{route_id}", lat=route_lat, lon=route_lon, mode="lines",
                line={"color": UNKNOWN_LINE, "width": 4, "dash": "dash"},
                customdata=[[route_id, names[route], "Approximate (straight line between its ends)"]] * len(ROUTE_VERTICES),
                hovertemplate="<b>%{customdata[1]}</b><br>Drawn as a straight line between its ends<extra></extra>",
            )
        )
    figure = go.Figure(traces)
    figure.update_layout(
        showlegend=False,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor="#FFFFFF",
        uirevision="keep",
        dragmode="pan",
        hoverlabel={"bgcolor": "#FFFFFF", "font": {"family": "system-ui, sans-serif", "size": 13}},
        geo={
            "projection": {"type": "mercator"},
            "resolution": 50,
            "lonaxis": {"range": list(GEO_LON_RANGE)},
            "lataxis": {"range": list(GEO_LAT_RANGE)},
            "showland": True,
            "landcolor": "#F4F1EA",
            "showocean": True,
            "oceancolor": "#DCE9F2",
            "showlakes": True,
            "lakecolor": "#DCE9F2",
            "showrivers": True,
            "rivercolor": "#7FB2D5",
            "riverwidth": 1.2,
            "showcountries": True,
            "countrycolor": "#6B6B6B",
            "countrywidth": 1.2,
            "showcoastlines": True,
            "coastlinecolor": "#8FA9BC",
            "showframe": False,
            "bgcolor": "#DCE9F2",
        },
    )
    return figure


def figure_for_day(timeline: Timeline, day: int, mode: str, payload: dict | None = None) -> go.Figure:
    """The whole figure for one day and mode (the naive path; the app restyles in the browser)."""
    payload = payload or client_payload(timeline)
    figure = base_figure(timeline)
    for index, update in day_payload(payload, day, mode):
        trace = figure.data[index]
        for key, value in update.items():
            trace.update(_nest(key, value))
    return figure


def _nest(dotted: str, value) -> dict:
    result: dict = {}
    node = result
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return result


def legend_entries() -> list[dict]:
    """What each mark means: [{group, label, swatch}] for the HTML legend."""
    entries = [
        {"group": "Who holds it", "label": schema.CONTROLLERS[c].label, "swatch": {"shape": "circle", "fill": color}}
        for c, color in CONTROLLER_COLORS.items()
    ]
    entries.append({"group": "Who holds it", "label": "Control not reported (unknown, not unchanged)",
                    "swatch": {"shape": "circle", "fill": UNKNOWN_COLOR, "stroke": UNKNOWN_LINE}})
    entries += [
        {"group": "How sure", "label": "Changing hands at an unstated date (faded, ? , ring = earlier holder)",
         "swatch": {"shape": "circle", "fill": CONTROLLER_COLORS["opposition"], "stroke": CONTROLLER_COLORS["government"], "opacity": 0.55, "text": "?"}},
        {"group": "How sure", "label": "Changed hands this day (date stated or inferred)",
         "swatch": {"shape": "ring", "stroke": INK}},
        {"group": "How sure", "label": "A party's claim, not confirmed (open ring in the claimant's colour)",
         "swatch": {"shape": "ring", "stroke": CONTROLLER_COLORS["sna"]}},
        {"group": "How sure", "label": "Events view: ~ date inferred, ? only a window, ◇ a statement",
         "swatch": {"shape": "diamond", "stroke": ACTOR_COLORS["turkiye"]}},
        {"group": "Where", "label": "Approximate location (grey halo)", "swatch": {"shape": "halo"}},
        {"group": "Where", "label": "An area, at a representative point (square)", "swatch": {"shape": "square", "fill": UNKNOWN_COLOR}},
        {"group": "The advance", "label": "Opposition advance, in the order it is known to have happened",
         "swatch": {"shape": "line", "stroke": CONTROLLER_COLORS["opposition"]}},
        {"group": "The advance", "label": "... into a place dated only by a window (dotted)",
         "swatch": {"shape": "line", "stroke": CONTROLLER_COLORS["opposition"], "dash": "2,3"}},
        {"group": "The advance", "label": "Nearing a place: an approach, not a capture (arrow)",
         "swatch": {"shape": "arrow", "stroke": CONTROLLER_COLORS["opposition"]}},
        {"group": "The advance", "label": "A route (straight line between its ends)",
         "swatch": {"shape": "line", "stroke": UNKNOWN_LINE, "dash": "6,4"}},
    ]
    return entries
