"""Scanned tables: specks cleaned, tables ruled across only, cells the detector missed (issue 11)."""

import json
import os
import random

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from extractor.ingest import rules
from extractor.ingest.layout import Token

FONTS = ["/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"]
FONT = next((f for f in FONTS if os.path.exists(f)), None)
TEXT_H = 24


def _ruled_across(rows: list[list[str]], col_x: list[int], row_h: int = 60, top: int = 100,
                  width: int = 1400, height: int = 2000, prose_after: int = -1) -> tuple[np.ndarray, list[Token]]:
    """A page with a table ruled by horizontal lines only, and the detector's boxes for its figures."""
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, TEXT_H)
    figures: list[Token] = []
    y = top
    x0, x1 = col_x[0] - 20, width - 60
    for i, row in enumerate(rows):
        draw.line([(x0, y), (x1, y)], fill=0, width=3)
        for text, x in zip(row, col_x):
            if text:
                draw.text((x, y + 18), text, fill=0, font=font)
                if text.isdigit():
                    figures.append(Token(text, x, y + 18, x + draw.textlength(text, font=font), y + 18 + TEXT_H))
        y += row_h
        if i == prose_after:  # a heading between two tables: one long line of words
            draw.line([(x0, y), (x1, y)], fill=0, width=3)
            draw.text((x0 + 10, y + 18), "四、政府信息公开行政复议、行政诉讼情况以及其他需要说明的事项", fill=0, font=font)
            y += row_h
    draw.line([(x0, y), (x1, y)], fill=0, width=3)
    return np.asarray(img), figures


needs_font = pytest.mark.skipif(FONT is None, reason="no CJK font to render the test page")


@needs_font
def test_columns_of_a_table_ruled_across_only():
    cols = [100, 500, 700, 900, 1100]
    header = ["信息内容", "本年", "新增", "减少", "总计"]
    body = [[f"第{i}项指标说明", str(i), str(2 * i), "0", str(3 * i)] for i in range(1, 7)]
    gray, figures = _ruled_across([header] + body, cols)
    m = rules.masks(gray, TEXT_H)
    tables = rules.find_tables(gray, TEXT_H, m, figures)
    assert len(tables) == 1 and not tables[0].drawn
    t = tables[0]
    assert len(t.ys) == 8 and len(t.xs) == 6
    # every border lies between two columns of words, none through a figure
    for b, (a, c) in zip(t.xs[1:-1], zip(cols, cols[1:])):
        assert a + 0.9 * TEXT_H <= b < c


@needs_font
def test_sparse_column_is_kept_and_heading_parts_two_tables():
    cols = [100, 500, 700, 900]
    rows = [["一项", "1", "", "5"], ["二项", "2", "", "7"], ["三项", "3", "", "9"], ["四项", "4", "8", "2"],
            ["五项", "5", "9", "4"], ["六项", "6", "", "1"], ["七项", "7", "", "3"], ["八项", "1", "", "2"]]
    gray, figures = _ruled_across(rows, cols, prose_after=3)
    m = rules.masks(gray, TEXT_H)
    tables = rules.find_tables(gray, TEXT_H, m, figures)
    assert len(tables) == 2  # the heading band between them is not a row
    for t in tables:
        assert len(t.ys) == 5
    # the third column holds figures in two rows only: still a column of its own
    assert len(tables[0].xs) == 5


def test_despeckle_whitens_specks_and_keeps_decimal_points():
    from extractor.ingest.ocr import despeckle

    rng = random.Random(3)
    gray = np.full((2000, 1400), 255, np.uint8)
    cv2.rectangle(gray, (300, 300), (330, 340), 0, -1)  # a digit
    cv2.rectangle(gray, (334, 334), (337, 337), 0, -1)  # its decimal point, 4 px
    cv2.rectangle(gray, (341, 300), (371, 340), 0, -1)  # the next digit
    cv2.rectangle(gray, (294, 319), (297, 321), 0, -1)  # what a faint scan left of a minus sign
    specks = [(rng.randrange(600, 1300), rng.randrange(600, 1900)) for _ in range(300)]
    for x, y in specks:
        gray[y:y + 2, x:x + 2] = 0
    out = despeckle(gray)
    assert all(out[y, x] == 255 for x, y in specks)
    assert out[335, 335] == 0 and out[320, 315] == 0 and out[320, 355] == 0
    assert out[320, 295] == 0  # ink on one side only: kept (it read "-3" as "3")


