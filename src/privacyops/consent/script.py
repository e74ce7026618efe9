"""The banner script as served: comment lines and indentation dropped, gzipped once.

`static/consent.js` is written to be read. Its conventions make this safe: every
comment sits on a line of its own (``//`` or a ``/* ... */`` block starting the
line), and no string or regular expression spans lines. The budget is 8 KB
gzipped, GPC handling and server logging included; a test measures the served
bytes.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SOURCE = Path(__file__).parent / "static" / "consent.js"
BUDGET_GZIP_BYTES = 8 * 1024


@dataclass(frozen=True)
class Served:
    minified: bytes
    gzipped: bytes
    etag: str


def minify(source: str) -> str:
    """Drop whole-line comments, blank lines and indentation."""
    kept: list[str] = []
    in_block = False
    for raw in source.splitlines():
        line = raw.strip()
        if in_block:
            in_block = "*/" not in line
            continue
        if line.startswith("/*"):
            in_block = "*/" not in line
            continue
        if not line or line.startswith("//"):
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


@cache
def served() -> Served:
    minified = minify(SOURCE.read_text(encoding="utf-8")).encode()
    gzipped = gzip.compress(minified, compresslevel=9, mtime=0)
    etag = '"' + hashlib.sha256(minified).hexdigest()[:20] + '"'
    return Served(minified=minified, gzipped=gzipped, etag=etag)
