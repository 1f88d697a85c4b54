"""First-render critical path: what happens between navigation start and day 0 on the map.

    python benchmarks/first_render.py                  # 5 cold loads, one server
    python benchmarks/first_render.py --loads 7 --trace
    python benchmarks/first_render.py --root /tmp/old-checkout   # serve another checkout

One server (python -m dashboard serve, from --root), then --loads page loads, each in a
fresh headless Chromium profile (cold browser cache).  The first load also meets a cold
server (its compressed-bundle cache is empty); it is reported, but the medians are over
the later loads unless --include-first.  Every time is in ms since navigation start:

  - navigation: responseEnd of the HTML, DOMContentLoaded, load;
  - each resource (Resource Timing): request start and response end;
  - Dash: /_dash-layout and /_dash-dependencies answered, the async component chunks;
  - when the page's elements first exist (MutationObserver): Dash's first render of the
    layout, the slider thumb, the DataTable, the map's SVG;
  - Plotly: the first Plotly.newPlot/react call and when its promise resolved, the first
    day switch (assets/map.js) and when day 0 was drawn (window.__dashboardMap.doneAt, the
    first-render number of benchmarks/scrub.py);
  - the first call of each clientside callback;
  - long tasks (> 50 ms) on the main thread, and with --trace, main-thread time per
    script (CDP tracing: script compile + evaluate per URL, and what ran in the
    long tasks before the first render).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.testing import chromium, running_server  # noqa: E402

# Runs before any page script: observers and wrappers that only record times.
INSTRUMENT = r"""
(() => {
  const T = window.__fr = {marks: {}, longtasks: [], calls: {}};
  const mark = (name) => { if (!(name in T.marks)) T.marks[name] = performance.now(); };
  T.mark = mark;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) T.longtasks.push([e.startTime, e.duration]);
    }).observe({type: 'longtask', buffered: true});
  } catch (e) {}
  const SELECTORS = {
    dash_layout_rendered: '#react-entry-point .page',
    map_div: '#map',
    plotly_div: '#map .js-plotly-plot',
    map_svg: '#map .main-svg',
    geo_land: '#map .geo .layer.land path',
    slider_thumb: '#date-slider [role=slider]',
    table: '.dash-spreadsheet',
    mode_radio: '#mode input',
  };
  const check = () => {
    for (const [name, sel] of Object.entries(SELECTORS)) {
      if (!(name in T.marks) && document.querySelector(sel)) mark(name);
    }
  };
  new MutationObserver(check).observe(document, {childList: true, subtree: true});
  document.addEventListener('DOMContentLoaded', () => mark('dom_content_loaded'));
  window.addEventListener('load', () => mark('load'));

  const wrapPlotly = (P) => {
    if (!P || P.__frWrapped) return;
    P.__frWrapped = true;
    for (const fn of ['newPlot', 'react', 'restyle', 'relayout']) {
      const orig = P[fn];
      if (typeof orig !== 'function') continue;
      P[fn] = function () {
        const t0 = performance.now();
        const n = (T.calls['plotly.' + fn] = T.calls['plotly.' + fn] || []);
        const rec = {start: t0};
        n.push(rec);
        const out = orig.apply(this, arguments);
        rec.sync_end = performance.now();
        if (out && out.then) out.then(() => { rec.resolved = performance.now(); });
        return out;
      };
    }
  };
  let plotly;
  Object.defineProperty(window, 'Plotly', {
    configurable: true,
    get() { return plotly; },
    set(v) { plotly = v; mark('plotly_defined'); wrapPlotly(v); },
  });

  const wrapNamespace = (ns, obj) => {
    if (!obj || typeof obj !== 'object' || obj.__frWrapped) return obj;
    for (const [fname, f] of Object.entries(obj)) {
      if (typeof f !== 'function') continue;
      obj[fname] = function () {
        const key = 'clientside.' + ns + '.' + fname;
        const t0 = performance.now();
        const out = f.apply(this, arguments);
        (T.calls[key] = T.calls[key] || []).push({start: t0, sync_end: performance.now()});
        return out;
      };
    }
    Object.defineProperty(obj, '__frWrapped', {value: true});
    return obj;
  };
  let clientside;
  Object.defineProperty(window, 'dash_clientside', {
    configurable: true,
    get() { return clientside; },
    set(v) {
      clientside = v;
      if (v && typeof v === 'object') {
        for (const ns of ['dashboardMap', 'dashboardShare']) if (v[ns]) wrapNamespace(ns, v[ns]);
      }
    },
  });
})();
"""

COLLECT = r"""() => {
  const T = window.__fr;
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource').map(r => ({
    name: r.name.replace(location.origin, ''), start: r.startTime, request: r.requestStart,
    response_start: r.responseStart, end: r.responseEnd, bytes: r.transferSize, body: r.decodedBodySize,
    initiator: r.initiatorType,
  }));
  const m = window.__dashboardMap || {};
  return {
    nav: {response_end: nav.responseEnd, dcl_start: nav.domContentLoadedEventStart,
          dcl_end: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, dom_interactive: nav.domInteractive},
    marks: T.marks, calls: T.calls, longtasks: T.longtasks, resources: res,
    first_render: m.doneAt || null, restyle_requested: m.requestedAt || null,
  };
}"""

JS_FIRST_RENDER = """() => {
  const m = window.__dashboardMap;
  const gd = document.querySelector('#map .js-plotly-plot');
  return (m && m.doneAt && gd && gd.getAttribute('data-day') === '0') ? m.doneAt : false;
}"""

TRACE_CATEGORIES = ",".join([
    "devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "blink.user_timing", "loading",
    "toplevel",
])


def short(url: str) -> str:
    """A readable name for a resource URL."""
    name = url.split("?")[0]
    for prefix in ("/_dash-component-suites/dash/", "/_dash-component-suites/", "/assets/", "/vendor/", "/basemap/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    # Drop Dash's fingerprint (.v4_4_1m123456789) so runs compare.
    parts = name.split(".")
    parts = [p for p in parts if not (p.startswith("v") and "m" in p and p[1:2].isdigit())]
    return ".".join(parts)


def summarise_trace(events: list[dict], until_ms: float) -> dict:
    """Main-thread time before `until_ms`: busy total, per script URL (evaluate, and calls
    into it from timers/XHR/rAF/events), per rendering kind, and the idle gaps."""
    navs = [e for e in events if e.get("name") == "navigationStart" and "blink.user_timing" in e.get("cat", "")]
    if not navs:
        return {}
    nav = navs[-1]  # the page's own (an earlier one may be about:blank)
    main, nav_ts = (nav["pid"], nav["tid"]), nav["ts"]
    per_url: dict[str, float] = {}
    kinds: dict[str, float] = {}
    tasks = []
    covered_until = -1.0  # count a script event only if no counted script event encloses it
    for e in sorted((e for e in events if (e.get("pid"), e.get("tid")) == main and e.get("ph") == "X"),
                    key=lambda e: e["ts"]):
        start = (e["ts"] - nav_ts) / 1000
        dur = e.get("dur", 0) / 1000
        if start < 0 or start > until_ms:
            continue
        name = e["name"]
        data = (e.get("args") or {}).get("data") or {}
        if name == "ThreadControllerImpl::RunTask":
            tasks.append((start, dur))
        if name in ("EvaluateScript", "FunctionCall", "v8.compile"):
            if start < covered_until:
                continue
            covered_until = start + dur
            kind = "eval" if name != "FunctionCall" else "call"
            key = f"{kind} {short(_path(data.get('url', '')))}"
            per_url[key] = per_url.get(key, 0) + dur
        elif name in ("ParseHTML", "Layout", "UpdateLayoutTree", "Paint", "ParseAuthorStyleSheet", "MajorGC",
                      "MinorGC", "PrePaint", "Layerize", "HitTest", "XHRLoad", "RunMicrotasks"):
            kinds[name] = kinds.get(name, 0) + dur
    # Merge nested tasks into busy intervals.
    busy, intervals = 0.0, []
    for start, dur in sorted(tasks):
        if intervals and start <= intervals[-1][1]:
            intervals[-1][1] = max(intervals[-1][1], start + dur)
        else:
            intervals.append([start, start + dur])
    busy = sum(min(b, until_ms) - a for a, b in intervals)
    return {"main_thread_busy_ms": busy, "main_thread_idle_ms": until_ms - busy, "per_url_ms": per_url,
            "kinds_ms": kinds}


def _path(url: str) -> str:
    """'http://host:port/a/b?q' -> '/a/b?q'."""
    if url.startswith("http") and url.count("/") >= 3:
        return "/" + url.split("/", 3)[3]
    return url


def summarise_profile(profile: dict, start_us: float, until_us: float) -> dict:
    """Self time per script URL and the top functions, from a CDP CPU profile, within a window."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    per_url: dict[str, float] = {}
    per_fn: dict[str, float] = {}
    t = profile["startTime"]
    for node_id, delta in zip(profile["samples"], profile["timeDeltas"]):
        t += delta
        if t < start_us or t > until_us:
            continue
        frame = nodes[node_id]["callFrame"]
        url = short(_path(frame.get("url", ""))) or f"({frame.get('functionName') or 'native'})"
        ms = delta / 1000
        per_url[url] = per_url.get(url, 0) + ms
        fn = f"{frame.get('functionName') or '(anonymous)'} {url}:{frame.get('lineNumber', 0) + 1}"
        per_fn[fn] = per_fn.get(fn, 0) + ms
    top = dict(sorted(per_fn.items(), key=lambda kv: -kv[1])[:25])
    return {"self_ms_per_url": per_url, "top_functions_ms": top}


