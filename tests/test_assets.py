"""The shipped partial plotly.js bundle matches the plotly package and is the one the page uses."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.offline
import pytest

from dashboard.paths import PLOTLY_GEO_BUNDLE
from dashboard.testing import JS_MAP_READY, chromium, dashboard_command, running_server

VENDOR = Path(__file__).resolve().parents[1] / "vendor"


def test_partial_bundle_has_the_same_plotlyjs_version_as_the_plotly_package():
    bundles = sorted(VENDOR.glob("plotly-geo-*.min.js"))
    assert len(bundles) == 1
    header = bundles[0].read_text(encoding="utf-8")[:200]
    version = re.search(r"plotly\.js \(geo - minified\) v(\S+)", header).group(1)
    assert version == plotly.offline.get_plotlyjs_version()
    assert bundles[0].name == f"plotly-geo-{version}.min.js" == PLOTLY_GEO_BUNDLE
    assert not list((VENDOR.parent / "assets").glob("*plotly*")), "third-party code belongs in vendor/"


@pytest.mark.browser
def test_page_uses_the_partial_bundle_and_never_fetches_the_full_one():
    with running_server(dashboard_command()) as (base, _), chromium() as context:
        page = context.new_page()
        urls = []
        page.on("request", lambda r: urls.append(r.url))
        page.goto(base)
        page.wait_for_function(JS_MAP_READY, timeout=30_000)
        assert any("plotly-geo-" in u for u in urls)
        assert not any(u.endswith("plotly.min.js") or "package_data/plotly.min.js" in u for u in urls)
