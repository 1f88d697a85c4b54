"""The loader/validator: every rule, exact messages, all errors at once."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DEFAULT_EVENTS, DEFAULT_PLACES, FIXTURE_TEXT, SOURCE_ROW, event, place, write_csv, write_dataset
from dashboard import schema
from dashboard.data import DataError, load_dataset, normalize_ws, validate
from dashboard.paths import shipped_data_dir


def problems_for(folder: Path) -> list[str]:
    return [str(p) for p in validate(folder)[0]]


def test_fixture_dataset_is_valid_and_loads(dataset_dir):
    data = load_dataset(dataset_dir)
    assert list(data.events["event_id"]) == [e["event_id"] for e in DEFAULT_EVENTS]
    assert data.events.loc[0, "date_start_day"] == 3  # 30 Nov is day 3 of the window
    assert data.texts["fixture-source"] == FIXTURE_TEXT


def test_shipped_data_validates():
    """The real, curated data passes every rule (the one test that reads data/)."""
    folder = shipped_data_dir()
    problems, tables, texts = validate(folder)
    assert [str(p) for p in problems] == []
    ids = {row["place_id"] for _, row in tables["places"].rows}
    for required in ("aleppo", "aleppo-western-countryside", "idlib", "idlib-province", "khan-shaykhun", "hama",
                     "hama-province", "hama-military-airport", "erze", "al-wahshiyya", "kafrtun", "yadgun", "homs",
                     "damascus", "manbij", "raqqa", "raqqa-aleppo-route", "uskudar", "ankara", "lebanon"):
        assert required in ids
    # The source text is kept byte for byte as supplied.
    seed = Path(__file__).resolve().parents[2] / "shared" / "seed" / "article.txt"
    if seed.exists():
        assert next(iter(texts.values())) == seed.read_text(encoding="utf-8")


BAD_EVENT_CASES = [
    ("date_start", "2024-13-01", "events.csv:2: date_start='2024-13-01': is not an ISO date (YYYY-MM-DD)"),
    ("date_start", "2024-11-20", "events.csv:2: date_start='2024-11-20': is outside the data's window (2024-11-27..2024-12-06)"),
    ("event_type", "massacre", "events.csv:2: event_type='massacre': is not in the vocabulary (one of: "
     + ", ".join(schema.EVENT_TYPES) + ")"),
    ("claim_status", "rumour", "events.csv:2: claim_status='rumour': is not in the vocabulary (one of: reported, claimed, statement)"),
    ("controller_after", "rebels", "events.csv:2: controller_after='rebels': is not in the vocabulary (one of: "
     + ", ".join(schema.CONTROLLERS) + ", or empty)"),
    ("controller_after", "government", "events.csv:2: controller_after='government': equals controller_before (empty where control does not change)"),
    ("place_id", "atlantis", "events.csv:2: place_id='atlantis': is not a place_id in places.csv (a known place_id)"),
    ("source_id", "nowhere", "events.csv:2: source_id='nowhere': is not a source_id in sources.csv (a known source_id)"),
    ("excerpt", "Rebels captured Alpha on Nov. 29.", "events.csv:2: excerpt='Rebels captured Alpha on Nov. 29.': is not verbatim in the text of source 'fixture-source' (a span copied exactly from the source text (whitespace may differ))"),
    ("place_as_written", "Zulu", "events.csv:2: place_as_written='Zulu': does not occur in the text of source 'fixture-source' (the words the source uses for the place)"),
    ("event_id", "Alpha Capture!", "events.csv:2: event_id='Alpha Capture!': is not a valid id (lowercase letters, digits, '-' or '_', starting with a letter)"),
    ("excerpt", "", "events.csv:2: excerpt='': is required (a non-empty value)"),
]


@pytest.mark.parametrize(("column", "value", "message"), BAD_EVENT_CASES, ids=[f"{c}={v!r}" for c, v, _ in BAD_EVENT_CASES])
def test_bad_event_value_gives_exact_message(tmp_path, column, value, message):
    events = [dict(e) for e in DEFAULT_EVENTS]
    events[0][column] = value
    folder = write_dataset(tmp_path / "d", events=events)
    assert message in problems_for(folder)


def test_stated_date_must_be_one_day_and_windows_need_reasons(tmp_path):
    events = [dict(e) for e in DEFAULT_EVENTS]
    events[0].update(date_end="2024-12-01")  # stated, but a window
    events[1].update(notes="")  # bounded with no reason
    events[2].update(date_start="2024-12-02", date_end="2024-12-01")
    found = problems_for(write_dataset(tmp_path / "d", events=events))
    assert "events.csv:2: date_end='2024-12-01': a stated date is one day (date_end equal to date_start, or date_basis=bounded)" in found
    assert "events.csv:3: notes='': date_basis=bounded needs the reason in notes (a sentence saying how the date or window follows from the text)" in found
    assert "events.csv:4: date_end='2024-12-01': is before date_start 2024-12-02 (date_end >= date_start)" in found


def test_excerpt_match_ignores_whitespace_only(tmp_path):
    events = [dict(e) for e in DEFAULT_EVENTS]
    events[0]["excerpt"] = "On Nov. 30,\n   rebels captured   Alpha after a rapid advance."
    assert problems_for(write_dataset(tmp_path / "d", events=events)) == []
    events[0]["excerpt"] = "On Nov. 30, Rebels captured Alpha after a rapid advance."  # case differs: not verbatim
    assert any("is not verbatim" in p for p in problems_for(write_dataset(tmp_path / "e", events=events)))


BAD_PLACE_CASES = [
    ({"lat": "41.0", "lon": "29.0"}, "places.csv:2: lat='41.0,29.0': lies outside Syria (SY) (lon 35.5..42.4, lat 32.3..37.4; check the place, its country, or swapped lat/lon)"),
    ({"lat": "36.29", "lon": "33.51"}, "places.csv:2: lat='36.29,33.51': lies outside Syria (SY) (lon 35.5..42.4, lat 32.3..37.4; check the place, its country, or swapped lat/lon)"),
    ({"lat": "", "lon": ""}, "places.csv:2: lat='': geo_precision is 'exact' but there are no coordinates (coordinates (run: python -m dashboard geocode), or geo_precision=unidentified)"),
    ({"geo_precision": "unidentified"}, "places.csv:2: lat='36.2': an unidentified place must not have coordinates (empty lat/lon, or another geo_precision)"),
    ({"lon": ""}, "places.csv:2: lon='': lat and lon must be given together (both or neither)"),
    ({"lat": "north"}, "places.csv:2: lat='north': is not a latitude (a decimal number between -90 and 90)"),
    ({"kind": "hamlet"}, "places.csv:2: kind='hamlet': is not in the vocabulary (one of: " + ", ".join(schema.PLACE_KINDS) + ")"),
    ({"country": "XX"}, "places.csv:2: country='XX': is not a supported country code (ISO 3166-1 alpha-2, one of: " + ", ".join(schema.COUNTRY_BBOX) + ")"),
    ({"coord_source": ""}, "places.csv:2: coord_source='': coordinates need a provenance (geocoder + query, or a citation for a value set by hand)"),
    ({"admin1": "Hama"}, "places.csv:2: admin1='Hama': is not a governorate name in the basemap (one of: "),
    ({"kind": "country"}, "places.csv:2: lat='36.2': a country is never drawn as a point (empty lat/lon; a route is drawn between its route_ends, a country's events are listed beside the map)"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_PLACE_CASES, ids=[str(c) for c, _ in BAD_PLACE_CASES])
def test_bad_place_value_gives_exact_message(tmp_path, changes, message):
    places = [dict(p) for p in DEFAULT_PLACES]
    places[0].update(changes)
    found = problems_for(write_dataset(tmp_path / "d", places=places))
    assert any(p.startswith(message) if message.endswith("(one of: ") else p == message for p in found), found


def test_route_needs_two_known_ends_with_coordinates(tmp_path):
    places = [dict(p) for p in DEFAULT_PLACES] + [
        place("good-route", "Alpha-Bravo road", None, None, kind="route", geo_precision="approximate", route_ends="alpha|bravo"),
        place("bad-route", "Alpha-Nowhere road", None, None, kind="route", geo_precision="approximate", route_ends="alpha|nowhere"),
        place("short-route", "Alpha road", None, None, kind="route", geo_precision="approximate", route_ends="alpha"),
    ]
    found = problems_for(write_dataset(tmp_path / "d", places=places))
    assert found == [
        "places.csv:8: route_ends='alpha|nowhere': end 'nowhere' is not a place_id in places.csv (known place_ids)",
        "places.csv:9: route_ends='alpha': a route needs two different ends (two place_ids joined by '|', e.g. raqqa|aleppo)",
    ]


def test_header_must_match_exactly(tmp_path):
    folder = write_dataset(tmp_path / "d")
    text = (folder / "events.csv").read_text(encoding="utf-8").replace("date_start,date_end", "date_end,date_start", 1)
    (folder / "events.csv").write_text(text, encoding="utf-8")
    found = problems_for(folder)
    assert len(found) == 1
    assert found[0].startswith("events.csv:1: (header)='event_id,source_id,place_id,place_as_written,date_end,date_start,")
    assert found[0].endswith("columns out of order (exactly, in order: " + ",".join(schema.EVENT_COLUMNS) + ")")


def test_duplicate_ids_name_the_first_line(tmp_path):
    events = [dict(e) for e in DEFAULT_EVENTS] + [dict(DEFAULT_EVENTS[0])]
    assert "events.csv:7: event_id='alpha-capture': duplicates the id on line 2 (a unique id)" in problems_for(
        write_dataset(tmp_path / "d", events=events)
    )


def test_line_numbers_count_physical_lines_of_multiline_cells(tmp_path):
    events = [dict(e) for e in DEFAULT_EVENTS]
    events[0]["notes"] = "first line\nsecond line\nthird line"
    events[1]["event_type"] = "massacre"
    found = problems_for(write_dataset(tmp_path / "d", events=events))
    assert any(p.startswith("events.csv:5: event_type='massacre'") for p in found), found


def test_non_utf8_and_ragged_rows_are_reported_not_raised(tmp_path):
    folder = write_dataset(tmp_path / "d")
    (folder / "places.csv").write_bytes((folder / "places.csv").read_bytes() + "x,Ålpha\n".encode("latin-1"))
    with open(folder / "events.csv", "a", encoding="utf-8") as handle:
        handle.write("only,three,values\n")
    found = problems_for(folder)
    assert "places.csv:7: (encoding)=\"b'\\\\xc5lpha\\\\n'\": not valid UTF-8 (save the file as UTF-8)" in found
    assert "events.csv:7: (row)='only,three,values': has 3 values (14 values, one per column; quote a value that contains a comma)" in found


def test_planted_errors_are_all_reported_with_their_lines(tmp_path):
    """validate on a broken copy of the real data prints every planted error (CLI, exit 1)."""
    folder = tmp_path / "copy"
    shutil.copytree(shipped_data_dir(), folder)
    lines = (folder / "events.csv").read_text(encoding="utf-8").split("\n")
    # Plant three errors on known lines (1-based line numbers of single-line rows).
    lines[2] = lines[2].replace(",advance,", ",conquest,", 1)
    lines[3] = lines[3].replace("2024-11-30", "2024-11-31", 1)
    lines[4] = lines[4].replace(",reported,", ",rumoured,", 1)
    (folder / "events.csv").write_text("\n".join(lines), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "dashboard", "validate", "--data", str(folder)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    out = result.stdout
    assert "events.csv:3: event_type='conquest': is not in the vocabulary" in out
    assert "events.csv:4: date_start='2024-11-31': is not an ISO date (YYYY-MM-DD)" in out
    assert "events.csv:5: claim_status='rumoured': is not in the vocabulary" in out


def test_validate_cli_accepts_valid_data(dataset_dir):
    result = subprocess.run([sys.executable, "-m", "dashboard", "validate", "--data", str(dataset_dir)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK:" in result.stdout and "5 events" in result.stdout


def test_loader_refuses_invalid_data_listing_all_problems(tmp_path):
    events = [dict(e) for e in DEFAULT_EVENTS]
    events[0]["event_type"] = "massacre"
    events[1]["actor"] = "aliens"
    with pytest.raises(DataError) as info:
        load_dataset(write_dataset(tmp_path / "d", events=events))
    assert len(info.value.problems) == 2
    assert "python -m dashboard validate --data" in str(info.value)


def test_app_refuses_to_start_on_invalid_data(tmp_path):
    events = [dict(e) for e in DEFAULT_EVENTS]
    events[0]["date_start"] = "yesterday"
    folder = write_dataset(tmp_path / "d", events=events)
    result = subprocess.run([sys.executable, "-m", "dashboard", "serve", "--data", str(folder), "--port", "1"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "events.csv:2: date_start='yesterday': is not an ISO date" in result.stderr
    assert "did not start" in result.stderr


def test_second_source_loads_without_code_change(tmp_path):
    folder = write_dataset(tmp_path / "d")
    second_text = "Second paper\n\nOn Dec. 2, rebels entered Foxtrot.\n"
    (folder / "sources" / "second.txt").write_text(second_text, encoding="utf-8")
    second = dict(SOURCE_ROW, source_id="second-paper", title="Second paper", text_file="second.txt", dateline="")
    write_csv(folder / "sources.csv", schema.SOURCE_COLUMNS, [SOURCE_ROW, second])
    places = DEFAULT_PLACES + [place("foxtrot", "Foxtrot", 35.0, 37.0)]
    events = DEFAULT_EVENTS + [event("foxtrot-entry", "foxtrot", "On Dec. 2, rebels entered Foxtrot.", "2024-12-02",
                                     source_id="second-paper", place_as_written="Foxtrot")]
    write_csv(folder / "places.csv", schema.PLACE_COLUMNS, places)
    write_csv(folder / "events.csv", schema.EVENT_COLUMNS, events)
    data = load_dataset(folder)
    assert set(data.texts) == {"fixture-source", "second-paper"}
    assert data.events.set_index("event_id").loc["foxtrot-entry", "source_id"] == "second-paper"


def test_text_file_cannot_escape_the_sources_folder(tmp_path):
    folder = write_dataset(tmp_path / "d")
    write_csv(folder / "sources.csv", schema.SOURCE_COLUMNS, [dict(SOURCE_ROW, text_file="../places.csv")])
    assert "sources.csv:2: text_file='../places.csv': points outside the sources folder (a file name inside sources/)" in problems_for(folder)


def test_normalize_ws_collapses_runs():
    assert normalize_ws("  a\n\n b\t c ") == "a b c"
