"""The harness, reports, compare and gate, driven by stub extractors.

The stubs read the golden beside the source and return it (perfect), or
change chosen cells, so every figure of the run is known in advance.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from eval.baseline import baseline_from_summary, check_gate
from eval.cli import eval_command, evaluate_dir
from eval.compare import compare_summaries
from eval.goldens import load_cases
from eval.harness import run_eval, summarize
from eval.outputs import write_reports
from eval.synthetic import generate_corpus


def _golden_for(path: Path) -> dict:
    return json.loads(Path(path).with_suffix(".json").read_text(encoding="utf-8"))


def perfect(path, config):
    g = _golden_for(path)
    return {**{k: g[k] for k in ("id", "source", "agency", "year", "template", "tables")}, "status": "verified"}


def make_damaging(bad_ids: set[str], key: str, status: str = "verified"):
    """A stub that gets one cell wrong (and adds a spurious one) in some documents."""

    def stub(path, config):
        r = perfect(path, config)
        if r["id"] in bad_ids:
            t, row, col = key.split(".")
            if t in r["tables"]:
                r["tables"][t][row][col] = 999999
                r["tables"][t][row]["bogus"] = 1
                r["status"] = status
        return r

    return stub


def crashing(path, config):
    raise NotImplementedError


def test_perfect_stub_scores_everything(tmp_path):
    generate_corpus(6, 3, tmp_path)
    runs = run_eval(load_cases(tmp_path), extract_fn=perfect)
    s = summarize(runs, {"backend": "stub"})
    t = s["totals"]
    assert t["documents"] == 6 and t["cell_accuracy"] == 1.0
    assert t["tables_exact"] == t["tables"] and t["spurious"] == 0 and t["silent_errors"] == 0
    assert t["template"]["rate"] == t["agency"]["rate"] == t["year"]["rate"] == 1.0
    assert t["status_counts"] == {"verified": 6}
    assert set(s["by_layout"]) and set(s["by_damage"])
    assert all(d["cells"] and set(d["cells"].values()) == {"ok"} for d in s["documents"])


def test_crashing_extractor_does_not_break_the_run(tmp_path):
    generate_corpus(3, 4, tmp_path)
    s = summarize(run_eval(load_cases(tmp_path), extract_fn=crashing))
    assert s["totals"]["crashed"] == 3 and s["totals"]["status_counts"] == {"error": 3}
    # every golden cell that is not null is now missing
    assert s["totals"]["correct"] < s["totals"]["golden_cells"]


def test_silent_errors_counted_per_document(tmp_path):
    generate_corpus(4, 5, tmp_path)
    cases = load_cases(tmp_path)
    two20 = [c.id for c in cases if c.golden["template"] != "legacy"]
    assert two20, "seed 5 must give a 2019/2021 report"
    bad = {two20[0]}
    s = summarize(run_eval(cases, extract_fn=make_damaging(bad, "applications.total_handled.total")))
    doc = next(d for d in s["documents"] if d["id"] == two20[0])
    assert doc["silent_errors"] == 2 and doc["wrong"] == 1 and doc["spurious"] == 1
    assert s["totals"]["silent_errors"] == 2 and s["totals"]["silent_error_documents"] == 1
    assert s["by_table"]["applications"]["tables_exact"] == s["by_table"]["applications"]["tables"] - 1
    s2 = summarize(run_eval(cases, extract_fn=make_damaging(bad, "applications.total_handled.total", "needs_review")))
    assert s2["totals"]["silent_errors"] == 0 and s2["totals"]["wrong"] == 1


def test_reports_written_and_self_contained(tmp_path):
    corpus = tmp_path / "c"
    generate_corpus(5, 6, corpus)
    cases = load_cases(corpus)
    bad = {cases[0].id}
    key = "legacy.indicators.complaints" if cases[0].golden["template"] == "legacy" else "applications.granted.total"
    runs = run_eval(cases, extract_fn=make_damaging(bad, key))
    s = summarize(runs, {"backend": "stub"})
    paths = write_reports(s, tmp_path / "out", {r.case.id: r.case.golden["tables"] for r in runs})
    html = paths["html"].read_text(encoding="utf-8")
    assert "<svg" in html and "Cell accuracy per table" in html and "Cell accuracy per layout" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "<script" not in html
    assert "999999" in html and 'class="num bad"' in html
    md = paths["markdown"].read_text(encoding="utf-8")
    assert "cell accuracy" in md and cases[0].id in md
    assert json.loads(paths["summary"].read_text())["documents"][0]["cells"]


def test_compare_reports_improved_and_regressed(tmp_path):
    generate_corpus(4, 7, tmp_path)
    cases = load_cases(tmp_path)
    ids = [c.id for c in cases if c.golden["template"] != "legacy"]
    key = "review_litigation.review.total"
    old = summarize(run_eval(cases, extract_fn=make_damaging({ids[0]}, key)))
    new = summarize(run_eval(cases, extract_fn=make_damaging({ids[1]}, key)))
    cmp = compare_summaries(old, new)
    improved = {(r["doc"], r["key"]) for r in cmp["improved"]}
    regressed = {(r["doc"], r["key"]) for r in cmp["regressed"]}
    assert improved == {(ids[0], key), (ids[0], "review_litigation.review.bogus")}
    assert regressed == {(ids[1], key), (ids[1], "review_litigation.review.bogus")}
    row = next(r for r in cmp["regressed"] if r["key"] == key)
    assert row["new_value"] == 999999 and row["old"] == "ok" and row["new"] == "wrong"
    assert cmp["totals"]["cell_accuracy"]["delta"] == 0
    same = compare_summaries(old, old)
    assert not same["improved"] and not same["regressed"] and not same["changed"]


def test_gate_fails_on_drop_and_on_new_silent_errors(tmp_path):
    generate_corpus(3, 8, tmp_path)
    cases = load_cases(tmp_path)
    base = baseline_from_summary(summarize(run_eval(cases, extract_fn=perfect)))
    assert check_gate(summarize(run_eval(cases, extract_fn=perfect)), base) == []
    tid = next(c for c in cases if c.golden["template"] != "legacy").id
    worse = summarize(run_eval(cases, extract_fn=make_damaging({tid}, "review_litigation.review.total")))
    failures = check_gate(worse, base)
    assert len(failures) == 2 and "accuracy dropped" in failures[0] and "silent errors rose" in failures[1]
    # a new golden not in the baseline does not fail the gate on its own
    generate_corpus(4, 8, tmp_path)
    more = summarize(run_eval(load_cases(tmp_path), extract_fn=perfect))
    assert check_gate(more, base) == []


def test_cli_compare_and_stub_run(tmp_path, monkeypatch):
    corpus = tmp_path / "c"
    generate_corpus(3, 9, corpus)
    from extractor.config import Config

    s1 = evaluate_dir(corpus, Config(backend="parser"), tmp_path / "a", extract_fn=perfect)
    s2 = evaluate_dir(corpus, Config(backend="parser"), tmp_path / "b", extract_fn=crashing)
    assert s1["totals"]["cell_accuracy"] == 1.0 and s2["totals"]["crashed"] == 3
    res = CliRunner().invoke(eval_command, ["--compare", str(tmp_path / "a" / "summary.json"), str(tmp_path / "b" / "summary.json"), "--out", str(tmp_path / "cmp")])
    assert res.exit_code == 0, res.output
    assert "regressed" in res.output
    cmp = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert cmp["regressed"] and not cmp["improved"]
