"""Build documents of every format from the seed reports, with real tools.

A seed's text is read into paragraphs and tables; table 三 (applications)
is rebuilt in its official layout (group labels spanning rows, headers
spanning columns) so that HTML, Word and PDF versions carry real rowspans
and colspans. The expected rows (label + the seven numbers) come from the
seed itself, so assertions never restate numbers by hand.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

# The five seed reports live in goldens/ beside their golden JSON.
SEEDS = Path(__file__).resolve().parents[1] / "goldens"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ingest"

APP_KEYS_2019 = (
    "new_received", "carried_over", "granted", "partially_granted",
    "denied_state_secret", "denied_law_prohibited", "denied_three_safety", "denied_third_party",
    "denied_internal_affairs", "denied_process_info", "denied_enforcement_file", "denied_admin_query",
    "unable_not_held", "unable_needs_creation", "unable_unclear",
    "not_processed_petition", "not_processed_duplicate", "not_processed_publication",
    "not_processed_excessive", "not_processed_confirmation",
    "other_handling", "total_handled", "carried_forward",
)
APP_HEADER = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
SUBGROUPS = {"denied": "（三）不予公开", "unable": "（四）无法提供", "not_processed": "（五）不予处理"}
GROUP = "三、本年度办理结果"


def seed_path(stem_prefix: str) -> Path:
    return next(SEEDS.glob(f"{stem_prefix}*.txt"))


def seed_text(stem_prefix: str) -> str:
    return seed_path(stem_prefix).read_bytes().decode("utf-8", errors="replace")


_NUM = re.compile(r"^[\d.]+(万|万元|萬|個|个|次)?$")


def is_num(cell: str) -> bool:
    return bool(_NUM.match(cell.strip()))


def split_row(line: str) -> Optional[list[str]]:
    """A seed table line → cells (pipe or tab rows), trailing empties dropped."""
    from eval.synth_scan import delimited_cells

    cells = delimited_cells(line)
    return cells if cells and len([c for c in cells if c]) >= 1 and len(cells) >= 2 else None


@dataclass
class AppRow:
    key: str
    label: str
    numbers: list[str]


@dataclass
class Seed:
    stem: str
    title: str
    blocks: list = field(default_factory=list)  # ("p", str) | ("table", rows) | ("apps", None) | ("review", None)
    apps: list[AppRow] = field(default_factory=list)
    review: list[str] = field(default_factory=list)  # the 15 numbers of table 四

    def app(self, key: str) -> AppRow:
        return next(r for r in self.apps if r.key == key)


def load_seed(stem_prefix: str) -> Seed:
    """Paragraphs and tables of a seed whose tables are pipe or tab rows (000, 004)."""
    text = seed_text(stem_prefix)
    lines = [l for l in text.splitlines() if l.strip()]
    seed = Seed(stem=seed_path(stem_prefix).stem, title=lines[0].strip("# *"))
    section = None
    table: list[list[str]] = []
    app_rows: list[list[str]] = []

    def close():
        nonlocal table
        if table:
            seed.blocks.append(("table", table))
            table = []

    for line in lines[1:]:
        cells = split_row(line)
        plain = re.sub(r"[#*\s]", "", line)
        if cells is None:
            close()
            if re.match(r"^[三四五][、]", plain):
                section = plain[0]
                if section == "三":
                    seed.blocks.append(("p", plain))
                    seed.blocks.append(("apps", None))
                    continue
                if section == "四":
                    seed.blocks.append(("p", plain))
                    seed.blocks.append(("review", None))
                    continue
            seed.blocks.append(("p", line.strip().strip("#* ")))
            continue
        if section == "三":
            if sum(is_num(c) for c in cells) >= 7:
                app_rows.append(cells)
            continue
        if section == "四":
            if sum(is_num(c) for c in cells) >= 15:
                seed.review = [c for c in cells if is_num(c)][-15:]
            continue
        table.append(cells)
    close()
    for key, cells in zip(APP_KEYS_2019, app_rows):
        labels = [c for c in cells if c and not is_num(c)]
        seed.apps.append(AppRow(key, labels[-1], [c for c in cells if is_num(c)][-7:]))
    assert len(seed.apps) == 23 and len(seed.review) == 15, (len(seed.apps), len(seed.review))
    return seed


# --- table 三 as a spanned grid: (text, rowspan, colspan) per row -----------------


def apps_spec(seed: Seed) -> list[list[tuple[str, int, int]]]:
    """Table 三 in the official layout: 3 label columns + 7 number columns, with spans."""
    spec = [
        [("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), ("申请人情况", 1, 7)],
        [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
        [(h, 1, 1) for h in APP_HEADER[1:6]],
    ]
    n_group = sum(1 for r in seed.apps if r.key not in ("new_received", "carried_over", "carried_forward"))
    for r in seed.apps:
        nums = [(n, 1, 1) for n in r.numbers]
        prefix = r.key.split("_")[0] if not r.key.startswith("not_processed") else "not_processed"
        row: list[tuple[str, int, int]] = []
        if r.key in ("new_received", "carried_over", "carried_forward"):
            row.append((r.label, 1, 3))
        else:
            if r.key == "granted":
                row.append((GROUP, n_group, 1))
            if prefix in SUBGROUPS:
                members = [x for x in seed.apps if x.key.startswith(prefix + "_")]
                if r is members[0]:
                    row.append((SUBGROUPS[prefix], len(members), 1))
                row.append((r.label, 1, 1))
            else:
                row.append((r.label, 1, 2))
        spec.append(row + nums)
    return spec


def review_spec(seed: Seed) -> list[list[tuple[str, int, int]]]:
    res = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
    return [
        [("行政复议", 1, 5), ("行政诉讼", 1, 10)],
        [(x, 2, 1) for x in res] + [("未经复议直接起诉", 1, 5), ("复议后起诉", 1, 5)],
        [(x, 1, 1) for x in res * 2],
        [(n, 1, 1) for n in seed.review],
    ]


def simple_spec(rows: list[list[str]]) -> list[list[tuple[str, int, int]]]:
    return [[(c, 1, 1) for c in r] for r in rows]


def blocks_spec(seed: Seed):
    """Every block as ("p", text) or ("table", spec)."""
    for kind, val in seed.blocks:
        if kind == "p":
            yield "p", val
        elif kind == "table":
            yield "table", simple_spec(val)
        elif kind == "apps":
            yield "table", apps_spec(seed)
        else:
            yield "table", review_spec(seed)


# --- text encodings ---------------------------------------------------------------


def encoded_text(stem_prefix: str, encoding: str) -> bytes:
    """The seed's text in another encoding (characters it cannot hold become '?')."""
    return seed_text(stem_prefix).encode(encoding, errors="replace")


