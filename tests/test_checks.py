"""Each rule of template.md: pass, fail with its imbalance, uncertain with its missing cells."""

from __future__ import annotations

import pytest

from extractor.checks import run_checks, year_over_year
from extractor.models import CheckStatus
from extractor.template import APPLICANT_COLUMNS, applications_rows

from .builders import consistent_values


def _by_rule(checks):
    return {c.rule: c for c in checks}


@pytest.mark.parametrize("template", ["2019", "2021"])
def test_every_rule_passes_on_consistent_values(template):
    checks = run_checks(consistent_values(template, seed=1))
    rules = {c.rule for c in checks}
    assert {f"applications.balance.{c}" for c in APPLICANT_COLUMNS} <= rules
    assert {f"applications.handled_sum.{c}" for c in APPLICANT_COLUMNS} <= rules
    assert {f"applications.row_total.{r.key}" for r in applications_rows(template)} <= rules
    assert {f"review_litigation.total.{r}" for r in ("review", "litigation_direct", "litigation_after_review")} <= rules
    assert all(c.status == CheckStatus.pass_ for c in checks)


@pytest.mark.parametrize(
    "key,rules",
    [
        ("applications.new_received.research", {"applications.balance.research", "applications.row_total.new_received"}),
        ("applications.granted.commercial", {"applications.handled_sum.commercial", "applications.row_total.granted"}),
        ("applications.other_handling.total", {"applications.handled_sum.total", "applications.row_total.other_handling"}),
        ("review_litigation.litigation_direct.pending", {"review_litigation.total.litigation_direct"}),
    ],
)
def test_a_changed_cell_fails_exactly_its_rules(key, rules):
    values = consistent_values("2019", seed=2)
    values[key] += 2
    by = _by_rule(run_checks(values))
    failing = {r for r, c in by.items() if c.status == CheckStatus.fail}
    assert failing == rules
    for r in rules:
        assert abs(by[r].imbalance) == 2 and key in by[r].cells


def test_null_cell_makes_its_rules_uncertain():
    values = consistent_values("2021", seed=3)
    values["applications.other_misc.legal_service"] = None
    by = _by_rule(run_checks(values))
    for r in ("applications.handled_sum.legal_service", "applications.row_total.other_misc"):
        assert by[r].status == CheckStatus.uncertain
        assert by[r].missing == ["applications.other_misc.legal_service"]


def test_legacy_rules():
    p = "legacy.indicators."
    v = {p + "applications_received": 11, p + "received_in_person": 0, p + "received_fax": 0, p + "received_online": 7,
         p + "received_letter": 4, p + "applications_closed": 11, p + "closed_on_time": 6, p + "closed_extended": 4,
         p + "review_total": 3, p + "review_upheld": 1, p + "review_corrected": 1, p + "review_other": None}
    by = _by_rule(run_checks(v))
    assert by["legacy.received_sum"].status == CheckStatus.pass_
    assert by["legacy.closed_sum"].status == CheckStatus.fail and by["legacy.closed_sum"].imbalance == -1
    assert by["legacy.review_sum"].status == CheckStatus.uncertain
    assert "legacy.replies_sum" not in by  # not printed, not checked


def test_narrative_is_a_warning_and_accepts_loose_readings():
    values = consistent_values("2019", seed=4)
    new, old = values["applications.new_received.total"], values["applications.carried_over.total"]
    by = _by_rule(run_checks(values, {"new_received": new + old}))
    assert by["narrative.new_received"].status == CheckStatus.pass_
    by = _by_rule(run_checks(values, {"new_received": new + old + 9}))
    assert by["narrative.new_received"].status == CheckStatus.fail and by["narrative.new_received"].warning


def test_year_over_year():
    assert year_over_year(3, 3).status == CheckStatus.pass_
    c = year_over_year(3, 5)
    assert c.status == CheckStatus.fail and c.imbalance == 2 and c.rule == "year_over_year.carry"
    assert year_over_year(None, 5).status == CheckStatus.uncertain
