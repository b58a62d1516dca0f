"""The canonical keys of ``docs/template.md``, as data.

Everything else (the parser, the checks, the LLM prompts, the goldens'
validator) reads the layouts from here, so a key exists in one place only.
Labels are given in simplified characters; ``aliases`` are extra substrings
(OCR-damaged or reworded forms) that identify the same row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

TEMPLATES: tuple[str, ...] = ("2019", "2021", "legacy")

# Columns whose values are decimals in 万元; every other column is a count.
DECIMAL_COLUMNS = frozenset({"amount", "fees_collected"})
SIGNED_COLUMNS = frozenset({"change"})


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    columns: tuple[str, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    rows: tuple[Row, ...]
    column_labels: dict[str, str] = field(default_factory=dict)

    def row(self, key: str) -> Row:
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(key)


# --- 二、主动公开政府信息情况 -------------------------------------------------

_AD_2021_COLS = {
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "decisions": "本年处理决定数量",
    "amount": "本年收费金额（万元）",
}
ACTIVE_2021 = Table(
    "active_disclosure",
    "二、主动公开政府信息情况",
    (
        Row("regulations", "规章", ("issued", "repealed", "in_force")),
        Row("normative_documents", "行政规范性文件", ("issued", "repealed", "in_force"), ("规范性文件",)),
        Row("licensing", "行政许可", ("decisions",)),
        Row("penalty", "行政处罚", ("decisions",)),
        Row("coercion", "行政强制", ("decisions",)),
        Row("fees", "行政事业性收费", ("amount",)),
    ),
    _AD_2021_COLS,
)

_AD_2019_COLS = {
    "made": "本年新制作数量",
    "published": "本年新公开数量",
    "total_public": "对外公开总数量",
    "previous_items": "上一年项目数量",
    "change": "本年增/减",
    "decisions": "处理决定数量",
    "projects": "采购项目数量",
    "amount": "采购总金额（万元）",
}
_Y3 = ("previous_items", "change", "decisions")
ACTIVE_2019 = Table(
    "active_disclosure",
    "二、主动公开政府信息情况",
    (
        Row("regulations", "规章", ("made", "published", "total_public")),
        Row("normative_documents", "规范性文件", ("made", "published", "total_public")),
        Row("licensing", "行政许可", _Y3),
        Row("other_services", "其他对外管理服务事项", _Y3, ("对外管理服务",)),
        Row("penalty", "行政处罚", _Y3),
        Row("coercion", "行政强制", _Y3),
        Row("fees", "行政事业性收费", ("previous_items", "change"), ("事业性收费",)),
        Row("procurement", "政府集中采购", ("projects", "amount"), ("集中采购",)),
    ),
    _AD_2019_COLS,
)

# --- 三、收到和处理政府信息公开申请情况 --------------------------------------

APPLICANT_COLUMNS: tuple[str, ...] = (
    "natural_person",
    "commercial",
    "research",
    "social_welfare",
    "legal_service",
    "other_org",
    "total",
)
APPLICANT_COLUMN_LABELS = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "social_welfare": "社会公益组织",
    "legal_service": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
}

DENIED_ROWS = (
    "denied_state_secret",
    "denied_law_prohibited",
    "denied_three_safety",
    "denied_third_party",
    "denied_internal_affairs",
    "denied_process_info",
    "denied_enforcement_file",
    "denied_admin_query",
)
UNABLE_ROWS = ("unable_not_held", "unable_needs_creation", "unable_unclear")
NOT_PROCESSED_ROWS = (
    "not_processed_petition",
    "not_processed_duplicate",
    "not_processed_publication",
    "not_processed_excessive",
    "not_processed_confirmation",
)
OTHER_2021_ROWS = ("other_no_correction", "other_unpaid_fee", "other_misc")

_A = APPLICANT_COLUMNS


def _app_rows(other: tuple[Row, ...]) -> tuple[Row, ...]:
    return (
        Row("new_received", "本年新收政府信息公开申请数量", _A, ("本年新收", "新收政府信息")),
        Row("carried_over", "上年结转政府信息公开申请数量", _A, ("上年结转",)),
        Row("granted", "予以公开", _A),
        Row("partially_granted", "部分公开", _A, ("区分处理",)),
        Row("denied_state_secret", "属于国家秘密", _A, ("国家秘密",)),
        Row("denied_law_prohibited", "其他法律行政法规禁止公开", _A, ("法规禁止公开", "禁止公开")),
        Row("denied_three_safety", "危及“三安全一稳定”", _A, ("三安全一稳定", "三安全", "一稳定")),
        Row("denied_third_party", "保护第三方合法权益", _A, ("第三方合法", "第三方")),
        Row("denied_internal_affairs", "属于三类内部事务信息", _A, ("内部事务",)),
        Row("denied_process_info", "属于四类过程性信息", _A, ("过程性信息", "过程性")),
        Row("denied_enforcement_file", "属于行政执法案卷", _A, ("执法案卷",)),
        Row("denied_admin_query", "属于行政查询事项", _A, ("行政查询",)),
        Row("unable_not_held", "本机关不掌握相关政府信息", _A, ("不掌握相关", "不掌握")),
        Row("unable_needs_creation", "没有现成信息需要另行制作", _A, ("另行制作", "没有现成")),
        Row("unable_unclear", "补正后申请内容仍不明确", _A, ("仍不明确", "补正后")),
        Row("not_processed_petition", "信访举报投诉类申请", _A, ("信访举报", "举报投诉")),
        Row("not_processed_duplicate", "重复申请", _A),
        Row("not_processed_publication", "要求提供公开出版物", _A, ("公开出版物", "出版物")),
        Row("not_processed_excessive", "无正当理由大量反复申请", _A, ("大量反复", "反复申请")),
        Row(
            "not_processed_confirmation",
            "要求行政机关确认或重新出具已获取信息",
            _A,
            ("重新出具", "确认或重新", "已获取信息"),
        ),
        *other,
        Row("total_handled", "总计", _A, ("（七）总计",)),
        Row("carried_forward", "结转下年度继续办理", _A, ("结转下年度", "继续办理")),
    )


APPLICATIONS_2019 = Table(
    "applications",
    "三、收到和处理政府信息公开申请情况",
    _app_rows((Row("other_handling", "其他处理", _A),)),
    APPLICANT_COLUMN_LABELS,
)
APPLICATIONS_2021 = Table(
    "applications",
    "三、收到和处理政府信息公开申请情况",
    _app_rows(
        (
            Row("other_no_correction", "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", _A, ("逾期不补正", "不补正")),
            Row("other_unpaid_fee", "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", _A, ("缴纳费用", "收费通知")),
            Row("other_misc", "其他", _A),
        )
    ),
    APPLICANT_COLUMN_LABELS,
)

# --- 四、行政复议、行政诉讼 --------------------------------------------------

REVIEW_COLUMNS: tuple[str, ...] = ("upheld", "corrected", "other", "pending", "total")
REVIEW_LITIGATION = Table(
    "review_litigation",
    "四、政府信息公开行政复议、行政诉讼情况",
    (
        Row("review", "行政复议", REVIEW_COLUMNS),
        Row("litigation_direct", "未经复议直接起诉", REVIEW_COLUMNS, ("直接起诉",)),
        Row("litigation_after_review", "复议后起诉", REVIEW_COLUMNS),
    ),
    {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结", "total": "总计"},
)

# --- legacy (2008–2018) --------------------------------------------------------

LEGACY_INDICATORS: tuple[tuple[str, str], ...] = (
    ("proactive_total", "主动公开政府信息数"),
    ("proactive_normative_docs", "其中主动公开规范性文件数"),
    ("normative_docs_issued", "制发规范性文件总数"),
    ("applications_received", "收到申请数"),
    ("received_in_person", "当面申请数"),
    ("received_fax", "传真申请数"),
    ("received_online", "网络申请数"),
    ("received_letter", "信函申请数"),
    ("applications_closed", "申请办结数"),
    ("closed_on_time", "按时办结数"),
    ("closed_extended", "延期办结数"),
    ("replies_total", "申请答复数"),
    ("reply_already_public", "属于已主动公开范围数"),
    ("reply_granted", "同意公开答复数"),
    ("reply_partially_granted", "同意部分公开答复数"),
    ("reply_denied", "不同意公开答复数"),
    ("reply_not_this_agency", "不属于本行政机关公开数"),
    ("reply_not_exist", "申请信息不存在数"),
    ("reply_correction_requested", "告知作出更改补充数"),
    ("reply_other_channel", "告知通过其他途径办理数"),
    ("review_total", "行政复议数量"),
    ("review_upheld", "维持具体行政行为数"),
    ("review_corrected", "被依法纠错数"),
    ("review_other", "其他情形数"),
    ("litigation_total", "行政诉讼数量"),
    ("litigation_upheld", "维持具体行政行为或者驳回原告诉讼请求数"),
    ("litigation_corrected", "被依法纠错数"),
    ("litigation_other", "其他情形数"),
    ("complaints", "举报投诉数量"),
    ("fees_collected", "依申请公开信息收取的费用（万元）"),
)
LEGACY_KEYS: tuple[str, ...] = tuple(k for k, _ in LEGACY_INDICATORS)
# The same indicators as provincial forms print them (e.g. Fujian's 受理依申请公开信息总数).
LEGACY_ALIASES: dict[str, tuple[str, ...]] = {
    "proactive_total": ("主动公开信息数", "主动公开文件数", "主动公开政府信息总数"),
    "applications_received": ("受理依申请公开信息总数", "依申请公开信息总数", "受理政府信息公开申请数", "收到政府信息公开申请数"),
    "received_online": ("网上申请数",),
    "replies_total": ("对申请的答复总数", "对申请的答复数", "申请答复总数"),
    "reply_denied": ("否决公开答复数", "不予公开答复数"),
    "review_total": ("行政复议数",),
    "litigation_total": ("行政诉讼数",),
}
# Channels of application: a row naming two of them (信函、传真申请数) is none of the canonical ones.
LEGACY_CHANNEL_WORDS = ("当面", "传真", "网络", "网上", "信函", "电子邮件")
LEGACY = Table(
    "legacy",
    "政府信息公开情况统计表",
    (Row("indicators", "统计指标", LEGACY_KEYS),),
    dict(LEGACY_INDICATORS),
)


def tables_for(template: str) -> tuple[Table, ...]:
    """The tables a report of ``template`` prints, in report order."""
    if template == "2019":
        return (ACTIVE_2019, APPLICATIONS_2019, REVIEW_LITIGATION)
    if template == "2021":
        return (ACTIVE_2021, APPLICATIONS_2021, REVIEW_LITIGATION)
    if template == "legacy":
        return (LEGACY,)
    raise ValueError(f"unknown template {template!r}")


def table_for(template: str, table_key: str) -> Table:
    for t in tables_for(template):
        if t.key == table_key:
            return t
    raise KeyError(f"template {template} has no table {table_key!r}")


def expected_keys(template: str, *, other_form: str | None = None) -> list[str]:
    """Every flat key ``table.row.column`` of a template, in order.

    For table 三, the （六） rows follow what is printed: ``other_form`` is
    ``"single"`` (other_handling) or ``"split"`` (the three 2021 rows); by
    default the template's own form.
    """
    return list(_expected_keys(template, other_form))


@lru_cache(maxsize=64)
def _expected_keys(template: str, other_form: str | None) -> tuple[str, ...]:
    """The keys of ``expected_keys``, built once per template and form (every result asks)."""
    keys: list[str] = []
    for t in tables_for(template):
        rows = t.rows
        if t.key == "applications":
            rows = applications_rows(template, other_form)
        for r in rows:
            keys.extend(f"{t.key}.{r.key}.{c}" for c in r.columns)
    return tuple(keys)


def applications_rows(template: str, other_form: str | None = None) -> tuple[Row, ...]:
    """Rows of table 三 given which （六） form the report prints."""
    form = other_form or ("split" if template == "2021" else "single")
    base = APPLICATIONS_2021 if form == "split" else APPLICATIONS_2019
    return base.rows


# Words only the three 2021 （六） sub-rows print.
SPLIT_FORM_MARKERS = ("逾期不补正", "收费通知要求缴纳费用", "缴纳费用", "收费通知")


def rows_of(keys, table: str) -> set[str]:
    """The rows of ``table`` that flat ``table.row.column`` keys hold a cell of.

    One pass over the keys, where asking row by row walked them once per row.
    """
    prefix = table + "."
    return {parts[1] for k in keys if k.startswith(prefix) and len(parts := k.split(".", 2)) == 3}


def other_form_of_keys(keys) -> Optional[str]:
    """``single``/``split`` from the table-三 keys a result holds; None if it holds neither."""
    rows = rows_of(keys, "applications")
    if "other_handling" in rows:
        return "single"
    if any(r in rows for r in OTHER_2021_ROWS):
        return "split"
    return None


def all_valid_keys(template: str) -> set[str]:
    """Every key a result of ``template`` may hold (both （六） forms)."""
    keys = set(expected_keys(template, other_form="single"))
    if template != "legacy":
        keys |= set(expected_keys(template, other_form="split"))
    return keys


def flatten(tables: dict) -> dict[str, object]:
    """``{"t": {"r": {"c": v}}}`` → ``{"t.r.c": v}`` (legacy.extra is skipped)."""
    flat: dict[str, object] = {}
    for t, rows in (tables or {}).items():
        for r, cols in (rows or {}).items():
            if t == "legacy" and r == "extra":
                continue
            for c, v in (cols or {}).items():
                flat[f"{t}.{r}.{c}"] = v
    return flat
