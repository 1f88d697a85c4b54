"""Harness shared by the browser tests and the benchmarks: a real server, a real Chromium.

Not used by the app.  Playwright drives Debian's Chromium (no browser download).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def chromium_path() -> str | None:
    """Path of a system Chromium, from $CHROMIUM_PATH or the usual Debian locations."""
    env = os.environ.get("CHROMIUM_PATH")
    if env and Path(env).exists():
        return env
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    """Block until `url` answers 200, or raise with what the server printed."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            log_path = getattr(process, "log_path", None)
            out = Path(log_path).read_text(errors="replace") if log_path else ""
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}:\n{out}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s (last error: {last})")


@contextmanager
def running_server(args: list[str], url_path: str = "/", env: dict | None = None, timeout: float = 40.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run a server command on a free port of 127.0.0.1; yield (base_url, process).

    "{port}" in `args` or in the values of `env` is replaced by the chosen port.
    """
    port = free_port()
    command = [a.format(port=port) for a in args]
    env = {key: str(value).format(port=port) for key, value in (env or {}).items()}
    # The server's output goes to a file, not a pipe: a chatty server must never block
    # on a full pipe that nobody reads.
    log = tempfile.NamedTemporaryFile(prefix="server-", suffix=".log", delete=False)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env})
    process.log_path = log.name
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + url_path, timeout=timeout, process=process)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        os.unlink(log.name)


def dashboard_command(data_dir: str | Path | None = None) -> list[str]:
    """The command that serves the dashboard on {port} with the development server."""
    command = [sys.executable, "-m", "dashboard", "serve", "--port", "{port}"]
    if data_dir is not None:
        command += ["--data", str(data_dir)]
    return command


@contextmanager
def chromium(viewport: tuple[int, int] = (1400, 950)):
    """Yield a fresh Playwright browser context on the system Chromium (new profile each time)."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise RuntimeError("No Chromium found: apt-get install chromium (or set CHROMIUM_PATH).")
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=executable,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": viewport[0], "height": viewport[1]},
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


# JavaScript run in the page, shared by tests and benchmarks.
JS_MAP_READY = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  return !!(gd && gd._fullLayout && gd._fullLayout.geo && gd.querySelector('.geo .scattergeo'));
}"""

# A place's marker as the reader sees it (computed style of the drawn node), or null when the
# place is not drawn or hidden that day.  Colours come back as #RRGGBB.
JS_MARKER = """(placeId) => {
  const gd = document.querySelector('#map .js-plotly-plot');
  const trace = [...gd.querySelectorAll('.geo .trace')].find(t => t.__data__ && t.__data__[0].trace.name === 'places');
  if (!trace) return null;
  const el = [...trace.querySelectorAll('path.point')].find(p => p.__data__ && p.__data__.data && p.__data__.data[0] === placeId);
  if (!el || getComputedStyle(el).display === 'none') return null;
  const hex = (c) => {
    const m = c.match(/[0-9.]+/g);
    return m && c.startsWith('rgb') ? '#' + m.slice(0, 3).map(v => Math.round(+v).toString(16).padStart(2, '0')).join('').toUpperCase() : c;
  };
  const style = getComputedStyle(el);
  const text = [...trace.querySelectorAll('text')].find(t => t.__data__ === el.__data__);
  const r = el.getBoundingClientRect();
  return {x: r.left + r.width / 2, y: r.top + r.height / 2,
          color: style.fill === 'none' ? hex(style.stroke) : hex(style.fill), fill: hex(style.fill),
          line_color: hex(style.stroke),
          opacity: Number(style.opacity) * Number(style.fill === 'none' ? style.strokeOpacity : style.fillOpacity),
          text: text && getComputedStyle(text).display !== 'none' ? text.textContent.trim() : '',
          symbol: el.__data__.mx, hover: el.__data__.htx};
}"""

JS_MAP_DAY = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  return gd ? gd.getAttribute('data-day') : null;
}"""
