"""Exports of the current view: CSV with every provenance column, GeoJSON (RFC 7946).

"The current view" is a day and a mode: in `held` mode every place with its state that
day and the events known by then (window started on or before the day); in `events`
mode only the events whose window includes the day, and their places.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from . import __version__, schema
from .figures import held_style
from .model import Timeline
from .narrative import date_phrase

EXPORT_PLACE_COLUMNS = ("name", "kind", "country", "admin1", "lat", "lon", "geo_precision", "coord_source")


def _clean(value):
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return ""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value


def view_event_indices(timeline: Timeline, day: int, mode: str) -> np.ndarray:
    """Indices of the events the view (day index, mode) shows, in date order."""
    if mode == "events":
        return timeline.events_by_day[day]
    starts = timeline.events["date_start_day"].to_numpy()
    order = timeline.events.sort_values(["date_start_day", "date_end_day", "line"]).index.to_numpy()
    return order[starts[order] <= day]


def view_place_indices(timeline: Timeline, day: int, mode: str) -> list[int]:
    """Indices of the places the view shows: all of them when held, else those with events that day."""
    if mode == "held":
        return list(range(len(timeline.places)))
    places = timeline.events["_place_index"].to_numpy()[timeline.events_by_day[day]]
    return sorted(set(int(p) for p in places))


def metadata(timeline: Timeline, day: int, mode: str, generated_at: datetime | None = None) -> dict:
    """Provenance carried by every export: sources, when, the view's filters, the app version."""
    generated_at = generated_at or datetime.now(timezone.utc)
    sources = [
        {key: _clean(row[key]) for key in ("source_id", "title", "publisher", "dateline", "published", "published_basis", "url")}
        for _, row in timeline.sources.iterrows()
    ]
    return {
        "title": "Syria offensive map, 27 Nov - 6 Dec 2024: export of the current view",
        "generated_at": generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "filters": {"date": timeline.days[day].isoformat(), "mode": mode},
        "app_version": __version__,
        "sources": sources,
        "note": "Only what the sources report: a place with no state is unknown, not unchanged.",
    }


def _state(timeline: Timeline, day: int, p: int) -> dict:
    state = timeline.held_states[timeline.held[day, p]]
    is_area = timeline.places.iloc[p]["kind"] in ("area", "province")
    return {
        "controller_on_date": state.controller,
        "changing_to": state.pending,
        "changed_on_date": state.changed_today,
        "state_label": held_style(state, is_area).label,
    }


def export_csv(timeline: Timeline, day: int, mode: str, generated_at: datetime | None = None) -> str:
    """The view's events as CSV: every events.csv column, the place, its state that day, and provenance."""
    meta = metadata(timeline, day, mode, generated_at)
    source_titles = timeline.sources.set_index("source_id")["title"]
    columns = (
        list(schema.EVENT_COLUMNS)
        + ["date_as_known"]
        + [f"place_{c}" for c in EXPORT_PLACE_COLUMNS]
        + ["place_controller_on_date", "place_state_on_date", "source_title",
           "export_date_filter", "export_mode", "export_generated_at", "app_version"]
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for j in view_event_indices(timeline, day, mode):
        event = timeline.events.iloc[int(j)]
        p = int(event["_place_index"])
        place = timeline.places.iloc[p]
        state = _state(timeline, day, p)
        writer.writerow(
            [_clean(event[c]) for c in schema.EVENT_COLUMNS]
            + [date_phrase(event)]
            + [_clean(place[c]) for c in EXPORT_PLACE_COLUMNS]
            + [state["controller_on_date"], state["state_label"], source_titles.get(event["source_id"], ""),
               meta["filters"]["date"], mode, meta["generated_at"], __version__]
        )
    return buffer.getvalue()


def _geometry(timeline: Timeline, p: int) -> dict | None:
    place = timeline.places.iloc[p]
    for route, a, b in timeline.routes:
        if route == p:
            ends = [timeline.places.iloc[i] for i in (a, b)]
            return {"type": "LineString", "coordinates": [[float(e["lon"]), float(e["lat"])] for e in ends]}
    if pd.isna(place["lat"]) or place["kind"] in schema.UNPINNED_KINDS:
        return None  # RFC 7946 s3.2: an unlocated feature has a null geometry
    return {"type": "Point", "coordinates": [float(place["lon"]), float(place["lat"])]}


def export_geojson(timeline: Timeline, day: int, mode: str, generated_at: datetime | None = None) -> dict:
    """The view as an RFC 7946 FeatureCollection: one Feature per place, its state and events as properties."""
    meta = metadata(timeline, day, mode, generated_at)
    events_in_view = view_event_indices(timeline, day, mode)
    by_place: dict[int, list[int]] = {}
    for j in events_in_view:
        by_place.setdefault(int(timeline.events.iloc[int(j)]["_place_index"]), []).append(int(j))
    features = []
    for p in view_place_indices(timeline, day, mode):
        place = timeline.places.iloc[p]
        properties = {"place_id": place["place_id"], "alt_names": _clean(place["alt_names"])}
        properties.update({c: _clean(place[c]) for c in EXPORT_PLACE_COLUMNS if c not in ("lat", "lon")})
        properties["drawn_on_map"] = bool(timeline.pinned[p])
        properties.update(_state(timeline, day, p))
        properties["events"] = [
            {**{c: _clean(timeline.events.iloc[j][c]) for c in schema.EVENT_COLUMNS if c != "place_id"},
             "date_as_known": date_phrase(timeline.events.iloc[j])}
            for j in by_place.get(p, [])
        ]
        features.append({"type": "Feature", "id": place["place_id"], "geometry": _geometry(timeline, p), "properties": properties})
    return {"type": "FeatureCollection", "metadata": meta, "features": features}


def export_filename(timeline: Timeline, day: int, mode: str, extension: str) -> str:
    """A file name that says what the export holds, e.g. syria-offensive-2024-11-30-held.geojson."""
    return f"syria-offensive-{timeline.days[day].isoformat()}-{mode}.{extension}"


def geojson_text(collection: dict) -> str:
    """GeoJSON as compact UTF-8 text."""
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
