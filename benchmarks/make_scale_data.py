"""Write a synthetic, valid dataset of any size for the scale benchmarks (seeded, deterministic).

    python benchmarks/make_scale_data.py --events 100000 --places 5000 --out benchmarks/out/data-100k

The dataset follows the same schema as data/ (dashboard/schema.py) and passes
`python -m dashboard validate --data DIR`: places are spread over Syria (inside the
governorate polygons, so inside schema.COUNTRY_BBOX['SY']) with a mix of precisions
(exact, approximate, area, unidentified), a few routes, the country itself and one
place abroad; events span the same 10 days with every date_basis, claim status and
event type, and with control changes.  Each source text is a list of numbered
sentences and every excerpt is one of those sentences, copied verbatim.

Output goes under benchmarks/out/ by default (gitignored): it is never committed.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard import schema  # noqa: E402

DEFAULT_OUT = ROOT / "benchmarks" / "out"
N_DAYS = (schema.WINDOW_END - schema.WINDOW_START).days + 1
# Places per source text: keeps each text short, so validating 100k excerpts stays cheap.
PLACES_PER_SOURCE = 25
SYLLABLES = ("al", "tal", "kafr", "jis", "ain", "deir", "bab", "khan", "ma", "sar", "ra", "qas", "ham", "nub", "zar", "mis")
CONTROL_TYPES = ("capture",)
EVENT_TYPE_WEIGHTS = {
    "capture": 14, "advance": 12, "approach": 10, "clashes": 20, "encirclement": 5, "route_cut": 3,
    "aircraft_downed": 2, "operations": 10, "statement": 8, "offensive_start": 1,
}
CONTROLLERS = list(schema.CONTROLLERS)
CAPTURERS = ("opposition", "opposition", "opposition", "sna", "sdf", "government")


def _governorates() -> list[tuple[str, list[list[tuple[float, float]]]]]:
    """(name, rings) for each governorate in the shipped basemap; used for point-in-polygon."""
    path = ROOT / "data" / schema.BASEMAP_DIR / "syria_governorates.geojson"
    try:
        collection = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    out = []
    for feature in collection["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        for polygon in polygons:
            out.append((feature["properties"].get("name") or "", [[tuple(p[:2]) for p in ring] for ring in polygon]))
    return out


def _inside(lon: float, lat: float, ring: list[tuple[float, float]]) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _point_in_syria(rng: random.Random, polygons) -> tuple[float, float, str]:
    west, south, east, north = schema.COUNTRY_BBOX["SY"]
    for _ in range(1000):
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if not polygons:
            return lat, lon, ""
        for name, rings in polygons:
            if _inside(lon, lat, rings[0]) and not any(_inside(lon, lat, hole) for hole in rings[1:]):
                return lat, lon, name
    raise RuntimeError("could not place a point inside Syria")


def _name(rng: random.Random, i: int) -> str:
    words = [rng.choice(SYLLABLES) + rng.choice(SYLLABLES) for _ in range(rng.choice((1, 2)))]
    return " ".join(w.capitalize() for w in words) + f" {i:05d}"


def make_places(n: int, rng: random.Random) -> list[dict]:
    polygons = _governorates()
    places: list[dict] = [
        {"place_id": "syria", "name": "Syria", "alt_names": "", "kind": "country", "country": "SY", "admin1": "",
         "lat": "", "lon": "", "geo_precision": "area", "coord_source": "A whole country: never pinned.",
         "geocoded_at": "", "route_ends": ""},
        {"place_id": "ankara", "name": "Ankara", "alt_names": "", "kind": "city", "country": "TR", "admin1": "Ankara",
         "lat": "39.93336", "lon": "32.85974", "geo_precision": "exact", "coord_source": "synthetic",
         "geocoded_at": "2024-12-06", "route_ends": ""},
    ]
    n_routes = max(1, n // 500) if n >= 20 else 0
    n_point = max(0, n - len(places) - n_routes)
    first_point = len(places)
    for i in range(n_point):
        r = rng.random()
        if i < 4:  # at least one of each precision, however small the dataset
            r = (0.01, 0.05, 0.1, 0.5)[i]
        pid = f"p{i:05d}"
        if r < 0.02:
            kind, precision = rng.choice(("village", "town")), "unidentified"
        elif r < 0.08:
            kind, precision = rng.choice(("area", "province")), "area"
        elif r < 0.20:
            kind, precision = rng.choice(("village", "town", "district")), "approximate"
        else:
            kind = rng.choices(("city", "town", "village", "district", "airport"), (2, 20, 70, 6, 2))[0]
            precision = "exact"
        row = {"place_id": pid, "name": _name(rng, i), "alt_names": "", "kind": kind, "country": "SY", "admin1": "",
               "lat": "", "lon": "", "geo_precision": precision, "coord_source": "", "geocoded_at": "", "route_ends": ""}
        if precision != "unidentified":
            lat, lon, admin1 = _point_in_syria(rng, polygons)
            row.update(lat=f"{lat:.5f}", lon=f"{lon:.5f}", admin1=admin1, geocoded_at="2024-12-06",
                       coord_source="synthetic: uniform random point inside the governorate polygons"
                       + ("; approximate" if precision == "approximate" else ""))
        else:
            row["coord_source"] = "synthetic: not located"
        places.append(row)
    drawable = [p for p in places[first_point:] if p["lat"]]
    for k in range(n_routes):
        a, b = rng.sample(drawable, 2)
        places.append({"place_id": f"route{k:04d}", "name": f"Road from {a['name']} to {b['name']}", "alt_names": "",
                       "kind": "route", "country": "SY", "admin1": "", "lat": "", "lon": "", "geo_precision": "approximate",
                       "coord_source": "", "geocoded_at": "", "route_ends": f"{a['place_id']}|{b['place_id']}"})
    return places[: max(n, 3)]


def _sentence(source_no: int, k: int, place: dict, template: int) -> str:
    name = place["name"]
    return [
        f"{source_no}.{k}: Fighting was reported around {name}, and the situation there changed during the offensive.",
        f"{source_no}.{k}: Forces were said to have moved on {name}; one party later claimed to hold it.",
        f"{source_no}.{k}: Officials issued a statement about {name} as the advance went on.",
    ][template]


def make(events: int, places: int, out: Path, seed: int = 20241127) -> dict:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / schema.SOURCE_TEXT_DIR).mkdir(exist_ok=True)
    place_rows = make_places(places, rng)
    targets = [p for p in place_rows if p["kind"] != "route" or p["route_ends"]]
    # Each place belongs to one source; its three sentences are in that source's text.
    n_sources = max(1, -(-len(targets) // PLACES_PER_SOURCE))
    sentences: dict[str, list[str]] = {}
    source_of: dict[str, str] = {}
    texts: dict[str, list[str]] = {}
    for i, place in enumerate(targets):
        s = i // PLACES_PER_SOURCE
        sid = f"synthetic-{s:04d}"
        lines = texts.setdefault(sid, [])
        own = [_sentence(s, len(lines) + t + 1, place, t) for t in range(3)]
        lines.extend(own)
        sentences[place["place_id"]] = own
        source_of[place["place_id"]] = sid
    source_rows = []
    for sid, lines in texts.items():
        (out / schema.SOURCE_TEXT_DIR / f"{sid}.txt").write_text(
            f"Synthetic source {sid}\n\n" + "\n".join(lines) + "\n", encoding="utf-8"
        )
        source_rows.append({"source_id": sid, "title": f"Synthetic report {sid}", "publisher": "Benchmark generator",
                            "dateline": "", "published": schema.WINDOW_END.isoformat(), "published_basis": "stated",
                            "language": "en", "url": "", "text_file": f"{sid}.txt",
                            "notes": "Generated by benchmarks/make_scale_data.py; not real reporting."})

    # Some places are busy, most are quiet: a skewed choice of place per event.
    weights = [rng.paretovariate(1.5) for _ in targets]
    types, type_weights = zip(*EVENT_TYPE_WEIGHTS.items())
    holder = {p["place_id"]: rng.choice(CONTROLLERS[:4]) for p in targets}
    event_rows = []
    chosen = rng.choices(range(len(targets)), weights=weights, k=events)
    for j, t in enumerate(chosen):
        place = targets[t]
        pid = place["place_id"]
        basis = rng.choices(("stated", "inferred", "bounded"), (6, 2, 2))[0]
        if basis == "bounded":
            start = rng.randrange(0, N_DAYS - 1)
            end = rng.randrange(start + 1, N_DAYS)
        else:
            start = end = rng.randrange(N_DAYS)
        event_type = rng.choices(types, type_weights)[0]
        claim = rng.choices(("reported", "claimed", "statement"), (7, 2, 1))[0]
        if event_type == "statement":
            claim = "statement"
        actor = rng.choice(("opposition", "opposition", "government", "sna", "sdf", "contested", "turkiye", "lebanon", ""))
        before = after = ""
        if event_type == "capture":
            actor = rng.choice(CAPTURERS)
            before = holder[pid] if rng.random() < 0.8 else ""
            after = actor if actor != before else rng.choice([c for c in CONTROLLERS if c != before])
            if claim != "claimed":
                holder[pid] = after
        elif event_type == "clashes" and rng.random() < 0.1:
            before = holder[pid]
            after = "contested" if before != "contested" else "government"
        elif rng.random() < 0.1:
            before = holder[pid]
        template = 2 if claim == "statement" else 1 if claim == "claimed" else 0
        notes = ""
        if basis == "inferred":
            notes = "Synthetic: the date is inferred from the sentence's position in the report."
        elif basis == "bounded":
            notes = "Synthetic: only a window is known for this event."
        event_rows.append({
            "event_id": f"e{j:06d}", "source_id": source_of[pid], "place_id": pid, "place_as_written": place["name"],
            "date_start": (schema.WINDOW_START + _days(start)).isoformat(),
            "date_end": (schema.WINDOW_START + _days(end)).isoformat(),
            "date_basis": basis, "event_type": event_type, "actor": actor, "controller_before": before,
            "controller_after": after, "claim_status": claim, "excerpt": sentences[pid][template], "notes": notes,
        })

    _write(out / schema.SOURCES_FILE, schema.SOURCE_COLUMNS, source_rows)
    _write(out / schema.PLACES_FILE, schema.PLACE_COLUMNS, place_rows)
    _write(out / schema.EVENTS_FILE, schema.EVENT_COLUMNS, event_rows)
    return {"out": str(out), "events": len(event_rows), "places": len(place_rows), "sources": len(source_rows)}


def _days(n: int):
    from datetime import timedelta

    return timedelta(days=n)


def _write(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--places", type=int, default=5_000)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default benchmarks/out/data-<events>-<places>)")
    parser.add_argument("--seed", type=int, default=20241127)
    args = parser.parse_args(argv)
    if args.places < 3 or args.events < 1:
        parser.error("need at least 3 places and 1 event")
    out = args.out or DEFAULT_OUT / f"data-{args.events}-{args.places}"
    print(json.dumps(make(args.events, args.places, out, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
