"""Synthetic reports as scans: image-only PDFs with named damage switches (issue 11).

A scan is the generator's PDF (``synth_binary.render_pdf``) rasterised with
pypdfium2 and damaged the way scanners and archives damage pages. Each
damage is a named switch with a probability for a mixed corpus; a switch
really applied is listed in the golden's ``damage`` (the harness reports
each one separately) and its parameters in the notes' ``scan``. Every
switch draws from its own seeded stream, so turning one on or off never
changes what another does. The output has no text layer: each page is one
JPEG image, as a scanner writes it. The truth is the PDF's truth: damage
changes how the page looks, never what it says.
"""

from __future__ import annotations

import io
import json
import math
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .synth_variations import Spec
from .synth_variations import parse_spec as parse_variation_spec


@dataclass(frozen=True)
class Switch:
    name: str
    what: str
    p: float  # probability in a mixed corpus
    group: str = ""  # at most one switch of a group per document


SWITCHES: tuple[Switch, ...] = (
    Switch("noise", "salt-and-pepper specks and dust blobs", 0.4),
    Switch("blur", "out of focus: Gaussian blur (0.7–1.5 px at 200 dpi)", 0.35),
    Switch("skew", "pages fed crooked: each rotated ±0.5–5°", 0.4),
    Switch("rotate90", "pages scanned sideways (turned 90° counter-clockwise)", 0.05, "rotate"),
    Switch("rotate180", "pages scanned upside down", 0.05, "rotate"),
    Switch("rotate270", "pages scanned sideways (turned 90° clockwise)", 0.05, "rotate"),
    Switch("low_contrast", "grey ink on a grey page", 0.2),
    Switch("jpeg", "saved as a low-quality JPEG (quality 12–30)", 0.3),
    Switch("seal", "a red round seal stamped over table cells", 0.25),
    Switch("rules_horizontal_only", "tables ruled with horizontal lines only", 0.2, "rules"),
    Switch("rules_none", "tables without rules (columns only from positions)", 0.1, "rules"),
    Switch("split_table", "table 三 (legacy: the 统计表) starts near a page bottom and continues on the next, header repeated", 0.35),
)
BY_NAME = {s.name: s for s in SWITCHES}
NAMES = tuple(BY_NAME)
DPI = (150, 200, 300)
FIXED_DATE = time.gmtime(1577836800)  # 2020-01-01, what Pillow writes as the PDF dates
CLEAN_QUALITY = 88  # what a scanner's JPEG looks like without the ``jpeg`` switch
RULES = {"rules_horizontal_only": "horizontal", "rules_none": "none"}
SEAL_FONTS = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def parse_spec(spec: Spec) -> tuple[str, frozenset[str]]:
    """``(mode, names)``: "all" (each at its p; the default), "off", or "only" these names."""
    mode, names = parse_variation_spec(spec, NAMES, "scan damage", default="all")
    groups = [BY_NAME[n].group for n in names if BY_NAME[n].group]
    if len(groups) != len(set(groups)):
        raise ValueError(f"scan damage {sorted(names)}: at most one of each group (rotate*, rules_*)")
    return mode, names


def draw(seed: str, spec: Spec = None) -> set[str]:
    """The switches of one document."""
    mode, names = parse_spec(spec)
    if mode != "all":
        return set(names)
    rng = random.Random(f"{seed}/draw")
    out: set[str] = set()
    groups: set[str] = set()
    for s in SWITCHES:
        if rng.random() < s.p and not (s.group and s.group in groups):
            out.add(s.name)
            groups.add(s.group)
    return out


