"""OCR of page images with RapidOCR (ONNX models shipped in its wheel: offline).

The engine is loaded once per process (lazy module cache); everything else
is a pure function of the image. A page is read once; its skew is measured
from the angles of the detected text boxes and, when it matters, the image
and the boxes are rotated back before the table borders are looked for.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from ..errors import IngestError
from . import rules
from .layout import Line, Token, lines_from_tokens

_ENGINE = None
_LOCK = threading.Lock()
TARGET_LONG_SIDE = 2000  # px: ~170 dpi on A4, what the detector is tuned for
MIN_SKEW_DEG = 0.2
TALL_SHARE = 0.5  # share of text boxes taller than wide that marks a page lying on its side
CLS_SAMPLE = 12  # widest text lines whose direction is checked to tell an upside-down page


def engine():
    """The process-wide RapidOCR engine, created on first use."""
    global _ENGINE
    if _ENGINE is None:
        with _LOCK:
            if _ENGINE is None:
                try:
                    from rapidocr import RapidOCR

                    _ENGINE = RapidOCR(params={"Global.log_level": "error"})
                except Exception as e:  # a broken install must read as one clear line
                    raise IngestError(f"OCR engine unavailable (rapidocr): {e}") from None
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
    long_side = max(gray.shape)
    if long_side > 1.25 * TARGET_LONG_SIDE or long_side < 0.6 * TARGET_LONG_SIDE:
        f = TARGET_LONG_SIDE / long_side
        f = min(f, 3.0)
        interp = cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
        gray = cv2.resize(gray, None, fx=f, fy=f, interpolation=interp)
    return gray


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
    if not angles:
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
    """Share of text boxes of 2+ characters taller than wide: most of them on a page lying on its side.

    Single characters are left out: a lone digit in a table cell is taller than wide upright.
    """
    w = boxes[:, :, 0].max(axis=1) - boxes[:, :, 0].min(axis=1)
    h = boxes[:, :, 1].max(axis=1) - boxes[:, :, 1].min(axis=1)
    longer = np.array([len(str(t).strip()) >= 2 for t in txts])
    if not longer.any():
        return 0.0
    return float(np.mean(h[longer] > w[longer]))


def _upside_down_share(gray: np.ndarray, boxes: np.ndarray) -> float:
    """Share of the widest text lines the direction classifier calls upside down.

    The recogniser turns each line it thinks is upside down, so the text of an upside-down
    page reads well while its lines come out in reverse order; the classifier's verdict on
    a few lines (a small model, milliseconds) is what tells the page is upside down.
    """
    x0, x1 = boxes[:, :, 0].min(axis=1), boxes[:, :, 0].max(axis=1)
    y0, y1 = boxes[:, :, 1].min(axis=1), boxes[:, :, 1].max(axis=1)
    wide = [i for i in np.argsort(x0 - x1) if x1[i] - x0[i] >= 2 * (y1[i] - y0[i])][:CLS_SAMPLE]
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
    taller than wide → the page is on its side: turned a quarter counter-clockwise unless
    its lines then read upside down (then clockwise). Most lines upside down → half a turn.
    Returns the image read, the reading, and the turn in degrees counter-clockwise.
    """
    res = engine()(gray)
    if res.boxes is None or not len(res.boxes):
        return gray, res, 0
    boxes = np.asarray(res.boxes, dtype=float)
    if _tall_share(boxes, res.txts) > TALL_SHARE:
        k = 1
        turned = np.ascontiguousarray(np.rot90(gray, k))
        if _upside_down_share(turned, _rot90_boxes(boxes, gray.shape, k)) > 0.5:
            k = 3
            turned = np.ascontiguousarray(np.rot90(gray, k))
    elif _upside_down_share(gray, boxes) > 0.5:
        k = 2
        turned = np.ascontiguousarray(np.rot90(gray, k))
    else:
        return gray, res, 0
    again = engine()(turned)
    if again.boxes is None or not len(again.boxes):
        return gray, res, 0
    return turned, again, 90 * k


def ocr_image(img: Image.Image) -> OcrPage:
    """Read one page image into lines; table rows come out tab-joined."""
    t0 = time.perf_counter()
    gray, res, turned = _upright(to_gray(img))
    if res.boxes is None or not len(res.boxes):
        return OcrPage(lines=[], seconds=time.perf_counter() - t0, turned=turned)
    boxes = np.asarray(res.boxes, dtype=float)
    skew = estimate_skew(boxes)
    if abs(skew) >= MIN_SKEW_DEG:
        gray, boxes = _rotate(gray, boxes, skew)
    tokens = [
        Token(str(txt), float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 0].max()), float(b[:, 1].max()), float(s))
        for b, txt, s in zip(boxes, res.txts, res.scores)
        if str(txt).strip()
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
    tables = rules.find_tables(gray, text_h)
    rest = list(tokens)
    out: list[Line] = []
    for n, table in enumerate(tables):
        inside = [t for t in rest if table.contains(t)]
        if not inside:
            continue
        rest = [t for t in rest if not table.contains(t)]
        for k, (cells, top, bot) in enumerate(rules.table_rows(table, inside)):
            out.append(Line("\t".join(cells), top / page_h, bot / page_h, len(cells), table=n, first_row=k == 0))
    out += lines_from_tokens(rest, page_h)
    out.sort(key=lambda l: (l.top, l.bottom))
    return out
