"""Load test: N simulated users against gunicorn on 127.0.0.1, for T seconds.

    python benchmarks/load.py --users 50 --duration 60            # starts gunicorn itself
    python benchmarks/load.py --url http://127.0.0.1:8050 ...     # an already running server

Each user (a thread with its own keep-alive connection) first loads the page as a
browser does: the HTML, /_dash-layout and /_dash-dependencies (with --assets, also
the JS bundles, which a browser caches after the first visit).  Then, until the time
is up, it clicks a random known place (the one server callback: selected-place ->
source-panel, POSTed to /_dash-update-component) or, now and then, fetches the
basemap, pausing between actions as a person would (--think-min/--think-max; 0 for a
closed loop with no pause).  Day scrubbing never reaches the server (assets/map.js).

Traffic goes only to 127.0.0.1 / localhost; users, duration and total requests are
capped.  Prints requests/s, p50/p95/p99/max latency per kind and the error count,
and writes the same as JSON (default benchmarks/out/load.json).  With --check, exits
1 unless there were 0 errors and callback p95 < --p95-target-ms.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dashboard.testing import running_server  # noqa: E402

MAX_USERS = 300
MAX_DURATION = 600.0
MAX_REQUESTS = 1_000_000
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
CALLBACK_PATH = "/_dash-update-component"
BASEMAP_PATH = "/basemap/world_50m.json"
# Loaded on demand by dcc/dash_table after the page starts (seen in Chromium's network log).
ASYNC_ASSETS = [
    "/_dash-component-suites/dash/dcc/async-graph.js",
    "/_dash-component-suites/dash/dcc/async-slider.js",
    "/_dash-component-suites/dash/dash_table/async-table.js",
    "/_dash-component-suites/dash/dash_table/async-highlight.js",
    "/_dash-component-suites/plotly/package_data/plotly.min.js",
    "/basemap/syria_governorates.geojson",
]


def callback_body(place_id: str) -> bytes:
    return json.dumps({
        "output": "source-panel.children",
        "outputs": {"id": "source-panel", "property": "children"},
        "inputs": [{"id": "selected-place", "property": "data", "value": place_id}],
        "changedPropIds": ["selected-place.data"],
        "state": [],
    }).encode()


def place_ids_from_layout(layout: dict) -> list[str]:
    """Place ids a user can click: the map's markers (customdata[0]) and the list buttons."""
    found: set[str] = set()
    stack = [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ident = node.get("id")
            if isinstance(ident, dict) and ident.get("type") == "place-button":
                found.add(str(ident["place"]))
            if node.get("type") == "scattergeo" and node.get("name") == "places":
                found.update(str(row[0]) for row in node.get("customdata") or [] if row)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(found)


def script_srcs(html: str) -> list[str]:
    import re

    return re.findall(r'<script src="([^"]+)"', html)


class Recorder:
    """Thread-safe latencies (seconds) and errors per request kind."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_samples: list[str] = []
        self.total = 0

    def add(self, kind: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.total += 1
            self.latencies[kind].append(seconds)
            if not ok:
                self.errors[kind] += 1
                if len(self.error_samples) < 20:
                    self.error_samples.append(f"{kind}: {detail}")


class User(threading.Thread):
    def __init__(self, n: int, host: str, port: int, args, place_ids: list[str], recorder: Recorder,
                 start_at: float, stop_at: float):
        super().__init__(name=f"user-{n}", daemon=True)
        self.host, self.port, self.args = host, port, args
        self.place_ids, self.recorder = place_ids, recorder
        self.start_at, self.stop_at = start_at, stop_at
        self.random = random.Random(args.seed * 1000 + n)
        self.conn: http.client.HTTPConnection | None = None

    def request(self, kind: str, method: str, path: str, body: bytes | None = None) -> bytes | None:
        if self.recorder.total >= self.args.max_requests:
            return None
        headers = {"Accept-Encoding": "gzip", "Connection": "keep-alive"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.args.timeout)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
            ok = response.status == 200
            if ok and response.getheader("Content-Encoding") == "gzip":
                data = gzip.decompress(data)
            self.recorder.add(kind, time.perf_counter() - started, ok, f"HTTP {response.status}")
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return data if ok else None
        except (OSError, http.client.HTTPException) as exc:
            self.recorder.add(kind, time.perf_counter() - started, False, repr(exc))
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None

    def run(self) -> None:
        # Users arrive spread over the ramp-up, as visitors do.
        time.sleep(max(0.0, self.start_at - time.monotonic()))
        html = self.request("page", "GET", "/")
        if self.args.assets and html:
            for src in script_srcs(html.decode("utf-8", errors="replace")) + ASYNC_ASSETS:
                self.request("asset", "GET", src)
        self.request("layout", "GET", "/_dash-layout")
        self.request("dependencies", "GET", "/_dash-dependencies")
        while time.monotonic() < self.stop_at and self.recorder.total < self.args.max_requests:
            if self.random.random() < self.args.basemap_rate:
                self.request("basemap", "GET", BASEMAP_PATH)
            else:
                self.request("callback", "POST", CALLBACK_PATH, callback_body(self.random.choice(self.place_ids)))
            pause = self.random.uniform(self.args.think_min, self.args.think_max)
            if pause > 0:
                time.sleep(min(pause, max(0.0, self.stop_at - time.monotonic())))
        if self.conn is not None:
            self.conn.close()


@contextmanager
def gunicorn(workers: int, data_dir: str | None, threads: int | None):
    """gunicorn -c gunicorn.conf.py dashboard.wsgi:app on a free port of 127.0.0.1; yields (base_url, process)."""
    env = {"WEB_CONCURRENCY": str(workers), "PORT": "{port}", "HOST": "127.0.0.1"}
    if data_dir:
        env["DASHBOARD_DATA"] = str(data_dir)
    if threads:
        env["GUNICORN_THREADS"] = str(threads)
    command = [sys.executable, "-m", "gunicorn", "--chdir", str(REPO), "-c", str(REPO / "gunicorn.conf.py"),
               "dashboard.wsgi:app"]
    with running_server(command, env=env, timeout=60) as (base, process):
        yield base, process


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summarize(recorder: Recorder, elapsed: float) -> dict:
    kinds = {}
    for kind, values in sorted(recorder.latencies.items()):
        kinds[kind] = {
            "requests": len(values),
            "errors": recorder.errors.get(kind, 0),
            "per_second": round(len(values) / elapsed, 1),
            "p50_ms": round(percentile(values, 50) * 1000, 1),
            "p95_ms": round(percentile(values, 95) * 1000, 1),
            "p99_ms": round(percentile(values, 99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
            "mean_ms": round(statistics.fmean(values) * 1000, 1),
        }
    total = sum(len(v) for v in recorder.latencies.values())
    return {
        "elapsed_s": round(elapsed, 1),
        "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        "errors": sum(recorder.errors.values()),
        "error_samples": recorder.error_samples,
        "kinds": kinds,
    }


def run_load(base: str, args) -> dict:
    parsed = urllib.parse.urlsplit(base)
    if parsed.hostname not in LOOPBACK:
        raise SystemExit(f"refusing to load {parsed.hostname}: this benchmark only targets 127.0.0.1/localhost")
    host, port = parsed.hostname, parsed.port or 80
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", "/_dash-layout")  # no Accept-Encoding: plain JSON
    place_ids = place_ids_from_layout(json.loads(conn.getresponse().read()))
    conn.close()
    if not place_ids:
        raise SystemExit("found no place ids in /_dash-layout")
    recorder = Recorder()
    begin = time.monotonic()
    stop_at = begin + args.ramp_up + args.duration
    users = [
        User(n, host, port, args, place_ids, recorder, begin + args.ramp_up * n / max(1, args.users), stop_at)
        for n in range(args.users)
    ]
    for user in users:
        user.start()
    for user in users:
        user.join(timeout=max(1.0, stop_at - time.monotonic()) + args.timeout + 5)
    elapsed = time.monotonic() - begin
    result = summarize(recorder, elapsed)
    result["place_ids"] = len(place_ids)
    return result


def print_table(result: dict) -> None:
    print(f"{result['requests']} requests in {result['elapsed_s']} s = {result['requests_per_second']} req/s, "
          f"{result['errors']} error(s)")
    print(f"{'kind':<13}{'count':>8}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
    for kind, s in result["kinds"].items():
        print(f"{kind:<13}{s['requests']:>8}{s['per_second']:>8}{s['p50_ms']:>9}{s['p95_ms']:>9}{s['p99_ms']:>9}"
              f"{s['max_ms']:>9}{s['errors']:>8}")
    for sample in result["error_samples"][:5]:
        print("  error:", sample)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of clicking after the ramp-up")
    parser.add_argument("--ramp-up", type=float, default=5.0, help="seconds over which users arrive")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")),
                        help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--threads", type=int, default=None, help="gunicorn threads per worker (GUNICORN_THREADS)")
    parser.add_argument("--data", default=os.environ.get("DASHBOARD_DATA"), help="data folder (default: shipped data/)")
    parser.add_argument("--url", default=None, help="use this running server (127.0.0.1/localhost only)")
    parser.add_argument("--think-min", type=float, default=0.5, help="shortest pause between a user's clicks (s)")
    parser.add_argument("--think-max", type=float, default=1.5, help="longest pause between a user's clicks (s)")
    parser.add_argument("--basemap-rate", type=float, default=0.05, help="share of actions that fetch the basemap")
    parser.add_argument("--assets", action="store_true", help="also fetch the JS bundles on each user's first visit")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout (s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "out" / "load.json"))
    parser.add_argument("--check", action="store_true", help="exit 1 unless 0 errors and callback p95 < target")
    parser.add_argument("--p95-target-ms", type=float, default=200.0)
    args = parser.parse_args(argv)
    if not 1 <= args.users <= MAX_USERS:
        parser.error(f"--users must be 1..{MAX_USERS}")
    if not 0 < args.duration + args.ramp_up <= MAX_DURATION:
        parser.error(f"--duration + --ramp-up must be at most {MAX_DURATION:.0f} s")
    args.max_requests = min(args.max_requests, MAX_REQUESTS)
    if args.think_min < 0 or args.think_max < args.think_min:
        parser.error("need 0 <= --think-min <= --think-max")

    config = {k: v for k, v in vars(args).items() if k not in ("out",)}
    if args.url:
        result = run_load(args.url.rstrip("/"), args)
        server = {"url": args.url}
    else:
        with gunicorn(args.workers, args.data, args.threads) as (base, _process):
            result = run_load(base, args)
        server = {"gunicorn": "gunicorn -c gunicorn.conf.py dashboard.wsgi:app", "workers": args.workers,
                  "threads": args.threads or int(os.environ.get("GUNICORN_THREADS", "4"))}
    result = {
        "command": "python benchmarks/load.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "config": config,
        "server": server,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        **result,
    }
    print_table(result)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    callback = result["kinds"].get("callback", {})
    passed = result["errors"] == 0 and callback.get("p95_ms", float("inf")) < args.p95_target_ms
    print(f"target (0 errors, callback p95 < {args.p95_target_ms:.0f} ms): {'met' if passed else 'NOT met'}")
    return 0 if passed or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
