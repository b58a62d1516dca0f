"""Panel data: one row per agency and year, the headline indicators, and a small chart.

The ``panel`` view reads the kept report of each agency and year (``report_choice``)
and takes each indicator from whichever template the report follows (2021, 2019
or the pre-2019 form): ``PANEL_FIELDS`` lists, per column, the cells it is read
from, in order of preference; a column that sums several cells is null when all
of them are. Every row carries the report's status, so an analyst can keep to
verified data. ``docs/agencies.md`` documents the columns.
"""

from __future__ import annotations

import csv
import html
import os
from pathlib import Path
from typing import Optional, Sequence

A = "applications."
R = "review_litigation."
L = "legacy.indicators."
_DENIED = ("state_secret", "law_prohibited", "three_safety", "third_party", "internal_affairs", "process_info",
           "enforcement_file", "admin_query")
_UNABLE = ("not_held", "needs_creation", "unclear")
_NOT_PROCESSED = ("petition", "duplicate", "publication", "excessive", "confirmation")

# column -> alternatives (the first with any cell read wins); an alternative sums its cells
PANEL_FIELDS: dict[str, list[list[str]]] = {
    "new_applications": [[A + "new_received.total"], [L + "applications_received"]],
    "carried_over": [[A + "carried_over.total"]],
    "granted": [[A + "granted.total"], [L + "reply_granted"]],
    "partially_granted": [[A + "partially_granted.total"], [L + "reply_partially_granted"]],
    "denied": [[f"{A}denied_{d}.total" for d in _DENIED], [L + "reply_denied"]],
    **{f"denied_{d}": [[f"{A}denied_{d}.total"]] for d in _DENIED},
    "unable": [[f"{A}unable_{d}.total" for d in _UNABLE]],
    "not_processed": [[f"{A}not_processed_{d}.total" for d in _NOT_PROCESSED]],
    "total_handled": [[A + "total_handled.total"], [L + "replies_total"]],
    "carried_forward": [[A + "carried_forward.total"]],
    **{f"review_{o}": [[f"{R}review.{o}"], *([[L + f"review_{o}"]] if o != "pending" else [])]
       for o in ("upheld", "corrected", "other", "pending", "total")},
    **{f"litigation_{o}": [[f"{R}litigation_direct.{o}", f"{R}litigation_after_review.{o}"],
                           *([[L + f"litigation_{o}"]] if o != "pending" else [])]
       for o in ("upheld", "corrected", "other", "pending", "total")},
    "normative_documents_issued": [["active_disclosure.normative_documents.issued"],
                                   ["active_disclosure.normative_documents.made"], [L + "normative_docs_issued"]],
    "regulations_issued": [["active_disclosure.regulations.issued"], ["active_disclosure.regulations.made"]],
}
ID_COLUMNS = ("agency_id", "agency_name", "division_code", "province", "prefecture", "county", "level", "kind",
              "year", "report_id", "status", "template", "agency_as_printed", "agency_method", "duplicates")


def _sum(cols: Sequence[str]) -> str:
    if len(cols) == 1:
        return cols[0]
    nulls = " AND ".join(f"{c} IS NULL" for c in cols)
    return f"CASE WHEN {nulls} THEN NULL ELSE {' + '.join(f'coalesce({c}, 0)' for c in cols)} END"


def _view() -> str:
    keys = sorted({k for alts in PANEL_FIELDS.values() for alt in alts for k in alt})
    col = {k: f"k{i}" for i, k in enumerate(keys)}
    pivots = ",\n           ".join(f"max(c.value) FILTER (WHERE c.key = '{k}') AS {col[k]}" for k in keys)
    fields = ",\n       ".join(
        f"coalesce({', '.join(_sum([col[k] for k in alt]) for alt in alts)}) AS {name}" if len(alts) > 1
        else f"{_sum([col[k] for k in alts[0]])} AS {name}"
        for name, alts in PANEL_FIELDS.items())
    key_list = ", ".join(f"'{k}'" for k in keys)
    return f"""
CREATE OR REPLACE VIEW panel AS
WITH kept AS (
    SELECT ch.report_id, ch.agency_key, ch.year,
           (SELECT count(*) FROM report_choice d WHERE d.kept_report_id = ch.report_id AND d.rank > 1) AS duplicates
    FROM report_choice ch WHERE ch.rank = 1
), wide AS (
    SELECT k.report_id,
           {pivots}
    FROM kept k LEFT JOIN cells c ON c.report_id = k.report_id AND c.key IN ({key_list})
    GROUP BY k.report_id
)
SELECT a.id AS agency_id, a.name AS agency_name, a.division_code, a.province, a.prefecture, a.county,
       a.level, a.kind, k.year, r.id AS report_id, r.status, r.template,
       r.agency AS agency_as_printed, l.method AS agency_method, k.duplicates,
       {fields}
FROM kept k JOIN reports r ON r.id = k.report_id JOIN wide w ON w.report_id = k.report_id
JOIN agency_links l ON l.report_id = r.id
LEFT JOIN agencies a ON a.id = k.agency_key
"""