def _grid_page(cells: list[list[str]], xs: list[int], ys: list[int], size: tuple[int, int], indent: int) -> Image.Image:
    """A page holding one fully ruled table, each cell's text ``indent`` px right of its left border."""
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 30)
    for x in xs:
        draw.line([(x, ys[0]), (x, ys[-1])], fill=0, width=3)
    for y in ys:
        draw.line([(xs[0], y), (xs[-1], y)], fill=0, width=3)
    for i, row in enumerate(cells):
        for j, text in enumerate(row):
            draw.text((xs[j] + indent, ys[i] + 30), text, fill=0, font=font)
    return img


@pytest.mark.skipif(FONT is None, reason="no CJK font to render the test page")
def test_cell_the_detector_missed_is_read_from_the_grid():
    pytest.importorskip("rapidocr")
    from extractor.ingest import ocr

    xs, ys = [60, 460, 660, 860, 1060], [60, 160, 260, 360]
    cells = [["予以公开", "12", "0", "7"], ["部分公开", "3", "45", "0"], ["不予公开", "0", "6", "208"]]
    gray = np.asarray(_grid_page(cells, xs, ys, (1200, 700), indent=20))
    m = rules.masks(gray, 30)
    (table,) = rules.find_tables(gray, 30, m)
    # tokens for every cell but one figure: as if the detector had missed it
    tokens = [Token(t, xs[j] + 20, ys[i] + 30, xs[j] + 20 + 18 * len(t), ys[i] + 62)
              for i, row in enumerate(cells) for j, t in enumerate(row) if (i, j) != (1, 2)]
    found = ocr.missed_cells(gray, m, table, tokens, 30)
    assert [t.text for t in found] == ["45"]
    assert xs[2] < found[0].cx < xs[3] and ys[1] < found[0].cy < ys[2]


def _text_page(lines: list[str]) -> Image.Image:
    img = Image.new("RGB", (1000, 500), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 40)
    for i, text in enumerate(lines):
        draw.text((50, 60 + 90 * i), text, fill="black", font=font)
    return img


@needs_font
def test_scanned_docx_and_multipage_tiff_go_through_ocr(tmp_path):
    pytest.importorskip("rapidocr")
    import io

    import docx

    from extractor.ingest import ingest

    pages = [_text_page(["政府信息公开工作年度报告", "一、总体情况"]), _text_page(["二、主动公开政府信息情况"])]
    doc = docx.Document()
    for page in pages:
        buf = io.BytesIO()
        page.save(buf, "PNG")
        buf.seek(0)
        doc.add_picture(buf)
    out = io.BytesIO()
    doc.save(out)
    got = ingest(out.getvalue(), "scan.docx")
    assert "年度报告" in got.text and "主动公开" in got.text
    assert got.info.ingester == "docx+ocr" and got.info.ocr_pages == 2

    tif = io.BytesIO()
    first, *rest = (p.copy() for p in pages)  # fresh images: a PNG save leaves its encoder settings behind
    first.save(tif, "TIFF", save_all=True, append_images=rest, compression="tiff_lzw")
    got = ingest(tif.getvalue(), "scan.tif")
    assert got.text.index("年度报告") < got.text.index("主动公开") and got.info.ocr_pages == 2


@needs_font
def test_extract_prints_a_progress_line_per_ocr_page(tmp_path):
    pytest.importorskip("rapidocr")
    from click.testing import CliRunner

    from extractor.cli import main

    path = tmp_path / "page.png"
    _text_page(["政府信息公开工作年度报告"]).save(path)
    res = CliRunner().invoke(main, ["extract", str(path)])
    assert "OCR page 1/1:" in res.stderr and "text boxes" in res.stderr
    assert json.loads(res.stdout)["source"] == "page.png"


@pytest.mark.skipif(FONT is None, reason="no CJK font to render the test page")
def test_slash_and_dash_cells_are_not_read_as_one():
    """A table prints / or — for 'not applicable'; the recogniser reads either as 1, the ink says which."""
    pytest.importorskip("rapidocr")
    from extractor.ingest import ocr

    xs, ys = [60, 460, 640, 820, 1000, 1180], [60, 160, 260, 360, 460]
    cells = [["予以公开", "1", "/", "0", "1"], ["部分公开", "/", "1", "—", "2"],
             ["不予公开", "1", "/", "/", "2"], ["无法提供", "—", "1", "0", "1"]]
    page = ocr.ocr_image(_grid_page(cells, xs, ys, (1400, 800), indent=40))
    rows = [l.text.split("\t") for l in page.lines if l.table is not None]
    blank = {"/", "—"}
    assert [[("-" if c in blank else c) for c in r[1:]] for r in rows] == \
        [[("-" if c in blank else c) for c in r[1:]] for r in cells]


