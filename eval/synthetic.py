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
from . import synth_scan
from . import synth_variations as sv
from .synth_binary import render_docx, render_pdf
from .synth_cells import CellPrinter
from .synth_grid import (
    LEGAL_COLUMNS, Grid, Truth, active_grid, add_head_units, applications_grid, blank_edges, legacy_grid, merge_adjacent,
    review_grid,
)
from .synth_layouts import TextOpts, html_table, render_text
from .synth_truth import SIZES, make_truth

GENERATOR = "nianbao-synthetic/1"
FORMATS = ("txt", "md", "html")
FORMAT_WEIGHTS = {"txt": 6, "md": 2, "html": 2, "docx": 2, "pdf": 2, "scan": 2}
PRINTED = ("pdf", "scan")  # laid out by render_pdf
FORMAT_LAYOUTS = {
    "txt": ("pipe", "tab", "cell_per_line", "spaced"),
    "md": ("markdown",),
    "html": ("html",),
    "docx": ("docx",),  # opt-in: formats=[..., "docx"]
    "pdf": ("pdf",),  # opt-in, needs reportlab
    "scan": ("scan",),  # opt-in: the PDF as an image-only scan with damage switches (synth_scan)
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
    if layout in ("spaced", "cell_per_line", "html", "docx", *PRINTED) and template != "legacy" and rng.random() < DAMAGE_P["vertical_label"]:
        dmg.add("vertical_label")
    if layout in ("pipe", "tab", "cell_per_line", "spaced") and rng.random() < DAMAGE_P["page_numbers"]:
        dmg.add("page_numbers")
        if rng.random() < DAMAGE_P["repeated_header"]:
            dmg.add("repeated_header")
    if layout in PRINTED and template != "legacy":
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


def _tables(rng, template, form, values, printer, truth, dmg, layout, shape, var=frozenset(), vr=None):
    if template == "legacy":
        return [legacy_grid(values["legacy"], printer.print, truth, rng, frozenset(v for v in var if v.startswith("legacy_")))]
    order = None
    if "column_order" in var:
        legal = list(LEGAL_COLUMNS)
        how = vr.choice(("total_first", "swap", "shuffle", "total_first_swap"))
        if "swap" in how:
            legal[0], legal[1] = legal[1], legal[0]
        elif how == "shuffle":
            while legal == list(LEGAL_COLUMNS):
                vr.shuffle(legal)
        order = (("total",) if how.startswith("total_first") else ()) + ("natural_person", *legal) + (() if how.startswith("total_first") else ("total",))
    grids = [
        active_grid(template, values["active_disclosure"], printer.print, truth, rng),
        applications_grid(form, values["applications"], printer.print, truth, rng, order=order, subtotal="subtotal_column" in var),
        review_grid(shape, values["review_litigation"], printer.print, truth, rng),
    ]
    return grids


_TABLE_NAMES = {
    "active_disclosure": "主动公开政府信息情况",
    "applications": "收到和处理政府信息公开申请情况",
    "review_litigation": "政府信息公开行政复议、行政诉讼情况",
}
_CN = "一二三四五六七八九十"


def _caption(vr: random.Random, key: str, n: int, style: str) -> list[str]:
    name = _TABLE_NAMES[key]
    if style == "appendix":
        return vr.choice(([f"附表{n}"], [f"附表{n}：{name}"], [f"附表{n}　{name}统计表"], [f"附表{n}", f"{name}统计表"]))
    return vr.choice(([f"表{_CN[n - 1]}"], [f"表{n}：{name}"], [f"表{_CN[n]}　{name}"], [f"附表{n}"], [f"（表{n}）"]))


def _legacy_prose(vr: random.Random, ind: dict, truth: Truth) -> list[str]:
    """legacy_prose_only: the figures of a few sentences; the golden holds only those (others null)."""
    said: dict[str, object] = {}

    def v(key):
        said[key] = ind[key]
        x = ind[key]
        return x

    paras = [
        f"{vr.choice(('本年', '全年', '本年度'))}共主动公开政府信息{v('proactive_total')}条，其中主动公开规范性文件{v('proactive_normative_docs')}件。",
    ]
    rec = f"共收到政府信息公开申请{v('applications_received')}件"
    if vr.random() < 0.7:
        rec += f"，其中当面申请{v('received_in_person')}件，传真申请{v('received_fax')}件，网络申请{v('received_online')}件，信函申请{v('received_letter')}件"
    paras.append(rec + "。")
    if vr.random() < 0.7:
        paras.append(f"已办结{v('applications_closed')}件，其中按时办结{v('closed_on_time')}件，延期办结{v('closed_extended')}件。")
    if vr.random() < 0.6:
        paras.append(f"在答复中，同意公开{v('reply_granted')}件，同意部分公开{v('reply_partially_granted')}件，不同意公开{v('reply_denied')}件。")
    paras.append(f"全年因政府信息公开申请行政复议{v('review_total')}件，提起行政诉讼{v('litigation_total')}件。")
    if vr.random() < 0.5:
        paras.append(f"本年度依申请公开信息收取费用{v('fees_collected')}万元。" if ind["fees_collected"] else f"本年度依申请公开信息收取费用{v('fees_collected')}元。")
    # the report's other sections state these too (synth_prose.legacy_paragraphs): 其中网络申请N件, 未收取费用
    if ind.get("applications_received") is not None and ind.get("received_online") is not None:
        said["received_online"] = ind["received_online"]
    if not ind.get("fees_collected") and "fees_collected" not in said:
        said["fees_collected"] = 0
    for k in list(truth.tables["legacy"]["indicators"]):
        truth.tables["legacy"]["indicators"][k] = said[k] if k in said else None
    return paras


def _legacy_flat(vr: random.Random, grid: Grid) -> str:
    """legacy_flattened: the 统计表 as one run of label-digits-label-digits."""
    import re

    out = []
    heads = [c.text for c in grid.rows[0].cells]
    vi = 2 if "单位" in heads else 1
    for row in grid.rows[1:]:
        texts = [c.text for c in row.cells]
        label = re.sub(r"^\d+[.．、]", "", texts[0])
        if len(texts) <= vi:
            out.append(label)
            continue
        unit = texts[1] if vi == 2 else ""
        out.append(label + texts[vi] + (unit if unit and texts[vi] and vr.random() < 0.5 else ""))
    return "".join(out)


def _report_blocks(rng, template, year, agency, short, truth_values, tables, heading_style, appendix,
                   var=frozenset(), vr=None, truth=None) -> list[Block]:
    title, _ = prose.title_lines(rng, agency, year)
    for name in var:
        if name.startswith("title_") and name != "title_meta":
            title = prose.title_variant(vr, name, agency, year)
    blocks = [Block("title", lines=title)]
    if "title_meta" in var:
        blocks += [Block("para", x) for x in prose.meta_lines(vr, agency, year)]
    blocks += [Block("para", p) for p in prose.intro(rng, agency, year)]
    for name, style in sv.CHAPTER_STYLES.items():
        if name in var:
            heading_style = style
    if template == "legacy":
        parts = prose.legacy_paragraphs(rng, truth_values["legacy"]["indicators"], short, year)
        for i, (name, paras) in enumerate(parts.items()):
            blocks.append(Block("heading", prose.heading(heading_style, i, name)))
            blocks += [Block("para", p) for p in paras]
            if i == 1 and "legacy_prose_only" in var:
                blocks += [Block("para", p) for p in _legacy_prose(vr, truth_values["legacy"]["indicators"], truth)]
        if "legacy_prose_only" in var:
            pass
        elif "legacy_flattened" in var:
            blocks.append(Block("para", f"附件：{year}年度政府信息公开情况统计表"))
            blocks.append(Block("para", _legacy_flat(vr, tables[0])))
        else:
            blocks.append(Block("para", f"附件：{year}年度政府信息公开情况统计表"))
            blocks.append(Block("table", grid=tables[0]))
        if "title_meta" in var:
            blocks.append(Block("para", "\n".join(prose.signature(vr, agency, year)).strip("\n")))
        return blocks
    by_key = {g.table: g for g in tables}
    sub_style = rng.choice(("line", "inline", "markdown" if heading_style == "markdown" else "line"))
    apps = truth_values["applications"]
    mentions = "prose_mentions" in var
    captions = "table_captions" in var
    units_line = "header_units" in var

    def table(key: str, n: int) -> list[Block]:
        out = []
        if captions:
            out += [Block("para", x) for x in _caption(vr, key, n, "body")]
        if units_line and vr.random() < 0.5:
            out.append(Block("para", vr.choice(("单位：件", "（单位：件）", "计量单位：件、万元"))))
        return out + [Block("table", grid=by_key[key])]

    pointer = (lambda n: vr.choice((f"详见附表{n}。", "（详见附表）", f"具体数据详见附表{n}。", f"详见附表{n}：{list(_TABLE_NAMES.values())[n - 1]}。"))) if "appendix_tables" in var else (lambda n: "具体情况见附表1。")
    for i, name in enumerate(prose.SECTION_TITLES):
        blocks.append(Block("heading", prose.heading(heading_style, i, name)))
        if i == 0:
            general = prose.general_paragraphs(rng, short, year, sub_style, arabic_subs=heading_style == "paren")
            if "overview_subheadings" in var:
                # the 2021 notice's own outline of 总体情况 replaces the free sub-parts, or follows them
                general = (general[:1] if vr.random() < 0.6 else general) + prose.overview_subheadings(vr, short, year)
            blocks += [Block("para", p) for p in general]
            if mentions and vr.random() < 0.5:
                blocks += [Block("para", p) for p in prose.mention_applications(vr, apps)]
        elif i == 1:
            if mentions:
                blocks.append(Block("para", prose.mention_active(vr, template)))
            if appendix:
                blocks.append(Block("para", pointer(1)))
            else:
                blocks += table("active_disclosure", 1)
        elif i == 2:
            blocks += [Block("para", p) for p in prose.narrative_applications(rng, apps, year)]
            if mentions:
                blocks += [Block("para", p) for p in prose.mention_applications(vr, apps)]
            if not appendix:
                blocks += table("applications", 2)
            elif "appendix_tables" in var:
                blocks.append(Block("para", pointer(2)))
        elif i == 3:
            blocks += [Block("para", p) for p in prose.narrative_review(rng, truth_values["review_litigation"])]
            if mentions:
                blocks += [Block("para", p) for p in prose.mention_review(vr, truth_values["review_litigation"])]
            if not appendix:
                blocks += table("review_litigation", 3)
            elif "appendix_tables" in var:
                blocks.append(Block("para", pointer(3)))
        elif i == 4:
            blocks += [Block("para", p) for p in prose.problems(rng, short, year)]
        else:
            blocks += [Block("para", p) for p in prose.other_matters(rng, short, year)]
    if "title_meta" in var:
        blocks.append(Block("para", "\n".join(prose.signature(vr, agency, year)).strip("\n")))
    if appendix:
        if "appendix_tables" in var:
            if vr.random() < 0.4:
                blocks.append(Block("heading", vr.choice(("附件", "附件：", "附表"))))
            for n, key in enumerate(("active_disclosure", "applications", "review_litigation"), 1):
                blocks += [Block("para", x) for x in _caption(vr, key, n, "appendix")]
                blocks.append(Block("table", grid=by_key[key]))
        else:
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


def _year_for(template: str, vr: random.Random) -> int:
    if template == "2019":
        return vr.choice((2019, 2020))
    if template == "2021":
        return vr.randint(2021, 2024)
    return vr.randint(2008, 2018)


def _interrupt(vr: random.Random, grid: Grid, opts: TextOpts, title: str) -> None:
    """table_interrupted: a page break inside the table, with what a page carries."""
    data_rows = [i for i, r in enumerate(grid.rows) if r.kind == "data"]
    cands = data_rows[1:-1] or ([grid.header_rows - 1] if grid.header_rows else [])
    if not cands:
        return
    opts.page_break_after = vr.choice(cands)
    lines: list[str] = [""]
    kinds = vr.sample(("page", "title", "xubiao", "ff"), vr.randint(1, 4))
    if "page" in kinds:
        lines.append(vr.choice(("-{n}-", "- {n} -", "—{n}—", "第{n}页", "{n}")).format(n=opts.page_no))
    if "ff" in kinds:
        lines.append("\f")
    if "title" in kinds:
        lines.append(title)
    if "xubiao" in kinds:
        lines.append(vr.choice(("续表", "续表：", "（续表）", "续表1")))
    opts.interrupt = lines
    opts.repeat_header = vr.random() < 0.5


def generate_document(seed: int, index: int, formats: Sequence[str] = FORMATS, variations: sv.Spec = None,
                      scan: synth_scan.Spec = None, issuer: Optional[dict] = None) -> tuple[str, str, str | bytes, dict]:
    """One report: (id, extension, source text or bytes, golden dict).

    ``variations``: None (today's corpus), "all" (each variation at its
    probability) or names to force on (see ``synth_variations``). ``scan``:
    the damage switches of a "scan" document (``synth_scan``): None or
    "all" each at its probability, "none", or names forced on. ``issuer``:
    ``{"agency": printed name, "year": Y, "portal": site name or None,
    "title_agency": the name as the title alone prints it}`` for an archive of
    one agency across years (``synth_agency``); the template follows the year
    and the portal's name is printed above the title.
    """
    mode, forced = sv.parse_spec(variations)
    vr = random.Random(f"nianbao-synth-var/{seed}/{index}")
    rng = random.Random(f"nianbao-synth/{seed}/{index}")
    fmts = [f for f in formats if f in FORMAT_LAYOUTS]
    if not fmts:
        raise ValueError(f"no supported format in {list(formats)}; choose from {list(FORMAT_LAYOUTS)}")
    fmt = rng.choices(fmts, weights=[FORMAT_WEIGHTS[f] for f in fmts])[0]
    layout = rng.choice(FORMAT_LAYOUTS[fmt])
    template, year = _template_and_year(rng)
    if issuer:
        year = int(issuer["year"])
        template = "legacy" if year < 2019 else ("2019" if year < 2021 else "2021")
    if mode == "only":
        t2, fmt, layout = sv.steer(vr, forced, template, {f: FORMAT_LAYOUTS[f] for f in fmts}, fmt, layout)
        if t2 != template:
            template, year = t2, _year_for(t2, vr)
    var = sv.draw(vr, mode, forced, template, layout)
    scan_seed = f"nianbao-synth-scan/{seed}/{index}"
    scan_switches = synth_scan.draw(scan_seed, scan) if fmt == "scan" else set()
    scan_info: dict = {}
    vapplied: set[str] = set()
    form = "split" if template == "2021" else "single"
    features: list[str] = []
    if template == "2021" and rng.random() < 0.1:
        form = "single"
        features.append("mixed_2019_table3")
    agency, level, short = prose.make_agency(rng)
    if issuer:
        agency, short = issuer["agency"], "本机关"
    size = rng.choices(SIZES, weights=(3, 4, 3, 1))[0]
    values = make_truth(rng, template, size, form)
    dmg = _pick_damage(rng, layout, template)
    applied: set[str] = set()
    if "inconsistent" in dmg:
        features.append("inconsistent:" + _inconsistency(rng, values, template))
        applied.add("inconsistent")
    rates: dict = {}
    if "cell_units" in var:
        dmg.add("units")
        rates["units"] = 0.8
    if "cell_dropped_merged" in var:
        dmg |= {"dropped_cell", "merged_cells"}
        rates["dropped_cell"] = 0.06
    printer = CellPrinter(rng, {d for d in dmg if d in CELL_DAMAGE}, split_ok=layout != "spaced", rates=rates,
                          variations={v for v in var if v in ("stray_marks", "split_digits")})
    truth = Truth()
    shape = "flat" if rng.random() < 0.75 else "grid"
    grids = _tables(rng, template, form, values, printer, truth, dmg, layout, shape, var, vr)
    applied |= printer.applied
    vapplied |= printer.var_applied
    if "cell_units" in var and "units" in printer.applied:
        vapplied.add("cell_units")
    if "cell_dropped_merged" in var and "dropped_cell" in printer.applied:
        vapplied.add("cell_dropped_merged")
    if "blank_edge_cells" in var and sum(blank_edges(g, truth, vr) for g in grids):
        vapplied.add("blank_edge_cells")
    if "merged_cells" in dmg:
        if sum(merge_adjacent(g, rng, 0.3 if "cell_dropped_merged" in var else 0.15) for g in grids):
            applied.add("merged_cells")
            if "cell_dropped_merged" in var:
                vapplied.add("cell_dropped_merged")
    if "header_units" in var and sum(add_head_units(g, vr) for g in grids if g.table != "legacy"):
        vapplied.add("header_units")
    vapplied |= var & {"subtotal_column", "column_order"}
    vapplied |= {v for v in var if v.startswith("legacy_")}
    page_no = rng.randint(2, 12)
    opts_by_table = {}
    for n_table, g in enumerate(grids):
        opts_by_table[g.table] = o = _table_opts(rng, g, layout, dmg, page_no + n_table)
        o.label_tail = "label_wrap_tail" in var
        o.head_wrap = "header_wrap" in var
        o.head_chunk = vr.choice((2, 3))
        if "vertical_group_labels" in var:
            if layout in ("pipe", "tab"):
                o.vgroup = o.covered_blank = True
            else:
                o.vertical = True
    heading_style = "markdown" if layout == "markdown" else rng.choice(prose.HEADING_STYLES)
    appendix = template != "legacy" and rng.random() < 0.15
    appendix = appendix or "appendix_tables" in var
    blocks = _report_blocks(rng, template, year, agency, short, values, grids, heading_style, appendix, var, vr, truth)
    if issuer and issuer.get("title_agency"):  # a misreading of the title alone (OCR damage is local)
        blocks[0].lines = [line.replace(agency, issuer["title_agency"]) for line in blocks[0].lines]
    if issuer and issuer.get("portal"):
        blocks.insert(0, Block("para", issuer["portal"]))
    vapplied |= var & ({"overview_subheadings", "prose_mentions", "appendix_tables", "table_captions", "title_meta"} | set(sv.CHAPTER_STYLES))
    vapplied |= {v for v in var if v.startswith("title_")}
    if "legacy_prose_only" in var:
        applied -= set(CELL_DAMAGE)  # nothing of the table is printed
    for b in blocks:
        if b.kind == "table":
            b.opts = opts_by_table[b.grid.table]
            if "table_interrupted" in var:
                _interrupt(vr, b.grid, b.opts, "".join(blocks[0].lines[:1]) if len(blocks[0].lines[0]) > 8 else "".join(blocks[0].lines))
    if fmt == "html":
        text = _render_html(blocks, rng, f"{agency}{year}年政府信息公开工作年度报告")
    elif fmt in ("docx", *PRINTED):
        text = ""  # rendered below, after the traditional conversion of the blocks
    else:
        text = _render_text(blocks, layout, rng, markdown=fmt == "md")
    if "traditional" in dmg:
        conv = _s2t().convert
        text = conv(text)
        applied.add("traditional")
        if fmt in ("docx", *PRINTED):
            _convert_blocks(blocks, conv)
    source: str | bytes = text
    if fmt == "docx":
        source = render_docx(blocks, rng)
    elif fmt == "pdf":
        source, paged = render_pdf(blocks, rng)
        applied |= paged
    elif fmt == "scan":
        source, paged, switched, scan_info = synth_scan.render_scan(blocks, rng, scan_switches, scan_seed)
        applied |= paged | switched
    for b in blocks:
        if b.kind == "table":
            applied |= b.opts.applied
            vapplied |= b.opts.var_applied
            if "vertical_group_labels" in var and "vertical_label" in b.opts.applied:
                vapplied.add("vertical_group_labels")
    table_layouts = {g.table: layout + (f"/{g.shape}" if g.shape else "") for g in grids}
    doc_id = f"syn-{seed}-{index:04d}-{template}-{layout}"
    ext = "pdf" if fmt == "scan" else fmt
    labels = {
        "generator": GENERATOR,
        "seed": seed,
        "index": index,
        "format": fmt,
        "layout": layout,
        "table_layouts": table_layouts,
        "damage": sorted(applied),
        **({"variations": sorted(vapplied)} if mode != "off" else {}),
        **({"scan": scan_info} if fmt == "scan" else {}),
        "features": sorted(features + [f"heading:{heading_style}", f"size:{size}", f"level:{level}"] + (["appendix"] if appendix else [])),
        "note": "synthetic report; values are true by construction and follow what is printed",
    }
    golden = {
        "id": doc_id,
        "source": f"{doc_id}.{ext}",
        "agency": agency,
        "year": year,
        "template": template,
        "tables": truth.tables,
        "notes": json.dumps(labels, ensure_ascii=False, sort_keys=True),
    }
    return doc_id, ext, source, golden


def generate_corpus(
    n: int, seed: int, out_dir: Path, formats: Optional[Sequence[str]] = None, variations: sv.Spec = None,
    only: Optional[Sequence[str]] = None, scan: synth_scan.Spec = None,
) -> list[Path]:
    """Write ``n`` reports and goldens into ``out_dir``; returns the source paths.

    Each golden is ``<source>.with_suffix(".json")``. Deterministic for a seed:
    document ``i`` depends only on ``(seed, i)``, so a larger ``n`` extends a
    smaller corpus without changing it. ``variations``/``only``/``scan``: see
    ``generate_document`` (``only={"chapter_style_paren"}`` forces one on).
    """
    if only is not None:
        variations = list(only)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fmts = tuple(formats) if formats else FORMATS
    paths = []
    for i in range(n):
        doc_id, ext, text, golden = generate_document(seed, i, fmts, variations, scan)
        src = out / f"{doc_id}.{ext}"
        if isinstance(text, bytes):
            src.write_bytes(text)
        else:
            src.write_text(text, encoding="utf-8")
        (out / f"{doc_id}.json").write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        paths.append(src)
    return paths


if __name__ == "__main__":  # python -m eval.synthetic N SEED OUT_DIR [VARIATIONS]
    import sys

    n_, seed_, out_ = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    var_ = sys.argv[4] if len(sys.argv) > 4 else None
    print("\n".join(str(p) for p in generate_corpus(n_, seed_, out_, variations=var_)))
