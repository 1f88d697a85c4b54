"""Exports of the current view: CSV with provenance, GeoJSON that round-trips through shapely."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest
import shapely.geometry

from conftest import DEFAULT_PLACES, place, write_dataset
from dashboard import __version__, schema
from dashboard.data import load_dataset
from dashboard.export import export_csv, export_filename, export_geojson, geojson_text
from dashboard.model import build_timeline

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@pytest.fixture
def timeline(tmp_path):
    places = DEFAULT_PLACES + [place("road", "Alpha-Bravo road", None, None, kind="route", geo_precision="approximate",
                                     route_ends="alpha|bravo", coord_source="straight line")]
    return build_timeline(load_dataset(write_dataset(tmp_path / "d", places=places)))


def test_csv_has_every_provenance_column_and_the_views_filters(timeline):
    rows = list(csv.DictReader(io.StringIO(export_csv(timeline, 3, "held", WHEN))))
    assert [r["event_id"] for r in rows] == ["bravo-capture", "charlie-encircled", "alpha-capture"]  # known by 30 Nov
    for column in schema.EVENT_COLUMNS:
        assert column in rows[0]
    alpha = rows[-1]
    assert alpha["excerpt"] == "On Nov. 30, rebels captured Alpha after a rapid advance."
    assert alpha["place_coord_source"] == "set by hand for a test"
    assert alpha["place_controller_on_date"] == "opposition"
    assert alpha["source_title"] == "Fixture source"
    assert (alpha["export_date_filter"], alpha["export_mode"], alpha["export_generated_at"], alpha["app_version"]) == (
        "2024-11-30", "held", "2026-01-02T03:04:05Z", __version__)


def test_csv_events_mode_holds_only_that_days_events(timeline):
    rows = list(csv.DictReader(io.StringIO(export_csv(timeline, 8, "events", WHEN))))
    assert sorted(r["event_id"] for r in rows) == ["bravo-capture", "charlie-encircled", "delta-target", "echo-statement"]


def test_geojson_round_trips_through_shapely(timeline):
    collection = json.loads(geojson_text(export_geojson(timeline, 3, "held", WHEN)))
    assert collection["type"] == "FeatureCollection"
    assert collection["metadata"]["filters"] == {"date": "2024-11-30", "mode": "held"}
    assert collection["metadata"]["sources"][0]["title"] == "Fixture source"
    assert collection["metadata"]["app_version"] == __version__
    features = {f["id"]: f for f in collection["features"]}
    alpha = shapely.geometry.shape(features["alpha"]["geometry"])
    assert (alpha.x, alpha.y) == (37.16, 36.2)  # RFC 7946: longitude first
    assert shapely.geometry.mapping(alpha)["coordinates"] == tuple(features["alpha"]["geometry"]["coordinates"])
    road = shapely.geometry.shape(features["road"]["geometry"])
    assert road.geom_type == "LineString" and list(road.coords) == [(37.16, 36.2), (36.65, 35.44)]
    assert features["echo"]["geometry"] is None  # not located: null geometry, still listed
    assert features["alpha"]["properties"]["controller_on_date"] == "opposition"
    assert features["alpha"]["properties"]["changed_on_date"] is True
    assert features["alpha"]["properties"]["events"][0]["excerpt"].startswith("On Nov. 30")
    assert features["bravo"]["properties"]["changing_to"] == "opposition"


def test_geojson_events_mode_has_only_places_with_events_that_day(timeline):
    collection = export_geojson(timeline, 3, "events", WHEN)
    assert sorted(f["id"] for f in collection["features"]) == ["alpha", "bravo", "charlie"]


def test_export_filename_says_date_and_mode(timeline):
    assert export_filename(timeline, 3, "held", "geojson") == "syria-offensive-2024-11-30-held.geojson"
