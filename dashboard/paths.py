"""Where the shipped data and assets live, in a source checkout or an installed wheel."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
# In a checkout (or an editable install) data/, assets/ and vendor/ sit beside the package;
# a wheel carries copies inside the package as _data/, _assets/, _vendor/ (see pyproject.toml).
_CANDIDATES = {
    "data": (_PACKAGE_DIR.parent / "data", _PACKAGE_DIR / "_data"),
    "assets": (_PACKAGE_DIR.parent / "assets", _PACKAGE_DIR / "_assets"),
    "vendor": (_PACKAGE_DIR.parent / "vendor", _PACKAGE_DIR / "_vendor"),
}

DATA_ENV_VAR = "DASHBOARD_DATA"


def _first_existing(kind: str, marker: str) -> Path:
    for candidate in _CANDIDATES[kind]:
        if (candidate / marker).exists():
            return candidate
    tried = ", ".join(str(c) for c in _CANDIDATES[kind])
    raise FileNotFoundError(
        f"The shipped {kind}/ folder was not found (looked in {tried}). "
        f"Reinstall the package (pip install .) or run from a checkout of the repository."
    )


def shipped_data_dir() -> Path:
    """The data/ folder that ships with the code (curated CSVs, source texts, basemap)."""
    return _first_existing("data", "events.csv")


def default_data_dir() -> Path:
    """The data folder to use: $DASHBOARD_DATA if set, else the shipped data/."""
    override = os.environ.get(DATA_ENV_VAR)
    if override:
        return Path(override)
    return shipped_data_dir()


def basemap_dir(data_dir: Path) -> Path:
    """The basemap files for `data_dir`: its own basemap/ if it has one, else the shipped one."""
    own = Path(data_dir) / "basemap"
    if (own / "world_50m.json").is_file():
        return own
    return shipped_data_dir() / "basemap"


def assets_dir() -> Path:
    """The folder of CSS/JS that Dash serves under /assets/."""
    return _first_existing("assets", "style.css")


PLOTLY_GEO_BUNDLE = "plotly-geo-4.1.1.min.js"


def vendor_dir() -> Path:
    """The folder of third-party files served under /vendor/ (the partial plotly.js bundle)."""
    return _first_existing("vendor", PLOTLY_GEO_BUNDLE)
