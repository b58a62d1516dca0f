"""Issue 13's benchmark: the batch on Dask against the local batch, same documents, same run.

    python eval/bench_cluster.py --n 2000 --workers 2 [--pairs 2] [--scheduler tcp://host:8786]

Runs the local batch and ``--engine dask`` (a local cluster of N single-thread worker
processes, or the given scheduler) over the same generated text/HTML corpus,
interleaved pair by pair so a machine whose speed drifts affects both; prints each
run's documents/s end to end (the engine's merge into DuckDB included), the ratio
per pair, the peak memory per worker, and checks that both databases hold the same
reports, statuses and cells.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from eval.bench_batch import corpus  # noqa: E402
from extractor.batch import BatchOptions, run_batch  # noqa: E402
from extractor.batch.cluster import run_engine  # noqa: E402
from extractor.config import Config  # noqa: E402


def snapshot(db: Path):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return (sorted(con.execute("SELECT id, status FROM reports").fetchall()),
                con.execute("SELECT count(*), sum(hash(report_id || key || coalesce(value::VARCHAR, '∅'))) FROM cells").fetchone())
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pairs", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=64)
    ap.add_argument("--scheduler", default=None)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "nianbao-bench")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    src = corpus(args.n, args.seed, "txt,html", args.work)
    cfg = Config(backend="parser")
    ratios, rows = [], []
    for k in range(args.pairs):
        outs = {}
        for engine in ("local", "dask"):
            out = args.work / f"out-{engine}"
            shutil.rmtree(out, ignore_errors=True)
            t0 = time.monotonic()
            if engine == "local":
                s = run_batch([str(src)], BatchOptions(out=out, workers=args.workers, progress=False), cfg)
                n, rss = s["documents"]["processed"], s["peak_rss_mb"]["worker_max"]
            else:
                s = run_engine([str(src)], BatchOptions(out=out, workers=args.workers), cfg, scheduler=args.scheduler,
                               chunk_docs=args.chunk)
                n, rss = s["documents"]["processed"], s["peak_rss_mb"]["worker_max"]
            dt = time.monotonic() - t0
            outs[engine] = (n / dt, out)
            rows.append(f"pair {k + 1} {engine:5}: {n} documents in {dt:6.1f}s = {n / dt:6.1f} docs/s, worker peak RSS {rss} MiB")
            print(rows[-1], flush=True)
        ratios.append(outs["dask"][0] / outs["local"][0])
        same = snapshot(outs["local"][1] / "nianbao.duckdb") == snapshot(outs["dask"][1] / "nianbao.duckdb")
        print(f"pair {k + 1}: dask / local = {ratios[-1]:.3f}; same reports, statuses and cells: {same}", flush=True)
    print(f"median dask / local docs/s over {len(ratios)} pairs: {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
