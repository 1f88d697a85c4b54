"""The event table: rows, server-side sorting and paging, hostile paging input."""

from __future__ import annotations

import pytest

from dashboard.data import load_dataset
from dashboard.model import build_timeline
from dashboard.table import event_table_frame, page_count, table_page


@pytest.fixture
def frame(dataset_dir):
    return event_table_frame(build_timeline(load_dataset(dataset_dir)))


def test_rows_are_in_date_order_and_say_how_the_date_is_known(frame):
    assert list(frame["id"]) == ["bravo-capture", "charlie-encircled", "alpha-capture", "delta-target", "echo-statement"]
    row = frame.set_index("id").loc["alpha-capture"]
    assert row["date"] == "2024-11-30 (stated)" and row["place"] == "Alpha" and row["status"] == "Reported"
    assert frame.set_index("id").loc["bravo-capture", "date"] == "2024-11-27 \u2192 2024-12-06 (window)"
    assert frame.set_index("id").loc["delta-target", "who"] == "Türkiye (government)"


def test_pages_and_sorting_happen_on_the_server(frame):
    assert [r["id"] for r in table_page(frame, 1, [], page_size=2)] == ["alpha-capture", "delta-target"]
    by_place = table_page(frame, 0, [{"column_id": "place", "direction": "desc"}], page_size=5)
    assert [r["place"] for r in by_place] == ["Echo", "Delta", "Charlie", "Bravo", "Alpha"]
    assert page_count(5, 2) == 3 and page_count(0) == 1


@pytest.mark.parametrize("page", [-5, 999, "1", None, 1.5, True, [1]])
@pytest.mark.parametrize("sort_by", [None, "place", [{"column_id": "__class__", "direction": "asc"}], [{"column_id": "place", "direction": "sideways"}], [1, 2]])
def test_malformed_paging_or_sorting_falls_back_instead_of_failing(frame, page, sort_by):
    rows = table_page(frame, page, sort_by, page_size=2)
    assert 1 <= len(rows) <= 2
