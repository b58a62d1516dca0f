"""The scan corpus: image-only PDFs of the generator's reports with named damage switches (no OCR here)."""

from __future__ import annotations

import json
import random
import shutil

import numpy as np
import pypdfium2 as pdfium
import pytest

from eval import synth_scan as ss
from eval.goldens import load_case, load_cases
from eval.synthetic import generate_corpus, generate_document

pytest.importorskip("reportlab")

ROWS = "\n".join(f"（{i}）某项指标{i}\t{i}\t{i * 3}\t{i * 7}" for i in range(1, 46))
TEXT = f"某县人民政府2020年政府信息公开工作年度报告\n一、总体情况\n本年度共主动公开政府信息120条。\n指标\t本年\t累计\t合计\n{ROWS}\n二、其他\n无。\n"


def pages(pdf: bytes, scale: float = 0.25) -> list[np.ndarray]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [np.asarray(doc[i].render(scale=scale, grayscale=True).to_pil().convert("L")) for i in range(len(doc))]
    finally:
        doc.close()


def scan(switches: set[str]):
    key = "test/scan"
    return ss.render_scan(ss.text_blocks(TEXT), random.Random(key), switches, key)


@pytest.fixture(scope="module")
def clean():
    pdf, _, applied, info = scan(set())
    return pdf, applied, info


def test_clean_scan_is_image_only(clean):
    pdf, applied, info = clean
    assert applied == set() and info["pages"] >= 2 and info["dpi"] in ss.DPI
    doc = pdfium.PdfDocument(pdf)
    try:
        for i in range(len(doc)):
            page = doc[i]
            assert page.get_textpage().count_chars() == 0
            objs = list(page.get_objects())
            assert [o.type for o in objs] == [pdfium.raw.FPDF_PAGEOBJ_IMAGE]
    finally:
        doc.close()
    import pdfplumber, io  # noqa: E401

    with pdfplumber.open(io.BytesIO(pdf)) as p:
        assert all(not pg.chars and len(pg.images) == 1 for pg in p.pages)


@pytest.mark.parametrize("name", ss.NAMES)
def test_each_switch_changes_the_image(name, clean):
    pdf, _, applied, info = scan({name})
    assert applied == {name}, info
    before, after = pages(clean[0]), pages(pdf)
    assert len(before) != len(after) or any(a.shape != b.shape or np.abs(a.astype(int) - b).mean() > 0.05 for a, b in zip(before, after))
    if name in ("rotate90", "rotate270"):
        assert after[info["turned_pages"][0] - 1].shape[::-1] == before[info["turned_pages"][0] - 1].shape
    if name == "skew":
        assert all(0.5 <= abs(a) <= 5 for a in info["skew"])


def test_switches_are_independent():
    """Turning one switch on never changes what another does."""
    one = scan({"skew"})[3]["skew"]
    both = scan({"skew", "noise", "seal"})[3]["skew"]
    assert one == both


def test_spec():
    assert ss.parse_spec(None)[0] == "all" and ss.parse_spec("none") == ("off", frozenset())
    assert ss.parse_spec("blur,seal") == ("only", frozenset({"blur", "seal"}))
    with pytest.raises(ValueError, match="unknown"):
        ss.parse_spec("smudge")
    with pytest.raises(ValueError, match="group"):
        ss.parse_spec("rotate90,rotate180")
    drawn = [ss.draw(f"x/{i}") for i in range(200)]
    assert set().union(*drawn) == set(ss.NAMES)
    assert all(len(d & {"rotate90", "rotate180", "rotate270"}) <= 1 for d in drawn)


def test_scan_document_deterministic_and_true_to_the_generator():
    a = generate_document(1000, 2, ["scan"], scan="blur,seal,split_table")
    b = generate_document(1000, 2, ["scan"], scan="blur,seal,split_table")
    assert a[2] == b[2] and a[3] == b[3] and a[1] == "pdf" and a[2][:5] == b"%PDF-"
    printed = generate_document(1000, 2, ["pdf"])[3]
    golden = a[3]
    assert golden["tables"] == printed["tables"]
    assert (golden["agency"], golden["year"], golden["template"]) == (printed["agency"], printed["year"], printed["template"])
    notes, printed_notes = json.loads(golden["notes"]), json.loads(printed["notes"])
    assert notes["format"] == notes["layout"] == "scan" and {"blur", "seal"} <= set(notes["damage"])
    assert set(printed_notes["damage"]) - {"page_numbers", "repeated_header"} <= set(notes["damage"])
    assert notes["scan"]["pages"] >= 2


def test_corpus_with_variations_and_scan_labels(tmp_path):
    paths = generate_corpus(2, 1001, tmp_path, formats=["scan"], variations="table_captions", scan="none")
    cases = load_cases(tmp_path)
    assert [p.suffix for p in paths] == [".pdf", ".pdf"]
    assert all(c.layout == "scan" and c.format == "pdf" and c.variations == ["table_captions"] for c in cases)


def test_seed_as_scan(tmp_path):
    goldens = tmp_path / "goldens"
    goldens.mkdir()
    src = next(p for p in sorted(ss.Path("goldens").glob("*.txt")) if "|" in p.read_text(encoding="utf-8"))
    shutil.copy(src, goldens)
    shutil.copy(src.with_suffix(".json"), goldens)
    [pdf] = ss.scan_goldens(goldens, tmp_path / "out", spec="rules_none,split_table")
    case = load_case(pdf.with_suffix(".json"))
    original = json.loads(src.with_suffix(".json").read_text(encoding="utf-8"))
    assert case.error is None and case.source_path == pdf and case.layout == "scan"
    copied = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
    assert {k: v for k, v in copied.items() if k not in ("source", "notes")} == {k: v for k, v in original.items() if k not in ("source", "notes")}
    assert set(case.damage) == {"rules_none", "split_table"}
    blocks = ss.text_blocks(src.read_text(encoding="utf-8"))
    assert sum(b.kind == "table" for b in blocks) >= 3


def test_cli_passes_scan_damage(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from eval import cli

    seen = {}
    monkeypatch.setattr(cli, "evaluate_dir", lambda corpus, *a, **k: seen.update(files=sorted(p.name for p in corpus.iterdir())))
    args = ["--synthetic", "1", "--formats", "scan", "--scan-damage", "rules_none", "--keep-corpus", str(tmp_path)]
    assert CliRunner().invoke(cli.eval_command, args).exit_code == 0
    assert [f.rsplit(".", 1)[1] for f in seen["files"]] == ["json", "pdf"]
    assert "rules_none" in load_cases(tmp_path)[0].damage
    bad = CliRunner().invoke(cli.eval_command, args[:-2] + ["--scan-damage", "smudge"])
    assert bad.exit_code != 0 and "unknown scan damage" in bad.output
