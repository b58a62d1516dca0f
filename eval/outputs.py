"""Write a run's files: summary.json, report.md, report.html."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from .report_html import render_html
from .report_md import render_markdown


def write_reports(summary: dict, out_dir: Path, golden_tables: Optional[dict[str, dict]] = None) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"summary": out / "summary.json", "markdown": out / "report.md", "html": out / "report.html"}
    paths["summary"].write_text(json.dumps(summary, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    paths["markdown"].write_text(render_markdown(summary), encoding="utf-8")
    paths["html"].write_text(render_html(summary, golden_tables), encoding="utf-8")
    return paths
