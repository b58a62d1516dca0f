"""Tables found by their content; agency and year from every title form.

Each family re-dresses the real seed reports (goldens/) in one way real
archives do — chapters numbered otherwise, an overview that repeats the
chapter names, prose that names a table's words, tables moved to an
appendix — and asserts the goldens' cells still come out, exactly.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from extractor.normalise import normalise_text
from extractor.pipeline import extract_text
from extractor.template import flatten
from extractor.title import read_title

GOLDENS = Path(__file__).resolve().parents[1] / "goldens"
SEEDS = sorted(p.stem for p in GOLDENS.glob("*.json"))
CN = "一二三四五六"
_CHAPTER = re.compile(r"^(\s*(?:#+\s*|\*\*)?)([一二三四五六])\s*[、.．]\s*(.{2,40}?)(\*\*)?\s*$")


def _golden(stem: str) -> dict:
    return json.loads((GOLDENS / f"{stem}.json").read_text(encoding="utf-8"))


def _text(stem: str) -> str:
    return (GOLDENS / _golden(stem)["source"]).read_text(encoding="utf-8")


def _restyle(text: str, style) -> str:
    out = []
    for line in text.split("\n"):
        m = _CHAPTER.match(line)
        if m and not re.search(r"\d", m.group(3)) and "\t" not in line and "|" not in line:
            k = CN.index(m.group(2)) + 1
            line = f"{m.group(1)}{style(m.group(2), k, m.group(3))}{m.group(4) or ''}"
        out.append(line)
    return "\n".join(out)


OVERVIEW = (
    "（一）主动公开情况\n本年度主动公开政府信息125条，其中规范性文件3件。\n"
    "（二）依申请公开情况\n本年新收政府信息公开申请12件，上年结转政府信息公开申请3件，结转下年度继续办理1件。\n"
    "2.依申请公开情况\n根据《条例》第二十条、第二十一条，本机关依法公开。\n"
    "（三）政府信息公开行政复议、行政诉讼情况\n本年度发生行政复议1件、行政诉讼2件，结果维持1件。\n"
)

FAMILIES = {
    "chapters_paren": lambda t: _restyle(t, lambda c, k, title: f"（{c}）{title}"),
    "chapters_part": lambda t: _restyle(t, lambda c, k, title: f"第{c}部分 {title}"),
    "chapters_arabic": lambda t: _restyle(t, lambda c, k, title: f"{k}.{title}"),
    "chapters_unnumbered": lambda t: _restyle(t, lambda c, k, title: title),
    "overview_repeats_chapters": lambda t: _restyle(
        t, lambda c, k, title: title + ("\n" + OVERVIEW.rstrip() if k == 1 else "")),
}


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return Decimal(str(a)) == Decimal(str(b))


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("stem", SEEDS)
def test_tables_found_whatever_the_chapters(stem, family):
    golden = _golden(stem)
    text = FAMILIES[family](_text(stem))
    result = extract_text(text, golden["source"])
    assert result.template == golden["template"]
    truth, got = flatten(golden["tables"]), flatten(result.tables)
    wrong = {k: (v, got.get(k)) for k, v in truth.items() if not _same(v, got.get(k))}
    assert wrong == {}
    assert set(got) <= set(truth)


@pytest.mark.parametrize("stem", [s for s in SEEDS if _golden(s)["template"] != "legacy"])
def test_tables_in_an_appendix(stem):
    """The body points to 附表; the tables follow its last chapter."""
    golden = _golden(stem)
    lines = _text(stem).split("\n")
    heads = [i for i, line in enumerate(lines) if _CHAPTER.match(line) and "\t" not in line and "|" not in line]
    body, tables = [], []
    for k, i in enumerate(heads):
        end = heads[k + 1] if k + 1 < len(heads) else len(lines)
        chunk = lines[i:end]
        if any("\t" in x or "|" in x for x in chunk) and 1 <= k <= 3:
            body += [chunk[0], "相关数据详见附表。"]
            tables += [f"附表{k}"] + [x for x in chunk[1:] if "\t" in x or "|" in x or not x.strip()
                                       or len(x.strip()) < 30]
        else:
            body += chunk
    text = "\n".join(lines[: heads[0]] + body + ["", "附件："] + tables)
    result = extract_text(text, golden["source"])
    truth, got = flatten(golden["tables"]), flatten(result.tables)
    wrong = {k: (v, got.get(k)) for k, v in truth.items() if not _same(v, got.get(k))}
    assert wrong == {}


def test_prose_naming_table_words_does_not_change_the_template():
    """A legacy report whose prose speaks of 本年新收…申请 stays legacy."""
    stem = next(s for s in SEEDS if _golden(s)["template"] == "legacy")
    text = FAMILIES["overview_repeats_chapters"](_text(stem))
    text = text.replace("\n", "\n" + OVERVIEW, 1)
    assert extract_text(text, "x.txt").template == "legacy"


@pytest.mark.parametrize("title, agency, year", [
    ("某市财政局关于2024年度政府信息公开工作的报告", "某市财政局", 2024),
    ("平潭综合实验区管理委员会2024年政府信息公开工作年度报告", "平潭综合实验区管理委员会", 2024),
    ("某市2023年度政府信息公开工作年度报告", "某市", 2023),
    ("某市人民政府门户网站-某市教育局2020年政府信息公开工作年度报告", "某市教育局", 2020),
    ("上犹县人民政府\n2020年政府信息公开工作年度报告", "上犹县人民政府", 2020),
    ("北京市西城区人民政府\n2019年政府信息公开\n工作年度报告", "北京市西城区人民政府", 2019),
    ("索引号：123\n某县水利局2021年政府信息公开工作年度报告", "某县水利局", 2021),
    ("某县人民政府办公室政府信息公开工作年度报告（2020年）", "某县人民政府办公室", 2020),
    ("二〇二〇年上犹县人民政府信息公开工作年度报告", "上犹县人民政府", 2020),
    ("2020年政府信息公开工作年度报告\n发布机构：某县民政局", "某县民政局", 2020),
    ("2020年政府信息公开工作年度报告\n正文。\n\n某县民政局\n2021年1月20日", "某县民政局", 2020),
    ("江西省人民政府辦公廳2019年政府信息公開工作年度報告", "江西省人民政府办公厅", 2019),
])
def test_title_forms(title, agency, year):
    assert read_title(normalise_text(title + "\n正文。"))[:2] == (agency, year)


@pytest.mark.parametrize("stem", SEEDS)
def test_tables_flattened_by_a_crawler(stem):
    """Every separator gone (the text a crawler keeps of a page): figures that
    run together are split only by the report's own sums, never guessed."""
    golden = _golden(stem)
    lines = _text(stem).split("\n")
    flat = lines[0] + "\n" + re.sub(r"[\t|\s]+", "", "".join(lines[1:]))
    result = extract_text(flat, golden["source"])
    assert result.template == golden["template"]
    truth, got = flatten(golden["tables"]), flatten(result.tables)
    misread = {k: (v, got[k]) for k, v in truth.items() if got.get(k) is not None and not _same(v, got[k])}
    assert misread == {}
    read = sum(1 for k, v in truth.items() if _same(v, got.get(k)))
    assert read / len(truth) >= 0.6
    assert result.status != "verified"


