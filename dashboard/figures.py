"""Pure figure builders: the base map and what changes on each day.

`base_figure` builds the figure once, with every mark any day can show (`MapPlan`).
`client_payload` is what every day looks like, as codes into style tables; the browser
(assets/map.js) shows a day by changing the styles of marks already drawn, without asking
Plotly to redraw.  `day_view` is the Python twin of that lookup (tests), and
`figure_for_day` builds a whole figure for one day (the naive baseline).
Visual encodings are decided here and only here; `legend_entries` describes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

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

# The first two traces are fixed; the rest depend on the data (see MapPlan).
TRACE_GOVERNORATES = 0
TRACE_HALOS = 1

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


def _trail_sizes(trail: tuple, day: int) -> dict[str, int]:
    """How long each line of _trail_all is on day `day` (the trail of a day is a prefix)."""
    _, lengths, day_known = trail
    k = int(np.searchsorted(day_known, day, side="right"))
    return {key: int(sizes[k - 1]) if k else 0 for key, sizes in lengths.items()}


def _trail_slice(trail: tuple, day: int) -> dict[str, tuple[list, list]]:
    sizes = _trail_sizes(trail, day)
    return {key: (la[:sizes[key]], lo[:sizes[key]]) for key, (la, lo) in trail[0].items()}


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


# Marker outlines as SVG path data (centred on 0,0), so the browser can change a place's
# symbol by setting one attribute.  Same geometry as Plotly's own symbols.
PLACE_MARKER_SIZE = 15


def symbol_paths(size: float = PLACE_MARKER_SIZE) -> dict[str, str]:
    """SVG path data for the filled symbols used for places ("-open" variants share them)."""
    r = round(size / 2, 2)
    rd = round(size / 2 * 1.3, 2)
    return {
        "circle": f"M{r},0A{r},{r} 0 1,1 0,-{r}A{r},{r} 0 0,1 {r},0Z",
        "square": f"M{r},{r}H-{r}V-{r}H{r}Z",
        "diamond": f"M{rd},0L0,{rd}L-{rd},0L0,-{rd}Z",
    }


@dataclass(frozen=True)
class MapPlan:
    """Which trace draws what: the contract between base_figure, client_payload and assets/map.js.

    Every mark any day can show is drawn once, in the base figure; a day only shows,
    hides or recolours marks.  Trail segments are grouped by the day they join the trail.
    """

    halo_places: tuple[int, ...]  # place index of each point of the halos trace
    claim_places: tuple[int, ...]  # ... of the claims trace (places with a claim on some day)
    changed_places: tuple[int, ...]  # ... of the changed trace (places that change hands on a known day)
    trail_groups: tuple[tuple[str, int, list, list], ...]  # (kind, day, lat, lon) per trail trace

    @property
    def trail_start(self) -> int:
        return TRACE_HALOS + 1

    @property
    def places(self) -> int:
        return self.trail_start + len(self.trail_groups)

    @property
    def claims(self) -> int:
        return self.places + 1

    @property
    def changed(self) -> int:
        return self.places + 2

    @property
    def labels(self) -> int:
        return self.places + 3

    @property
    def routes_start(self) -> int:
        return self.places + 4


TRAIL_KINDS = ("known", "uncertain", "approach")


def map_plan(timeline: Timeline) -> MapPlan:
    """The trace plan of the map for `timeline` (see MapPlan)."""
    pinned = timeline.pinned
    precision = timeline.places["geo_precision"].to_numpy()
    halo_places = np.flatnonzero(pinned & np.isin(precision, ["approximate", "area"]))
    claim_places = np.flatnonzero(pinned & (timeline.claims != NONE).any(axis=0))
    changed_today = np.array([s.changed_today for s in timeline.held_states], dtype=bool)
    changed_places = np.flatnonzero(pinned & changed_today[timeline.held].any(axis=0))

    trail = _trail_all(timeline)  # points in the order they become known (build_trail)
    sizes = [_trail_sizes(trail, d) for d in range(len(timeline.days))]
    groups = []
    for kind in TRAIL_KINDS:
        la, lo = trail[0][kind]
        previous = 0
        for d, size in enumerate(s[kind] for s in sizes):
            if size > previous:  # the segments that join the trail on day d
                groups.append((kind, d, la[previous:size], lo[previous:size]))
                previous = size
    return MapPlan(tuple(map(int, halo_places)), tuple(map(int, claim_places)), tuple(map(int, changed_places)),
                   tuple(groups))


def client_payload(timeline: Timeline, plan: MapPlan | None = None) -> dict:
    """Everything the browser needs to show any day in either mode without asking the server.

    Per-place states travel as small integer codes into style tables, so the payload
    grows with places x days, not with the number of events.
    """
    plan = plan or map_plan(timeline)
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
    claimant_colors = np.array([ACTOR_COLORS.get(c, INK) for c in timeline.claimants] + [None], dtype=object)
    claim_places = np.array(plan.claim_places, dtype=np.int64)
    changed_places = np.array(plan.changed_places, dtype=np.int64)

    days = []
    for d in range(n_days):
        # NONE (-1) picks the trailing None: no claim at that place that day.
        claims = claimant_colors[timeline.claims[d][claim_places]].tolist()
        changed = changed_today[timeline.held[d][changed_places]].astype(np.int8).tolist()
        days.append(
            {
                "held": held_codes[d].tolist(),
                "events": mark_codes[d].tolist(),
                "claims": claims,
                "changed": changed,
                "route_colors": [_route_color(timeline, route, d) for route in timeline.routes],
            }
        )
    return {
        "dates": [day.isoformat() for day in timeline.days],
        "traces": {
            "halos": TRACE_HALOS,
            "places": plan.places,
            "claims": plan.claims,
            "changed": plan.changed,
            "routes_start": plan.routes_start,
            "trail": [[plan.trail_start + k, day] for k, (_, day, _, _) in enumerate(plan.trail_groups)],
        },
        "halo_places": list(plan.halo_places),
        "claim_places": list(plan.claim_places),
        "changed_places": list(plan.changed_places),
        "symbol_paths": symbol_paths(),
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


def day_view(payload: dict, day: int, mode: str) -> dict:
    """What the map shows on day index `day` in `mode`, read from `client_payload`.

    This is the Python twin of viewFor() in assets/map.js.  Returns
    {"places": style dict or None (hidden) per place, "halos": bool per halo point,
     "claims": colour or None per claim point, "changed": bool per changed point,
     "trail": bool per trail trace, "route_colors": colour per route}.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    state = payload["days"][day]
    styles = payload["styles"][mode]
    places = [styles[c] if c != NONE else None for c in state[mode]]
    held = mode == "held"
    return {
        "places": places,
        "halos": [places[p] is not None for p in payload["halo_places"]],
        "claims": list(state["claims"]),
        "changed": [held and bool(c) for c in state["changed"]],
        "trail": [held and group_day <= day for _, group_day in payload["traces"]["trail"]],
        "route_colors": list(state["route_colors"]),
    }


