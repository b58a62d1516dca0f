"""The offline core on the seeds (against their goldens) and on built reports."""

from __future__ import annotations

import json
import zlib
from decimal import Decimal
from pathlib import Path

import pytest

from extractor.models import Status
from extractor.pipeline import extract_path, extract_text
from extractor.template import expected_keys, flatten

from .builders import consistent_values, render

GOLDENS = Path(__file__).resolve().parents[1] / "goldens"
SEEDS = sorted(p.stem for p in GOLDENS.glob("*.json"))


def _eq(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return Decimal(str(a)) == Decimal(str(b))


def _wrong(result, truth: dict) -> dict:
    got = flatten(result.tables)
    bad = {k: (v, got.get(k, "absent")) for k, v in truth.items() if not _eq(v, got.get(k))}
    bad.update({k: ("spurious", got[k]) for k in got if k not in truth})
    return bad


@pytest.mark.parametrize("stem", SEEDS)
def test_seed_matches_golden(stem):
    golden = json.loads((GOLDENS / f"{stem}.json").read_text(encoding="utf-8"))
    result = extract_path(GOLDENS / golden["source"])
    assert (result.agency, result.year, result.template) == (golden["agency"], golden["year"], golden["template"])
    assert _wrong(result, flatten(golden["tables"])) == {}


@pytest.mark.parametrize(
    "stem,rules",
    [
        ("000_5f327aea0ae552b3", {"applications.handled_sum.natural_person", "applications.handled_sum.total"}),
        ("001_d1fc26957a86d65b", {"legacy.replies_sum"}),
        ("004_47f15d85c28c24e1", {"applications.handled_sum.natural_person", "applications.handled_sum.other_org"}),
    ],
)
def test_source_inconsistent_seeds_name_the_failing_rules(stem, rules):
    result = extract_path(GOLDENS / f"{stem}.txt")
    assert result.status == Status.source_inconsistent
    assert set(result.failing_rules()) == rules
    for chk in result.checks:
        if chk.rule in rules:
            assert chk.imbalance and chk.cells


def test_seed_003_unreadable_cells_are_null_never_invented():
    result = extract_path(GOLDENS / "003_fbcc47a07046e9b4.txt")
    assert result.status != Status.verified
    assert result.status == Status.needs_review
    cell = result.cells["active_disclosure.licensing.previous_items"]
    assert cell.value is None and "unreadable" in cell.flags and cell.raw == "4h"
    # printed blanks stay null; the totals imply 0 and say so beside the null
    for key in ("applications.unable_not_held.other_org", "applications.not_processed_confirmation.natural_person",
                "applications.carried_forward.natural_person"):
        c = result.cells[key]
        assert c.value is None
        assert c.inferred is not None and c.inferred.value == 0
    # the row whose label OCR destroyed is placed by position, and flagged
    assert "label_by_position" in result.cells["applications.not_processed_publication.total"].flags
    amount = result.cells["active_disclosure.procurement.amount"]
    assert amount.value == 156.047 and amount.repaired


def test_seed_002_verified_with_provenance():
    result = extract_path(GOLDENS / "002_d0194d03ec3ce05d.txt")
    assert result.status == Status.verified
    c = result.cells["active_disclosure.procurement.amount"]
    text = (GOLDENS / "002_d0194d03ec3ce05d.txt").read_text(encoding="utf-8")
    assert c.value == 13.6 and c.raw == "13.6万" and c.method == "parser"
    assert text[c.span[0]:c.span[1]] == "13.6万"
    assert text.splitlines()[c.line - 1].strip() == "13.6万"


def test_traditional_characters_keep_their_raw_text():
    result = extract_path(GOLDENS / "000_5f327aea0ae552b3.txt")
    c = result.cells["active_disclosure.procurement.amount"]
    assert c.value == 493.5 and c.raw == "493.5萬"
    assert result.agency == "江西省人民政府办公厅"


@pytest.mark.parametrize("layout", ["pipe", "tab", "lines", "aligned"])
@pytest.mark.parametrize("template", ["2019", "2021"])
def test_built_report_every_layout(layout, template):
    values = consistent_values(template, seed=zlib.crc32(f"{layout}/{template}".encode()) % 1000)
    text = render(template, values, layout, year=2022 if template == "2021" else 2019)
    result = extract_text(text, "built.txt")
    assert result.template == template
    assert _wrong(result, values) == {}
    assert result.status == Status.verified, result.reason


def test_2021_layout_has_25_rows():
    values = consistent_values("2021", seed=3)
    result = extract_text(render("2021", values, "tab", year=2021), "r.txt")
    rows = {k.split(".")[1] for k in flatten(result.tables) if k.startswith("applications.")}
    assert len(rows) == 25 and "other_misc" in rows and "other_handling" not in rows
    assert set(flatten(result.tables)) == set(expected_keys("2021"))


@pytest.mark.parametrize("layout", ["pipe", "lines"])
def test_missing_row_does_not_shift_the_rows_after_it(layout):
    values = consistent_values("2019", seed=5)
    values["applications.denied_third_party.natural_person"] = 7  # make rows distinguishable
    text = render("2019", values, layout, drop_rows=("applications.denied_three_safety",))
    result = extract_text(text, "r.txt")
    got = flatten(result.tables)
    assert not any(k.startswith("applications.denied_three_safety.") for k in got)
    truth = {k: v for k, v in values.items() if not k.startswith("applications.denied_three_safety.")}
    assert _wrong(result, truth) == {}
    assert result.status == Status.needs_review  # a row is missing: never verified


@pytest.mark.parametrize("layout", ["pipe", "aligned"])
def test_row_label_split_across_lines(layout):
    values = consistent_values("2019", seed=7)
    text = render("2019", values, layout, split_label="not_processed_confirmation")
    result = extract_text(text, "r.txt")
    assert _wrong(result, values) == {}


@pytest.mark.parametrize("layout", ["pipe", "tab", "lines", "aligned"])
def test_page_number_and_repeated_header_inside_table(layout):
    values = consistent_values("2019", seed=11)
    text = render("2019", values, layout, page_number_after="denied_internal_affairs",
                  repeat_header_after="denied_internal_affairs")
    result = extract_text(text, "r.txt")
    assert _wrong(result, values) == {}
    assert result.status == Status.verified


def test_label_printed_vertically_one_char_per_line():
    values = consistent_values("2019", seed=13)
    text = render("2019", values, "aligned", vertical_label="not_processed_duplicate")
    result = extract_text(text, "r.txt")
    assert _wrong(result, values) == {}


@pytest.mark.parametrize("flat", [True, False])
def test_table_four_flat_or_in_rows(flat):
    values = consistent_values("2019", seed=17)
    result = extract_text(render("2019", values, "pipe", flat_review=flat), "r.txt")
    got = flatten(result.tables)
    for k, v in values.items():
        if k.startswith("review_litigation."):
            assert got[k] == v


def test_a_wrong_total_in_the_source_is_reported_not_fixed():
    values = consistent_values("2019", seed=19)
    values["applications.total_handled.natural_person"] += 3
    result = extract_text(render("2019", values, "tab"), "r.txt")
    assert flatten(result.tables)["applications.total_handled.natural_person"] == values["applications.total_handled.natural_person"]
    assert result.status == Status.source_inconsistent
    failing = set(result.failing_rules())
    assert "applications.handled_sum.natural_person" in failing
    assert "applications.balance.natural_person" in failing


def test_ocr_confusions_repaired_and_marked():
    values = consistent_values("2019", seed=23)
    text = render("2019", values, "pipe")
    line = next(l for l in text.splitlines() if l.startswith("二、上年结转"))
    cells = line.split(" | ")
    col = next(i for i in range(1, 7) if cells[i] in ("0", "1"))
    printed = cells[col]
    cells[col] = printed.replace("0", "O").replace("1", "l")
    text = text.replace(line, " | ".join(cells))
    result = extract_text(text, "r.txt")
    key = "applications.carried_over." + ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org")[col - 1]
    c = result.cells[key]
    assert c.value == int(printed) and c.repaired and c.raw == cells[col]
    assert result.status == Status.repaired


def test_not_a_report():
    result = extract_text("关于召开春季运动会的通知\n各部门：定于四月举行运动会。\n", "notice.txt")
    assert result.status == Status.not_a_report and result.reason


def test_subtotal_column_for_organisations_is_not_a_canonical_cell():
    values = consistent_values("2019", seed=29)
    text = render("2019", values, "tab")
    out = []
    orgs = ("commercial", "research", "social_welfare", "legal_service", "other_org")
    for line in text.splitlines():
        cells = line.split("\t")
        if len(cells) == 8 and cells[1].isdigit():
            # 自然人, 5 organisations, 小计, 总计
            cells = cells[:7] + [str(sum(int(c) for c in cells[2:7]))] + cells[7:]
        out.append("\t".join(cells))
    result = extract_text("\n".join(out), "r.txt")
    assert _wrong(result, values) == {}
    assert result.status == Status.verified


def test_columns_in_another_order_keep_blank_cells_where_they_sit():
    """Space-aligned text (a PDF's) whose header prints 总计 first and the
    legal-person columns permuted: a blank cell is the gap where its column
    stands, not a shift of the figures after it."""
    from extractor.pipeline import extract_text

    text = (
        "某县人民政府2023年政府信息公开工作年度报告\n\n三、收到和处理政府信息公开申请情况\n\n"
        " （本列数据的勾稽关系为：第一项加第二项之和，                           申请人情况\n"
        " 等于第三项加第四项之和）\n"
        "                                                总计    自然人                 法人或其他组织\n"
        "                                                                 科研机   商业企   社会公   法律服    其他\n"
        "                                                                 构       业       益组织   务机构\n"
        "一、本年新收政府信息公开申请数量                    30       20        1        2        3        0        4\n"
        "二、上年结转政府信息公开申请数量                     1        0        0        0        1        0        0\n"
        "三、本年度办理结果  （一）予以公开                  18       13        1                 0        0        1\n"
        "                    （二）部分公开                   7        6                 1        0        0        0\n"
    )
    apps = extract_text(text, "t.txt").tables["applications"]
    assert [apps["granted"][c] for c in ("total", "natural_person", "research", "commercial", "other_org")] == [
        18, 13, 1, None, 1]
    assert [apps["partially_granted"][c] for c in ("total", "natural_person", "research", "commercial")] == [
        7, 6, None, 1]


def test_table_four_in_space_aligned_text_keeps_a_blank_cell_in_its_gap():
    """One row of 15 figures at a regular pitch, one cell printed blank: the
    double gap says where it was (no complete row to compare with)."""
    from extractor.pipeline import extract_text

    text = (
        "某县人民政府2023年政府信息公开工作年度报告\n\n四、政府信息公开行政复议、行政诉讼情况\n\n"
        "             行政复议                                             行政诉讼\n"
        " 结果   结果   其他   尚未   总计           未经复议直接起诉                      复议后起诉\n"
        " 维持   纠正   结果   审结\n"
        "                                    结果   结果   其他   尚未   总计   结果   结果   其他   尚未   总计\n"
        "                                    维持   纠正   结果   审结          维持   纠正   结果   审结\n"
        "    33      0      0            33      0      0      8     20     28      0      3      0      0      3\n"
    )
    rl = extract_text(text, "t.txt").tables["review_litigation"]
    assert [rl["review"][c] for c in ("upheld", "corrected", "other", "pending", "total")] == [33, 0, 0, None, 33]
    assert rl["litigation_direct"]["total"] == 28 and rl["litigation_after_review"]["total"] == 3


def test_run_together_figures_of_table_two_chosen_by_what_the_prose_states():
    """``8855698`` cuts many ways and table 二 has no sums; the sentences
    ``现行有效…规范性文件698件`` and ``制发的规范性文件88件`` leave one reading.
    Without them the cells stay null with their candidates."""
    from extractor.pipeline import extract_text

    table = ("二、主动公开政府信息情况第二十条第（一）项 信息内容 本年制发件数 本年废止件数 现行有效件数 "
             "规章000行政规范性文件8855698第二十条第（五）项信息内容本年处理决定数量行政许可10690"
             "第二十条第（六）项信息内容本年处理决定数量行政处罚2113行政强制0")
    prose = "一是做好规范性文件公开。集中公开现行有效行政规范性文件698件，动态更新本年度制发的规范性文件88件。"
    head = "某区人民政府2022年政府信息公开工作年度报告\n一、总体情况\n"
    told = extract_text(head + prose + "\n" + table + "\n", "t.txt")
    row = told.tables["active_disclosure"]["normative_documents"]
    assert [row[c] for c in ("issued", "repealed", "in_force")] == [88, 55, 698]
    assert "settled_by_prose" in told.cells["active_disclosure.normative_documents.issued"].flags
    untold = extract_text(head + table + "\n", "t.txt")
    assert untold.tables["active_disclosure"]["normative_documents"]["issued"] is None


def test_a_blank_cell_is_never_hidden_in_a_subtotal_column():
    """Table 三 with a 小计 for 法人或其他组织 and a row of zeros whose first
    cell is printed blank: shifting the figures left and calling the 小计 the
    blank adds up too, so the blank must stay where its gap is (or the row
    stay unsure), never vanish into the dropped 小计 column."""
    from extractor.pipeline import extract_text

    head = ("某县人民政府2019年政府信息公开工作年度报告\n\n三、收到和处理政府信息公开申请情况\n\n"
            "                                      自然人   法人或其他组织                                      总计\n"
            "                                              商业企业 科研机构 社会公益组织 法律服务机构 其他   小计\n")
    rows = ("一、本年新收政府信息公开申请数量       5      1      1      0      0      0      2      7\n"
            "二、上年结转政府信息公开申请数量       0      0      0      0      0      0      0      0\n"
            "三、本年度办理结果 （一）予以公开             0      0      0      0      0      0      0\n")
    result = extract_text(head + rows, "t.txt")
    assert result.cells["applications.granted.natural_person"].value is None


def _seed_with_rows_edited(stem: str, edit) -> tuple[dict, str, set[int]]:
    """A seed's golden, its text with ``edit(fields, n)`` applied to every tab or pipe row, and
    the lines it changed. ``edit`` gets the row's fields and how many rows it changed so far, and
    returns the new fields, or None to leave the row as printed."""
    golden = json.loads((GOLDENS / f"{stem}.json").read_text(encoding="utf-8"))
    out, hit = [], set()
    for i, line in enumerate((GOLDENS / golden["source"]).read_text(encoding="utf-8").splitlines()):
        sep = "|" if line.count("|") >= 3 else "\t"
        fields = edit(line.split(sep), len(hit))
        if fields is not None:
            line = sep.join(fields)
            hit.add(i)
        out.append(line)
    return golden, "\n".join(out), hit


def _figures(fields: list[str]) -> list[int]:
    return [k for k, f in enumerate(fields) if f.strip().isdigit()]


@pytest.mark.parametrize("stem", SEEDS)
def test_latin_marks_after_a_rows_figures_are_stray(stem):
    """OCR reads a seal stamped over a row's last cells as Latin letters (N, Han): every tab or pipe
    row ending in a figure gets such a mark, and every cell still reads as its golden says."""
    marks = ["N", "Han", "nX", "W"]

    def mark(fields, n):
        body = list(fields)
        while body and not body[-1].strip():
            body.pop()  # empty trailing fields, a closing pipe
        if len(body) >= 3 and body[-1].strip().isdigit():
            return body + [marks[n % len(marks)]] + fields[len(body):]
        return None

    golden, text, hit = _seed_with_rows_edited(stem, mark)
    if len(hit) < 5:
        pytest.skip("no tab-separated table rows in this seed")
    assert _wrong(extract_text(text, source=golden["source"]), flatten(golden["tables"])) == {}


@pytest.mark.parametrize("stem", SEEDS)
def test_a_latin_mark_between_a_rows_figures_is_one_unreadable_cell(stem):
    """OCR reads a damaged figure as a letter with no digit look-alike (``é.``, ``W``): in every tab
    or pipe row with three figures or more, the second becomes such a mark. That cell is null and
    flagged unreadable; every other cell still reads as its golden says (before, the mark turned the
    figures before it into label text and the row lost them)."""
    marks = ["é.", "W", "ñ", "x"]

    def mark(fields, n):
        figures = _figures(fields)
        if len(figures) < 3:
            return None
        fields[figures[1]] = marks[n % len(marks)]
        return fields

    golden, text, hit = _seed_with_rows_edited(stem, mark)
    if len(hit) < 5:
        pytest.skip("no tab-separated table rows in this seed")
    result = extract_text(text, source=golden["source"])
    wrong = _wrong(result, flatten(golden["tables"]))
    on_marked = {k for k in wrong if result.cells[k].line is not None and result.cells[k].line - 1 in hit}
    assert set(wrong) == on_marked and len(wrong) <= len(hit)
    assert all(result.cells[k].value is None and "unreadable" in result.cells[k].flags for k in wrong)


@pytest.mark.parametrize("stem", SEEDS)
def test_figures_run_together_in_one_cell_of_table_four_are_its_cells(stem):
    """A table ruled across only, read from a scan, puts neighbouring figures in one cell when its
    columns are inferred too few ("0 0", "0个0", "1 0条"), with empty fields beside: each figure is a
    cell of its own, and table 四 reads as its golden says."""
    glue = [" ", "个", " ", "条 "]

    def merge(fields, n):
        figures = _figures(fields)
        if len(figures) != 15 or figures != list(range(figures[0], figures[0] + 15)):
            return None
        for j, k in enumerate((figures[0], figures[0] + 5, figures[0] + 11)):
            fields[k] = fields[k].strip() + glue[(n + j) % len(glue)] + fields[k + 1].strip()
            fields[k + 1] = ""  # the empty field an inferred column leaves
        return fields

    golden, text, hit = _seed_with_rows_edited(stem, merge)
    if not hit:
        pytest.skip("table 四 is not one row of 15 fields in this seed")
    result = extract_text(text, source=golden["source"])
    wrong = {k: v for k, v in _wrong(result, flatten(golden["tables"])).items() if k.startswith("review_litigation")}
    assert wrong == {}


@pytest.mark.parametrize("stem", SEEDS)
def test_numbering_read_as_a_full_stop_still_opens_a_row(stem):
    """OCR reads 四、 as 四。: every Chinese numbering mark opening a line or a cell becomes a full
    stop, and every cell still reads as its golden says (before, the row label read as a sentence
    and the row was lost)."""
    import re

    golden = json.loads((GOLDENS / f"{stem}.json").read_text(encoding="utf-8"))
    text = (GOLDENS / golden["source"]).read_text(encoding="utf-8")
    stopped, n = re.subn(r"(?m)(^|[\t|]\s*)([一二三四五六七八九十]{1,2})、", r"\1\2。", text)
    assert n >= 3
    assert _wrong(extract_text(stopped, source=golden["source"]), flatten(golden["tables"])) == {}
