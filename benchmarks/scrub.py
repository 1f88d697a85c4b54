"""Scrub benchmark: the app (clientside day switch) against the naive baseline (server rebuilds the figure).

    python benchmarks/scrub.py                       # article data + 10k + 100k, both variants
    python benchmarks/scrub.py --datasets article --scrubs 60 --repeat 3
    python benchmarks/scrub.py --datasets 100k --variants app

For each dataset and variant, in the same run: a real server (python -m dashboard serve,
or benchmarks/naive_app.py) and a fresh headless Chromium (dashboard.testing.chromium,
new profile, so a cold cache) measure
  - start-up: process start to the first 200 on / (polled every 0.1 s);
  - peak RSS of the server process (psutil if installed, else VmHWM in /proc/<pid>/status);
  - cold load: bytes over the wire (Chrome's encodedDataLength: compressed bodies plus
    headers) and request count until the network is idle, and the time from navigation
    start to the first render of day 0's markers;
  - scrub: N slider changes to days drawn in a seeded random order, each made the way a
    person does it (a click on the slider at that day's mark, or --drive keys: arrow
    keys on the [role=slider] thumb); the time from the pointer/key event to the map
    redrawn (app: the marks' styles written; naive: plotly_afterplot of the figure for
    that day), p50/p95/max, and to the end of the next frame after it (requestAnimationFrame
    then a task: the frame that shows it has been painted); and the requests and bytes
    the scrubs caused.
Each (dataset, variant) runs --repeat times; the table shows medians over the repeats
and the ratio naive/app.  Raw numbers go to benchmarks/out/scrub.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from dashboard.testing import chromium, chromium_path, dashboard_command, running_server  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
NAIVE = ROOT / "benchmarks" / "naive_app.py"
SCALE = {"10k": (10_000, 5_000), "100k": (100_000, 5_000)}  # same places: only the events differ
VARIANTS = ("app", "naive")

# In-page instrumentation: when did the pointer/key go down, and when was the map redrawn.
JS_INSTRUMENT = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  if (!window.__bench) {
    window.__bench = {t0: null, afterplotAt: null, afterplotDay: null, afterplots: 0};
    const start = () => { window.__bench.t0 = performance.now(); };
    document.addEventListener('pointerdown', start, true);
    document.addEventListener('keydown', start, true);
    window.__benchAfterplot = () => {
      const b = window.__bench;
      const meta = gd.layout && gd.layout.meta;
      b.afterplots += 1;
      b.afterplotAt = performance.now();
      b.afterplotDay = meta && meta.day !== undefined ? meta.day : null;
      b.paintedAt = null;
      requestAnimationFrame(() => setTimeout(() => { b.paintedAt = performance.now(); }, 0));
    };
  }
  // Plotly.newPlot (which Plotly.react may fall back to) drops listeners: bind again each time.
  if (gd.removeListener) gd.removeListener('plotly_afterplot', window.__benchAfterplot);
  gd.on('plotly_afterplot', window.__benchAfterplot);
  window.__bench.t0 = null;
  return true;
}"""

# Once the map shows `day` and the frame after it has been painted: ms from the input event
# to the map's nodes updated (`ms`) and to the end of the next frame (`painted`), else false.
JS_DONE = {
    "app": """(day) => {
  const b = window.__bench, m = window.__dashboardMap;
  if (!b || b.t0 === null || !m || m.day !== day || !m.doneAt || m.doneAt < b.t0 || !m.paintedAt) return false;
  return {ms: m.doneAt - b.t0, painted: m.paintedAt - b.t0, afterplots: b.afterplots, dispatch: m.requestedAt - b.t0,
          written: m.written};
}""",
    "naive": """(day) => {
  const b = window.__bench;
  if (!b || b.t0 === null || b.afterplotAt === null || b.afterplotAt < b.t0 || b.afterplotDay !== day || !b.paintedAt) return false;
  return {ms: b.afterplotAt - b.t0, painted: b.paintedAt - b.t0, afterplots: b.afterplots};
}""",
}

