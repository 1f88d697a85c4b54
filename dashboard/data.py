"""Load and validate the curated CSVs and source texts (no Dash imports).

`load_dataset(data_dir)` returns a `Dataset` or raises `DataError` listing every
problem found, each as ``file:line: column=value: what is wrong (what is allowed)``.
The CLI's ``validate`` command and the app's start-up use this same code path.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from . import schema
from .paths import basemap_dir, default_data_dir

_ID_RE = re.compile(schema.ID_PATTERN)
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_WS_RE = re.compile(r"\s+")
# The first problems are the useful ones; past this many, a file is broken wholesale.
MAX_PROBLEMS = 1_000


@dataclass(frozen=True)
class Problem:
    """One validation finding, located to a file, line and column."""

    file: str
    line: int
    column: str
    value: str
    message: str
    allowed: str = ""

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 80 else self.value[:77] + "..."
        text = f"{self.file}:{self.line}: {self.column}={shown!r}: {self.message}"
        return f"{text} ({self.allowed})" if self.allowed else text


class DataError(ValueError):
    """The data in a directory is invalid; `problems` lists every finding."""

    def __init__(self, data_dir: Path, problems: list[Problem]):
        self.data_dir = Path(data_dir)
        self.problems = list(problems)
        shown = "\n".join(str(p) for p in self.problems)
        super().__init__(
            f"{len(self.problems)} problem(s) in the data at {self.data_dir}:\n{shown}\n"
            f"Fix these rows (see docs/data.md for every column and allowed value), "
            f"then run: python -m dashboard validate --data {self.data_dir}"
        )


@dataclass(frozen=True)
class Dataset:
    """Validated data: one DataFrame per CSV plus each source's full text."""

    data_dir: Path
    sources: pd.DataFrame
    places: pd.DataFrame
    events: pd.DataFrame
    texts: dict[str, str] = field(repr=False)


def normalize_ws(text: str) -> str:
    """Collapse every run of whitespace to one space and strip the ends."""
    return _WS_RE.sub(" ", text).strip()


def parse_iso_date(value: str) -> date | None:
    """Return the date for a strict YYYY-MM-DD string, else None."""
    if not _ISO_DATE_RE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _parse_float(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


# ---------------------------------------------------------------- reading


@dataclass
class Table:
    name: str
    rows: list[tuple[int, dict[str, str]]]  # (line number, row)
    ok: bool  # header matched; rows were read


def read_table(
    data_dir: Path, name: str, columns: tuple[str, ...], problems: list[Problem]
) -> Table:
    """Read one CSV strictly: exact header, one value per column, UTF-8 (BOM allowed)."""
    path = data_dir / name
    if not path.is_file():
        problems.append(
            Problem(name, 0, "(file)", str(path), "file is missing", f"create it with the header: {','.join(columns)}")
        )
        return Table(name, [], False)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(name, line, "(encoding)", repr(raw[exc.start : exc.start + 8]), "not valid UTF-8", "save the file as UTF-8")
        )
        return Table(name, [], False)
    except OSError as exc:
        problems.append(Problem(name, 0, "(file)", str(path), f"cannot be read: {exc.strerror}", "a readable file"))
        return Table(name, [], False)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        problems.append(Problem(name, line, "(file)", "\\x00", "contains a NUL byte", "a plain-text CSV"))
        return Table(name, [], False)

    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines, strict=True)
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        header = next(reader, None)
        if header is None:
            problems.append(Problem(name, 1, "(header)", "", "file is empty", f"header: {','.join(columns)}"))
            return Table(name, [], False)
        header = [h.strip() for h in header]
        if tuple(header) != columns:
            missing = [c for c in columns if c not in header]
            extra = [c for c in header if c not in columns]
            what = []
            if missing:
                what.append(f"missing {', '.join(missing)}")
            if extra:
                what.append(f"unexpected {', '.join(extra)}")
            if not what:
                what.append("columns out of order")
            problems.append(
                Problem(name, 1, "(header)", ",".join(header), "; ".join(what), f"exactly, in order: {','.join(columns)}")
            )
            return Table(name, [], False)
        start = reader.line_num + 1
        for values in reader:
            if len(rows) >= schema.MAX_ROWS:
                problems.append(Problem(name, start, "(file)", "", "too many rows", f"at most {schema.MAX_ROWS}"))
                break
            if not any(v.strip() for v in values):
                start = reader.line_num + 1
                continue  # blank lines are harmless in a hand-edited file
            if len(values) != len(columns):
                problems.append(
                    Problem(
                        name,
                        start,
                        "(row)",
                        ",".join(values)[:60],
                        f"has {len(values)} values",
                        f"{len(columns)} values, one per column; quote a value that contains a comma",
                    )
                )
            else:
                rows.append((start, dict(zip(columns, (v.strip() for v in values)))))
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(
            Problem(name, reader.line_num, "(row)", "", f"is not well-formed CSV: {exc}", "RFC 4180 CSV; close every quote")
        )
    return Table(name, rows, True)


