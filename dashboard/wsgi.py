"""WSGI entry point for production servers: `gunicorn -c gunicorn.conf.py dashboard.wsgi:app`.

The app is built once per process at import (with gunicorn.conf.py's preload_app,
once in the master, then shared by every forked worker).  The data folder is
$DASHBOARD_DATA, or the shipped data/.  Invalid data stops the server at start-up
with the validator's message, never a half-working app.

The app keeps no per-user state on the server (all state lives in the browser), so
any worker, in any replica behind a load balancer, can answer any request: no
sticky sessions are needed.
"""

from __future__ import annotations

from .app import create_app
from .data import DataError

try:
    dash_app = create_app()
except DataError as exc:  # pragma: no cover - exercised by starting gunicorn on bad data
    raise SystemExit(f"{exc}\nThe app did not start: the data is invalid.") from None

# The Flask server is the WSGI callable.
app = dash_app.server
