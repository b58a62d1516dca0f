"""Typed answers: pydantic models built from template.py, with the checks inside.

One model per (section, template, （六） form). Each cell is ``{raw, value}``:
the printed text (so it can be grounded) and the number it means. The model's
validator reads the section text through instructor's validation context and
rejects an answer whose ``raw`` does not read as its ``value``, whose numbers
are not printed near their labels (grounding), or that fails the report's own
totals (``extractor.checks.run_checks``). instructor turns the rejection into
a re-ask carrying the failing rule ids.

A report's totals are sometimes wrong in the source; on the last attempt the
answer is therefore accepted as it is and its problems are kept for the merge
(see ``AskState``), instead of being forced to add up.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, model_validator

from ..checks import run_checks
from ..models import CheckStatus, Number, to_decimal
from ..normalise import parse_cell
from .grounding import ground_values
from .layout import Layout, layout_for


class LLMCell(BaseModel):
    """One printed cell as the LLM read it."""

    model_config = ConfigDict(extra="forbid")

    raw: Optional[str] = Field(description="The cell's text exactly as printed (null if nothing is printed).")
    value: Optional[Number] = Field(
        description="The number the cell means (null for a blank, a dash or an unreadable cell; 无 is 0)."
    )


@dataclass
class Problem:
    """Why an answer was not accepted as it stands; ``rule`` names it in the feedback."""

    kind: str  # check | grounding | reading
    rule: str  # a check's rule id, or grounding.<key> / reading.<key>
    keys: list[str]
    message: str

    def line(self) -> str:
        return f"- [{self.rule}] {self.message}"


@dataclass
class AskState:
    """Per-request state shared by the transport wrapper and the validator.

    ``attempt`` counts instructor attempts (the wrapper bumps it before each
    one); on the last attempt the validator accepts and only records problems.
    """

    max_attempts: int
    attempt: int = 0
    problems: list[Problem] = field(default_factory=list)
    previous: Optional[dict[str, Any]] = None  # the last rejected answer's values
    confirmed: bool = False  # the LLM repeated an answer that only fails the source's totals
    base_len: Optional[int] = None  # messages in the first request
    seen_len: Optional[int] = None  # messages instructor had at the previous attempt

    @property
    def final(self) -> bool:
        return self.attempt >= self.max_attempts


class SectionAnswer(BaseModel):
    """Base of the generated answer models: flat access and the validator."""

    model_config = ConfigDict(extra="forbid")

    layout: ClassVar[Layout]

    def cells(self) -> dict[str, LLMCell]:
        lay = self.layout
        out: dict[str, LLMCell] = {}
        for r in lay.rows:
            row = getattr(self, r.key)
            for c in r.columns:
                out[f"{lay.section}.{r.key}.{c}"] = getattr(row, c)
        return out

    def values(self) -> dict[str, Optional[Number]]:
        return {k: c.value for k, c in self.cells().items()}

    def raws(self) -> dict[str, Optional[str]]:
        return {k: c.raw for k, c in self.cells().items()}

    @model_validator(mode="after")
    def _holds_up(self, info: ValidationInfo) -> "SectionAnswer":
        ctx = info.context or {}
        state: Optional[AskState] = ctx.get("nianbao_state")
        text = ctx.get("section_text")
        if state is None or text is None:
            return self  # a plain load (e.g. from the cache): judged later by the merge
        problems = review(self, text)
        state.problems = problems
        if not problems:
            return self
        values = self.values()
        only_checks = all(p.kind == "check" for p in problems)
        second = ctx.get("second_opinion")
        if only_checks and (
            (state.previous is not None and _same_values(state.previous, values))
            or (second is not None and _same_values(second, values))
        ):
            # Every cell is grounded and either the LLM, asked to re-read, returned the
            # same cells, or an independent reading (the parser's) is identical: the
            # source's totals are what disagree. Accept rather than force them to add up.
            state.confirmed = True
            return self
        if state.final:
            return self
        state.previous = values
        raise ValueError(feedback(problems))


def _same_values(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if set(a) != set(b):
        return False
    for k, v in a.items():
        w = b[k]
        if (v is None) != (w is None) or (v is not None and to_decimal(v) != to_decimal(w)):
            return False
    return True


def review(answer: SectionAnswer, text: str) -> list[Problem]:
    """Readings that contradict their raw text, ungrounded numbers, failing checks."""
    lay = answer.layout
    problems: list[Problem] = []
    cells = answer.cells()
    for key, cell in cells.items():
        col = key.rsplit(".", 1)[1]
        if cell.raw is None:
            continue
        parsed = parse_cell(cell.raw, col)
        if parsed.kind in ("number", "zero_word", "blank"):
            want = parsed.value
            same = (want is None and cell.value is None) or (
                want is not None and cell.value is not None and to_decimal(want) == to_decimal(cell.value)
            )
            if not same:
                problems.append(Problem("reading", f"reading.{key}", [key],
                                        f"{key}: raw {cell.raw!r} reads as {want}, not {cell.value}"))
    grounding = ground_values(text, lay, answer.values(), answer.raws())
    for key, g in grounding.items():
        if not g.grounded:
            problems.append(Problem("grounding", f"grounding.{key}", [key], f"{key} = {g.reason}"))
    for chk in run_checks(answer.values()):
        if chk.status == CheckStatus.fail and not chk.warning:
            problems.append(Problem("check", chk.rule, list(chk.cells), _check_message(chk)))
    return problems


def _check_message(chk) -> str:
    msg = chk.message or "does not add up"
    return f"{msg} (imbalance {chk.imbalance}); re-read {_compact(chk.cells)}"


def _compact(keys: list[str]) -> str:
    """``applications.granted.total, applications.denied_x.total`` → ``column total of rows granted, denied_x``."""
    parts = [k.split(".") for k in keys if k.count(".") == 2]
    if not parts:
        return ", ".join(keys)
    cols = {p[2] for p in parts}
    rows = list(dict.fromkeys(p[1] for p in parts))
    if len(cols) == 1:
        return f"column {parts[0][2]} of rows {', '.join(rows)}"
    if len(rows) == 1:
        return f"row {rows[0]}, columns {', '.join(p[2] for p in parts)}"
    return ", ".join(keys)


def feedback(problems: list[Problem]) -> str:
    head = ("The answer does not hold up against the section text. Re-read the cells named below "
            "and answer again. Change a cell only if you misread it; if the text really prints "
            "those numbers, return them unchanged.")
    return head + "\n" + "\n".join(p.line() for p in problems[:40]) + (
        f"\n… and {len(problems) - 40} more" if len(problems) > 40 else "")


# --- model factory -------------------------------------------------------------------


@lru_cache(maxsize=64)
def answer_model(section: str, template: str, form: Optional[str] = None) -> type[SectionAnswer]:
    """The answer model for a section; its ``__name__`` is the tool / schema name."""
    lay = layout_for(section, template, form)
    row_models: dict[tuple[str, ...], type[BaseModel]] = {}
    fields: dict[str, Any] = {}
    for r in lay.rows:
        if r.columns not in row_models:
            cols = {
                c: (LLMCell, Field(description=lay.column_label(c))) for c in r.columns
            }
            name = f"{lay.name}_row{len(row_models) + 1}"
            row_models[r.columns] = create_model(name, __config__=ConfigDict(extra="forbid"), **cols)
        fields[r.key] = (row_models[r.columns], Field(description=r.label))
    model = create_model(lay.name, __base__=SectionAnswer, **fields)
    model.layout = lay
    model.__doc__ = f"The cells of {lay.table.title} (template {lay.template})."
    return model


@lru_cache(maxsize=64)
def schema_hash(model: type[BaseModel]) -> str:
    """Changes whenever the answer's JSON schema does (part of the cache key)."""
    blob = json.dumps(model.model_json_schema(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]