def one_load(base: str, trace: bool, timeout_s: float, profile: bool = False) -> dict:
    with chromium() as context:
        page = context.new_page()
        page.add_init_script(INSTRUMENT)
        cdp = context.new_cdp_session(page)
        if profile:
            # Same-site page first, so the profiled renderer process is the one that loads "/".
            page.goto(base + "/_no_such_page", wait_until="load")
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 200})
            cdp.send("Profiler.start")
        trace_events: list[dict] = []
        done = {"flag": False}
        if trace:
            cdp.on("Tracing.dataCollected", lambda ev: trace_events.extend(ev["value"]))
            cdp.on("Tracing.tracingComplete", lambda ev: done.__setitem__("flag", True))
            cdp.send("Tracing.start", {"categories": TRACE_CATEGORIES, "transferMode": "ReportEvents"})
        cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
        page.goto(base + "/", wait_until="commit", timeout=timeout_s * 1000)
        first = page.wait_for_function(JS_FIRST_RENDER, polling="raf", timeout=timeout_s * 1000).json_value()
        # Main-thread time spent so far (a few ms after the first render), in thread CPU ticks.
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        page.wait_for_load_state("networkidle", timeout=timeout_s * 1000)
        data = page.evaluate(COLLECT)
        data["first_render_polled"] = first
        data["cpu"] = {key: metrics.get(key, 0) * 1000 for key in
                       ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")}
        if profile:
            now_ms = page.evaluate("() => performance.now()")
            prof = cdp.send("Profiler.stop")["profile"]
            # The profile ended about "now": navigation start is endTime - now (to a few ms).
            start_us = prof["endTime"] - now_ms * 1000
            data["profile"] = summarise_profile(prof, start_us, start_us + (data["first_render"] or first) * 1000)
        if trace:
            cdp.send("Tracing.end")
            deadline = time.monotonic() + 30
            while not done["flag"] and time.monotonic() < deadline:
                page.wait_for_timeout(100)
            data["trace"] = summarise_trace(trace_events, data["first_render"] or first)
    return data


def rows_for(load: dict) -> dict[str, float]:
    """Flatten one load into named times (ms since navigation start)."""
    out: dict[str, float] = {}
    nav = load["nav"]
    out["HTML response end"] = nav["response_end"]
    out["DOMContentLoaded"] = nav["dcl_start"]
    out["load event"] = nav["load"]
    for r in load["resources"]:
        name = short(r["name"])
        if name.startswith("_dash-update-component"):
            continue
        out[f"{name} requested"] = r["start"]
        out[f"{name} answered"] = r["end"]
        out[f"{name} KB"] = (r["bytes"] or 0) / 1024
    updates = sorted(r["end"] for r in load["resources"] if "_dash-update-component" in r["name"])
    starts = sorted(r["start"] for r in load["resources"] if "_dash-update-component" in r["name"])
    if starts:
        out["first server callback requested"] = starts[0]
        out["first server callback answered"] = updates[0]
    for name, t in load["marks"].items():
        out[f"mark {name}"] = t
    for key, calls in load["calls"].items():
        if calls:
            out[f"{key} first call"] = calls[0]["start"]
            out[f"{key} calls"] = len(calls)
            if "resolved" in calls[0]:
                out[f"{key} first resolved"] = calls[0]["resolved"]
    out["day 0 requested (map.js)"] = load["restyle_requested"] or float("nan")
    out["FIRST RENDER (day 0 drawn)"] = load["first_render"] or float("nan")
    for key, value in (load.get("cpu") or {}).items():
        out[f"cpu: main thread {key} until first render"] = value
    fr = load["first_render"] or 1e12
    lt = [(s, d) for s, d in load["longtasks"] if s < fr]
    out["long tasks before first render: count"] = len(lt)
    out["long tasks before first render: total ms"] = sum(d for _, d in lt)
    out["long tasks before first render: max ms"] = max((d for _, d in lt), default=0)
    trace = load.get("trace") or {}
    if trace:
        out["trace: main thread busy before first render"] = trace["main_thread_busy_ms"]
        out["trace: main thread idle before first render"] = trace["main_thread_idle_ms"]
        for key, value in trace["per_url_ms"].items():
            out[f"trace: {key}"] = value
        for key, value in trace["kinds_ms"].items():
            out[f"trace: {key}"] = value
    prof = load.get("profile") or {}
    for key, value in prof.get("self_ms_per_url", {}).items():
        out[f"profile self: {key}"] = value
    for key, value in prof.get("top_functions_ms", {}).items():
        out[f"profile fn: {key}"] = value
    return out


def medians_of(loads: list[dict]) -> dict[str, float]:
    table: dict[str, list[float]] = {}
    for load in loads:
        for key, value in rows_for(load).items():
            table.setdefault(key, []).append(value)
    return {k: statistics.median(v) for k, v in table.items() if v}


def print_medians(label: str, medians: dict[str, float], n: int) -> None:
    print(f"\n{label}: medians over {n} loads (ms since navigation start; KB over the wire):")
    groups = ("cpu", "trace", "long", "profile")
    for key, value in sorted(medians.items(), key=lambda kv: (kv[0].split(":")[0] if kv[0].startswith(groups) else "",
                                                              kv[0].endswith(" KB"), kv[1])):
        print(f"  {value:9.1f}  {key}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, action="append", default=None,
                        help="a checkout to serve (default: this one); repeat to compare, loads interleaved")
    parser.add_argument("--data", type=Path, default=None, help="data folder (default: the shipped data/)")
    parser.add_argument("--loads", type=int, default=5, help="page loads per checkout")
    parser.add_argument("--include-first", action="store_true", help="count the cold-server load in the medians")
    parser.add_argument("--trace", action="store_true", help="CDP tracing: main-thread time per script")
    parser.add_argument("--profile", action="store_true", help="CDP CPU profile: self time per script and function")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between loads (the last browser exits)")
    parser.add_argument("--json", type=Path, default=None, help="write the raw loads here")
    parser.add_argument("--quiet", action="store_true", help="only the summary lines")
    args = parser.parse_args(argv)

    roots = [r.resolve() for r in (args.root or [ROOT])]
    # -P: do not put the current directory first on sys.path, so PYTHONPATH picks the checkout.
    command = [sys.executable, "-P", "-m", "dashboard", "serve", "--port", "{port}"]
    if args.data is not None:
        command += ["--data", str(args.data.resolve())]
    loads: dict[Path, list[dict]] = {root: [] for root in roots}
    with ExitStack() as stack:
        bases = {root: stack.enter_context(running_server(command, env={"PYTHONPATH": str(root)}, timeout=120))[0]
                 for root in roots}
        for i in range(args.loads):
            # Interleaved, in an order that rotates each round: every checkout sees the same
            # machine state, and none always follows a browser that is still shutting down.
            for root in roots[i % len(roots):] + roots[:i % len(roots)]:
                time.sleep(args.pause)
                load = one_load(bases[root], args.trace, args.timeout, args.profile)
                loads[root].append(load)
                print(f"load {i + 1}/{args.loads} {root}: first render {load['first_render']:.0f} ms, "
                      f"DOMContentLoaded {load['nav']['dcl_start']:.0f} ms", flush=True)
    out = {}
    for root in roots:
        used = loads[root] if args.include_first or len(loads[root]) == 1 else loads[root][1:]
        medians = medians_of(used)
        out[str(root)] = {"loads": loads[root], "medians": medians}
        if not args.quiet:
            print_medians(str(root), medians, len(used))
    for root in roots:
        medians = out[str(root)]["medians"]
        print(f"SUMMARY {root}: first render median {medians.get('FIRST RENDER (day 0 drawn)', float('nan')):.0f} ms, "
              f"DOMContentLoaded median {medians['DOMContentLoaded']:.0f} ms, "
              f"main-thread CPU median {medians.get('cpu: main thread TaskDuration until first render', float('nan')):.0f} ms, "
              f"each load {[round(load['first_render'] or -1) for load in loads[root]]}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
