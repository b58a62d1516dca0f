"""Synthetic variations (issue 9): each really applied, goldens still exact and valid."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from eval import synth_variations as sv
from eval.cli import eval_command
from eval.goldens import load_cases, parse_labels
from eval.synthetic import generate_corpus, generate_document
from extractor.golden import validate_golden
from extractor.models import Golden
from extractor.template import APPLICANT_COLUMNS, flatten

N = 8
SEED = 1000


def _heading_line(text: str, line: str) -> bool:
    return bool(re.search(rf"(^|>){re.escape(line)}(<|$)", text, re.M))


def _order_in_header(text: str) -> list[str]:
    seg = text[text.find("申请人情况") : text.find("本年新收")]
    heads = {"natural_person": "自然人", "commercial": "商业企业", "research": "科研机构", "total": "总计",
             "social_welfare": "社会公益组织", "legal_service": "法律服务机构"}
    pos = {k: seg.find(v) for k, v in heads.items()}
    return sorted((k for k in pos if pos[k] >= 0), key=pos.get)


LONG_LABELS = {
    "2019": ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "一、本年新收政府信息公开申请数量", "5.要求行政机关确认或重新出具已获取信息", "二、上年结转政府信息公开申请数量"),
    "legacy": ("（一）维持具体行政行为或者驳回原告诉讼请求数", "（二）通过政府网站公开政府信息数", "（三）通过政府公报公开政府信息数", "六、依申请公开信息收取的费用"),
}
LONG_LABELS["2021"] = LONG_LABELS["2019"]

# a marker each variation leaves in the printed text (docs without traditional characters)
MARKERS = {
    "chapter_style_paren": lambda t, g: "（二）主动公开政府信息情况" in t,
    "chapter_style_part": lambda t, g: "第二部分" in t,
    "chapter_style_zhang": lambda t, g: "第二章 主动公开政府信息情况" in t,
    "chapter_style_dot": lambda t, g: _heading_line(t, "2.主动公开政府信息情况"),
    "chapter_style_dunhao": lambda t, g: _heading_line(t, "2、主动公开政府信息情况"),
    "chapter_style_markdown": lambda t, g: _heading_line(t, "## 主动公开政府信息情况"),
    "chapter_style_bold": lambda t, g: "**主动公开政府信息情况**" in t,
    "chapter_style_none": lambda t, g: _heading_line(t, "主动公开政府信息情况") or "<strong>主动公开政府信息情况</strong>" in t,
    "overview_subheadings": lambda t, g: re.search(r"(\d[.、]|（[一二三四五六]）)(主动公开情况|依申请公开情况|政府信息管理|政府信息公开平台建设|监督保障)", t),
    "prose_mentions": lambda t, g: "第二十条" in t.split("第二十条第（一）项")[0] or "件、行政诉讼" in t or "本年新收政府信息公开申请" in t,
    "appendix_tables": lambda t, g: "详见附表" in t and re.search(r"(^|>)\s*附表1", t, re.M),
    "table_captions": lambda t, g: re.search(r"(^|>)\s*(表[一二三四]|表\d：|附表\d|（表\d）)", t, re.M),
    "table_interrupted": lambda t, g: "续表" in t or re.search(r"^\s*(-\s?\d+\s?-|—\s?\d+\s?—|第\d+页|\d{1,2})\s*$", t, re.M) or t.count("年度报告") >= 2,
    "label_wrap_tail": lambda t, g: any(lab not in t for lab in LONG_LABELS[g["template"]]),
    "vertical_group_labels": lambda t, g: "（五）不予处理" not in t or "三、本年度办理结果" not in t,
    "header_wrap": lambda t, g: not ({"结果维持", "本年制发件数", "本年新制作数量", "统计指标", "统 计 指 标"} & {w for w in ("结果维持", "本年制发件数", "本年新制作数量", "统计指标", "统 计 指 标") if w in t}) or "申请人情况" not in t,
    "subtotal_column": lambda t, g: "小计" in t,
    "column_order": lambda t, g: _order_in_header(t) != [c for c in APPLICANT_COLUMNS if c in _order_in_header(t)],
    "header_units": lambda t, g: "（件）" in t or "(件)" in t,
    "cell_units": lambda t, g: len(re.findall(r"\d\s?(件|个|项|次|条|万元|万|元)", t)) >= 5,
    "blank_edge_cells": lambda t, g: None in flatten(g["tables"]).values(),
    "legacy_unit_in_label": lambda t, g: re.search(r"数\((条|件)\)", t),
    "legacy_two_value_cols": lambda t, g: "累计" in t and "本年度" in t,
    "legacy_extra_channels": lambda t, g: "邮件申请数" in t,
    "legacy_section_rows": lambda t, g: "一、主动公开情况" in t,
    "legacy_flattened": lambda t, g: re.search(r"主动公开政府信息数[^\n]{0,16}其中", t) and "统计数" not in t,
    "legacy_prose_only": lambda t, g: "统计数" not in t and "统计指标" not in t,
    "title_guanyu": lambda t, g: "关于" in t[:300] and "的报告" in t[:300],
    "title_portal": lambda t, g: re.search(r"(门户网站|政府网)", t[:400]),
    "title_split": lambda t, g: re.search(re.escape(g["agency"]) + r"[^\n<]{0,12}(\s*\n|<br>)", t[:600]),
    "title_meta": lambda t, g: re.search(r"(发布机构|来源)：", t),
    "stray_marks": lambda t, g: re.search(r"[_`¨:~'][\d０-９]|[\d０-９][_`¨:~']", t),
    "split_digits": lambda t, g: re.search(r"[\d０-９] [\d０-９]", t),
    "cell_dropped_merged": lambda t, g: True,
}


def test_every_variation_has_a_marker_test():
    assert set(MARKERS) == set(sv.NAMES)
    for v in sv.VARIATIONS:
        assert 0 < v.p < 1 and v.what and v.templates


@pytest.fixture(scope="module")
def forced(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("variations")
    out = {}
    for name in sv.NAMES:
        out[name] = root / name
        generate_corpus(N, SEED, out[name], only={name})
    return out


@pytest.mark.parametrize("name", sv.NAMES)
def test_forced_variation_is_applied_visible_and_goldens_stay_valid(forced, name):
    cases = load_cases(forced[name])
    assert len(cases) == N and not [c.error for c in cases if c.error]
    applied = 0
    for c in cases:
        g = json.loads(c.golden_path.read_text(encoding="utf-8"))
        Golden.model_validate(g)
        problems = [p for p in validate_golden(g) if "absent" not in p]
        assert not problems, (c.id, problems)
        assert c.variations is not None
        if name not in c.variations:
            continue
        applied += 1
        assert c.golden["template"] in sv.BY_NAME[name].templates
        if "traditional" in c.damage:
            continue
        text = c.source_path.read_text(encoding="utf-8")
        assert MARKERS[name](text, c.golden), (name, c.id)
    assert applied >= N * 3 // 4, f"{name} applied to {applied}/{N}"


def test_default_corpus_has_no_variations_and_forced_is_deterministic(tmp_path):
    _, _, text, golden = generate_document(SEED, 0)
    assert "variations" not in parse_labels(golden["notes"])
    a = generate_corpus(6, SEED, tmp_path / "a", variations="all")
    b = generate_corpus(6, SEED, tmp_path / "b", variations="all")
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes()
        assert pa.with_suffix(".json").read_bytes() == pb.with_suffix(".json").read_bytes()


def test_mixed_corpus_draws_many_variations_and_stays_valid(tmp_path):
    generate_corpus(80, SEED, tmp_path, variations="all")
    seen = Counter()
    for c in load_cases(tmp_path):
        g = json.loads(c.golden_path.read_text(encoding="utf-8"))
        assert not [p for p in validate_golden(g) if "absent" not in p], c.id
        seen.update(c.variations)
        chapters = [v for v in c.variations if v.startswith("chapter_style_")]
        assert len(chapters) <= 1
    assert len(seen) >= 20, seen


def test_truth_follows_the_print(forced):
    for c in load_cases(forced["column_order"]) + load_cases(forced["subtotal_column"]):
        apps = c.golden["tables"]["applications"]
        assert set(apps["new_received"]) == set(APPLICANT_COLUMNS)  # 小计 is printed, never scored
    for c in load_cases(forced["legacy_prose_only"]):
        ind = c.golden["tables"]["legacy"]["indicators"]
        text = c.source_path.read_text(encoding="utf-8")
        said = {k: v for k, v in ind.items() if v is not None}
        assert said and len(said) < len(ind)
        for v in said.values():
            assert str(v) in text


def test_unknown_variation_is_refused(tmp_path):
    with pytest.raises(ValueError):
        generate_corpus(1, 0, tmp_path, variations="no_such_thing")


def test_cli_variations_breakdown(tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(eval_command, ["--synthetic", "6", "--seed", str(SEED), "--variations",
                                            "chapter_style_paren,appendix_tables", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "by variation" in res.output and "ALL (combined)" in res.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["by_variation"]) == {"chapter_style_paren", "appendix_tables"}
    assert summary["by_variation"]["appendix_tables"]["documents"] == 6
    bad = CliRunner().invoke(eval_command, ["--synthetic", "2", "--variations", "bogus", "--out", str(out)])
    assert bad.exit_code != 0
