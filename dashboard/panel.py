"""The source panel for one place: names, day-by-day state, events with their excerpts.

Source text, names and notes are passed to Dash as strings, which React renders as
text: nothing from the CSVs is ever interpreted as HTML.
"""

from __future__ import annotations

import pandas as pd
from dash import html

from . import schema
from .figures import AREA_KINDS, held_style
from .model import Timeline
from .narrative import control_phrase, date_phrase, excerpt_in_paragraph, fmt_day

EMPTY_MESSAGE = "Click a place on the map, or a line in the lists below, to read the source sentence behind it."


def _text(value) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _source_line(timeline: Timeline, source_id: str) -> html.P:
    sources = timeline.sources.set_index("source_id")
    source = sources.loc[source_id]
    basis = schema.PUBLISHED_BASIS[source["published_basis"]]
    published = _text(source["published"])
    when = {
        "stated": f"published {published}",
        "latest_reported_date": f"published on or after {published} (the latest date it reports; no date given)",
        "unknown": "publication date unknown",
    }[basis.code]
    parts = [html.Cite(_text(source["title"]))]
    details = [d for d in (_text(source["publisher"]) or "publisher not named in the text", _text(source["dateline"]) and f"dateline {source['dateline']}", when) if d]
    parts.append(html.Span(" \u2014 " + "; ".join(details) + ". "))
    if _text(source["url"]):
        parts.append(html.A("Original", href=source["url"], rel="noopener noreferrer", target="_blank"))
    return html.P(parts, className="source-line")


def _event_item(timeline: Timeline, j: int) -> html.Li:
    event = timeline.events.iloc[j]
    text = timeline.texts.get(event["source_id"], "")
    before, excerpt, after = excerpt_in_paragraph(text, event["excerpt"])
    actor = schema.ACTORS[event["actor"]].label if _text(event["actor"]) else "Not named"
    rows = [
        ("When", date_phrase(event)),
        ("What", schema.EVENT_TYPES[event["event_type"]].label),
        ("Who", actor),
        ("Status", f"{schema.CLAIM_STATUS[event['claim_status']].label}: {schema.CLAIM_STATUS[event['claim_status']].meaning}"),
        ("As written", f"\u201c{event['place_as_written']}\u201d"),
    ]
    control = control_phrase(event)
    if control:
        rows.append(("Control", control))
    return html.Li(
        [
            html.Dl([item for label, value in rows for item in (html.Dt(label), html.Dd(value))], className="event-facts"),
            html.Blockquote(
                [html.Span(before, className="context"), html.Mark(excerpt), html.Span(after, className="context")],
                className="excerpt",
                cite=_text(event["source_id"]),
            ),
            _source_line(timeline, event["source_id"]),
            html.P(["Coding notes: ", _text(event["notes"])], className="notes") if _text(event["notes"]) else None,
            html.P(f"Event id: {event['event_id']}", className="muted"),
        ],
        className="event",
        **{"data-start": str(int(event["date_start_day"])), "data-end": str(int(event["date_end_day"]))},
    )


def source_panel(timeline: Timeline, place_id: object) -> list:
    """Panel children for `place_id`; a friendly message for anything that is not a known place id."""
    if not isinstance(place_id, str) or place_id not in timeline.place_index:
        if place_id in (None, ""):
            return [html.P(EMPTY_MESSAGE)]
        return [html.P("That place is not in the data. Click a marker on the map or a line in the lists.", className="notice")]
    p = timeline.place_index[place_id]
    place = timeline.places.iloc[p]
    is_area = place["kind"] in AREA_KINDS
    alt = _text(place["alt_names"]).replace(schema.LIST_SEPARATOR, ", ")
    written = sorted(set(timeline.events.loc[timeline.events["_place_index"] == p, "place_as_written"]))
    day_states = [
        html.P(
            [html.Strong(f"On {fmt_day(day)}: "), held_style(timeline.held_states[timeline.held[d, p]], is_area).label],
            className="day-only day-state",
            hidden=d != 0,
            **{"data-day": str(d)},
        )
        for d, day in enumerate(timeline.days)
    ]
    coords = (
        f"{place['lat']:.4f}, {place['lon']:.4f}" if not pd.isna(place["lat"]) else "no coordinates"
    )
    where = [
        html.Strong(f"Location: {schema.GEO_PRECISION[place['geo_precision']].label}"),
        f" ({coords}). ",
        _text(place["coord_source"]),
    ]
    if not timeline.pinned[p]:
        where.append(" Not drawn as a point on the map.")
    events = [_event_item(timeline, int(j)) for j in timeline.events_by_place.get(p, [])]
    return [
        html.H2(place["name"], id="panel-place-name"),
        html.P(
            [
                f"{schema.PLACE_KINDS[place['kind']].label}, {schema.COUNTRY_NAMES.get(place['country'], place['country'])}",
                f". Also: {alt}" if alt else "",
                ". The source calls it: " + ", ".join(f"\u201c{w}\u201d" for w in written) if written else "",
            ],
            className="muted",
        ),
        *day_states,
        html.P(where, className="coord-source"),
        html.H3(f"{len(events)} event(s) in the sources" if events else "No events in the sources"),
        html.Ol(events, className="events"),
    ]
