"""Load and validate the curated CSVs and source texts (no Dash imports).

`load_dataset(data_dir)` returns a `Dataset` or raises `DataError` listing every
problem found, each as ``file:line: column=value: what is wrong (what is allowed)``.
The CLI's ``validate`` command and the app's start-up use this same code path.
"""

from __future__ import annotations

import csv
import gc
import json
import math
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema
from .paths import basemap_dir, default_data_dir

_ID_RE = re.compile(schema.ID_PATTERN)
# Many ids, each ended by a NUL, every one matching ID_PATTERN (see _invalid_ids).
_ALL_IDS_RE = re.compile(r"(?:(?:" + schema.ID_PATTERN.removeprefix("^").removesuffix("$") + r")\x00)*")
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_WS_RE = re.compile(r"\s+")
_URL_RE = re.compile(r"^https?://[^\s]+$")
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
    # The same as _WS_RE.sub(" ", text).strip() (\s is str.isspace), without the regex.
    return " ".join(text.split())


def _normalized(text: str) -> str:
    """normalize_ws(text), skipping the rewrite when the text is already normal (as most are).

    Every whitespace character but the plain space is unprintable, so printable text
    without a double space or a space at either end is exactly what normalize_ws returns.
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return normalize_ws(text)


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


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while building many small objects.

    A large file makes hundreds of thousands of lists and dicts, none of them in a
    cycle; without this the collector rescans them again and again (about half the
    time of reading a big file).  Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# ---------------------------------------------------------------- reading


@dataclass
class Table:
    name: str
    rows: list[tuple[int, dict[str, str]]]  # (line number, row)
    ok: bool  # header matched; rows were read


@dataclass
class _Records:
    """A table as read: each row's line number and its stripped values, kept flat.

    Row i is ``values[i * width:(i + 1) * width]`` and column j is ``values[j::width]``,
    both plain list slices.
    """

    name: str
    columns: tuple[str, ...]
    lines: list[int]
    values: list[str]
    ok: bool

    def __len__(self) -> int:
        return len(self.lines)

    def row(self, i: int) -> dict[str, str]:
        width = len(self.columns)
        return dict(zip(self.columns, self.values[i * width : (i + 1) * width]))

    def table(self) -> Table:
        return Table(self.name, [(line, self.row(i)) for i, line in enumerate(self.lines)], self.ok)

    @cached_property
    def column_values(self) -> dict[str, list[str]]:
        """Every column's values, one per row."""
        width = len(self.columns)
        return {column: self.values[j::width] for j, column in enumerate(self.columns)}


class _Stripped(dict):
    """raw CSV value -> value.strip(), one shared str object per distinct stripped value.

    A column that repeats a few values (a vocabulary, a date, a source) then points at
    a few shared objects, so the rows are smaller and every later pass over the column
    is cheap; each distinct raw value is stripped once.
    """

    def __init__(self) -> None:
        super().__init__()
        self._shared: dict[str, str] = {}

    def __missing__(self, raw: str) -> str:
        value = raw.strip()
        value = self[raw] = self._shared.setdefault(value, value)
        return value


def read_table(
    data_dir: Path, name: str, columns: tuple[str, ...], problems: list[Problem]
) -> Table:
    """Read one CSV strictly: exact header, one value per column, UTF-8 (BOM allowed)."""
    with gc_paused():
        return _read_records(data_dir, name, columns, problems).table()


