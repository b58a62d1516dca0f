"""OCR of page images with RapidOCR (ONNX models shipped in its wheel: offline).

The engine is loaded once per process (lazy module cache); everything else
is a pure function of the image. A page is grey-scaled with red seals taken
out, cleaned of specks, read once (twice when it lies sideways or upside
down), deskewed from the angles of its text boxes, and cut into table rows by
its ruling grid; cells and words the detector missed are read on their own.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import statistics
import threading
import time
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from ..errors import IngestError
from . import rules
from .base import is_cjk
from .layout import Line, Token, is_numeric, lines_from_tokens

_ENGINE = None
_THREADS = 0  # inference threads per model; 0 = every core
_BACKEND = "auto"  # inference engine: "auto" (OpenVINO when installed, else onnxruntime), "openvino", "onnxruntime"
BACKENDS = ("auto", "openvino", "onnxruntime")
_LOCK = threading.Lock()
TARGET_LONG_SIDE = 2000  # px: ~170 dpi on A4, what the detector is tuned for
MIN_SKEW_DEG = 0.2
MIN_SKEW_BOXES = 3  # long text boxes needed to measure a page's skew
TALL_SHARE = 0.35  # text (in characters) in boxes taller than wide that marks a page on its side (measured: upright ≤ 0.16, sideways ≥ 0.56)
MIN_SCORE = 0.5  # recognised text less sure than this is dropped
CLS_SAMPLE = 12  # widest text lines whose direction is checked to tell an upside-down page


# Chosen by measurement on scanned report pages (eval/bench_scan.py, docs/scans.md):
# detection on a page scaled to 1280 px costs a third of full size and still finds
# 9-point text at 150 dpi; recognition pads short lines to 192 px, not 320 (a lone table
# figure costs half as much; narrower than ~192 px, a lone 0 is read as Q or O more
# often); line direction is checked per page by ``_upright`` instead of per line.
ENGINE_PARAMS = {
    "Global.log_level": "error",
    "Global.use_cls": False,
    "Global.text_score": 0.0,  # every box comes back (``MIN_SCORE`` filters): a sideways page's boxes are read badly but still show it is sideways
    "Det.limit_type": "max",
    "Det.limit_side_len": 1280,
    "Rec.rec_img_shape": [3, 48, 192],
}


def set_threads(n: int) -> None:
    """Cap the threads each OCR model uses (a batch worker's share of the cores); before first use."""
    global _THREADS
    _THREADS = max(0, int(n))


def set_backend(name: str) -> None:
    """Choose the inference engine that runs the OCR models (one of ``BACKENDS``); before first use."""
    global _BACKEND, _ENGINE
    if name not in BACKENDS:
        raise ValueError(f"unknown OCR backend {name!r}: choose one of {', '.join(BACKENDS)}")
    if name != _BACKEND:
        _BACKEND, _ENGINE = name, None


def _resolve_backend(name: str) -> str:
    """``auto`` → ``NIANBAO_OCR_BACKEND`` when set, else OpenVINO when it imports, else onnxruntime.

    Measured on a 2-core AMD EPYC with native bf16 (eval/bench_scan.py --speed): OpenVINO
    runs the same ONNX models 1.5-1.7x faster than onnxruntime, in bf16 (see
    ``_openvino_precision``); cell accuracy on the scan corpora is the same.
    The variable is read here, not in ``Config``: like the thread count it is a property
    of the machine, and batch workers inherit it.
    """
    if name == "auto":
        name = os.environ.get("NIANBAO_OCR_BACKEND", "auto").strip().lower() or "auto"
        if name not in BACKENDS:
            raise IngestError(f"NIANBAO_OCR_BACKEND={name!r}: choose one of {', '.join(BACKENDS)}")
    if name != "auto":
        return name
    try:
        import openvino  # noqa: F401
    except Exception:
        return "onnxruntime"
    return "openvino"


def _engine_params(backend: str, threads: int) -> dict:
    from rapidocr import EngineType

    params = dict(ENGINE_PARAMS)
    if backend == "openvino":
        for model in ("Det", "Cls", "Rec"):
            params[f"{model}.engine_type"] = EngineType.OPENVINO
        if threads:
            params["EngineConfig.openvino.inference_num_threads"] = threads
    elif threads:
        params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
        params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
    return params


def backend_name() -> str:
    """What reads the pages: ``rapidocr <version>/<engine>``, recorded on every OCR'd result."""
    try:
        from importlib.metadata import version

        release = version("rapidocr")
    except Exception:  # pragma: no cover - rapidocr is a dependency
        release = "?"
    backend = _resolve_backend(_BACKEND)
    if backend == "openvino":
        backend += f" {_openvino_precision()}"
    return f"rapidocr {release}/{backend}"


@functools.lru_cache(maxsize=1)
def _openvino_precision() -> str:
    """The precision OpenVINO computes in on this CPU: bf16 where the CPU has it natively, else f32.

    bf16 is where most of OpenVINO's speed comes from here (f32 OpenVINO ran a table page
    as fast as onnxruntime). Its readings differ from f32 in a few cells (measured: the same
    accuracy on the scan corpora, 0 silent errors; once a lone 0 read as Q, which the parser
    repairs and marks); ``NIANBAO_OCR_BACKEND=onnxruntime`` gives f32 readings everywhere.
    """
    try:
        from openvino import Core

        return Core().get_property("CPU", "INFERENCE_PRECISION_HINT").get_type_name()
    except Exception:  # pragma: no cover - an older OpenVINO without the property
        return "f32"


def engine():
    """The process-wide RapidOCR engine, created on first use."""
    global _ENGINE
    if _ENGINE is None:
        with _LOCK:
            if _ENGINE is None:
                try:
                    from rapidocr import RapidOCR

                    _ENGINE = RapidOCR(params=_engine_params(_resolve_backend(_BACKEND), _THREADS))
                except Exception as e:  # a broken install must read as one clear line
                    raise IngestError(f"OCR engine unavailable (rapidocr, {_resolve_backend(_BACKEND)}): {e}") from None
    return _ENGINE


@dataclass
class OcrPage:
    lines: list[Line]
    scores: list[float] = field(default_factory=list)
    skew: float = 0.0
    seconds: float = 0.0
    turned: int = 0  # degrees counter-clockwise the page was turned before reading (0, 90, 180, 270)


def to_gray(img: Image.Image) -> np.ndarray:
    """A page image as 8-bit grayscale, scaled so its long side is near TARGET_LONG_SIDE."""
    if img.mode in ("RGBA", "LA", "P"):
        bg = Image.new("RGBA", img.size, "white")
        bg.alpha_composite(img.convert("RGBA"))
        img = bg
    gray = np.asarray(img.convert("L"))
    if img.mode == "RGB":
        gray = drop_red(np.asarray(img), gray)
    long_side = max(gray.shape)
    if long_side > 1.25 * TARGET_LONG_SIDE or long_side < 0.6 * TARGET_LONG_SIDE:
        f = TARGET_LONG_SIDE / long_side
        f = min(f, 3.0)
        interp = cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
        gray = cv2.resize(gray, None, fx=f, fy=f, interpolation=interp)
    return gray


RED = 60  # red exceeds green and blue by this much, on black-on-white: surely a seal's ink
RED_FLOOR = 20  # ... and never less, however faint the page (JPEG's colour noise stays below)
REDDISH = 5  # above JPEG's colour noise on black and white: seal ink, however faint


def drop_red(rgb: np.ndarray, gray: np.ndarray) -> np.ndarray:
    """Red ink (official seals stamped over table cells) lifted to the paper's white.

    A seal's ink leaves the red channel a little darker than the paper, by an
    amount in proportion to its redness (red minus the larger of green and
    blue). That ratio is measured on the page's surely red pixels and added
    back to every reddish pixel, so faint ink and its JPEG fringe vanish too.
    "Surely red" scales with the page's contrast: on grey paper with grey ink
    (a faded scan) a seal's redness shrinks in proportion. Black text under a seal stays black:
    it is not reddish. The cost: text printed in red is read as faintly as the
    seal; annual reports print their statistics in black.
    """
    r, g, b = (rgb[..., k].astype(np.float32) for k in range(3))
    redness = r - np.maximum(g, b)
    contrast = float(np.percentile(gray, 95) - np.percentile(gray, 0.5))
    surely = redness > max(RED_FLOOR, RED * contrast / 255)
    if not surely.any():
        return gray
    paper = float(np.percentile(r, 95))
    lift = float(np.clip(np.percentile((paper - r[surely]) / redness[surely], 75), 0.0, 1.0))
    reddish = redness > REDDISH
    out = gray.copy()
    out[reddish] = np.clip(r[reddish] + lift * redness[reddish], 0, paper).astype(np.uint8)
    return out


def estimate_skew(boxes: np.ndarray) -> float:
    """Page skew in degrees from the top edges of long text boxes (width-weighted median)."""
    angles, weights = [], []
    for b in boxes:
        (x0, y0), (x1, y1) = b[0], b[1]
        width = math.hypot(x1 - x0, y1 - y0)
        height = math.hypot(b[3][0] - x0, b[3][1] - y0)
        if width < 3 * max(height, 1):
            continue
        angles.append(math.degrees(math.atan2(y1 - y0, x1 - x0)))
        weights.append(width)
    if len(angles) < MIN_SKEW_BOXES:  # one crooked box among two is no page skew
        return 0.0
    order = sorted(range(len(angles)), key=angles.__getitem__)
    half, acc = sum(weights) / 2, 0.0
    for i in order:
        acc += weights[i]
        if acc >= half:
            return angles[i]
    return 0.0


def _rotate(gray: np.ndarray, boxes: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    pts = boxes.reshape(-1, 2)
    pts = np.hstack([pts, np.ones((len(pts), 1))]) @ m.T
    return out, pts.reshape(boxes.shape)


def _tall_share(boxes: np.ndarray, txts) -> float:
    """Share of the page's text, in characters, read from boxes taller than wide.

    Counted in characters, not boxes: an upright table whose narrow header cells print
    their words vertically (结/果/纠/正) has many short tall boxes but far more text in its
    wide lines (measured: upright pages ≤ 0.16 by characters, 0.55 by boxes; sideways
    pages ≥ 0.56). Single characters are left out: a lone digit is taller than wide upright.
    """
    w = boxes[:, :, 0].max(axis=1) - boxes[:, :, 0].min(axis=1)
    h = boxes[:, :, 1].max(axis=1) - boxes[:, :, 1].min(axis=1)
    chars = np.array([n if n >= 2 else 0 for n in (len(str(t).strip()) for t in txts)])
    if not chars.any():
        return 0.0
    return float((chars * (h > w)).sum() / chars.sum())


def _upside_down_share(gray: np.ndarray, boxes: np.ndarray, txts=None) -> float:
    """Share of the widest text lines the direction classifier calls upside down.

    The recogniser turns each line it thinks is upside down, so the text of an upside-down
    page reads well while its lines come out in reverse order; the classifier's verdict on
    a few lines (a small model, milliseconds) is what tells the page is upside down.
    """
    x0, x1 = boxes[:, :, 0].min(axis=1), boxes[:, :, 0].max(axis=1)
    y0, y1 = boxes[:, :, 1].min(axis=1), boxes[:, :, 1].max(axis=1)
    wide = [i for i in np.argsort(x0 - x1) if x1[i] - x0[i] >= 2 * (y1[i] - y0[i])]
    # figures look alike either way up ('0 0 0', '1'): lines of words decide when there are enough
    worded = [i for i in wide if txts is not None and sum(map(is_cjk, str(txts[i]))) >= 2]
    wide = (worded if len(worded) >= 3 else wide)[:CLS_SAMPLE]
    h, w = gray.shape
    crops = []
    for i in wide:
        c = gray[max(0, int(y0[i])) : min(h, int(y1[i]) + 1), max(0, int(x0[i])) : min(w, int(x1[i]) + 1)]
        if c.size:
            crops.append(cv2.cvtColor(c, cv2.COLOR_GRAY2BGR))
    if not crops:
        return 0.0
    cls = engine()._load_cls_model()
    verdicts = cls(crops).cls_res
    return sum(label == "180" and score > cls.cls_thresh for label, score in verdicts) / len(crops)


def _rot90_boxes(boxes: np.ndarray, shape: tuple[int, int], k: int) -> np.ndarray:
    """Box corners after ``np.rot90(image, k)`` (k=1: a quarter turn counter-clockwise, k=3: clockwise)."""
    h, w = shape
    x, y = boxes[..., 0], boxes[..., 1]
    if k == 1:
        return np.stack([y, w - 1 - x], axis=-1)
    return np.stack([h - 1 - y, x], axis=-1)


def _upright(gray: np.ndarray):
    """Read the page and, when it lies sideways or upside down, read it again turned upright.

    An upright page pays for one reading and a direction check of a few lines. Most boxes
    taller than wide → the page is on its side: turned the quarter (counter-clockwise or
    clockwise) after which fewer of its lines read upside down. Most lines upside down → half a turn.
    Returns the image read, the reading, and the turn in degrees counter-clockwise.
    """
    res = engine()(gray)
    if res.boxes is None or not len(res.boxes):
        return gray, res, 0
    boxes = np.asarray(res.boxes, dtype=float)
    if _tall_share(boxes, res.txts) > TALL_SHARE:
        # both quarter turns are asked: the one whose lines read upside down less is right
        # (a table page's lines are mostly figures, which look alike either way up)
        turns = {k: np.ascontiguousarray(np.rot90(gray, k)) for k in (1, 3)}
        k = min((1, 3), key=lambda k: _upside_down_share(turns[k], _rot90_boxes(boxes, gray.shape, k), res.txts))
        turned = turns[k]
    elif _upside_down_share(gray, boxes, res.txts) > 0.5:
        k = 2
        turned = np.ascontiguousarray(np.rot90(gray, k))
    else:
        return gray, res, 0
    again = engine()(turned)
    if again.boxes is None or not len(again.boxes):
        return gray, res, 0
    return turned, again, 90 * k


SPECK = 0.002  # ink no larger than this share of the page's long side, both ways, is a speck
NEAR = 0.005  # ... unless it lies this close to larger ink (a decimal point, a comma)


def despeckle(gray: np.ndarray) -> np.ndarray:
    """The page with isolated specks whitened: dust and scanner noise, not punctuation.

    The text detector reads a page strewn with specks as texture and misses lone
    short figures in it (measured: 3 of ~170 table figures found on a speckled page,
    167 once cleaned). A speck beside larger ink is kept: it may be a decimal point, or
    a minus sign that a faint scan broke into specks (measured: a held-out low-contrast
    page read ``-3`` as ``3``, unflagged, when only specks with ink on both sides were
    kept). The dust this keeps beside figures (``.0.``) the parser drops from counts.
    """
    long_side = max(gray.shape)
    bw = rules.binarize(gray)
    n, labels, st, _ = cv2.connectedComponentsWithStats(bw, connectivity=8)
    small = np.maximum(st[:, 2], st[:, 3]) <= max(3, int(SPECK * long_side))
    small[0] = False
    if not small.any():
        return gray
    big = np.where(small[labels] | (labels == 0), np.uint8(0), np.uint8(255))
    k = max(3, int(NEAR * long_side)) | 1
    near = cv2.dilate(big, np.ones((k, k), np.uint8)) > 0
    out = gray.copy()
    out[small[labels] & ~near] = int(np.percentile(gray, 90))  # the paper's shade, grey or white
    return out


progress = logging.getLogger("nianbao.progress")


def read_page(img: Image.Image, number: int, total: int) -> OcrPage:
    """``ocr_image`` with a progress line per page (logger ``nianbao.progress``; the CLI shows it)."""
    page = ocr_image(img)
    progress.info("OCR page %d/%d: %.1f s, %d text boxes%s", number, total, page.seconds, len(page.scores),
                  f", turned {page.turned}°" if page.turned else "")
    return page


def ocr_image(img: Image.Image) -> OcrPage:
    """Read one page image into lines; table rows come out tab-joined."""
    t0 = time.perf_counter()
    gray, res, turned = _upright(despeckle(to_gray(img)))
    if res.boxes is None or not len(res.boxes):
        return OcrPage(lines=[], seconds=time.perf_counter() - t0, turned=turned)
    boxes = np.asarray(res.boxes, dtype=float)
    skew = estimate_skew(boxes)
    if abs(skew) >= MIN_SKEW_DEG:
        gray, boxes = _rotate(gray, boxes, skew)
    tokens = [
        Token(str(txt), float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 0].max()), float(b[:, 1].max()), float(s))
        for b, txt, s in zip(boxes, res.txts, res.scores)
        if str(txt).strip() and s >= MIN_SCORE
    ]
    lines = page_lines(gray, tokens)
    return OcrPage(
        lines=lines, scores=[t.score for t in tokens], skew=skew, seconds=time.perf_counter() - t0, turned=turned
    )


