"""The start-up code that works per distinct value gives what the plain row-by-row code gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import schema
from dashboard.data import load_dataset
from dashboard.model import TRAIL_ACTOR, TRAIL_EVENT_TYPES, TRAIL_PLACE_KINDS, TrailPoint, _pinned_mask, build_timeline
from dashboard.narrative import day_summary, fmt_day
from dashboard.table import event_table_frame


@pytest.fixture(params=["shipped", "fixture"])
def timeline(request, dataset_dir):
    return build_timeline(load_dataset(None if request.param == "shipped" else dataset_dir))


def _reference_table(timeline) -> pd.DataFrame:
    events = timeline.events
    order = np.lexsort((events["line"].to_numpy(), events["date_end_day"].to_numpy(), events["date_start_day"].to_numpy()))
    events = events.iloc[order]
    basis_label = {code: term.label.lower() for code, term in schema.DATE_BASIS.items()}
    start, end = events["date_start"].astype(str), events["date_end"].astype(str)
    single = start + " (" + events["date_basis"].astype(str).map(basis_label) + ")"
    window = start + " \u2192 " + end + " (window)"
    actor = events["actor"].astype(object).where(events["actor"].notna(), "")
    return pd.DataFrame(
        {
            "id": events["event_id"].astype(str).to_numpy(),
            "place_id": events["place_id"].astype(str).to_numpy(),
            "start_day": events["date_start_day"].to_numpy(dtype=np.int64),
            "end_day": events["date_end_day"].to_numpy(dtype=np.int64),
            "date": np.where(start == end, single, window),
            "place": timeline.places["name"].astype(str).to_numpy()[events["_place_index"].to_numpy()],
            "what": events["event_type"].astype(str).map({c: t.label for c, t in schema.EVENT_TYPES.items()}).to_numpy(),
            "who": actor.map(lambda a: schema.ACTORS[a].label if a else "").to_numpy(),
            "status": events["claim_status"].astype(str).map({c: t.label for c, t in schema.CLAIM_STATUS.items()}).to_numpy(),
        }
    )


def _reference_summary(timeline, day: int) -> str:
    events = timeline.events[["event_type", "claim_status", "place_as_written", "date_start_day", "date_end_day"]]
    todays = events.iloc[timeline.events_by_day[day]]
    names = timeline.places.set_index("place_id")["name"]
    exact = todays[todays["date_start_day"] == todays["date_end_day"]]
    windowed = len(todays) - len(exact)
    parts = []
    for (event_type, claim), group in exact.groupby(["event_type", "claim_status"], sort=False, observed=True):
        label = schema.EVENT_TYPES[event_type].label.lower()
        where = ", ".join(list(dict.fromkeys(group["place_as_written"]))[:3])
        more = f" and {group['place_as_written'].nunique() - 3} more" if group["place_as_written"].nunique() > 3 else ""
        noun = label if len(group) == 1 or label.endswith("s") else f"{label}s"
        status = "" if claim == "statement" else f"{schema.CLAIM_STATUS[claim].label.lower()} "
        parts.append(f"{len(group)} {status}{noun} ({where}{more})")
    if not parts:
        parts.append("no event dated to this day")
    changed_codes = [code for code, state in enumerate(timeline.held_states) if state.changed_today]
    changes = list(names.to_numpy()[np.isin(timeline.held[day], changed_codes)])
    text = f"{fmt_day(timeline.days[day])}: " + "; ".join(parts)
    if changes:
        text += f". Changed hands: {', '.join(changes[:5])}" + (" and more" if len(changes) > 5 else "")
    if windowed:
        text += f". {windowed} more event(s) undated, only known to fall in a window including this day"
    return text + "."


def _reference_trail(timeline) -> tuple[TrailPoint, ...]:
    events, places = timeline.events, timeline.places
    place_idx = events["place_id"].map(timeline.place_index).to_numpy(dtype=np.int64)
    event_type = events["event_type"].to_numpy(dtype=object, na_value="")
    keep = (events["actor"].to_numpy(dtype=object, na_value="") == TRAIL_ACTOR) & np.isin(event_type, sorted(TRAIL_EVENT_TYPES | {"approach"}))
    keep &= (_pinned_mask(places) & places["kind"].isin(TRAIL_PLACE_KINDS).to_numpy(dtype=bool))[place_idx]
    rows = np.flatnonzero(keep)
    end, start, line = (events[c].to_numpy(dtype=np.int64)[rows] for c in ("date_end_day", "date_start_day", "line"))
    rows = rows[np.lexsort((line, start, end))]
    basis = events["date_basis"].to_numpy(dtype=object, na_value="")
    seen, points = set(), []
    for j in rows:
        key = (int(place_idx[j]), bool(event_type[j] == "approach"))
        if key not in seen:
            seen.add(key)
            points.append(TrailPoint(key[0], int(j), int(events["date_end_day"].iloc[j]), str(basis[j]), key[1]))
    return tuple(points)


def test_event_table_matches_the_row_by_row_labels(timeline):
    pd.testing.assert_frame_equal(event_table_frame(timeline), _reference_table(timeline))


def test_day_summaries_match_the_pandas_grouping(timeline):
    for day in range(len(timeline.days)):
        assert day_summary(timeline, day) == _reference_summary(timeline, day)


def test_trail_matches_the_point_by_point_walk(timeline):
    assert timeline.trail == _reference_trail(timeline)
    assert all(type(v) is t for p in timeline.trail for v, t in zip(p, (int, int, int, str, bool)))
