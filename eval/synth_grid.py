"""The printed tables of a report as grids of cells with row/column spans.

One grid per table, shaped like the national forms (merged header cells,
group labels spanning rows). Every layout renders the same grid, so a
layout changes how a table looks, never what it holds. Value cells carry
their flat key; the golden value of each is decided by the cell printer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Optional

from extractor.template import APPLICANT_COLUMNS, REVIEW_COLUMNS

Printer = Callable[[Optional[float], str, str], tuple[str, Optional[float]]]


@dataclass
class GCell:
    text: str
    colspan: int = 1
    rowspan: int = 1
    role: str = "label"  # label | head | value | caption
    key: Optional[str] = None


@dataclass
class GRow:
    cells: list[GCell]
    kind: str = "data"  # caption | head | data


@dataclass
class Grid:
    table: str
    ncols: int
    rows: list[GRow] = field(default_factory=list)
    header_rows: int = 0  # leading rows repeated after a page break
    shape: str = ""  # e.g. "flat" or "grid" for table 四


@dataclass
class Covered:
    """A slot under a cell that spans down from an earlier row."""

    origin: GCell

    @property
    def colspan(self) -> int:
        return self.origin.colspan


def expand(grid: Grid) -> list[list]:
    """Each row's entries in column order: its own cells, and Covered slots."""
    taken: dict[tuple[int, int], GCell] = {}
    out = []
    for ri, row in enumerate(grid.rows):
        pending = list(row.cells)
        entries: list = []
        col = 0
        while col < grid.ncols and (pending or (ri, col) in taken):
            if (ri, col) in taken:
                origin = taken[(ri, col)]
                entries.append(Covered(origin))
                col += origin.colspan
                continue
            cell = pending.pop(0)
            entries.append(cell)
            for dr in range(1, cell.rowspan):
                taken[(ri + dr, col)] = cell
            col += cell.colspan
        entries.extend(pending)
        out.append(entries)
    return out


class Truth:
    """Collects the golden value of every printed cell."""

    def __init__(self) -> None:
        self.tables: dict = {}

    def put(self, key: str, value: Optional[float]) -> None:
        t, r, c = key.split(".")
        self.tables.setdefault(t, {}).setdefault(r, {})[c] = value


def _values(printer: Printer, truth: Truth, values: dict, table: str, row: str, cols: tuple[str, ...]) -> list[GCell]:
    cells = []
    for c in cols:
        key = f"{table}.{row}.{c}"
        text, gold = printer(values[row][c], c, row)
        truth.put(key, gold)
        cells.append(GCell(text, role="value", key=key))
    return cells


def _caption(text: str, ncols: int) -> GRow:
    return GRow([GCell(text, colspan=ncols, role="caption")], kind="caption")


def _head(cells: list[tuple[str, int]]) -> GRow:
    return GRow([GCell(t, colspan=s, role="head") for t, s in cells], kind="head")


