"""The synthetic corpus: deterministic, valid goldens, every layout and damage."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from extractor.models import Golden
from extractor.template import (
    APPLICANT_COLUMNS,
    DENIED_ROWS,
    NOT_PROCESSED_ROWS,
    OTHER_2021_ROWS,
    UNABLE_ROWS,
    all_valid_keys,
    expected_keys,
    flatten,
)
from eval.goldens import load_cases, parse_labels
from eval.synthetic import FORMAT_LAYOUTS, FORMATS, generate_corpus, generate_document

N = 160
ALL_DAMAGE = {
    "traditional", "ocr_digits", "fullwidth_digits", "units", "dropped_cell", "dash_cells", "split_number",
    "merged_cells", "wrapped_labels", "vertical_label", "page_numbers", "repeated_header", "inconsistent",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    generate_corpus(N, 11, out)
    return out


def _goldens(folder: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def test_deterministic_for_a_seed(tmp_path, corpus):
    again = generate_corpus(25, 11, tmp_path / "again")
    for p in again:
        assert p.read_bytes() == (corpus / p.name).read_bytes()
        assert p.with_suffix(".json").read_bytes() == (corpus / p.with_suffix(".json").name).read_bytes()
    other = generate_document(12, 0)
    assert other[2] != (corpus / again[0].name).read_text(encoding="utf-8")


def test_every_golden_is_valid_golden_format(corpus):
    goldens = _goldens(corpus)
    assert len(goldens) == N
    for g in goldens:
        assert set(g) == {"id", "source", "agency", "year", "template", "tables", "notes"}
        Golden.model_validate(g)
        assert (corpus / g["source"]).is_file() and g["source"].startswith(g["id"] + ".")
        keys = set(flatten(g["tables"]))
        assert keys <= all_valid_keys(g["template"])
        forms = ("single", "split") if g["template"] != "legacy" else (None,)
        assert any(keys == set(expected_keys(g["template"], other_form=f)) for f in forms), g["id"]
        for v in flatten(g["tables"]).values():
            assert v is None or isinstance(v, (int, float)) and not isinstance(v, bool)
        if g["template"] == "legacy":
            assert 2008 <= g["year"] <= 2018
        elif g["template"] == "2021":
            assert g["year"] >= 2021


def test_covers_templates_layouts_and_damage(corpus):
    cases = load_cases(corpus)
    assert not [c.error for c in cases if c.error]
    templates = Counter(c.golden["template"] for c in cases)
    assert set(templates) == {"2019", "2021", "legacy"}
    layouts = {c.layout for c in cases}
    assert layouts == {layout for f in FORMATS for layout in FORMAT_LAYOUTS[f]}
    assert {"flat", "grid"} <= {v.split("/")[-1] for c in cases for v in c.table_layouts.values()}
    damage = Counter(d for c in cases for d in c.damage)
    assert set(damage) == ALL_DAMAGE, ALL_DAMAGE - set(damage)
    assert any(not c.damage for c in cases)  # clean documents too
    features = Counter(f for g in _goldens(corpus) for f in parse_labels(g["notes"])["features"])
    assert features["appendix"] and features["mixed_2019_table3"]


def _checks_hold(tables: dict) -> bool:
    apps = tables["applications"]
    other = ["other_handling"] if "other_handling" in apps else list(OTHER_2021_ROWS)
    parts = ["granted", "partially_granted", *DENIED_ROWS, *UNABLE_ROWS, *NOT_PROCESSED_ROWS, *other]
    for c in APPLICANT_COLUMNS:
        if apps["new_received"][c] + apps["carried_over"][c] != apps["total_handled"][c] + apps["carried_forward"][c]:
            return False
        if apps["total_handled"][c] != sum(apps[r][c] for r in parts):
            return False
    for row in apps.values():
        if row["total"] != sum(row[c] for c in APPLICANT_COLUMNS if c != "total"):
            return False
    for row in tables["review_litigation"].values():
        if row["total"] != sum(row[c] for c in ("upheld", "corrected", "other", "pending")):
            return False
    return True


def test_truth_is_consistent_unless_damage_says_otherwise(corpus):
    """Clean 2019/2021 goldens pass every 勾稽 check; injected ones break one."""
    seen = Counter()
    for g in _goldens(corpus):
        labels = parse_labels(g["notes"])
        if g["template"] == "legacy" or {"dropped_cell", "dash_cells"} & set(labels["damage"]):
            continue
        broken = "inconsistent" in labels["damage"]
        assert _checks_hold(g["tables"]) != broken, g["id"]
        seen[broken] += 1
    assert seen[True] and seen[False]


def test_damage_is_visible_in_the_source(corpus):
    for c in load_cases(corpus):
        text = c.source_path.read_text(encoding="utf-8")
        if "traditional" in c.damage:
            assert "報告" in text and c.golden["agency"] and "報" not in c.golden["agency"]
        if "fullwidth_digits" in c.damage:
            assert any("０" <= ch <= "９" for ch in text)
        if "page_numbers" in c.damage:
            assert any(line.strip().strip("-—－ ").isdigit() and line.strip()[0] in "-—" for line in text.splitlines())
        if c.layout == "html":
            assert "<table" in text and ("rowspan" in text or c.golden["template"] == "legacy")
        if "vertical_label" in c.damage and c.layout in ("spaced", "cell_per_line"):
            singles = [ln for ln in text.splitlines() if len(ln.strip()) == 1 and not ln.strip().isdigit()]
            assert len(singles) >= 5, c.id


def test_bad_format_is_refused(tmp_path):
    with pytest.raises(ValueError):
        generate_corpus(1, 0, tmp_path, formats=["doc"])
    paths = generate_corpus(4, 0, tmp_path, formats=["html"])
    assert all(p.suffix == ".html" for p in paths)


def test_docx_and_pdf_are_deterministic_and_readable(tmp_path):
    pytest.importorskip("reportlab")
    import docx
    import pdfplumber

    a = generate_corpus(6, 3, tmp_path / "a", formats=["docx", "pdf"])
    b = generate_corpus(6, 3, tmp_path / "b", formats=["docx", "pdf"])
    assert {p.suffix for p in a} == {".docx", ".pdf"}
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
        Golden.model_validate_json(pa.with_suffix(".json").read_text(encoding="utf-8"))
    pdf = next(p for p in a if p.suffix == ".pdf")
    with pdfplumber.open(pdf) as doc:
        text = "\n".join(page.extract_text() or "" for page in doc.pages)
    assert "政府信息公开" in text or "政府信息公開" in text
    word = next(p for p in a if p.suffix == ".docx")
    d = docx.Document(str(word))
    assert d.tables and any(cell.text for cell in d.tables[0].rows[-1].cells)
