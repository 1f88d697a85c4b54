"""What every day looks like, computed once at start-up from a validated Dataset.

A scrub of the slider is then a lookup into these tables, never a recomputation.
States are interned: each (day, place) cell holds a small integer that indexes a
tuple of distinct states, so 5,000 places x 10 days stay a few hundred kilobytes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
import pandas as pd

from . import schema
from .data import Dataset

NONE = -1  # "no state" in the interned code arrays


class HeldState(NamedTuple):
    """Who holds a place on a day, as far as the sources say."""

    controller: str  # a CONTROLLERS code, or "" when no source says
    pending: str  # controller a dated-only-by-window change moves it to, "" if none
    changed_today: bool  # a change with a known (stated/inferred) date happened this day
    basis: str  # date_basis of the change that set `controller`, "" for the baseline


class EventMark(NamedTuple):
    """The most significant thing that happened at a place on a day."""

    actor: str
    event_type: str
    claim_status: str
    certainty: str  # "stated", "inferred" or "bounded" (the day lies in a window)
    count: int  # events at this place whose window includes the day


class TrailPoint(NamedTuple):
    """One vertex of the opposition's advance, known to have happened by `day_known`."""

    place_index: int
    event_index: int
    day_known: int  # index of the first day the event is certain to have happened
    basis: str
    is_approach: bool


# Event significance when several events share a place and a day (highest wins).
_SIGNIFICANCE = {
    "capture": 9,
    "encirclement": 8,
    "route_cut": 7,
    "aircraft_downed": 6,
    "clashes": 5,
    "advance": 4,
    "approach": 3,
    "operations": 2,
    "offensive_start": 1,
    "statement": 0,
}
_CERTAINTY_RANK = {"stated": 2, "inferred": 1, "bounded": 0}
TRAIL_ACTOR = "opposition"
TRAIL_EVENT_TYPES = frozenset({"capture", "advance"})
TRAIL_PLACE_KINDS = frozenset({"city", "town", "village", "district", "area", "airport"})


class _Interner:
    def __init__(self) -> None:
        self.values: list = []
        self.index: dict = {}

    def __call__(self, value) -> int:
        code = self.index.get(value)
        if code is None:
            code = self.index[value] = len(self.values)
            self.values.append(value)
        return code


@dataclass(frozen=True)
class Timeline:
    """Precomputed day-by-day state of every place; built once by `build_timeline`."""

    days: tuple[date, ...]
    places: pd.DataFrame  # every place; row i is place index i
    events: pd.DataFrame  # every event; row j is event index j
    sources: pd.DataFrame
    texts: dict[str, str]
    place_index: dict[str, int]
    pinned: np.ndarray  # bool per place: drawn as a point on the map
    held_states: tuple[HeldState, ...]
    held: np.ndarray  # int32 (days, places) -> index into held_states
    event_marks: tuple[EventMark, ...]
    marks: np.ndarray  # int32 (days, places) -> index into event_marks, NONE if nothing that day
    claimants: tuple[str, ...]
    claims: np.ndarray  # int32 (days, places) -> index into claimants, NONE if no claim
    events_by_day: tuple[np.ndarray, ...]  # event indices whose window includes the day
    events_by_place: dict[int, np.ndarray]  # place index -> event indices, in date order
    trail: tuple[TrailPoint, ...]
    routes: tuple[tuple[int, int, int], ...]  # (route place, end a, end b)

    def day_index(self, day: date) -> int:
        """Index of `day` in the window; raises ValueError outside it."""
        offset = (day - self.days[0]).days
        if not 0 <= offset < len(self.days):
            raise ValueError(f"{day} is outside {self.days[0]}..{self.days[-1]}")
        return offset

    def held_on(self, day: int) -> list[HeldState]:
        """The HeldState of every place on day index `day`."""
        return [self.held_states[c] for c in self.held[day]]

    def unpinned_event_indices(self, day: int) -> np.ndarray:
        """Events on day `day` at places not drawn on the map (countries, abroad, unidentified; not routes)."""
        place_idx = self.events["_place_index"].to_numpy()
        todays = self.events_by_day[day]
        drawn = self.pinned.copy()
        for route, _, _ in self.routes:
            drawn[route] = True
        return todays[~drawn[place_idx[todays]]]


def is_pinned(place: pd.Series) -> bool:
    """A place is drawn as a point if it is in the mapped country, has coordinates and a drawable kind."""
    return (
        place["country"] == schema.MAPPED_COUNTRY
        and place["kind"] not in schema.UNPINNED_KINDS
        and place["geo_precision"] != "unidentified"
        and not pd.isna(place["lat"])
    )


def held_state_for(events: list[dict], day: int) -> HeldState:
    """Who holds one place on day index `day`, given its events (dicts with *_day fields).

    Before its first control event a place shows that event's controller_before; a
    change takes effect on the last day of its window; while a window is open the
    change is pending (uncertain), never drawn as done.  Claims never change control.
    """
    ordered = sorted(events, key=lambda e: (e["date_start_day"], e["line"]))
    controller = next((e["controller_before"] for e in ordered if e["controller_before"]), "")
    pending, basis, changed_today = "", "", False
    changes = sorted(
        (e for e in ordered if e["controller_after"] and e["claim_status"] != "claimed"),
        key=lambda e: (e["date_end_day"], e["date_start_day"], e["line"]),
    )
    for event in changes:
        if event["date_end_day"] <= day:
            controller, basis, pending = event["controller_after"], event["date_basis"], ""
            if event["date_end_day"] == day and event["date_basis"] != "bounded":
                changed_today = True
        elif event["date_start_day"] <= day:
            pending = event["controller_after"]
    return HeldState(controller, pending, changed_today, basis)


