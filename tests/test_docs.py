"""docs/ cannot drift from the code: every key, label and rule id, both ways.

``docs/template.md`` is parsed as a user would read it: under each ``###``
heading naming a table and its template(s), a rows table (row key, printed
label, column keys or （六） form) and a columns table (column key, printed
label); the checks table lists rule ids, ``<col>``/``<row>`` standing for the
documented columns/rows of the rule's table. ``docs/format.md`` must name
every field of a result, a cell's provenance and a check, and every status.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from extractor import template as T
from extractor.checks import NARRATIVE_TARGETS, run_checks, year_over_year
from extractor.models import Candidate, Cell, CheckResult, CheckStatus, Golden, Inferred, Result, Status

DOCS = Path(__file__).resolve().parents[1] / "docs"
TEMPLATE_MD = DOCS / "template.md"
FORMAT_MD = DOCS / "format.md"
README = DOCS.parent / "README.md"
TICKED = re.compile(r"`([^`]+)`")


def md_sections(text: str) -> dict[str, list[list[list[str]]]]:
    """``### heading`` → the markdown tables under it (rows of cells, header row first)."""
    sections: dict[str, list[list[list[str]]]] = {}
    heading, table = None, None
    for line in text.splitlines():
        if line.startswith("#"):
            heading, table = line.lstrip("#").strip(), None
            sections.setdefault(heading, [])
            continue
        if heading is None:
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-+:?", c) for c in cells):
                continue  # the separator row
            if table is None:
                table = []
                sections[heading].append(table)
            table.append(cells)
        else:
            table = None
    return sections


def ticked(cell: str) -> list[str]:
    return TICKED.findall(cell)


class Documented:
    """What docs/template.md says, per (table, template)."""

    def __init__(self, text: str):
        self.rows: dict[tuple[str, str], dict[str, tuple[str, list[str], str]]] = {}  # key -> (label, cols, form)
        self.columns: dict[tuple[str, str], dict[str, str]] = {}
        self.rules: list[str] = []
        for heading, tables in md_sections(text).items():
            names = ticked(heading)
            if names and names[0] in {"active_disclosure", "applications", "review_litigation", "legacy"}:
                templates = [n for n in names[1:] if n in T.TEMPLATES]
                assert templates, f"heading {heading!r} names no template"
                for tpl in templates:
                    self._read_tables(names[0], tpl, tables)
            for table in tables:
                if table[0][0] == "rule id":
                    self.rules += [ticked(r[0])[0] for r in table[1:]]

    def _read_tables(self, table_key: str, tpl: str, tables) -> None:
        for table in tables:
            header = table[0]
            if header[0] == "row key":
                rows = self.rows.setdefault((table_key, tpl), {})
                third = header[2] if len(header) > 2 else ""
                for r in table[1:]:
                    cols = ticked(r[2]) if third == "column keys" else []  # [] = every documented column
                    form = r[2] if third.endswith("form") else ""
                    rows[ticked(r[0])[0]] = (r[1], cols, form)
            elif header[0] == "column key":
                self.columns.setdefault((table_key, tpl), {}).update({ticked(r[0])[0]: r[1] for r in table[1:]})

    def keys(self, tpl: str, form: str) -> set[str]:
        out = set()
        for (table_key, t), rows in self.rows.items():
            if t != tpl:
                continue
            every_column = list(self.columns.get((table_key, t), {}))
            for row, (_, cols, row_form) in rows.items():
                if row_form and row_form != form:
                    continue
                cols = cols or every_column
                out |= {f"{table_key}.{row}.{c}" for c in cols}
        return out

    def expanded_rules(self) -> set[str]:
        out = set()
        for rule in self.rules:
            table_key = rule.split(".")[0]
            rows = {r for (t, _), rs in self.rows.items() if t == table_key for r in rs}
            cols = {c for (t, _), cs in self.columns.items() if t == table_key for c in cs}
            if "<col>" in rule:
                out |= {rule.replace("<col>", c) for c in cols}
            elif "<row>" in rule:
                out |= {rule.replace("<row>", r) for r in rows}
            else:
                out.add(rule)
        return out


@pytest.fixture(scope="module")
def doc() -> Documented:
    return Documented(TEMPLATE_MD.read_text(encoding="utf-8"))