def page_lines(gray: np.ndarray, tokens: list[Token]) -> list[Line]:
    """Ruled tables → grid rows; everything else → lines; all in top-to-bottom order."""
    page_h = float(gray.shape[0])
    if not tokens:
        return []
    text_h = statistics.median(t.h for t in tokens)
    m = rules.masks(gray, text_h)
    tables = rules.find_tables(gray, text_h, m, [t for t in tokens if is_numeric(t.text)])
    rest = list(tokens)
    out: list[Line] = []
    for n, table in enumerate(tables):
        inside = [t for t in rest if table.contains(t)]
        if not inside:
            continue
        rest = [t for t in rest if not table.contains(t)]
        inside = [_dash_or_one(t, m, text_h) for t in inside + missed_cells(gray, m, table, inside, text_h)]
        for k, (cells, top, bot) in enumerate(rules.table_rows(table, inside)):
            out.append(Line("\t".join(cells), top / page_h, bot / page_h, len(cells), table=n, first_row=k == 0))
    out += lines_from_tokens(rest + missed_words(gray, m, tokens, tables, text_h), page_h)
    out.sort(key=lambda l: (l.top, l.bottom))
    return out


ONE_OR_DASH = frozenset("1lI|/_一-—–－")
SLANT = 0.1  # a lone stroke whose top half sits this share of its height (and 1.5 px) right of its bottom half is a slash
# (measured: a slash of a 9-point table at 200 dpi leans 0.15 of its height; a 1 leans left, by its flag)


