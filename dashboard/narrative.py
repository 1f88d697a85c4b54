"""Words for what the data says: date phrases, per-day summaries, excerpt context.

Pure functions of the timeline; the layout and the source panel both use them, so a
date is described the same way everywhere it appears.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pandas as pd

from . import schema
from .model import Timeline


def fmt_day(day: date) -> str:
    """A day as '30 Nov 2024'."""
    return f"{day.day} {day:%b %Y}"


def fmt_short(day: date) -> str:
    """A day as '30 Nov'."""
    return f"{day.day} {day:%b}"


def _day(offset: int) -> date:
    return schema.WINDOW_START + timedelta(days=int(offset))


def date_phrase(event: pd.Series | dict) -> str:
    """How an event's date is known, e.g. 'Not stated in the source; between 27 Nov and 6 Dec 2024'."""
    start, end = _day(event["date_start_day"]), _day(event["date_end_day"])
    basis = event["date_basis"]
    if basis == "stated":
        return f"{fmt_day(start)} (stated in the source)"
    if basis == "inferred" and start == end:
        return f"{fmt_day(start)} (inferred from context; not stated in the source)"
    return f"Not stated in the source; between {fmt_short(start)} and {fmt_day(end)}"


def control_phrase(event: pd.Series | dict) -> str:
    """The control change an event records, or '' when there is none."""
    before, after = event["controller_before"] or "", event["controller_after"] or ""
    if not after:
        return f"Held before by {schema.CONTROLLERS[before].label}; no change recorded" if before else ""
    source = schema.CONTROLLERS[before].label if before else "an unnamed holder"
    text = f"{source} \u2192 {schema.CONTROLLERS[after].label}"
    if event["claim_status"] == "claimed":
        text += " (claimed, not drawn as a change)"
    return text


def day_summary(timeline: Timeline, day: int) -> str:
    """One sentence for screen readers: what the sources say about day index `day`."""
    events = timeline.events
    todays = timeline.events_by_day[day]
    # Plain arrays of today's rows only: the layout asks for every day at start-up, and
    # slicing the whole frame (or grouping it with pandas) each time cost ~30 ms a day at 100k.
    exact = todays[events["date_start_day"].to_numpy()[todays] == events["date_end_day"].to_numpy()[todays]]
    windowed = len(todays) - len(exact)
    # (event_type, claim_status) groups in order of first appearance, as groupby(sort=False) gives.
    groups: dict[tuple[str, str], list[str]] = {}
    for key, written in zip(
        zip(_values(events["event_type"], exact), _values(events["claim_status"], exact)),
        _values(events["place_as_written"], exact),
    ):
        groups.setdefault(key, []).append(written)
    parts: list[str] = []
    for (event_type, claim), written in groups.items():
        label = schema.EVENT_TYPES[event_type].label.lower()
        distinct = list(dict.fromkeys(written))
        where = ", ".join(distinct[:3])
        more = f" and {len(distinct) - 3} more" if len(distinct) > 3 else ""
        noun = label if len(written) == 1 or label.endswith("s") else f"{label}s"
        status = "" if claim == "statement" else f"{schema.CLAIM_STATUS[claim].label.lower()} "
        parts.append(f"{len(written)} {status}{noun} ({where}{more})")
    if not parts:
        parts.append("no event dated to this day")
    changed_codes = [code for code, state in enumerate(timeline.held_states) if state.changed_today]
    changes = list(timeline.places["name"].to_numpy()[np.isin(timeline.held[day], changed_codes)])
    text = f"{fmt_day(timeline.days[day])}: " + "; ".join(parts)
    if changes:
        text += f". Changed hands: {', '.join(changes[:5])}" + (" and more" if len(changes) > 5 else "")
    if windowed:
        text += f". {windowed} more event(s) undated, only known to fall in a window including this day"
    return text + "."


def _values(column: pd.Series, rows: np.ndarray) -> list:
    """The values of `column` at positions `rows`, as plain Python objects."""
    return column.take(rows).tolist()


_WS = re.compile(r"\s+")


def locate_excerpt(text: str, excerpt: str) -> tuple[int, int] | None:
    """(start, end) of `excerpt` in `text`, matching any run of whitespace to any other."""
    words = [re.escape(w) for w in _WS.split(excerpt.strip()) if w]
    if not words:
        return None
    match = re.search(r"\s+".join(words), text)
    return (match.start(), match.end()) if match else None


def excerpt_in_paragraph(text: str, excerpt: str) -> tuple[str, str, str]:
    """(before, excerpt, after): the excerpt with the rest of its paragraph(s) around it."""
    span = locate_excerpt(text, excerpt)
    if span is None:
        return "", excerpt, ""
    start, end = span
    para_start = text.rfind("\n\n", 0, start)
    para_start = 0 if para_start < 0 else para_start + 2
    para_end = text.find("\n\n", end)
    para_end = len(text) if para_end < 0 else para_end
    return text[para_start:start], text[start:end], text[end:para_end]
