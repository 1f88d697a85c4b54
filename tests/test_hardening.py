"""The public endpoints survive junk: no 5xx, no traceback, no injected markup.

Every callback is a public JSON endpoint, so this posts a table of malformed,
oversized and hostile bodies to /_dash-update-component through Flask's test client
(tests/test_serving.py replays the same table against a real gunicorn).  It also
checks the security headers and that CSV text with HTML in it comes back as text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import DEFAULT_EVENTS, DEFAULT_PLACES, FIXTURE_TEXT, SOURCE_ROW, event, place, write_dataset
from dashboard.app import create_app
from dashboard.security import MAX_BODY_BYTES, MAX_JSON_DEPTH

CALLBACK_URL = "/_dash-update-component"

# ----------------------------------------------------------------- the XSS fixture

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
XSS_SENTENCE = f"Rebels entered {IMG} and then {SCRIPT} on Nov. 29."
XSS_TEXT = FIXTURE_TEXT + "\n" + XSS_SENTENCE + "\n"
XSS_PLACE_ID = "xss-village"  # unidentified: listed under "Named but not located"
XSS_PINNED_ID = "xss-town"  # drawn on the map: its name is in hover labels and map text
XSS_NAME = f"{IMG}{SCRIPT}"
XSS_PINNED_NAME = f"<b>Bold</b>{IMG}"


def write_xss_dataset(folder: Path) -> Path:
    """A valid dataset whose names, alt names, notes, excerpt and source title carry HTML."""
    places = DEFAULT_PLACES + [
        place(XSS_PLACE_ID, XSS_NAME, None, None, kind="village", alt_names=f"{SCRIPT}|{IMG}",
              coord_source=f"not located {IMG}"),
        place(XSS_PINNED_ID, XSS_PINNED_NAME, 35.9, 36.8, kind="town", coord_source=f"set by hand {SCRIPT}"),
    ]
    events = DEFAULT_EVENTS + [
        event("xss-capture", XSS_PLACE_ID, XSS_SENTENCE, "2024-11-29", place_as_written=IMG, notes=f"notes {SCRIPT} {IMG}"),
        event("xss-town-capture", XSS_PINNED_ID, XSS_SENTENCE, "2024-11-29", place_as_written=SCRIPT, notes=f"notes {IMG}"),
    ]
    source = dict(SOURCE_ROW, title=f"Fixture {SCRIPT} source", dateline=f"DAMASCUS {IMG}")
    return write_dataset(folder, places=places, events=events, sources=[source], text=XSS_TEXT)


# ----------------------------------------------------------------- request bodies


def callback_body(value) -> dict:
    """The body the browser posts when the `selected-place` store changes to `value`."""
    return {
        "output": "source-panel.children",
        "outputs": {"id": "source-panel", "property": "children"},
        "inputs": [{"id": "selected-place", "property": "data", "value": value}],
        "changedPropIds": ["selected-place.data"],
        "state": [],
    }


def _with(**changes) -> bytes:
    body = callback_body("alpha")
    body.update(changes)
    return json.dumps(body).encode()


def _value(value) -> bytes:
    return json.dumps(callback_body(value)).encode()


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


JSON = "application/json"
# (id, raw body, content type, allowed statuses).  None of these may answer 5xx or show a traceback.
JUNK = [
    ("empty", b"", JSON, {400}),
    ("not-json", b"hello", JSON, {400}),
    ("truncated-json", _value("alpha")[:-5], JSON, {400}),
    ("json-null", b"null", JSON, {400}),
    ("json-list", b"[1, 2, 3]", JSON, {400}),
    ("json-string", b'"source-panel.children"', JSON, {400}),
    ("empty-object", b"{}", JSON, {400}),
    ("wrong-content-type", _value("alpha"), "text/plain", {415}),
    ("form-encoded", b"output=source-panel.children", "application/x-www-form-urlencoded", {415}),
    ("invalid-utf8", b'{"output": "\xff\xfe"}', JSON, {400}),
    ("nan-literal", b'{"output": NaN}', JSON, {400}),
    ("unknown-output", _with(output="nope.children"), JSON, {400}),
    ("clientside-output", _with(output="day-label.children", outputs={"id": "day-label", "property": "children"}), JSON, {400}),
    ("output-not-string", _with(output=["source-panel.children"]), JSON, {400}),
    ("outputs-mismatch", _with(outputs={"id": "map", "property": "figure"}), JSON, {400}),
    ("outputs-missing", json.dumps({k: v for k, v in callback_body("alpha").items() if k != "outputs"}).encode(), JSON, {400}),
    ("outputs-wrong-type", _with(outputs=5), JSON, {400}),
    ("outputs-list", _with(outputs=[{"id": "source-panel", "property": "children"}] * 2), JSON, {400}),
    ("inputs-missing", json.dumps({k: v for k, v in callback_body("alpha").items() if k != "inputs"}).encode(), JSON, {400}),
    ("inputs-not-list", _with(inputs={"id": "selected-place"}), JSON, {400}),
    ("inputs-empty", _with(inputs=[]), JSON, {400}),
    ("inputs-too-many", _with(inputs=[callback_body("a")["inputs"][0]] * 3), JSON, {400}),
    ("inputs-wrong-id", _with(inputs=[{"id": "map", "property": "clickData", "value": None}]), JSON, {400}),
    ("inputs-wrong-property", _with(inputs=[{"id": "selected-place", "property": "modified_timestamp", "value": 1}]), JSON, {400}),
    ("inputs-item-not-object", _with(inputs=["selected-place.data"]), JSON, {400}),
    ("state-unexpected", _with(state=[{"id": "date-slider", "property": "value", "value": 3}]), JSON, {400}),
    ("changed-not-list", _with(changedPropIds="selected-place.data"), JSON, {400}),
    ("changed-not-strings", _with(changedPropIds=[{"a": 1}]), JSON, {400}),
    ("deep-10k-body", _deep(10_000).encode(), JSON, {400}),
    ("deep-10k-value", _value(None).replace(b'"value": null', b'"value": ' + _deep(10_000).encode()), JSON, {400}),
    ("deep-just-over-limit", _value(json.loads(_deep(MAX_JSON_DEPTH))), JSON, {400}),
    ("oversized-body", _value("x" * (MAX_BODY_BYTES + 10)), JSON, {413}),
    # Well-formed calls with odd values: the callback answers with a notice (200).
    ("value-unknown-place", _value("atlantis"), JSON, {200}),
    ("value-int", _value(5), JSON, {200}),
    ("value-float", _value(1e308), JSON, {200}),
    ("value-bool", _value(True), JSON, {200}),
    ("value-list", _value(["alpha"]), JSON, {200}),
    ("value-object", _value({"place": "alpha"}), JSON, {200}),
    ("value-null", _value(None), JSON, {200}),
    ("value-huge-string", _value("a" * (MAX_BODY_BYTES - 500)), JSON, {200}),
    ("value-sql-ish", _value("alpha' OR '1'='1"), JSON, {200}),
    ("value-path", _value("../../etc/passwd"), JSON, {200}),
    ("value-nul", _value("alpha\x00"), JSON, {200}),
    ("value-html", _value(IMG), JSON, {200}),
    ("value-infinity", _value(None).replace(b'"value": null', b'"value": Infinity'), JSON, {200}),
]

TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "site-packages", "werkzeug.", "RecursionError", "KeyError")


def assert_clean(status: int, text: str, allowed: set[int]) -> None:
    assert status < 500, f"server error {status}: {text[:300]}"
    assert status in allowed, f"status {status} not in {allowed}: {text[:300]}"
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, f"{marker!r} leaked in the response: {text[:300]}"


# ----------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def xss_dir(tmp_path_factory) -> Path:
    return write_xss_dataset(tmp_path_factory.mktemp("xss") / "data")


@pytest.fixture(scope="module")
def client(xss_dir):
    app = create_app(xss_dir)
    return app.server.test_client()


def post(client, raw: bytes, content_type: str = JSON):
    response = client.post(CALLBACK_URL, data=raw, content_type=content_type)
    return response.status_code, response.get_data(as_text=True)


# ----------------------------------------------------------------- tests


@pytest.mark.parametrize("raw, content_type, allowed", [j[1:] for j in JUNK], ids=[j[0] for j in JUNK])
def test_junk_posted_to_the_callback_gets_no_5xx(client, raw, content_type, allowed):
    status, text = post(client, raw, content_type)
    assert_clean(status, text, allowed)
    if status >= 400:
        assert json.loads(text)["status"] == status


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", CALLBACK_URL),
        ("PUT", CALLBACK_URL),
        ("GET", "/_dash-component-suites/nope/x.js"),
        ("GET", "/_dash-component-suites/dash/../../../etc/passwd"),
        ("GET", "/_dash-component-suites/dash/dcc/nope.js"),
        ("GET", "/basemap/../sources.csv"),
        ("GET", "/basemap/nope.json"),
        ("GET", "/assets/../data/events.csv"),
        ("POST", "/_dash-layout"),
        ("GET", "/%ff%fe"),
    ],
)
def test_other_routes_answer_4xx_or_the_page(client, method, path):
    response = client.open(path, method=method)
    assert_clean(response.status_code, response.get_data(as_text=True), {200, 400, 404, 405})


def _output_spec(key: str):
    """The `outputs` field Dash's renderer sends for a callback_map key."""
    def one(name):
        component, prop = name.rsplit(".", 1)
        return {"id": component, "property": prop.split("@")[0]}

    if key.startswith(".."):
        return [one(name) for name in key[2:-2].split("...")]
    return one(key)


