"""The source panel: what a click on a place shows (pure, no browser)."""

from __future__ import annotations

import json

from dash import html

from conftest import DEFAULT_EVENTS, FIXTURE_TEXT, event, write_dataset
from dashboard.data import load_dataset
from dashboard.model import build_timeline
from dashboard.narrative import date_phrase, excerpt_in_paragraph
from dashboard.panel import source_panel


def flatten_text(component) -> str:
    """All text in a Dash component tree, in order."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(flatten_text(c) for c in component)
    return flatten_text(getattr(component, "children", None))


def find(component, kind):
    if isinstance(component, (list, tuple)):
        for c in component:
            yield from find(c, kind)
    elif component is not None and not isinstance(component, (str, int, float)):
        if isinstance(component, kind):
            yield component
        yield from find(getattr(component, "children", None), kind)


def test_panel_shows_names_dates_status_excerpt_and_source(dataset_dir):
    timeline = build_timeline(load_dataset(dataset_dir))
    panel = source_panel(timeline, "bravo")
    text = flatten_text(panel)
    assert "Bravo" in text and "\u201cthe town of Bravo\u201d" in text
    assert "Not stated in the source; between 27 Nov and 6 Dec 2024" in text
    assert "HTS-led opposition" in text and "Reported" in text
    assert "Fixture source" in text and "dateline DAMASCUS" in text
    assert "published on or after 2024-12-06" in text
    assert "set by hand for a test" in text  # how the coordinates were found
    marks = list(find(panel, html.Mark))
    assert [m.children for m in marks] == ["Rebels also seized the town of Bravo."]


def test_panel_for_claim_says_it_is_a_claim(dataset_dir):
    text = flatten_text(source_panel(build_timeline(load_dataset(dataset_dir)), "charlie"))
    assert "Claimed: A party's own claim" in text
    assert "SNA (Turkish-backed)" in text


def test_panel_for_unknown_or_malformed_ids_is_a_notice(dataset_dir):
    timeline = build_timeline(load_dataset(dataset_dir))
    for bad in ("atlantis", 42, ["alpha"], {"place": "alpha"}, "<script>alert(1)</script>"):
        assert "not in the data" in flatten_text(source_panel(timeline, bad))
    assert "Click a place" in flatten_text(source_panel(timeline, None))


def test_markup_in_data_stays_a_string_in_the_component_tree(tmp_path):
    hostile = "<script>alert(1)</script> and <img src=x onerror=alert(2)>"
    text = FIXTURE_TEXT + hostile + "\n"
    events = DEFAULT_EVENTS + [event("hostile", "alpha", hostile, "2024-12-01", event_type="clashes",
                                     controller_before="", controller_after="", place_as_written="Alpha")]
    timeline = build_timeline(load_dataset(write_dataset(tmp_path / "d", events=events, text=text)))
    panel = source_panel(timeline, "alpha")
    marks = [m.children for m in find(panel, html.Mark)]
    assert hostile in marks  # passed to React as text, which escapes it
    serialised = json.dumps(panel, cls=__import__("plotly").utils.PlotlyJSONEncoder)
    assert "dangerouslySetInnerHTML" not in serialised


def test_date_phrases_say_how_the_date_is_known(dataset_dir):
    events = load_dataset(dataset_dir).events
    phrases = [date_phrase(row) for _, row in events.iterrows()]
    assert phrases[0] == "30 Nov 2024 (stated in the source)"
    assert phrases[1] == "Not stated in the source; between 27 Nov and 6 Dec 2024"


def test_excerpt_is_highlighted_inside_its_paragraph():
    text = "Title\n\nFirst sentence. The key   sentence here. Last one.\n\nNext paragraph."
    assert excerpt_in_paragraph(text, "The key sentence here.") == ("First sentence. ", "The key   sentence here.", " Last one.")
