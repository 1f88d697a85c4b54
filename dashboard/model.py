"""What every day looks like, computed once at start-up from a validated Dataset.

A scrub of the slider is then a lookup into these tables, never a recomputation.
States are interned: each (day, place) cell holds a small integer that indexes a
tuple of distinct states, so 5,000 places x 10 days stay a few hundred kilobytes.
"""

from __future__ import annotations

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
    if events.empty:
        return ()
    place_idx = _per_value(events["place_id"], place_index.__getitem__, np.int64)
    trail_types = TRAIL_EVENT_TYPES | {"approach"}
    is_approach = _per_value(events["event_type"], lambda t: t == "approach", bool)
    keep = _per_value(events["actor"], lambda a: a == TRAIL_ACTOR, bool) & _per_value(events["event_type"], trail_types.__contains__, bool)
    drawable = _pinned_mask(places) & places["kind"].isin(TRAIL_PLACE_KINDS).to_numpy(dtype=bool)
    keep &= drawable[place_idx]
    rows = np.flatnonzero(keep)
    if not len(rows):
        return ()
    end = events["date_end_day"].to_numpy(dtype=np.int64)[rows]
    start = events["date_start_day"].to_numpy(dtype=np.int64)[rows]
    line = events["line"].to_numpy(dtype=np.int64)[rows]
    rows = rows[np.lexsort((line, start, end))]
    # A place joins the trail once, at its first known capture/advance (and once as an
    # approach), so the trail grows with places reached, not with the number of events.
    _, first = np.unique(place_idx[rows] * 2 + is_approach[rows], return_index=True)  # stable: the first row of each
    rows = rows[np.sort(first)]
    return tuple(
        TrailPoint(place, j, day_known, basis, approach)
        for place, j, day_known, basis, approach in zip(
            place_idx[rows].tolist(),
            rows.tolist(),
            events["date_end_day"].to_numpy(dtype=np.int64)[rows].tolist(),
            _str_array(events["date_basis"].take(rows)).tolist(),
            is_approach[rows].tolist(),
        )
    )


def _str_array(column: pd.Series) -> np.ndarray:
    """A string column as a numpy object array with missing values as ""."""
    return column.to_numpy(dtype=object, na_value="")


def _per_value(column: pd.Series, function, dtype) -> np.ndarray:
    """function(value) for every value of `column` (missing -> ""), computed once per distinct value.

    The columns it is used on repeat a few values (vocabularies, place ids) on many rows.
    """
    codes, uniques = pd.factorize(column)
    values = list(uniques)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(values), codes)
        values.append("")
    return np.array([function(value) for value in values], dtype=dtype)[codes]


def _coded(column: pd.Series, vocab: list[str]) -> np.ndarray:
    """Integer codes of a string column into `vocab` (missing -> ""); unseen values are appended to `vocab`."""

    def code(value: str) -> int:
        if value not in vocab:
            vocab.append(value)
        return vocab.index(value)

    return _per_value(column, code, np.int64)


def _pinned_mask(places: pd.DataFrame) -> np.ndarray:
    """Vectorised is_pinned() over every place."""
    return (
        (places["country"] == schema.MAPPED_COUNTRY).to_numpy(dtype=bool, na_value=False)
        & ~places["kind"].isin(schema.UNPINNED_KINDS).to_numpy(dtype=bool)
        & (places["geo_precision"] != "unidentified").to_numpy(dtype=bool, na_value=True)
        & places["lat"].notna().to_numpy(dtype=bool)
    )


