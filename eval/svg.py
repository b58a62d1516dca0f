"""Inline SVG bar charts for report.html (no external assets, no JS)."""

from __future__ import annotations

from html import escape
from typing import Optional, Sequence


def bar_colour(value: Optional[float]) -> str:
    if value is None:
        return "#b0b0b0"
    if value >= 0.99:
        return "#2e8b57"
    if value >= 0.9:
        return "#d49a00"
    return "#c0392b"


def bar_chart(title: str, items: Sequence[tuple[str, Optional[float], str]], width: int = 760) -> str:
    """Horizontal bars of a 0..1 figure; ``items`` are (label, value, note)."""
    row_h, top, label_w, right = 24, 30, 230, 150
    bar_w = width - label_w - right
    height = top + row_h * max(1, len(items)) + 24
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="18" class="chart-title">{escape(title)}</text>',
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + tick * bar_w
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 20}" class="grid"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 6}" class="tick" text-anchor="middle">{int(tick * 100)}%</text>')
    for i, (label, value, note) in enumerate(items):
        y = top + i * row_h
        w = 0 if value is None else max(1.0, value * bar_w)
        text = "n/a" if value is None else f"{100 * value:.1f}%"
        out.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" class="label">{escape(label)}</text>')
        out.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{bar_colour(value)}" rx="2">'
            f"<title>{escape(label)}: {text} {escape(note)}</title></rect>"
        )
        out.append(f'<text x="{label_w + bar_w + 6}" y="{y + 16}" class="value">{text} {escape(note)}</text>')
    out.append("</svg>")
    return "\n".join(out)
