"""The naive baseline for benchmarks/scrub.py: a server callback rebuilds the whole figure on every move.

    python benchmarks/naive_app.py --data DIR --port 8051

Same data (`--data` / $DASHBOARD_DATA), same basemap (the /basemap/ route and the
same topojsonURL config), same page ids (#map, #date-slider, #mode) and the same
stylesheet as the app, but the usual Dash pattern: every slider or mode change is a
request to the server, which rebuilds the figure (figures.figure_for_day: the base
figure plus that day's markers) and sends all of it back; dcc.Graph then redraws it
with Plotly.react.  assets/map.js is not loaded, so nothing is restyled in the browser.

The figure's layout.meta.day says which day it shows (the benchmark reads it).
`--recompute` also recomputes the day states on every move (no precomputation at all).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dash import Dash, Input, Output, dcc, html  # noqa: E402
from flask_compress import Compress  # noqa: E402

from dashboard import figures  # noqa: E402
from dashboard.app import serve_basemap  # noqa: E402
from dashboard.data import load_dataset  # noqa: E402
from dashboard.layout import GRAPH_CONFIG, timeline_controls  # noqa: E402
from dashboard.model import build_timeline  # noqa: E402
from dashboard.narrative import fmt_day  # noqa: E402
from dashboard.paths import assets_dir, default_data_dir  # noqa: E402


def create_naive_app(data_dir: str | Path | None = None, recompute: bool = False) -> Dash:
    data_path = (Path(data_dir) if data_dir is not None else default_data_dir()).resolve()
    timeline = build_timeline(load_dataset(data_path))
    payload = None if recompute else figures.client_payload(timeline)
    app = Dash(
        __name__,
        assets_folder=str(assets_dir()),
        assets_ignore=r".*\.js$",  # the stylesheet only: no clientside restyle
        title="Naive baseline",
        update_title=None,
        serve_locally=True,
        compress=False,
    )
    Compress(app.server)

    def figure(day: int, mode: str):
        fig = figures.figure_for_day(timeline, day, mode, payload)
        fig.update_layout(meta={"day": day, "mode": mode})
        return fig

    app.layout = html.Div(
        [
            html.H2(fmt_day(timeline.days[0]), id="day-label", className="day-label"),
            dcc.RadioItems(
                id="mode", options=[{"label": label, "value": m} for m, label in figures.MODE_LABELS.items()],
                value="held", inline=True, className="mode",
            ),
            dcc.Graph(id="map", figure=figure(0, "held"), config=GRAPH_CONFIG, className="map"),
            timeline_controls(timeline),
        ],
        className="page",
    )

    @app.callback(Output("map", "figure"), Output("day-label", "children"),
                  Input("date-slider", "value"), Input("mode", "value"), prevent_initial_call=True)
    def redraw(day, mode):
        day = max(0, min(len(timeline.days) - 1, int(day or 0)))
        mode = mode if mode in figures.MODES else "held"
        return figure(day, mode), fmt_day(timeline.days[day])

    serve_basemap(app, data_path)

    return app


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(description="The naive baseline (server callback rebuilds the figure).")
    parser.add_argument("--data", type=Path, default=os.environ.get("DASHBOARD_DATA"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8051)
    parser.add_argument("--recompute", action="store_true", help="recompute the day states on every move too")
    args = parser.parse_args(argv)
    app = create_naive_app(args.data, recompute=args.recompute)
    print(f"Naive baseline on http://{args.host}:{args.port}/", flush=True)
    app.run(host=args.host, port=args.port, debug=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
