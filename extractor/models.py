"""Pydantic models that flow through the pipeline.

``Result`` is the golden format of ``docs/format.md`` (``id``,
``source``, ``agency``, ``year``, ``template``, ``tables``) plus what the
extractor reports about itself: per-cell provenance, checks, status, ingest
and LLM usage. Scoring reads only the golden fields, so a ``Result`` and a
golden compare key by key.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"

Number = Union[int, float]  # a cell value; the one definition (normalise, checks, llm import it)
Method = Literal["parser", "llm", "inferred", "narrative"]


def to_decimal(v: Number) -> Decimal:
    """The exact decimal a cell value means (through ``str``, so 0.1 stays 0.1)."""
    return Decimal(str(v))


class Status(str, Enum):
    verified = "verified"  # every expected cell read cleanly, every check passes
    repaired = "repaired"  # a cell needed an OCR fix or was inferred; checks pass
    source_inconsistent = "source_inconsistent"  # clean cells, the report's totals disagree
    needs_review = "needs_review"  # a cell is missing or ambiguous
    not_a_report = "not_a_report"  # readable, but not an annual report
    error = "error"  # unusable input (unreadable, corrupt, empty)


class Inferred(BaseModel):
    """A value derived from the report's own totals for an unreadable cell.

    Kept beside the printed value (which stays ``None``): the source is never
    overwritten, but the user sees what the totals imply.
    """

    value: Number
    rule: str


class Candidate(BaseModel):
    """One reading of a cell that disagrees with another (kept for review)."""

    value: Optional[Number]
    method: Method
    raw: Optional[str] = None
    note: Optional[str] = None


class Cell(BaseModel):
    """Provenance of one cell: what was printed, where, and who read it."""

    model_config = ConfigDict(extra="forbid")

    value: Optional[Number] = None
    raw: Optional[str] = None  # the printed text of the cell, as in the source
    line: Optional[int] = None  # 1-based line in the normalised text
    span: Optional[tuple[int, int]] = None  # character offsets in the normalised text
    method: Method = "parser"
    repaired: Optional[str] = None  # what was fixed (e.g. "O→0"), if anything
    inferred: Optional[Inferred] = None
    flags: list[str] = Field(default_factory=list)  # e.g. "unreadable", "label_by_position"
    candidates: list[Candidate] = Field(default_factory=list)


class CheckStatus(str, Enum):
    pass_ = "pass"
    fail = "fail"
    uncertain = "uncertain"


class CheckResult(BaseModel):
    rule: str  # a rule id of template.md, e.g. applications.balance.total
    status: CheckStatus
    expected: Optional[Number] = None  # the printed total
    actual: Optional[Number] = None  # what its parts add up to
    imbalance: Optional[Number] = None  # actual - expected
    cells: list[str] = Field(default_factory=list)  # flat keys involved
    missing: list[str] = Field(default_factory=list)  # null cells that made it uncertain
    warning: bool = False  # narrative checks only warn
    message: Optional[str] = None


class IngestInfo(BaseModel):
    ingester: str = "text"  # text | html | pdf | ocr | docx | ...
    kind: Optional[str] = None  # detected content kind
    encoding: Optional[str] = None
    pages: Optional[int] = None
    ocr_pages: Optional[int] = None
    ocr_confidence: Optional[float] = None
    ocr_engine: Optional[str] = None  # what read the OCR'd pages: "rapidocr 3.10.0/openvino"
    turned_pages: dict[int, int] = Field(default_factory=dict)  # page (1-based) -> degrees turned counter-clockwise before OCR
    seconds: float = 0.0


class LLMUsage(BaseModel):
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_hits: int = 0
    retries: int = 0
    latency_s: float = 0.0
    cost_usd: Optional[float] = None
    errors: list[str] = Field(default_factory=list)

    def add(self, other: "LLMUsage") -> "LLMUsage":
        cost = None
        if self.cost_usd is not None or other.cost_usd is not None:
            cost = (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
        return LLMUsage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cache_hits=self.cache_hits + other.cache_hits,
            retries=self.retries + other.retries,
            latency_s=self.latency_s + other.latency_s,
            cost_usd=cost,
            errors=self.errors + other.errors,
        )


class SectionInfo(BaseModel):
    """Where a section sits in the normalised text and whether it verified."""

    name: str  # overview | active_disclosure | applications | review_litigation | problems | other | legacy
    heading: Optional[str] = None
    start_line: int
    end_line: int
    verified: Optional[bool] = None
    method: Optional[Method] = None


Tables = dict[str, dict[str, dict[str, Optional[Number]]]]


class AgencyMatch(BaseModel):
    """The canonical agency of a report, beside the agency as printed (``agency.canonical``)."""

    agency_id: Optional[str] = None  # "<division code>:<body>", stable across years and spellings
    name: Optional[str] = None  # the canonical name: division path + body
    division_code: Optional[str] = None  # 行政区划代码, 6 digits (9 for a township)
    division: Optional[str] = None  # 江苏省淮安市洪泽区
    province: Optional[str] = None
    prefecture: Optional[str] = None
    county: Optional[str] = None
    township: Optional[str] = None
    level: Optional[Literal["province", "prefecture", "county", "township"]] = None
    kind: Optional[Literal["government", "general_office", "department", "township", "development_zone", "vertical"]] = None
    body: Optional[str] = None  # the body's normalised name (人民政府, 发展和改革局, …)
    parent_id: Optional[str] = None  # the government the body belongs to, or the one above a government
    method: Literal["override", "exact", "alias", "parent_added", "fuzzy", "unmatched"] = "unmatched"
    score: float = 0.0
    note: Optional[str] = None
    candidates: list[str] = Field(default_factory=list)  # for review, when unmatched
    candidate_ids: list[str] = Field(default_factory=list)  # their agency ids (a batch may settle one)


class Result(BaseModel):
    """One report's extraction: the golden fields plus self-reporting."""

    id: str
    source: str
    agency: Optional[str] = None
    year: Optional[int] = None
    template: Optional[Literal["2019", "2021", "legacy"]] = None
    tables: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)
    agency_match: AgencyMatch = Field(default_factory=AgencyMatch)  # the canonical agency (agency.py)

    content_hash: Optional[str] = None  # sha256 of the input bytes: the stable document id
    status: Status = Status.needs_review
    reason: Optional[str] = None  # one line, for not_a_report / error / review
    cells: dict[str, Cell] = Field(default_factory=dict)  # flat key -> provenance
    checks: list[CheckResult] = Field(default_factory=list)
    sections: list[SectionInfo] = Field(default_factory=list)
    narrative: dict[str, Number] = Field(default_factory=dict)  # figures stated in the prose
    unverified_sections: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    ingest: IngestInfo = Field(default_factory=IngestInfo)
    llm: LLMUsage = Field(default_factory=LLMUsage)
    timings: dict[str, float] = Field(default_factory=dict)
    schema_version: str = SCHEMA_VERSION
    pipeline_version: str = Field(default_factory=lambda: _pipeline_version())  # code + prompts hash

    def failing_rules(self) -> list[str]:
        return [c.rule for c in self.checks if c.status == CheckStatus.fail and not c.warning]


def _pipeline_version() -> str:
    from .version import pipeline_version  # read at call time (tests patch it)

    return pipeline_version()


class Golden(BaseModel):
    """A hand-labelled answer (golden-format.md); extra fields are refused."""

    model_config = ConfigDict(extra="forbid")

    id: str
    source: str
    agency: Optional[str] = None
    year: Optional[int] = None
    template: Literal["2019", "2021", "legacy"]
    tables: dict[str, dict[str, dict[str, Any]]]
    notes: str = ""


class Document(BaseModel):
    """What an ingester hands on: the report as text, tables as rows of cells.

    Table rows are lines whose cells are separated by a tab, so the parser
    reads HTML, Word, PDF and OCR output the same way it reads text reports.
    """

    source: str
    text: str
    info: IngestInfo = Field(default_factory=IngestInfo)