# ---------------------------------------------------------------- checks


class _Checker:
    """Collects problems for one table, with the helpers every column check needs."""

    def __init__(self, table: Table, problems: list[Problem]):
        self.table = table
        self.problems = problems

    def add(self, line: int, column: str, value: str, message: str, allowed: str = "") -> None:
        self.problems.append(Problem(self.table.name, line, column, value, message, allowed))

    def required(self, line: int, row: dict[str, str], optional: frozenset[str]) -> None:
        for column, value in row.items():
            if not value and column not in optional:
                self.add(line, column, value, "is required", "a non-empty value")
            elif len(value) > schema.MAX_FIELD_CHARS:
                self.add(line, column, value, f"is {len(value)} characters long", f"at most {schema.MAX_FIELD_CHARS}")

    def vocab(self, line: int, column: str, value: str, terms: dict[str, schema.Term], empty_ok: bool = False) -> None:
        if value == "" and empty_ok:
            return
        if value not in terms:
            allowed = ", ".join(terms)
            self.add(line, column, value, "is not in the vocabulary", f"one of: {allowed}" + (", or empty" if empty_ok else ""))

    def unique_id(self, line: int, column: str, value: str, seen: dict[str, int]) -> None:
        if not _ID_RE.match(value):
            self.add(line, column, value, "is not a valid id", "lowercase letters, digits, '-' or '_', starting with a letter")
        elif value in seen:
            self.add(line, column, value, f"duplicates the id on line {seen[value]}", "a unique id")
        else:
            seen[value] = line


def _check_sources(table: Table, data_dir: Path, problems: list[Problem]) -> dict[str, str]:
    """Validate sources.csv; return {source_id: full text} for sources whose text loads."""
    check = _Checker(table, problems)
    seen: dict[str, int] = {}
    texts: dict[str, str] = {}
    text_root = (data_dir / schema.SOURCE_TEXT_DIR).resolve()
    for line, row in table.rows:
        check.required(line, row, schema.OPTIONAL_SOURCE_COLUMNS)
        check.unique_id(line, "source_id", row["source_id"], seen)
        check.vocab(line, "published_basis", row["published_basis"], schema.PUBLISHED_BASIS)
        published = row["published"]
        if published and parse_iso_date(published) is None:
            check.add(line, "published", published, "is not an ISO date", "YYYY-MM-DD, or empty")
        if row["published_basis"] == "unknown" and published:
            check.add(line, "published", published, "is set but published_basis is 'unknown'", "empty when unknown")
        if row["published_basis"] in ("stated", "latest_reported_date") and not published:
            check.add(line, "published", published, f"is empty but published_basis is {row['published_basis']!r}", "YYYY-MM-DD")
        if row["language"] and not _LANG_RE.match(row["language"]):
            check.add(line, "language", row["language"], "is not a language tag", "a BCP 47 tag such as en or ar")
        url = row["url"]
        if url and not re.match(r"^https?://[^\s]+$", url):
            check.add(line, "url", url, "is not an http(s) URL", "https://..., or empty")
        text_file = row["text_file"]
        if not text_file:
            continue
        path = (text_root / text_file).resolve()
        if text_root not in path.parents:
            check.add(line, "text_file", text_file, "points outside the sources folder", f"a file name inside {schema.SOURCE_TEXT_DIR}/")
            continue
        try:
            texts[row["source_id"]] = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            check.add(line, "text_file", text_file, "file not found", f"a file in {data_dir / schema.SOURCE_TEXT_DIR}")
        except UnicodeDecodeError:
            check.add(line, "text_file", text_file, "is not valid UTF-8", "the source text saved as UTF-8")
        except OSError as exc:
            check.add(line, "text_file", text_file, f"cannot be read: {exc.strerror}", "a readable file")
    return texts