# --- HTML ---------------------------------------------------------------------------


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def html_page(seed: Seed, charset: str = "utf-8") -> bytes:
    """A government-site page: nav, breadcrumb, script, footer, and the report with spanned tables."""
    parts = [
        f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">',
        f"<title>{_esc(seed.title)}</title><script>var menu = '首页 | 政务公开';</script>",
        "<style>.x{color:red}</style></head><body>",
        '<div class="header"><div class="nav"><a href="/">首页</a> <a href="/zwgk">政务公开</a> <a href="/hd">互动交流</a></div></div>',
        '<div class="position">当前位置：首页 &gt; 政务公开 &gt; 年度报告</div>',
        '<div class="article"><h1 class="title">', _esc(seed.title), "</h1>",
        '<div id="zoom" class="TRS_Editor">',
    ]
    for kind, val in blocks_spec(seed):
        if kind == "p":
            parts.append(f"<p>&nbsp;&nbsp;{_esc(val)}</p>")
            continue
        parts.append('<table border="1" cellspacing="0"><tbody>')
        for row in val:
            parts.append("<tr>")
            for text, rs, cs in row:
                attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
                parts.append(f'<td{attrs}><p style="text-align:center"><span>{_esc(text)}</span></p></td>')
            parts.append("</tr>")
        parts.append("</tbody></table>")
    parts.append('</div></div><div class="footer">主办：某某人民政府办公室 网站标识码：1234567890 ICP备案号：12345678号</div>')
    parts.append("<script>document.write('统计代码');</script></body></html>")
    return "\n".join(parts).encode(charset, errors="xmlcharrefreplace")


# --- DOCX --------------------------------------------------------------------------