def render_scan(blocks: list, rng: random.Random, switches: set[str], seed: str) -> tuple[bytes, set[str], set[str], dict]:
    """The report printed (``render_pdf`` with the ruling and paging the switches ask) and scanned.

    Returns (image-only PDF, the damage the paging caused, the switches
    applied, their parameters).
    """
    from .synth_binary import render_pdf

    grids = [b.grid for b in blocks if b.kind == "table"]
    tables = [g.table for g in grids]
    rules = next((s for s in sorted(switches) if s in RULES), None)
    target = next((t for t in ("applications", "legacy") if t in tables), None)
    if target is None and grids:  # a seed's tables have no names: the longest is table 三
        target = max(grids, key=lambda g: len(g.rows)).table
    low_start = None
    if "split_table" in switches and target:
        low_start = (target, random.Random(f"{seed}/split_table").randint(1, 2))  # data rows on the first page
    boxes: list = []
    pdf, paged = render_pdf(blocks, rng, rules=RULES[rules] if rules else "grid", low_start=low_start, boxes=boxes)
    scan, applied, info = scan_pdf(pdf, switches, seed, boxes)
    if rules and tables:
        applied.add(rules)
    if low_start and len({b[0] for b in boxes if b[1] == target}) > 1:
        applied.add("split_table")
    return scan, paged, applied, info


# --- page damage: each a function of (image, its own rng) ------------------------------


def _skew(img: Image.Image, rng: random.Random) -> tuple[Image.Image, float]:
    angle = round(rng.choice((-1, 1)) * rng.uniform(0.5, 5.0), 2)
    fill = 255 if img.mode == "L" else (255, 255, 255)
    return img.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=fill), angle


def _blur(img: Image.Image, rng: random.Random, dpi: int) -> Image.Image:
    return img.filter(ImageFilter.GaussianBlur(rng.uniform(0.7, 1.5) * dpi / 200))


def _low_contrast(img: Image.Image, rng: random.Random) -> Image.Image:
    ink, paper = rng.uniform(90, 140), rng.uniform(185, 225)
    arr = np.asarray(img, dtype=np.float32)
    return Image.fromarray(np.clip(paper - (255 - arr) / 255 * (paper - ink), 0, 255).astype(np.uint8), img.mode)


def _noise(img: Image.Image, rng: random.Random, dpi: int) -> Image.Image:
    nrng = np.random.default_rng(rng.getrandbits(63))
    arr = np.array(img)
    u = nrng.random(arr.shape[:2])
    pepper, salt = rng.uniform(0.001, 0.004), rng.uniform(0.001, 0.004)
    arr[u < pepper] = 0
    arr[u > 1 - salt] = 255
    out = Image.fromarray(arr, img.mode)
    d = ImageDraw.Draw(out)
    ink = 0 if img.mode == "L" else (0, 0, 0)
    for _ in range(rng.randint(15, 60)):  # dust: blobs of a few pixels
        x, y, r = rng.uniform(0, img.width), rng.uniform(0, img.height), rng.uniform(0.5, 2.5) * dpi / 200
        d.ellipse((x - r, y - r * rng.uniform(0.5, 1.5), x + r, y + r), fill=ink)
    return out


