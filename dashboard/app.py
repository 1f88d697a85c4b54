"""The Dash application factory (WSGI-ready: gunicorn "dashboard.app:create_app()")."""

from __future__ import annotations

from pathlib import Path

from dash import Dash
from flask import abort, send_from_directory
from flask_compress import Compress

from .callbacks import register_callbacks
from .data import load_dataset
from .layout import build_layout
from .model import build_timeline
from .paths import assets_dir, basemap_dir, default_data_dir
from .security import apply_security

BASEMAP_FILES = frozenset({"world_50m.json", "world_110m.json", "syria_governorates.geojson"})


def create_app(data_dir: str | Path | None = None) -> Dash:
    """Build the app for the data in `data_dir` (default: $DASHBOARD_DATA or the shipped data/).

    Raises data.DataError, listing every problem, if the data is invalid.
    """
    data_path = Path(data_dir) if data_dir is not None else default_data_dir()
    timeline = build_timeline(load_dataset(data_path))
    app = Dash(
        __name__,
        assets_folder=str(assets_dir()),
        title="Syria offensive map, 27 Nov - 6 Dec 2024",
        update_title=None,
        serve_locally=True,
        compress=False,
    )
    Compress(app.server)
    app.layout = build_layout(timeline)
    register_callbacks(app, timeline)

    basemap = basemap_dir(data_path)

    @app.server.route("/basemap/<path:name>")
    def basemap_file(name: str):
        if name not in BASEMAP_FILES:
            abort(404)
        return send_from_directory(basemap, name, max_age=86400)

    apply_security(app)
    return app