FORMS = [("2019", "single"), ("2019", "split"), ("2021", "split"), ("2021", "single"), ("legacy", "single")]


@pytest.mark.parametrize("tpl, form", FORMS, ids=[f"{t}-{f}" for t, f in FORMS])
def test_every_canonical_key_is_documented_and_nothing_else(doc, tpl, form):
    code = set(T.expected_keys(tpl, other_form=form))
    documented = doc.keys(tpl, "single" if tpl == "legacy" else form)
    assert sorted(code - documented) == [], "keys missing from docs/template.md"
    assert sorted(documented - code) == [], "docs/template.md names keys the code does not have"


def _code_tables():
    """(template, table) pairs; table 三 with both （六） forms for 2019 and 2021."""
    for tpl in T.TEMPLATES:
        yield from ((tpl, t) for t in T.tables_for(tpl))
        if tpl != "legacy":
            yield from ((tpl, t) for t in (T.APPLICATIONS_2019, T.APPLICATIONS_2021))


def test_every_printed_label_is_documented(doc):
    problems = []
    for tpl, table in _code_tables():
        rows = doc.rows.get((table.key, tpl), {})
        for row in table.rows:
            label = rows.get(row.key, ("",))[0]
            if row.label not in label:
                problems.append(f"{tpl} {table.key}.{row.key}: code label {row.label!r}, docs {label!r}")
        columns = doc.columns.get((table.key, tpl), {})
        for col, label in table.column_labels.items():
            if columns.get(col) != label:
                problems.append(f"{tpl} {table.key} column {col}: code label {label!r}, docs {columns.get(col)!r}")
    assert problems == []


def _code_rule_ids() -> set[str]:
    rules = set()
    legacy = dict.fromkeys(T.expected_keys("legacy"), 0)
    for tpl, form in FORMS[:4]:
        values = dict.fromkeys(T.expected_keys(tpl, other_form=form), 0)
        rules |= {c.rule for c in run_checks(values)}
    values = {**dict.fromkeys(T.expected_keys("2019"), 0), **legacy}
    rules |= {c.rule for c in run_checks(values, dict.fromkeys(NARRATIVE_TARGETS, 0))}
    rules.add(year_over_year(1, 1).rule)
    return rules


def test_every_rule_id_is_documented_and_nothing_else(doc):
    code, documented = _code_rule_ids(), doc.expanded_rules()
    assert len(code) >= 56  # 7 balance + 7 handled_sum + 26 row_total + 3 review + 5 legacy + 7 narrative + 1 carry
    assert sorted(code - documented) == [], "rule ids missing from docs/template.md"
    assert sorted(documented - code) == [], "docs/template.md names rule ids the code does not have"


def test_legacy_extra_and_layouts_are_documented():
    text = TEMPLATE_MD.read_text(encoding="utf-8")
    assert "`legacy.extra`" in text
    for tpl in T.TEMPLATES:
        assert f'`"{tpl}"`' in text


def test_format_names_every_field_and_status():
    text = re.sub(r"^```.*?^```", "", FORMAT_MD.read_text(encoding="utf-8"), flags=re.S | re.M)  # no code blocks
    names = {n.strip('"') for n in TICKED.findall(text)}
    wanted = {
        "Result": set(Result.model_fields),
        "Golden": set(Golden.model_fields),
        "Cell": set(Cell.model_fields),
        "Inferred": set(Inferred.model_fields),
        "Candidate": set(Candidate.model_fields),
        "CheckResult": set(CheckResult.model_fields),
        "Status": {s.value for s in Status},
        "CheckStatus": {s.value for s in CheckStatus},
        "scoring": {"cell_accuracy", "tables_exact", "spurious", "silent_errors", "silent_error_documents"},
    }
    missing = {k: sorted(v - names) for k, v in wanted.items() if v - names}
    assert missing == {}


def test_readme_links_the_docs_and_nothing_outside_the_repo():
    readme = README.read_text(encoding="utf-8")
    assert "(docs/template.md)" in readme and "(docs/format.md)" in readme
    for path in (README, TEMPLATE_MD, FORMAT_MD):
        assert not re.search(r"shared/(seeds|docs)", path.read_text(encoding="utf-8")), path
