"""report.html: one self-contained page (inline CSS and SVG, no scripts).

It is what a reviewer opens to see *why* a figure moved: charts of accuracy
per table and per layout, then each document's tables cell by cell, golden
against result, with the printed text and provenance of every wrong cell.
"""

from __future__ import annotations

from html import escape
from typing import Any, Optional

from .svg import bar_chart
from .terminal import pct, secs

FULL_GRID_LIMIT = 60  # below this many documents, clean ones get a grid too

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Noto Sans SC",sans-serif;margin:24px;color:#222;background:#fafafa}
h1{margin:0 0 4px}h2{margin-top:32px;border-bottom:2px solid #ddd;padding-bottom:4px}
.meta{color:#666;margin-bottom:16px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:150px}
.card .v{font-size:22px;font-weight:600}.card .k{color:#666;font-size:12px}
.card.alarm .v{color:#c0392b}.card.good .v{color:#2e8b57}
table{border-collapse:collapse;background:#fff;margin:8px 0}
th,td{border:1px solid #ddd;padding:3px 7px;font-size:13px;vertical-align:top}
th{background:#f0f0f0;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.bad{background:#fde2e0;color:#8b1a10;font-weight:600}
td.miss{background:#fff1d6;color:#7a5200;font-weight:600}
td.spur{background:#e8e0fd;color:#3d2a8b;font-weight:600}
td.null{color:#aaa}
.chart .chart-title{font-size:14px;font-weight:600}.chart .label,.chart .value{font-size:12px}
.chart .tick{font-size:10px;fill:#888}.chart .grid{stroke:#e4e4e4}
details.doc{background:#fff;border:1px solid #ddd;border-radius:6px;margin:8px 0;padding:6px 10px}
details.doc>summary{cursor:pointer;font-weight:600}
.tag{display:inline-block;border-radius:3px;padding:0 5px;margin-left:6px;font-size:11px;font-weight:500;background:#eee}
.tag.verified{background:#d6f0df}.tag.error,.tag.not_a_report{background:#f6d1cd}
.tag.needs_review{background:#fff1d6}.tag.source_inconsistent{background:#e8e0fd}.tag.repaired{background:#dcecfb}
.tag.silent{background:#c0392b;color:#fff}
.raw{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap}
.legend span{margin-right:14px}
"""


def _fmt(v: Any) -> str:
    return "∅" if v is None else escape(str(v))


def _tag(text: str, cls: str = "") -> str:
    return f'<span class="tag {escape(cls)}">{escape(text)}</span>'


def _cards(t: dict) -> str:
    llm = t["llm"]
    s = t["seconds"]
    cards = [
        ("cell accuracy", pct(t["cell_accuracy"]), f"{t['correct']}/{t['golden_cells']}", ""),
        ("tables exact", pct(t["tables_exact_rate"]), f"{t['tables_exact']}/{t['tables']}", ""),
        ("spurious cells", str(t["spurious"]), "", ""),
        ("silent errors", str(t["silent_errors"]), f"in {t['silent_error_documents']} docs", "alarm" if t["silent_errors"] else "good"),
        ("template", pct(t["template"]["rate"]), f"{t['template']['correct']}/{t['template']['of']}", ""),
        ("agency", pct(t["agency"]["rate"]), f"{t['agency']['correct']}/{t['agency']['of']}", ""),
        ("year", pct(t["year"]["rate"]), f"{t['year']['correct']}/{t['year']['of']}", ""),
        ("LLM calls", str(llm["calls"]), f"{llm['prompt_tokens']}+{llm['completion_tokens']} tok, {llm['cache_hits']} cached", ""),
        ("time / doc", secs(s["mean"]), f"p95 {secs(s['p95'])}", ""),
    ]
    out = ['<div class="cards">']
    for k, v, sub, cls in cards:
        out.append(f'<div class="card {cls}"><div class="v">{escape(v)}</div><div class="k">{escape(k)} {escape(sub)}</div></div>')
    out.append("</div>")
    status = ", ".join(f"{_tag(k, k)} {v}" for k, v in sorted(t["status_counts"].items()))
    out.append(f"<p>Status: {status or '—'}</p>")
    return "\n".join(out)


def _breakdown_table(rows: dict, with_seconds: bool = False) -> str:
    head = "<tr><th></th><th>docs</th><th>cells</th><th>accuracy</th><th>tables exact</th><th>spurious</th><th>silent</th>"
    head += "<th>s/doc</th></tr>" if with_seconds else "</tr>"
    out = ["<table>", head]
    for name, v in rows.items():
        out.append(
            f"<tr><td>{escape(name)}</td><td class=num>{v['documents']}</td><td class=num>{v['golden_cells']}</td>"
            f"<td class=num>{pct(v['cell_accuracy'])}</td><td class=num>{v['tables_exact']}/{v['tables']}</td>"
            f"<td class=num>{v['spurious']}</td><td class=num>{v['silent_errors']}</td>"
            + (f"<td class=num>{secs(v.get('seconds_mean'))}</td>" if with_seconds else "")
            + "</tr>"
        )
    out.append("</table>")
    return "\n".join(out)


def _chart(title: str, rows: dict) -> str:
    items = [(k, v["cell_accuracy"], f"({v['golden_cells']} cells)") for k, v in rows.items()]
    return bar_chart(title, items)


def _provenance(x: dict) -> str:
    bits = []
    if x.get("line"):
        bits.append(f"line {x['line']}")
    if x.get("method"):
        bits.append(str(x["method"]))
    if x.get("repaired"):
        bits.append(f"repaired {x['repaired']}")
    if x.get("flags"):
        bits.append("flags " + ", ".join(x["flags"]))
    return escape("; ".join(bits))


def _grid(table: str, rows: dict, outcomes: dict, diffs: dict) -> str:
    """One golden table as rows × columns, golden value, result value where it differs."""
    cols: list[str] = []
    for cells in rows.values():
        for c in cells:
            if c not in cols:
                cols.append(c)
    for key in diffs:  # spurious columns of a golden row
        t, r, c = key.split(".", 2)
        if t == table and r in rows and c not in cols:
            cols.append(c)
    out = [f"<table><tr><th>{escape(table)}</th>" + "".join(f"<th>{escape(c)}</th>" for c in cols) + "</tr>"]
    for r, cells in rows.items():
        tds = []
        for c in cols:
            key = f"{table}.{r}.{c}"
            outcome = outcomes.get(key)
            if key in diffs:
                d = diffs[key]
                cls = {"wrong": "bad", "missing": "miss", "spurious": "spur"}[d["outcome"]]
                raw = f" raw «{d['raw']}»" if d.get("raw") is not None else ""
                title = escape(f"{d['outcome']}: golden {d['golden']} / result {d['result']}{raw}; {_provenance(d)}")
                shown = "—" if d["outcome"] == "missing" else _fmt(d["result"])
                tds.append(f'<td class="num {cls}" title="{title}">{_fmt(d["golden"])} → {shown}</td>')
            elif c in cells:
                v = cells[c]
                tds.append(f'<td class="num{" null" if v is None else ""}">{_fmt(v)}</td>' if outcome else "<td></td>")
            else:
                tds.append("<td></td>")
        out.append(f"<tr><th>{escape(r)}</th>{''.join(tds)}</tr>")
    out.append("</table>")
    return "\n".join(out)


def _diff_list(diffs: list[dict]) -> str:
    out = ["<table><tr><th>cell</th><th>outcome</th><th>golden</th><th>result</th><th>raw printed text</th><th>provenance</th></tr>"]
    for x in diffs:
        cls = {"wrong": "bad", "missing": "miss", "spurious": "spur"}[x["outcome"]]
        out.append(
            f"<tr><td><code>{escape(x['key'])}</code></td><td class={cls}>{x['outcome']}</td>"
            f"<td class=num>{_fmt(x['golden'])}</td><td class=num>{_fmt(x['result'])}</td>"
            f"<td class=raw>{_fmt(x.get('raw'))}</td><td>{_provenance(x)}</td></tr>"
        )
    out.append("</table>")
    return "\n".join(out)


def _doc(d: dict, golden_tables: Optional[dict], full: bool) -> str:
    if d.get("skipped"):
        return f'<details class="doc"><summary>{escape(d["id"])} {_tag("skipped", "error")}</summary><p>{escape(d["skipped"])}</p></details>'
    has_errors = bool(d.get("diffs"))
    tags = _tag(d.get("status") or "?", d.get("status") or "")
    if d.get("silent_errors"):
        tags += _tag(f"{d['silent_errors']} silent", "silent")
    head = (
        f"{escape(d['id'])} — {pct(d.get('cell_accuracy'))} ({d['correct']}/{d['golden_cells']}), "
        f"{len(d.get('diffs') or [])} differing {tags}"
    )
    body = [
        f"<p>source <code>{escape(str(d.get('source')))}</code> · layout <b>{escape(d['layout'])}</b>"
        + (f" · tables {escape(', '.join(f'{k}: {v}' for k, v in d['table_layouts'].items()))}" if d.get("table_layouts") else "")
        + f" · damage <b>{escape(', '.join(d['damage']) or 'none')}</b> · {secs(d.get('seconds'))}</p>"
    ]
    gm, rm = d.get("golden_meta") or {}, d.get("result_meta") or {}
    meta_rows = "".join(
        f"<tr><th>{k}</th><td>{_fmt(gm.get(k))}</td><td class='{'' if gm.get(k) == rm.get(k) else 'bad'}'>{_fmt(rm.get(k))}</td></tr>"
        for k in ("template", "agency", "year")
    )
    body.append(f"<table><tr><th></th><th>golden</th><th>result</th></tr>{meta_rows}</table>")
    if d.get("reason") or d.get("crashed"):
        body.append(f"<p>reason: <span class=raw>{escape(str(d.get('crashed') or d.get('reason')))}</span></p>")
    diffs = {x["key"]: x for x in d.get("diffs") or []}
    if golden_tables is not None and (has_errors or full):
        for table, rows in golden_tables.items():
            body.append(_grid(table, rows, d.get("cells") or {}, diffs))
        extra = [x for x in diffs.values() if x["key"].split(".", 2)[0] not in golden_tables]
        if extra:
            body.append("<p>Tables the golden does not have:</p>" + _diff_list(extra))
    if has_errors:
        body.append("<h4>Differing cells</h4>" + _diff_list(list(diffs.values())))
    opened = " open" if has_errors and d.get("silent_errors") else ""
    return f'<details class="doc" id="doc-{escape(d["id"])}"{opened}><summary>{head}</summary>{"".join(body)}</details>'


def render_html(summary: dict, golden_tables: Optional[dict[str, dict]] = None) -> str:
    """The page; ``golden_tables`` (id → tables) enables the cell grids."""
    golden_tables = golden_tables or {}
    t = summary["totals"]
    run = summary.get("run") or {}
    docs = summary["documents"]
    full = len(docs) <= FULL_GRID_LIMIT
    parts = [
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>nianbao eval — {pct(t['cell_accuracy'])}</title><style>{CSS}</style></head><body>",
        "<h1>nianbao eval</h1>",
        f"<div class='meta'>backend <b>{escape(str(run.get('backend', '?')))}</b> · model {escape(str(run.get('model') or '—'))}"
        f" · goldens {escape(str(run.get('goldens', '?')))} · {t['documents']} documents · {escape(summary.get('created', ''))}</div>",
        _cards(t),
        "<h2>Accuracy</h2>",
        _chart("Cell accuracy per table", summary["by_table"]),
        _chart("Cell accuracy per layout", summary["by_layout"]),
    ]
    if len(summary["by_damage"]) > 1 or "none" not in summary["by_damage"]:
        parts.append(_chart("Cell accuracy per damage kind", summary["by_damage"]))
    parts += [
        "<h3>By table</h3>", _breakdown_table(summary["by_table"]),
        "<h3>By layout</h3>", _breakdown_table(summary["by_layout"], True),
        "<h3>By damage kind</h3>", _breakdown_table(summary["by_damage"], True),
        *(["<h3>By synthetic variation</h3>", _breakdown_table(summary["by_variation"])] if summary.get("by_variation") else []),
        "<h3>By template</h3>", _breakdown_table(summary["by_template"]),
        "<h2>Documents</h2>",
        "<p class='legend'><span class='tag' style='background:#fde2e0'>wrong</span>"
        "<span class='tag' style='background:#fff1d6'>missing</span>"
        "<span class='tag' style='background:#e8e0fd'>spurious</span> "
        "cells show golden → result; hover for the printed text and provenance.</p>",
    ]
    ordered = sorted(docs, key=lambda d: (-(d.get("silent_errors") or 0), -len(d.get("diffs") or []), d["id"]))
    for d in ordered:
        parts.append(_doc(d, golden_tables.get(d["id"]), full))
    parts.append("</body></html>")
    return "\n".join(parts)