def _read_records(
    data_dir: Path, name: str, columns: tuple[str, ...], problems: list[Problem]
) -> _Records:
    path = data_dir / name
    if not path.is_file():
        problems.append(
            Problem(name, 0, "(file)", str(path), "file is missing", f"create it with the header: {','.join(columns)}")
        )
        return _Records(name, columns, [], [], False)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(name, line, "(encoding)", repr(raw[exc.start : exc.start + 8]), "not valid UTF-8", "save the file as UTF-8")
        )
        return _Records(name, columns, [], [], False)
    except OSError as exc:
        problems.append(Problem(name, 0, "(file)", str(path), f"cannot be read: {exc.strerror}", "a readable file"))
        return _Records(name, columns, [], [], False)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        problems.append(Problem(name, line, "(file)", "\\x00", "contains a NUL byte", "a plain-text CSV"))
        return _Records(name, columns, [], [], False)

    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines, strict=True)
    lines_of: list[int] = []
    flat: list[str] = []
    stripped = _Stripped()
    try:
        header = next(reader, None)
        if header is None:
            problems.append(Problem(name, 1, "(header)", "", "file is empty", f"header: {','.join(columns)}"))
            return _Records(name, columns, [], [], False)
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
            return _Records(name, columns, [], [], False)
        start = reader.line_num + 1
        width = len(columns)
        strip = str.strip
        extend = flat.extend
        append_line = lines_of.append
        stripped_value = stripped.__getitem__
        for values in reader:
            if len(lines_of) >= schema.MAX_ROWS:
                problems.append(Problem(name, start, "(file)", "", "too many rows", f"at most {schema.MAX_ROWS}"))
                break
            row_id = values[0].strip() if values else ""
            if not row_id and not any(map(strip, values)):
                start = reader.line_num + 1
                continue  # blank lines are harmless in a hand-edited file
            if len(values) != width:
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
                append_line(start)
                values[0] = ""  # the row's own id is unique: nothing to share, so set it apart
                extend(map(stripped_value, values))
                flat[-width] = row_id
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(
            Problem(name, reader.line_num, "(row)", "", f"is not well-formed CSV: {exc}", "RFC 4180 CSV; close every quote")
        )
    return _Records(name, columns, lines_of, flat, True)


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
        if url and not _URL_RE.match(url):
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


