"""The scoring rules of golden-format.md on small hand-built pairs."""

from __future__ import annotations

from extractor.models import Cell, Result, Status
from eval.scoring import MISSING, OK, SPURIOUS, WRONG, score_document, values_equal


def golden(tables, **kw):
    return {"id": "g1", "source": "g1.txt", "agency": "某县人民政府", "year": 2020, "template": "2019", "tables": tables, **kw}


def result(tables, status="needs_review", **kw):
    base = {"id": "g1", "source": "g1.txt", "agency": "某县人民政府", "year": 2020, "template": "2019", "tables": tables, "status": status}
    base.update(kw)
    return base


def test_values_equal_decimal_and_null_rules():
    assert values_equal(493.5, "493.50")
    assert values_equal(493.5, 493.50)
    assert values_equal(12, 12.0)
    assert values_equal("7", 7)
    assert not values_equal(0, None)
    assert not values_equal(None, 0)
    assert values_equal(None, None)
    assert not values_equal(12, "12个")
    assert not values_equal(0.1, 0.10000001)
    assert not values_equal(0, False) and not values_equal(1, True)
    assert not values_equal(5, "NaN")


def test_null_golden_matches_null_or_missing_key():
    g = golden({"applications": {"granted": {"natural_person": None, "commercial": None, "total": 3}}})
    r = result({"applications": {"granted": {"natural_person": None, "total": 3}}})
    s = score_document(g, r)
    assert s.correct == 3 and s.golden_cells == 3
    assert s.outcomes["applications.granted.commercial"] == OK
    assert s.tables["applications"].exact


def test_number_vs_missing_and_null_are_wrong():
    g = golden({"applications": {"granted": {"natural_person": 0, "commercial": 4}}})
    r = result({"applications": {"granted": {"natural_person": None}}})
    s = score_document(g, r)
    assert s.correct == 0
    assert s.outcomes == {"applications.granted.natural_person": WRONG, "applications.granted.commercial": MISSING}
    assert s.accuracy == 0.0
    assert not s.tables["applications"].exact


def test_decimal_amount_in_result_string():
    g = golden({"active_disclosure": {"procurement": {"projects": 76, "amount": 493.5}}})
    r = result({"active_disclosure": {"procurement": {"projects": 76, "amount": "493.50"}}})
    s = score_document(g, r)
    assert s.correct == 2 and s.errors == 0


def test_spurious_cells_break_table_exactness_even_when_null():
    g = golden({"applications": {"other_handling": {"total": 0}}})
    r = result({"applications": {"other_handling": {"total": 0}, "other_misc": {"total": None}}, "review_litigation": {"review": {"total": 1}}})
    s = score_document(g, r)
    assert s.correct == 1 and s.accuracy == 1.0
    assert s.spurious == 2
    assert s.outcomes["applications.other_misc.total"] == SPURIOUS
    assert not s.tables["applications"].exact
    assert not s.tables["review_litigation"].in_golden  # result-only table: counted spurious, not as a table
    assert {d.key for d in s.diffs} == {"applications.other_misc.total", "review_litigation.review.total"}


def test_legacy_extra_is_not_scored():
    g = golden({"legacy": {"indicators": {"complaints": 2}}}, template="legacy")
    r = result({"legacy": {"indicators": {"complaints": 2}, "extra": {"政务微博公开政府信息数": 45}}}, template="legacy")
    s = score_document(g, r)
    assert s.spurious == 0 and s.tables["legacy"].exact


def test_silent_error_only_when_verified():
    g = golden({"review_litigation": {"review": {"upheld": 1, "total": 1}}})
    tables = {"review_litigation": {"review": {"upheld": 2, "total": 1, "pending": 0}}}
    for status, silent in (("verified", 2), ("repaired", 0), ("needs_review", 0), ("source_inconsistent", 0)):
        s = score_document(g, result(tables, status=status))
        assert s.wrong == 1 and s.spurious == 1
        assert s.silent_errors == silent, status
    ok = score_document(g, result({"review_litigation": {"review": {"upheld": 1, "total": 1}}}, status="verified"))
    assert ok.silent_errors == 0


def test_pydantic_result_and_provenance_in_diffs():
    g = golden({"applications": {"new_received": {"natural_person": 84, "total": 155}}})
    r = Result(
        id="g1",
        source="g1.txt",
        agency="某县人民政府",
        year=2020,
        template="2019",
        status=Status.verified,
        tables={"applications": {"new_received": {"natural_person": 34, "total": 155}}},
        cells={
            "applications.new_received.natural_person": Cell(value=34, raw="3 4", line=41, span=(10, 13), repaired="split", flags=["ocr"]),
        },
    )
    s = score_document(g, r)
    assert s.status == "verified" and s.silent_errors == 1
    (d,) = s.diffs
    assert (d.golden, d.result, d.raw, d.line, d.span, d.method, d.repaired, d.flags) == (84, 34, "3 4", 41, [10, 13], "parser", "split", ["ocr"])


def test_template_agency_year():
    g = golden({}, agency="江西省人民政府办公厅", year=2019)
    s = score_document(g, result({}, agency="江西省人民政府 办公厅", year="2019", template="2021"))
    assert s.agency_ok and s.year_ok and not s.template_ok
    s = score_document(g, result({}, agency="江西省人民政府", year=None))
    assert s.agency_ok is False and s.year_ok is False and s.template_ok
    s = score_document(golden({}, agency=None), result({}, agency="x"))
    assert s.agency_ok is None  # not scored when the golden has none


def test_missing_golden_table_in_result_counts_every_cell():
    g = golden({"review_litigation": {"review": {"upheld": 0, "corrected": None}}})
    s = score_document(g, result({}))
    assert s.golden_cells == 2 and s.correct == 1 and s.missing == 1
    assert not s.tables["review_litigation"].exact
