"""One document, one pure call: bytes + Config -> Result.

(Placeholder while the parser is being written; the signatures are final.)
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Optional

from .config import Config
from .models import Document, IngestInfo, Result, Status


def extract(data: bytes, source: str, config: Optional[Config] = None) -> Result:
    """Extract one document from its bytes. Never raises for bad input."""
    raise NotImplementedError


def extract_document(doc: Document, config: Optional[Config] = None) -> Result:
    raise NotImplementedError


def extract_text(text: str, source: str = "<text>", config: Optional[Config] = None) -> Result:
    return extract_document(Document(source=source, text=text, info=IngestInfo(ingester="text")), config)


def extract_path(path, config: Optional[Config] = None) -> Result:
    p = Path(path)
    return extract(p.read_bytes(), p.name, config)
