"""Dropped and merged cells: two cells printed as one (``41`` for 4 | 1,
``00``), maybe with the empty field the merging left, beside cells printed
blank. One reading the row's total (and the print) allows is taken and its
split cells are marked repaired; several leave null with candidates; a
dropped cell stays null."""

from __future__ import annotations

from eval.goldens import load_cases
from eval.harness import run_eval, summarize
from eval.synthetic import generate_corpus
from extractor.config import Config
from extractor.parse.settle import sides_fit
import re

from extractor.parse.tables import (merged_choice, merged_readings, pitch_readings, placed_readings, reading_choice,
                                     sum_check)
from extractor.parse.tokens import Cell

COLS = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total")
CHECK = sum_check(6)


def row(*texts: str) -> list[Cell]:
    """One printed row: '' is an empty field."""
    out, x = [], 0
    for t in texts:
        out.append(Cell("value" if t else "blank", t, t, 0, x, x + len(t), "number" if t else "blank"))
        x += len(t) + 3
    return out


def printed(line: str) -> list[Cell]:
    """The cells of one line of space-aligned text, with their display columns."""
    out = []
    for m in re.finditer(r"\S+", line):
        c = Cell("value", m.group(), m.group(), 0, m.start(), m.end(), "number")
        c.x0, c.x1 = m.start(), m.end()
        out.append(c)
    return out


def values(cells) -> list:
    return [None if c is None or not c.text else int(c.text) for c in cells]


def test_merged_cell_and_its_empty_field_beside_a_dropped_cell():
    # | 41 |  | 00 |  |  | 0 | 6 |  = 4, 1, 0, 0, (dropped), 0 → 6
    assigned, flags, alts = merged_choice(row("41", "", "00", "", "", "0", "6"), COLS, CHECK)
    assert values(assigned) == [4, 1, 0, 0, None, 0, 6]
    assert "ambiguous" not in flags and not alts
    assert assigned[0].repaired and assigned[2].repaired  # split cells are repairs
    assert assigned[4].kind == "blank"  # the dropped cell is never filled from the total


def test_a_figure_never_starts_with_zero():
    # 2 0 0 0 _ 02 _ : 02 is two cells, the field after it their leftover
    assigned, flags, _ = merged_choice(row("2", "0", "0", "0", "", "02", ""), COLS, CHECK)
    assert values(assigned) == [2, 0, 0, 0, None, 0, 2]
    assert "ambiguous" not in flags


def test_cells_read_as_printed_when_they_can_be():
    # a report that leaves zeros blank: 35 beside a blank field stays 35
    assert merged_choice(row("821", "35", "", "", "2", "1", "859"), COLS, CHECK) is None


def test_two_readings_the_total_allows_stay_null_with_candidates():
    # 13 2 1 0 14 21: 1|3 and 1|4 both add up to 21
    assigned, flags, alts = merged_choice(row("13", "2", "1", "0", "14", "21"), COLS, CHECK)
    assert "ambiguous" in flags and len(alts) == 2
    assert values(assigned)[:1] == [None] and values(assigned)[-1] == 21


def test_the_total_rules_out_a_figure_larger_than_itself():
    # 41 read whole (beside a dropped cell) would exceed the total 5
    readings = merged_readings(row("41", "", "0", "0", "0", "0", "5"), COLS)
    assert len(readings) == 2
    kept = [r for r in readings if CHECK(values(r)) is not False]
    assert [values(r) for r in kept] == [[4, 1, 0, 0, 0, 0, 5]]


def test_space_aligned_merged_figure_sits_at_or_between_its_columns():
    cells = row("0", "00", "0")
    positions = [10.0, 20.0, 30.0, 40.0]
    where = [10.0, 30.0, 40.0]  # 00 right-aligned under the third column
    readings = placed_readings(cells, ("a", "b", "c", "d"), (positions, where, 10.0, False))
    assert [values(r) for r in readings] == [[0, 0, 0, 0]]