# First render of day 0's markers, as performance.now() (ms since navigation start).
JS_FIRST_RENDER = {
    "app": """() => {
  const m = window.__dashboardMap;
  const gd = document.querySelector('#map .js-plotly-plot');
  return (m && m.doneAt && gd && gd.getAttribute('data-day') === '0') ? m.doneAt : false;
}""",
    "naive": """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  return (gd && gd._fullLayout && gd._fullLayout.geo && gd.querySelector('.geo .scattergeo path.point'))
    ? performance.now() : false;
}""",
}

JS_SLIDER_VALUE = "() => Number(document.querySelector('#date-slider [role=slider]').getAttribute('aria-valuenow'))"
JS_MARK_CENTER = """(day) => {
  const marks = [...document.querySelectorAll('#date-slider .dash-slider-mark')];
  const r = marks[day].getBoundingClientRect();
  return {x: r.left + r.width / 2, y: r.top + r.height / 2};
}"""
JS_DAY_COUNT = "() => Number(document.querySelector('#date-slider [role=slider]').getAttribute('aria-valuemax')) + 1"


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident set size of a process, in MB (psutil if available, else /proc VmHWM)."""
    try:
        import psutil  # type: ignore

        info = psutil.Process(pid).memory_full_info()
        peak = getattr(info, "peak_wset", None)  # Windows only
        if peak:
            return peak / 2**20
    except Exception:  # noqa: BLE001 - psutil missing or no peak on this platform
        pass
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def dataset_dir(name: str, article: Path) -> Path:
    """The folder for a dataset name, generating the synthetic ones if they are missing."""
    if name == "article":
        return article
    events, places = SCALE[name]
    out = (OUT / f"data-{events}-{places}").resolve()
    if not (out / "events.csv").is_file():
        import make_scale_data

        print(f"generating {name} dataset in {out} ...", flush=True)
        make_scale_data.make(events, places, out)
    return out


def server_command(variant: str, data_dir: Path) -> list[str]:
    if variant == "app":
        return dashboard_command(data_dir)
    return [sys.executable, str(NAIVE), "--data", str(data_dir), "--port", "{port}"]


def scrub_targets(rng: random.Random, n_days: int, n: int, start: int = 0) -> list[int]:
    """n days in random order, each different from the one before (every scrub changes the day)."""
    days, current = [], start
    for _ in range(n):
        current = rng.choice([d for d in range(n_days) if d != current])
        days.append(current)
    return days


def key_path(current: int, target: int, n_days: int) -> list[str]:
    if target == 0:
        return ["Home"]
    if target == n_days - 1:
        return ["End"]
    step = "ArrowRight" if target > current else "ArrowLeft"
    return [step] * abs(target - current)


def run_once(variant: str, data_dir: Path, scrubs: int, seed: int, drive: str, timeout_s: float) -> dict:
    """One server + one fresh browser: start-up, cold load, scrubs, peak RSS."""
    t_start = time.monotonic()
    with running_server(server_command(variant, data_dir), timeout=180) as (base, process):
        startup_s = time.monotonic() - t_start
        with chromium() as context:
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            net = {"phase": "cold", "cold": [0, 0], "scrub": [0, 0], "scrub_callbacks": 0}
            urls: dict[str, str] = {}

            def on_request(event):
                urls[event["requestId"]] = event["request"]["url"]
                net[net["phase"]][1] += 1
                if net["phase"] == "scrub" and "/_dash-update-component" in event["request"]["url"]:
                    net["scrub_callbacks"] += 1

            def on_finished(event):
                net[net["phase"]][0] += event.get("encodedDataLength", 0)

            cdp.on("Network.requestWillBeSent", on_request)
            cdp.on("Network.loadingFinished", on_finished)

            page.goto(base + "/", wait_until="commit", timeout=timeout_s * 1000)
            first_render_ms = page.wait_for_function(
                JS_FIRST_RENDER[variant], polling="raf", timeout=timeout_s * 1000
            ).json_value()
            page.wait_for_load_state("networkidle", timeout=timeout_s * 1000)
            page.wait_for_timeout(300)
            net["phase"] = "scrub"

            n_days = page.evaluate(JS_DAY_COUNT)
            rng = random.Random(seed)
            targets = scrub_targets(rng, n_days, scrubs)
            times, painted, dispatch, written, mismatches = [], [], [], [], 0
            thumb = page.locator("#date-slider [role=slider]")
            current = 0
            for target in targets:
                page.evaluate(JS_INSTRUMENT)
                if drive == "keys":
                    thumb.focus()
                    keys = key_path(current, target, n_days)
                    for key in keys[:-1]:  # intermediate days are not timed: only the last step
                        page.keyboard.press(key)
                        page.wait_for_function(JS_DONE[variant], arg=current + (1 if key == "ArrowRight" else -1),
                                               polling="raf", timeout=timeout_s * 1000)
                        current += 1 if key == "ArrowRight" else -1
                        page.evaluate(JS_INSTRUMENT)
                    page.keyboard.press(keys[-1])
                else:
                    thumb.scroll_into_view_if_needed()
                    point = page.evaluate(JS_MARK_CENTER, target)
                    page.mouse.click(point["x"], point["y"])
                result = page.wait_for_function(JS_DONE[variant], arg=target, polling="raf",
                                                timeout=timeout_s * 1000).json_value()
                if page.evaluate(JS_SLIDER_VALUE) != target:
                    mismatches += 1
                times.append(result["ms"])
                painted.append(result["painted"])
                if result.get("written") is not None:
                    written.append(result["written"])
                if result.get("dispatch") is not None:
                    dispatch.append(result["dispatch"])
                current = target
            page.wait_for_load_state("networkidle", timeout=timeout_s * 1000)
            rss = peak_rss_mb(process.pid)
    return {
        "startup_s": startup_s,
        "peak_rss_mb": rss,
        "first_render_ms": first_render_ms,
        "cold_bytes": net["cold"][0],
        "cold_requests": net["cold"][1],
        "scrub_ms": times,
        "scrub_p50_ms": percentile(times, 50),
        "scrub_p95_ms": percentile(times, 95),
        "scrub_max_ms": max(times) if times else float("nan"),
        "paint_ms": painted,
        "paint_p50_ms": percentile(painted, 50),
        "paint_p95_ms": percentile(painted, 95),
        "dispatch_p50_ms": percentile(dispatch, 50) if dispatch else None,
        # Marks whose style the app rewrote per scrub: what a scrub's cost follows.
        "marks_written_mean": statistics.mean(written) if written else None,
        "scrub_requests": net["scrub"][1],
        "scrub_callback_requests": net["scrub_callbacks"],
        "scrub_bytes": net["scrub"][0],
        "slider_mismatches": mismatches,
    }


SUMMARY_KEYS = ("scrub_p50_ms", "scrub_p95_ms", "scrub_max_ms", "paint_p50_ms", "paint_p95_ms", "first_render_ms", "cold_bytes", "cold_requests",
                "scrub_requests", "scrub_bytes", "startup_s", "peak_rss_mb", "marks_written_mean")


def summarise(runs: list[dict]) -> dict:
    out = {}
    for key in SUMMARY_KEYS:
        values = [r[key] for r in runs if r.get(key) is not None]
        out[key] = statistics.median(values) if values else None
    return out


def print_table(results: dict) -> None:
    header = (f"{'dataset':<9}{'variant':<8}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'x p95':>7}{'paint p50/p95':>14}{'first ms':>9}"
              f"{'cold KB':>9}{'reqs':>6}{'scrub req':>10}{'start s':>8}{'RSS MB':>8}{'marks':>7}")
    print(header)
    print("-" * len(header))
    for dataset, variants in results.items():
        app = variants.get("app", {}).get("median")
        for variant, entry in variants.items():
            m = entry["median"]
            ratio = ""
            if variant != "app" and app and app["scrub_p95_ms"]:
                ratio = f"{m['scrub_p95_ms'] / app['scrub_p95_ms']:.1f}"
            print(f"{dataset:<9}{variant:<8}{m['scrub_p50_ms']:>8.0f}{m['scrub_p95_ms']:>8.0f}{m['scrub_max_ms']:>8.0f}"
                  f"{ratio:>7}{m['paint_p50_ms']:>8.0f} /{m['paint_p95_ms']:>4.0f}{m['first_render_ms']:>9.0f}{m['cold_bytes'] / 1024:>9.0f}{m['cold_requests']:>6.0f}"
                  f"{m['scrub_requests']:>10.0f}{m['startup_s']:>8.2f}{(m['peak_rss_mb'] or float('nan')):>8.0f}"
                  f"{(m.get('marks_written_mean') or float('nan')):>7.0f}")
    print("p50/p95/max: input event -> map nodes updated; paint: -> end of the next frame; x p95 = naive p95 / app p95;")
    print("medians over the repeats; cold KB = bytes over the wire (compressed); marks = marks the app rewrote per scrub.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Scrub benchmark: the app against the naive baseline.")
    parser.add_argument("--datasets", default="article,10k,100k", help="comma list of: article, 10k, 100k")
    parser.add_argument("--variants", default="app,naive", help="comma list of: app, naive")
    parser.add_argument("--scrubs", type=int, default=50, help="slider changes per run (>= 50 for the report)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per dataset and variant (medians reported)")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--drive", choices=("click", "keys"), default="click",
                        help="click the slider at a day's mark, or press arrow keys on the thumb")
    parser.add_argument("--article-data", type=Path, default=None,
                        help="the article data folder (default: $DASHBOARD_DATA or the shipped data/)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one render")
    parser.add_argument("--out", type=Path, default=OUT / "scrub.json")
    args = parser.parse_args(argv)

    if chromium_path() is None:
        parser.error("no Chromium found: apt-get install chromium (or set CHROMIUM_PATH)")
    from dashboard.paths import default_data_dir

    article = (args.article_data or default_data_dir()).resolve()  # relative paths break /basemap/ (see report)
    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    for name in datasets:
        if name != "article" and name not in SCALE:
            parser.error(f"unknown dataset {name!r}")
    for name in variants:
        if name not in VARIANTS:
            parser.error(f"unknown variant {name!r}")
    if "article" in datasets:
        check = subprocess.run([sys.executable, "-m", "dashboard", "validate", "--data", str(article)],
                               cwd=ROOT, capture_output=True, text=True)
        if check.returncode:
            parser.error(f"the article data in {article} is not valid (pass --article-data DIR):\n{check.stdout[-2000:]}")

    started = time.monotonic()
    results: dict = {}
    for name in datasets:
        folder = dataset_dir(name, article)
        results[name] = {v: {"runs": []} for v in variants}
        for r in range(args.repeat):
            for variant in variants:  # interleaved, so both see the same machine state
                print(f"[{time.monotonic() - started:6.0f}s] {name} / {variant} run {r + 1}/{args.repeat} ...", flush=True)
                run = run_once(variant, folder, args.scrubs, args.seed + r, args.drive, args.timeout)
                results[name][variant]["runs"].append(run)
                print(f"         p50 {run['scrub_p50_ms']:.0f} ms, p95 {run['scrub_p95_ms']:.0f} ms, "
                      f"painted p50 {run['paint_p50_ms']:.0f} ms, p95 {run['paint_p95_ms']:.0f} ms, "
                      f"first render {run['first_render_ms']:.0f} ms, cold {run['cold_bytes'] / 1024:.0f} KB, "
                      f"start-up {run['startup_s']:.2f} s, RSS {run['peak_rss_mb']:.0f} MB"
                      + (f", {run['marks_written_mean']:.0f} marks rewritten per scrub" if run.get("marks_written_mean") else ""),
                      flush=True)
        for variant in variants:
            results[name][variant]["median"] = summarise(results[name][variant]["runs"])
        results[name]["_data_dir"] = str(folder)

    table = {name: {v: e for v, e in entry.items() if not v.startswith("_")} for name, entry in results.items()}
    print()
    print_table(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "command": " ".join([Path(sys.executable).name, "benchmarks/scrub.py", *(argv if argv is not None else sys.argv[1:])]),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "settings": {"scrubs": args.scrubs, "repeat": args.repeat, "seed": args.seed, "drive": args.drive},
        "elapsed_s": time.monotonic() - started,
        "results": results,
    }
    for name, entry in table.items():
        if "app" in entry and "naive" in entry:
            report["results"][name]["ratio_p95_naive_over_app"] = entry["naive"]["median"]["scrub_p95_ms"] / entry["app"]["median"]["scrub_p95_ms"]
            report["results"][name]["ratio_p50_naive_over_app"] = entry["naive"]["median"]["scrub_p50_ms"] / entry["app"]["median"]["scrub_p50_ms"]
    args.out.write_text(json.dumps(report, indent=1))
    print(f"wrote {args.out} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
