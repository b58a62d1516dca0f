"""The cascade through the real pipeline: parser first, LLM for what it cannot verify, merged cell by cell."""

from __future__ import annotations

import asyncio
import socket

import pytest

from extractor.llm.cascade import refine
from extractor.models import Status
from extractor.normalise import normalise_text
from extractor.parse import parse_document
from extractor.pipeline import extract_path, table_sections
from extractor.repair import assess
from extractor.sections import detect_template, split_sections
from extractor.template import flatten
from tests.fake_openai import GOLDENS, golden, slow, test_config, wrong

SEEDS = ["000_5f327aea0ae552b3", "001_d1fc26957a86d65b", "002_d0194d03ec3ce05d",
         "003_fbcc47a07046e9b4", "004_47f15d85c28c24e1"]


def parse_only(stem):
    """The parser's assessed Result and the table sections the pipeline would send."""
    r = extract_path(GOLDENS / f"{stem}.txt", test_config(None, backend="parser"))
    nt = normalise_text((GOLDENS / f"{stem}.txt").read_text(encoding="utf-8"))
    template = detect_template(nt)
    parsed = parse_document(nt, template, split_sections(nt))
    return r, table_sections(nt, parsed.regions, template)


def misread(result, key, value, flags=()):
    """Simulate a parser misreading: change one cell, re-assess."""
    t, row, col = key.split(".")
    result.tables[t][row][col] = value
    result.cells[key].value = value
    result.cells[key].flags.extend(flags)
    return assess(result)


def wrong_cells(result, stem):
    g = flatten(golden(stem)["tables"])
    r = flatten(result.tables)
    return [k for k in g if g[k] != r.get(k)]


def test_auto_on_the_five_seeds_calls_only_for_unverified_sections(fake_llm, tmp_path):
    calls, statuses = {}, {}
    for stem in SEEDS:
        parser, _ = parse_only(stem)
        cfg = test_config(fake_llm, no_cache=False, cache_dir=tmp_path)
        r = extract_path(GOLDENS / f"{stem}.txt", cfg)
        calls[stem[:3]] = r.llm.calls
        statuses[stem[:3]] = (parser.status, r.status)
        assert wrong_cells(r, stem) == []
        assert {c.method for c in r.cells.values()} <= {"parser", "llm"}
    # 002 verifies by itself: no call. The others: one call per unverified section.
    assert calls == {"000": 1, "001": 1, "002": 0, "003": 2, "004": 1}
    assert statuses["000"][1] == Status.source_inconsistent  # the source's totals, confirmed
    assert statuses["003"][1] == Status.needs_review  # '4h' stays unreadable: nobody guesses
    # A second run is served from the cache: zero calls.
    before = len(fake_llm.calls())
    again = [extract_path(GOLDENS / f"{s}.txt", test_config(fake_llm, no_cache=False, cache_dir=tmp_path))
             for s in SEEDS]
    assert sum(r.llm.calls for r in again) == 0 and len(fake_llm.calls()) == before
    assert sum(r.llm.cache_hits for r in again) == 5


def test_003_label_doubts_are_lifted_when_the_llm_agrees(fake_llm):
    r = extract_path(GOLDENS / "003_fbcc47a07046e9b4.txt", test_config(fake_llm))
    cell = r.cells["applications.not_processed_publication.natural_person"]
    assert "label_by_position" not in cell.flags and "confirmed_by_llm" in cell.flags
    assert r.unverified_sections == ["active_disclosure", "applications"]  # blanks and '4h' remain
    assert r.cells["active_disclosure.licensing.previous_items"].value is None


def test_the_dead_endpoint_keeps_the_parser_result_with_a_one_line_reason():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = test_config(None, base_url=f"http://127.0.0.1:{port}/v1", max_transport_seconds=0.3)
    stem = "000_5f327aea0ae552b3"
    parser, _ = parse_only(stem)
    r = extract_path(GOLDENS / f"{stem}.txt", cfg)
    assert r.tables == parser.tables and r.status == parser.status
    assert r.llm.calls == 0  # a refused connection is no call (failed requests that reached it are)
    assert len(r.llm.errors) == 1 and "unreachable" in r.llm.errors[0] and "\n" not in r.llm.errors[0]
    assert any(r.llm.errors[0] in w for w in r.warnings)


def test_the_llm_wins_a_disagreement_the_checks_settle(fake_llm):
    stem = "002_d0194d03ec3ce05d"
    parser, sections = parse_only(stem)
    key = "applications.granted.natural_person"
    parser = misread(parser, key, 4)  # printed 5: the column no longer adds up
    assert "applications" in parser.unverified_sections
    out = assess(refine(parser, sections, test_config(fake_llm)))
    cell = out.cells[key]
    assert cell.value == 5 and cell.method == "llm" and cell.raw == "5" and cell.line is not None
    assert [(c.value, c.method) for c in cell.candidates] == [(4, "parser")]
    assert out.status == Status.verified and wrong_cells(out, stem) == []
    assert parser.cells[key].value == 4  # refine returns a new Result