def base_figure(timeline: Timeline, payload: dict | None = None, plan: MapPlan | None = None) -> go.Figure:
    """The app's figure: every mark any day can show, styled as day 0 held (hidden marks transparent)."""
    return go.Figure(base_figure_dict(timeline, payload, plan))


def base_figure_dict(timeline: Timeline, payload: dict | None = None, plan: MapPlan | None = None) -> dict:
    """base_figure as a plain dict, built without plotly's validation and copies (0.5 s at 5,000 places).

    tests/test_figures.py checks it serialises exactly as the validated figure does.
    """
    plan = plan or map_plan(timeline)
    payload = payload or client_payload(timeline, plan)
    # Places that show a text ("?", "~") on some day get a text node; the others none (5,000
    # idle text nodes would make every repaint slower).
    with_text = np.zeros(len(timeline.places), dtype=bool)
    for mode in MODES:
        has_text = np.array([bool(style["text"]) for style in payload["styles"][mode]] + [False])
        codes = np.array([day[mode] for day in payload["days"]], dtype=np.int64)
        with_text |= has_text[codes].any(axis=0)  # NONE (-1) reads the trailing False
    return _figure_dict(timeline, plan, day_view(payload, 0, "held"), keep_hidden=True, text_nodes=with_text)


def figure_for_day(timeline: Timeline, day: int, mode: str, payload: dict | None = None) -> go.Figure:
    """The whole figure for one day and mode, hidden marks left out (the naive baseline's path)."""
    plan = map_plan(timeline)
    payload = payload or client_payload(timeline, plan)
    return go.Figure(_figure_dict(timeline, plan, day_view(payload, day, mode), keep_hidden=False))


