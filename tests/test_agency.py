"""The canonical agency (issue 12): division, 行政区划代码, kind, a stable id, and how it was matched.

Names and codes are facts of the official division list; the archive tests run the
generator's agencies across years (eval/synth_agency.py) through a real batch.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from extractor.agency import canonical, load_overrides, registry, short_forms
from extractor.batch import BatchOptions, panel_command, run_batch
from extractor.batch.panel import PANEL_FIELDS, plot_svg
from extractor.config import Config
from extractor.pipeline import extract_path

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("printed,context,agency_id,method", [
    ("淮安市洪泽区人民政府", (), "320813:人民政府", "exact"),
    ("洪泽区人民政府", (), "320813:人民政府", "exact"),  # the parent left out: still one division
    ("洪泽县人民政府", (), "320813:人民政府", "alias"),  # 2016 撤县设区: the former name, the same id
    ("梅列区人民政府", (), "350404:人民政府", "alias"),  # 2021: merged into the new 三元区
    ("沭阳县发改局", (), "321322:发展和改革局", "alias"),  # a department's short form
    ("江苏省人民政府办公厅", (), "320000:人民政府办公厅", "exact"),
    ("上犹县政府办", (), "360724:人民政府办公室", "exact"),
    ("朝阳区人民政府", ("北京市人民政府门户网站",), "110105:人民政府", "parent_added"),
    ("朝阳区人民政府", ("长春市人民政府",), "220104:人民政府", "parent_added"),
    ("黔南州人民政府", (), "522700:人民政府", "alias"),  # 黔南布依族苗族自治州
    ("洪泽区高良涧街道办事处", (), "320813001:街道办事处", "exact"),
])
def test_printed_names_resolve_to_their_division(printed, context, agency_id, method):
    m = canonical(printed, context)
    assert (m.agency_id, m.method) == (agency_id, method)
    assert m.division_code == agency_id.split(":")[0] and m.score == 1.0


def test_kinds_and_parents():
    gov, office, dept = canonical("淮安市洪泽区人民政府"), canonical("洪泽区人民政府办公室"), canonical("洪泽区发展和改革局")
    assert (gov.kind, office.kind, dept.kind) == ("government", "general_office", "department")
    assert gov.parent_id == "320800:人民政府" and office.parent_id == dept.parent_id == gov.agency_id
    assert (gov.province, gov.prefecture, gov.county, gov.level) == ("江苏省", "淮安市", "洪泽区", "county")
    tax = canonical("国家税务总局淮安市洪泽区税务局")
    assert tax.kind == "vertical" and tax.division_code == "320813"
    zone = canonical("淮安经济技术开发区管理委员会")
    assert zone.kind == "development_zone" and zone.division_code == "320800"


@pytest.mark.parametrize("printed,agency_id", [
    ("沐阳县人民政府", "321322:人民政府"),  # 沭 read as 沐
    ("内江市降昌市发展和改革局", "511083:发展和改革局"),  # 隆 read as 降, after its parent
    ("洪泽匹人民政府", "320813:人民政府"),  # the suffix 区 read as 匹
])
def test_an_ocr_damaged_name_is_linked_as_fuzzy_with_its_score(printed, agency_id):
    m = canonical(printed)
    assert m.agency_id == agency_id and m.method == "fuzzy" and 0 < m.score < 1 and m.note


@pytest.mark.parametrize("printed", ["朝阳区人民政府", "城中区人民政府", "毛都县人民政府"])
def test_a_name_with_several_candidates_is_unmatched_and_lists_them(printed):
    m = canonical(printed)
    assert m.agency_id is None and m.method == "unmatched"
    assert len(m.candidates) >= 2 and len(m.candidate_ids) >= 2


def test_no_division_no_link():
    assert canonical("某县人民政府").method == "unmatched"
    assert canonical(None).method == "unmatched"


def test_the_override_file_wins(tmp_path):
    f = tmp_path / "agencies.toml"
    f.write_text('[agencies]\n"朝阳区人民政府" = "220104:人民政府"\n[departments]\n"发规局" = "发展和改革局"\n', encoding="utf-8")
    overrides, departments = load_overrides(f)
    m = canonical("朝阳区人民政府", (), overrides, departments)
    assert (m.agency_id, m.method, m.prefecture) == ("220104:人民政府", "override", "长春市")
    assert canonical("洪泽区发规局", (), overrides, departments).agency_id == "320813:发展和改革局"
    with pytest.raises(ValueError, match="not valid TOML"):
        (tmp_path / "bad.toml").write_text("[agencies\n", encoding="utf-8")
        load_overrides(tmp_path / "bad.toml")


def test_short_forms():
    assert short_forms("沭阳县") == ["沭阳"]
    assert "黔南州" in short_forms("黔南布依族苗族自治州") and "黔南" in short_forms("黔南布依族苗族自治州")
    assert short_forms("和县") == []  # never shorter than two characters


def test_registry_knows_every_county_once_by_code():
    reg = registry()
    levels = {d.level for d in reg.divisions.values()}
    assert levels == {1, 2, 3, 4}
    assert sum(1 for d in reg.divisions.values() if d.level == 1) >= 34
    assert sum(1 for d in reg.divisions.values() if d.level == 3) > 2800


def test_the_goldens_get_their_division():
    truth = json.loads((REPO / "tests" / "fixtures" / "agency_ids.json").read_text(encoding="utf-8"))
    for path, agency_id in truth.items():
        if path.startswith("_"):
            continue
        m = extract_path(REPO / path, Config()).agency_match
        assert m.agency_id == agency_id, path


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    from eval.bench_agency import score
    from eval.synth_agency import generate_archive

    base = tmp_path_factory.mktemp("agency")
    sources = generate_archive(12, 7, base / "archive", years=(2017, 2024), duplicate_p=0.1)
    run_batch([str(p) for p in sources], BatchOptions(out=base / "out", workers=1, progress=False), Config(backend="parser"))
    return base, score(base / "archive", base / "out")


def test_an_archive_across_years_links_its_agencies(archive):
    _, s = archive
    assert s["right_after_batch"] / s["reports"] >= 0.98
    assert s["by_method"].get("exact", [0, 0])[1] == 0 and s["by_method"].get("alias", [0, 0])[1] == 0
    assert s["fuzzy_scored_1"] == 0
    assert s["yoy_found"] >= s["yoy_expected"] - 1 and s["yoy_spurious"] == 0
    assert s["duplicates_found"] == s["duplicates_expected"]


def test_the_panel_opens_in_pandas_and_duckdb(archive):
    base, _ = archive
    out = base / "out"
    runner = CliRunner()
    for fmt in ("csv", "parquet"):
        res = runner.invoke(panel_command, [str(out), "--format", fmt])
        assert res.exit_code == 0, res.output
    con = duckdb.connect()
    rows = con.execute(f"SELECT count(*), count(DISTINCT agency_id) FROM read_parquet('{out / 'panel.parquet'}')").fetchone()
    n_agency_years = duckdb.connect(str(out / "nianbao.duckdb"), read_only=True).execute(
        "SELECT count(DISTINCT (agency_key, year)) FROM report_choice").fetchone()[0]
    assert rows[0] == n_agency_years and rows[1] >= 10
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(out / "panel.csv", encoding="utf-8-sig")
    assert list(frame.columns[:3]) == ["agency_id", "agency_name", "division_code"]
    assert set(PANEL_FIELDS) <= set(frame.columns) and len(frame) == rows[0]
    assert pd.read_parquet(out / "panel.parquet").shape == frame.shape
    res = runner.invoke(panel_command, [str(out), "--level", "county", "--format", "csv", "-o", str(base / "c.csv")])
    assert res.exit_code == 0 and set(pd.read_csv(base / "c.csv", encoding="utf-8-sig")["level"]) <= {"county"}


def test_the_plot_draws_one_point_a_year(archive):
    base, _ = archive
    out = base / "out"
    aid = duckdb.connect(str(out / "nianbao.duckdb"), read_only=True).execute(
        "SELECT id FROM agencies ORDER BY reports DESC, id LIMIT 1").fetchone()[0]
    res = CliRunner().invoke(panel_command, [str(out), "--plot", "new_applications", "--agency", aid])
    assert res.exit_code == 0, res.output
    svg = next(out.glob("plot-*.svg")).read_text(encoding="utf-8")
    assert svg.startswith("<svg") and svg.count("<circle") >= 5
    assert "&lt;b&gt;" in plot_svg([(2020, 1.0, "verified")], "<b>", "x")  # names are escaped
    bad = CliRunner().invoke(panel_command, [str(out), "--plot", "nope", "--agency", aid])
    assert bad.exit_code != 0 and "no panel field" in bad.output


def test_panel_columns_are_documented():
    doc = (REPO / "docs" / "agencies.md").read_text(encoding="utf-8")
    missing = [c for c in PANEL_FIELDS if f"`{c}`" not in doc]
    assert missing == []
