"""Server start-up: process start to the first 200 on /, and where the time goes.

    python benchmarks/startup.py --data benchmarks/out/data-100000-5000 --runs 7
    python benchmarks/startup.py --tree /tmp/old-checkout --tree . --runs 7   # A/B, interleaved

For each run and each --tree (a checkout whose `dashboard` package is imported), in
turn, so that other load on the machine hits every tree alike:

  - end to end: `python -m dashboard serve` on a free port, from process start to the
    first 200 on / (polled every 0.1 s, as benchmarks/scrub.py does);
  - the phases, in a fresh process each: imports, load_dataset, build_timeline, Dash(),
    build_layout, register_callbacks, the rest of create_app, and the first GET / (and
    /_dash-layout, /_dash-dependencies) through Flask's test client.

Prints the median (and min/max) of each number per tree, in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Runs inside the child, with the tree on sys.path: one timestamp per phase.
_PHASES = r"""
import json, sys, time
t0 = time.perf_counter()
marks = {}
def mark(name):
    marks[name] = time.perf_counter()
import dashboard.__main__  # what `python -m dashboard` imports first (click, paths)
mark("import __main__")
from dashboard import app as app_module
mark("import dashboard.app")
from pathlib import Path
from dash import Dash
from flask_compress import Compress
from dashboard.callbacks import register_callbacks
from dashboard.data import load_dataset
from dashboard.layout import build_layout
from dashboard.model import build_timeline
from dashboard.paths import PLOTLY_GEO_BUNDLE, assets_dir
from dashboard.security import apply_security
data_path = Path(sys.argv[1]).resolve()
dataset = load_dataset(data_path)
mark("load_dataset")
timeline = build_timeline(dataset)
mark("build_timeline")
app = Dash("dashboard.app", assets_folder=str(assets_dir()), title="t", update_title=None,
           serve_locally=True, compress=False, external_scripts=[f"/vendor/{PLOTLY_GEO_BUNDLE}"])
app_module._cache_compressed_bundles(app.server)
Compress(app.server)
mark("Dash() + Compress")
app.layout = build_layout(timeline)
mark("build_layout")
register_callbacks(app, timeline)
mark("register_callbacks")
app_module.serve_basemap(app, data_path)
app_module.serve_vendor(app)
apply_security(app)
mark("routes + security")
client = app.server.test_client()
assert client.get("/").status_code == 200
mark("first GET /")
assert client.get("/_dash-layout").status_code == 200
mark("(first GET /_dash-layout)")
assert client.get("/_dash-dependencies").status_code == 200
mark("(first GET /_dash-dependencies)")
out, last = {}, t0
for name, t in marks.items():
    out[name] = (t - last) * 1000
    last = t
out["total to GET /"] = (marks["first GET /"] - t0) * 1000
print(json.dumps(out))
"""


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree)}


def end_to_end(tree: Path, data_dir: Path | None) -> float:
    """Seconds from starting `python -m dashboard serve` in `tree` to the first 200 on /."""
    sys.path.insert(0, str(REPO))
    from dashboard.testing import dashboard_command, running_server

    start = time.monotonic()
    with running_server(dashboard_command(data_dir), env={"PYTHONPATH": str(tree)}, timeout=120):
        return time.monotonic() - start


def phases(tree: Path, data_dir: Path) -> dict[str, float]:
    """Milliseconds per start-up phase, measured in a fresh interpreter importing `tree`."""
    result = subprocess.run(
        [sys.executable, "-c", _PHASES, str(data_dir)], cwd=tree, env=_env(tree),
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):8.0f} ({min(values):.0f}-{max(values):.0f})"


def main() -> None:
    """Run the interleaved measurements and print medians per tree."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help="data folder (default: the shipped data/)")
    parser.add_argument("--tree", type=Path, action="append", help="checkout to import dashboard from (repeatable)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-phases", action="store_true", help="end to end only")
    args = parser.parse_args()
    trees = [t.resolve() for t in (args.tree or [REPO])]
    data_dir = args.data.resolve() if args.data else None
    phase_data = data_dir or (REPO / "data")
    e2e: dict[Path, list[float]] = {t: [] for t in trees}
    split: dict[Path, dict[str, list[float]]] = {t: {} for t in trees}
    for run in range(args.runs):
        for tree in trees:
            e2e[tree].append(end_to_end(tree, data_dir) * 1000)
            if not args.no_phases:
                for name, ms in phases(tree, phase_data).items():
                    split[tree].setdefault(name, []).append(ms)
        print(f"run {run + 1}/{args.runs}: " + ", ".join(f"{e2e[t][-1]:.0f} ms" for t in trees), file=sys.stderr, flush=True)
    print(f"data: {data_dir or 'shipped data/'}; {args.runs} interleaved runs; median (min-max), ms")
    for tree in trees:
        print(f"\n{tree}")
        print(f"  {'start-up, process start to first 200 on /':<44}{_summary(e2e[tree])}")
        for name, values in split[tree].items():
            print(f"  {name:<44}{_summary(values)}")


if __name__ == "__main__":
    main()
