"""Answer models, prompts and grounding: built from template.py, checked against the seeds."""

from __future__ import annotations

import json

import pytest

from extractor.errors import ConfigError
from extractor.llm.grounding import cell_values, ground_values
from extractor.llm.layout import detect_form, layout_for
from extractor.llm.prompts import load_prompt, prompt_versions, render
from extractor.llm.schemas import AskState, answer_model, review
from extractor.template import expected_keys, flatten
from tests.fake_openai import golden, seed_section

SEEDS = ["000_5f327aea0ae552b3", "001_d1fc26957a86d65b", "002_d0194d03ec3ce05d",
         "003_fbcc47a07046e9b4", "004_47f15d85c28c24e1"]


def _answer(tables: dict, section: str) -> dict:
    return {r: {c: {"raw": None if v is None else str(v), "value": v} for c, v in cols.items()}
            for r, cols in tables[section].items()}


@pytest.mark.parametrize("template,form", [("2019", "single"), ("2019", "split"), ("2021", "split"),
                                          ("2021", "single"), ("legacy", None)])
def test_models_hold_exactly_the_template_keys(template, form):
    keys = []
    sections = ["legacy"] if template == "legacy" else ["active_disclosure", "applications", "review_litigation"]
    for s in sections:
        model = answer_model(s, template, form)
        fields = model.model_json_schema()["properties"]
        assert list(fields) == [r.key for r in model.layout.rows]
        keys += model.layout.keys()
    assert keys == expected_keys(template, other_form=form)


def test_every_prompt_has_a_version_and_shows_the_labels():
    versions = prompt_versions()
    assert all(v.isdigit() for v in versions.values()), versions
    lay = layout_for("applications", "2021", "split")
    p = render(lay, "some text")
    for r in lay.rows:
        assert f"`{r.key}`" in p.system and r.label in p.system
    assert "逾期不补正" in p.system and "other_no_correction" in p.system
    assert "自然人" in p.system and "`natural_person`" in p.system
    assert "无" in p.system and "万元" in p.system and "damaged digits" in p.system
    assert "<<<TEXT\nsome text\nTEXT>>>" in p.user
    assert p.version.startswith(load_prompt("applications").version + "+")
    legacy = render(layout_for("legacy", "legacy"), "x").system
    assert "`applications_received`: 收到申请数" in legacy


def test_prompts_dir_override_and_a_missing_version(tmp_path, monkeypatch):
    (tmp_path / "applications.md").write_text("no front matter", encoding="utf-8")
    monkeypatch.setenv("NIANBAO_PROMPTS_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="version"):
        load_prompt("applications")
    (tmp_path / "applications.md").write_text("---\nversion: 7\n---\nRows:\n{{ rows }}\n", encoding="utf-8")
    p = render(layout_for("applications", "2019"), "t")
    assert p.version.startswith("7+") and "`new_received`" in p.system
    with pytest.raises(ConfigError, match="no prompt file"):
        load_prompt("legacy")


@pytest.mark.parametrize("stem", SEEDS)
def test_every_golden_number_is_grounded_and_perturbed_ones_are_not(stem):
    g = golden(stem)
    flat = flatten(g["tables"])
    total = ungrounded_wrong = 0
    for section in g["tables"]:
        sec = seed_section(stem, section)
        lay = layout_for(section, g["template"], detect_form(sec.text, g["template"], flat))
        values = {k: v for k, v in flat.items() if k.startswith(section + ".")}
        grounded = ground_values(sec.text, lay, values)
        assert [k for k, x in grounded.items() if not x.grounded] == []
        wrong = {k: (v + 7 if v is not None else None) for k, v in values.items()}
        for k, x in ground_values(sec.text, lay, wrong).items():
            if values[k] is not None:
                total += 1
                ungrounded_wrong += not x.grounded
    assert ungrounded_wrong / total >= 0.95


def test_cell_readings_follow_the_value_rules():
    assert 12 in cell_values("行政许可\t4h\t本年增加 12 项\t249", "change")
    assert 4 not in cell_values("行政许可\t4h\t本年增加 12 项\t249", "previous_items")  # 4h is unreadable
    assert float("493.5") in {float(v) for v in cell_values("政府集中采购 | 76 | 493.5萬 |", "amount")}
    assert float("156.047") in {float(v) for v in cell_values("政府集中采购\t75\t156.04 7\t万元", "amount")}
    assert 2 not in cell_values("2.其他法律行政法规禁止公开 | 0 | 0", "natural_person")  # an enumeration
    assert 0 in cell_values("(六)其他处理 | 无", "natural_person")


def test_review_names_the_rule_the_grounding_and_the_misreading():
    stem = "002_d0194d03ec3ce05d"
    sec = seed_section(stem, "applications")
    model = answer_model("applications", "2019", "single")
    good = _answer(golden(stem)["tables"], "applications")
    assert review(model.model_validate(good), sec.text) == []

    bad = json.loads(json.dumps(good))
    bad["new_received"]["natural_person"] = {"raw": "6", "value": 6}  # breaks the balance
    bad["granted"]["total"] = {"raw": "5", "value": 50}  # raw does not read as the value
    rules = {p.rule for p in review(model.model_validate(bad), sec.text)}
    assert "applications.balance.natural_person" in rules
    assert "applications.row_total.new_received" in rules
    assert "grounding.applications.new_received.natural_person" in rules
    assert "reading.applications.granted.total" in rules


def test_the_validator_rejects_then_accepts_on_the_last_attempt():
    stem = "002_d0194d03ec3ce05d"
    sec = seed_section(stem, "review_litigation")
    model = answer_model("review_litigation", "2019")
    answer = _answer(golden(stem)["tables"], "review_litigation")
    answer["review"]["total"] = {"raw": "3", "value": 3}
    blob = json.dumps(answer)
    state = AskState(max_attempts=2, attempt=1)
    with pytest.raises(Exception, match="review_litigation.total.review"):
        model.model_validate_json(blob, context={"nianbao_state": state, "section_text": sec.text})
    state.attempt = 2  # the last attempt: accepted, problems kept for the merge
    got = model.model_validate_json(blob, context={"nianbao_state": state, "section_text": sec.text})
    assert got.values()["review_litigation.review.total"] == 3
    assert {p.rule for p in state.problems} >= {"review_litigation.total.review"}
