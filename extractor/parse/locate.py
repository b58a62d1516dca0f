"""Find each table by what it contains, not by the chapter it sits in.

A table is where a run of lines carries its row labels and header words
(the template's labels and their aliases). Chapter headings, captions
(``表三``, ``附表2``, ``续表``) and prose are never the boundary: chapters
come numbered in any style or not at all, an overview may repeat the chapter
names, a table may sit in an appendix the body only points to, and prose
mentions a table's words (``第二十条``, ``本年新收政府信息公开申请N件``).
Prose lines never count as hits; a run of hits may be interrupted by page
numbers, running headers, a repeated header row or a page break and go on.

Each table's region is its best run of hits (most distinct labels), grown
upwards over its header lines and downwards over the values of its last
rows, and clipped so that regions never overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional, Sequence

from ..normalise import label_key
from ..template import ACTIVE_2019, ACTIVE_2021, APPLICATIONS_2019, APPLICATIONS_2021, REVIEW_LITIGATION, Table
from .tokens import Line, separator

TABLES = ("active_disclosure", "applications", "review_litigation")

# Header words beyond the column labels of template.py.
_EXTRA_HEADERS = {
    "active_disclosure": ("第二十条", "信息内容", "本年增减"),
    "applications": ("申请人情况", "法人或其他组织", "本年度办理结果", "办理结果"),
    "review_litigation": ("行政复议", "行政诉讼"),
}
# Column labels too common to say which table a line belongs to.
_GENERIC = {"其他", "总计", "合计", "小计"}

# a numbered chapter heading (五、存在的主要问题…, 第五部分, （五）, 5.)
_CHAPTER_RE = re.compile(r"^(?:第?[一二三四五六七八九十]{1,3}(?:部分|章|[、.．])|[（(][一二三四五六七八九十]{1,3}[)）]|\d{1,2}[.、．](?!\d))")
MIN_IDS = 4  # fewer distinct labels than this: look again with wrapped header words joined
MAX_GAP = 45  # lines with words (not figures alone) between two hits of one run
MAX_PROSE_GAP = 3  # prose lines between two hits that end a run
MAX_HEADER_LINES = 12  # label lines above the first hit taken as the table's header
MAX_TAIL_LINES = 45  # non-blank lines below the last hit taken as its rows' values
MAX_TAIL_LABEL = 12  # a one-cell label line longer than this (no hit) ends the tail


def _patterns(name: str) -> tuple[tuple[str, str], ...]:
    tables: Sequence[Table] = {
        "active_disclosure": (ACTIVE_2019, ACTIVE_2021),
        "applications": (APPLICATIONS_2019, APPLICATIONS_2021),
        "review_litigation": (REVIEW_LITIGATION,),
    }[name]
    out: dict[str, str] = {}
    for t in tables:
        for r in t.rows:
            for p in (r.label, *r.aliases):
                k = label_key(p)
                if k and k not in _GENERIC:
                    out[k] = f"row:{r.key}"
        for col, lab in t.column_labels.items():
            k = label_key(lab).replace("万元", "")
            if k and k not in _GENERIC:
                out[k] = f"col:{col}"
    for w in _EXTRA_HEADERS[name]:
        out[label_key(w)] = f"head:{w}"
    return tuple(out.items())


# Each table's row labels, aliases and header words (label keys) with what they name.
TABLE_WORDS = {name: _patterns(name) for name in TABLES}


@lru_cache(maxsize=65536)
def hits_of(key: str, name: str) -> frozenset[str]:
    """Which labels of table ``name`` a line's label text names."""
    if not key:
        return frozenset()
    found = set()
    for pat, ident in TABLE_WORDS[name]:
        if len(pat) < 3:
            if key == pat or key.lstrip("0123456789一二三四五六七八九十") == pat:
                found.add(ident)
        elif pat in key:
            found.add(ident)
    return frozenset(found)


def line_key(line: Line) -> str:
    """The label text of a line that is not prose ("" for prose and value-only lines)."""
    return "" if _has_prose(line) else _label_text(line)


def _label_text(line: Line) -> str:
    return label_key("".join(c.text for c in line.cells if c.kind == "label"))


@dataclass
class Run:
    name: str
    lines: list[int]  # 0-based line indexes of its hits
    ids: set[str]

    @property
    def score(self) -> tuple[int, int, int]:
        return (len(self.ids), len(self.lines), self.lines[-1])