class _EventRules:
    """Every events.csv rule for one row, with the per-source texts and the caches they share."""

    def __init__(
        self,
        check: _Checker,
        source_ids: set[str],
        texts: dict[str, str],
        places: dict[str, dict[str, str]],
    ):
        self.check = check
        self.source_ids = source_ids
        self.places = places
        self.seen: dict[str, int] = {}
        self.normalized = {sid: normalize_ws(text) for sid, text in texts.items()}
        self.normalized_lower = {sid: text.casefold() for sid, text in self.normalized.items()}
        self.window = f"{schema.WINDOW_START.isoformat()}..{schema.WINDOW_END.isoformat()}"
        # Distinct values repeat across rows (one excerpt per several places, one name per place):
        # normalise and search each distinct (source, value) once.
        self._ws: dict[str, str] = {}
        self._ws_lower: dict[str, str] = {}
        self._verbatim: dict[tuple[str, str], bool] = {}
        self._written: dict[tuple[str, str], bool] = {}

    def excerpt_found(self, source_id: str, excerpt: str) -> bool:
        """normalize_ws(excerpt) occurs in the source's normalised text (which must exist)."""
        key = (source_id, excerpt)
        found = self._verbatim.get(key)
        if found is None:
            needle = self._ws.get(excerpt)
            if needle is None:
                needle = self._ws[excerpt] = _normalized(excerpt)
            found = self._verbatim[key] = needle in self.normalized[source_id]
        return found

    def written_found(self, source_id: str, written: str) -> bool:
        """normalize_ws(written).casefold() occurs in the source's case-folded text (which must exist)."""
        key = (source_id, written)
        found = self._written.get(key)
        if found is None:
            needle = self._ws_lower.get(written)
            if needle is None:
                needle = self._ws_lower[written] = _normalized(written).casefold()
            found = self._written[key] = needle in self.normalized_lower[source_id]
        return found

    def row(self, line: int, row: dict[str, str]) -> None:
        """Check one row, reporting its problems in the same order as always."""
        check = self.check
        check.required(line, row, schema.OPTIONAL_EVENT_COLUMNS)
        check.unique_id(line, "event_id", row["event_id"], self.seen)
        source_id, place_id = row["source_id"], row["place_id"]
        if source_id and source_id not in self.source_ids:
            check.add(line, "source_id", source_id, "is not a source_id in sources.csv", "a known source_id")
        if place_id and place_id not in self.places:
            check.add(line, "place_id", place_id, "is not a place_id in places.csv", "a known place_id")
        dates = {}
        for column in ("date_start", "date_end"):
            value = row[column]
            parsed = parse_iso_date(value)
            if value and parsed is None:
                check.add(line, column, value, "is not an ISO date", "YYYY-MM-DD")
            elif parsed and not schema.WINDOW_START <= parsed <= schema.WINDOW_END:
                check.add(line, column, value, "is outside the data's window", self.window)
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
        if source_id in self.normalized:
            excerpt = row["excerpt"]
            if excerpt and not self.excerpt_found(source_id, excerpt):
                check.add(line, "excerpt", excerpt, f"is not verbatim in the text of source {source_id!r}", "a span copied exactly from the source text (whitespace may differ)")
            written = row["place_as_written"]
            if written and not self.written_found(source_id, written):
                check.add(line, "place_as_written", written, f"does not occur in the text of source {source_id!r}", "the words the source uses for the place")

    def suspects(self, columns: dict[str, list[str]], n: int) -> list[int]:
        """Indices of the rows that may break a rule; every other row is certainly clean.

        Works on each column's distinct values (and distinct combinations of the values
        the rules compare within a row), so a large valid file costs a few passes in C
        instead of dozens of Python steps per row.  The rows it returns are then checked
        one by one with `row`, which alone decides what is reported; the test errs towards
        suspicion, and a suspect may well turn out clean.
        """
        suspect: set[int] = set()
        if n == 0:
            return []

        def flag_values(column: str, bad: set[str]) -> None:
            if bad:
                suspect.update(i for i, v in enumerate(columns[column]) if v in bad)

        def flag_combos(combos: Iterable[tuple], bad: set[tuple]) -> None:
            if bad:
                suspect.update(i for i, combo in enumerate(combos) if combo in bad)

        limit = schema.MAX_FIELD_CHARS
        distinct: dict[str, set[str]] = {}
        for column in schema.EVENT_COLUMNS:
            values = distinct[column] = set(columns[column])
            # (An id that long fails ID_PATTERN, so _invalid_ids below flags it anyway.)
            too_long = column != "event_id" and max(map(len, values)) > limit
            bad = {v for v in values if len(v) > limit} if too_long else set()
            if column not in schema.OPTIONAL_EVENT_COLUMNS and "" in values:
                bad.add("")
            flag_values(column, bad)

        ids = distinct["event_id"]
        if len(ids) != n:
            counts: dict[str, int] = {}
            for v in columns["event_id"]:
                counts[v] = counts.get(v, 0) + 1
            flag_values("event_id", {v for v, k in counts.items() if k > 1})
        flag_values("event_id", _invalid_ids(ids))
        flag_values("source_id", distinct["source_id"] - self.source_ids - {""})
        flag_values("place_id", {v for v in distinct["place_id"] - {""} if v not in self.places})
        flag_values("date_basis", {v for v in distinct["date_basis"] if v not in schema.DATE_BASIS})
        flag_values("event_type", {v for v in distinct["event_type"] if v not in schema.EVENT_TYPES})
        flag_values("actor", {v for v in distinct["actor"] if v and v not in schema.ACTORS})
        for column in ("controller_before", "controller_after"):
            flag_values(column, {v for v in distinct[column] if v and v not in schema.CONTROLLERS})
        flag_values("claim_status", {v for v in distinct["claim_status"] if v not in schema.CLAIM_STATUS})

        # Rules that compare values within a row, checked once per distinct combination.
        def in_window(value: str) -> bool:
            parsed = parse_iso_date(value)
            return parsed is not None and schema.WINDOW_START <= parsed <= schema.WINDOW_END

        for column in ("date_start", "date_end"):
            flag_values(column, {v for v in distinct[column] if not in_window(v)})
        def within_rows() -> Iterator[tuple]:
            return zip(
                columns["date_start"], columns["date_end"], columns["date_basis"], map(bool, columns["notes"]),
                columns["controller_before"], columns["controller_after"],
            )

        bad_combos = set()
        for combo in set(within_rows()):
            start_text, end_text, basis, has_notes, before, after = combo
            start, end = parse_iso_date(start_text), parse_iso_date(end_text)
            if (
                (start and end and (start > end or (basis == "stated" and start != end) or (basis == "bounded" and start == end)))
                or (basis in ("inferred", "bounded") and not has_notes)
                or (after and after == before)
            ):
                bad_combos.add(combo)
        flag_combos(within_rows(), bad_combos)

        # Text checks, once per distinct (source, value) pair of a source whose text loaded.
        for column, texts, needles, needle_of in (
            ("excerpt", self.normalized, self._ws, _normalized),
            ("place_as_written", self.normalized_lower, self._ws_lower, lambda v: _normalized(v).casefold()),
        ):
            bad_pairs = set()
            for sid, value in set(zip(columns["source_id"], columns[column])):
                if value and sid in texts:
                    needle = needles.get(value)
                    if needle is None:
                        needle = needles[value] = needle_of(value)
                    if needle not in texts[sid]:
                        bad_pairs.add((sid, value))
            flag_combos(zip(columns["source_id"], columns[column]), bad_pairs)
        return sorted(suspect)