def _dash_or_one(t: Token, m: rules.PageMasks, text_h: float) -> Token:
    """A lone stroke the recogniser read as '1' or '一': a dash when its ink is flat, a slash when it leans.

    Tables print a dash or a slash for 'not applicable'; the recogniser reads either
    as 1 often enough to matter, and the ink says which it is.
    """
    if t.text.strip() not in ONE_OR_DASH:
        return t
    ink = _ink_box(m, int(t.x0), int(t.top), int(t.x1) + 1, int(t.bottom) + 1)
    if ink is None:
        return t
    if _flat(ink, text_h):
        return Token("—", t.x0, t.top, t.x1, t.bottom, t.score)
    if _leans(m, ink):
        return Token("/", t.x0, t.top, t.x1, t.bottom, t.score)
    return t


def _leans(m: rules.PageMasks, box: tuple[int, int, int, int]) -> bool:
    """Ink whose upper half lies right of its lower half, by a share of its height: a slash, not a 1."""
    x0, y0, x1, y1 = box
    ink = m.ink[y0:y1, x0:x1]
    h = y1 - y0
    if h < 4:
        return False
    cols = np.arange(x1 - x0)

    def centre(part: np.ndarray) -> "float | None":
        w = part.sum(axis=0).astype(float)
        return float((cols * w).sum() / w.sum()) if w.sum() else None

    top, bottom = centre(ink[: h // 2]), centre(ink[h - h // 2:])
    return top is not None and bottom is not None and top - bottom > max(1.5, SLANT * h)


WORD_MIN_SCORE = 0.8  # ink outside every box and table is read only when the recogniser is this sure


def missed_words(gray: np.ndarray, m: rules.PageMasks, tokens: list[Token], tables: list, text_h: float) -> list[Token]:
    """Ink of text size outside every text box and table, read on its own.

    A figure alone on its line (a report exported one cell per line) is small and
    isolated, and the detector misses it more often than anything else on the page.
    """
    covered = np.zeros(m.ink.shape, np.uint8)
    grow = max(2, int(0.3 * text_h))
    for t in tokens:
        covered[max(0, int(t.top) - grow):int(t.bottom) + grow, max(0, int(t.x0) - grow):int(t.x1) + grow] = 1
    for t in tables:
        x0, y0, x1, y1 = (int(v) for v in t.bbox)
        covered[max(0, y0):y1, max(0, x0):x1] = 1
    left = np.where(covered, np.uint8(0), m.ink)
    if not left.any():
        return []
    # characters of one word touch once grown by half a character
    words = cv2.dilate(left, np.ones((max(1, int(0.2 * text_h)), max(1, int(0.5 * text_h))), np.uint8))
    n, _, st, _ = cv2.connectedComponentsWithStats(words, connectivity=8)
    boxes = [(x, y, x + w, y + h) for x, y, w, h in (map(int, st[k][:4]) for k in range(1, n))
             if 0.5 * text_h <= h <= 1.8 * text_h and w <= 12 * text_h]
    return [t for t in _recognise(gray, boxes, text_h) if t.score >= WORD_MIN_SCORE]


def _recognise(gray: np.ndarray, boxes: list[tuple[int, int, int, int]], text_h: float) -> list[Token]:
    """The ink in each box, with a margin, read by the recogniser alone (no detection): a token per box."""
    if not boxes:
        return []
    from rapidocr.ch_ppocr_rec.typings import TextRecInput

    mg = max(2, int(0.25 * text_h))
    crops = [cv2.cvtColor(gray[max(0, y0 - mg):y1 + mg, max(0, x0 - mg):x1 + mg], cv2.COLOR_GRAY2BGR)
             for x0, y0, x1, y1 in boxes]
    res = engine()._load_rec_model()(TextRecInput(img=crops))
    return [Token(str(txt).strip(), float(x0), float(y0), float(x1), float(y1), float(sc))
            for (x0, y0, x1, y1), txt, sc in zip(boxes, res.txts, res.scores) if str(txt).strip()]


def _ink_box(m: rules.PageMasks, x0: int, y0: int, x1: int, y1: int) -> "tuple[int, int, int, int] | None":
    """The tight box of the ink inside a box of the page, or None when it holds none."""
    box = m.ink[max(0, y0):max(0, y1), max(0, x0):max(0, x1)]
    rows, cols = np.flatnonzero(box.any(axis=1)), np.flatnonzero(box.any(axis=0))
    if not len(rows):
        return None
    x0, y0 = max(0, x0), max(0, y0)
    return x0 + int(cols[0]), y0 + int(rows[0]), x0 + int(cols[-1]) + 1, y0 + int(rows[-1]) + 1


def _flat(box: tuple[int, int, int, int], text_h: float) -> bool:
    """Ink flatter than a third of a line and at least twice as wide as tall: a dash."""
    x0, y0, x1, y1 = box
    return y1 - y0 < DASH * text_h and x1 - x0 >= 2 * (y1 - y0)


FILL_MIN_SCORE = 0.6  # a cell read on its own is kept only when the recogniser is this sure
DASH = 0.3  # ink flatter than this share of a text line is a dash


def missed_cells(gray: np.ndarray, m: rules.PageMasks, table: rules.GridTable, tokens: list[Token],
                 text_h: float) -> list[Token]:
    """Single cells of a ruled table that hold ink but no text box, read one by one.

    The text detector misses lone short figures (a ``0`` in a blurred or speckled
    cell) far more often than the recogniser misreads them; the grid says where
    each cell is, so its ink is cut out and recognised without detection. Empty
    cells cost nothing (no ink, no call); merged cells (headers, labels) are left
    to the detector.
    """
    taken = {table.owner[rules.slot(table, t.cx, t.cy)] for t in tokens}
    pad = max(2, int(0.15 * text_h))
    boxes, dashes = [], []
    for (i, j), (i1, j1) in table.spans().items():
        if (i, j) in taken or i1 > i or j1 > j:
            continue
        xa, xb = int(table.xs[j]) + pad, int(table.xs[j + 1]) - pad
        ya, yb = int(table.ys[i]) + pad, int(table.ys[i + 1]) - pad
        if xb - xa < 0.5 * text_h or yb - ya < 0.5 * text_h:
            continue
        ink = _ink_box(m, xa, ya, xb, yb)
        if ink is None:
            continue
        if _flat(ink, text_h):  # a flat stroke alone: a dash, not '一' or '1'
            dashes.append(Token("—", *map(float, ink), 1.0))
        else:
            boxes.append(ink)
    return dashes + [t for t in _recognise(gray, boxes, text_h) if t.score >= FILL_MIN_SCORE]