def wrapped_keys(lines: Sequence[Line], text: Sequence[str] = ()) -> dict[int, list[str]]:
    """Header words wrapped in narrow columns (行政复 / 议, 结果 / 维持), joined
    back: up to three label-only lines in a row, one cell each read in order,
    or tab/pipe rows joined field by field. Line index → the joined texts."""
    out: dict[int, list[str]] = {}
    window: list[Line] = []
    for line in lines:
        if line.is_blank:
            continue
        if not _is_label_only(line):
            window = []
            continue
        window = (window + [line])[-3:]
        joined = []
        for n in (2, 3):
            part = window[-n:]
            if len(part) < n:
                continue
            if all(len(x.cells) == 1 for x in part):
                joined.append(label_key("".join(x.cells[0].text for x in part)))
            elif part[0].aligned and all(c.x1 > 0 for x in part for c in x.cells):
                joined.append(label_key(_join_columns(part)))
            elif text and all(x.multi for x in part):
                joined.append(label_key(_join_fields([text[x.index] for x in part])))
        if joined:
            out[line.index] = joined
    return out


def _join_columns(part: Sequence[Line]) -> str:
    """Space-aligned header lines joined column by column: each word of the
    first line with the words below it that overlap it (本年新 / 制作数 / 量)."""
    out = []
    for top in part[0].cells:
        pieces = [top.text] + [c.text for line in part[1:] for c in line.cells
                               if c.x0 < top.x1 and top.x0 < c.x1]
        out.append("".join(pieces))
    return "|".join(out)


def _join_fields(rows: Sequence[str]) -> str:
    sep = separator(rows[0]) or "\t"
    fields = [r.split(sep) for r in rows]
    width = max(len(f) for f in fields)
    return sep.join("".join(f[i] if i < len(f) else "" for f in fields) for i in range(width))


def line_hits(lines: Sequence[Line], wrapped: dict[int, list[str]],
              names: Sequence[str] = TABLES) -> list[tuple[Line, bool, dict[str, frozenset[str]]]]:
    """Each printed line once: whether it is prose, and which labels of each table it names."""
    return [_line_hit(line, wrapped.get(line.index), names) for line in lines if not line.is_blank]


def _line_hit(line: Line, extra: Optional[list[str]],
              names: Sequence[str]) -> tuple[Line, bool, dict[str, frozenset[str]]]:
    """One line's entry of ``line_hits``; ``extra``: its wrapped header texts."""
    if not line.multi and line.cells[0].kind in ("value", "blank"):
        return line, False, {}  # a figure alone on its line names nothing
    prose = _has_prose(line)
    key = "" if prose else _label_text(line)  # line_key, with the prose test done once
    if extra:
        hits = {name: frozenset().union(*(hits_of(k, name) for k in (key, *extra))) for name in names}
    else:
        hits = _hits_by_table(key, tuple(names)) if key else {}
    return line, prose, hits


@lru_cache(maxsize=65536)
def _hits_by_table(key: str, names: tuple[str, ...]) -> dict[str, frozenset[str]]:
    return {name: hits_of(key, name) for name in names}


def _runs(hits: Sequence[tuple[Line, bool, dict[str, frozenset[str]]]],
          names: Sequence[str]) -> dict[str, list[Run]]:
    """Each table's runs of lines naming its labels, in one pass over the lines.

    A run ends after more than MAX_GAP worded lines, MAX_PROSE_GAP prose
    lines or two lines naming only other tables since its last hit. These are
    counted once for all tables (running totals, and each table's totals at
    its last hit), so the many lines naming nothing cost one addition each."""
    runs: dict[str, list[Run]] = {name: [] for name in names}
    cur: dict[str, Optional[Run]] = dict.fromkeys(names)
    worded_total = prose_total = named_total = 0  # worded, prose and naming lines so far
    at_hit = {name: (0, 0, 0) for name in names}  # the totals after each table's last hit
    for line, is_prose, by_table in hits:
        named = [t for t in names if by_table.get(t)] if by_table else ()
        if not named:  # most lines name nothing
            worded_total += line.multi or line.cells[0].kind not in ("value", "blank")  # figures alone: a table's own cells
            prose_total += is_prose
            continue
        for name in named:
            w, p, f = at_hit[name]
            run = cur[name]
            if (run is None or worded_total - w > MAX_GAP or prose_total - p >= MAX_PROSE_GAP
                    or named_total - f >= 2):
                run = cur[name] = Run(name, [], set())  # another table's rows in between: a new run
                runs[name].append(run)
            run.lines.append(line.index)
            run.ids |= by_table[name]
        worded_total += line.multi or line.cells[0].kind not in ("value", "blank")
        prose_total += is_prose
        named_total += 1
        for name in named:
            at_hit[name] = (worded_total, prose_total, named_total)
    return runs


