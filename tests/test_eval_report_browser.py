"""report.html renders in a real browser (headless Chromium) into a non-trivial page."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from eval.goldens import load_cases
from eval.harness import run_eval, summarize
from eval.outputs import write_reports
from eval.synthetic import generate_corpus

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; listed in .ci/apt-packages.txt)")


def _stub(path, config):
    """Perfect answers, except one wrong cell claimed verified (a silent error)."""
    import json

    g = json.loads(Path(path).with_suffix(".json").read_text(encoding="utf-8"))
    r = {k: g[k] for k in ("id", "source", "agency", "year", "template", "tables")}
    r["status"] = "verified"
    if "applications" in r["tables"]:
        r["tables"]["applications"]["granted"]["total"] = 424242
    return r


def _screenshot(html: Path, png: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", f"--screenshot={png}", "--window-size=1280,2000", html.resolve().as_uri(),
        ]
        subprocess.run(cmd, capture_output=True, timeout=120, check=False)


def _near(px: tuple, rgb: tuple, tol: int = 30) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(px[:3], rgb))


def test_report_html_screenshot_is_non_trivial(tmp_path):
    from PIL import Image

    corpus = tmp_path / "corpus"
    generate_corpus(8, 5, corpus)
    runs = run_eval(load_cases(corpus), extract_fn=_stub)
    summary = summarize(runs, {"backend": "stub"})
    paths = write_reports(summary, tmp_path / "out", {r.case.id: r.case.golden["tables"] for r in runs})
    png = tmp_path / "report.png"
    _screenshot(paths["html"], png)
    assert png.is_file() and png.stat().st_size > 20_000, "chromium wrote no screenshot"
    img = Image.open(png).convert("RGB")
    assert img.size == (1280, 2000)
    small = img.resize((320, 500))
    raw = small.tobytes()
    pixels = [tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)]
    assert len(set(pixels)) > 50, "the page looks blank"
    assert sum(_near(p, (0x2E, 0x8B, 0x57)) for p in pixels) > 200, "no accuracy bars drawn"
    assert sum(_near(p, (0xC0, 0x39, 0x2B), 40) for p in pixels) > 5, "the silent-error alarm is not visible"
    assert sum(p == (0xFA, 0xFA, 0xFA) for p in pixels) < 0.9 * len(pixels)