def active_grid(template: str, values: dict, printer: Printer, truth: Truth, rng: random.Random) -> Grid:
    """Table 二, in its sub-tables per 第二十条 item."""
    g = Grid("active_disclosure", 4)
    T = "active_disclosure"
    item = lambda n: _caption(f"第二十条第（{n}）项", 4)  # noqa: E731
    norm_label = rng.choice(("规范性文件", "规范性文件（本单位制发的）")) if template == "2019" else "行政规范性文件"
    if template == "2019":
        g.rows += [item("一"), _head([("信息内容", 1), ("本年新制作数量", 1), ("本年新公开数量", 1), ("对外公开总数量", 1)])]
        cols3 = ("made", "published", "total_public")
        g.rows.append(GRow([GCell(rng.choice(("规章", "规    章"))), *_values(printer, truth, values, T, "regulations", cols3)]))
        g.rows.append(GRow([GCell(norm_label), *_values(printer, truth, values, T, "normative_documents", cols3)]))
        y3 = ("previous_items", "change", "decisions")
        h3 = _head([("信息内容", 1), ("上一年项目数量", 1), ("本年增/减", 1), ("处理决定数量", 1)])
        g.rows += [item("五"), h3]
        g.rows.append(GRow([GCell("行政许可"), *_values(printer, truth, values, T, "licensing", y3)]))
        g.rows.append(GRow([GCell("其他对外管理服务事项"), *_values(printer, truth, values, T, "other_services", y3)]))
        g.rows += [item("六"), _head([("信息内容", 1), ("上一年项目数量", 1), ("本年增/减", 1), ("处理决定数量", 1)])]
        g.rows.append(GRow([GCell("行政处罚"), *_values(printer, truth, values, T, "penalty", y3)]))
        g.rows.append(GRow([GCell("行政强制"), *_values(printer, truth, values, T, "coercion", y3)]))
        g.rows += [item("八"), _head([("信息内容", 1), ("上一年项目数量", 1), ("本年增/减", 2)])]
        fees = _values(printer, truth, values, T, "fees", ("previous_items", "change"))
        fees[-1].colspan = 2
        g.rows.append(GRow([GCell("行政事业性收费"), *fees]))
        g.rows += [item("九"), _head([("信息内容", 1), ("采购项目数量", 1), (rng.choice(("采购总金额", "采购总金额（万元）")), 2)])]
        proc = _values(printer, truth, values, T, "procurement", ("projects", "amount"))
        proc[-1].colspan = 2
        g.rows.append(GRow([GCell("政府集中采购"), *proc]))
        return g
    g.rows += [item("一"), _head([("信息内容", 1), ("本年制发件数", 1), ("本年废止件数", 1), ("现行有效件数", 1)])]
    cols3 = ("issued", "repealed", "in_force")
    g.rows.append(GRow([GCell("规章"), *_values(printer, truth, values, T, "regulations", cols3)]))
    g.rows.append(GRow([GCell(norm_label), *_values(printer, truth, values, T, "normative_documents", cols3)]))
    g.rows += [item("五"), _head([("信息内容", 1), ("本年处理决定数量", 3)])]
    for row, label in (("licensing", "行政许可"),):
        cells = _values(printer, truth, values, T, row, ("decisions",))
        cells[0].colspan = 3
        g.rows.append(GRow([GCell(label), *cells]))
    g.rows += [item("六"), _head([("信息内容", 1), ("本年处理决定数量", 3)])]
    for row, label in (("penalty", "行政处罚"), ("coercion", "行政强制")):
        cells = _values(printer, truth, values, T, row, ("decisions",))
        cells[0].colspan = 3
        g.rows.append(GRow([GCell(label), *cells]))
    g.rows += [item("八"), _head([("信息内容", 1), (rng.choice(("本年收费金额（单位：万元）", "本年收费金额（万元）")), 3)])]
    cells = _values(printer, truth, values, T, "fees", ("amount",))
    cells[0].colspan = 3
    g.rows.append(GRow([GCell("行政事业性收费"), *cells]))
    return g


