"""instructor against the fake endpoint: typed answers, re-asks with the failing rule, bounded retries."""

from __future__ import annotations

import asyncio
import json

import pytest

from extractor.llm.client import LLMClient, ask_sync
from extractor.llm.layout import layout_for
from extractor.template import flatten
from tests.fake_openai import (
    FakeOpenAI,
    break_balance,
    golden,
    malformed,
    missing,
    seed_section,
    test_config,
    wrong,
)

CLEAN = "002_d0194d03ec3ce05d"  # every check passes in the source
INCONSISTENT = "000_5f327aea0ae552b3"  # （七）总计 does not add up in the source


def ask(config, stem, section, template="2019", second_opinion=None):
    sec = seed_section(stem, section)

    async def run():
        async with LLMClient(config) as client:
            return await client.ask(layout_for(section, template), sec.text, second_opinion=second_opinion)

    return asyncio.run(run())


def golden_values(stem, section):
    return {k: v for k, v in flatten(golden(stem)["tables"]).items() if k.startswith(section + ".")}


@pytest.mark.parametrize("mode", ["tools", "json_schema", "md_json"])
def test_each_mode_gets_a_typed_answer_with_usage(fake_llm, mode):
    reply = ask(test_config(fake_llm, mode=mode), CLEAN, "applications")
    assert reply.error is None and reply.attempts == 1
    assert reply.answer.values() == golden_values(CLEAN, "applications")
    usage = reply.usage.snapshot()
    assert usage.calls == 1 and usage.prompt_tokens > 0 and usage.completion_tokens > 0
    body = fake_llm.calls()[0]["body"]
    assert {"tools": "tools", "json_schema": "response_format"}.get(mode, "messages") in body


def test_a_broken_balance_is_corrected_after_a_reask_naming_the_rule(fake_llm):
    fake_llm.script(break_balance(), section="applications")
    reply = ask(test_config(fake_llm), CLEAN, "applications")
    assert reply.error is None and reply.attempts == 2 and reply.problems == []
    assert reply.answer.values() == golden_values(CLEAN, "applications")
    first, second = fake_llm.calls()
    assert "applications.balance.natural_person" not in FakeOpenAI.sent_text(first)
    assert "applications.balance.natural_person" in FakeOpenAI.sent_text(second)
    assert reply.usage.snapshot().retries == 1 and reply.usage.snapshot().calls == 2


def test_wrong_numbers_are_reasked_as_ungrounded(fake_llm):
    fake_llm.script(wrong({"procurement.amount": 31.6, "regulations.made": 3}), section="active_disclosure")
    reply = ask(test_config(fake_llm), CLEAN, "active_disclosure")
    assert reply.attempts == 2 and reply.problems == []
    assert reply.answer.values()["active_disclosure.procurement.amount"] == 13.6
    sent = FakeOpenAI.sent_text(fake_llm.calls()[1])
    assert "grounding.active_disclosure.procurement.amount" in sent
    assert "grounding.active_disclosure.regulations.made" in sent


def test_malformed_json_is_retried(fake_llm):
    fake_llm.script(malformed())
    reply = ask(test_config(fake_llm), CLEAN, "review_litigation")
    assert reply.error is None and reply.attempts == 2
    assert "json" in FakeOpenAI.sent_text(fake_llm.calls()[1]).lower()


def test_a_missing_field_is_retried(fake_llm):
    fake_llm.script(missing("granted"))
    reply = ask(test_config(fake_llm), CLEAN, "applications")
    assert reply.error is None and reply.attempts == 2
    sent = FakeOpenAI.sent_text(fake_llm.calls()[1])
    assert "granted" in sent and "Field required" in sent


def test_a_reask_carries_only_the_last_answer_and_its_errors(fake_llm):
    fake_llm.script(wrong({"review.total": 7}), wrong({"review.total": 8}), section="review_litigation")
    reply = ask(test_config(fake_llm, max_retries=3), CLEAN, "review_litigation")
    assert reply.attempts == 3 and reply.error is None
    bodies = [c["body"] for c in fake_llm.calls()]
    assert [len(b["messages"]) for b in bodies] == [2, 4, 4]  # system+user, then + answer + errors
    third = FakeOpenAI.sent_text(fake_llm.calls()[2])
    assert '"value": 8' in third and '"value": 7' not in third
    assert len(json.dumps(bodies[2])) < len(json.dumps(bodies[1])) * 1.1  # no snowball


def test_attempts_are_bounded_and_the_last_answer_kept_with_its_problems(fake_llm):
    bad = wrong({"review.total": 7})
    fake_llm.script(bad, bad, bad, section="review_litigation")
    reply = ask(test_config(fake_llm, max_retries=1), CLEAN, "review_litigation")
    assert reply.attempts == 2 and len(fake_llm.calls()) == 2
    assert reply.answer.values()["review_litigation.review.total"] == 7
    assert {"review_litigation.total.review", "grounding.review_litigation.review.total"} <= {
        p.rule for p in reply.problems}


def test_garbage_past_the_retries_is_a_one_line_section_error(fake_llm):
    fake_llm.default = malformed()
    reply = ask(test_config(fake_llm, max_retries=1), CLEAN, "review_litigation")
    assert reply.answer is None and "no valid answer after 2 attempt(s)" in reply.error
    assert "\n" not in reply.error


def test_source_totals_that_disagree_are_confirmed_not_forced(fake_llm):
    reply = ask(test_config(fake_llm), INCONSISTENT, "applications")
    assert reply.attempts == 2 and reply.confirmed  # re-asked once, the LLM kept the printed cells
    assert reply.answer.values() == golden_values(INCONSISTENT, "applications")
    assert {p.rule for p in reply.problems} == {"applications.handled_sum.natural_person",
                                                 "applications.handled_sum.total"}
    assert "applications.handled_sum.natural_person" in FakeOpenAI.sent_text(fake_llm.calls()[1])


def test_an_identical_parser_reading_spares_the_reask(fake_llm):
    parser = golden_values(INCONSISTENT, "applications")
    reply = ask(test_config(fake_llm), INCONSISTENT, "applications", second_opinion=parser)
    assert reply.attempts == 1 and reply.confirmed and len(fake_llm.calls()) == 1


def test_sync_entry_point(fake_llm):
    sec = seed_section(CLEAN, "review_litigation")
    reply = ask_sync(test_config(fake_llm), layout_for("review_litigation", "2019"), sec.text)
    assert reply.answer.values() == golden_values(CLEAN, "review_litigation")


@pytest.mark.parametrize("mode", ["tools", "md_json"])
def test_template_syntax_in_the_text_is_sent_verbatim(fake_llm, mode):
    sec = seed_section(CLEAN, "review_litigation")
    text = sec.text + "\n{{ config }} {% if x %} {# note #} }}"

    async def run():
        async with LLMClient(test_config(fake_llm, mode=mode)) as client:
            return await client.ask(layout_for("review_litigation", "2019"), text)

    reply = asyncio.run(run())
    assert reply.error is None
    assert "{{ config }} {% if x %} {# note #} }}" in FakeOpenAI.sent_text(fake_llm.calls()[0])