def event_mark_for(events: list[dict], day: int) -> EventMark | None:
    """The most significant event at one place whose window includes day index `day`."""
    todays = [e for e in events if e["date_start_day"] <= day <= e["date_end_day"]]
    if not todays:
        return None

    def certainty(e: dict) -> str:
        return "bounded" if e["date_start_day"] != e["date_end_day"] else e["date_basis"]

    top = max(
        todays,
        key=lambda e: (
            _SIGNIFICANCE.get(e["event_type"], 0),
            e["claim_status"] != "claimed",
            _CERTAINTY_RANK[certainty(e)],
            -e["line"],
        ),
    )
    return EventMark(top["actor"], top["event_type"], top["claim_status"], certainty(top), len(todays))


def claimant_for(events: list[dict], day: int) -> str:
    """The actor of the latest claim made at a place by day index `day`, or ""."""
    claims = [e for e in events if e["claim_status"] == "claimed" and e["date_start_day"] <= day]
    if not claims:
        return ""
    return max(claims, key=lambda e: (e["date_start_day"], e["line"]))["actor"]


def build_trail(events: pd.DataFrame, places: pd.DataFrame, place_index: dict[str, int]) -> tuple[TrailPoint, ...]:
    """Opposition captures/advances and approaches at drawable places, in the order they are known to have happened."""
    points = []
    for j, e in enumerate(events.itertuples(index=False)):
        if e.actor != TRAIL_ACTOR or e.event_type not in TRAIL_EVENT_TYPES | {"approach"}:
            continue
        p = place_index[e.place_id]
        place = places.iloc[p]
        if place["kind"] not in TRAIL_PLACE_KINDS or not is_pinned(place):
            continue
        points.append(
            (
                (e.date_end_day, e.date_start_day, e.line),
                TrailPoint(p, j, int(e.date_end_day), e.date_basis, e.event_type == "approach"),
            )
        )
    points.sort(key=lambda item: item[0])
    return tuple(point for _, point in points)


def build_timeline(dataset: Dataset) -> Timeline:
    """Compute the state of every place on every day of the window (run once at start-up)."""
    places = dataset.places.reset_index(drop=True)
    events = dataset.events.reset_index(drop=True).copy()
    place_index = {pid: i for i, pid in enumerate(places["place_id"])}
    events["_place_index"] = events["place_id"].map(place_index).astype("int64")
    days = tuple(schema.WINDOW_START + timedelta(days=i) for i in range((schema.WINDOW_END - schema.WINDOW_START).days + 1))
    n_days, n_places = len(days), len(places)

    pinned = np.array([is_pinned(row) for _, row in places.iterrows()], dtype=bool)
    held = np.zeros((n_days, n_places), dtype=np.int32)
    marks = np.full((n_days, n_places), NONE, dtype=np.int32)
    claims = np.full((n_days, n_places), NONE, dtype=np.int32)
    held_interner, mark_interner, claim_interner = _Interner(), _Interner(), _Interner()
    unknown_code = held_interner(HeldState("", "", False, ""))
    held[:, :] = unknown_code

    records = events[
        ["line", "_place_index", "date_start_day", "date_end_day", "date_basis", "event_type", "actor",
         "controller_before", "controller_after", "claim_status"]
    ].to_dict("records")
    by_place: dict[int, list[dict]] = defaultdict(list)
    by_place_idx: dict[int, list[int]] = defaultdict(list)
    by_day: list[list[int]] = [[] for _ in range(n_days)]
    for j, record in enumerate(records):
        for key in ("actor", "controller_before", "controller_after"):
            record[key] = "" if pd.isna(record[key]) else record[key]
        by_place[record["_place_index"]].append(record)
        by_place_idx[record["_place_index"]].append(j)
        for d in range(record["date_start_day"], record["date_end_day"] + 1):
            by_day[d].append(j)

    for p, place_events in by_place.items():
        for d in range(n_days):
            held[d, p] = held_interner(held_state_for(place_events, d))
            mark = event_mark_for(place_events, d)
            if mark is not None:
                marks[d, p] = mark_interner(mark)
            claimant = claimant_for(place_events, d)
            if claimant:
                claims[d, p] = claim_interner(claimant)

    events_by_place = {
        p: np.array(sorted(idx, key=lambda j: (records[j]["date_start_day"], records[j]["date_end_day"], records[j]["line"])), dtype=np.int64)
        for p, idx in by_place_idx.items()
    }
    routes = []
    for i, row in places.iterrows():
        if row["kind"] == "route" and not pd.isna(row["route_ends"]) and row["route_ends"]:
            a, b = (place_index[x.strip()] for x in row["route_ends"].split(schema.LIST_SEPARATOR))
            routes.append((int(i), a, b))

    return Timeline(
        days=days,
        places=places,
        events=events,
        sources=dataset.sources.reset_index(drop=True),
        texts=dict(dataset.texts),
        place_index=place_index,
        pinned=pinned,
        held_states=tuple(held_interner.values),
        held=held,
        event_marks=tuple(mark_interner.values),
        marks=marks,
        claimants=tuple(claim_interner.values),
        claims=claims,
        events_by_day=tuple(np.array(sorted(d), dtype=np.int64) for d in by_day),
        events_by_place=events_by_place,
        trail=build_trail(events, places, place_index),
        routes=tuple(routes),
    )