def test_sides_fit_bounds_with_blanks():
    assert sides_fit([3, None, 4], [6]) is False  # printed parts already exceed the total
    assert sides_fit([3, None, 2], [6]) is None
    assert sides_fit([3, 3], [6]) is True
    assert sides_fit([1, 1], [None, 5]) is False  # new + carried over < handled alone
    assert sides_fit([None, 1], [None, 5]) is None


def test_generated_family_dropped_and_merged(tmp_path):
    generate_corpus(16, 1300, tmp_path, only={"cell_dropped_merged"})
    totals = summarize(run_eval(load_cases(tmp_path), config=Config(backend="parser")))["totals"]
    assert totals["silent_errors"] == 0
    assert totals["cell_accuracy"] >= 0.97


# table 四 printed flat: 15 columns 7 wide, figures right-aligned, headings from column 1 to 103
FLAT = "     0      0      0            00      0      0      0            00            00      0"
FLAT_COLS = tuple(f"c{i}" for i in range(15))


def test_flat_row_merged_cells_end_at_their_second_column():
    # 00 ends where column 4 ends: columns 3 and 4; the two last columns were dropped
    readings = pitch_readings(printed(FLAT), 15, header=(1, 103))
    assert [values(r) for r in readings] == [[0] * 13 + [None, None]]
    assert readings[0][3].repaired and readings[0][13].kind == "blank"


def test_flat_row_the_headings_place_a_leading_merged_cell():
    # 00 ends where column 1 ends (pitch 6): it is columns 0 and 1, not a dropped column 0
    line = ""
    for col, text in [(1, "00"), (2, "0"), (3, "0"), (4, "5"), (5, "5")] + [(c, "0") for c in range(10, 15)]:
        line = line.ljust(6 * col + 5 - len(text)) + text  # right-aligned: ends where its column ends
    readings = pitch_readings(printed(line), 15, header=(1, 89))
    assert [values(r) for r in readings] == [[0, 0, 0, 0, 5, 5, None, None, None, None, 0, 0, 0, 0, 0]]


def test_flat_row_without_headings_keeps_only_what_every_place_agrees_on():
    readings = pitch_readings(printed(FLAT), 15)
    assert len(readings) > 1
    assigned, flags, alts = reading_choice(readings, FLAT_COLS, None)
    assert "ambiguous" in flags and assigned[0] is None and assigned[14] is None
    assert values(assigned[3:12]) == [0] * 9


def test_flat_row_a_figure_that_may_be_two_cells_stays_open():
    # 10 right-aligned at column 9: one figure (column 8 dropped) or 1 | 0 in columns 8-9
    line = "     0      0      0      0      0      0      0      0            10      0      0      0      0      0"
    readings = pitch_readings(printed(line), 15, header=(1, 103))
    assert sorted(str(values(r)[8:10]) for r in readings) == ["[1, 0]", "[None, 10]"]


def test_right_aligned_merged_figure_ends_at_its_second_column():
    # positions are right edges (a complete row): 00 ending on column c's edge is b | c, not c | d
    positions = [10.0, 20.0, 30.0, 40.0, 50.0]
    readings = placed_readings(row("0", "00", "0"), ("a", "b", "c", "d", "e"), (positions, [10.0, 30.0, 50.0], 10.0, True))
    assert [values(r) for r in readings] == [[0, 0, 0, None, 0]]


def test_generated_family_space_aligned(tmp_path):
    for p in generate_corpus(24, 1400, tmp_path, only={"cell_dropped_merged"}):
        if "spaced" not in p.name:
            p.unlink()
            p.with_suffix(".json").unlink()
    totals = summarize(run_eval(load_cases(tmp_path), config=Config(backend="parser")))["totals"]
    assert totals["silent_errors"] == 0
    assert totals["cell_accuracy"] >= 0.98
