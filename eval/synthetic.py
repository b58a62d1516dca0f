"""Synthetic annual reports with their truth by construction.

``generate_corpus(n, seed, out_dir)`` writes ``<id>.<ext>`` sources and
``<id>.json`` goldens side by side. Hand labels are few; this corpus covers
every template, table layout and damage kind of the seeds in numbers large
enough to see which ones the extractor gets wrong. Each golden stays valid
golden-format; its ``notes`` hold JSON with the layout, the per-table
layouts and the damage kinds really applied, which the harness breaks
results down by. Same ``seed`` and ``n``: same bytes.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Optional, Sequence

from . import synth_prose as prose
from .synth_binary import render_docx, render_pdf
from .synth_cells import CellPrinter
from .synth_grid import Grid, Truth, active_grid, applications_grid, legacy_grid, merge_adjacent, review_grid
from .synth_layouts import TextOpts, html_table, render_text
from .synth_truth import SIZES, make_truth

GENERATOR = "nianbao-synthetic/1"
FORMATS = ("txt", "md", "html")
FORMAT_WEIGHTS = {"txt": 6, "md": 2, "html": 2, "docx": 2, "pdf": 2}
FORMAT_LAYOUTS = {
    "txt": ("pipe", "tab", "cell_per_line", "spaced"),
    "md": ("markdown",),
    "html": ("html",),
    "docx": ("docx",),  # opt-in: formats=[..., "docx"]
    "pdf": ("pdf",),  # opt-in, needs reportlab
}

# Probability that a document carries each damage kind (when its layout allows it).
DAMAGE_P = {
    "traditional": 0.12,
    "ocr_digits": 0.15,
    "fullwidth_digits": 0.07,
    "units": 0.2,
    "dropped_cell": 0.12,
    "dash_cells": 0.12,
    "split_number": 0.08,
    "merged_cells": 0.08,
    "wrapped_labels": 0.15,
    "vertical_label": 0.3,
    "page_numbers": 0.35,
    "repeated_header": 0.5,  # of documents with a page break
    "inconsistent": 0.1,
}
CELL_DAMAGE = ("ocr_digits", "fullwidth_digits", "units", "dropped_cell", "dash_cells", "split_number")


@dataclass
class Block:
    kind: str  # title | heading | para | table | blank
    text: str = ""
    lines: list[str] = field(default_factory=list)
    grid: Optional[Grid] = None
    opts: Optional[TextOpts] = None


def _template_and_year(rng: random.Random) -> tuple[str, int]:
    template = rng.choices(("2019", "2021", "legacy"), weights=(35, 45, 20))[0]
    if template == "2019":
        year = rng.choices((2019, 2020, 2021, 2022), weights=(10, 10, 1, 1))[0]
    elif template == "2021":
        year = rng.randint(2021, 2024)
    else:
        year = rng.randint(2008, 2018)
    return template, year


def _pick_damage(rng: random.Random, layout: str, template: str) -> set[str]:
    dmg = {k for k in CELL_DAMAGE if rng.random() < DAMAGE_P[k]}
    if rng.random() < DAMAGE_P["traditional"]:
        dmg.add("traditional")
    if rng.random() < DAMAGE_P["inconsistent"]:
        dmg.add("inconsistent")
    if layout in ("pipe", "tab", "cell_per_line", "spaced") and template != "legacy" and rng.random() < DAMAGE_P["merged_cells"]:
        dmg.add("merged_cells")
    if layout == "spaced" or rng.random() < DAMAGE_P["wrapped_labels"]:
        if layout == "spaced" and rng.random() < 0.4:
            pass  # wide label columns: no wrapping in this document
        else:
            dmg.add("wrapped_labels")
    if layout in ("spaced", "cell_per_line", "html", "docx", "pdf") and template != "legacy" and rng.random() < DAMAGE_P["vertical_label"]:
        dmg.add("vertical_label")
    if layout in ("pipe", "tab", "cell_per_line", "spaced") and rng.random() < DAMAGE_P["page_numbers"]:
        dmg.add("page_numbers")
        if rng.random() < DAMAGE_P["repeated_header"]:
            dmg.add("repeated_header")
    if layout == "pdf" and template != "legacy":
        dmg.add("wrapped_labels")  # long labels always wrap in a PDF cell
    if layout == "spaced":
        dmg.discard("split_number")  # a space inside a number would read as two columns
    return dmg


def _inconsistency(rng: random.Random, truth: dict, template: str) -> Optional[str]:
    """Break one printed total so a check fails; the golden keeps the print."""
    if template == "legacy":
        cands = [("legacy", "indicators", "applications_received"), ("legacy", "indicators", "replies_total")]
    else:
        cands = [
            ("applications", "total_handled", "total"),
            ("applications", "new_received", "natural_person"),
            ("applications", "carried_forward", "total"),
            ("review_litigation", "review", "total"),
        ]
    t, r, c = rng.choice(cands)
    v = truth[t][r][c]
    delta = rng.choice((1, 2, 3, 10, -1))
    if v + delta < 0:
        delta = 1
    truth[t][r][c] = v + delta
    return f"{t}.{r}.{c}"


def _table_opts(rng: random.Random, grid: Grid, layout: str, dmg: set[str], page_no: int) -> TextOpts:
    opts = TextOpts(
        wrap_labels="wrapped_labels" in dmg,
        vertical="vertical_label" in dmg,
        page_no=page_no,
        covered_blank=layout in ("tab", "cell_per_line") or rng.random() < 0.3,
        colspan_blank=layout == "tab" and rng.random() < 0.5,
        pipe_style=rng.choice(("trail", "trail", "both", "tight")),
    )
    if "page_numbers" in dmg and grid.table in ("applications", "legacy"):
        data_rows = [i for i, r in enumerate(grid.rows) if r.kind == "data"]
        opts.page_break_after = rng.choice(data_rows[2:-2] or data_rows)
        opts.repeat_header = "repeated_header" in dmg
    return opts


def _tables(rng, template, form, values, printer, truth, dmg, layout, shape):
    if template == "legacy":
        return [legacy_grid(values["legacy"], printer.print, truth, rng)]
    grids = [
        active_grid(template, values["active_disclosure"], printer.print, truth, rng),
        applications_grid(form, values["applications"], printer.print, truth, rng),
        review_grid(shape, values["review_litigation"], printer.print, truth, rng),
    ]
    return grids


def _report_blocks(rng, template, year, agency, short, truth_values, tables, heading_style, appendix) -> list[Block]:
    title, _ = prose.title_lines(rng, agency, year)
    blocks = [Block("title", lines=title)]
    blocks += [Block("para", p) for p in prose.intro(rng, agency, year)]
    if template == "legacy":
        parts = prose.legacy_paragraphs(rng, truth_values["legacy"]["indicators"], short, year)
        for i, (name, paras) in enumerate(parts.items()):
            blocks.append(Block("heading", prose.heading(heading_style, i, name)))
            blocks += [Block("para", p) for p in paras]
        blocks.append(Block("para", f"附件：{year}年度政府信息公开情况统计表"))
        blocks.append(Block("table", grid=tables[0]))
        return blocks
    by_key = {g.table: g for g in tables}
    sub_style = rng.choice(("line", "inline", "markdown" if heading_style == "markdown" else "line"))
    apps = truth_values["applications"]
    for i, name in enumerate(prose.SECTION_TITLES):
        blocks.append(Block("heading", prose.heading(heading_style, i, name)))
        if i == 0:
            blocks += [Block("para", p) for p in prose.general_paragraphs(rng, short, year, sub_style)]
        elif i == 1:
            if appendix:
                blocks.append(Block("para", "具体情况见附表1。"))
            else:
                blocks.append(Block("table", grid=by_key["active_disclosure"]))
        elif i == 2:
            blocks += [Block("para", p) for p in prose.narrative_applications(rng, apps, year)]
            if not appendix:
                blocks.append(Block("table", grid=by_key["applications"]))
        elif i == 3:
            blocks += [Block("para", p) for p in prose.narrative_review(rng, truth_values["review_litigation"])]
            if not appendix:
                blocks.append(Block("table", grid=by_key["review_litigation"]))
        elif i == 4:
            blocks += [Block("para", p) for p in prose.problems(rng, short, year)]
        else:
            blocks += [Block("para", p) for p in prose.other_matters(rng, short, year)]
    if appendix:
        names = ("主动公开政府信息情况", "收到和处理政府信息公开申请情况", "政府信息公开行政复议、行政诉讼情况")
        for n, (name, key) in enumerate(zip(names, ("active_disclosure", "applications", "review_litigation")), 1):
            blocks.append(Block("para", f"附表{n}：{name}"))
            blocks.append(Block("table", grid=by_key[key]))
    return blocks


def _render_text(blocks: list[Block], layout: str, rng: random.Random, markdown: bool) -> str:
    lines: list[str] = []
    for b in blocks:
        if b.kind == "title":
            if markdown:
                lines += ["# " + b.lines[0], *b.lines[1:]]
            else:
                lines += b.lines
            lines.append("")
        elif b.kind == "heading":
            lines += [b.text, ""] if markdown or rng.random() < 0.5 else [b.text]
        elif b.kind == "para":
            indent = "" if markdown else rng.choice(("", "", "　　", "    "))
            lines += [indent + b.text, ""] if markdown or rng.random() < 0.5 else [indent + b.text]
        elif b.kind == "table":
            lines += render_text(b.grid, layout, rng, b.opts)
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _render_html(blocks: list[Block], rng: random.Random, title: str) -> str:
    out = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\">", f"<title>{escape(title)}</title></head>", "<body>"]
    for b in blocks:
        if b.kind == "title":
            out.append("<h1>" + "<br>".join(escape(x) for x in b.lines if x) + "</h1>")
        elif b.kind == "heading":
            tag = rng.choice(("h2", "h3", "p"))
            out.append(f"<{tag}><strong>{escape(b.text)}</strong></{tag}>" if tag == "p" else f"<{tag}>{escape(b.text)}</{tag}>")
        elif b.kind == "para":
            out.append(f"<p>{escape(b.text)}</p>")
        elif b.kind == "table":
            out.append(html_table(b.grid, rng, b.opts))
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def _convert_blocks(blocks: list[Block], conv) -> None:
    """Traditional characters in a binary document: convert what it will print."""
    for b in blocks:
        b.text = conv(b.text)
        b.lines = [conv(x) for x in b.lines]
        if b.grid is not None and not getattr(b.grid, "_converted", False):
            for row in b.grid.rows:
                for c in row.cells:
                    c.text = conv(c.text)
            b.grid._converted = True  # type: ignore[attr-defined]


def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def generate_document(seed: int, index: int, formats: Sequence[str] = FORMATS) -> tuple[str, str, str | bytes, dict]:
    """One report: (id, extension, source text or bytes, golden dict)."""
    rng = random.Random(f"nianbao-synth/{seed}/{index}")
    fmts = [f for f in formats if f in FORMAT_LAYOUTS]
    if not fmts:
        raise ValueError(f"no supported format in {list(formats)}; choose from {list(FORMAT_LAYOUTS)}")
    fmt = rng.choices(fmts, weights=[FORMAT_WEIGHTS[f] for f in fmts])[0]
    layout = rng.choice(FORMAT_LAYOUTS[fmt])
    template, year = _template_and_year(rng)
    form = "split" if template == "2021" else "single"
    features: list[str] = []
    if template == "2021" and rng.random() < 0.1:
        form = "single"
        features.append("mixed_2019_table3")
    agency, level, short = prose.make_agency(rng)
    size = rng.choices(SIZES, weights=(3, 4, 3, 1))[0]
    values = make_truth(rng, template, size, form)
    dmg = _pick_damage(rng, layout, template)
    applied: set[str] = set()
    if "inconsistent" in dmg:
        features.append("inconsistent:" + _inconsistency(rng, values, template))
        applied.add("inconsistent")
    printer = CellPrinter(rng, {d for d in dmg if d in CELL_DAMAGE}, split_ok=layout != "spaced")
    truth = Truth()
    shape = "flat" if rng.random() < 0.75 else "grid"
    grids = _tables(rng, template, form, values, printer, truth, dmg, layout, shape)
    applied |= printer.applied
    if "merged_cells" in dmg:
        if sum(merge_adjacent(g, rng) for g in grids):
            applied.add("merged_cells")
    page_no = rng.randint(2, 12)
    opts_by_table = {}
    for n_table, g in enumerate(grids):
        opts_by_table[g.table] = _table_opts(rng, g, layout, dmg, page_no + n_table)
    heading_style = "markdown" if layout == "markdown" else rng.choice(prose.HEADING_STYLES)
    appendix = template != "legacy" and rng.random() < 0.15
    blocks = _report_blocks(rng, template, year, agency, short, values, grids, heading_style, appendix)
    for b in blocks:
        if b.kind == "table":
            b.opts = opts_by_table[b.grid.table]
    if fmt == "html":
        text = _render_html(blocks, rng, f"{agency}{year}年政府信息公开工作年度报告")
    elif fmt in ("docx", "pdf"):
        text = ""  # rendered below, after the traditional conversion of the blocks
    else:
        text = _render_text(blocks, layout, rng, markdown=fmt == "md")
    if "traditional" in dmg:
        conv = _s2t().convert
        text = conv(text)
        applied.add("traditional")
        if fmt in ("docx", "pdf"):
            _convert_blocks(blocks, conv)
    source: str | bytes = text
    if fmt == "docx":
        source = render_docx(blocks, rng)
    elif fmt == "pdf":
        source, paged = render_pdf(blocks, rng)
        applied |= paged
    for b in blocks:
        if b.kind == "table":
            applied |= b.opts.applied
    table_layouts = {g.table: layout + (f"/{g.shape}" if g.shape else "") for g in grids}
    doc_id = f"syn-{seed}-{index:04d}-{template}-{layout}"
    labels = {
        "generator": GENERATOR,
        "seed": seed,
        "index": index,
        "format": fmt,
        "layout": layout,
        "table_layouts": table_layouts,
        "damage": sorted(applied),
        "features": sorted(features + [f"heading:{heading_style}", f"size:{size}", f"level:{level}"] + (["appendix"] if appendix else [])),
        "note": "synthetic report; values are true by construction and follow what is printed",
    }
    golden = {
        "id": doc_id,
        "source": f"{doc_id}.{fmt}",
        "agency": agency,
        "year": year,
        "template": template,
        "tables": truth.tables,
        "notes": json.dumps(labels, ensure_ascii=False, sort_keys=True),
    }
    return doc_id, fmt, source, golden


def generate_corpus(n: int, seed: int, out_dir: Path, formats: Optional[Sequence[str]] = None) -> list[Path]:
    """Write ``n`` reports and goldens into ``out_dir``; returns the source paths.

    Each golden is ``<source>.with_suffix(".json")``. Deterministic for a seed:
    document ``i`` depends only on ``(seed, i)``, so a larger ``n`` extends a
    smaller corpus without changing it.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fmts = tuple(formats) if formats else FORMATS
    paths = []
    for i in range(n):
        doc_id, ext, text, golden = generate_document(seed, i, fmts)
        src = out / f"{doc_id}.{ext}"
        if isinstance(text, bytes):
            src.write_bytes(text)
        else:
            src.write_text(text, encoding="utf-8")
        (out / f"{doc_id}.json").write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        paths.append(src)
    return paths


if __name__ == "__main__":  # python -m eval.synthetic N SEED OUT_DIR
    import sys

    n_, seed_, out_ = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    print("\n".join(str(p) for p in generate_corpus(n_, seed_, out_)))