def _invalid_ids(values: set[str]) -> set[str]:
    """The values that _ID_RE rejects (checked in one pass when, as usual, all pass)."""
    # No value holds a NUL (read_table refuses such files), so NUL can separate them.
    if _ALL_IDS_RE.fullmatch("\x00".join(values) + "\x00"):
        return set()
    return {v for v in values if not _ID_RE.match(v)}


def _check_events(
    table: _Records,
    source_ids: set[str],
    texts: dict[str, str],
    places: dict[str, dict[str, str]],
    problems: list[Problem],
) -> None:
    rules = _EventRules(_Checker(Table(table.name, [], table.ok), problems), source_ids, texts, places)
    # A row that is not a suspect has a valid id found nowhere else in the file, so it
    # never meets another row in `seen`: checking only the suspects, in file order,
    # reports exactly what checking every row would.
    for i in rules.suspects(table.column_values, len(table)):
        rules.row(table.lines[i], table.row(i))


def validate(data_dir: Path | str | None = None) -> tuple[list[Problem], dict[str, Table], dict[str, str]]:
    """Check every rule on the data in `data_dir`; return (problems, tables, texts)."""
    with gc_paused():
        problems, tables, texts = _validate(data_dir)
        if "events" in tables:
            tables["events"] = tables["events"].table()
        return problems, tables, texts


def _validate(data_dir: Path | str | None) -> tuple[list[Problem], dict, dict[str, str]]:
    """validate(), but events stay as _Records (a large file need never become dicts)."""
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    problems: list[Problem] = []
    if not data_dir.is_dir():
        problems.append(Problem(str(data_dir), 0, "(folder)", str(data_dir), "data folder not found", "a folder holding sources.csv, places.csv and events.csv"))
        return problems, {}, {}
    sources = _read_records(data_dir, schema.SOURCES_FILE, schema.SOURCE_COLUMNS, problems).table()
    places = _read_records(data_dir, schema.PLACES_FILE, schema.PLACE_COLUMNS, problems).table()
    events = _read_records(data_dir, schema.EVENTS_FILE, schema.EVENT_COLUMNS, problems)
    texts = _check_sources(sources, data_dir, problems)
    place_rows = _check_places(places, problems, governorate_names(data_dir))
    source_ids = {row["source_id"] for _, row in sources.rows}
    _check_events(events, source_ids, texts, place_rows, problems)
    tables = {"sources": sources, "places": places, "events": events}
    return problems, tables, texts


