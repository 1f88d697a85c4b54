"""Production serving: gunicorn with 2 workers answers the page and the callback.

Starts `gunicorn -c gunicorn.conf.py dashboard.wsgi:app` on a free port on
127.0.0.1 (WEB_CONCURRENCY=2), as the README documents, and replays the junk table
of test_hardening.py against it.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard.testing import free_port, running_server
from test_hardening import CALLBACK_URL, JUNK, _value, assert_clean, write_xss_dataset

pytest.importorskip("gunicorn", reason="gunicorn is the optional 'serve' extra")

REPO = Path(__file__).resolve().parents[1]


def gunicorn_command(*extra: str) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "--chdir", str(REPO), "-c", str(REPO / "gunicorn.conf.py"), *extra,
            "dashboard.wsgi:app"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return write_xss_dataset(tmp_path_factory.mktemp("serving") / "data")


@pytest.fixture(scope="module")
def server(data_dir):
    """gunicorn (2 workers) on a free port of 127.0.0.1; yields (base_url, master process)."""
    command = gunicorn_command("--bind", "127.0.0.1:{port}")
    env = {"WEB_CONCURRENCY": "2", "DASHBOARD_DATA": str(data_dir)}
    with running_server(command, env=env, timeout=60) as (base, process):
        yield base, process


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def request(base: str, method: str, path: str, body: bytes | None = None, content_type: str = "application/json"):
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        headers = {"Content-Type": content_type} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", errors="replace"), dict(response.getheaders())
    finally:
        conn.close()


def test_gunicorn_runs_two_workers(server):
    _, process = server
    if not Path("/proc").is_dir():
        pytest.skip("no /proc to count worker processes")
    # The master answers as soon as one worker is up; give the second a moment to boot.
    deadline = time.monotonic() + 15
    while len(_children(process.pid)) != 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(_children(process.pid)) == 2


def test_page_and_callback_answer_200(server):
    base, _ = server
    status, html, headers = request(base, "GET", "/")
    assert status == 200 and "_dash-renderer" in html
    assert "script-src 'self' 'sha256-" in headers["Content-Security-Policy"]
    status, text, _ = request(base, "GET", "/_dash-dependencies")
    assert status == 200
    deps = json.loads(text)
    server_side = {d["output"]: d for d in deps if d.get("clientside_function") is None}
    assert "source-panel.children" in server_side
    # The body the browser sends when a place is selected, built from the dependency spec.
    spec = server_side["source-panel.children"]
    body = {
        "output": spec["output"],
        "outputs": {"id": "source-panel", "property": "children"},
        "inputs": [dict(i, value="alpha") for i in spec["inputs"]],
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in spec["inputs"]],
        "state": spec["state"],
    }
    for _ in range(6):  # enough to reach both workers
        status, text, _ = request(base, "POST", CALLBACK_URL, json.dumps(body).encode())
        assert status == 200
        assert json.loads(text)["response"]["source-panel"]["children"][0]["props"]["children"] == "Alpha"


@pytest.mark.parametrize("raw, content_type, allowed", [j[1:] for j in JUNK], ids=[j[0] for j in JUNK])
def test_junk_gets_no_5xx_from_gunicorn(server, raw, content_type, allowed):
    base, _ = server
    try:
        status, text, _ = request(base, "POST", CALLBACK_URL, raw, content_type)
    except (ConnectionResetError, BrokenPipeError):
        # An oversized body may be refused before it is all sent: also no 5xx.
        assert 413 in allowed
        return
    assert_clean(status, text, allowed)


def test_chunked_oversized_body_gets_413(server):
    base, _ = server
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("POST", CALLBACK_URL, body=iter([b"x" * 1024] * 100), encode_chunked=True,
                     headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        response = conn.getresponse()
        assert_clean(response.status, response.read().decode(), {413})
    finally:
        conn.close()


def test_server_still_healthy_after_junk(server):
    base, process = server
    assert process.poll() is None
    status, text, _ = request(base, "POST", CALLBACK_URL, _value("bravo"))
    assert status == 200 and "Bravo" in text


def test_gunicorn_refuses_to_start_on_invalid_data(tmp_path):
    bad = tmp_path / "data"
    bad.mkdir()
    (bad / "sources.csv").write_text("not,a,header\n", encoding="utf-8")
    result = subprocess.run(
        gunicorn_command("--bind", f"127.0.0.1:{free_port()}"),
        env={**os.environ, "WEB_CONCURRENCY": "2", "DASHBOARD_DATA": str(bad)},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "The app did not start: the data is invalid." in result.stderr
    assert "sources.csv:1: (header)" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_reads_the_environment(monkeypatch):
    import runpy

    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.delenv("HOST", raising=False)
    config = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    assert config["workers"] == 3 and config["bind"] == ["127.0.0.1:9123"]
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.delenv("WEB_CONCURRENCY")
    monkeypatch.delenv("PORT")
    config = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    assert config["workers"] == 2 and config["bind"] == ["0.0.0.0:8050"]
    assert config["preload_app"] is True


def test_wsgi_module_builds_the_flask_app(monkeypatch, data_dir):
    import importlib

    monkeypatch.setenv("DASHBOARD_DATA", str(data_dir))
    sys.modules.pop("dashboard.wsgi", None)
    wsgi = importlib.import_module("dashboard.wsgi")
    try:
        assert wsgi.app is wsgi.dash_app.server
        with wsgi.app.test_client() as client:
            assert client.get("/").status_code == 200
    finally:
        sys.modules.pop("dashboard.wsgi", None)