PANEL_VIEW = _view()


def panel_query(level: Optional[str] = None, province: Optional[str] = None, agency: Optional[str] = None,
                verified_only: bool = False) -> tuple[str, list]:
    """SQL and parameters for the panel rows the filters keep, ordered by agency and year."""
    where, params = [], []
    if level:
        where.append("level = ?")
        params.append(level)
    if province:
        where.append("province = ?")
        params.append(province)
    if agency:
        where.append("(agency_id = ? OR agency_name = ?)")
        params += [agency, agency]
    if verified_only:
        where.append("status IN ('verified', 'repaired')")
    sql = "SELECT * FROM panel" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY agency_id NULLS LAST, year"
    return sql, params


def export(con, path: Path, fmt: str, sql: str, params: list) -> int:
    """Write the panel rows to ``path`` (csv or parquet; temp name, then rename); returns the row count."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    rel = con.execute(sql, params)
    names = [d[0] for d in rel.description]
    rows = rel.fetchall()
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({c: [r[i] for r in rows] for i, c in enumerate(names)}), tmp)
        n = len(rows)
    else:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:  # a BOM: Excel opens Chinese CSV right
            w = csv.writer(fh)
            w.writerow(names)
            w.writerows(rows)
        n = len(rows)
    os.replace(tmp, path)
    return n


def plot_svg(points: Sequence[tuple[int, Optional[float], str]], title: str, field: str) -> str:
    """A small time-series chart (SVG, no JavaScript, no assets): one point per year, coloured by
    the report's status (hollow where the value is not verified), gaps where a year is missing."""
    w, h, ml, mr, mt, mb = 560, 240, 48, 16, 36, 32
    pts = [(y, v, s) for y, v, s in points if v is not None]
    years = [y for y, _, _ in points]
    if not years:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}"><text x="10" y="20">no data</text></svg>'
    y0, y1 = min(years), max(years)
    vmax = max([v for _, v, _ in pts] + [1.0])
    sx = lambda y: ml + (w - ml - mr) * ((y - y0) / (y1 - y0) if y1 > y0 else 0.5)  # noqa: E731
    sy = lambda v: mt + (h - mt - mb) * (1 - v / vmax)  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
           f'<text x="{ml}" y="16" font-size="13">{html.escape(title)}: {html.escape(field)}</text>']
    for frac in (0, 0.5, 1):
        v = vmax * frac
        out.append(f'<line x1="{ml}" x2="{w - mr}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" stroke="#ddd"/>'
                   f'<text x="{ml - 4}" y="{sy(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
    for y in range(y0, y1 + 1):
        out.append(f'<text x="{sx(y):.1f}" y="{h - 10}" text-anchor="middle">{y}</text>')
    run: list[str] = []
    for y in range(y0, y1 + 1):  # a line through consecutive years only
        p = next(((v, s) for yy, v, s in pts if yy == y), None)
        if p is None:
            if len(run) > 1:
                out.append(f'<polyline fill="none" stroke="#36c" stroke-width="2" points="{" ".join(run)}"/>')
            run = []
            continue
        run.append(f"{sx(y):.1f},{sy(p[0]):.1f}")
    if len(run) > 1:
        out.append(f'<polyline fill="none" stroke="#36c" stroke-width="2" points="{" ".join(run)}"/>')
    for y, v, s in pts:
        solid = s in ("verified", "repaired")
        out.append(f'<circle cx="{sx(y):.1f}" cy="{sy(v):.1f}" r="4" stroke="#36c" stroke-width="2" '
                   f'fill="{"#36c" if solid else "white"}"><title>{y}: {v:g} ({html.escape(s or "")})</title></circle>')
    out.append(f'<text x="{w - mr}" y="16" text-anchor="end" fill="#666">filled: verified or repaired</text></svg>')
    return "\n".join(out)
