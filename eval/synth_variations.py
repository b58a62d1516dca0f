"""Named real-world variations of a synthetic report (issue 9).

Each variation is a switch with a probability. A corpus draws them only
when asked (``variations="all"``: each at its probability; a set of names:
exactly those, forced on wherever they can apply); ``variations=None``
gives today's corpus byte for byte. A variation that applies to a document
is recorded in its golden's notes (``"variations"``), so the harness breaks
accuracy down by it. The truth stays exact: every variation changes how a
figure is printed or where, never what the golden says the report holds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterable, Optional, Union

TEXT = ("pipe", "tab", "cell_per_line", "spaced")
ANY = None  # every layout


@dataclass(frozen=True)
class Variation:
    name: str
    what: str
    p: float  # probability in a mixed ("all") corpus
    templates: tuple[str, ...] = ("2019", "2021")
    layouts: Optional[tuple[str, ...]] = ANY
    group: str = ""  # mutually exclusive choices share a group


_T = ("2019", "2021")
_ALL_T = ("2019", "2021", "legacy")
_L = ("legacy",)

VARIATIONS: tuple[Variation, ...] = (
    # 1. structure: finding a table's region
    Variation("chapter_style_paren", "chapters numbered （一）（二）…, sub-parts 1. 2.", 0.06, _ALL_T, group="chapter"),
    Variation("chapter_style_part", "chapters 第一部分 总体情况 …", 0.04, _ALL_T, group="chapter"),
    Variation("chapter_style_zhang", "chapters 第一章 总体情况 …", 0.03, _ALL_T, group="chapter"),
    Variation("chapter_style_dot", "chapters 1.总体情况 2.主动公开…", 0.05, _ALL_T, group="chapter"),
    Variation("chapter_style_dunhao", "chapters 1、总体情况 …", 0.04, _ALL_T, group="chapter"),
    Variation("chapter_style_markdown", "chapters as markdown headings without numbers (# 总体情况)", 0.03, _ALL_T, group="chapter"),
    Variation("chapter_style_bold", "chapters bold without numbers (**主动公开政府信息情况**)", 0.03, _ALL_T, group="chapter"),
    Variation("chapter_style_none", "chapter titles alone on a line, no numbering", 0.05, _ALL_T, group="chapter"),
    Variation("overview_subheadings", "总体情况 has sub-headings named like the chapters (1.主动公开情况, （三）…复议、诉讼情况)", 0.25),
    Variation("prose_mentions", "prose before a table repeats its words and figures (第二十条, 本年新收…N件, 行政复议N件、行政诉讼N件, 结果维持)", 0.35),
    Variation("appendix_tables", "tables after the body as 附表1-3; the body says 详见附表", 0.12),
    Variation("table_captions", "a caption line before each table (表三 / 附表2 / 表1：…)", 0.2),
    Variation("table_interrupted", "tables cut by a page number, running title, 续表 and/or repeated header, then continuing", 0.2, _ALL_T, TEXT + ("markdown",)),
    # 2. narrow columns
    Variation("label_wrap_tail", "long row labels wrapped over 2-3 lines, the tail printed before or after the numbers", 0.15, _ALL_T, TEXT),
    Variation("vertical_group_labels", "group labels (（五）不予处理, 三、本年度办理结果) one char or chunk per row/line", 0.15, _T, TEXT + ("html",)),
    Variation("header_wrap", "header words wrapped over lines (本年新/制作数/量, 结果维/持, 尚未/审结)", 0.15, _ALL_T, TEXT + ("html", "markdown")),
    # 3. columns
    Variation("subtotal_column", "table 三 with a 小计 column for 法人或其他组织", 0.08),
    Variation("column_order", "table 三 columns in another order (总计 first, legal-person columns permuted)", 0.06),
    Variation("header_units", "units in header cells (本年制发件数（件）, 结果维持（件）) and a 单位：件 line", 0.15),
    Variation("cell_units", "units in most value cells (27件, 3个, 4935000元 = 493.5万元)", 0.1, _ALL_T),
    Variation("blank_edge_cells", "some rows print their first or last value cell blank (truth null)", 0.08, _ALL_T),
    # 4. pre-2019 forms
    Variation("legacy_unit_in_label", "legacy: unit inside the label (主动公开政府信息数(条)), no unit column", 0.2, _L),
    Variation("legacy_two_value_cols", "legacy: two value columns 本年度 | 累计 (the year's column is the value)", 0.15, _L),
    Variation("legacy_extra_channels", "legacy: channels beyond the four (电子邮件申请数, 网站申请数, 其他)", 0.2, _L),
    Variation("legacy_section_rows", "legacy: section rows (一、主动公开情况) printed as rows with empty cells", 0.3, _L),
    Variation("legacy_flattened", "legacy: the statistics table flattened into running text (label digits label digits)", 0.08, _L, group="legacy_form"),
    Variation("legacy_prose_only", "legacy: figures only in prose sentences; ungrounded keys are null", 0.08, _L, group="legacy_form"),
    # 5. titles
    Variation("title_guanyu", "title X关于2024年度政府信息公开工作的报告", 0.1, _ALL_T, group="title"),
    Variation("title_portal", "title with a portal prefix (某市人民政府门户网站-X2020年…)", 0.06, _ALL_T, group="title"),
    Variation("title_split", "title split over 2-3 lines", 0.08, _ALL_T, group="title"),
    Variation("title_meta", "发布机构：/来源： line and a date line under the title, signature block at the end", 0.2, _ALL_T),
    # 6. damage
    Variation("stray_marks", "stray marks before/after numbers (_0件, `, ¨, :, ~)", 0.08, _ALL_T),
    Variation("split_digits", "digits split by spaces in any cell and layout (2 6, 1 2 3, 本年增加 2 6 项)", 0.08, _ALL_T),
    Variation("cell_dropped_merged", "cells dropped (blank, null) or two cells merged into one (00)", 0.08, _ALL_T),
)
BY_NAME = {v.name: v for v in VARIATIONS}
NAMES = tuple(BY_NAME)
CHAPTER_STYLES = {
    v.name: {"markdown": "markdown_plain", "bold": "bold_plain"}.get(v.name[14:], v.name[14:]) for v in VARIATIONS if v.group == "chapter"
}

Spec = Union[None, str, Iterable[str]]


def parse_spec(spec: Spec, known: tuple[str, ...] = NAMES, what: str = "variation(s)", default: str = "off") -> tuple[str, frozenset[str]]:
    """``(mode, names)``: mode "off", "all" (each at its probability) or "only".

    ``known``/``what``/``default`` let other switch families (the scan
    damage of ``synth_scan``) read their specs the same way.
    """
    if spec is None:
        return default, frozenset()
    if isinstance(spec, str):
        if spec.strip() in ("all", "*", "mix"):
            return "all", frozenset()
        if spec.strip() in ("", "none", "off", "clean"):
            return "off", frozenset()
        spec = [s.strip() for s in spec.split(",") if s.strip()]
    names = frozenset(spec)
    unknown = sorted(names - set(known))
    if unknown:
        raise ValueError(f"unknown {what} {unknown}; choose from {list(known)}")
    return "only", names


def applies(name: str, template: str, layout: str) -> bool:
    v = BY_NAME[name]
    return template in v.templates and (v.layouts is None or layout in v.layouts)


def draw(rng: random.Random, mode: str, names: frozenset[str], template: str, layout: str) -> set[str]:
    """The variations of one document (groups: at most one of each)."""
    if mode == "off":
        return set()
    out: set[str] = set()
    groups: set[str] = set()
    for v in VARIATIONS:
        if mode == "all":
            hit = rng.random() < v.p
        else:
            hit = v.name in names
        if not hit or not applies(v.name, template, layout):
            continue
        if v.group and v.group in groups:
            continue
        out.add(v.name)
        if v.group:
            groups.add(v.group)
    return out


def steer(rng: random.Random, names: frozenset[str], template: str, layout_by_fmt: dict[str, tuple[str, ...]], fmt: str, layout: str):
    """For a forced corpus: a template and layout where the forced variations can apply."""
    vs = [BY_NAME[n] for n in sorted(names)]
    temps = [t for t in ("2019", "2021", "legacy") if all(t in v.templates for v in vs)]
    if not temps:  # e.g. a legacy-only and a table-三 variation together: let each apply where it can
        temps = sorted({t for v in vs for t in v.templates})
    if template not in temps:
        template = rng.choice(temps)
    pairs = [(f, lay) for f, lays in layout_by_fmt.items() for lay in lays if all(v.layouts is None or lay in v.layouts for v in vs)]
    if pairs and (fmt, layout) not in pairs:
        fmt, layout = rng.choice(pairs)
    return template, fmt, layout
