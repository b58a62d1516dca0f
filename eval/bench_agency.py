"""Issue 12's benchmark: agencies across years, scored by agency_id and by year-over-year pairs.

    python eval/bench_agency.py --agencies 60 --seed 1          # development
    python eval/bench_agency.py --agencies 200 --seed 900000    # held out

Generates the archive (``eval/synth_agency.py``: one report per agency and year,
2015–2024, varied spellings, renamed divisions, OCR-damaged names, some duplicates),
runs ``nianbao batch`` over it and prints: reports with the right ``agency_id`` (all,
and per variation), links by method with how many are wrong, whether every fuzzy
link is marked, the year-over-year pairs found against the consecutive pairs the
archive holds, and the duplicates recognised.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eval.synth_agency import NAMES, generate_archive  # noqa: E402
from extractor.batch import BatchOptions, run_batch  # noqa: E402
from extractor.batch.outputs import open_db  # noqa: E402
from extractor.config import Config  # noqa: E402


def score(corpus: Path, out: Path) -> dict:
    truth = {}
    for g in sorted(corpus.glob("*.json")):
        golden = json.loads(g.read_text(encoding="utf-8"))
        notes = json.loads(golden["notes"])
        truth[golden["source"]] = (notes["agency_id"], golden["year"], set(notes["agency_variations"]))
    con = open_db(out / "nianbao.duckdb", read_only=True)
    rows = con.execute("SELECT r.source, r.id, r.agency, r.agency_id, r.agency_method, r.year, r.template, "
                       "l.agency_id, l.method FROM reports r JOIN agency_links l ON l.report_id = r.id").fetchall()
    by_var: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    by_method: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])  # [links, wrong]
    right = linked_right = 0
    linked: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    wrong_examples = []
    for source, rid, printed, aid, method, year, template, link_id, link_method in rows:
        want, _, shown = truth[Path(source).name]
        ok = aid == want
        right += ok
        linked_right += link_id == want
        if method == "unmatched":
            linked[link_method][0] += 1
            linked[link_method][1] += (link_id is not None and link_id != want)
        by_method[method][0] += 1
        by_method[method][1] += (aid is not None and not ok)
        for v in shown or {"plain"}:
            by_var[v][0] += 1
            by_var[v][1] += ok
        if not ok and len(wrong_examples) < 12:
            wrong_examples.append(f"{printed} → {aid} ({method}); truth {want}")
    # consecutive pairs the archive holds (2019 on: the years whose tables carry the check's cells)
    years_of = collections.defaultdict(set)
    for aid, year, _ in truth.values():
        years_of[aid].add(year)
    expected = {(aid, y) for aid, ys in years_of.items() for y in ys if y >= 2020 and y - 1 in ys}
    found = {(k, y) for k, y in con.execute("SELECT agency_key, year FROM year_over_year").fetchall()}
    dups_expected = sum(1 for _, _, shown in truth.values() if "duplicate" in shown) // 2
    dups_found = con.execute("SELECT count(*) FROM duplicates").fetchone()[0]
    fuzzy_unmarked = con.execute("SELECT count(*) FROM reports r WHERE agency_method = 'fuzzy' AND agency_score >= 1").fetchone()[0]
    con.close()
    return {
        "reports": len(rows), "right": right, "right_after_batch": linked_right, "unmatched_settled": dict(linked), "by_variation": dict(by_var), "by_method": dict(by_method),
        "yoy_expected": len(expected), "yoy_found": len(found & expected), "yoy_spurious": len(found - expected),
        "duplicates_expected": dups_expected, "duplicates_found": dups_found, "fuzzy_scored_1": fuzzy_unmarked,
        "wrong_examples": wrong_examples,
    }


def report(s: dict) -> list[str]:
    n = max(s["reports"], 1)
    out = [f"reports {s['reports']}: right agency_id {s['right']} ({s['right'] / n:.2%}); "
           f"after the batch settles unmatched ones by their candidates {s['right_after_batch']} ({s['right_after_batch'] / n:.2%})"]
    for v in ("plain", *NAMES):
        if v in s["by_variation"]:
            n, ok = s["by_variation"][v]
            out.append(f"  {v:12} {n:5d} reports  {ok / max(n, 1):7.2%} right")
    out.append("links by method (reports, wrong):")
    for m, (n, bad) in sorted(s["by_method"].items()):
        out.append(f"  {m:12} {n:5d}  wrong {bad}")
    for m, (k, bad) in sorted(s["unmatched_settled"].items()):
        out.append(f"  unmatched → {m}: {k}, wrong {bad}")
    out.append(f"year_over_year pairs: {s['yoy_found']}/{s['yoy_expected']} consecutive pairs found, {s['yoy_spurious']} spurious")
    out.append(f"duplicates: {s['duplicates_found']} recognised of {s['duplicates_expected']} in the archive")
    out.append(f"fuzzy links scored as certain: {s['fuzzy_scored_1']}")
    if s["wrong_examples"]:
        out.append("wrong, for example:")
        out += [f"  {x}" for x in s["wrong_examples"]]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agencies", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", type=Path, default=None, help="keep the archive and the batch output here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="nianbao-agency-") as tmp:
        base = args.keep or Path(tmp)
        corpus, out = base / "archive", base / "out"
        for d in (corpus, out):  # the bench's own folders: a new archive each run
            shutil.rmtree(d, ignore_errors=True)
        sources = generate_archive(args.agencies, args.seed, corpus)
        print(f"archive: {len(sources)} reports of {args.agencies} agencies in {corpus}", flush=True)
        run_batch([str(p) for p in sources], BatchOptions(out=out, workers=args.workers, progress=False), Config(backend="parser"))
        s = score(corpus, out)
        print("\n".join(report(s)))
        (base / "bench-agency.json").write_text(json.dumps(s, ensure_ascii=False, indent=1, default=list), encoding="utf-8")


if __name__ == "__main__":
    main()
