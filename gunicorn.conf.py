"""gunicorn settings for the dashboard: `gunicorn -c gunicorn.conf.py dashboard.wsgi:app`.

Environment:
  WEB_CONCURRENCY   worker processes (default 2: one per core on the 2-core target box)
  GUNICORN_THREADS  threads per worker (default 4)
  PORT              port to bind (default 8050)
  HOST              interface to bind (default 127.0.0.1; set 0.0.0.0 only behind a proxy/firewall)
  DASHBOARD_DATA    data folder (default: the shipped data/)
  GUNICORN_ACCESS_LOG  path or "-" for an access log (default: none)

The app is stateless (no server-side sessions or caches that differ per worker), so
scaling out is just more workers or more replicas behind any load balancer.
"""

import os

host = os.environ.get("HOST", "127.0.0.1")
port = int(os.environ.get("PORT", "8050"))
bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# gthread: a few threads per worker keep slow or idle keep-alive clients from
# tying up a whole worker (a sync worker serves one connection at a time).  The
# callback is CPU-bound (~5 ms), so more threads would not add throughput.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# preload_app: build the app (load + validate the CSVs, precompute every day) once in
# the master, then fork.  Start-up is paid once, the workers share that memory
# copy-on-write, and invalid data stops gunicorn at once with the validator's message
# instead of every worker crash-looping.  The cost: a code or data change needs a
# full restart (SIGHUP reloads config but not preloaded code), which is what a
# deploy does anyway.  The app opens no sockets, threads or files before the fork.
preload_app = True

# Timeouts: every request is answered in milliseconds, so a worker silent for 30 s
# is stuck and gets replaced; 5 s keep-alive suits browsers behind a proxy.
timeout = 30
graceful_timeout = 20
keepalive = 5

# Request limits (the app's own cap on bodies is MAX_CONTENT_LENGTH = 64 KiB).
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# Recycle workers now and then: a leak can never grow without bound.
max_requests = 5000
max_requests_jitter = 500

accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "syria-offensive-map"
# gunicorn 24+ opens a control socket at one fixed path ($HOME/.gunicorn/gunicorn.ctl);
# two instances on one machine (tests, a benchmark, a deploy) would fight over it,
# and nothing here uses gunicornc.
control_socket_disable = True
