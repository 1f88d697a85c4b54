"""Server start-up: process start to the first 200 on /, and where the time goes.

    python benchmarks/startup.py --data benchmarks/out/data-100000-5000 --runs 7
    python benchmarks/startup.py --tree /tmp/old-checkout --tree . --runs 7   # A/B, interleaved

For each run and each --tree (a checkout whose `dashboard` package is imported), in
turn (the order reversed every other run), so that other load on the machine hits
every tree alike:

  - end to end: `python -m dashboard serve` on a free port, from process start to the
    first 200 on / (polled every 0.1 s, as benchmarks/scrub.py does);
    Also the server's CPU time until then (from /proc), which other load inflates less;
  - the phases (CPU time by default; --clock wall), in a fresh process each, with the
    garbage collector handled as the tree's `serve` handles it: imports, load_dataset, build_timeline, Dash(),
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
import gc, importlib.util, json, sys, time
clock = time.process_time if sys.argv[2] == "cpu" else time.perf_counter
t0 = clock()
marks = {}
def mark(name):
    marks[name] = clock()
import dashboard.__main__  # what `python -m dashboard` imports first (click, paths)
mark("import __main__")
# As `serve` does, in a tree whose serve does it: no cyclic GC until the app is built,
# then what start-up built is frozen out of later collections.
serve_source = open(importlib.util.find_spec("dashboard.__main__").origin).read()
if "gc_paused" in serve_source:
    gc.disable()
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
if "gc.freeze()" in serve_source:
    gc.freeze()
gc.enable()
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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by process `pid` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def end_to_end(tree: Path, data_dir: Path | None) -> tuple[float, float]:
    """(wall, CPU) seconds from starting `python -m dashboard serve` in `tree` to the first 200 on /.

    The CPU time of the server process is what the machine's other load cannot inflate
    (much); the wall time is what a user waits.
    """
    sys.path.insert(0, str(REPO))
    from dashboard.testing import dashboard_command, running_server

    # `python -m` puts the working directory first on sys.path, ahead of PYTHONPATH: the
    # server must start inside `tree`, or it would import whatever checkout we are in.
    here = os.getcwd()
    os.chdir(tree)
    try:
        start = time.monotonic()
        with running_server(dashboard_command(data_dir), env={"PYTHONPATH": str(tree)}, timeout=120) as (_, process):
            wall = time.monotonic() - start
            return wall, _cpu_seconds(process.pid)
    finally:
        os.chdir(here)


def phases(tree: Path, data_dir: Path, clock: str) -> dict[str, float]:
    """Milliseconds per start-up phase ("cpu" or "wall" time), in a fresh interpreter importing `tree`."""
    result = subprocess.run(
        [sys.executable, "-c", _PHASES, str(data_dir), clock], cwd=tree, env=_env(tree),
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
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="time the phases by the process's CPU time (default; steadier on a busy machine) or wall time")
    args = parser.parse_args()
    trees = [t.resolve() for t in (args.tree or [REPO])]
    data_dir = args.data.resolve() if args.data else None
    phase_data = data_dir or (REPO / "data")
    e2e: dict[Path, list[float]] = {t: [] for t in trees}
    e2e_cpu: dict[Path, list[float]] = {t: [] for t in trees}
    split: dict[Path, dict[str, list[float]]] = {t: {} for t in trees}
    for run in range(args.runs):
        # Alternate the order (A B, B A, ...) so that load that comes and goes in step
        # with the rounds does not always favour the same tree.
        for tree in trees if run % 2 == 0 else trees[::-1]:
            wall, cpu = end_to_end(tree, data_dir)
            e2e[tree].append(wall * 1000)
            e2e_cpu[tree].append(cpu * 1000)
            if not args.no_phases:
                for name, ms in phases(tree, phase_data, args.clock).items():
                    split[tree].setdefault(name, []).append(ms)
        print(f"run {run + 1}/{args.runs}: " + ", ".join(f"{e2e[t][-1]:.0f} ms" for t in trees), file=sys.stderr, flush=True)
    print(f"data: {data_dir or 'shipped data/'}; {args.runs} interleaved runs; median (min-max), ms; "
          f"phases in {args.clock} time")
    for tree in trees:
        print(f"\n{tree}")
        print(f"  {'start-up, process start to first 200 on /':<44}{_summary(e2e[tree])}")
        print(f"  {'  CPU time of the server until then':<44}{_summary(e2e_cpu[tree])}")
        for name, values in split[tree].items():
            print(f"  {name:<44}{_summary(values)}")


if __name__ == "__main__":
    main()