ODD_VALUES = [None, "", "nowhere", 5, -1, 10**30, 1.5, float("nan"), True, [1, "a"], {"a": 1}, "x" * 5000,
              "2024-13-45", IMG]


def test_every_server_callback_takes_odd_values_without_5xx(xss_dir):
    """Whatever server callbacks the app has, any JSON value for any input or state gets no 5xx."""
    app = create_app(xss_dir)
    client = app.server.test_client()
    server_side = {k: v for k, v in app.callback_map.items() if v.get("callback") is not None}
    assert "source-panel.children" in server_side
    for key, spec in server_side.items():
        if not all(isinstance(d["id"], str) for d in spec["inputs"] + spec["state"]):
            continue  # pattern-matching ids: none are server-side today
        for value in ODD_VALUES:
            for slot in range(len(spec["inputs"]) + len(spec["state"])):
                values = [None] * (len(spec["inputs"]) + len(spec["state"]))
                values[slot] = value
                items = [dict(d, value=v) for d, v in zip(spec["inputs"] + spec["state"], values)]
                body = {
                    "output": key,
                    "outputs": _output_spec(key),
                    "inputs": items[: len(spec["inputs"])],
                    "state": items[len(spec["inputs"]):],
                    "changedPropIds": [f"{d['id']}.{d['property']}" for d in spec["inputs"]],
                }
                status, text = post(client, json.dumps(body).encode())
                assert status < 500, (key, value, slot, text[:300])
                for marker in TRACEBACK_MARKERS:
                    assert marker not in text, (key, value, slot, text[:300])