def governorate_names(data_dir: Path) -> frozenset[str]:
    """Names of Syria's governorates in the basemap (empty if the file is absent)."""
    path = basemap_dir(data_dir) / "syria_governorates.geojson"
    try:
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
        return frozenset(f["properties"]["name"] for f in features)
    except (OSError, ValueError, KeyError, TypeError):
        return frozenset()


def _check_places(table: Table, problems: list[Problem], governorates: frozenset[str] = frozenset()) -> dict[str, dict[str, str]]:
    """Validate places.csv; return {place_id: row} for every row with a valid id."""
    check = _Checker(table, problems)
    seen: dict[str, int] = {}
    places: dict[str, dict[str, str]] = {}
    routes: list[tuple[int, dict[str, str]]] = []
    countries = ", ".join(schema.COUNTRY_BBOX)
    for line, row in table.rows:
        check.required(line, row, schema.OPTIONAL_PLACE_COLUMNS)
        check.unique_id(line, "place_id", row["place_id"], seen)
        if seen.get(row["place_id"]) == line:
            places[row["place_id"]] = row
        check.vocab(line, "kind", row["kind"], schema.PLACE_KINDS)
        check.vocab(line, "geo_precision", row["geo_precision"], schema.GEO_PRECISION)
        country = row["country"]
        if country and country not in schema.COUNTRY_BBOX:
            check.add(line, "country", country, "is not a supported country code", f"ISO 3166-1 alpha-2, one of: {countries}")
        if row["geocoded_at"] and not _ISO_TIMESTAMP_RE.match(row["geocoded_at"]):
            check.add(line, "geocoded_at", row["geocoded_at"], "is not an ISO date or timestamp", "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, or empty")
        _check_coordinates(check, line, row)
        if governorates and row["country"] == schema.MAPPED_COUNTRY and row["admin1"] and row["admin1"] not in governorates:
            check.add(line, "admin1", row["admin1"], "is not a governorate name in the basemap",
                      "one of: " + ", ".join(sorted(governorates)) + "; or empty")
        if row["kind"] == "route":
            routes.append((line, row))
        elif row["route_ends"]:
            check.add(line, "route_ends", row["route_ends"], "is set on a place that is not a route", "empty unless kind is route")
    for line, row in routes:
        ends = [e.strip() for e in row["route_ends"].split(schema.LIST_SEPARATOR)] if row["route_ends"] else []
        if len(ends) != 2 or ends[0] == ends[1]:
            check.add(line, "route_ends", row["route_ends"], "a route needs two different ends", "two place_ids joined by '|', e.g. raqqa|aleppo")
            continue
        for end in ends:
            target = places.get(end)
            if target is None:
                check.add(line, "route_ends", row["route_ends"], f"end {end!r} is not a place_id in places.csv", "known place_ids")
            elif target["kind"] == "route" or not (target["lat"] and target["lon"]):
                check.add(line, "route_ends", row["route_ends"], f"end {end!r} has no coordinates of its own", "places with lat and lon")
    return places


