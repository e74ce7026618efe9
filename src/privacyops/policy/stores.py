"""App-store vocabularies, read from the project's copies in ``data/``.

Apple's App Privacy types/purposes and Google Play's Data safety layout are
third-party formats. Keeping them as data files (see ``data/SOURCES.txt``)
means the declaration is validated against the same ids the renderers emit.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

TEMPLATE_FILE = "datasafety_template.csv"
APPLE_FILE = "apple_privacy_types.json"

PLAY_TYPES_PREFIX = "PSL_DATA_TYPES_"
PLAY_USAGE_PREFIX = "PSL_DATA_USAGE_RESPONSES:"
PLAY_COLLECTION_PURPOSE = "DATA_USAGE_COLLECTION_PURPOSE"


@dataclass(frozen=True, slots=True)
class AppleType:
    asc_id: str
    name: str
    group: str
    manifest_key: str


@dataclass(frozen=True, slots=True)
class ApplePurpose:
    asc_id: str
    name: str
    manifest_key: str


@dataclass(frozen=True, slots=True)
class TemplateRow:
    question: str
    response: str
    requirement: str
    label: str


def _data_text(name: str) -> str:
    return files("privacyops.policy").joinpath("data", name).read_text(encoding="utf-8")


@cache
def _apple_raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(_data_text(APPLE_FILE))
    return raw


@cache
def apple_types() -> dict[str, AppleType]:
    """Apple data types by App Store Connect id (types without an id are skipped)."""
    found: dict[str, AppleType] = {}
    for group in _apple_raw()["categories"]:
        for item in group["types"]:
            if item["asc_id"]:
                found[item["asc_id"]] = AppleType(
                    asc_id=item["asc_id"],
                    name=item["type"],
                    group=group["category"],
                    manifest_key=item["manifest_key"],
                )
    return found


@cache
def apple_purposes() -> dict[str, ApplePurpose]:
    return {
        item["asc_id"]: ApplePurpose(
            asc_id=item["asc_id"], name=item["purpose"], manifest_key=item["manifest_key"]
        )
        for item in _apple_raw()["purposes"]
    }


@cache
def template_text() -> str:
    return _data_text(TEMPLATE_FILE)


@cache
def template_header() -> tuple[str, ...]:
    return tuple(next(csv.reader(io.StringIO(template_text()))))


@cache
def template_rows() -> tuple[TemplateRow, ...]:
    reader = csv.reader(io.StringIO(template_text()))
    next(reader)
    return tuple(
        TemplateRow(question=q, response=r, requirement=req, label=label)
        for q, r, _value, req, label in reader
    )


@cache
def play_types() -> dict[str, str]:
    """Play data types (response id -> English label), in template order."""
    return {
        row.response: row.label
        for row in template_rows()
        if row.question.startswith(PLAY_TYPES_PREFIX)
    }


@cache
def play_type_groups() -> dict[str, str]:
    """Play data type (response id) -> its question id, e.g. ``PSL_DATA_TYPES_PERSONAL``."""
    return {
        row.response: row.question
        for row in template_rows()
        if row.question.startswith(PLAY_TYPES_PREFIX)
    }


@cache
def play_purposes() -> dict[str, str]:
    """Play purposes (response id -> English label), in template order."""
    found: dict[str, str] = {}
    for row in template_rows():
        if row.question.endswith(":" + PLAY_COLLECTION_PURPOSE):
            found.setdefault(row.response, row.label.rsplit("/", 1)[-1])
    return found


@cache
def play_account_methods() -> frozenset[str]:
    return frozenset(
        row.response
        for row in template_rows()
        if row.question == "PSL_SUPPORTED_ACCOUNT_CREATION_METHODS"
    )


@cache
def play_outside_account_types() -> frozenset[str]:
    return frozenset(
        row.response for row in template_rows() if row.question == "PSL_OUTSIDE_APP_ACCOUNT_TYPES"
    )