def _intern_keys(keys: np.ndarray, interner: _Interner, make) -> np.ndarray:
    """Intern make(key) for each distinct int64 key; return the interned code of every key."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int32)
    uniques, inverse = np.unique(keys, return_inverse=True)
    mapped = np.array([interner(make(int(u))) for u in uniques], dtype=np.int32)
    return mapped[inverse.reshape(-1)]


def build_timeline(dataset: Dataset) -> Timeline:
    """Compute the state of every place on every day of the window (run once at start-up).

    Vectorised over events with numpy; the per-place functions held_state_for,
    event_mark_for and claimant_for are the reference semantics it reproduces (the
    tests compare the two on fixture data).
    """
    places = dataset.places.reset_index(drop=True)
    # Not a copy: with pandas' copy-on-write, adding a column here leaves dataset.events as it was.
    events = dataset.events.reset_index(drop=True)
    place_index = {pid: i for i, pid in enumerate(places["place_id"])}
    events["_place_index"] = _per_value(events["place_id"], place_index.__getitem__, np.int64)
    days = tuple(schema.WINDOW_START + timedelta(days=i) for i in range((schema.WINDOW_END - schema.WINDOW_START).days + 1))
    n_days, n_places, n_events = len(days), len(places), len(events)

    pinned = _pinned_mask(places)
    place_of = events["_place_index"].to_numpy(dtype=np.int64)
    start = events["date_start_day"].to_numpy(dtype=np.int64)
    end = events["date_end_day"].to_numpy(dtype=np.int64)
    line = events["line"].to_numpy(dtype=np.int64)
    # Strings as small integer codes; code 0 is "" in every vocabulary that allows it.
    ctrl_vocab = ["", *schema.CONTROLLERS]
    actor_vocab = ["", *schema.ACTORS]
    basis_vocab = ["", *schema.DATE_BASIS]
    type_vocab = ["", *schema.EVENT_TYPES]
    claim_vocab = ["", *schema.CLAIM_STATUS]
    before = _coded(events["controller_before"], ctrl_vocab)
    after = _coded(events["controller_after"], ctrl_vocab)
    actor = _coded(events["actor"], actor_vocab)
    basis = _coded(events["date_basis"], basis_vocab)
    event_type = _coded(events["event_type"], type_vocab)
    claim = _coded(events["claim_status"], claim_vocab)
    bounded_code = basis_vocab.index("bounded")
    claimed_code = claim_vocab.index("claimed")
    n_ctrl, n_basis = len(ctrl_vocab), len(basis_vocab)

    held_interner, mark_interner, claim_interner = _Interner(), _Interner(), _Interner()
    held_interner(HeldState("", "", False, ""))  # code 0: nothing reported

    # ---- held: the baseline controller is the first controller_before in (start, line) order.
    initial = np.zeros(n_places, dtype=np.int64)
    rows = np.flatnonzero(before != 0)
    rows = rows[np.lexsort((line[rows], start[rows]))][::-1]  # reversed: the first one is written last
    initial[place_of[rows]] = before[rows]
    # Changes (claims never change control) in (end, start, line) order; the last write wins.
    change = np.flatnonzero((after != 0) & (claim != claimed_code))
    change = change[np.lexsort((line[change], start[change], end[change]))]
    c_place, c_start, c_end, c_after, c_basis = place_of[change], start[change], end[change], after[change], basis[change]
    held_keys = np.empty((n_days, n_places), dtype=np.int64)
    for d in range(n_days):
        done = c_end <= d
        controller = initial.copy()
        controller[c_place[done]] = c_after[done]
        set_basis = np.zeros(n_places, dtype=np.int64)
        set_basis[c_place[done]] = c_basis[done]
        open_ = ~done & (c_start <= d)
        pending = np.zeros(n_places, dtype=np.int64)
        pending[c_place[open_]] = c_after[open_]
        changed = np.zeros(n_places, dtype=np.int64)
        changed[c_place[(c_end == d) & (c_basis != bounded_code)]] = 1
        held_keys[d] = ((controller * n_ctrl + pending) * 2 + changed) * n_basis + set_basis

    def held_state(key: int) -> HeldState:
        key, b = divmod(key, n_basis)
        key, ch = divmod(key, 2)
        c, p = divmod(key, n_ctrl)
        return HeldState(ctrl_vocab[c], ctrl_vocab[p], bool(ch), basis_vocab[b])

    held = _intern_keys(held_keys.reshape(-1), held_interner, held_state).reshape(n_days, n_places)

    # ---- expand each event over the days of its window: (event, day) pairs.
    span = end - start + 1
    pair_event = np.repeat(np.arange(n_events, dtype=np.int64), span)
    offsets = np.arange(len(pair_event), dtype=np.int64) - np.repeat(np.cumsum(span) - span, span)
    pair_day = start[pair_event] + offsets
    pair_place = place_of[pair_event]

    # ---- event marks: the most significant event per (place, day), and how many there are.
    marks = np.full((n_days, n_places), NONE, dtype=np.int32)
    if len(pair_event):
        significance = np.array([_SIGNIFICANCE.get(t, 0) for t in type_vocab], dtype=np.int64)[event_type]
        certainty = np.where(start != end, bounded_code, basis)
        rank_of_basis = np.array([_CERTAINTY_RANK.get(b, -1) for b in basis_vocab], dtype=np.int64)
        not_claimed = (claim != claimed_code).astype(np.int64)
        e = pair_event
        # Best first within each (place, day): descending by the key, then ascending by line.
        order = np.lexsort((line[e], -rank_of_basis[certainty[e]], -not_claimed[e], -significance[e], pair_day, pair_place))
        cell = pair_place[order] * n_days + pair_day[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = cell[1:] != cell[:-1]
        top = e[order][first]
        top_cell = cell[first]
        counts = np.diff(np.append(np.flatnonzero(first), len(order)))
        n_actor, n_type, n_claim = len(actor_vocab), len(type_vocab), len(claim_vocab)
        keys = (((counts * n_actor + actor[top]) * n_type + event_type[top]) * n_claim + claim[top]) * n_basis + certainty[top]

        def event_mark(key: int) -> EventMark:
            key, cert = divmod(key, n_basis)
            key, c = divmod(key, n_claim)
            key, t = divmod(key, n_type)
            count, a = divmod(key, n_actor)
            return EventMark(actor_vocab[a], type_vocab[t], claim_vocab[c], basis_vocab[cert], int(count))

        marks[top_cell % n_days, top_cell // n_days] = _intern_keys(keys, mark_interner, event_mark)

    # ---- claims: the actor of the latest claim (by start, line) made by each day; "" is no claim.
    claims = np.full((n_days, n_places), NONE, dtype=np.int32)
    claimed = np.flatnonzero(claim == claimed_code)
    claimed = claimed[np.lexsort((line[claimed], start[claimed]))]
    for d in range(n_days):
        made = claimed[start[claimed] <= d]
        latest = np.zeros(n_places, dtype=np.int64)
        latest[place_of[made]] = actor[made]
        has = np.flatnonzero(latest != 0)
        claims[d, has] = _intern_keys(latest[has], claim_interner, lambda a: actor_vocab[a])

    # ---- indices by day and by place.
    by_day_order = np.lexsort((pair_event, pair_day))
    day_bounds = np.searchsorted(pair_day[by_day_order], np.arange(n_days + 1))
    events_by_day = tuple(
        pair_event[by_day_order[day_bounds[d]:day_bounds[d + 1]]].astype(np.int64) for d in range(n_days)
    )
    by_place_order = np.lexsort((line, end, start, place_of))
    sorted_places = place_of[by_place_order]
    bounds = np.flatnonzero(np.diff(sorted_places)) + 1
    events_by_place = {
        int(sorted_places[lo]): by_place_order[lo:hi].astype(np.int64)
        for lo, hi in zip(np.concatenate(([0], bounds)), np.concatenate((bounds, [n_events]))) if hi > lo
    }

    routes = []
    route_rows = places.index[(places["kind"] == "route").to_numpy(dtype=bool, na_value=False)]
    for i in route_rows:
        ends = places.at[i, "route_ends"]
        if not pd.isna(ends) and ends:
            a, b = (place_index[x.strip()] for x in ends.split(schema.LIST_SEPARATOR))
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
        events_by_day=events_by_day,
        events_by_place=events_by_place,
        trail=build_trail(events, places, place_index),
        routes=tuple(routes),
    )