def docx_bytes(seed: Seed) -> bytes:
    """A .docx written by python-docx; spans made with cell.merge (gridSpan + vMerge)."""
    import docx

    document = docx.Document()
    document.add_heading(seed.title, level=1)
    for kind, val in blocks_spec(seed):
        if kind == "p":
            document.add_paragraph(val)
            continue
        grid = _grid_positions(val)
        nrows, ncols = len(val), max(c + cs for (r, c, rs, cs, _) in grid)
        table = document.add_table(rows=nrows, cols=ncols)
        table.style = "Table Grid"
        for r, c, rs, cs, text in grid:
            cell = table.cell(r, c)
            if rs > 1 or cs > 1:
                cell = cell.merge(table.cell(r + rs - 1, c + cs - 1))
            cell.text = text
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _grid_positions(spec):
    """(row, col, rowspan, colspan, text) for every spanned cell of a spec."""
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(spec):
        c = 0
        for text, rs, cs in row:
            while (r, c) in taken:
                c += 1
            out.append((r, c, rs, cs, text))
            for dr in range(rs):
                for dc in range(cs):
                    taken.add((r + dr, c + dc))
            c += cs
    return out


# --- PDF (reportlab, built-in CID font: no font file needed) --------------------------


def pdf_bytes(seed: Seed, only_tables: bool = False, only_apps: bool = False) -> bytes:
    """A text PDF: Song font, ruled tables with spans, a running header and '- N -' page numbers."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=10.5, leading=16, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName="STSong-Light", fontSize=8, leading=10, wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, fontSize=16, leading=22, alignment=1)

    def furniture(canvas, doc):
        canvas.saveState()
        canvas.setFont("STSong-Light", 9)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 30, "政府信息公开工作年度报告")
        canvas.drawCentredString(A4[0] / 2, 28, f"- {doc.page} -")
        canvas.restoreState()

    story = [Paragraph(seed.title, head), Spacer(1, 8)]
    specs = list(blocks_spec(seed))
    if only_apps:
        story = [Paragraph("三、收到和处理政府信息公开申请情况", body), Spacer(1, 6)]
        specs = [("table", apps_spec(seed))]
    for kind, val in specs:
        if kind == "p":
            if not only_tables:
                story.append(Paragraph(_esc(val), body))
            continue
        grid = _grid_positions(val)
        nrows, ncols = len(val), max(c + cs for (r, c, rs, cs, _) in grid)
        data = [[""] * ncols for _ in range(nrows)]
        style = [("GRID", (0, 0), (-1, -1), 0.6, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        for r, c, rs, cs, text in grid:
            data[r][c] = Paragraph(_esc(text), cell) if not is_num(text) else text
            if rs > 1 or cs > 1:
                style.append(("SPAN", (c, r), (c + cs - 1, r + rs - 1)))
        style.append(("FONT", (0, 0), (-1, -1), "STSong-Light", 8))
        widths = _col_widths(ncols)
        story += [Table(data, colWidths=widths, style=TableStyle(style)), Spacer(1, 8)]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, topMargin=50, bottomMargin=50, leftMargin=40, rightMargin=40).build(
        story, onFirstPage=furniture, onLaterPages=furniture
    )
    return buf.getvalue()


def _col_widths(ncols: int) -> list[float]:
    usable = 515.0
    if ncols == 10:  # table 三: three label columns, seven numbers
        return [52, 62, 130] + [(usable - 244) / 7] * 7
    if ncols >= 15:
        return [usable / ncols] * ncols
    return [usable * 0.4] + [usable * 0.6 / (ncols - 1)] * (ncols - 1)


# --- scans ---------------------------------------------------------------------------


def render_pdf_page(pdf: bytes, index: int, scale: float = 2.0):
    """A PDF page as a PIL image (pdfium; needs a CJK system font for the non-embedded Song font)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[index].render(scale=scale, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()


def degrade(img, angle: float = 1.2, blur: float = 0.7, noise: float = 14.0, seed: int = 5):
    """A scanner's damage, deterministic: slight rotation, blur, speckle noise."""
    import numpy as np
    from PIL import Image, ImageFilter

    img = img.convert("L").rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(blur))
    rng = np.random.default_rng(seed)
    arr = np.asarray(img, dtype=np.float32)
    arr = arr + rng.normal(0, noise, arr.shape)
    arr[rng.random(arr.shape) < 0.002] = 0  # dust
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


