"""Regression gate: the parser on goldens/ must not fall below eval/baseline.json.

Cell accuracy may not drop and silent errors may not rise on the goldens the
baseline records. After an improvement (or new goldens), record it with
``nianbao eval goldens --write-baseline``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.baseline import BASELINE_PATH, check_gate, read_baseline
from eval.goldens import load_cases
from eval.harness import run_eval, summarize
from extractor.config import Config

GOLDENS = Path(__file__).resolve().parent.parent / "goldens"


def test_parser_does_not_regress_on_goldens():
    cases = load_cases(GOLDENS) if GOLDENS.is_dir() else []
    if not cases:
        pytest.skip(f"no goldens in {GOLDENS}")
    baseline = read_baseline()
    assert baseline is not None, f"no {BASELINE_PATH}: run `nianbao eval goldens --write-baseline`"
    bad = [c.id for c in cases if c.error]
    assert not bad, f"goldens that cannot be used: {[(c.id, c.error) for c in cases if c.error]}"
    summary = summarize(run_eval(cases, config=Config(backend="parser")), {"backend": "parser"})
    failures = check_gate(summary, baseline)
    assert not failures, "\n".join(failures)
