"""Find goldens and their sources; read the layout/damage labels they carry.

Goldens are ``<id>.json`` beside their source (the ``source`` field names
it). Synthetic goldens put their layout and damage kinds in ``notes`` as JSON
text, so they stay valid golden-format; hand-labelled ones are grouped by
their source's file type instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from pydantic import ValidationError

from extractor.models import Golden


@dataclass
class Case:
    """One golden and the document it was labelled from."""

    id: str
    golden_path: Path
    source_path: Optional[Path]
    golden: dict = field(default_factory=dict)
    layout: str = "unlabelled"
    table_layouts: dict[str, str] = field(default_factory=dict)
    damage: list[str] = field(default_factory=list)
    variations: Optional[list[str]] = None  # synthetic variations (None: a corpus without them)
    format: str = ""
    error: Optional[str] = None  # why the golden could not be used

    def layout_of(self, table: str) -> str:
        return self.table_layouts.get(table, self.layout)


def parse_labels(notes: str) -> dict:
    """Layout/damage labels from a golden's notes, if they are JSON text."""
    if not notes or not notes.lstrip().startswith("{"):
        return {}
    try:
        data = json.loads(notes)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def load_case(path: Path) -> Case:
    """Read and validate one golden; a bad one becomes a Case with ``error``."""
    path = Path(path)
    case = Case(id=path.stem, golden_path=path, source_path=None)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        golden = Golden.model_validate(data)
    except (OSError, ValueError, ValidationError) as exc:
        case.error = f"invalid golden: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        return case
    case.id = golden.id
    case.golden = golden.model_dump(mode="json")
    src = path.parent / golden.source
    case.source_path = src
    case.format = src.suffix.lstrip(".").lower()
    if not src.is_file():
        case.error = f"source not found: {golden.source}"
    labels = parse_labels(golden.notes)
    case.layout = str(labels.get("layout") or f"source:{case.format or 'unknown'}")
    case.table_layouts = {str(k): str(v) for k, v in (labels.get("table_layouts") or {}).items()}
    case.damage = [str(d) for d in (labels.get("damage") or [])]
    if isinstance(labels.get("variations"), list):
        case.variations = [str(v) for v in labels["variations"]]
    return case


def load_cases(goldens_dir: Path, limit: Optional[int] = None) -> list[Case]:
    """Every ``*.json`` golden in a folder and its sub-folders (goldens/real/…), sorted by path."""
    paths = sorted(p for p in Path(goldens_dir).rglob("*.json") if p.is_file() and p.name not in ("manifest.json", "bench.json"))
    if limit is not None:
        paths = paths[:limit]
    return [load_case(p) for p in paths]
