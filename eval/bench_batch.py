"""Benchmark ``nianbao batch``: N generated documents → docs/s and peak memory.

    python eval/bench_batch.py --n 2000 --workers 2
    python eval/bench_batch.py --n 2000 --formats txt,html --extract eval.bench_batch:null_extract

The corpus comes from ``eval.synthetic.generate_corpus`` (generated in a child
process, so its memory does not count) and is cached under ``--work``. The
batch runs parser-only in this process, as ``nianbao batch`` would; the
``.json`` goldens beside the sources are skipped by discovery, as always.
``--extract eval.bench_batch:null_extract`` measures the batch machinery alone
(reading, hashing, workers, results.jsonl, DuckDB) with a realistic result
per document but no parsing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from extractor.batch import BatchOptions, run_batch  # noqa: E402
from extractor.config import Config  # noqa: E402
from extractor.models import Cell, CheckResult, Result, Status  # noqa: E402
from extractor.template import expected_keys  # noqa: E402

_KEYS = expected_keys("2021")


def null_extract(data: bytes, name: str, config) -> Result:
    """A full-sized 2021 result without parsing: the cost of everything but the parser."""
    n = len(data)
    cells = {k: Cell(value=(n + i) % 50, raw=str((n + i) % 50), line=i + 1, span=(i, i + 2)) for i, k in enumerate(_KEYS)}
    tables: dict = {}
    for k, c in cells.items():
        t, r, col = k.split(".")
        tables.setdefault(t, {}).setdefault(r, {})[col] = c.value
    checks = [CheckResult(rule=f"applications.balance.{c}", status="pass", expected=1, actual=1, imbalance=0) for c in ("total", "natural_person")]
    return Result(id=name, source=name, agency="某局", year=2021, template="2021", tables=tables, cells=cells, checks=checks, status=Status.verified)


def corpus(n: int, seed: int, formats: str, work: Path) -> Path:
    """Generate (once) n documents into work/corpus-n-seed-formats."""
    d = work / f"corpus-{n}-{seed}-{formats.replace(',', '+') or 'all'}"
    marker = d / ".done"
    if marker.exists():
        return d
    if d.exists():
        shutil.rmtree(d)
    fmts = repr(tuple(formats.split(","))) if formats else "None"
    code = f"from pathlib import Path; from eval.synthetic import generate_corpus; generate_corpus({n}, {seed}, Path({str(d)!r}), {fmts})"
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    marker.write_text("")
    print(f"generated {n} documents in {time.monotonic() - t0:.1f}s → {d}", file=sys.stderr)
    return d


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--formats", default="", help="comma list of txt,md,html (default: all)")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "nianbao-bench")
    ap.add_argument("--extract", default="extractor.pipeline:extract", help="module:function")
    ap.add_argument("--json", action="store_true", help="print the whole summary as JSON")
    args = ap.parse_args(argv)

    args.work.mkdir(parents=True, exist_ok=True)
    src = corpus(args.n, args.seed, args.formats, args.work)
    out = args.work / "out"
    if out.exists():
        shutil.rmtree(out)
    summary = run_batch([str(src)], BatchOptions(out=out, workers=args.workers, progress=False), Config(backend="parser"), args.extract)
    mem, cpu = summary["peak_rss_mb"], summary["cpu_seconds"]
    size = sum(p.stat().st_size for p in (out).iterdir())
    print(
        f"{summary['documents']['processed']} documents, {args.workers} workers, {args.extract}: "
        f"{summary['docs_per_second']} docs/s ({summary['seconds']}s) · "
        f"peak RSS main {mem['main']} MiB, per worker {mem['worker_max']} MiB · "
        f"CPU/doc main {cpu['main_ms_per_doc']} ms, workers {cpu['workers_ms_per_doc']} ms · "
        f"outputs {size / 1e6:.1f} MB · {summary['by_status']}"
    )
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    return summary


if __name__ == "__main__":
    main()
