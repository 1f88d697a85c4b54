"""The installed package finds its data and assets (not only in a checkout)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_data_assets_and_basemap(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    wheel = next(tmp_path.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "dashboard/_data/events.csv",
        "dashboard/_data/places.csv",
        "dashboard/_data/sources.csv",
        "dashboard/_data/sources/erdogan-assad-talks-2024-12-06.txt",
        "dashboard/_data/basemap/world_50m.json",
        "dashboard/_data/basemap/syria_governorates.geojson",
        "dashboard/_assets/map.js",
        "dashboard/_assets/style.css",
        "dashboard/_vendor/plotly-geo-4.1.1.min.js",
    ):
        assert required in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "syria-offensive-map = dashboard.__main__:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_cli_help_lists_the_commands():
    result = subprocess.run([sys.executable, "-m", "dashboard", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("serve", "validate", "geocode", "--port", "--host", "--debug", "--data"):
        assert command in result.stdout