SCAN_FIXTURE = FIXTURES / "seed000_table3_clean.png"
DOC_FIXTURE = FIXTURES / "seed000.doc"  # Word 97-2003, written by LibreOffice from docx_bytes(seed 000)


def build_doc_fixture() -> Path:
    """Convert seed 000's .docx to .doc with LibreOffice (needs soffice; the result is committed)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "seed000.docx")
        src.write_bytes(docx_bytes(load_seed("000")))
        subprocess.run(["soffice", "--headless", "--convert-to", "doc", "--outdir", tmp, str(src)],
                       check=True, capture_output=True, timeout=300)
        DOC_FIXTURE.write_bytes(Path(tmp, "seed000.doc").read_bytes())
    return DOC_FIXTURE


def table3_page_image():
    """A clean render of seed 000's table 三 (committed; regenerate with ``build_scan_fixture``)."""
    from PIL import Image

    if not SCAN_FIXTURE.exists():
        build_scan_fixture()
    return Image.open(SCAN_FIXTURE).convert("L")


def build_scan_fixture() -> Path:
    """Render seed 000's tables-only PDF page holding table 三 and crop it to the table."""
    from PIL import ImageOps

    seed = load_seed("000")
    pdf = pdf_bytes(seed, only_apps=True)
    img = render_pdf_page(pdf, 0, scale=2.4)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    box = ImageOps.invert(img).getbbox()
    img = img.crop((max(box[0] - 60, 0), max(box[1] - 60, 0), min(box[2] + 60, img.width), min(box[3] + 90, img.height)))
    img = ImageOps.autocontrast(img)
    img.save(SCAN_FIXTURE, optimize=True)
    return SCAN_FIXTURE


def png_bytes(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def image_pdf_bytes(*imgs, dpi: float = 200.0) -> bytes:
    """An image-only PDF (what a scanner writes), made by Pillow."""
    buf = io.BytesIO()
    first, *rest = [i.convert("L") for i in imgs]
    first.save(buf, format="PDF", resolution=dpi, save_all=True, append_images=rest)
    return buf.getvalue()


def mixed_pdf_bytes(seed: Seed, img) -> bytes:
    """Page 1 has a text layer, page 2 is only a scanned image."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("STSong-Light", 14)
    c.drawString(60, A4[1] - 80, seed.title[:36])
    c.setFont("STSong-Light", 10.5)
    y = A4[1] - 120
    for kind, val in seed.blocks[:6]:
        if kind == "p":
            c.drawString(60, y, val[:40])
            y -= 20
    c.drawCentredString(A4[0] / 2, 30, "- 1 -")
    c.showPage()
    w, h = img.size
    scale = min((A4[0] - 40) / w, (A4[1] - 40) / h)
    c.drawImage(ImageReader(img.convert("RGB")), 20, A4[1] - 20 - h * scale, w * scale, h * scale)
    c.showPage()
    c.save()
    return buf.getvalue()


# --- reading results ---------------------------------------------------------------------


def norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    return re.sub(r"[\s()（）、.．·]", "", s)


def rows_with_numbers(text: str) -> list[tuple[str, list[str]]]:
    """Every tab (or pipe) row of an ingested text as (joined label text, its number cells in order)."""
    out = []
    for line in text.splitlines():
        if "\t" in line:
            cells = line.split("\t")
        elif line.count("|") >= 2:
            cells = line.split("|")
        else:
            continue
        nums = [c.strip() for c in cells if is_num(c.strip())]
        label = "".join(c for c in cells if c.strip() and not is_num(c.strip()))
        out.append((label, nums))
    return out


def find_row(text: str, label: str) -> Optional[list[str]]:
    """The numbers of the first tab row whose label text contains ``label`` (normalised)."""
    want = norm(label)
    for lab, nums in rows_with_numbers(text):
        if want and want in norm(lab) and nums:
            return nums
    return None


if __name__ == "__main__":  # regenerate the committed fixtures
    print(build_scan_fixture())
    print(build_doc_fixture())
