"""Cell values by the rules of template.md, and the one-char-for-one-char text map."""

from __future__ import annotations

import pytest

from extractor.normalise import normalise_text, parse_cell


@pytest.mark.parametrize(
    "raw,column,value",
    [
        ("27个", "", 27), ("493.5万", "amount", 493.5), ("4935000元", "amount", 493.5), ("30183.96万元", "amount", 30183.96),
        ("22（其中修订16件）", "", 22), ("本年增加 12 项", "change", 12), ("减少3", "change", -3), ("0%", "change", 0),
        ("无", "", 0), ("１２３", "", 123), ("1,234", "", 1234), ("156次", "projects", 156),
    ],
)
def test_values(raw, column, value):
    p = parse_cell(raw, column)
    assert p.value == value and p.repaired is None


@pytest.mark.parametrize("raw", ["", "/", "—", "——", "-", "－"])
def test_blank_and_dashes_are_null(raw):
    p = parse_cell(raw)
    assert p.kind == "blank" and p.value is None


@pytest.mark.parametrize("raw,value", [("1O", 10), ("l2", 12), ("S", 5), ("2O1", 201),
                                       ("ó", 0), ("ì", 1), ("í3", 13), ("Ö件", 0)])
def test_ocr_digits_repaired_and_marked(raw, value):
    p = parse_cell(raw)
    assert p.value == value and p.repaired


@pytest.mark.parametrize("raw", ["é", "ñ", "ü2x"])
def test_an_accented_letter_that_is_no_digit_is_not_a_figure(raw):
    assert parse_cell(raw).kind != "number"


def test_split_decimal_is_joined_and_marked():
    p = parse_cell("156.04 7", "amount")
    assert p.value == 156.047 and "split" in p.repaired


@pytest.mark.parametrize("raw", ["4h", "x7"])
def test_unreadable_is_not_a_value(raw):
    assert parse_cell(raw).kind == "unreadable" and parse_cell(raw).value is None


def test_labels_are_text_not_numbers():
    assert parse_cell("2.重复申请").kind == "text"


def test_normalised_text_keeps_length_and_original():
    nt = normalise_text("規範性文件 | ８３ | 83 |\r\n三、收到和處理")
    assert nt.lines[0].startswith("规范性文件 | 83")
    assert [len(a) for a in nt.lines] == [len(b) for b in nt.original]
    assert nt.original[1] == "三、收到和處理" and nt.lines[1] == "三、收到和处理"


@pytest.mark.parametrize("raw,value", [("0.", 0), ("0.件", 0), ("12。次", 12), ("7,", 7)])
def test_trailing_speck_after_digits_is_repaired(raw, value):
    """A stop with no digits after it is no decimal point: a speck OCR read beside the figure."""
    p = parse_cell(raw)
    assert p.value == value and "trailing" in p.repaired
    assert parse_cell("0.5").value == 0.5 and parse_cell("0.5").repaired is None


@pytest.mark.parametrize("raw,value", [("_0件", 0), ("`5", 5), ("O~", 0), ("`O", 0), ("¨l", 1), ("~1O件", 10)])
def test_stray_mark_beside_a_figure_is_dropped_and_marked(raw, value):
    """A speck beside a figure, the figure itself maybe OCR-damaged too."""
    p = parse_cell(raw, "natural_person")
    assert p.kind == "number" and p.value == value and "stray mark" in p.repaired


@pytest.mark.parametrize("raw", ["~", "`", "~x"])
def test_a_stray_mark_alone_is_no_figure(raw):
    assert parse_cell(raw, "natural_person").kind != "number"


@pytest.mark.parametrize("raw", ["无", "无件", "无 件", "没有"])
def test_zero_words_with_a_unit_are_zero(raw):
    assert parse_cell(raw, "natural_person").value == 0


def test_a_label_that_starts_with_a_zero_word_is_text():
    assert parse_cell("无法提供", "natural_person").kind == "text"


@pytest.mark.parametrize("raw,value", [(".0", 0), (". 0", 0), (",12", 12), ("。3件", 3)])
def test_leading_speck_before_a_count_is_repaired(raw, value):
    p = parse_cell(raw, "natural_person")
    assert p.kind == "number" and p.value == value and "leading" in p.repaired


def test_leading_stop_in_an_amount_is_not_guessed():
    # ".5" in an amount column may be 0.5 with its 0 lost: never read as 5
    assert parse_cell(".5", "amount").kind == "unreadable"


@pytest.mark.parametrize("raw,value", [(".0.", 0), ("..3", 3), ("0..", 0), ("、12.件", 12)])
def test_specks_around_a_count_are_dropped_and_marked(raw, value):
    """Noise beside a figure is read as stops; a count is whole, so none of them is a decimal point."""
    p = parse_cell(raw)
    assert p.kind == "number" and p.value == value and "specks" in p.repaired
    assert parse_cell(raw, "amount").kind != "number"  # an amount's point is not guessed


@pytest.mark.parametrize("raw", ["0 3", "0 0", "0 12"])
def test_two_figures_in_one_cell_are_not_joined_as_one_split_number(raw):
    """"1 234" is one number with a space in it; "0 3" is not, since no figure starts with 0."""
    assert parse_cell(raw).kind == "unreadable"
    assert parse_cell("1 234").value == 1234


@pytest.mark.parametrize("raw", [".3", ".0.", "、12"])
def test_a_mark_before_a_change_figure_may_be_its_minus(raw):
    """A minus sign a faint scan broke up reads as a stop: in a change column it is not dropped."""
    assert parse_cell(raw, "change").kind == "unreadable"
    assert parse_cell("3.", "change").value == 3 and parse_cell("-3", "change").value == -3
