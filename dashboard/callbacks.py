"""Callbacks: thin adapters that check their inputs and call pure code.

Day and mode changes are handled in the browser (assets/map.js): a scrub never
reaches the server.  The server answers only a place selection.
"""

from __future__ import annotations

import pandas as pd
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, no_update

from .export import export_csv, export_filename, export_geojson, geojson_text
from .figures import MODES
from .model import Timeline
from .panel import source_panel
from .table import event_table_frame, table_page

MAX_PLACE_ID_CHARS = 80


def register_callbacks(app: Dash, timeline: Timeline, table_rows: pd.DataFrame | None = None) -> None:
    """Wire the page's callbacks for `timeline` onto `app` (`table_rows`: table.event_table_frame(timeline), if built)."""
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
        Output("selected-place", "data", allow_duplicate=True),
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

    _register_sharing(app, timeline, table_rows)

    # After the panel renders, show the selected day's lines in it.
    app.clientside_callback(
        ClientsideFunction(namespace="dashboardMap", function_name="syncPanel"),
        Output("panel-sync", "data"),
        Input("source-panel", "children"),
        State("date-slider", "value"),
        prevent_initial_call=True,  # the panel starts with a hint, no day-dependent lines
    )


def clamp_view(day: object, mode: object, n_days: int) -> tuple[int, str] | None:
    """A (day index, mode) from browser input, or None if either is not a valid value."""
    if isinstance(day, bool) or not isinstance(day, (int, float)) or day != day:
        return None
    if mode not in MODES:
        return None
    return max(0, min(n_days - 1, int(day))), mode


def _register_sharing(app: Dash, timeline: Timeline, table_rows: pd.DataFrame | None) -> None:
    """URL state, the event table's link to the map, and the exports."""
    app.clientside_callback(
        ClientsideFunction(namespace="dashboardShare", function_name="syncUrl"),
        Output("url", "search"),
        Output("date-slider", "value"),
        Output("mode", "value"),
        Output("selected-place", "data"),
        Output("url-notice", "children"),
        Input("url", "search"),
        Input("date-slider", "value"),
        Input("mode", "value"),
        Input("selected-place", "data"),
        State("day-data", "data"),
    )
    # The event table joins the page once the map has drawn (see layout.event_table).
    app.clientside_callback(
        ClientsideFunction(namespace="dashboardShare", function_name="showTable"),
        Output("event-table-slot", "children"),
        Input("event-table-spec", "data"),
        State("date-slider", "value"),
    )
    app.clientside_callback(
        ClientsideFunction(namespace="dashboardShare", function_name="tableSelect"),
        Output("selected-place", "data", allow_duplicate=True),
        Input("event-table", "active_cell"),
        State("event-table", "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(namespace="dashboardShare", function_name="highlightDay"),
        Output("event-table", "style_data_conditional"),
        Input("date-slider", "value"),
    )

    rows = event_table_frame(timeline) if table_rows is None else table_rows

    # The first page travels with the table (layout.event_table_component): no request at load.
    @app.callback(Output("event-table", "data"), Input("event-table", "page_current"), Input("event-table", "sort_by"),
                  prevent_initial_call=True)
    def event_table_page(page, sort_by):
        """One page of the event table, sorted as asked; malformed paging or sorting is ignored."""
        return table_page(rows, page, sort_by)

    @app.callback(
        Output("download", "data"),
        Input("export-csv", "n_clicks"),
        Input("export-geojson", "n_clicks"),
        State("date-slider", "value"),
        State("mode", "value"),
        prevent_initial_call=True,
    )
    def download(_csv_clicks, _geojson_clicks, day, mode):
        """Send the current view as CSV or GeoJSON; invalid view values send nothing."""
        view = clamp_view(day, mode, len(timeline.days))
        if view is None:
            return no_update
        day, mode = view
        if ctx.triggered_id == "export-csv":
            return dcc.send_string(export_csv(timeline, day, mode), export_filename(timeline, day, mode, "csv"), type="text/csv")
        if ctx.triggered_id == "export-geojson":
            return dcc.send_string(geojson_text(export_geojson(timeline, day, mode)),
                                   export_filename(timeline, day, mode, "geojson"), type="application/geo+json")
        return no_update
