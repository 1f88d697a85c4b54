"""Screenshot the running dashboard in headless Chromium (used for the README image).

    python tools/screenshot.py --out docs/screenshot.png --day 9 --place aleppo

Starts the app on a free port on 127.0.0.1 with the shipped data (or --data), moves
the slider with the keyboard like a user, clicks the place's marker and saves a PNG.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.testing import JS_MAP_DAY, JS_MAP_READY, JS_MARKER, chromium, dashboard_command, running_server  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshot.png"))
    parser.add_argument("--data", type=Path, default=None, help="data folder (default: the shipped data/)")
    parser.add_argument("--day", type=int, default=9, help="day index to show, 0 = 27 Nov")
    parser.add_argument("--place", default="aleppo", help="place_id whose marker to click ('' for none)")
    parser.add_argument("--mode", choices=["held", "events"], default="held")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=950)
    args = parser.parse_args()

    with running_server(dashboard_command(args.data)) as (base, _), chromium((args.width, args.height)) as context:
        page = context.new_page()
        page.goto(base)
        page.wait_for_function(JS_MAP_READY, timeout=30_000)
        if args.mode == "events":
            page.get_by_label("What happened on the day").check()
        thumb = page.locator("#date-slider [role=slider]")
        thumb.focus()
        thumb.press("Home")
        for _ in range(args.day):
            thumb.press("ArrowRight")
        page.wait_for_function(f"() => ({JS_MAP_DAY})() === '{args.day}'", timeout=10_000)
        if args.place:
            point = page.evaluate(JS_MARKER, args.place)
            if point is None:
                print(f"{args.place!r} is not drawn on day {args.day}", file=sys.stderr)
                return 1
            page.mouse.move(point["x"], point["y"])
            time.sleep(0.15)
            page.mouse.click(point["x"], point["y"])
            page.locator("#source-panel mark").first.wait_for(timeout=10_000)
            page.mouse.move(point["x"], point["y"])
        time.sleep(0.8)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out))
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
