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
    basis_label = {code: term.label.lower() for code, term in schema.DATE_BASIS.items()}
    event_label = {c: t.label for c, t in schema.EVENT_TYPES.items()}
    claim_label = {c: t.label for c, t in schema.CLAIM_STATUS.items()}

    def date_text(start: object, end: object, basis: object) -> str:
        start, end = str(start), str(end)
        return f"{start} ({basis_label[str(basis)]})" if start == end else f"{start} \u2192 {end} (window)"

    return pd.DataFrame(
        {
            "id": events["event_id"].to_numpy(dtype=object)[order],
            "place_id": _per_value(order, lambda v: str(v), events["place_id"]),
            "start_day": events["date_start_day"].to_numpy(dtype=np.int64)[order],
            "end_day": events["date_end_day"].to_numpy(dtype=np.int64)[order],
            "date": _per_value(order, date_text, events["date_start"], events["date_end"], events["date_basis"]),
            "place": timeline.places["name"].astype(str).to_numpy()[events["_place_index"].to_numpy()[order]],
            "what": _per_value(order, lambda v: event_label[str(v)], events["event_type"]),
            "who": _per_value(order, lambda a: schema.ACTORS[a].label if isinstance(a, str) and a else "", events["actor"]),
            "status": _per_value(order, lambda v: claim_label[str(v)], events["claim_status"]),
        }
    )


def _per_value(order: np.ndarray, make, *columns: pd.Series) -> np.ndarray:
    """make(*values) for each row (in `order`) of `columns`, computed once per distinct combination.

    The columns repeat a few values (vocabularies, dates, place ids) on many rows, so
    labelling each distinct combination once costs a fraction of labelling every row.
    """
    key = np.zeros(len(order), dtype=np.int64)
    uniques = []
    for column in columns:
        codes, values = pd.factorize(column, use_na_sentinel=False)
        key = key * len(values) + codes[order]
        uniques.append(list(values))
    distinct, inverse = np.unique(key, return_inverse=True)
    labels = []
    for combined in distinct.tolist():
        values = []
        for column_values in reversed(uniques):
            combined, code = divmod(combined, len(column_values))
            values.append(column_values[code])
        labels.append(make(*reversed(values)))
    return np.array(labels, dtype=object)[inverse.reshape(-1)]


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