def test_an_unsettled_disagreement_keeps_both_readings_for_review(fake_llm):
    stem = "004_47f15d85c28c24e1"
    key = "active_disclosure.other_services.change"  # printed 273; 153 is on the same line
    parser, sections = parse_only(stem)
    parser = misread(parser, key, 153, flags=["label_by_position"])
    out = assess(refine(parser, sections, test_config(fake_llm)))
    cell = out.cells[key]
    assert cell.value == 153 and "disagreement" in cell.flags  # auto keeps the parser's value …
    assert [(c.value, c.method) for c in cell.candidates] == [(273, "llm")]  # … and the LLM's
    assert out.status == Status.needs_review

    llm = assess(refine(parser, sections, test_config(fake_llm, backend="llm")))
    cell = llm.cells[key]
    assert cell.value == 273 and cell.method == "llm" and "disagreement" in cell.flags
    assert [(c.value, c.method) for c in cell.candidates] == [(153, "parser")]
    assert llm.status == Status.needs_review


def test_an_ungrounded_llm_number_never_wins(fake_llm):
    stem = "002_d0194d03ec3ce05d"
    parser, sections = parse_only(stem)
    bad = wrong({"regulations.made": 3})
    fake_llm.script(bad, bad, section="active_disclosure")
    out = assess(refine(parser, sections, test_config(fake_llm, backend="llm", max_retries=1)))
    cell = out.cells["active_disclosure.regulations.made"]
    assert cell.value == 0 and cell.method == "parser"
    assert cell.candidates[0].value == 3 and "ungrounded" in cell.candidates[0].note
    assert out.status == Status.verified and wrong_cells(out, stem) == []


def test_backend_llm_sends_every_table_section(fake_llm):
    r = extract_path(GOLDENS / "002_d0194d03ec3ce05d.txt", test_config(fake_llm, backend="llm"))
    assert sorted(c["section"] for c in fake_llm.calls()) == ["active_disclosure", "applications",
                                                              "review_litigation"]
    assert r.llm.calls == 3 and r.status == Status.verified
    assert {s.name for s in r.sections if s.method == "llm"} >= {"active_disclosure", "applications"}


@pytest.mark.parametrize("concurrency", [3, 1])
def test_sections_go_out_in_parallel_within_the_bound(fake_llm, concurrency):
    parser, sections = parse_only("002_d0194d03ec3ce05d")
    fake_llm.default = slow(0.3)
    out = refine(parser, sections, test_config(fake_llm, backend="llm", concurrency=concurrency))
    assert out.llm.calls == 3
    arrivals = sorted(c["t"] for c in fake_llm.calls())
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    if concurrency == 3:
        assert arrivals[-1] - arrivals[0] < 0.3  # all three in flight before the first answer
    else:
        assert min(gaps) >= 0.29  # one at a time: each waits for the previous answer


def test_refine_works_inside_a_running_event_loop(fake_llm):
    parser, sections = parse_only("002_d0194d03ec3ce05d")

    async def inside():
        return refine(parser, sections, test_config(fake_llm, backend="llm"))

    assert asyncio.run(inside()).llm.calls == 3


def test_prices_give_an_estimated_cost(fake_llm):
    r = extract_path(GOLDENS / "000_5f327aea0ae552b3.txt",
                     test_config(fake_llm, prices={"prompt": 1.0, "completion": 2.0}))
    expected = (r.llm.prompt_tokens * 1.0 + r.llm.completion_tokens * 2.0) / 1e6
    assert r.llm.cost_usd == pytest.approx(expected) and r.llm.cost_usd > 0


def test_a_zero_filled_printed_blank_is_never_taken_silently(fake_llm):
    stem = "003_fbcc47a07046e9b4"
    key = "applications.unable_not_held.other_org"  # printed blank: the parser saw it empty
    parser, sections = parse_only(stem)
    assert parser.cells[key].value is None and "blank" in parser.cells[key].flags
    fake_llm.script(wrong({"unable_not_held.other_org": 0}), section="applications")  # grounded, sums pass
    out = assess(refine(parser, sections, test_config(fake_llm)))
    cell = out.cells[key]
    assert cell.value is None and "disagreement" in cell.flags
    assert [(c.value, c.method) for c in cell.candidates] == [(0, "llm")]
    assert out.status != Status.verified