@pytest.mark.skipif(FONT is None, reason="no CJK font to render the test page")
@pytest.mark.parametrize("size", [24, 36, 48])
def test_a_slash_leans_and_a_one_stands(size):
    from extractor.ingest import ocr

    img = Image.new("L", (400, 200), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, size)
    draw.text((60, 60), "/", fill=0, font=font)
    draw.text((260, 60), "1", fill=0, font=font)
    gray = np.asarray(img)
    m = rules.masks(gray, size)
    slash = ocr._ink_box(m, 40, 40, 160, 160 + size)
    one = ocr._ink_box(m, 240, 40, 360, 160 + size)
    assert ocr._leans(m, slash) and not ocr._leans(m, one)


@needs_font
def test_a_figure_column_aligned_cell_by_cell_is_one_column_when_ruled_across_only():
    # the figures of one column printed some at its left, some at its right: two bands of white space
    cols = [100, 500, 700, 900]
    rows = [["统计指标", "单位", "统计数", ""], ["主动公开政府信息数", "条", "", "2192"], ["规范性文件数", "条", "", "10"],
            ["网站公开信息数", "条", "356", ""], ["公报公开信息数", "条", "191", ""], ["收到申请数", "件", "", "42"]]
    gray, _ = _ruled_across(rows, cols)
    tokens = [Token(text, x, 100 + 60 * i + 18, x + TEXT_H * len(text), 100 + 60 * i + 18 + TEXT_H)
              for i, row in enumerate(rows) for text, x in zip(row, cols) if text]
    m = rules.masks(gray, TEXT_H)
    (table,) = rules.find_tables(gray, TEXT_H, m, [t for t in tokens if t.text.isdigit()])
    got = [cells for cells, _, _ in rules.table_rows(table, tokens)]
    assert [r[-1] for r in got] == ["统计数", "2192", "10", "356", "191", "42"]
    assert {len(r) for r in got} == {3}


@pytest.mark.skipif(FONT is None, reason="no CJK font to render the test page")
@pytest.mark.parametrize("low_contrast", [False, True])
def test_a_red_seal_over_cells_is_lifted_to_the_paper_and_the_figures_under_it_stay_black(low_contrast):
    """A seal's faint ink (and its ink on grey paper, where red stands out less) reads as paper;
    black figures under it stay dark. Before, only strongly red pixels were lifted, and only to the
    red channel's level: a grey ring the recogniser read as characters, lost on grey paper."""
    from eval import synth_scan as ss
    from extractor.ingest import ocr

    xs, ys = [60, 460, 660, 860, 1060], [60, 160, 260, 360, 460]
    cells = [["予以公开", "12", "0", "7"], ["部分公开", "3", "45", "0"], ["不予公开", "0", "6", "208"], ["总计", "15", "51", "215"]]
    clean = _grid_page(cells, xs, ys, (1200, 600), indent=20).convert("RGB")
    sealed = ss._seal(clean, random.Random(7), (460, 60, 1060, 460), dpi=200)
    if low_contrast:
        clean, sealed = (ss._low_contrast(im, random.Random(3)) for im in (clean, sealed))
    before, after = np.asarray(clean.convert("L")), np.asarray(sealed)
    inked = np.abs(after.astype(int) - np.asarray(clean).astype(int)).max(axis=2) > 40  # where the seal left ink
    paper = float(np.percentile(before, 95))
    gray = ocr.drop_red(after, np.asarray(sealed.convert("L")))
    on_paper = inked & (before >= paper - 2)
    ys_, xs_ = np.nonzero(inked)
    region = np.zeros_like(inked)
    region[ys_.min():ys_.max(), xs_.min():xs_.max()] = True
    under = region & (before <= before.min() + 30)  # black ink inside the seal's square
    assert on_paper.sum() > 2000 and under.sum() > 50
    assert np.percentile(gray[on_paper], 5) >= paper - 25  # the seal is gone
    assert np.percentile(gray[under], 95) <= before.min() + 60  # the figures are not
