"""The cascade: the parser first, the LLM only where the parser could not verify.

``refine(result, sections, config)`` takes the parser's ``Result`` and sends
table sections to the LLM (``auto``: the unverified ones; ``llm``: all of
them), concurrently within ``Config.concurrency``. The two readings are then
compared cell by cell:

* they agree → the cell keeps the parser's provenance (a doubt about its label
  position is lifted: two independent readers found the same number);
* they disagree → the reading that is grounded and makes fewer of the report's
  own checks fail wins; an LLM win is marked ``method="llm"`` with the
  parser's reading kept in ``candidates``;
* neither wins → the cell is flagged ``disagreement`` (needs review) with both
  readings kept; ``auto`` keeps the parser's value, ``llm`` the LLM's.

An LLM number that is not printed near its label is never accepted as
verified (flag ``ungrounded``). If the endpoint is down, the parser's result
is returned untouched with a one-line reason in ``llm.errors`` and
``warnings``; an unreachable endpoint (refused, DNS, TLS) costs no retries and
no calls, and is remembered in the caller's ``EndpointHealth`` so the rest of
the run does not try again. The pipeline then re-assesses checks and status.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from typing import Any, Optional

from ..checks import run_checks
from ..config import Config
from ..errors import LLMError, NianbaoError
from ..models import Candidate, Cell, CheckStatus, Result, to_decimal
from ..repair import BLANK_FLAGS
from ..template import flatten, tables_for
from .client import LLMClient, SectionReply
from .grounding import ground_values
from .health import EndpointHealth
from .layout import TABLE_SECTIONS, Layout, detect_form, guess_template, layout_for, legacy_score
from .transport import EndpointUnreachable
from .usage import UsageMeter

MAX_SECTION_CHARS = 60_000  # a "section" longer than this is a mis-split document, not a table
_LIFTED_BY_AGREEMENT = frozenset({"label_by_position", "ambiguous"})


KEPT = "kept the parser's result"


def refine(result: Result, sections: list, config: Config, health: Optional[EndpointHealth] = None) -> Result:
    """Synchronous entry point (the pipeline's); safe inside a running event loop too."""
    coro = refine_async(result, sections, config, health=health)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def refine_async(result: Result, sections: list, config: Config,
                       client: Optional[LLMClient] = None, health: Optional[EndpointHealth] = None) -> Result:
    """A new Result with the LLM's readings merged in and ``llm`` usage filled.

    ``health`` is the run's record of the endpoint (a fresh one if None): an
    endpoint already known to be unreachable is not tried again.
    """
    backend = config.effective_backend
    if backend == "parser":
        return result
    out = result.model_copy(deep=True)
    meter = UsageMeter(config.prices)
    t0 = time.perf_counter()
    jobs, skipped = plan(out, sections, backend)
    for msg in skipped:
        out.warnings.append(f"LLM: {msg}")
    if not jobs:
        out.llm = meter.snapshot()
        return out

    health = health if health is not None else (client.health if client is not None else EndpointHealth())
    dead = health.dead(config.base_url)
    if dead is not None:
        return _unreachable(out, meter, dead)
    own_client = client is None
    try:
        client = client or LLMClient(config, health=health)
    except NianbaoError as err:
        return _failed(out, meter, str(err))
    sem = asyncio.Semaphore(max(1, config.concurrency))

    async def one(section, layout: Layout) -> SectionReply:
        async with sem:
            return await client.ask(layout, section.text, second_opinion=_second_opinion(out, layout))

    try:
        replies = await asyncio.gather(*(one(s, lay) for s, lay in jobs), return_exceptions=True)
    finally:
        if own_client:
            await client.aclose()

    transport_errors: list[str] = []
    unreachable = next((r for r in replies if isinstance(r, EndpointUnreachable)), None)
    if unreachable is not None and not any(isinstance(r, SectionReply) for r in replies):
        return _unreachable(out, meter, str(unreachable))
    for (section, layout), reply in zip(jobs, replies):
        if isinstance(reply, LLMError):
            transport_errors.append(str(reply))
            if isinstance(getattr(reply, "usage", None), UsageMeter):
                meter.merge(reply.usage)  # the failed attempts were calls too
            continue
        if isinstance(reply, BaseException):
            if not isinstance(reply, Exception):
                raise reply
            transport_errors.append(f"LLM step failed on {layout.section}: {type(reply).__name__}: {reply}")
            continue
        meter.merge(reply.usage)
        if reply.error or reply.answer is None:
            out.warnings.append(f"LLM: {reply.error}; kept the parser's reading")
            continue
        note = merge_section(out, section, layout, reply, backend)
        if note:
            out.warnings.append(f"LLM: {note}")
    if transport_errors:
        # One line: the first reason (the other sections failed the same way, usually).
        reason = transport_errors[0]
        meter.error(reason)
        failed = len(transport_errors)
        out.warnings.append(f"LLM not used for {failed} section(s), kept the parser's reading: {reason}")
    out.llm = meter.snapshot()
    out.timings["llm_wall"] = round(time.perf_counter() - t0, 4)
    return out


def _unreachable(out: Result, meter: UsageMeter, reason: str) -> Result:
    """The endpoint could not be reached: no call was made; one line says so."""
    meter.error(reason)
    out.llm = meter.snapshot()
    out.warnings.append(f"{reason}; {KEPT}")
    return out


def _failed(out: Result, meter: UsageMeter, reason: str) -> Result:
    meter.error(reason)
    out.llm = meter.snapshot()
    out.warnings.append(f"LLM not used, kept the parser's reading: {reason}")
    return out


def _second_opinion(result: Result, layout: Layout) -> Optional[dict[str, Any]]:
    """The parser's values for the layout, if it read every cell (else no shortcut)."""
    values = flatten(result.tables)
    keys = layout.keys()
    if not all(k in values for k in keys):
        return None
    return {k: values[k] for k in keys}


# --- which sections -----------------------------------------------------------------


def plan(result: Result, sections: list, backend: str) -> tuple[list[tuple[Any, Layout]], list[str]]:
    """(section, layout) pairs to send, and why some table could not be sent."""
    template = result.template or guess_template("\n".join(s.text for s in sections))
    if template is None:
        return [], ["no template detected; nothing to send"]
    wanted = [t.key for t in tables_for(template)]
    if backend == "auto":
        wanted = [t for t in wanted if t in result.unverified_sections]
    by_name: dict[str, list] = {}
    for s in sections:
        if s.name in TABLE_SECTIONS:
            by_name.setdefault(s.name, []).append(s)
    jobs, skipped = [], []
    for name in wanted:
        cands = by_name.get(name) or []
        if not cands and name == "legacy":
            cands = [s for s in sections if legacy_score(s.text) >= 2]
        if not cands:
            skipped.append(f"{name}: table not found in the text; not sent")
            continue
        section = max(cands, key=lambda s: (legacy_score(s.text) if name == "legacy" else 0, len(s.text)))
        if len(section.text) > MAX_SECTION_CHARS:
            skipped.append(f"{name}: section is {len(section.text)} characters, too long to send")
            continue
        form = detect_form(section.text, template, result.cells) if name == "applications" else None
        jobs.append((section, layout_for(name, template, form)))
    return jobs, skipped


# --- merge ---------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return to_decimal(a) == to_decimal(b)


def _failing_by_key(values: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for chk in run_checks(values):
        if chk.status == CheckStatus.fail and not chk.warning:
            for k in chk.cells:
                out.setdefault(k, set()).add(chk.rule)
    return out


def merge_section(out: Result, section, layout: Layout, reply: SectionReply, backend: str) -> Optional[str]:
    """Merge one section's LLM answer into ``out`` (in place); a one-line note if notable."""
    answer = reply.answer
    assert answer is not None
    llm_values, llm_raws = answer.values(), answer.raws()
    grounding = ground_values(section.text, layout, llm_values, llm_raws)
    misread = {k for p in reply.problems if p.kind == "reading" for k in p.keys}
    parser_values = dict(flatten(out.tables))
    mixed = dict(parser_values)
    mixed.update(llm_values)
    fails_p, fails_l = _failing_by_key(parser_values), _failing_by_key(mixed)
    start = getattr(section, "start_line", 1)

    agreed = taken = review = 0
    for key in layout.keys():
        pv, lv = parser_values.get(key), llm_values.get(key)
        cell = out.cells.get(key)
        g = grounding.get(key)
        line = start + g.line if g is not None and g.line is not None else None
        grounded_l = lv is not None and g is not None and g.grounded and key not in misread
        if key not in parser_values and lv is None:
            continue  # neither reader found a printed value: leave the key absent
        if key in parser_values and _same(pv, lv):
            agreed += 1
            if cell is not None and lv is not None and grounded_l and set(cell.flags) & _LIFTED_BY_AGREEMENT:
                cell.flags = [f for f in cell.flags if f not in _LIFTED_BY_AGREEMENT] + ["confirmed_by_llm"]
            continue
        grounded_p = cell is not None and (
            (pv is not None and "unreadable" not in cell.flags)
            or (pv is None and bool(set(cell.flags) & BLANK_FLAGS))  # a blank it saw, not a gap
        )
        fp, fl = fails_p.get(key, set()), fails_l.get(key, set())
        llm_wins = grounded_l and ((not grounded_p and fl <= fp) or (grounded_p and fl < fp))
        parser_wins = grounded_p and ((not grounded_l and fp <= fl) or (grounded_l and fp < fl))
        llm_reading = Candidate(value=lv, method="llm", raw=llm_raws.get(key),
                                note=_llm_note(lv, grounded_l, key in misread, fl))
        parser_reading = Candidate(value=pv, method="parser", raw=cell.raw if cell else None,
                                   note=_parser_note(pv, fp, cell))
        if llm_wins:
            taken += 1
            _set(out, key, Cell(value=lv, raw=llm_raws.get(key), line=line, method="llm",
                                candidates=[parser_reading]))
        elif parser_wins:
            assert cell is not None
            cell.candidates.append(llm_reading)
        else:
            review += 1
            if backend == "llm" or cell is None:
                flags = ["disagreement"] + ([] if grounded_l or lv is None else ["ungrounded"])
                _set(out, key, Cell(value=lv, raw=llm_raws.get(key), line=line if grounded_l else None,
                                    method="llm", flags=flags, candidates=[parser_reading]))
            else:
                if "disagreement" not in cell.flags:
                    cell.flags.append("disagreement")
                cell.candidates.append(llm_reading)
    for info in out.sections:
        if info.name == layout.section:
            info.method = "llm"
    parts = []
    if taken:
        parts.append(f"{taken} cell(s) taken from the LLM")
    if review:
        parts.append(f"{review} cell(s) disagree, both readings kept for review")
    if reply.confirmed and not taken and not review:
        parts.append("the LLM confirms the printed cells; the report's own totals disagree")
    return f"{layout.section}: " + "; ".join(parts) if parts else None


def _set(out: Result, key: str, cell: Cell) -> None:
    t, r, c = key.split(".", 2)
    out.tables.setdefault(t, {}).setdefault(r, {})[c] = cell.value
    out.cells[key] = cell


def _llm_note(value: Any, grounded: bool, misread: bool, fails: set[str]) -> str:
    if value is None:
        return "the LLM read no number here"
    if misread:
        return "the LLM's raw text does not read as its value"
    if not grounded:
        return "ungrounded: not printed near its label"
    if fails:
        return "fails " + ", ".join(sorted(fails))
    return "grounded; checks pass"


def _parser_note(value: Any, fails: set[str], cell: Optional[Cell]) -> str:
    if value is None:
        return "the parser read no number here" + (f" ({', '.join(cell.flags)})" if cell and cell.flags else "")
    if fails:
        return "fails " + ", ".join(sorted(fails))
    return "checks pass"
