"""Pages scanned sideways or upside down are turned before they are read (issue 11)."""

import os

import pytest
from PIL import Image, ImageDraw, ImageFont

pytest.importorskip("rapidocr")
from extractor.ingest.ocr import ocr_image  # noqa: E402

FONTS = ["/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"]
FONT = next((f for f in FONTS if os.path.exists(f)), None)
LINES = ["政府信息公开工作年度报告", "主动公开政府信息情况", "收到和处理政府信息公开申请情况"]


def _page() -> Image.Image:
    img = Image.new("L", (900, 420), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 40)
    for i, text in enumerate(LINES):
        draw.text((40, 60 + 110 * i), text, fill=0, font=font)
    return img


@pytest.mark.skipif(FONT is None, reason="no CJK font to render the test page")
@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_turned_page_reads_like_upright(angle):
    page = ocr_image(_page().rotate(angle, expand=True, fillcolor=255))
    text = "".join(l.text for l in page.lines)
    at = [text.find(line) for line in LINES]
    assert -1 not in at and at == sorted(at), text  # every line read, top to bottom
    assert (angle + page.turned) % 360 == 0


@pytest.mark.skipif(FONT is None, reason="no CJK font to render the test page")
def test_turned_page_recorded_in_ingest_info():
    import io

    from extractor.ingest import ingest

    buf = io.BytesIO()
    _page().rotate(180).save(buf, format="PNG")
    doc = ingest(buf.getvalue(), "page.png")
    assert doc.info.turned_pages == {1: 180}
    assert LINES[0] in doc.text


VERTICAL = ["结果维持", "结果纠正", "其他结果", "尚未审结", "行政复议", "行政诉讼", "直接起诉", "复议后起"]
PROSE = ["本年度政府信息公开工作取得了明显成效但仍然存在一些问题", "主要是政策解读的形式不够丰富解读质量仍需提高",
         "下一步将继续认真贯彻落实政府信息公开条例的要求", "进一步加强政府网站集约化建设推进政务新媒体联动"]


def _table_page_with_vertical_labels() -> Image.Image:
    """An upright page: a table header whose narrow cells print their words vertically, then prose."""
    img = Image.new("L", (1400, 1000), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 36)
    for j, word in enumerate(VERTICAL):
        x = 80 + 150 * j
        draw.rectangle((x - 20, 40, x + 90, 260), outline=0, width=2)
        for k, ch in enumerate(word):
            draw.text((x + 15, 60 + 46 * k), ch, fill=0, font=font)
    for i, text in enumerate(PROSE):
        draw.text((60, 420 + 110 * i), text, fill=0, font=font)
    return img


@pytest.mark.skipif(FONT is None, reason="no CJK font to render the test page")
def test_upright_page_with_vertical_header_words_is_not_turned():
    # most text boxes are taller than wide (the header's vertical words), but most text is in wide lines
    page = ocr_image(_table_page_with_vertical_labels())
    text = "".join(l.text for l in page.lines)
    assert page.turned == 0
    assert all(line in text for line in PROSE), text


@pytest.mark.skipif(FONT is None, reason="no CJK font to render the test page")
def test_both_inference_backends_read_the_page_and_the_result_says_which():
    import io

    from extractor.ingest import ingest, ocr

    buf = io.BytesIO()
    _page().save(buf, format="PNG")
    texts = {}
    try:
        for name in ("onnxruntime", "auto"):
            ocr.set_backend(name)
            doc = ingest(buf.getvalue(), "page.png")
            assert doc.info.ocr_engine == ocr.backend_name() and doc.info.ocr_engine.startswith("rapidocr ")
            texts[doc.info.ocr_engine.split("/")[-1]] = doc.text
    finally:
        ocr.set_backend("auto")
    assert all(all(line in t for line in LINES) for t in texts.values()), texts
    with pytest.raises(ValueError):
        ocr.set_backend("tensorflow")