def _seal_mask(size: int, rng: random.Random) -> Image.Image:
    """A round official seal as an ink mask: ring, star, agency name on the arc."""
    m = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(m)
    w = max(3, size // 28)
    d.ellipse((w, w, size - w, size - w), outline=255, width=w)
    c, r = size / 2, size * 0.16
    star = [(c + (r if k % 2 == 0 else r * 0.4) * math.sin(k * math.pi / 5), c - (r if k % 2 == 0 else r * 0.4) * math.cos(k * math.pi / 5)) for k in range(10)]
    d.polygon(star, fill=255)
    font_path = next((p for p in SEAL_FONTS if Path(p).is_file()), None)
    if font_path:
        text = rng.choice(("某某县人民政府办公室", "某某市人民政府", "某某区政务公开办公室"))
        font = ImageFont.truetype(font_path, size // 9)
        for k, ch in enumerate(text):
            a = math.radians(-150 + 300 * k / max(len(text) - 1, 1) * 0.8 + 30)
            glyph = Image.new("L", (size // 8, size // 8), 0)
            ImageDraw.Draw(glyph).text((0, 0), ch, fill=255, font=font)
            glyph = glyph.rotate(-math.degrees(a), expand=True)
            x, y = c + size * 0.34 * math.sin(a), c - size * 0.34 * math.cos(a)
            m.paste(255, (int(x - glyph.width / 2), int(y - glyph.height / 2)), glyph)
    holes = np.random.default_rng(rng.getrandbits(63)).random((size, size)) < rng.uniform(0.1, 0.3)  # uneven ink
    arr = np.asarray(m).copy()
    arr[holes] = 0
    return Image.fromarray(arr)


def _seal(img: Image.Image, rng: random.Random, box: tuple[float, float, float, float], dpi: int) -> Image.Image:
    """Stamp a seal centred inside ``box`` (x0, top, x1, bottom in pixels): red ink over black."""
    size = int(rng.uniform(1.5, 1.75) * dpi)  # 38–44 mm across, an official seal
    cx, cy = rng.uniform(box[0] + (box[2] - box[0]) * 0.3, box[2]), rng.uniform(box[1], box[3])
    mask = np.asarray(_seal_mask(size, rng), dtype=np.float32) / 255 * rng.uniform(0.65, 0.9)
    rgb = np.asarray(img.convert("RGB"), dtype=np.float32)
    x0, y0 = int(cx - size / 2), int(cy - size / 2)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + size, img.width), min(y0 + size, img.height)
    a = mask[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0, None]
    red = np.array(rng.choice(((215, 35, 40), (225, 50, 45), (200, 30, 50))), dtype=np.float32)
    patch = rgb[sy0:sy1, sx0:sx1]
    rgb[sy0:sy1, sx0:sx1] = patch * (1 - a) + np.minimum(patch, red) * a  # ink darkens, never lightens
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


_TURN = {"rotate90": Image.Transpose.ROTATE_90, "rotate180": Image.Transpose.ROTATE_180, "rotate270": Image.Transpose.ROTATE_270}


def scan_pdf(pdf: bytes, switches: set[str], seed: str, boxes: Optional[list] = None) -> tuple[bytes, set[str], dict]:
    """Rasterise ``pdf`` and damage it; returns (image-only PDF, switches applied, their parameters).

    ``boxes``: (page, table, x, y, width, height) of table pieces in PDF
    points (from ``render_pdf``), where a seal is stamped.
    """
    import pypdfium2 as pdfium

    rng = {name: random.Random(f"{seed}/{name}") for name in ("dpi", *NAMES)}
    dpi = rng["dpi"].choice(DPI)
    info: dict = {"dpi": dpi}
    applied: set[str] = set()
    doc = pdfium.PdfDocument(pdf)
    try:
        pages = [(doc[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L"), doc[i].get_size()[1]) for i in range(len(doc))]
    finally:
        doc.close()
    info["pages"] = len(pages)
    boxes = boxes or []
    table_pages = {b[0] - 1 for b in boxes}
    seal_box = max(boxes, key=lambda b: b[5], default=None)  # the tallest table piece: table 三 as a rule
    turn = next((s for s in switches if s in _TURN), None)
    turned = None
    if turn:
        everywhere = rng[turn].random() < 0.5  # a whole batch fed sideways, or only the table pages
        turned = [i for i in range(len(pages)) if everywhere or i in table_pages] or [0]
    out = []
    for i, (img, height_pt) in enumerate(pages):
        if "seal" in switches and seal_box and seal_box[0] - 1 == i:
            _, _, x, y, w, h = seal_box
            k = dpi / 72
            img = _seal(img, rng["seal"], (x * k, (height_pt - y - h) * k, (x + w) * k, (height_pt - y) * k), dpi)
            info["seal_page"] = i + 1
            applied.add("seal")
        if "skew" in switches:
            img, angle = _skew(img, rng["skew"])
            info.setdefault("skew", []).append(angle)
            applied.add("skew")
        if "blur" in switches:
            img = _blur(img, rng["blur"], dpi)
            applied.add("blur")
        if "low_contrast" in switches:
            img = _low_contrast(img, rng["low_contrast"])
            applied.add("low_contrast")
        if "noise" in switches:
            img = _noise(img, rng["noise"], dpi)
            applied.add("noise")
        if turned is not None and i in turned:
            img = img.transpose(_TURN[turn])
            applied.add(turn)
        out.append(img)
    if turned is not None:
        info["turned_pages"] = [i + 1 for i in turned]
    quality = CLEAN_QUALITY
    if "jpeg" in switches:
        quality = rng["jpeg"].randint(12, 30)
        applied.add("jpeg")
    info["jpeg_quality"] = quality
    return image_pdf(out, dpi, quality), applied, info


def image_pdf(pages: list[Image.Image], dpi: int, quality: int) -> bytes:
    """An image-only PDF, one JPEG per page, page size from ``dpi`` (what a scanner writes)."""
    buf = io.BytesIO()
    pages[0].save(buf, format="PDF", resolution=float(dpi), quality=quality, save_all=True, append_images=pages[1:],
                  creationDate=FIXED_DATE, modDate=FIXED_DATE)  # same seed, same bytes
    return buf.getvalue()


# --- the seed reports (goldens/*.txt) as scans ------------------------------------------

_NUMBER = re.compile(r"^[\d.,，]+(万元|万|元|件|个|条|次|人|%)?$")


def delimited_cells(line: str) -> Optional[list[str]]:
    """A tab- or pipe-delimited row's cells (trailing empties dropped), else None."""
    if "\t" in line:
        cells = line.split("\t")
    elif line.count("|") >= 2:
        cells = line.strip().strip("|").split("|")
    else:
        return None
    cells = [c.strip() for c in cells]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def text_blocks(text: str) -> list:
    """A report's text as the generator's blocks: title, paragraphs, and each run of rows a ruled table.

    Text that is not tab- or pipe-delimited (one cell per line, space-aligned)
    prints line by line, as the text file shows it.
    """
    from .synth_grid import GCell, GRow, Grid
    from .synth_layouts import TextOpts
    from .synthetic import Block

    blocks: list = []
    rows: list[list[str]] = []

    def close() -> None:
        if rows:
            ncols = max(len(r) for r in rows)
            # the first row is a header, repeated after a page break, only when it holds no figure
            # (a table the text cut in two by a blank line continues with a data row)
            header = not any(_NUMBER.match(c) for c in rows[0])
            grid = Grid(f"table{len(blocks)}", ncols, header_rows=1 if header else 0)
            for r in rows:
                cells = r + [""] * (ncols - len(r))
                grid.rows.append(GRow([GCell(c, role="value" if _NUMBER.match(c) else "label") for c in cells]))
            blocks.append(Block("table", grid=grid, opts=TextOpts()))
            rows.clear()

    for raw in text.splitlines():
        cells = delimited_cells(raw)
        if cells and sum(1 for c in cells if c) >= 2:  # one cell per line prints as lines
            rows.append(cells)
            continue
        close()
        line = re.sub(r"^#+\s*|\*\*", "", raw).strip()
        if line:
            blocks.append(Block("para", line) if blocks else Block("title", lines=[line]))
    close()
    return blocks


def scan_goldens(goldens_dir: Path, out_dir: Path, spec: Spec = None, seed: int = 0) -> list[Path]:
    """Each text report with a golden in ``goldens_dir`` printed and scanned into ``out_dir``.

    The golden is copied with the scan as its source and the switches in its
    notes (the hand labeller's notes kept under ``"seed_notes"``), so
    ``nianbao eval OUT_DIR`` scores the seeds as scans.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for golden_path in sorted(Path(goldens_dir).glob("*.json")):
        golden = json.loads(golden_path.read_text(encoding="utf-8"))
        src = golden_path.parent / golden.get("source", "")
        if src.suffix != ".txt" or not src.is_file():
            continue
        key = f"nianbao-seed-scan/{seed}/{src.stem}"
        switches = draw(key, spec)
        blocks = text_blocks(src.read_bytes().decode("utf-8", errors="replace"))
        pdf, _, applied, info = render_scan(blocks, random.Random(key), switches, key)
        dst = out / f"{src.stem}.pdf"
        dst.write_bytes(pdf)
        labels = {"format": "scan", "layout": "scan", "damage": sorted(applied), "scan": info, "seed_notes": golden.get("notes", "")}
        golden.update(source=dst.name, notes=json.dumps(labels, ensure_ascii=False, sort_keys=True))
        (out / f"{src.stem}.json").write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        paths.append(dst)
    return paths
