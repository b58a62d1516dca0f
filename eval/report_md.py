"""report.md: the summary as Markdown, for pull requests and issue threads."""

from __future__ import annotations

from .terminal import pct, secs

MAX_DIFFS_PER_DOC = 30


def _rate(r: dict) -> str:
    return f"{pct(r.get('rate'))} ({r.get('correct', 0)}/{r.get('of', 0)})"


def _breakdown(title: str, rows: dict, with_seconds: bool = False) -> list[str]:
    head = "| | docs | cells | accuracy | tables exact | spurious | silent |" + (" s/doc |" if with_seconds else "")
    sep = "|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if with_seconds else "")
    lines = [f"### {title}", "", head, sep]
    for name, v in rows.items():
        line = (
            f"| {name} | {v['documents']} | {v['golden_cells']} | {pct(v['cell_accuracy'])} | "
            f"{v['tables_exact']}/{v['tables']} | {v['spurious']} | {v['silent_errors']} |"
        )
        if with_seconds:
            line += f" {secs(v.get('seconds_mean'))} |"
        lines.append(line)
    return lines + [""]


def _cell(v) -> str:
    return "∅" if v is None else str(v).replace("|", "\\|").replace("\n", "⏎")


def render_markdown(summary: dict) -> str:
    t = summary["totals"]
    run = summary.get("run") or {}
    llm = t["llm"]
    s = t["seconds"]
    lines = [
        "# nianbao eval report",
        "",
        f"Backend `{run.get('backend', '?')}`, model `{run.get('model') or '—'}`, "
        f"goldens `{run.get('goldens', '?')}`, {t['documents']} documents, created {summary.get('created', '')}.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| cell accuracy | {pct(t['cell_accuracy'])} ({t['correct']}/{t['golden_cells']}) |",
        f"| tables exact | {pct(t['tables_exact_rate'])} ({t['tables_exact']}/{t['tables']}) |",
        f"| documents exact | {t['documents_exact']}/{t['documents']} |",
        f"| wrong / missing / spurious cells | {t['wrong']} / {t['missing']} / {t['spurious']} |",
        f"| silent errors | {t['silent_errors']} cells in {t['silent_error_documents']} documents |",
        f"| status | {', '.join(f'{k} {v}' for k, v in sorted(t['status_counts'].items())) or '—'} |",
        f"| template / agency / year | {_rate(t['template'])} · {_rate(t['agency'])} · {_rate(t['year'])} |",
        f"| LLM | {llm['calls']} calls, {llm['prompt_tokens']}+{llm['completion_tokens']} tokens, {llm['cache_hits']} cache hits |",
        f"| time / document | mean {secs(s['mean'])}, median {secs(s['median'])}, p95 {secs(s['p95'])}, max {secs(s['max'])} |",
        f"| skipped / crashed | {t.get('skipped', 0)} / {t.get('crashed', 0)} |",
        "",
        "## Breakdowns",
        "",
    ]
    lines += _breakdown("By table", summary["by_table"])
    lines += _breakdown("By layout (each table by its own layout)", summary["by_layout"], True)
    lines += _breakdown("By damage kind (documents carrying it)", summary["by_damage"], True)
    if summary.get("by_variation"):
        lines += _breakdown("By synthetic variation (documents carrying it)", summary["by_variation"])
    lines += _breakdown("By template", summary["by_template"])
    lines += ["## Documents with differences", ""]
    bad = [d for d in summary["documents"] if d.get("skipped") or d.get("diffs") or d.get("crashed")]
    if not bad:
        lines.append("None: every cell of every document is correct.")
    for d in bad:
        lines.append(f"### {d['id']}")
        lines.append("")
        if d.get("skipped"):
            lines += [f"Skipped: {d['skipped']}", ""]
            continue
        lines.append(
            f"status `{d['status']}`, accuracy {pct(d['cell_accuracy'])}, layout `{d['layout']}`, "
            f"damage {', '.join(d['damage']) or 'none'}, silent errors {d['silent_errors']}"
            + (f", crashed: {d['crashed']}" if d.get("crashed") else "")
        )
        lines += ["", "| cell | outcome | golden | result | raw | line | method | flags |", "|---|---|---|---|---|---:|---|---|"]
        for x in d["diffs"][:MAX_DIFFS_PER_DOC]:
            lines.append(
                f"| `{x['key']}` | {x['outcome']} | {_cell(x['golden'])} | {_cell(x['result'])} | "
                f"{_cell(x.get('raw'))} | {x.get('line') or ''} | {x.get('method') or ''} | {', '.join(x.get('flags') or [])} |"
            )
        if len(d["diffs"]) > MAX_DIFFS_PER_DOC:
            lines.append(f"| … | {len(d['diffs']) - MAX_DIFFS_PER_DOC} more in report.html | | | | | | |")
        lines.append("")
    return "\n".join(lines) + "\n"
