"""Inputs → ``Task``s, lazily and in a stable order, in the main process.

Discovery turns files, directories, globs, zip/tar archives (members streamed
one at a time) and ``.jsonl`` manifests into ``Item``s; loading reads and
hashes one (bounded by ``--max-bytes``). The id is the content's sha256, so a
resume recognises a document wherever it now lives.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import tarfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Callable, Iterator, Optional, Union
from urllib.parse import urlparse

from .errors import BatchError, _one_line

ID_LENGTH = 16  # hex chars of the sha256 used as the report id
CHUNK = 1 << 20

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz")
MANIFEST_SUFFIX = ".jsonl"
IGNORED_SUFFIXES = (".json",)  # goldens and metadata beside the sources


# --- discovery ----------------------------------------------------------------


@dataclass
class Item:
    """One document to process, not yet read.

    ``source`` locates it for people (``path``, ``archive.zip::member``, a
    URL); ``name`` is the file-like name handed to ``extract``, whose suffix
    tells the format. Exactly one of ``opener``/``data`` gives the bytes;
    ``error`` marks an input that failed before reading (corrupt archive…).
    """

    source: str
    name: str
    size: Optional[int] = None
    opener: Optional[Callable[[], BinaryIO]] = None
    data: Optional[bytes] = None
    error: Optional[str] = None


def _lower_name(p: Union[Path, PurePosixPath, str]) -> str:
    return str(p).rsplit("/", 1)[-1].lower()


def is_archive(name: str) -> bool:
    return _lower_name(name).endswith(ARCHIVE_SUFFIXES)


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" for p in parts if p not in (".", ".."))


def has_glob(s: str) -> bool:
    return any(ch in s for ch in "*?[")


def check_inputs(inputs: tuple[str, ...] | list[str]) -> None:
    """Fail fast, in one line, on an input that is neither a path nor a matching glob."""
    for inp in inputs:
        if Path(inp).exists():
            continue
        if has_glob(inp) and glob.glob(inp, recursive=True):
            continue
        raise BatchError(f"no such file or directory, and no glob match: {inp}")


class Discovery:
    """Lazily expands inputs into ``Item``s, in a stable (sorted) order.

    Manifests must be named ``*.jsonl`` and given as inputs (directly or by a
    glob); inside directories and archives, ``*.json``/``*.jsonl`` files are
    skipped (goldens, metadata, a previous run's results.jsonl), as are hidden
    files and anything under ``exclude`` (the output directory).
    """

    def __init__(self, inputs, exclude: tuple[Path, ...] = ()):
        self.inputs = list(inputs)
        self.exclude = tuple(Path(e).resolve() for e in exclude)
        self.ignored: Counter[str] = Counter()

    def __iter__(self) -> Iterator[Item]:
        for inp in self.inputs:
            p = Path(inp)
            if p.exists():
                yield from self._path(p, explicit=True)
            elif has_glob(inp):
                recursive = "**" in inp
                for m in sorted(glob.glob(inp, recursive=True)):
                    mp_ = Path(m)
                    if recursive and mp_.is_dir():
                        continue  # '**' also matches every file below it
                    yield from self._path(mp_, explicit=True)
            else:
                raise BatchError(f"no such file or directory, and no glob match: {inp}")

    def _excluded(self, p: Path) -> bool:
        if not self.exclude:
            return False
        rp = p.resolve()
        return any(rp == e or e in rp.parents for e in self.exclude)

    def _path(self, p: Path, explicit: bool) -> Iterator[Item]:
        if self._excluded(p):
            self.ignored["output directory"] += 1
            return
        if p.is_dir():
            yield from self._walk(p)
        else:
            yield from self._file(p, explicit)

    def _walk(self, root: Path) -> Iterator[Item]:
        for dirpath, dirnames, filenames in os.walk(root):
            d = Path(dirpath)
            keep = []
            for name in sorted(dirnames):
                if name.startswith("."):
                    continue
                if self.exclude and self._excluded(d / name):
                    self.ignored["output directory"] += 1
                    continue
                keep.append(name)
            dirnames[:] = keep
            for name in sorted(filenames):
                if name.startswith("."):
                    self.ignored["hidden"] += 1
                    continue
                yield from self._file(d / name, explicit=False)

    def _file(self, p: Path, explicit: bool) -> Iterator[Item]:
        low = p.name.lower()
        if low.endswith(MANIFEST_SUFFIX):
            if explicit:
                yield from self._manifest(p)
            else:
                self.ignored["jsonl (not given as a manifest)"] += 1
            return
        if low.endswith(IGNORED_SUFFIXES):
            self.ignored["json"] += 1
            return
        if low.endswith(".zip"):
            yield from self._zip(p)
        elif is_archive(low):
            yield from self._tar(p)
        else:
            yield _file_item(p)

    def _zip(self, p: Path) -> Iterator[Item]:
        try:
            zf = zipfile.ZipFile(p)
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            yield _file_item(p, error=f"corrupt zip archive: {_one_line(e)}")
            return
        with zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                member = _zip_member_name(info)
                yield from self._member(p, member, info.file_size, lambda info=info: zf.open(info))

    def _tar(self, p: Path) -> Iterator[Item]:
        n = 0
        try:
            tf = tarfile.open(p, mode="r|*")  # stream mode: no seeking, no member list in memory
        except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
            yield _file_item(p, error=f"corrupt tar archive: {_one_line(e)}")
            return
        try:
            with tf:
                for m in tf:
                    if not m.isfile():
                        continue
                    n += 1
                    yield from self._member(p, m.name, m.size, lambda m=m: tf.extractfile(m))
        except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
            yield _file_item(p, error=f"corrupt or truncated tar archive after {n} member(s): {_one_line(e)}")

    def _member(self, archive: Path, member: str, size: int, opener) -> Iterator[Item]:
        pp = PurePosixPath(member)
        if _hidden(pp.parts):
            self.ignored["hidden"] += 1
            return
        low = pp.name.lower()
        if low.endswith(IGNORED_SUFFIXES) or low.endswith(MANIFEST_SUFFIX):
            self.ignored["json"] += 1
            return
        yield Item(source=f"{archive}::{member}", name=pp.name, size=size, opener=opener)

    def _manifest(self, p: Path) -> Iterator[Item]:
        try:
            fh = open(p, "rb")
        except OSError as e:
            yield Item(source=str(p), name=p.name, error=f"cannot read manifest: {_one_line(e)}")
            return
        with fh:
            for lineno, raw in enumerate(fh, 1):
                line = raw.strip()
                if not line:
                    continue
                yield from self._manifest_line(p, lineno, line)

    def _manifest_line(self, p: Path, lineno: int, line: bytes) -> Iterator[Item]:
        here = f"{p}:{lineno}"
        try:
            obj = json.loads(line)
        except ValueError as e:
            yield Item(source=here, name=p.name, data=line, error=f"manifest line is not JSON: {_one_line(e)}")
            return
        if not isinstance(obj, dict):
            yield Item(source=here, name=p.name, data=line, error="manifest line is not a JSON object")
            return
        url = obj.get("url")
        source = str(obj.get("source") or url or here)
        name = str(obj.get("name") or _name_from_url(url) or f"line{lineno}")
        if obj.get("content") is not None or obj.get("content_base64") is not None:
            try:
                if obj.get("content") is not None:
                    c = obj["content"]
                    data = c.encode("utf-8") if isinstance(c, str) else json.dumps(c, ensure_ascii=False).encode("utf-8")
                else:
                    import base64

                    data = base64.b64decode(obj["content_base64"], validate=True)
            except (ValueError, TypeError) as e:
                yield Item(source=source, name=name, data=line, error=f"manifest content unreadable: {_one_line(e)}")
                return
            yield Item(source=source, name=name, size=len(data), data=data)
        elif obj.get("path"):
            q = Path(str(obj["path"]))
            if not q.is_absolute():
                q = p.parent / q
            if not q.exists():
                yield Item(source=source if url else str(q), name=q.name, data=line, error=f"manifest path not found: {q}")
                return
            for item in self._path(q, explicit=False):
                if url and not q.is_dir() and not is_archive(q.name):
                    item.source = source
                yield item
        else:
            yield Item(source=here, name=p.name, data=line, error="manifest line has neither 'path' nor 'content'")


def _file_item(p: Path, error: Optional[str] = None) -> Item:
    try:
        size = p.stat().st_size
    except OSError:
        size = None
    return Item(source=str(p), name=p.name, size=size, opener=lambda: open(p, "rb"), error=error)


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    """Member name, fixing GBK names that zip tools stored without the UTF-8 flag."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return name


def _name_from_url(url: Any) -> Optional[str]:
    if not url:
        return None
    name = PurePosixPath(urlparse(str(url)).path).name
    return name or None


# --- loading ------------------------------------------------------------------


@dataclass
class Task:
    """A document ready for a worker (or already failed: ``error`` set, no data)."""

    doc_id: str
    content_hash: str
    source: str
    name: str
    data: Optional[bytes] = None
    size: Optional[int] = None
    error: Optional[str] = None
    attempts: int = 0
    endpoint_down: Optional[str] = None  # set by the main process once a worker found the LLM endpoint unreachable


def doc_id_of(content_hash: str) -> str:
    return content_hash[:ID_LENGTH]


def _hash_stream(fh: BinaryIO, h) -> int:
    n = 0
    while True:
        chunk = fh.read(CHUNK)
        if not chunk:
            return n
        h.update(chunk)
        n += len(chunk)


def load(item: Item, max_bytes: int) -> Task:
    """Read and hash one item. Never raises for a bad input: the Task says why.

    A document over ``max_bytes`` is hashed in chunks (its id stays its content
    hash, so a resume skips it) but never held in memory. An input that
    cannot be read at all gets an id from its locator.
    """
    h = hashlib.sha256()
    if item.error is not None:
        try:
            if item.data is not None:
                h.update(item.data)
                size = len(item.data)
            elif item.opener is not None:
                with item.opener() as fh:
                    size = _hash_stream(fh, h)
            else:
                raise OSError("no content")
        except Exception:
            h = hashlib.sha256(f"unreadable:{item.source}".encode())
            size = item.size
        return _task(item, h, None, size, item.error)

    if item.data is not None:
        h.update(item.data)
        n = len(item.data)
        if n > max_bytes:
            return _task(item, h, None, n, _too_big(n, max_bytes))
        return _task(item, h, item.data, n, None if n else "empty file (0 bytes)")

    chunks: list[bytes] = []
    n = 0
    too_big = item.size is not None and item.size > max_bytes
    try:
        assert item.opener is not None
        with item.opener() as fh:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                h.update(chunk)
                n += len(chunk)
                if not too_big:
                    if n > max_bytes:
                        too_big, chunks = True, []
                    else:
                        chunks.append(chunk)
    except Exception as e:  # OSError, BadZipFile, encrypted zip (RuntimeError), tar/zlib errors...
        h = hashlib.sha256(f"unreadable:{item.source}".encode())
        return _task(item, h, None, item.size, f"cannot read: {_one_line(e)}")
    if too_big:
        return _task(item, h, None, n, _too_big(n, max_bytes))
    if n == 0:
        return _task(item, h, None, 0, "empty file (0 bytes)")
    return _task(item, h, b"".join(chunks), n, None)


def _task(item: Item, h, data, size, error) -> Task:
    digest = h.hexdigest()
    return Task(doc_id=doc_id_of(digest), content_hash=digest, source=item.source, name=item.name, data=data, size=size, error=error)


def _too_big(n: int, limit: int) -> str:
    return f"too large: {n} bytes > --max-bytes {limit}"