def test_year_figure_beside_a_running_total():
    from extractor.parse.legacy import year_figure
    from extractor.parse.tokens import Cell

    def cell(t):
        return Cell("value", t, t, 0, 0, len(t), "number")

    assert year_figure(cell("728"))[0].text == "7"  # 72 | 8 would make the year's above the total
    assert year_figure(cell("018"))[0].text == "0"
    value, candidates = year_figure(cell("4251516"))
    assert value is None and candidates == [4, 42, 425]


def test_digit_splits_keep_to_the_rules():
    from extractor.parse.tables import digit_splits
    from extractor.parse.tokens import Cell

    def cell(t):
        return Cell("value", t, t, 0, 0, len(t), "number")

    def values(splits):
        return sorted(tuple(c.text for c in s) for s in splits)

    assert values(digit_splits([cell("007")], ("made", "published", "total_public"))) == [("0", "0", "7")]
    assert values(digit_splits([cell("35-15")], ("previous_items", "change"))) == [("35", "-15")]
    # a decimal only in a decimal column, no piece with a leading zero
    assert values(digit_splits([cell("113.6")], ("projects", "amount"))) == [("1", "13.6"), ("11", "3.6")]
    assert digit_splits([cell("12")], ("a", "b", "c")) == []


_WRAPPED_TABLE_FOUR = {
    # a header printed two characters a line in narrow tab-separated columns (行政/复议, 未经复/议直接/起诉)
    "tab": (
        "四、政府信息公开行政复议、行政诉讼情况\n\n"
        "本年度因政府信息公开被申请行政复议3件，被提起行政诉讼2件。\n"
        "行政\t\t\t\t\t行政\t\t\t\t\t\t\t\t\t\n"
        "复议\t\t\t\t\t诉讼\t\t\t\t\t\t\t\t\t\n"
        "结果\t结果\t其他\t尚未\t总计\t未经复\t\t\t\t\t复议\t\t\t\t\n"
        "维持\t纠正\t结果\t审结\t\t议直接\t\t\t\t\t后起\t\t\t\t\n"
        "\t\t\t\t\t起诉\t\t\t\t\t诉\t\t\t\t\n"
        "\t\t\t\t\t结果\t结果\t其他\t尚未\t总计\t结果\t结果\t其他\t尚未\t总计\n"
        "\t\t\t\t\t维持\t纠正\t结果\t审结\t\t维持\t纠正\t结果\t审结\t\n"
        "2\t0\t2\t0\t4\t0\t0\t0\t1\t1\t0\t0\t0\t2\t2\n\n"
        "五、存在的主要问题及改进情况\n"
    ),
    # the same in space-aligned text, three characters a line (结果维/持)
    "spaced": (
        "四、政府信息公开行政复议、行政诉讼情况\n"
        "　　本年度因政府信息公开被申请行政复议3件，被提起行政诉讼5件。\n"
        "            行政复                                       行政诉\n"
        "            议                                           讼\n"
        "结果维 结果纠 其他结 尚未审 总计          未经复                        复议后\n"
        "持    正    果    结                      议直接                        起诉\n"
        "                                          起诉\n"
        "                              结果维 结果纠 其他结 尚未审 总计 结果维 结果纠 其他结 尚未审 总计\n"
        "                              持    正    果    结          持    正    果    结\n"
        "    0     0     2     1     3     0     0     0     0     0     0     0     5     0     5\n\n"
        "五、存在的主要问题及改进情况\n"
    ),
}


