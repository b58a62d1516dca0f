"""``nianbao eval --backend llm`` against the scripted endpoint with injected errors: no silent error.

Every request has a one-in-two chance of an injected fault (wrong numbers, a
broken balance, malformed JSON, a missing field, 429, 500). Each one must be
recovered (the cell ends up right) or flagged (the cell or its document is not
claimed verified).
"""

from __future__ import annotations

import json
import shutil

import pytest
from rich.console import Console

from eval.cli import evaluate_dir
from eval.synthetic import generate_corpus
from extractor.pipeline import extract_path
from extractor.repair import DOUBT_FLAGS
from extractor.template import flatten
from tests.fake_openai import GOLDENS, FakeOpenAI, random_injector, test_config

FAULTS = ["wrong", "balance", "malformed", "missing", "429", "500"]


def _quiet() -> Console:
    return Console(file=open("/dev/null", "w"))  # noqa: SIM115 - closed with the process


@pytest.mark.parametrize("seed", [1, 2])
def test_eval_on_the_goldens_with_injected_faults_has_no_silent_error(fake_llm, seed, tmp_path):
    fake_llm.inject = random_injector(FAULTS, 0.5, seed, retry_after=0.05)
    for p in GOLDENS.glob("*.*"):  # the five seeds (goldens/real/ holds crawled text the fake cannot ground)
        shutil.copy(p, tmp_path / p.name)
    summary = evaluate_dir(tmp_path, test_config(fake_llm, backend="llm"), None, jobs=3, console=_quiet())
    totals = summary["totals"]
    injected = [r["injected"] for r in fake_llm.calls() if r.get("injected")]
    assert len(injected) >= 5
    assert totals["silent_errors"] == 0 and totals["silent_error_documents"] == 0
    assert totals["cell_accuracy"] == 1.0  # on the seeds every fault is recovered


def test_every_injected_fault_in_a_synthetic_corpus_is_recovered_or_flagged(fake_llm, tmp_path):
    generate_corpus(10, 7, tmp_path, formats=["txt", "md"])
    fake = FakeOpenAI(goldens=tmp_path).start()
    fake.inject = random_injector(FAULTS, 0.5, 3, retry_after=0.05)
    try:
        unflagged = []
        for src in sorted(p for p in tmp_path.iterdir() if p.suffix in (".txt", ".md")):
            gold = flatten(json.loads(src.with_suffix(".json").read_text(encoding="utf-8"))["tables"])
            r = extract_path(src, test_config(fake, backend="llm"))
            got = flatten(r.tables)
            for key in set(gold) | set(got):
                if gold.get(key) == got.get(key):
                    continue
                cell = r.cells.get(key)
                flagged = cell is None or set(cell.flags) & DOUBT_FLAGS or r.status.value != "verified"
                if not flagged:
                    unflagged.append((src.stem, key, gold.get(key), got.get(key)))
        assert sum(1 for q in fake.requests if q.get("injected")) >= 10
        assert unflagged == []
    finally:
        fake.stop()
