"""Fuzzed CSV input: the loader only ever raises DataError (with a message) or succeeds.

Each example replaces one file of an otherwise valid small dataset (conftest's
fixture) with random bytes, the right CSV in the wrong encoding, a BOM, missing or
extra columns, huge fields, or random CSV text, then calls load_dataset.  Anything
but DataError is a bug.  When the data does load, the app's model must build from it.
The budget is fixed and the examples derandomized, so CI runs the same cases every time.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_dataset
from dashboard import schema
from dashboard.data import DataError, load_dataset
from dashboard.model import build_timeline

TARGETS = {
    schema.SOURCES_FILE: schema.SOURCE_COLUMNS,
    schema.PLACES_FILE: schema.PLACE_COLUMNS,
    schema.EVENTS_FILE: schema.EVENT_COLUMNS,
}
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)

# Text that looks like CSV: commas, quotes, newlines, NUL, non-ASCII, BOMs, RTL marks.
csv_chars = st.sampled_from(list(',"\n\r\t ;|\\\x00\ufeff\u200fé中ب') + list("abcxyz019-_.:"))
cell = st.one_of(
    st.text(max_size=30),
    st.text(csv_chars, max_size=30),
    st.sampled_from(["", " ", '"', '""', "nan", "NaN", "inf", "-inf", "1e400", "None", "null", "2024-11-30",
                     "2024-02-30", "0", "-0", "90.0000001", "36.2", "exact", "unidentified", "city", "route",
                     "capture", "a|b", "alpha|alpha", "../../etc/passwd", "sources/../x", "fixture.txt"]),
)


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@st.composite
def mutated_valid(draw, original: str, columns: tuple[str, ...]) -> bytes:
    """The valid file, damaged in one of the ways people damage CSVs."""
    rows = list(csv.reader(io.StringIO(original)))
    kind = draw(st.sampled_from(
        ["drop_column", "extra_column", "shuffle_header", "huge_field", "random_cells", "extra_cells",
         "missing_cells", "truncate", "encoding", "bom", "blank_lines", "duplicate_rows", "header_only", "crlf"]
    ))
    if kind == "drop_column":
        i = draw(st.integers(0, len(columns) - 1))
        rows = [r[:i] + r[i + 1:] for r in rows]
    elif kind == "extra_column":
        rows = [r + [draw(cell)] for r in rows]
        rows[0][-1] = draw(st.sampled_from(["extra", "", columns[0]]))
    elif kind == "shuffle_header":
        rows[0] = draw(st.permutations(rows[0]))
    elif kind == "huge_field":
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.integers(0, len(rows[r]) - 1))
        rows[r][c] = draw(st.sampled_from(["a", "é", ",", '"', "\n"])) * draw(st.sampled_from([5_001, 70_000, 300_000]))
    elif kind == "random_cells":
        for _ in range(draw(st.integers(1, 6))):
            r = draw(st.integers(1, max(1, len(rows) - 1))) if len(rows) > 1 else 0
            c = draw(st.integers(0, len(rows[r]) - 1))
            rows[r][c] = draw(cell)
    elif kind == "extra_cells":
        r = draw(st.integers(0, len(rows) - 1))
        rows[r] = rows[r] + draw(st.lists(cell, min_size=1, max_size=4))
    elif kind == "missing_cells":
        r = draw(st.integers(0, len(rows) - 1))
        rows[r] = rows[r][: draw(st.integers(0, len(rows[r]) - 1))]
    elif kind == "duplicate_rows":
        rows = rows + rows[1:]
    elif kind == "header_only":
        rows = rows[:1]
    text = _csv_text(rows)
    if kind == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif kind == "blank_lines":
        text = text.replace("\n", "\n\n \n")
    elif kind == "crlf":
        text = text.replace("\n", "\r\n")
    if kind == "encoding":
        return text.encode(draw(st.sampled_from(["latin-1", "utf-16", "utf-16-le", "utf-32", "cp1256"])), errors="replace")
    if kind == "bom":
        return draw(st.sampled_from(["\ufeff", "\ufeff\ufeff", "\ufffe"])).encode("utf-8") + text.encode("utf-8")
    return text.encode("utf-8")


def contents(original: str, columns: tuple[str, ...]) -> st.SearchStrategy[bytes]:
    header = ",".join(columns) + "\n"
    return st.one_of(
        st.binary(max_size=2_000),
        st.binary(max_size=200).map(lambda b: header.encode() + b),
        st.text(max_size=500).map(lambda t: t.encode("utf-8")),
        st.lists(st.lists(cell, max_size=len(columns) + 2), max_size=6).map(lambda rows: _csv_text(rows).encode()),
        st.lists(st.lists(cell, min_size=len(columns), max_size=len(columns)), max_size=5).map(
            lambda rows: (header + _csv_text(rows)).encode()
        ),
        mutated_valid(original, columns),
    )


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory) -> Path:
    folder = write_dataset(tmp_path_factory.mktemp("fuzz") / "data")
    load_dataset(folder)  # the fixture itself is valid
    return folder


def check_loader(folder: Path) -> None:
    """load_dataset raises DataError with a message, or returns data the model can use."""
    try:
        dataset = load_dataset(folder)
    except DataError as exc:
        assert exc.problems, "DataError without problems"
        assert str(exc).strip(), "DataError without a message"
        return
    build_timeline(dataset)


@pytest.mark.parametrize("name", list(TARGETS))
def test_fuzzed_csv_only_raises_data_error(base_dir, tmp_path, name):
    original = (base_dir / name).read_text(encoding="utf-8")
    work = tmp_path / "data"
    shutil.copytree(base_dir, work)

    @FUZZ
    @given(data=contents(original, TARGETS[name]))
    def run(data: bytes) -> None:
        (work / name).write_bytes(data)
        check_loader(work)

    run()


def test_fuzzed_source_text_only_raises_data_error(base_dir, tmp_path):
    work = tmp_path / "data"
    shutil.copytree(base_dir, work)
    text_path = work / schema.SOURCE_TEXT_DIR / "fixture.txt"
    original = text_path.read_text(encoding="utf-8")

    @FUZZ
    @given(data=st.one_of(
        st.binary(max_size=2_000),
        st.text(max_size=300).map(lambda t: (original + t).encode("utf-8")),
        st.sampled_from(["latin-1", "utf-16", "cp1256"]).map(lambda enc: (original + "é").encode(enc)),
        st.integers(0, len(original)).map(lambda n: original[:n].encode("utf-8")),
    ))
    def run(data: bytes) -> None:
        text_path.write_bytes(data)
        check_loader(work)

    run()


def test_missing_and_unreadable_files_only_raise_data_error(base_dir, tmp_path):
    for name in TARGETS:
        work = tmp_path / name
        shutil.copytree(base_dir, work)
        (work / name).unlink()
        check_loader(work)
        (work / name).mkdir()  # a folder where the file should be
        check_loader(work)
