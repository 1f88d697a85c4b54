"""The data contract: columns, vocabularies and the date window, defined once.

Everything else (the loader, the validator, the map, the codebook in docs/data.md)
reads these names from here; nothing else spells them out again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The offensive as this project maps it: 27 Nov 2024 (stated start) to 6 Dec 2024
# (the latest date the first source reports).  Every event date must fall inside.
WINDOW_START = date(2024, 11, 27)
WINDOW_END = date(2024, 12, 6)

SOURCES_FILE = "sources.csv"
EVENTS_FILE = "events.csv"
PLACES_FILE = "places.csv"
SOURCE_TEXT_DIR = "sources"
GEOCODE_CACHE_FILE = "geocode_cache.json"
BASEMAP_DIR = "basemap"

SOURCE_COLUMNS = (
    "source_id",
    "title",
    "publisher",
    "dateline",
    "published",
    "published_basis",
    "language",
    "url",
    "text_file",
    "notes",
)

EVENT_COLUMNS = (
    "event_id",
    "source_id",
    "place_id",
    "place_as_written",
    "date_start",
    "date_end",
    "date_basis",
    "event_type",
    "actor",
    "controller_before",
    "controller_after",
    "claim_status",
    "excerpt",
    "notes",
)

PLACE_COLUMNS = (
    "place_id",
    "name",
    "alt_names",
    "kind",
    "country",
    "admin1",
    "lat",
    "lon",
    "geo_precision",
    "coord_source",
    "geocoded_at",
    "route_ends",
)

# Columns a row may leave empty; every other column is required.
OPTIONAL_SOURCE_COLUMNS = frozenset(
    {"publisher", "published", "url", "notes", "dateline"}
)
OPTIONAL_EVENT_COLUMNS = frozenset(
    {"actor", "controller_before", "controller_after", "notes"}
)
OPTIONAL_PLACE_COLUMNS = frozenset(
    {"alt_names", "admin1", "lat", "lon", "coord_source", "geocoded_at", "route_ends"}
)

# Separator inside list-valued cells (alt_names, route_ends).
LIST_SEPARATOR = "|"


@dataclass(frozen=True)
class Term:
    """One vocabulary value: the code stored in the CSV, a label, and its meaning."""

    code: str
    label: str
    meaning: str


def _vocab(*terms: Term) -> dict[str, Term]:
    return {t.code: t for t in terms}


DATE_BASIS = _vocab(
    Term("stated", "Stated", "The source gives the date for this fact."),
    Term(
        "inferred",
        "Inferred",
        "The date follows from context (the reason is in notes); the source does not state it.",
    ),
    Term(
        "bounded",
        "Only a window",
        "Only a window is known, e.g. between the start of the offensive and the source's latest date.",
    ),
)

CLAIM_STATUS = _vocab(
    Term("reported", "Reported", "The source reports it as fact in its own voice."),
    Term("claimed", "Claimed", "A party's own claim, reported as such by the source."),
    Term("statement", "Statement", "A quoted statement (a speech, a readout, a communiqué)."),
)

EVENT_TYPES = _vocab(
    Term("capture", "Capture", "A party takes a place."),
    Term("advance", "Advance", "A party moves forward into or through an area."),
    Term("approach", "Approach", "A party nears a place; not a capture."),
    Term("clashes", "Clashes", "Fighting at a place; control not said to change."),
    Term("encirclement", "Encirclement", "A party surrounds a place, wholly or in part."),
    Term("route_cut", "Route cut", "A party severs a road between two places."),
    Term("aircraft_downed", "Aircraft downed", "An aircraft is shot down."),
    Term("operations", "Operations", "A party acts in an area (e.g. blocks movements) with no stated change of control."),
    Term("statement", "Statement", "Something is said at or about a place."),
    Term("offensive_start", "Start of the offensive", "The start of the offensive."),
)

# Who holds a place.  Colours live in figures.py; the codes live here.
CONTROLLERS = _vocab(
    Term("opposition", "HTS-led opposition", "Anti-government groups led by Hayat Tahrir al-Sham."),
    Term("government", "Syrian government", "Forces of the Assad government ('regime forces')."),
    Term("sna", "SNA (Turkish-backed)", "The Turkish-backed Syrian National Army."),
    Term("sdf", "SDF/YPG", "The Syrian Democratic Forces / YPG."),
    Term("contested", "Contested", "Fighting over it; no one party holds it."),
)

# Who acts in an event: any controller, plus parties that never hold ground on the map.
ACTORS = {
    **CONTROLLERS,
    **_vocab(
        Term("turkiye", "Türkiye (government)", "The Turkish president, government or National Security Council."),
        Term("lebanon", "Lebanon (government)", "The Lebanese government."),
    ),
}

PLACE_KINDS = _vocab(
    Term("city", "City", "A city."),
    Term("town", "Town", "A town."),
    Term("village", "Village", "A village."),
    Term("district", "District", "A part of a city or an administrative district."),
    Term("area", "Area", "A named area with no fixed boundary, e.g. a city's western countryside."),
    Term("province", "Province", "A first-level administrative area (a governorate)."),
    Term("airport", "Airport", "An airport or air base."),
    Term("route", "Route", "A road between two places; drawn as a line between its route_ends."),
    Term("country", "Country", "A whole country; never drawn as a point."),
)

GEO_PRECISION = _vocab(
    Term("exact", "Exact", "Coordinates of the place itself (a gazetteer entry or a cited value)."),
    Term(
        "approximate",
        "Approximate",
        "Near the place, within a few km; drawn with a halo. The reason is in coord_source.",
    ),
    Term("area", "Area", "A representative point of an area (province, countryside, country)."),
    Term("unidentified", "Unidentified", "Not located: no coordinates, never drawn as a point."),
)

PUBLISHED_BASIS = _vocab(
    Term("stated", "Stated", "The source states its publication date."),
    Term(
        "latest_reported_date",
        "Not before its latest date",
        "No publication date in the source; the value is the latest date it reports.",
    ),
    Term("unknown", "Unknown", "No publication date can be derived; published is empty."),
)

# ISO 3166-1 alpha-2 codes of the countries places may be in, with a bounding box
# (min_lon, min_lat, max_lon, max_lat) that every coordinate in that country must fall
# inside.  Boxes are generous rectangles around the national borders.
COUNTRY_BBOX: dict[str, tuple[float, float, float, float]] = {
    "SY": (35.5, 32.3, 42.4, 37.4),
    "TR": (25.6, 35.8, 44.9, 42.2),
    "LB": (35.0, 33.0, 36.7, 34.7),
    "IQ": (38.7, 29.0, 48.8, 37.4),
    "JO": (34.9, 29.1, 39.4, 33.4),
    "IL": (34.2, 29.4, 35.9, 33.4),
}
COUNTRY_NAMES = {
    "SY": "Syria",
    "TR": "Türkiye",
    "LB": "Lebanon",
    "IQ": "Iraq",
    "JO": "Jordan",
    "IL": "Israel",
}

# Places in this country are drawn on the map; events elsewhere go to the
# "beyond the map" lane (statements made in Ankara are not pins on Türkiye).
MAPPED_COUNTRY = "SY"

# Kinds never drawn as a point, whatever their coordinates.
UNPINNED_KINDS = frozenset({"country", "route"})

# A slug: lowercase letters, digits and hyphens/underscores, starting with a letter.
ID_PATTERN = r"^[a-z][a-z0-9_-]{0,79}$"

# Upper bounds that keep a hostile or broken file from exhausting memory.
MAX_FIELD_CHARS = 5_000
MAX_ROWS = 2_000_000


def window_days() -> list[date]:
    """Every day of the mapped window, first to last."""
    from datetime import timedelta

    n = (WINDOW_END - WINDOW_START).days + 1
    return [WINDOW_START + timedelta(days=i) for i in range(n)]
