"""One document, one pure call: bytes + Config → Result.

ingest → normalise → sections → parse → repair (checks, inference, status)
→ llm (only when configured, only for what the parser could not verify) →
repair again. No global state: a batch maps ``extract`` over a process pool
today and over a cluster tomorrow.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Optional

from .agency import for_report
from .config import Config
from .errors import NianbaoError
from .llm.health import EndpointHealth
from .models import Document, IngestInfo, Result, SectionInfo, Status
from .normalise import normalise_text
from .parse import parse_document
from .parse.tokens import tokenize
from .parse.unflatten import unflatten
from .repair import assess, cell_table
from .sections import Section, detect_template, split_sections, template_of_year
from .title import agency_context, fallback_year, names_itself_a_report, read_title


def _doc_id(source: str) -> str:
    name = Path(source).name
    for ext in (".txt", ".md", ".html", ".htm", ".shtml", ".pdf", ".docx", ".doc", ".png", ".jpg", ".jpeg", ".tif", ".tiff"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name


def extract(data: bytes, source: str, config: Optional[Config] = None,
            health: Optional[EndpointHealth] = None) -> Result:
    """Extract one document from its bytes. Never raises for bad input.

    ``health`` is the caller's record of the LLM endpoint, shared by the calls
    of one run (``nianbao batch`` passes one, so an unreachable endpoint is
    tried once per run, not once per document); None: a fresh one for this
    call. The result depends only on the arguments.
    """
    t0 = time.perf_counter()
    digest = hashlib.sha256(data).hexdigest()
    try:
        from .ingest import ingest
    except ImportError:  # pragma: no cover - the ingest package ships with nianbao
        ingest = None
    try:
        if ingest is not None:
            doc = ingest(data, source)
        else:
            doc = Document(source=source, text=data.decode("utf-8", errors="replace"), info=IngestInfo(ingester="text"))
    except NianbaoError as e:
        return Result(id=_doc_id(source), source=Path(source).name, content_hash=digest, status=Status.error,
                      reason=str(e), timings={"ingest": time.perf_counter() - t0})
    except Exception as e:  # a backend bug must not take the batch down
        return Result(id=_doc_id(source), source=Path(source).name, content_hash=digest, status=Status.error,
                      reason=f"could not read {Path(source).name}: {type(e).__name__}: {e}",
                      timings={"ingest": time.perf_counter() - t0})
    t_ingest = time.perf_counter() - t0
    result = extract_document(doc, config, health)
    result.content_hash = digest
    result.timings["ingest"] = t_ingest
    return result


def extract_document(doc: Document, config: Optional[Config] = None,
                     health: Optional[EndpointHealth] = None) -> Result:
    """Extract from an ingested document (text with tab-separated table rows)."""
    config = config or Config()
    t0 = time.perf_counter()
    nt = normalise_text(doc.text)
    agency, year, title_line = read_title(nt)
    year = year or fallback_year(nt)
    nt = unflatten(nt)  # tables flattened into running text, cut back into rows
    tokens = tokenize(nt)
    template = detect_template(nt, year, tokens)
    inferred = template is None and year is not None and (title_line is not None or names_itself_a_report(nt))
    if inferred:  # an annual report by its title whose tables were not found: never not_a_report
        template = template_of_year(year)
    agency_match = for_report(agency, *agency_context(nt, title_line), config.agencies_file)
    base = dict(id=_doc_id(doc.source), source=Path(doc.source).name, agency=agency, year=year, ingest=doc.info,
                agency_match=agency_match,
                content_hash=hashlib.sha256(doc.text.encode("utf-8", errors="replace")).hexdigest())
    if not doc.text.strip():
        return Result(**base, status=Status.error, reason="the document has no text")
    if template is None:
        return Result(**base, status=Status.not_a_report,
                      reason="no table of an information-disclosure annual report was found (not a 政府信息公开工作年度报告?)")
    sections = split_sections(nt)
    parsed = parse_document(nt, template, sections, tokens)
    t_parse = time.perf_counter() - t0
    tables = cell_table(parsed.cells)
    if parsed.extra:
        tables.setdefault("legacy", {})["extra"] = {k: c.value for k, c in parsed.extra.items()}
    section_infos = [
        SectionInfo(name=s.name, heading=s.heading, start_line=s.start_line, end_line=s.end_line)
        for s in sections
    ]
    for name, (a, b) in parsed.regions.items():
        if not any(s.name == name for s in section_infos) or name == "legacy":
            section_infos.append(SectionInfo(name=name, heading=None, start_line=a + 1, end_line=b))
    result = Result(
        **base,
        template=template,
        tables=tables,
        cells=parsed.cells,
        sections=section_infos,
        narrative=parsed.narrative,
        status=Status.needs_review,
    )
    result = assess(result)
    if inferred:
        result.status = Status.needs_review
        result.reason = (f"an annual report by its title, but no table was recognised; template {template} "
                         f"inferred from the year {year}" + (f"; {result.reason}" if result.reason else ""))
    result.timings["parse"] = t_parse
    if config.effective_backend != "parser":
        result = _refine_with_llm(result, table_sections(nt, parsed.regions, template), config, health)
    result.timings["extract"] = time.perf_counter() - t0
    return result


def table_sections(nt, regions: dict[str, tuple[int, int]], template: str) -> list[Section]:
    """The chunks sent to the LLM: each table's region as a Section."""
    out = []
    for name, (a, b) in regions.items():
        out.append(Section(name, nt.lines[a].strip() if a < len(nt.lines) else None, a + 1, b, "\n".join(nt.lines[a:b])))
    return out


def _refine_with_llm(result: Result, sections: list[Section], config: Config,
                     health: Optional[EndpointHealth]) -> Result:
    t0 = time.perf_counter()
    try:
        from .llm.cascade import refine
    except ImportError as e:  # pragma: no cover
        result.warnings.append(f"LLM backend unavailable: {e}")
        return result
    try:
        refined = refine(result, sections, config, health)
    except NianbaoError as e:
        result.warnings.append(f"LLM not used: {e}")
        result.llm.errors.append(str(e))
        return result
    refined = assess(refined)
    refined.timings["llm"] = time.perf_counter() - t0
    return refined


def extract_text(text: str, source: str = "<text>", config: Optional[Config] = None,
                 health: Optional[EndpointHealth] = None) -> Result:
    return extract_document(Document(source=source, text=text, info=IngestInfo(ingester="text")), config, health)


def extract_path(path, config: Optional[Config] = None, health: Optional[EndpointHealth] = None) -> Result:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        return Result(id=_doc_id(p.name), source=p.name, status=Status.error, reason=f"cannot read {p}: {e.strerror}")
    return extract(data, p.name, config, health)