@pytest.mark.parametrize("layout", sorted(_WRAPPED_TABLE_FOUR))
def test_table_four_with_its_header_wrapped_in_narrow_columns_is_found(layout):
    """Wrapped header words are joined back (field by field, or column by
    column in space-aligned text); empty fields do not hide them."""
    from extractor.parse.locate import locate_tables
    from extractor.parse.tokens import tokenize

    nt = normalise_text(_WRAPPED_TABLE_FOUR[layout])
    start, end = locate_tables(tokenize(nt), ("review_litigation",), nt.lines)["review_litigation"]
    figures = next(i for i, line in enumerate(nt.lines) if re.fullmatch(r"[\d\s]+", line) and line.strip())
    assert start <= 3 and end > figures  # from the header through the row of figures


def test_flattened_figures_printed_as_letters_words_and_dashes():
    """In a statistics table flattened into running text a figure may be a
    digit OCR'd as a lone letter (数S其中), a zero word (数无件, 数无五、) or a
    dash before its unit (数-件): each is cut out as a figure."""
    from extractor.parse.unflatten import unflatten

    line = ("统计指标单位统计数一、主动公开情况（一）主动公开政府信息数156条二、依申请公开情况（一）收到申请数7件"
            "1.当面申请数4件2.传真申请数无件3.网络申请数O件4.信函申请数3（三）申请答复数7"
            "4.不同意公开答复数S其中：涉及国家秘密3件5.不属于本行政机关公开数-件四、行政复议数量0件（三）其他情形数无五、举报投诉数量0")
    pieces = unflatten(normalise_text("某县2012年政府信息公开工作年度报告\n" + line)).lines
    for figure in ("无件", "O件", "S", "-件", "无"):
        assert figure in pieces, figure


def test_template_read_from_header_words_wrapped_in_narrow_columns():
    """A 2019-layout table 二 printed in 2021 with its header words wrapped
    (本年新/制作数/量): joined back column by column, they still say 2019 —
    in tab rows and in space-aligned text alike."""
    from extractor.sections import detect_template

    tab = ("第二十条第（一）项\n信息\t本年新\t本年新\t对外公\n内容\t制作数\t公开数\t开总数\n\t量\t量\t量\n"
           "规章\t0\t0\t3\n规范性文件\t3\t3\t6\n")
    spaced = ("第二十条第（一）项\n"
              "            信息                 本年新          本年新          对外公\n"
              "            内容                 制作数          公开数          开总数\n"
              "                                 量              量              量\n"
              "规章                                      0               0               3\n")
    apps = "本年新收政府信息公开申请数量\t1\n上年结转政府信息公开申请数量\t0\n"
    for table in (tab, spaced):
        assert detect_template(normalise_text(table + apps), 2021) == "2019"


