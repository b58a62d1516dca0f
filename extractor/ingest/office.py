"""Old office formats (.doc, .wps, .rtf, .odt) through a converter found at run time.

LibreOffice converts to .docx, which keeps tables as tables (then the .docx
backend reads it); antiword and catdoc only give text, but they are small and
read Word 97–2003 files. With none installed the reason says what to do.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import IngestError, UnsupportedFormat
from . import docx as docx_backend
from .base import Extracted, finish, row_line
from .text import decode

TIMEOUT = 180  # seconds for one conversion; LibreOffice's first start is slow
_SUFFIX = {"doc": ".doc", "rtf": ".rtf", "odt": ".odt"}
# Best first: LibreOffice keeps tables; catdoc writes table rows tab-separated;
# antiword draws tables as |cells| and loses rows with merged cells.
CONVERTERS = ("libreoffice", "catdoc", "antiword")
_TEXT_TOOLS = {"catdoc": ["-w", "-d", "utf-8"], "antiword": ["-w", "0", "-m", "UTF-8.txt"]}


def read(data: bytes, name: str, kind: str) -> Extracted:
    for tool in CONVERTERS:
        if tool == "libreoffice":
            exe = shutil.which("soffice") or shutil.which("libreoffice")
            if exe:
                return _via_libreoffice(exe, data, kind)
        elif kind == "doc" and shutil.which(tool):
            return _via_text_tool(shutil.which(tool), _TEXT_TOOLS[tool], data, tool)
    what = {"doc": "legacy Word/WPS .doc", "rtf": "RTF", "odt": "OpenDocument .odt"}[kind]
    raise UnsupportedFormat(
        f"{what} file needs LibreOffice{', catdoc or antiword' if kind == 'doc' else ''} and none is installed: "
        "convert it to .docx first"
    )


def _run(cmd: list[str], cwd: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise IngestError(f"{Path(cmd[0]).name} took more than {TIMEOUT}s to convert the file") from None


def _via_libreoffice(soffice: str, data: bytes, kind: str) -> Extracted:
    with tempfile.TemporaryDirectory(prefix="nianbao-") as tmp:
        src = Path(tmp, "input" + _SUFFIX[kind])
        src.write_bytes(data)
        profile = Path(tmp, "profile").as_uri()  # own profile: parallel workers do not lock each other
        proc = _run(
            [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
             "--convert-to", "docx", "--outdir", tmp, str(src)],
            tmp,
        )
        out = Path(tmp, "input.docx")
        if proc.returncode != 0 or not out.exists():
            err = " ".join((proc.stderr or b"").decode("utf-8", "replace").split())[:160]
            raise IngestError(f"LibreOffice could not convert this {kind} file (corrupt?){': ' + err if err else ''}")
        result = docx_backend.read(out.read_bytes(), "input.docx", "docx")
    result.ingester = f"{kind}:libreoffice"
    return result


def _via_text_tool(exe: str, args: list[str], data: bytes, tool: str) -> Extracted:
    with tempfile.TemporaryDirectory(prefix="nianbao-") as tmp:
        src = Path(tmp, "input.doc")
        src.write_bytes(data)
        proc = _run([exe, *args, str(src)], tmp)
    if proc.returncode != 0:
        err = " ".join((proc.stderr or b"").decode("utf-8", "replace").split())[:160]
        raise IngestError(f"{tool} could not read this .doc file (corrupt or not Word 97–2003): {err}")
    text, _ = decode(proc.stdout)
    # catdoc's rows are tab-separated; antiword's |cell|cell| pipe rows are read by the parser as they are.
    lines = [row_line(line.split("\t")) if "\t" in line else line for line in re.split(r"\r\n|\n", text)]
    return Extracted(text=finish(lines), ingester=f"doc:{tool}", encoding="utf-8")
