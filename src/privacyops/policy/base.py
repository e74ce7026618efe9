"""Building blocks shared by every part of the declaration."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Lang = Literal["en", "zh-CN"]
Loc = tuple[str | int, ...]
"""A path into the declaration, as pydantic reports it (YAML key names)."""
LANGS: tuple[Lang, ...] = ("en", "zh-CN")

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
SectionRef = Annotated[str, StringConstraints(pattern=r"^\d+(\.\d+)?$")]
Country = Annotated[str, StringConstraints(pattern=r"^([A-Z]{2}|\*)$")]
"""ISO 3166-1 alpha-2 code, or ``*`` for "wherever the recipient is"."""
SemVer = Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]
Path = Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9/_\-.]*$")]


class Model(BaseModel):
    """Strict: unknown fields are refused and values are not coerced."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class Text(Model):
    """A text in every language the policy is published in."""

    en: str = Field(min_length=1)
    zh_cn: str = Field(alias="zh-CN", min_length=1)

    def get(self, lang: Lang) -> str:
        return self.en if lang == "en" else self.zh_cn


class Item(Model):
    """One promise or list entry with its wording."""

    key: Key
    text: Text


class Sectioned(Model):
    """Something the policy text states, with the section it comes from."""

    section: SectionRef


def walk(model: BaseModel, loc: Loc = ()) -> Iterator[tuple[Loc, BaseModel]]:
    """Every model inside ``model`` (itself included) with its path, YAML key names."""
    yield loc, model
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = info.alias or name
        if isinstance(value, BaseModel):
            yield from walk(value, (*loc, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from walk(item, (*loc, key, index))
        elif isinstance(value, dict):
            for dict_key, item in value.items():
                if isinstance(item, BaseModel):
                    yield from walk(item, (*loc, key, dict_key))


def section_refs(decl: BaseModel) -> list[tuple[Loc, str]]:
    """Every ``section`` the declaration's items cite, with where they cite it."""
    found: list[tuple[Loc, str]] = []
    for loc, model in walk(decl):
        section = getattr(model, "section", None)
        if isinstance(section, str) and "section" in type(model).model_fields:
            found.append(((*loc, "section"), section))
    return found
