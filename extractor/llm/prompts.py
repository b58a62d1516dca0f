"""Prompt files: one per table section, versioned, filled from template.py.

Prompts live in ``prompts/`` at the repository root (override with
``NIANBAO_PROMPTS_DIR``) so they can be read and reviewed as text. A file has a
front-matter block (``version: N``) and a body with ``{{ name }}``
placeholders and ``{{> file }}`` includes. The row and column labels are
generated from ``extractor/template.py`` so a key exists in one place only.

The prompt's identity for the cache is its declared version plus a hash of
the rendered instructions: editing a prompt invalidates cached answers even if
someone forgets to bump the version.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ConfigError
from ..template import DECIMAL_COLUMNS, DENIED_ROWS, NOT_PROCESSED_ROWS, OTHER_2021_ROWS, UNABLE_ROWS
from .layout import Layout

_PLACEHOLDER = re.compile(r"\{\{\s*(>?)\s*([\w.\-]+)\s*\}\}")
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def prompts_dir() -> Path:
    env = os.environ.get("NIANBAO_PROMPTS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "prompts"


@dataclass(frozen=True)
class PromptFile:
    section: str
    version: str
    body: str  # with includes resolved, placeholders still in
    path: Path


def load_prompt(section: str, directory: Path | None = None) -> PromptFile:
    d = Path(directory) if directory else prompts_dir()
    path = d / f"{section}.md"
    if not path.is_file():
        raise ConfigError(f"no prompt file {path} (set NIANBAO_PROMPTS_DIR to the prompts/ directory)")
    return _load(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=64)
def _load(path: Path, _mtime: int) -> PromptFile:
    text = path.read_text(encoding="utf-8")
    m = _FRONT.match(text)
    meta: dict[str, str] = {}
    if m:
        for line in m.group(1).splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                meta[k.strip()] = v.strip()
        text = text[m.end():]
    if "version" not in meta:
        raise ConfigError(f"prompt {path} has no 'version:' front-matter line")

    def include(mm: re.Match) -> str:
        if not mm.group(1):
            return mm.group(0)
        inc = path.parent / f"_{mm.group(2)}.md"
        if not inc.is_file():
            raise ConfigError(f"prompt {path} includes missing {inc}")
        return inc.read_text(encoding="utf-8").strip()

    body = _PLACEHOLDER.sub(include, text)
    return PromptFile(meta.get("section", path.stem), meta["version"], body.strip() + "\n", path)


# --- labels, generated from template.py --------------------------------------------

_CN_NUM = "一二三四五六七八九十"


def _applications_label(key: str, label: str) -> str:
    groups = (
        (DENIED_ROWS, "（三）不予公开"),
        (UNABLE_ROWS, "（四）无法提供"),
        (NOT_PROCESSED_ROWS, "（五）不予处理"),
        (OTHER_2021_ROWS, "（六）其他处理"),
    )
    for rows, head in groups:
        if key in rows:
            return f"{head} {rows.index(key) + 1}.{label}"
    fixed = {
        "new_received": f"一、{label}",
        "carried_over": f"二、{label}",
        "granted": f"三、本年度办理结果 （一）{label}",
        "partially_granted": f"（二）{label}（区分处理的，只计这一情形，不计其他情形）",
        "other_handling": f"（六）{label}",
        "total_handled": "（七）总计",
        "carried_forward": f"四、{label}",
    }
    return fixed.get(key, label)


def _review_label(key: str, label: str) -> str:
    return label if key == "review" else f"行政诉讼 · {label}"


def render_rows(layout: Layout) -> str:
    lines = []
    uniform = len({r.columns for r in layout.rows}) == 1
    for r in layout.rows:
        if layout.section == "applications":
            label = _applications_label(r.key, r.label)
        elif layout.section == "review_litigation":
            label = _review_label(r.key, r.label)
        else:
            label = r.label
        line = f"- `{r.key}`: {label}"
        if not uniform:
            cols = ", ".join(f"`{c}` {layout.column_label(c)}" for c in r.columns)
            line += f" — columns: {cols}"
        lines.append(line)
    return "\n".join(lines)


def render_columns(layout: Layout) -> str:
    cols: list[str] = []
    for r in layout.rows:
        for c in r.columns:
            if c not in cols:
                cols.append(c)
    return "\n".join(f"- `{c}`: {layout.column_label(c)}" for c in cols)


def _form_note(layout: Layout) -> str:
    if layout.section != "applications":
        return ""
    if layout.form == "split":
        return ("This report prints （六）其他处理 as three numbered sub-rows (逾期不补正 …, "
                "逾期未按收费通知要求缴纳费用 …, 其他): answer them as "
                "`other_no_correction`, `other_unpaid_fee`, `other_misc`.")
    return "This report prints （六）其他处理 as a single row: answer it as `other_handling`."


@dataclass(frozen=True)
class RenderedPrompt:
    system: str
    user: str
    version: str  # "<declared>+<hash of the rendered instructions>"


def render(layout: Layout, section_text: str, directory: Path | None = None) -> RenderedPrompt:
    """The system message (instructions and labels) and user message (the text)."""
    pf = load_prompt(layout.section, directory)
    values = {
        "title": layout.table.title,
        "template": layout.template,
        "rows": render_rows(layout),
        "columns": render_columns(layout),
        "form_note": _form_note(layout),
        "decimal_columns": ", ".join(f"`{c}`" for c in sorted(DECIMAL_COLUMNS)),
        "section": layout.section,
    }

    def fill(m: re.Match) -> str:
        if m.group(2) not in values:
            raise ConfigError(f"prompt {pf.path} uses unknown placeholder {m.group(0)}")
        return values[m.group(2)]

    system = _PLACEHOLDER.sub(fill, pf.body)
    system = re.sub(r"\n- \n", "\n", system)  # an empty bullet (no form note)
    user = (
        f"Section: {layout.section} · template {layout.template} · answer schema {layout.name}\n"
        "The section text is between the markers <<<TEXT and TEXT>>>.\n\n"
        f"<<<TEXT\n{section_text.strip()}\nTEXT>>>"
    )
    digest = hashlib.sha256(system.encode("utf-8")).hexdigest()[:10]
    return RenderedPrompt(system, user, f"{pf.version}+{digest}")


def prompt_versions(directory: Path | None = None) -> dict[str, str]:
    """Declared version of every section prompt found (for ``nianbao config``)."""
    out = {}
    for section in ("active_disclosure", "applications", "review_litigation", "legacy"):
        try:
            out[section] = load_prompt(section, directory).version
        except ConfigError as err:
            out[section] = f"missing ({err})"
    return out
