"""The scan corpus scored per damage switch, with seconds per page (issue 11).

    python eval/bench_scan.py --synthetic 4 --seed 1000            # generator reports as scans
    python eval/bench_scan.py --seeds goldens --out /tmp/seed-scans  # the five seeds as scans
    python eval/bench_scan.py --seeds goldens --out DIR --render-only  # then: nianbao eval DIR
    python eval/bench_scan.py --synthetic 6 --speed                # seconds per page, vs rapidocr's defaults

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
import time
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


DENSE = 150  # text boxes: a page this full is a table page


def speed(corpus: Path, reference: bool = True) -> list[str]:
    """Seconds per page of the OCR step as nianbao runs it, and (interleaved, same pages) with
    nianbao's settings on onnxruntime and with rapidocr's default settings (the reference), so
    the ratios survive a machine whose speed changes from run to run."""
    import pypdfium2 as pdfium
    from rapidocr import RapidOCR

    from extractor.ingest import ocr
    from extractor.ingest.pdf import _render

    ours = ocr.engine()
    engines = {"nianbao": ours}
    if reference:
        if ocr._resolve_backend(ocr._BACKEND) != "onnxruntime":
            engines["nianbao on onnxruntime"] = RapidOCR(params=ocr._engine_params("onnxruntime", ocr._THREADS))
        engines["rapidocr defaults"] = RapidOCR(params={"Global.log_level": "error"})
    print(f"nianbao reads with {ocr.backend_name()}", flush=True)
    rows = []  # (boxes, {engine: seconds})
    for pdf in sorted(corpus.glob("*.pdf")):
        doc = pdfium.PdfDocument(pdf.read_bytes())
        for i in range(len(doc)):
            img = _render(doc[i])
            times, boxes = {}, 0
            for name, eng in engines.items():
                ocr._ENGINE = eng
                t = time.perf_counter()
                page = ocr.ocr_image(img)
                times[name] = time.perf_counter() - t
                boxes = boxes or len(page.scores)
            ocr._ENGINE = ours
            rows.append((boxes, times))
            print(f"  {pdf.stem} p{i + 1}: {boxes} boxes, " + ", ".join(f"{k} {v:.2f}s" for k, v in times.items()), flush=True)
        doc.close()
    out = []
    for name, of in (("dense table pages", [r for r in rows if r[0] >= DENSE]), ("other pages", [r for r in rows if r[0] < DENSE]), ("all pages", rows)):
        if not of:
            continue
        med = statistics.median(r[1]["nianbao"] for r in of)
        line = f"{name:18} {len(of):4d} pages  median {med:5.2f} s/page  {len(of) / sum(r[1]['nianbao'] for r in of):5.2f} pages/s"
        for ref in list(engines)[1:]:
            line += (f"; {ref}: median {statistics.median(r[1][ref] for r in of):5.2f} s/page, "
                     f"ratio {statistics.median(r[1][ref] / r[1]['nianbao'] for r in of):4.2f}x")
        out.append(line)
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
    ap.add_argument("--speed", action="store_true", help="time OCR per page (and rapidocr's defaults, interleaved) instead of scoring")
    ap.add_argument("--no-reference", action="store_true", help="with --speed: skip the reference engine")
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
        if args.speed:
            print("\n".join(speed(out, reference=not args.no_reference)))
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
