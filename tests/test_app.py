"""The app factory: compression, the compressed-bundle cache, the basemap route."""

from __future__ import annotations

import gzip

import pytest

from dashboard.app import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    import sys
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from conftest import write_dataset

    return create_app(write_dataset(tmp_path_factory.mktemp("d") / "data")).server.test_client()


def body(response) -> bytes:
    data = response.get_data()
    return gzip.decompress(data) if response.headers.get("Content-Encoding") == "gzip" else data


def test_dynamic_responses_are_never_served_from_another_requests_cache(client):
    paths = ["/_dash-layout", "/_dash-dependencies", "/"]
    plain = {p: client.get(p).get_data() for p in paths}
    for _ in range(30):  # request objects are recycled: an id-based key would collide here
        for path in paths:
            got = body(client.get(path, headers={"Accept-Encoding": "gzip"}))
            if path == "/":  # the page embeds a per-request value; check it is the page
                assert got.startswith(b"<!DOCTYPE html>") and b"_dash-config" in got
            else:
                assert got == plain[path], path


def test_js_bundles_are_compressed_once_and_served_compressed(client):
    page = client.get("/").get_data(as_text=True)
    sources = [part.split('"')[0] for part in page.split('src="')[1:]]
    bundle = next(src for src in sources if "dash_renderer" in src)
    first = client.get(bundle, headers={"Accept-Encoding": "gzip"})
    second = client.get(bundle, headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    assert first.get_data() == second.get_data()
    assert len(first.get_data()) < len(gzip.decompress(first.get_data())) / 2


def test_basemap_route_serves_only_known_files(client):
    assert client.get("/basemap/world_50m.json").status_code == 200
    assert client.get("/basemap/syria_governorates.geojson").status_code == 200
    for bad in ("/basemap/../events.csv", "/basemap/LICENSE.md", "/basemap/%2e%2e/places.csv",
                "/vendor/LICENSE-plotly.js.txt", "/vendor/../pyproject.toml"):
        assert client.get(bad).status_code == 404
    assert client.get("/vendor/plotly-geo-4.1.1.min.js").status_code == 200


def test_every_callback_id_is_in_the_layout_or_the_deferred_table(tmp_path):
    """The renderer's own check is off (suppress_callback_exceptions): the table joins later."""
    import json

    from conftest import write_dataset

    app = create_app(write_dataset(tmp_path / "data"))
    client = app.server.test_client()
    layout = client.get("/_dash-layout").get_json()
    ids: set[str] = set()
    patterns: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props") if "namespace" in node else None
            if isinstance(props, dict) and "id" in props:
                (patterns if isinstance(props["id"], dict) else ids).add(
                    props["id"]["type"] if isinstance(props["id"], dict) else props["id"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(layout)  # the table's spec sits in the "event-table-spec" store, so it is walked too
    for spec in client.get("/_dash-dependencies").get_json():
        outputs = spec["output"].strip(".").split("...")
        for item in [*spec["inputs"], *spec["state"], *({"id": o.rsplit(".", 1)[0]} for o in outputs)]:
            key = item["id"]
            if key.startswith("{"):
                assert json.loads(key)["type"] in patterns, key
            else:
                assert key.split("@")[0] in ids, key


def test_page_preloads_what_the_map_needs_and_every_preload_exists(client):
    import re

    page = client.get("/").get_data(as_text=True)
    hrefs = re.findall(r'<link rel="preload"[^>]*href="([^"]+)"', page)
    assert any(h.endswith("/dcc/async-graph.js") for h in hrefs)
    assert any(h.startswith("/basemap/world_") for h in hrefs)
    for href in hrefs:
        assert client.get(href).status_code == 200, href
