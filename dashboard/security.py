"""Security headers, a request-size cap and a callback endpoint that cannot be broken.

`apply_security(app)` is called once by `create_app()`, after every callback is
registered.  It adds:

* A Content-Security-Policy built from Dash's own hashes of its inline scripts
  (`Dash.csp_hashes()`): no 'unsafe-inline' and no 'unsafe-eval' for scripts.
  See `content_security_policy()` for why each directive is what it is.
* X-Content-Type-Options, Referrer-Policy, frame protection (CSP frame-ancestors
  plus X-Frame-Options for old browsers), Cross-Origin-Opener-Policy and a
  Permissions-Policy that turns off device APIs the page never uses.
* `MAX_CONTENT_LENGTH`: a larger request body gets 413 before it is parsed.
* A guard in front of `/_dash-update-component` that rejects, with a 4xx and a
  short JSON error, anything that is not the shape of a call to a callback this
  app defines: bodies that are not JSON, JSON nested deeper than `MAX_JSON_DEPTH`,
  unknown outputs, inputs that are not the declared ones.
* An error handler for everything else: the client gets a short JSON error and
  never a traceback; the traceback goes to the server log.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from dash import Dash
from dash.exceptions import DependencyException
from flask import Response, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# The one server callback's request is well under 1 KiB; 64 KiB leaves room for any
# legitimate growth while keeping a single request cheap to read and parse.
MAX_BODY_BYTES = 64 * 1024
# A real callback body is about 5 levels deep (body > inputs > input > value > ...).
MAX_JSON_DEPTH = 32
CALLBACK_ROUTE = "_dash-update-component"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # The page needs no Referer; outbound links to sources must not leak the map's URL.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def content_security_policy(script_hashes: list[str]) -> str:
    """The policy for every response (checked in headless Chromium by tests/test_csp_browser.py).

    - default-src 'self': anything not listed below (fonts, workers, manifests, media)
      comes only from this server.
    - script-src 'self' + hashes: the bundles are same-origin files; the one inline
      script (Dash's renderer bootstrap) is allowed by its sha256 hash, which Dash
      computes (`Dash.csp_hashes()`).  No 'unsafe-inline' and no 'unsafe-eval': Dash 4,
      dcc.Graph's Plotly (scattergeo, no WebGL) and assets/map.js run without eval.
    - style-src 'self' 'unsafe-inline': dash-renderer and dcc inject <style> elements
      at run time (style-loader) and Plotly adds its own; without 'unsafe-inline' the
      browser blocks about two dozen of them and the slider's marks cover the Play
      button.  They cannot be hashed in advance.  Inline CSS cannot run script.
    - img-src 'self' data:: Plotly and component CSS may use data: image URIs; an
      image cannot run script.
    - connect-src 'self': callbacks and the /basemap/ topojson fetch only.
    - object-src 'none', base-uri 'none', form-action 'self': no plugins, no <base>
      hijack, no form posts elsewhere.
    - frame-ancestors 'none': nobody may frame the page (clickjacking); X-Frame-Options
      DENY says the same to browsers that predate CSP 2.
    """
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class BadCallbackRequest(ValueError):
    """A request to the callback endpoint that does not fit any callback of this app."""


def _json_depth_exceeds(value: Any, limit: int) -> bool:
    """True if `value` nests lists/dicts deeper than `limit` (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _check_input(given: Any, declared: dict, where: str) -> None:
    declared_id = declared.get("id")
    if not isinstance(declared_id, str):
        # Pattern-matching ids (ALL/MATCH) arrive as one dict or a list of dicts.
        items = given if isinstance(given, list) else [given]
        if not all(isinstance(i, dict) and i.get("property") == declared.get("property") for i in items):
            raise BadCallbackRequest(f"{where} does not match the callback's declared input")
        return
    if not isinstance(given, dict) or given.get("id") != declared_id or given.get("property") != declared.get("property"):
        raise BadCallbackRequest(f"{where} does not match the callback's declared input")


def check_callback_body(body: Any, callback_map: dict) -> None:
    """Raise BadCallbackRequest unless `body` has the shape of a call to a callback in `callback_map`."""
    if not isinstance(body, dict):
        raise BadCallbackRequest("the body must be a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        raise BadCallbackRequest("unknown callback output")
    spec = callback_map[output]
    if spec.get("callback") is None:
        raise BadCallbackRequest("that output is computed in the browser, not on the server")
    for key in ("inputs", "state"):
        given = body.get(key, [])
        declared = spec.get(key, [])
        if not isinstance(given, list) or len(given) != len(declared):
            raise BadCallbackRequest(f"'{key}' must list the callback's {len(declared)} declared value(s)")
        for i, (g, d) in enumerate(zip(given, declared)):
            _check_input(g, d, f"{key}[{i}]")
    outputs = body.get("outputs")
    if not isinstance(outputs, (dict, list)):
        raise BadCallbackRequest("'outputs' must be an object or a list")
    items = outputs if isinstance(outputs, list) else [outputs]
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("property"), str) or "id" not in item:
            raise BadCallbackRequest("'outputs' entries need an id and a property")
    if all(isinstance(item["id"], str) for item in items):
        # Dash names a single output "id.prop" and several "..id.prop...id.prop..".
        names = [f"{item['id']}.{item['property']}" for item in items]
        expected = names[0] if isinstance(outputs, dict) else ".." + "...".join(names) + ".."
        if expected != output:
            raise BadCallbackRequest("'outputs' do not match 'output'")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise BadCallbackRequest("'changedPropIds' must be a list of strings")


def _error(status: int, message: str) -> Response:
    response = Response(json.dumps({"error": message, "status": status}), status=status, mimetype="application/json")
    return response


def apply_security(app: Dash) -> Dash:
    """Add the headers, the body cap, the callback guard and the error handler to `app`."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    server.debug = False
    callback_path = app.config.routes_pathname_prefix + CALLBACK_ROUTE
    policy: list[str] = []  # computed on first use, after every inline script is registered

    def csp() -> str:
        if not policy:
            policy.append(content_security_policy(list(app.csp_hashes())))
        return policy[0]

    @server.before_request
    def guard_callback_requests():
        if request.path != callback_path or request.method != "POST":
            return None
        if not request.is_json:
            return _error(415, "send the callback as application/json")
        raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: raises 413
        if len(raw) >= MAX_BODY_BYTES:
            # A chunked body has no Content-Length: Werkzeug stops reading at the cap.
            return _error(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            log.warning("rejected callback request: body is not JSON (%d bytes)", len(raw))
            return _error(400, "the body is not valid JSON")
        if _json_depth_exceeds(body, MAX_JSON_DEPTH):
            log.warning("rejected callback request: JSON nested deeper than %d", MAX_JSON_DEPTH)
            return _error(400, f"the body is nested deeper than {MAX_JSON_DEPTH} levels")
        try:
            check_callback_body(body, app.callback_map)
        except BadCallbackRequest as exc:
            log.warning("rejected callback request: %s", exc)
            return _error(400, str(exc))
        return None

    @server.after_request
    def add_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = csp()
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @server.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc  # redirects (e.g. a missing trailing slash) stay redirects
        return _error(exc.code or 400, exc.description or exc.name)

    @server.errorhandler(DependencyException)
    def unknown_dependency(exc: DependencyException):
        # Dash raises this for a /_dash-component-suites/ path it does not serve.
        log.warning("no such component file: %s", request.path)
        return _error(404, "no such file")

    @server.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        # Dash's own handlers (PreventUpdate -> 204, InvalidResourceError -> 404) are more
        # specific and still win.  Everything else: log it whole, answer briefly.
        log.exception("error handling %s %s", request.method, request.path)
        if request.path == callback_path:
            # The guard let the body through, so it had the right shape; a failure now
            # comes from the values it carried.  The client asked for something we cannot do.
            return _error(400, "the callback could not be run with these values")
        return _error(500, "internal error")

    return app
