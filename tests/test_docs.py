"""The codebook and README keep up with the code."""

from __future__ import annotations

from pathlib import Path

from dashboard import schema

ROOT = Path(__file__).resolve().parents[1]


def test_codebook_documents_every_column_and_vocabulary_code():
    text = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    columns = set(schema.SOURCE_COLUMNS) | set(schema.PLACE_COLUMNS) | set(schema.EVENT_COLUMNS)
    vocabularies = (schema.DATE_BASIS, schema.CLAIM_STATUS, schema.EVENT_TYPES, schema.CONTROLLERS,
                    schema.ACTORS, schema.PLACE_KINDS, schema.GEO_PRECISION, schema.PUBLISHED_BASIS)
    codes = {code for vocab in vocabularies for code in vocab}
    missing = sorted(name for name in columns | codes if f"`{name}`" not in text)
    assert missing == []


def test_readme_starts_with_the_two_commands():
    lines = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if line.strip()]
    fence = lines.index("```bash")
    run, test = lines[fence + 1], lines[fence + 2]
    assert run.endswith("python -m dashboard") and "pip install ." in run
    assert test.endswith("python -m pytest") and "'.[test]'" in test