def _figure_dict(timeline: Timeline, plan: MapPlan, view: dict, keep_hidden: bool,
                 text_nodes: np.ndarray | None = None) -> dict:
    """The figure showing `view`, as a plain {"data", "layout"} dict.

    keep_hidden=True (the app): hidden marks are drawn transparent at their place, so the
    browser can show them later by changing styles only.  keep_hidden=False: left out.
    """
    lat, lon, _ = _place_points(timeline)
    places = timeline.places
    place_ids = places["place_id"].tolist()
    # Plotly reads a subset of HTML in text and hover labels: names from the CSV are
    # escaped so they always show exactly as written.
    names = [plotly_text(name) for name in places["name"]]
    precision = places["geo_precision"].tolist()
    # numpy arrays pass plotly's validators in one step (lists are walked item by item).
    customdata = np.array(
        [[pid, name, schema.GEO_PRECISION[prec].label] for pid, name, prec in zip(place_ids, names, precision)], dtype=object
    ).reshape(len(place_ids), 3)

    def where(indices: list[int] | np.ndarray, shown: list[bool]) -> tuple[np.ndarray, np.ndarray]:
        indices = np.asarray(indices, dtype=np.int64)
        la, lo = lat[indices].astype(object), lon[indices].astype(object)
        if not keep_hidden:
            hidden = ~np.asarray(shown, dtype=bool) if len(indices) else np.zeros(0, dtype=bool)
            la[hidden] = None
            lo[hidden] = None
        return la, lo

    def opacity(shown: list[bool], on: float) -> list[float]:
        return [on if s else 0.0 for s in shown]

    halo_idx = list(plan.halo_places)
    halo_sizes = [44 if precision[p] == "area" else 30 for p in halo_idx]
    halo_lat, halo_lon = where(halo_idx, view["halos"])

    shown_places = [s is not None for s in view["places"]]
    place_lat, place_lon = where(np.arange(len(places)), shown_places)
    place_lat[~timeline.pinned] = None
    place_lon[~timeline.pinned] = None
    styles = [s or HIDDEN_STYLE for s in view["places"]]
    # Plotly makes a text node only for a non-empty text: a space keeps one for the browser to fill.
    if text_nodes is None:
        text_nodes = np.zeros(len(places), dtype=bool)
    texts = [s["text"] or (" " if keep else "") for s, keep in zip(styles, text_nodes)]

    claims_shown = [c is not None for c in view["claims"]]
    claim_lat, claim_lon = where(list(plan.claim_places), claims_shown)
    changed_lat, changed_lon = where(list(plan.changed_places), view["changed"])
    label_mask = timeline.pinned & places["kind"].isin(LABELLED_KINDS).to_numpy()

    traces = [
        # Outlines only; the geometry is fetched by URL so it never travels inside the figure.
        dict(
            type="choropleth",
            name="governorates", geojson=GOVERNORATES_URL, featureidkey="id",
            locations=list(GOVERNORATE_IDS), z=[0] * len(GOVERNORATE_IDS),
            colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]], showscale=False,
            marker={"line": {"color": "#A39C8E", "width": 0.8}}, hoverinfo="skip",
        ),
        dict(
            type="scattergeo",
            name="halos", lat=halo_lat, lon=halo_lon, mode="markers", hoverinfo="skip",
            marker={"size": halo_sizes, "color": "#7A7A7A", "opacity": opacity(view["halos"], 0.18), "line": {"width": 0}},
        ),
    ]
    for (kind, day, la, lo), shown in zip(plan.trail_groups, view["trail"]):
        if not shown and not keep_hidden:
            la, lo = [], []
        trace = {
            "known": dict(mode="lines", line={"color": CONTROLLER_COLORS["opposition"], "width": 3}),
            "uncertain": dict(mode="lines", line={"color": CONTROLLER_COLORS["opposition"], "width": 2.5, "dash": "dot"}),
            "approach": dict(mode="lines+markers",
                             line={"color": CONTROLLER_COLORS["opposition"], "width": 2.5, "dash": "dash"},
                             marker={"symbol": "arrow", "angleref": "previous", "size": 14,
                                     "color": CONTROLLER_COLORS["opposition"]}),
        }[kind]
        traces.append(dict(type="scattergeo", name=f"trail-{kind}:{day}", lat=la, lon=lo, hoverinfo="skip",
                           opacity=1.0 if shown else 0.0, **trace))
    traces += [
        dict(
            type="scattergeo",
            name="places", lat=place_lat, lon=place_lon, mode="markers+text",
            customdata=customdata, text=texts, textposition="middle center",
            textfont={"size": 11, "color": INK, "family": "system-ui, sans-serif"},
            hovertext=[s["label"] for s in styles],
            hovertemplate="<b>%{customdata[1]}</b><br>%{hovertext}<br>Location: %{customdata[2]}<extra></extra>",
            marker={"size": PLACE_MARKER_SIZE, "color": [s["color"] for s in styles],
                    "opacity": [s["opacity"] for s in styles], "symbol": [s["symbol"] for s in styles],
                    "line": {"width": [s["line_width"] for s in styles], "color": [s["line_color"] for s in styles]}},
        ),
        dict(type="scattergeo", name="claims", lat=claim_lat, lon=claim_lon, mode="markers", hoverinfo="skip",
             marker={"symbol": "circle-open", "size": 28, "opacity": opacity(claims_shown, 1.0),
                     "line": {"width": 2.5, "color": [c or INK for c in view["claims"]]}}),
        dict(type="scattergeo", name="changed", lat=changed_lat, lon=changed_lon, mode="markers", hoverinfo="skip",
             marker={"symbol": "circle-open", "size": 24, "color": INK, "opacity": opacity(view["changed"], 1.0),
                     "line": {"width": 3, "color": INK}}),
        dict(
            type="scattergeo",
            name="labels", lat=lat[label_mask], lon=lon[label_mask], mode="text", hoverinfo="skip",
            text=[names[i] for i in np.flatnonzero(label_mask)], textposition="top right",
            textfont={"size": 12, "color": "#333333", "family": "system-ui, sans-serif"},
        ),
    ]
    for (route, a, b), color in zip(timeline.routes, view["route_colors"]):
        route_id = place_ids[route]
        # The line stops short of its ends so a click on an end's own marker selects that place;
        # the middle vertex gives the route a hover/click target of its own.
        route_lat = [lat[a] + (lat[b] - lat[a]) * f for f in ROUTE_VERTICES]
        route_lon = [lon[a] + (lon[b] - lon[a]) * f for f in ROUTE_VERTICES]
        traces.append(
            dict(
                type="scattergeo",
                name=f"route:{route_id}", lat=route_lat, lon=route_lon, mode="lines",
                line={"color": color, "width": 4, "dash": "dash"},
                customdata=[[route_id, names[route], "Approximate (straight line between its ends)"]] * len(ROUTE_VERTICES),
                hovertemplate="<b>%{customdata[1]}</b><br>Drawn as a straight line between its ends<extra></extra>",
            )
        )
    layout = dict(
        # go.Figure would add the default template; the dict carries it too, so both look alike.
        template=pio.templates[pio.templates.default].to_plotly_json(),
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
    return {"data": traces, "layout": layout}


# How a place hidden on a day is drawn when it must still exist (transparent, no text).
HIDDEN_STYLE = {"color": UNKNOWN_COLOR, "line_color": UNKNOWN_LINE, "line_width": 0, "opacity": 0.0,
                "symbol": "circle", "text": "", "label": ""}


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