def test_callback_with_an_unknown_place_gets_a_friendly_notice(client):
    status, text = post(client, _value("atlantis"))
    assert status == 200
    children = json.loads(text)["response"]["source-panel"]["children"]
    assert children[0]["props"]["className"] == "notice"
    assert "not in the data" in children[0]["props"]["children"]


def test_an_overlong_place_id_is_clamped_to_the_notice(client):
    status, text = post(client, _value("alpha" * 100))
    assert status == 200 and "not in the data" in text


def test_real_callback_answers_with_the_panel(client):
    status, text = post(client, _value("alpha"))
    assert status == 200
    assert json.loads(text)["response"]["source-panel"]["children"][0]["props"]["children"] == "Alpha"


def _strings(node):
    """Every string in a Dash component tree (JSON), depth first."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)


def _component_types(node):
    if isinstance(node, list):
        for item in node:
            yield from _component_types(item)
    elif isinstance(node, dict):
        if "type" in node and "namespace" in node:
            yield node["namespace"], node["type"]
        for value in node.values():
            yield from _component_types(value)


@pytest.mark.parametrize("place_id", [XSS_PLACE_ID, XSS_PINNED_ID])
def test_html_in_the_data_comes_back_as_plain_text(client, place_id):
    status, text = post(client, _value(place_id))
    assert status == 200
    children = json.loads(text)["response"]["source-panel"]["children"]
    strings = list(_strings(children))
    # The markup arrives as text inside ordinary components, verbatim ...
    assert any(IMG in s for s in strings)
    assert any(SCRIPT in s for s in strings)
    # ... and never as a component that would render HTML (no Img, Script, Iframe, raw-HTML holder).
    types = {t for _, t in _component_types(children)}
    assert not types & {"Img", "Script", "Iframe", "Object", "Embed", "DangerouslySetInnerHTML", "Markdown"}
    assert not any("dangerously_allow_html" in s or "dangerouslySetInnerHTML" in s for s in strings)
    # The highlighted excerpt is the fixture's sentence, verbatim.
    assert XSS_SENTENCE in strings


def test_the_panel_json_escapes_markup_for_html_contexts(client):
    """The JSON answer is application/json, so a browser never parses it as HTML."""
    response = client.post(CALLBACK_URL, data=_value(XSS_PLACE_ID), content_type=JSON)
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_layout_json_carries_the_names_as_text(client):
    response = client.get("/_dash-layout")
    assert response.status_code == 200
    layout = response.get_json()
    types = {t for _, t in _component_types(layout)}
    assert not types & {"Img", "Script", "Iframe", "Object", "Embed", "Markdown"}
    assert any(XSS_NAME in s for s in _strings(layout))


def test_index_page_does_not_inline_the_data(client):
    html = client.get("/").get_data(as_text=True)
    assert IMG not in html and SCRIPT not in html


def test_security_headers_on_every_kind_of_response(client):
    for path in ("/", "/_dash-layout", "/_dash-dependencies", "/basemap/world_50m.json", "/assets/style.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["default-src"] == "'self'"
        assert "'unsafe-eval'" not in csp
        assert "'unsafe-inline'" not in directives["script-src"]
        assert "'sha256-" in directives["script-src"]
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_csp_hashes_match_the_inline_scripts_of_the_page(client):
    """Every executable inline <script> on the page is allowed by a hash in the policy."""
    import base64
    import hashlib
    import re

    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    # Drop HTML comments (Dash's IE notice sits in a conditional comment and never runs).
    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", html, flags=re.S)
    executable = [body for attrs, body in inline if "application/json" not in attrs]
    assert executable, "expected Dash's renderer bootstrap script"
    for body in executable:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp


def test_debug_is_off_and_errors_show_no_traceback(xss_dir):
    app = create_app(xss_dir)
    assert app.server.debug is False
    assert app.server.config["MAX_CONTENT_LENGTH"] == MAX_BODY_BYTES

    @app.server.route("/_test-boom")
    def boom():  # a bug anywhere in the app
        raise RuntimeError("secret internals")

    response = app.server.test_client().get("/_test-boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in text and "Traceback" not in text


def test_a_failing_callback_is_a_4xx_without_traceback(xss_dir, monkeypatch):
    app = create_app(xss_dir)
    spec = app.callback_map["source-panel.children"]

    def broken(*args, **kwargs):
        raise KeyError("secret internals")

    monkeypatch.setitem(spec, "callback", broken)
    status, text = post(app.server.test_client(), _value("alpha"))
    assert status == 400
    assert "secret internals" not in text and "Traceback" not in text


def test_chunked_oversized_body_is_refused(client):
    """A body without Content-Length is cut off at the cap too."""

    def chunks():
        for _ in range(MAX_BODY_BYTES // 1024 + 8):
            yield b"x" * 1024

    import io

    stream = io.BytesIO(b"".join(chunks()))
    response = client.post(
        CALLBACK_URL, input_stream=stream, content_type=JSON, headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # what gunicorn sets for a chunked body
    )
    assert_clean(response.status_code, response.get_data(as_text=True), {413})
