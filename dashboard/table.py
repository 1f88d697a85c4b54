"""The event table's rows, built once and served a page at a time (sorted on the server).

Paging on the server keeps the page light at any scale: the browser holds one page of
rows, never the whole dataset.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import schema
from .model import Timeline

PAGE_SIZE = 25
COLUMNS = (
    ("date", "Date"),
    ("place", "Place"),
    ("what", "What happened"),
    ("who", "Who"),
    ("status", "Claim status"),
)
SORTABLE = frozenset(column for column, _ in COLUMNS)


def event_table_frame(timeline: Timeline) -> pd.DataFrame:
    """One row per event, in date order: what a reader scans, plus the ids and days the page needs."""
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


def page_count(n_rows: int, page_size: int = PAGE_SIZE) -> int:
    """Number of pages for `n_rows` rows (at least 1)."""
    return max(1, -(-n_rows // page_size))


def table_page(frame: pd.DataFrame, page: object, sort_by: object, page_size: int = PAGE_SIZE) -> list[dict]:
    """Rows of page `page` after sorting by `sort_by` (Dash's [{column_id, direction}]); bad input is ignored."""
    if isinstance(sort_by, list):
        keys = [
            (s["column_id"], s.get("direction") == "asc")
            for s in sort_by
            if isinstance(s, dict) and s.get("column_id") in SORTABLE and s.get("direction") in ("asc", "desc")
        ][:len(SORTABLE)]
        if keys:
            frame = frame.sort_values([k for k, _ in keys], ascending=[a for _, a in keys], kind="stable")
    if isinstance(page, bool) or not isinstance(page, int):
        page = 0
    page = max(0, min(page_count(len(frame), page_size) - 1, page))
    return frame.iloc[page * page_size : (page + 1) * page_size].to_dict("records")