_OTHER_SPLIT_LABELS = (
    ("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("other_unpaid_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("other_misc", "3.其他"),
)


_APPLICANT_HEADS = {
    "natural_person": "自然人", "commercial": "商业企业", "research": "科研机构", "social_welfare": "社会公益组织",
    "legal_service": "法律服务机构", "other_org": "其他", "total": "总计",
}
LEGAL_COLUMNS = ("commercial", "research", "social_welfare", "legal_service", "other_org")


def applications_grid(
    form: str, values: dict, printer: Printer, truth: Truth, rng: random.Random,
    order: Optional[tuple[str, ...]] = None, subtotal: bool = False, unit: str = "",
) -> Grid:
    """Table 三: 3 label columns, 7 applicant columns, group labels spanning rows.

    ``order``: the applicant columns as printed (the legal-person ones stay
    together under 法人或其他组织); ``subtotal``: a 小计 column after them
    (printed, not scored).
    """
    T = "applications"
    cols: tuple[str, ...] = tuple(order) if order else APPLICANT_COLUMNS
    legal = [c for c in cols if c in LEGAL_COLUMNS]
    n_legal = len(legal) + (1 if subtotal else 0)
    g = Grid(T, 3 + len(cols) + (1 if subtotal else 0), header_rows=3)
    note = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    g.rows.append(GRow([GCell(note, colspan=3, rowspan=3, role="head"), GCell("申请人情况" + unit, colspan=g.ncols - 3, role="head")], "head"))
    mid: list[GCell] = []
    low: list[GCell] = []
    printed: list[Optional[str]] = []  # value columns in print order; None = 小计
    for c in cols:
        if c in LEGAL_COLUMNS:
            if c == legal[0]:
                mid.append(GCell("法人或其他组织", colspan=n_legal, role="head"))
                for lc in legal:
                    low.append(GCell(_APPLICANT_HEADS[lc], role="head"))
                    printed.append(lc)
                if subtotal:
                    low.append(GCell("小计", role="head"))
                    printed.append(None)
            continue
        mid.append(GCell(_APPLICANT_HEADS[c], rowspan=2, role="head"))
        printed.append(c)
    g.rows.append(GRow(mid, "head"))
    g.rows.append(GRow(low, "head"))

    def row(label_cells: list[GCell], key: str) -> None:
        cells = _values(printer, truth, values, T, key, tuple(c for c in printed if c))
        if subtotal:
            sub = [values[key][c] for c in legal]
            text = "" if any(v is None for v in sub) else str(int(sum(sub)))
            at = printed.index(None)
            cells.insert(at, GCell(text, role="value", key=None))
        g.rows.append(GRow([*label_cells, *cells]))

    row([GCell("一、本年新收政府信息公开申请数量", colspan=3)], "new_received")
    row([GCell("二、上年结转政府信息公开申请数量", colspan=3)], "carried_over")
    n_result = 2 + 8 + 3 + 5 + (1 if form == "single" else 3) + 1
    row([GCell("三、本年度办理结果", rowspan=n_result), GCell("（一）予以公开", colspan=2)], "granted")
    row([GCell("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", colspan=2)], "partially_granted")
    groups = (
        ("（三）不予公开", (
            ("denied_state_secret", "1.属于国家秘密"),
            ("denied_law_prohibited", "2.其他法律行政法规禁止公开"),
            ("denied_three_safety", "3.危及“三安全一稳定”"),
            ("denied_third_party", "4.保护第三方合法权益"),
            ("denied_internal_affairs", "5.属于三类内部事务信息"),
            ("denied_process_info", "6.属于四类过程性信息"),
            ("denied_enforcement_file", "7.属于行政执法案卷"),
            ("denied_admin_query", "8.属于行政查询事项"),
        )),
        ("（四）无法提供", (
            ("unable_not_held", "1.本机关不掌握相关政府信息"),
            ("unable_needs_creation", "2.没有现成信息需要另行制作"),
            ("unable_unclear", "3.补正后申请内容仍不明确"),
        )),
        ("（五）不予处理", (
            ("not_processed_petition", "1.信访举报投诉类申请"),
            ("not_processed_duplicate", "2.重复申请"),
            ("not_processed_publication", "3.要求提供公开出版物"),
            ("not_processed_excessive", "4.无正当理由大量反复申请"),
            ("not_processed_confirmation", "5.要求行政机关确认或重新出具已获取信息"),
        )),
    )
    if form == "split":
        groups += (("（六）其他处理", _OTHER_SPLIT_LABELS),)
    for group, members in groups:
        for i, (key, label) in enumerate(members):
            cells = [GCell(group, rowspan=len(members))] if i == 0 else []
            row([*cells, GCell(label)], key)
    if form == "single":
        row([GCell("（六）其他处理", colspan=2)], "other_handling")
    row([GCell("（七）总计", colspan=2)], "total_handled")
    row([GCell("四、结转下年度继续办理", colspan=3)], "carried_forward")
    return g


_REVIEW_HEADS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
_REVIEW_ROWS = ("review", "litigation_direct", "litigation_after_review")


def review_grid(shape: str, values: dict, printer: Printer, truth: Truth, rng: random.Random) -> Grid:
    """Table 四 as the national form (one flat row of 15) or as a 3×5 grid."""
    T = "review_litigation"
    if shape == "grid":
        g = Grid(T, 6, header_rows=1, shape="grid")
        g.rows.append(_head([("", 1), *((h, 1) for h in _REVIEW_HEADS)]))
        labels = ("行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）")
        for key, label in zip(_REVIEW_ROWS, labels):
            g.rows.append(GRow([GCell(label), *_values(printer, truth, values, T, key, REVIEW_COLUMNS)]))
        return g
    g = Grid(T, 15, header_rows=3, shape="flat")
    g.rows.append(GRow([GCell("行政复议", colspan=5, role="head"), GCell("行政诉讼", colspan=10, role="head")], "head"))
    g.rows.append(
        GRow(
            [*(GCell(h, rowspan=2, role="head") for h in _REVIEW_HEADS),
             GCell("未经复议直接起诉", colspan=5, role="head"), GCell("复议后起诉", colspan=5, role="head")],
            "head",
        )
    )
    g.rows.append(_head([(h, 1) for h in _REVIEW_HEADS * 2]))
    flat: list[GCell] = []
    for key in _REVIEW_ROWS:
        flat += _values(printer, truth, values, T, key, REVIEW_COLUMNS)
    g.rows.append(GRow(flat))
    return g


def add_head_units(grid: Grid, rng: random.Random) -> int:
    """Units in header cells: 本年制发件数（件）, 结果维持（件）, …（万元）."""
    n = 0
    for row in grid.rows:
        if row.kind != "head":
            continue
        for c in row.cells:
            t = c.text
            if not t or "（" in t and ("万元" in t or "件" in t):
                continue
            if "金额" in t:
                c.text = t + "（万元）"
            elif t.endswith(("数量", "件数", "结果", "维持", "纠正", "审结", "总计", "自然人", "其他", "机构", "企业", "组织")):
                c.text = t + rng.choice(("（件）", "(件)", "（个）" if "项目" in t else "（件）"))
            else:
                continue
            n += 1
    return n


def blank_edges(grid: Grid, truth: Truth, rng: random.Random, rate: float = 0.2) -> int:
    """Some data rows print their first or last value cell blank; the truth is null."""
    n = 0
    for row in grid.rows:
        vals = [c for c in row.cells if c.role == "value" and c.key and "+" not in c.key]
        if row.kind != "data" or len(vals) < (1 if grid.table == "legacy" else 3) or rng.random() >= rate:
            continue
        cell = vals[0] if rng.random() < 0.5 else vals[-1]
        cell.text = ""
        truth.put(cell.key, None)
        n += 1
    return n


# (key or "" for a section line or "extra:<n>" for an unscored indicator, label, unit)
LEGACY_ROWS: tuple[tuple[str, str, str], ...] = (
    ("", "一、主动公开情况", ""),
    ("proactive_total", "（一）主动公开政府信息数", "条"),
    ("proactive_normative_docs", "其中：主动公开规范性文件数", "条"),
    ("normative_docs_issued", "制发规范性文件总数", "件"),
    ("extra:web", "（二）通过政府网站公开政府信息数", "条"),
    ("extra:gazette", "（三）通过政府公报公开政府信息数", "条"),
    ("", "二、依申请公开情况", ""),
    ("applications_received", "（一）收到申请数", "件"),
    ("received_in_person", "1.当面申请数", "件"),
    ("received_fax", "2.传真申请数", "件"),
    ("received_online", "3.网络申请数", "件"),
    ("received_letter", "4.信函申请数", "件"),
    ("applications_closed", "（二）申请办结数", "件"),
    ("closed_on_time", "1.按时办结数", "件"),
    ("closed_extended", "2.延期办结数", "件"),
    ("replies_total", "（三）申请答复数", "件"),
    ("reply_already_public", "1.属于已主动公开范围数", "件"),
    ("reply_granted", "2.同意公开答复数", "件"),
    ("reply_partially_granted", "3.同意部分公开答复数", "件"),
    ("reply_denied", "4.不同意公开答复数", "件"),
    ("extra:secret", "其中：涉及国家秘密", "件"),
    ("extra:privacy", "涉及个人隐私", "件"),
    ("extra:notinfo", "不是《条例》所指政府信息", "件"),
    ("reply_not_this_agency", "5.不属于本行政机关公开数", "件"),
    ("reply_not_exist", "6.申请信息不存在数", "件"),
    ("reply_correction_requested", "7.告知作出更改补充数", "件"),
    ("reply_other_channel", "8.告知通过其他途径办理数", "件"),
    ("review_total", "三、行政复议数量", "件"),
    ("review_upheld", "（一）维持具体行政行为数", "件"),
    ("review_corrected", "（二）被依法纠错数", "件"),
    ("review_other", "（三）其他情形数", "件"),
    ("litigation_total", "四、行政诉讼数量", "件"),
    ("litigation_upheld", "（一）维持具体行政行为或者驳回原告诉讼请求数", "件"),
    ("litigation_corrected", "（二）被依法纠错数", "件"),
    ("litigation_other", "（三）其他情形数", "件"),
    ("complaints", "五、举报投诉数量", "件"),
    ("fees_collected", "六、依申请公开信息收取的费用", "万元"),
    ("", "七、机构建设和保障经费情况", ""),
    ("extra:office", "（一）政府信息公开工作专门机构数", "个"),
    ("extra:staff", "（二）从事政府信息公开工作人员数", "人"),
    ("extra:budget", "（三）政府信息公开专项经费", "万元"),
)


def legacy_grid(values: dict, printer: Printer, truth: Truth, rng: random.Random, forms: frozenset = frozenset()) -> Grid:
    """The pre-2019 统计表: indicator, unit, figure; unscored rows included.

    ``forms`` (variations): ``legacy_unit_in_label`` (数(条), no unit column),
    ``legacy_two_value_cols`` (本年度 | 累计), ``legacy_extra_channels``
    (e-mail, web, other channels), ``legacy_section_rows`` (section lines as
    rows with empty cells).
    """
    unit_col = "legacy_unit_in_label" not in forms
    two = "legacy_two_value_cols" in forms
    ncols = 1 + int(unit_col) + 1 + int(two)
    g = Grid("legacy", ncols, header_rows=1)
    heads = [rng.choice(("统计指标", "统 计 指 标"))] + (["单位"] if unit_col else [])
    heads += ["本年度", "累计"] if two else ["统计数"]
    g.rows.append(_head([(h, 1) for h in heads]))
    ind = values["indicators"]
    denied = ind["reply_denied"]
    secret = rng.randint(0, denied) if denied else 0
    privacy = rng.randint(0, denied - secret) if denied else 0
    extras = {
        "web": rng.randint(0, ind["proactive_total"]),
        "gazette": rng.randint(0, 300),
        "secret": secret,
        "privacy": privacy,
        "notinfo": denied - secret - privacy,
        "office": rng.randint(1, 3),
        "staff": rng.randint(1, 60),
        "budget": rng.choice((0, 2, 5, 10, 12.5, 30)),
    }
    rows = list(LEGACY_ROWS)
    if "legacy_extra_channels" in forms:
        online = ind["received_online"] or 0
        email = rng.randint(0, online)
        extras.update(email=email, website=online - email, other_channel=0)
        at = [k for k, _, _ in rows].index("received_online") + 1
        rows[at:at] = [("extra:email", "其中：电子邮件申请数", "件"), ("extra:website", "网站申请数", "件")]
        at = [k for k, _, _ in rows].index("received_letter") + 1
        rows[at:at] = [("extra:other_channel", rng.choice(("5.其他申请数", "5.其他形式申请数")), "件")]

    def cells(label: str, unit: str, value: GCell, cum: str) -> list[GCell]:
        out = [GCell(f"{label}({unit})" if not unit_col and unit else label)]
        if unit_col:
            out.append(GCell(unit))
        out.append(value)
        if two:  # printed like a figure (right-aligned), never scored
            out.append(GCell(cum, role="value"))
        return out

    def cumulative(text: str, v) -> str:
        if not two or v is None or not text.strip():
            return ""
        return str(round(v * rng.randint(3, 9) + rng.randint(0, 50), 2) if isinstance(v, float) else v * rng.randint(3, 9) + rng.randint(0, 50))

    for key, label, unit in rows:
        if not key:
            if "legacy_section_rows" in forms:
                g.rows.append(GRow([GCell(label)] + [GCell("") for _ in range(ncols - 1)]))
            else:
                g.rows.append(GRow([GCell(label, colspan=ncols)], "caption"))
        elif key.startswith("extra:"):
            v = extras[key[6:]]
            g.rows.append(GRow(cells(label, unit, GCell(str(v)), cumulative(str(v), v))))
        else:
            full = f"legacy.indicators.{key}"
            text, gold = printer(ind[key], key, "indicators")
            truth.put(full, gold)
            g.rows.append(GRow(cells(label, unit, GCell(text, role="value", key=full), cumulative(text, ind[key]))))
    return g


def merge_adjacent(grid: Grid, rng: random.Random, rate: float = 0.15) -> int:
    """Damage: two neighbouring single-digit value cells printed as one (``00``).

    The golden keeps both values: a reader of the page still sees two cells.
    """
    merged = 0
    for row in grid.rows:
        if row.kind != "data":
            continue
        i = 0
        cells = row.cells
        while i < len(cells) - 1:
            a, b = cells[i], cells[i + 1]
            if (
                a.role == b.role == "value" and a.key and b.key
                and len(a.text) == 1 and len(b.text) == 1
                and a.text.isdigit() and b.text.isdigit()
                and rng.random() < rate
            ):
                cells[i] = GCell(a.text + b.text, colspan=a.colspan + b.colspan, role="value", key=f"{a.key}+{b.key}")
                del cells[i + 1]
                merged += 1
            i += 1
    return merged