def _check_coordinates(check: _Checker, line: int, row: dict[str, str]) -> None:
    lat_text, lon_text, precision = row["lat"], row["lon"], row["geo_precision"]
    if bool(lat_text) != bool(lon_text):
        check.add(line, "lon" if lat_text else "lat", "", "lat and lon must be given together", "both or neither")
        return
    has_coords = bool(lat_text)
    if row["kind"] in schema.UNPINNED_KINDS:
        if has_coords:
            check.add(
                line, "lat", lat_text, f"a {row['kind']} is never drawn as a point",
                "empty lat/lon; a route is drawn between its route_ends, a country's events are listed beside the map",
            )
        return
    if precision == "unidentified":
        if has_coords:
            check.add(line, "lat", lat_text, "an unidentified place must not have coordinates", "empty lat/lon, or another geo_precision")
        return
    if precision in schema.GEO_PRECISION and not has_coords:
        check.add(
            line, "lat", lat_text, f"geo_precision is {precision!r} but there are no coordinates",
            "coordinates (run: python -m dashboard geocode), or geo_precision=unidentified",
        )
        return
    if not has_coords:
        return
    lat, lon = _parse_float(lat_text), _parse_float(lon_text)
    if lat is None or not -90 <= lat <= 90:
        check.add(line, "lat", lat_text, "is not a latitude", "a decimal number between -90 and 90")
    if lon is None or not -180 <= lon <= 180:
        check.add(line, "lon", lon_text, "is not a longitude", "a decimal number between -180 and 180")
    if lat is None or lon is None:
        return
    box = schema.COUNTRY_BBOX.get(row["country"])
    if box and not (box[0] <= lon <= box[2] and box[1] <= lat <= box[3]):
        check.add(
            line, "lat", f"{lat_text},{lon_text}",
            f"lies outside {schema.COUNTRY_NAMES[row['country']]} ({row['country']})",
            f"lon {box[0]}..{box[2]}, lat {box[1]}..{box[3]}; check the place, its country, or swapped lat/lon",
        )
    if not row["coord_source"]:
        check.add(line, "coord_source", "", "coordinates need a provenance", "geocoder + query, or a citation for a value set by hand")


def _check_events(
    table: Table,
    source_ids: set[str],
    texts: dict[str, str],
    places: dict[str, dict[str, str]],
    problems: list[Problem],
) -> None:
    check = _Checker(table, problems)
    seen: dict[str, int] = {}
    normalized = {sid: normalize_ws(text) for sid, text in texts.items()}
    normalized_lower = {sid: text.casefold() for sid, text in normalized.items()}
    window = f"{schema.WINDOW_START.isoformat()}..{schema.WINDOW_END.isoformat()}"
    for line, row in table.rows:
        check.required(line, row, schema.OPTIONAL_EVENT_COLUMNS)
        check.unique_id(line, "event_id", row["event_id"], seen)
        source_id, place_id = row["source_id"], row["place_id"]
        if source_id and source_id not in source_ids:
            check.add(line, "source_id", source_id, "is not a source_id in sources.csv", "a known source_id")
        if place_id and place_id not in places:
            check.add(line, "place_id", place_id, "is not a place_id in places.csv", "a known place_id")
        dates = {}
        for column in ("date_start", "date_end"):
            value = row[column]
            parsed = parse_iso_date(value)
            if value and parsed is None:
                check.add(line, column, value, "is not an ISO date", "YYYY-MM-DD")
            elif parsed and not schema.WINDOW_START <= parsed <= schema.WINDOW_END:
                check.add(line, column, value, "is outside the data's window", window)
            else:
                dates[column] = parsed
        start, end = dates.get("date_start"), dates.get("date_end")
        basis = row["date_basis"]
        check.vocab(line, "date_basis", basis, schema.DATE_BASIS)
        if start and end:
            if start > end:
                check.add(line, "date_end", row["date_end"], f"is before date_start {row['date_start']}", "date_end >= date_start")
            elif basis == "stated" and start != end:
                check.add(line, "date_end", row["date_end"], "a stated date is one day", "date_end equal to date_start, or date_basis=bounded")
            elif basis == "bounded" and start == end:
                check.add(line, "date_basis", basis, "a window of one day is a known date", "stated or inferred when start == end")
        if basis in ("inferred", "bounded") and not row["notes"]:
            check.add(line, "notes", "", f"date_basis={basis} needs the reason in notes", "a sentence saying how the date or window follows from the text")
        check.vocab(line, "event_type", row["event_type"], schema.EVENT_TYPES)
        check.vocab(line, "actor", row["actor"], schema.ACTORS, empty_ok=True)
        check.vocab(line, "controller_before", row["controller_before"], schema.CONTROLLERS, empty_ok=True)
        check.vocab(line, "controller_after", row["controller_after"], schema.CONTROLLERS, empty_ok=True)
        check.vocab(line, "claim_status", row["claim_status"], schema.CLAIM_STATUS)
        if row["controller_after"] and row["controller_after"] == row["controller_before"]:
            check.add(line, "controller_after", row["controller_after"], "equals controller_before", "empty where control does not change")
        text = normalized.get(source_id)
        if text is not None:
            excerpt = row["excerpt"]
            if excerpt and normalize_ws(excerpt) not in text:
                check.add(line, "excerpt", excerpt, f"is not verbatim in the text of source {source_id!r}", "a span copied exactly from the source text (whitespace may differ)")
            written = row["place_as_written"]
            if written and normalize_ws(written).casefold() not in normalized_lower[source_id]:
                check.add(line, "place_as_written", written, f"does not occur in the text of source {source_id!r}", "the words the source uses for the place")


