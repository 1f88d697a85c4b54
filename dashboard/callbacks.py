"""Callbacks: thin adapters that check their inputs and call pure code.

Day and mode changes are handled in the browser (assets/map.js): a scrub never
reaches the server.  The server answers only a place selection.
"""

from __future__ import annotations

from dash import ALL, ClientsideFunction, Dash, Input, Output, State

from .model import Timeline
from .panel import source_panel

MAX_PLACE_ID_CHARS = 80


def register_callbacks(app: Dash, timeline: Timeline) -> None:
    """Wire the page's callbacks for `timeline` onto `app`."""
    app.clientside_callback(
        ClientsideFunction(namespace="dashboardMap", function_name="applyDay"),
        Output("day-label", "children"),
        Output("day-summary", "children"),
        Input("date-slider", "value"),
        Input("mode", "value"),
        State("day-data", "data"),
    )
    app.clientside_callback(
        ClientsideFunction(namespace="dashboardMap", function_name="togglePlay"),
        Output("play-timer", "disabled"),
        Output("play-button", "children"),
        Output("play-button", "aria-pressed"),
        Output("date-slider", "value", allow_duplicate=True),
        Input("play-button", "n_clicks"),
        State("play-timer", "disabled"),
        State("date-slider", "value"),
        State("date-slider", "max"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(namespace="dashboardMap", function_name="step"),
        Output("date-slider", "value", allow_duplicate=True),
        Output("play-timer", "disabled", allow_duplicate=True),
        Output("play-button", "children", allow_duplicate=True),
        Output("play-button", "aria-pressed", allow_duplicate=True),
        Input("play-timer", "n_intervals"),
        State("date-slider", "value"),
        State("date-slider", "max"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(namespace="dashboardMap", function_name="selectPlace"),
        Output("selected-place", "data"),
        Input("map", "clickData"),
        Input({"type": "place-button", "place": ALL, "key": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )

    @app.callback(Output("source-panel", "children"), Input("selected-place", "data"), prevent_initial_call=True)
    def show_source(place_id):
        """Render the panel for a place id sent by the browser (any other value gets a notice)."""
        if isinstance(place_id, str) and len(place_id) > MAX_PLACE_ID_CHARS:
            place_id = "\x00invalid"
        return source_panel(timeline, place_id)

    # After the panel renders, show the selected day's lines in it.
    app.clientside_callback(
        ClientsideFunction(namespace="dashboardMap", function_name="syncPanel"),
        Output("panel-sync", "data"),
        Input("source-panel", "children"),
        State("date-slider", "value"),
    )
