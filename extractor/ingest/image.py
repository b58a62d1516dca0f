"""Image files (PNG, JPEG, TIFF, BMP …): every frame is a scanned page to OCR."""

from __future__ import annotations

import io

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from ..errors import IngestError
from .base import MAX_PAGES, Extracted, finish
from .furniture import drop_furniture
from .ocr import read_page


def read(data: bytes, name: str, kind: str) -> Extracted:
    try:
        img = Image.open(io.BytesIO(data))
        frames = []
        for frame in ImageSequence.Iterator(img):
            frames.append(ImageOps.exif_transpose(frame.copy()))
            if len(frames) > MAX_PAGES:
                break
    except Image.DecompressionBombError as e:  # Pillow's own bound on pixels (~180 megapixels)
        raise IngestError(f"image too large to read: {e}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
        raise IngestError(f"corrupt or unreadable {kind.upper()} image: {' '.join(str(e).split())[:160]}") from None
    if not frames:
        raise IngestError(f"{kind.upper()} image without any frame")
    if len(frames) > MAX_PAGES:
        raise IngestError(f"image has more than {MAX_PAGES} pages (the limit)")
    return read_pages(frames)


def read_pages(frames: list[Image.Image]) -> Extracted:
    """Page images (an image file's frames, a scanned Word file's pictures) read by OCR."""
    pages, scores, turned = [], [], {}
    for i, frame in enumerate(frames):
        page = read_page(frame, i + 1, len(frames))
        pages.append(page.lines)
        scores += page.scores
        if page.turned:
            turned[i + 1] = page.turned
    lines = [l.text for page in drop_furniture(pages) for l in page]
    return Extracted(
        text=finish(lines),
        ingester="ocr",
        pages=len(frames),
        ocr_pages=len(frames),
        ocr_confidence=round(sum(scores) / len(scores), 4) if scores else None,
        turned_pages=turned,
    )
