"""An archive of agencies across years: varied spellings, renamed divisions, OCR-damaged names.

Issue 12's corpus. Agencies are drawn from the real division list (so their ids
are known), each publishing one report a year. What varies, each a named variation
reported on its own:

* ``parent`` — the county printed with its prefecture (淮安市洪泽区…) or alone;
* ``renamed`` — before its division was renamed (撤县设区, 撤市设区, merged) the
  report prints the former name (洪泽县人民政府, 2015);
* ``dept_short`` — a department by its short form (发改局 for 发展和改革局);
* ``ocr`` — one character of the division's name read as a look-alike (沭 → 沐);
* ``ambiguous`` — a name several divisions share (朝阳区); the portal's name
  above the title says which;
* ``duplicate`` — the same report crawled twice, as text and as HTML.

Each document's golden carries the truth in its notes: ``agency_id`` and the
variations it shows. ``eval/bench_agency.py`` runs a batch over the archive and
scores it.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from extractor.agency import Registry, registry
from extractor.normalise import to_simplified

from .synthetic import generate_document

GOVERNMENT = "人民政府"
DEPARTMENTS = ("发展和改革局", "住房和城乡建设局", "市场监督管理局", "人力资源和社会保障局", "财政局", "教育局",
               "卫生健康委员会", "交通运输局", "应急管理局", "医疗保障局", "民政局", "司法局")
NAMES = ("parent", "renamed", "dept_short", "ocr", "ambiguous", "duplicate")


@dataclass
class Agency:
    code: str
    body: str  # 人民政府, 人民政府办公室, or a department's full name
    former: list[tuple[str, int]] = field(default_factory=list)  # (former name, year it changed)

    @property
    def agency_id(self) -> str:
        return f"{self.code}:{self.body}"


def _pick_agencies(reg: Registry, rng: random.Random, n: int) -> list[Agency]:
    counties = sorted(c for c, d in reg.divisions.items() if d.level == 3 and d.parent)
    renamed = sorted(c for c in counties if any(2015 < y <= 2024 for _, y in reg.former.get(c, [])))
    shared = sorted({c for name, entries in reg.by_name.items() if len(name) >= 3
                     for c, how in entries if how == "exact" and reg.divisions[c].level == 3
                     and len([1 for _, h in entries if h == "exact"]) == 2})
    prefectures = sorted(c for c, d in reg.divisions.items() if d.level == 2)
    out: list[Agency] = []
    seen: set[tuple[str, str]] = set()
    while len(out) < n:
        pool = (renamed, shared, counties, counties, prefectures)[len(out) % 5]
        code = rng.choice(pool)
        body = rng.choice((GOVERNMENT, GOVERNMENT, "人民政府办公室", *DEPARTMENTS[:4], rng.choice(DEPARTMENTS)))
        if (code, body) in seen:
            continue  # one agency once: its duplicates are the ones the archive makes on purpose
        seen.add((code, body))
        former = [(nm, y) for nm, y in reg.former.get(code, []) if 2015 < y <= 2024]
        out.append(Agency(code, body, former[-1:]))
    return out


def _lookalike(reg: Registry, rng: random.Random, name: str) -> Optional[str]:
    """``name`` with one character read as its closest look-alike (never the suffix)."""
    spots = [i for i, ch in enumerate(name[:-1]) if reg.similar.get(ch)]
    if not spots:
        return None
    i = rng.choice(spots)
    alike = max(reg.similar[name[i]].items(), key=lambda kv: kv[1])[0]
    return name[:i] + alike + name[i + 1:]


def printed_name(reg: Registry, rng: random.Random, a: Agency, year: int) -> tuple[str, str, Optional[str], set[str]]:
    """(agency as printed that year, as its title prints it (OCR damage is local: the title alone),
    the portal's name above the title or None, variations shown)."""
    d = reg.divisions[a.code]
    parent = reg.divisions.get(d.parent) if d.parent else None
    shown: set[str] = set()
    own = d.name
    for name, changed in a.former:
        if year < changed:
            own = name
            shown.add("renamed")
    shares = len({c for c, _ in reg.by_name.get(own, [])}) > 1  # with former names: 桥东区
    with_parent = parent is not None and parent.level == 2 and rng.random() < 0.4
    if with_parent:
        shown.add("parent")
    division = title_division = (parent.name if with_parent else "") + own
    if "renamed" not in shown and rng.random() < 0.15:
        damaged = _lookalike(reg, rng, own)
        if damaged:
            title_division = (parent.name if with_parent else "") + damaged
            shown.add("ocr")
    portal = None
    if shares and not with_parent:
        shown.add("ambiguous")
        portal = f"{parent.name if parent else reg.divisions[d.code[:2] + '0000'].name}人民政府门户网站"
    body = a.body
    if body in DEPARTMENTS and rng.random() < 0.5:
        short = {v: k for k, v in reg.departments.items()}.get(body)
        if short:
            body = short
            shown.add("dept_short")
    return division + body, title_division + body, portal, shown


def generate_archive(n_agencies: int, seed: int, out_dir: Path, years: tuple[int, int] = (2015, 2024),
                     duplicate_p: float = 0.05) -> list[Path]:
    """Write one report per agency and year (and some duplicates) with goldens; returns the sources."""
    reg = registry()
    rng = random.Random(f"nianbao-synth-agency/{seed}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    index = 0
    for a in _pick_agencies(reg, rng, n_agencies):
        for year in range(years[0], years[1] + 1):
            printed, in_title, portal, shown = printed_name(reg, rng, a, year)
            copies = ("txt", "html") if rng.random() < duplicate_p else (rng.choice(("txt", "html")),)
            for k, fmt in enumerate(copies):
                doc_id, ext, text, golden = generate_document(
                    seed, index, [fmt], issuer={"agency": printed, "year": year, "portal": portal, "title_agency": in_title})
                if in_title != printed and in_title not in to_simplified(str(text)):
                    shown = shown - {"ocr"}  # a title split over lines: the damage did not land
                doc_id = f"agency-{seed}-{index:05d}"
                notes = json.loads(golden["notes"])
                notes.update({"agency_id": a.agency_id, "agency_variations": sorted(shown | ({"duplicate"} if len(copies) > 1 else set())),
                              "copy": k})
                golden.update({"id": doc_id, "source": f"{doc_id}.{ext}", "notes": json.dumps(notes, ensure_ascii=False)})
                src = out / f"{doc_id}.{ext}"
                src.write_text(text, encoding="utf-8") if isinstance(text, str) else src.write_bytes(text)
                (out / f"{doc_id}.json").write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
                paths.append(src)
                index += 1
    return paths
