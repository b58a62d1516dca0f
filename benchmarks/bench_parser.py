"""Parser speed on the seeds: reports per second on one core (prints numbers)."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from extractor.models import Document, IngestInfo
from extractor.pipeline import extract_document


def main(repeat: int = 20) -> None:
    root = Path(__file__).resolve().parents[1] / "goldens"
    docs = [Document(source=p.name, text=p.read_text(encoding="utf-8", errors="replace"), info=IngestInfo())
            for p in sorted(root.glob("*.txt"))]
    extract_document(docs[0])  # warm caches (opencc, regexes)
    rates = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for d in docs:
            extract_document(d)
        rates.append(len(docs) / (time.perf_counter() - t0))
    print(f"parser: {len(docs)} seed reports x {repeat} rounds on one core")
    print(f"  reports/s: median {statistics.median(rates):.1f}, min {min(rates):.1f}, max {max(rates):.1f}")
    print(f"  ms/report: median {1000 / statistics.median(rates):.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