# Columns stored as pandas categoricals: a handful of distinct values repeated on many
# rows (vocabularies, dates, ids of sources and places).  They compare, .isin, .map,
# iterate and .to_numpy() to the same str values as a string column, in a fraction of
# the memory.  Free text and each row's own id stay strings.
_CATEGORICAL_EVENT_COLUMNS = frozenset({
    "source_id", "place_id", "date_start", "date_end", "date_basis", "event_type",
    "actor", "controller_before", "controller_after", "claim_status",
})
_CATEGORICAL_PLACE_COLUMNS = frozenset({"kind", "country", "admin1", "geo_precision"})


def _frame(
    lines: list[int], columns: dict[str, list[str]] | dict[str, tuple[str, ...]], categorical: frozenset[str] = frozenset()
) -> pd.DataFrame:
    """A "line" column, then one column per CSV column: categorical or pandas "string"."""
    data: dict[str, object] = {"line": np.array(lines, dtype=np.int64)}
    for column, values in columns.items():
        if column in categorical:
            data[column] = _categorical(values)
        else:
            data[column] = pd.array(values, dtype="string")
    return pd.DataFrame(data, copy=False)


def _categorical(values: list[str] | tuple[str, ...]) -> pd.Categorical:
    """pd.Categorical(values) (sorted str categories), coded through a dict of the few distinct values.

    pandas would hash every row's string; here equal values are mostly one object already.
    """
    categories = sorted(set(values))
    code = {value: i for i, value in enumerate(categories)}
    codes = np.fromiter(map(code.__getitem__, values), dtype=np.int32, count=len(values))
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype="str"))


def _table_columns(table: Table, columns: tuple[str, ...]) -> tuple[list[int], dict[str, tuple[str, ...]]]:
    lines = [line for line, _ in table.rows]
    if not table.rows:
        return lines, {column: () for column in columns}
    rows = [tuple(row.values()) for _, row in table.rows]  # read_table keeps the column order
    return lines, dict(zip(columns, zip(*rows)))


def _days(values: list[str]) -> np.ndarray:
    """Days since WINDOW_START of each (validated) YYYY-MM-DD value."""
    day = {value: (date.fromisoformat(value) - schema.WINDOW_START).days for value in set(values)}
    return np.fromiter(map(day.__getitem__, values), dtype=np.int64, count=len(values))


def load_dataset(data_dir: Path | str | None = None) -> Dataset:
    """Load and validate the data in `data_dir` (default: the shipped data); raise DataError on any problem."""
    with gc_paused():
        return _load(Path(data_dir) if data_dir is not None else default_data_dir())


def _load(data_dir: Path) -> Dataset:
    problems, tables, texts = _validate(data_dir)
    if problems:
        raise DataError(data_dir, problems[:MAX_PROBLEMS])
    places = _frame(*_table_columns(tables["places"], schema.PLACE_COLUMNS), _CATEGORICAL_PLACE_COLUMNS)
    places["lat"] = pd.to_numeric(places["lat"].replace("", pd.NA), errors="raise").astype("Float64")
    places["lon"] = pd.to_numeric(places["lon"].replace("", pd.NA), errors="raise").astype("Float64")
    records = tables["events"]
    event_columns = records.column_values
    events = _frame(records.lines, event_columns, _CATEGORICAL_EVENT_COLUMNS)
    for column in ("date_start", "date_end"):
        events[column + "_day"] = _days(event_columns[column])
    return Dataset(
        data_dir=data_dir,
        sources=_frame(*_table_columns(tables["sources"], schema.SOURCE_COLUMNS)),
        places=places,
        events=events,
        texts=texts,
    )


def iter_problem_lines(problems: Iterable[Problem]) -> Iterator[str]:
    """Yield each problem as one printable line."""
    for problem in problems:
        yield str(problem)
