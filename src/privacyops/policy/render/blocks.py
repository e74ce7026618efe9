"""Constructors for the generic blocks that ``templates/_blocks.html`` renders."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

Block = dict[str, Any]


def para(text: str) -> Block:
    return {"kind": "p", "text": text}


def bullets(items: Iterable[str], title: str | None = None) -> Block:
    return {"kind": "ul", "title": title, "items": list(items)}


def terms(items: Iterable[tuple[str, str]], title: str | None = None) -> Block:
    return {"kind": "dl", "title": title, "items": list(items)}


def table(
    head: Sequence[str],
    rows: Iterable[Sequence[object]],
    caption: str | None = None,
    css: str = "policy-table",
) -> Block:
    return {
        "kind": "table",
        "head": list(head),
        "rows": [["" if cell is None else str(cell) for cell in row] for row in rows],
        "caption": caption,
        "css": css,
    }
