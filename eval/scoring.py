"""Score one extraction result against one golden, as golden-format.md says.

Outside tools score with the same rules, so each rule here is literal:
flatten both ``tables``; over the golden's keys a cell is correct when the
values are equal as decimals (``null`` equals ``null`` or a missing key); a
result key absent from the golden is spurious; a table is exact when all its
cells are correct and it has no spurious cell; a silent error is a wrong or
spurious cell in a result whose status is ``verified``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from extractor.template import flatten

OK = "ok"
WRONG = "wrong"  # the result holds another value (or null for a number)
MISSING = "missing"  # the golden has a number, the result has no such key
SPURIOUS = "spurious"  # the result has a key the golden does not have

_ABSENT = object()


def as_dict(obj: Any) -> dict:
    """A pydantic model (Result, Golden) or a plain dict, as a JSON-like dict."""
    if obj is None:
        return {}
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    return dict(obj)


def to_decimal(value: Any) -> Optional[Decimal]:
    """Decimal of a cell value; floats go through repr so 493.5 stays 493.5."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def values_equal(golden: Any, result: Any) -> bool:
    """The cell rule: null equals null or missing; numbers equal as decimals."""
    if golden is None:
        return result is None or result is _ABSENT
    if result is None or result is _ABSENT:
        return False
    if isinstance(golden, bool) or isinstance(result, bool):
        return golden is result  # True/False are not the numbers 1/0 here
    g, r = to_decimal(golden), to_decimal(result)
    if g is None or r is None:
        return golden == result  # not numbers at all: only identical text matches
    try:
        return g == r
    except InvalidOperation:  # NaN and friends
        return False


@dataclass
class CellDiff:
    """One cell that is not correct, with what the extractor says about it."""

    key: str
    outcome: str
    golden: Any = None
    result: Any = None
    raw: Optional[str] = None
    line: Optional[int] = None
    span: Optional[list[int]] = None
    method: Optional[str] = None
    repaired: Optional[str] = None
    flags: list[str] = field(default_factory=list)

    @property
    def table(self) -> str:
        return self.key.split(".", 1)[0]


@dataclass
class TableScore:
    table: str
    in_golden: bool
    golden_cells: int = 0
    correct: int = 0
    wrong: int = 0
    missing: int = 0
    spurious: int = 0

    @property
    def exact(self) -> bool:
        """All golden cells correct and nothing spurious (only golden tables count)."""
        return self.in_golden and self.correct == self.golden_cells and self.spurious == 0

    @property
    def accuracy(self) -> Optional[float]:
        return self.correct / self.golden_cells if self.golden_cells else None


@dataclass
class DocScore:
    """Everything the rules say about one document."""

    id: str
    status: Optional[str]
    golden_cells: int = 0
    correct: int = 0
    wrong: int = 0
    missing: int = 0
    spurious: int = 0
    silent_errors: int = 0
    template_ok: Optional[bool] = None
    agency_ok: Optional[bool] = None
    year_ok: Optional[bool] = None
    golden_meta: dict = field(default_factory=dict)  # template, agency, year of the golden
    result_meta: dict = field(default_factory=dict)  # the same, as extracted
    tables: dict[str, TableScore] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)  # flat key -> OK/WRONG/MISSING/SPURIOUS
    diffs: list[CellDiff] = field(default_factory=list)

    @property
    def accuracy(self) -> Optional[float]:
        return self.correct / self.golden_cells if self.golden_cells else None

    @property
    def errors(self) -> int:
        return self.wrong + self.missing + self.spurious

    def to_json(self) -> dict:
        d = asdict(self)
        d["tables"] = {
            k: {**asdict(t), "exact": t.exact, "accuracy": t.accuracy} for k, t in self.tables.items()
        }
        d["cell_accuracy"] = self.accuracy
        return d


def _norm_agency(name: Any) -> Optional[str]:
    if name is None:
        return None
    return "".join(str(name).split())


def _provenance(cells: dict, key: str) -> dict:
    cell = cells.get(key) if cells else None
    if cell is None:
        return {}
    return as_dict(cell)


def _status(result: dict) -> Optional[str]:
    status = result.get("status")
    return getattr(status, "value", status)


def score_document(golden: Any, result: Any) -> DocScore:
    """Score ``result`` (Result or dict) against ``golden`` (Golden or dict)."""
    g, r = as_dict(golden), as_dict(result)
    g_flat = flatten(g.get("tables") or {})
    r_flat = flatten(r.get("tables") or {})
    cells = r.get("cells") or {}
    status = _status(r)
    score = DocScore(id=str(g.get("id") or r.get("id") or ""), status=status)

    for t in (g.get("tables") or {}):
        score.tables.setdefault(t, TableScore(t, in_golden=True))

    def table_of(key: str) -> TableScore:
        t = key.split(".", 1)[0]
        if t not in score.tables:
            score.tables[t] = TableScore(t, in_golden=False)
        return score.tables[t]

    for key, gv in g_flat.items():
        ts = table_of(key)
        ts.golden_cells += 1
        score.golden_cells += 1
        rv = r_flat.get(key, _ABSENT)
        if values_equal(gv, rv):
            outcome = OK
            ts.correct += 1
            score.correct += 1
        elif rv is _ABSENT:
            outcome = MISSING
            ts.missing += 1
            score.missing += 1
        else:
            outcome = WRONG
            ts.wrong += 1
            score.wrong += 1
        score.outcomes[key] = outcome
        if outcome != OK:
            score.diffs.append(_diff(key, outcome, gv, None if rv is _ABSENT else rv, cells))

    for key, rv in r_flat.items():
        if key in g_flat:
            continue
        ts = table_of(key)
        ts.spurious += 1
        score.spurious += 1
        score.outcomes[key] = SPURIOUS
        score.diffs.append(_diff(key, SPURIOUS, None, rv, cells))

    if status == "verified":
        score.silent_errors = score.errors

    score.golden_meta = {k: g.get(k) for k in ("template", "agency", "year")}
    score.result_meta = {k: r.get(k) for k in ("template", "agency", "year")}
    score.template_ok = g.get("template") == r.get("template")
    if g.get("agency") is not None:
        score.agency_ok = _norm_agency(g.get("agency")) == _norm_agency(r.get("agency"))
    if g.get("year") is not None:
        score.year_ok = _same_year(g.get("year"), r.get("year"))
    return score


def _same_year(g: Any, r: Any) -> bool:
    try:
        return r is not None and int(g) == int(r)
    except (TypeError, ValueError):
        return False


def _diff(key: str, outcome: str, gv: Any, rv: Any, cells: dict) -> CellDiff:
    p = _provenance(cells, key)
    span = p.get("span")
    return CellDiff(
        key=key,
        outcome=outcome,
        golden=gv,
        result=rv,
        raw=p.get("raw"),
        line=p.get("line"),
        span=list(span) if span else None,
        method=p.get("method"),
        repaired=p.get("repaired"),
        flags=list(p.get("flags") or []),
    )
