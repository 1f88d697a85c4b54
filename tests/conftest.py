"""Shared fixtures: small datasets built in tmp_path, and the browser-test switch."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from dashboard import schema
from dashboard.testing import chromium_path

FIXTURE_TEXT = (
    "Fixture source\n\nDAMASCUS\n\n"
    "On Nov. 30, rebels captured Alpha after a rapid advance.\n\n"
    "Rebels also seized the town of Bravo.\n\n"
    "The group claims to have encircled Charlie from three sides.\n\n"
    "\"Delta is the target,\" an official said on Dec. 5 in Echo.\n"
)

SOURCE_ROW = {
    "source_id": "fixture-source",
    "title": "Fixture source",
    "publisher": "",
    "dateline": "DAMASCUS",
    "published": "2024-12-06",
    "published_basis": "latest_reported_date",
    "language": "en",
    "url": "",
    "text_file": "fixture.txt",
    "notes": "",
}


def place(place_id: str, name: str, lat: float | None, lon: float | None, **extra) -> dict:
    """A places.csv row in Syria with sensible defaults."""
    row = {c: "" for c in schema.PLACE_COLUMNS}
    row.update(
        place_id=place_id, name=name, kind="city", country="SY", admin1="",
        lat="" if lat is None else str(lat), lon="" if lon is None else str(lon),
        geo_precision="exact" if lat is not None else "unidentified",
        coord_source="set by hand for a test" if lat is not None else "not located",
    )
    row.update(extra)
    return row


def event(event_id: str, place_id: str, excerpt: str, start: str, end: str | None = None, **extra) -> dict:
    """An events.csv row with sensible defaults (reported, stated, opposition capture)."""
    row = {c: "" for c in schema.EVENT_COLUMNS}
    row.update(
        event_id=event_id, source_id="fixture-source", place_id=place_id,
        place_as_written=extra.pop("place_as_written", place_id.capitalize()),
        date_start=start, date_end=end or start,
        date_basis="stated" if (end or start) == start else "bounded",
        event_type="capture", actor="opposition", controller_before="government",
        controller_after="opposition", claim_status="reported", excerpt=excerpt,
        notes="a test row",
    )
    row.update(extra)
    return row


DEFAULT_PLACES = [
    place("alpha", "Alpha", 36.2, 37.16),
    place("bravo", "Bravo", 35.44, 36.65, kind="town"),
    place("charlie", "Charlie", 36.53, 37.95, geo_precision="approximate"),
    place("delta", "Delta", 33.51, 36.29),
    place("echo", "Echo", None, None, country="TR", kind="district"),
]
DEFAULT_EVENTS = [
    event("alpha-capture", "alpha", "On Nov. 30, rebels captured Alpha after a rapid advance.", "2024-11-30"),
    event("bravo-capture", "bravo", "Rebels also seized the town of Bravo.", "2024-11-27", "2024-12-06",
          place_as_written="the town of Bravo"),
    event("charlie-encircled", "charlie", "The group claims to have encircled Charlie from three sides.",
          "2024-11-27", "2024-12-06", event_type="encirclement", actor="sna", controller_before="sdf",
          controller_after="", claim_status="claimed"),
    event("delta-target", "delta", "\"Delta is the target,\" an official said on Dec. 5 in Echo.", "2024-12-05",
          event_type="statement", actor="turkiye", controller_before="", controller_after="", claim_status="statement"),
    event("echo-statement", "echo", "\"Delta is the target,\" an official said on Dec. 5 in Echo.", "2024-12-05",
          event_type="statement", actor="turkiye", controller_before="", controller_after="", claim_status="statement"),
]


def write_csv(path: Path, columns, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_dataset(folder: Path, places=None, events=None, sources=None, text: str = FIXTURE_TEXT) -> Path:
    """Write a complete small dataset into `folder` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sources").mkdir(exist_ok=True)
    (folder / "sources" / "fixture.txt").write_text(text, encoding="utf-8")
    write_csv(folder / "sources.csv", schema.SOURCE_COLUMNS, sources or [SOURCE_ROW])
    write_csv(folder / "places.csv", schema.PLACE_COLUMNS, DEFAULT_PLACES if places is None else places)
    write_csv(folder / "events.csv", schema.EVENT_COLUMNS, DEFAULT_EVENTS if events is None else events)
    return folder


@pytest.fixture
def dataset_dir(tmp_path: Path) -> Path:
    """A valid small dataset (five places, five events) in a temporary folder."""
    return write_dataset(tmp_path / "data")


def pytest_collection_modifyitems(config, items):
    """Browser tests run when Chromium exists; under CI=true they must run, never skip."""
    if chromium_path() is not None or os.environ.get("CI") == "true":
        return
    skip = pytest.mark.skip(reason="no Chromium on this machine (apt-get install chromium); CI=true never skips")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
