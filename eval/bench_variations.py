"""Accuracy per synthetic variation: one forced corpus per variation, then all combined.

    python eval/bench_variations.py --n 60 --seed 1000          # development seeds
    python eval/bench_variations.py --n 40 --seed 900000        # held out: measure before resolving only

Prints one line per variation (cell accuracy, silent-error cells, agency
accuracy) and the mix (``--mix`` documents, every variation at its
probability). Seeds 1000–1999 are for development; seeds from 900000 up are
held out.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eval.goldens import load_cases  # noqa: E402
from eval.harness import run_eval, summarize  # noqa: E402
from eval.synth_variations import VARIATIONS  # noqa: E402
from eval.synthetic import generate_corpus  # noqa: E402
from extractor.config import Config  # noqa: E402


def measure(n: int, seed: int, variations) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        generate_corpus(n, seed, Path(tmp), variations=variations)
        return summarize(run_eval(load_cases(Path(tmp)), config=Config(backend="parser")))["totals"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--mix", type=int, default=300)
    ap.add_argument("--only", default="", help="comma list of variations (default: all of them)")
    args = ap.parse_args()
    names = [v for v in args.only.split(",") if v] or [v.name for v in VARIATIONS]
    print(f"{'variation':26} {'cells':>8} {'silent':>7} {'agency':>7}")
    for name in names + ["ALL"]:
        t = measure(args.mix, args.seed, "all") if name == "ALL" else measure(args.n, args.seed, [name])
        print(f"{name:26} {t['cell_accuracy']:8.2%} {t['silent_errors']:7d} {t['agency']['rate']:7.1%}", flush=True)


if __name__ == "__main__":
    main()