def validate(data_dir: Path | str | None = None) -> tuple[list[Problem], dict[str, Table], dict[str, str]]:
    """Check every rule on the data in `data_dir`; return (problems, tables, texts)."""
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    problems: list[Problem] = []
    if not data_dir.is_dir():
        problems.append(Problem(str(data_dir), 0, "(folder)", str(data_dir), "data folder not found", "a folder holding sources.csv, places.csv and events.csv"))
        return problems, {}, {}
    sources = read_table(data_dir, schema.SOURCES_FILE, schema.SOURCE_COLUMNS, problems)
    places = read_table(data_dir, schema.PLACES_FILE, schema.PLACE_COLUMNS, problems)
    events = read_table(data_dir, schema.EVENTS_FILE, schema.EVENT_COLUMNS, problems)
    texts = _check_sources(sources, data_dir, problems)
    place_rows = _check_places(places, problems, governorate_names(data_dir))
    source_ids = {row["source_id"] for _, row in sources.rows}
    _check_events(events, source_ids, texts, place_rows, problems)
    tables = {"sources": sources, "places": places, "events": events}
    return problems, tables, texts


def _frame(rows: Iterable[tuple[int, dict[str, str]]], columns: tuple[str, ...]) -> pd.DataFrame:
    rows = list(rows)
    frame = pd.DataFrame([row for _, row in rows], columns=list(columns), dtype="string")
    frame.insert(0, "line", pd.array([line for line, _ in rows], dtype="int64"))
    return frame


def load_dataset(data_dir: Path | str | None = None) -> Dataset:
    """Load and validate the data in `data_dir` (default: the shipped data); raise DataError on any problem."""
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    problems, tables, texts = validate(data_dir)
    if problems:
        raise DataError(data_dir, problems[:MAX_PROBLEMS])
    places = _frame(tables["places"].rows, schema.PLACE_COLUMNS)
    places["lat"] = pd.to_numeric(places["lat"].replace("", pd.NA), errors="raise").astype("Float64")
    places["lon"] = pd.to_numeric(places["lon"].replace("", pd.NA), errors="raise").astype("Float64")
    events = _frame(tables["events"].rows, schema.EVENT_COLUMNS)
    for column in ("date_start", "date_end"):
        events[column + "_day"] = (
            pd.to_datetime(events[column], format="%Y-%m-%d") - pd.Timestamp(schema.WINDOW_START)
        ).dt.days.astype("int64")
    return Dataset(
        data_dir=data_dir,
        sources=_frame(tables["sources"].rows, schema.SOURCE_COLUMNS),
        places=places,
        events=events,
        texts=texts,
    )


def iter_problem_lines(problems: Iterable[Problem]) -> Iterator[str]:
    """Yield each problem as one printable line."""
    for problem in problems:
        yield str(problem)
