"""The Dash application factory (WSGI-ready: gunicorn "dashboard.app:create_app()")."""

from __future__ import annotations

from pathlib import Path

from dash import Dash, dcc
from dash.dash import _default_index
from flask import abort, send_from_directory
from flask_compress import Compress

from .callbacks import register_callbacks
from .data import load_dataset
from .layout import build_layout
from .table import event_table_frame
from .model import build_timeline
from .paths import PLOTLY_GEO_BUNDLE, assets_dir, basemap_dir, default_data_dir, vendor_dir
from .security import apply_security

BASEMAP_FILES = frozenset({"world_50m.json", "world_110m.json", "syria_governorates.geojson"})


class _BundleCache:
    """Flask-Compress cache that keeps only Dash's fixed JS bundles (a bounded set of paths)."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def get(self, key: str):
        return self._store.get(key)

    def set(self, key: str, value) -> None:
        if _NO_CACHE not in key:  # Flask-Compress prefixes the algorithm: "gzip;<our key>"
            self._store[key] = value


_NO_CACHE = "\0nocache"


def _bundle_cache_key(request) -> str:
    # Compressing plotly.min.js (4.8 MB) costs ~0.3 s of CPU per visitor; do it once per
    # worker.  Callbacks and other dynamic responses get a key that is never stored.
    if request.method == "GET" and request.path.startswith(("/_dash-component-suites/", "/vendor/")):
        return request.path
    return f"{_NO_CACHE}{id(request)}"


def _cache_compressed_bundles(server) -> None:
    server.config["COMPRESS_CACHE_BACKEND"] = _BundleCache
    server.config["COMPRESS_CACHE_KEY"] = _bundle_cache_key


def serve_basemap(app: Dash, data_path: Path) -> None:
    """Serve the offline basemap files for `data_path` at /basemap/<name> (plotly's topojsonURL)."""
    basemap = basemap_dir(data_path)

    @app.server.route("/basemap/<path:name>")
    def basemap_file(name: str):
        if name not in BASEMAP_FILES:
            abort(404)
        return send_from_directory(basemap, name, max_age=86400)


def serve_vendor(app: Dash) -> None:
    """Serve the vendored third-party scripts at /vendor/<name> (only the known files)."""
    folder = vendor_dir()

    @app.server.route("/vendor/<path:name>")
    def vendor_file(name: str):
        if name != PLOTLY_GEO_BUNDLE:
            abort(404)
        return send_from_directory(folder, name, max_age=86400)


# Component chunks the first render needs, which dcc would otherwise request only once
# React reaches the graph and the slider (after the layout has been fetched and rendered).
PRELOAD_CHUNKS = ("dcc/async-graph.js", "dcc/async-slider.js")


def _find_map_figure(node) -> dict | None:
    """The figure of the dcc.Graph with id "map" in a layout tree."""
    if isinstance(node, dcc.Graph) and getattr(node, "id", None) == "map":
        figure = node.figure
        return figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else figure
    children = getattr(node, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, str):
            found = _find_map_figure(child)
            if found is not None:
                return found
    return None


def basemap_urls(figure: dict | None) -> list[str]:
    """The /basemap/ files Plotly will fetch for `figure`: the topojson and any geojson by URL."""
    if not figure:
        return []
    geo = (figure.get("layout") or {}).get("geo") or {}
    urls = [f"/basemap/world_{geo.get('resolution') or 110}m.json"]
    urls += [t["geojson"] for t in figure.get("data", []) if isinstance(t.get("geojson"), str)]
    return [u for u in urls if u.startswith("/basemap/") and u.rsplit("/", 1)[-1] in BASEMAP_FILES]


def index_with_preloads(app: Dash, basemaps: list[str]) -> str:
    """Dash's page, plus <link rel=preload> for what the map needs first (fetched while the
    scripts load, instead of after them).  No inline script: the CSP hashes do not change."""
    prefix = app.config.requests_pathname_prefix
    links = [f'<link rel="preload" as="script" href="{prefix}_dash-component-suites/dash/{chunk}">'
             for chunk in PRELOAD_CHUNKS]
    # Plotly fetches these with fetch()/XHR (CORS mode, same-origin credentials): crossorigin matches.
    links += [f'<link rel="preload" as="fetch" crossorigin="anonymous" href="{url}">' for url in basemaps]
    return _default_index.replace("{%css%}", "{%css%}\n        " + "\n        ".join(links), 1)


def create_app(data_dir: str | Path | None = None) -> Dash:
    """Build the app for the data in `data_dir` (default: $DASHBOARD_DATA or the shipped data/).

    Raises data.DataError, listing every problem, if the data is invalid.
    """
    data_path = (Path(data_dir) if data_dir is not None else default_data_dir()).resolve()
    timeline = build_timeline(load_dataset(data_path))
    app = Dash(
        __name__,
        assets_folder=str(assets_dir()),
        title="Syria offensive map, 27 Nov - 6 Dec 2024",
        update_title=None,
        serve_locally=True,
        compress=False,
        # Third-party code lives in vendor/, not assets/: the partial plotly.js (geo traces
        # only) defines window.Plotly first, so dcc.Graph never fetches the 4.8 MB bundle.
        external_scripts=[f"/vendor/{PLOTLY_GEO_BUNDLE}"],
        # The event table joins the page after the map (layout.event_table), so some callback
        # ids are not in the first layout; tests/test_app.py checks every callback id instead.
        suppress_callback_exceptions=True,
    )
    _cache_compressed_bundles(app.server)
    Compress(app.server)
    table_rows = event_table_frame(timeline)  # the table's first page and its server paging share it
    app.layout = build_layout(timeline, table_rows)
    app.index_string = index_with_preloads(app, basemap_urls(_find_map_figure(app.layout)))
    register_callbacks(app, timeline, table_rows)

    serve_basemap(app, data_path)
    serve_vendor(app)
    apply_security(app)
    return app
