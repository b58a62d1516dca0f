"""The scan corpus scored per damage switch, with seconds per page (issue 11).

    python eval/bench_scan.py --synthetic 4 --seed 1000            # generator reports as scans
    python eval/bench_scan.py --seeds goldens --out /tmp/seed-scans  # the five seeds as scans
    python eval/bench_scan.py --seeds goldens --out DIR --render-only  # then: nianbao eval DIR

Writes the corpus (image-only PDFs and goldens) to ``--out`` (a temp dir
by default), runs the parser over it and prints, per switch, documents,
pages, cell accuracy, silent-error cells and the median seconds per page.
OCR is slow: a few documents while developing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eval.goldens import load_cases, parse_labels  # noqa: E402
from eval.harness import DocRun, run_eval  # noqa: E402
from eval.synth_scan import NAMES, scan_goldens  # noqa: E402
from eval.synthetic import generate_corpus  # noqa: E402


def _pages(run: DocRun) -> int:
    return int((parse_labels(run.case.golden.get("notes") or "").get("scan") or {}).get("pages") or 1)


def table(runs: list[DocRun]) -> list[str]:
    """One line per switch (and clean, and all): docs, pages, cells, accuracy, silent cells, s/page."""
    scored = [r for r in runs if r.score is not None]
    rows = [("ALL", scored), ("clean", [r for r in scored if not set(r.case.damage) & set(NAMES)])]
    rows += [(name, [r for r in scored if name in r.case.damage]) for name in NAMES]
    out = [f"{'switch':24} {'docs':>4} {'pages':>5} {'cells':>6} {'accuracy':>9} {'silent':>6} {'s/page':>7}"]
    for name, of in rows:
        if not of:
            out.append(f"{name:24} {0:4d}")
            continue
        cells = sum(r.score.golden_cells for r in of)
        correct = sum(r.score.correct for r in of)
        per_page = statistics.median(r.seconds / _pages(r) for r in of)
        out.append(f"{name:24} {len(of):4d} {sum(map(_pages, of)):5d} {cells:6d} {correct / max(cells, 1):9.2%} "
                   f"{sum(r.score.silent_errors for r in of):6d} {per_page:7.2f}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", type=int, default=0, metavar="N", help="generator reports rendered as scans")
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--seeds", type=Path, default=None, metavar="GOLDENS", help="also the text reports of this goldens folder")
    ap.add_argument("--scan-damage", default=None, help="'all' (default: each switch at its p), 'none', or names")
    ap.add_argument("--variations", default=None, help="synthetic variations, as for nianbao eval")
    ap.add_argument("--out", type=Path, default=None, help="keep the corpus here")
    ap.add_argument("--render-only", action="store_true", help="write the corpus and stop")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="nianbao-scan-") as tmp:
        out = args.out or Path(tmp)
        if args.synthetic:
            generate_corpus(args.synthetic, args.seed, out, formats=["scan"], variations=args.variations, scan=args.scan_damage)
        if args.seeds:
            scan_goldens(args.seeds, out, args.scan_damage, args.seed)
        print(f"corpus: {out}", flush=True)
        if args.render_only:
            return
        from extractor.config import Config

        runs = run_eval(load_cases(out), config=Config(backend="parser"),
                        progress=lambda r: print(f"  {r.case.id}: {r.seconds:.1f}s, {(r.score.accuracy or 0) if r.score else 0:.1%}", flush=True))
        print("\n".join(table(runs)))
        if args.out:
            (out / "bench.json").write_text(json.dumps({r.case.id: {"seconds": r.seconds, "pages": _pages(r), "damage": r.case.damage,
                                                          "accuracy": r.score.accuracy if r.score else None} for r in runs}, indent=1))


if __name__ == "__main__":
    main()
