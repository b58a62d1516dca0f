"""Real published reports the parser was not built on.

``goldens/real/`` holds reports labelled twice by hand (the eval gate keeps
their accuracy); ``eval/robustness/`` holds more, checked by hand for
template, agency and year only. Every one must come out with those right,
and only a document that is no annual report may be ``not_a_report``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor import extract_path
from extractor.models import Status

REPO = Path(__file__).resolve().parents[1]
ROBUSTNESS = REPO / "eval" / "robustness"
MANIFEST = json.loads((ROBUSTNESS / "manifest.json").read_text(encoding="utf-8"))
REAL = sorted((REPO / "goldens" / "real").glob("*.json"))


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_robustness_set(entry):
    result = extract_path(ROBUSTNESS / entry["file"])
    if entry["kind"] == "not_a_report":
        assert result.status == Status.not_a_report
        return
    assert result.status != Status.not_a_report
    assert (result.template, result.agency, result.year) == (entry["template"], entry["agency"], entry["year"])


@pytest.mark.parametrize("path", REAL, ids=[p.stem for p in REAL])
def test_real_golden_title_and_layout(path):
    golden = json.loads(path.read_text(encoding="utf-8"))
    result = extract_path(path.parent / golden["source"])
    assert (result.template, result.agency, result.year) == (golden["template"], golden["agency"], golden["year"])
    assert result.status != Status.verified or result.tables == golden["tables"]
