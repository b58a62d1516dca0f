"""Small reports built by the tests, with their truth known by construction."""

from __future__ import annotations

import random
from typing import Optional

from extractor.template import (
    ACTIVE_2019,
    ACTIVE_2021,
    APPLICANT_COLUMNS,
    REVIEW_COLUMNS,
    REVIEW_LITIGATION,
    applications_rows,
)

GROUP = {"granted": "三、本年度办理结果", "denied_state_secret": "（三）不予公开", "unable_not_held": "（四）无法提供",
         "not_processed_petition": "（五）不予处理", "other_no_correction": "（六）其他处理"}
NUMBERED = {
    "new_received": "一、本年新收政府信息公开申请数量", "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "（一）予以公开", "partially_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "total_handled": "（七）总计", "carried_forward": "四、结转下年度继续办理", "other_handling": "（六）其他处理",
}


def consistent_values(template: str, seed: int = 0) -> dict[str, float]:
    """Values for every key of a template whose checks all pass."""
    rnd = random.Random(seed)
    v: dict[str, float] = {}
    active = ACTIVE_2021 if template == "2021" else ACTIVE_2019
    for r in active.rows:
        for c in r.columns:
            v[f"active_disclosure.{r.key}.{c}"] = round(rnd.uniform(1, 900), 2) if c == "amount" else rnd.randint(0, 300)
    rows = applications_rows(template)
    handled = [r.key for r in rows if r.key not in ("new_received", "carried_over", "total_handled", "carried_forward")]
    parties = APPLICANT_COLUMNS[:-1]
    for r in handled:
        for c in parties:
            v[f"applications.{r}.{c}"] = rnd.choice([0, 0, 0, rnd.randint(0, 40)])
    for c in parties:
        total = sum(v[f"applications.{r}.{c}"] for r in handled)
        fwd = rnd.randint(0, 5)
        old = rnd.randint(0, min(5, total + fwd))
        v[f"applications.total_handled.{c}"] = total
        v[f"applications.carried_forward.{c}"] = fwd
        v[f"applications.carried_over.{c}"] = old
        v[f"applications.new_received.{c}"] = total + fwd - old
    for r in rows:
        v[f"applications.{r.key}.total"] = sum(v[f"applications.{r.key}.{c}"] for c in parties)
    for r in REVIEW_LITIGATION.rows:
        parts = [rnd.randint(0, 6) for _ in range(4)]
        for c, x in zip(REVIEW_COLUMNS, parts + [sum(parts)]):
            v[f"review_litigation.{r.key}.{c}"] = x
    return v


def _fmt(x) -> str:
    return "" if x is None else str(x)


def render(template: str, values: dict, layout: str = "pipe", *, agency: str = "测试县人民政府", year: int = 2019,
           drop_rows: tuple[str, ...] = (), split_label: Optional[str] = None, page_number_after: Optional[str] = None,
           flat_review: bool = True, vertical_label: Optional[str] = None, repeat_header_after: Optional[str] = None) -> str:
    """A report in one of the layouts: pipe | tab | lines | aligned."""
    sep = {"pipe": " | ", "tab": "\t", "aligned": "    "}.get(layout)

    def row(label: str, cells: list) -> list[str]:
        if layout == "lines":
            return [label] + [_fmt(c) for c in cells] + [""]
        return [sep.join([label] + [_fmt(c) for c in cells])]

    out = [f"{agency}{year}年政府信息公开工作年度报告", "", "一、总体情况",
           f"{year}年，本机关认真落实政府信息公开条例，全年依法办理各类申请。", "二、主动公开政府信息情况"]
    active = ACTIVE_2021 if template == "2021" else ACTIVE_2019
    out += row("信息内容", [active.column_labels[c] for c in active.rows[0].columns])
    for r in active.rows:
        if f"active_disclosure.{r.key}" in drop_rows:
            continue
        out += row(r.label, [values.get(f"active_disclosure.{r.key}.{c}") for c in r.columns])
    out += ["三、收到和处理政府信息公开申请情况"]
    out += row("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", ["申请人情况"])
    out += row("", ["自然人", "法人或其他组织", "", "", "", "", "总计"])
    out += row("", ["", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""])
    for r in applications_rows(template):
        if f"applications.{r.key}" in drop_rows:
            continue
        label = NUMBERED.get(r.key, r.label)
        if r.key.startswith(("denied_", "unable_", "not_processed_", "other_")) and r.key not in ("other_handling",):
            label = f"{r.label}"
        cells = [values.get(f"applications.{r.key}.{c}") for c in APPLICANT_COLUMNS]
        if r.key in GROUP and layout == "lines":
            out += [GROUP[r.key]]
        if vertical_label == r.key:
            out += list(label) + ([""] if layout == "lines" else [])
            out += row("", cells)[0:] if layout != "lines" else [_fmt(c) for c in cells] + [""]
            continue
        if split_label == r.key:
            cut = len(label) // 2
            out += [label[:cut]]
            out += row(label[cut:], cells)
        else:
            out += row(label, cells)
        if page_number_after == r.key:
            out += ["", "- 4 -", ""]
        if repeat_header_after == r.key:
            out += row("", ["自然人", "法人或其他组织", "", "", "", "", "总计"])
    out += ["四、政府信息公开行政复议、行政诉讼情况"]
    out += row("行政复议", ["", "", "", "", "行政诉讼"])
    out += row("", ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3)
    review = [values.get(f"review_litigation.{r.key}.{c}") for r in REVIEW_LITIGATION.rows for c in REVIEW_COLUMNS]
    if flat_review:
        if layout == "lines":
            out += [_fmt(x) for x in review]
        else:
            out += [sep.join(_fmt(x) for x in review)]
    else:
        for r in REVIEW_LITIGATION.rows:
            out += row(r.label, [values.get(f"review_litigation.{r.key}.{c}") for c in REVIEW_COLUMNS])
    out += ["五、存在的主要问题及改进情况", "工作中仍存在一些不足，下一步将继续改进。", "六、其他需要报告的事项", "无。"]
    return "\n".join(out) + "\n"