def _best_runs(hits, names: Sequence[str]) -> dict[str, Run]:
    return {name: max(rs, key=lambda r: r.score) for name, rs in _runs(hits, names).items() if rs}


def _is_label_only(line: Line) -> bool:
    """Words and nothing else (a header row: its empty fields do not count)."""
    return any(c.kind == "label" for c in line.cells) and all(
        c.kind in ("label", "unit", "noise") or (c.kind == "blank" and not c.text.strip()) for c in line.cells)


def _has_prose(line: Line) -> bool:
    return any(c.kind == "prose" for c in line.cells)


def _grow_up(lines: Sequence[Line], first: int, floor: int) -> int:
    """Header lines above the first hit: labels only, no values, no prose."""
    start, taken = first, 0
    k = first - 1
    while k >= floor and taken < MAX_HEADER_LINES:
        line = lines[k]
        if not line.is_blank:
            if not _is_label_only(line):
                break
            taken += 1
            start = k
        k -= 1
    return start


def _grow_down(lines: Sequence[Line], last: int, ceiling: int, others: Sequence[str]) -> int:
    """Lines below the last hit that carry its rows' values; returns the end (exclusive)."""
    end, taken = last + 1, 0
    for k in range(last + 1, ceiling):
        line = lines[k]
        if line.is_blank:
            continue
        if _has_prose(line) or taken >= MAX_TAIL_LINES:
            break
        key = line_key(line)
        if key and any(hits_of(key, o) for o in others):
            break
        if _is_label_only(line) and len(line.cells) == 1 and len(key) > MAX_TAIL_LABEL:
            if _CHAPTER_RE.match(line.cells[0].text.strip(" #*")) or not _figures_follow(lines, k + 1, ceiling):
                break  # a heading or a caption, not a header row or a label's tail
            continue  # a running header (the report's title) inside the table: its figures go on
        taken += 1
        if not _is_label_only(line):
            end = k + 1
    return end


def _figures_follow(lines: Sequence[Line], start: int, ceiling: int) -> bool:
    """Whether figures alone come next: a row of them, or one per line."""
    seen = 0
    for k in range(start, min(ceiling, start + 8)):
        line = lines[k]
        if line.is_blank:
            continue
        if line.labels or _has_prose(line) or not line.values:
            return False
        seen += len(line.values)
        if seen >= 2:
            return True
    return False


def locate_tables(lines: Sequence[Line], names: Sequence[str] = TABLES,
                  text: Sequence[str] = ()) -> dict[str, tuple[int, int]]:
    """0-based line ranges ``[start, end)`` of each table found by its content.

    ``lines`` are the whole document's tokenised lines (index = line number),
    ``text`` its normalised lines (to join wrapped header rows field by field).
    """
    hits = line_hits(lines, {}, names)
    best = _best_runs(hits, names)
    if any(name not in best or len(best[name].ids) < MIN_IDS for name in names):
        # a table not found by whole words: its header may be wrapped in narrow columns
        wrapped = wrapped_keys(lines, text)  # only the lines with wrapped words are read again
        hits = [h if h[0].index not in wrapped else _line_hit(h[0], wrapped[h[0].index], names) for h in hits]
        best = _best_runs(hits, names)
    order = sorted(best.values(), key=lambda r: r.lines[0])
    regions: dict[str, tuple[int, int]] = {}
    floor = 0
    for k, run in enumerate(order):
        nxt = order[k + 1].lines[0] if k + 1 < len(order) else len(lines)
        start = _grow_up(lines, run.lines[0], floor)
        others = [o for o in names if o != run.name]
        end = _grow_down(lines, run.lines[-1], max(nxt, run.lines[-1] + 1), others)
        if k + 1 < len(order):
            end = min(end, nxt)
        regions[run.name] = (start, end)
        floor = end
    return regions
