"""The gettext catalogues: complete in Chinese, no fuzzy entries, compiled files current,
and no template text that bypasses them."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import privacyops
from privacyops.web import i18n

SRC = Path(privacyops.__file__).parent
LOCALE = SRC / "locale"
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/messages.po"))

#: Visible words a template may write without the catalogue: brand and product names,
#: language names (each written in its own language), codes and units.
ALLOWED = {"FSTSMART", "privacyops", "English", "中文", "JSON", "CSV", "API", "ID", "UTC", "CA"}


def _strings(message_string: str | tuple[str, ...]) -> tuple[str, ...]:
    return message_string if isinstance(message_string, tuple) else (message_string,)


def test_there_are_english_and_chinese_catalogues() -> None:
    assert {path.parent.parent.name for path in CATALOGUES} == {"en", "zh_CN"}
    assert (LOCALE / "messages.pot").exists()


def test_every_message_has_a_chinese_translation() -> None:
    catalogue = read_po((LOCALE / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb"))
    assert len(catalogue) > 300
    missing = [m.id for m in catalogue if m.id and not all(_strings(m.string))]
    assert missing == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_no_catalogue_has_fuzzy_entries(path: Path) -> None:
    fuzzy = [m.id for m in read_po(path.open("rb")) if m.id and m.fuzzy]
    assert fuzzy == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_the_compiled_catalogue_is_current(path: Path) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, read_po(path.open("rb")))
    assert path.with_suffix(".mo").read_bytes() == compiled.getvalue(), "run make messages"


def test_every_catalogue_message_is_still_in_the_template() -> None:
    template = {m.id for m in read_po((LOCALE / "messages.pot").open("rb")) if m.id}
    for path in CATALOGUES:
        assert {m.id for m in read_po(path.open("rb")) if m.id} == template, path


_TAGS = [
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"\{%-?\s*trans\b.*?endtrans\s*-?%\}", re.S),
    re.compile(r"\{%.*?%\}", re.S),
    re.compile(r"\{\{.*?\}\}", re.S),
    re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I),
    re.compile(r"<!--.*?-->", re.S),
]
_ATTRIBUTES = re.compile(r"""\b(?:title|placeholder|aria-label|alt)\s*=\s*"([^"]*)\"""", re.I)
_MARKUP = re.compile(r"<[^>]*>", re.S)
_WORD = re.compile(r"[A-Za-z\u4e00-\u9fff]{2,}")


def visible_words(source: str) -> list[str]:
    """What a reader sees that no expression or catalogue call produced."""
    text = source
    for pattern in _TAGS:
        text = pattern.sub(" ", text)
    words = [w for value in _ATTRIBUTES.findall(text) for w in _WORD.findall(value)]
    text = _MARKUP.sub(" ", text).replace("&nbsp;", " ")
    words += _WORD.findall(re.sub(r"&[a-z]+;", " ", text))
    return [w for w in words if w not in ALLOWED]


def _templates() -> list[Path]:
    return sorted(p for p in SRC.rglob("templates/**/*") if p.suffix in (".html", ".txt"))


@pytest.mark.parametrize("path", _templates(), ids=lambda p: p.relative_to(SRC).as_posix())
def test_no_template_text_bypasses_the_catalogue(path: Path) -> None:
    assert visible_words(path.read_text(encoding="utf-8")) == []


def test_the_walker_sees_words_outside_the_catalogue() -> None:
    page = '<p title="Hello there">{{ _("Kept") }} Lost {% if x %}{{ y }}{% endif %}</p>'
    assert visible_words(page) == ["Hello", "there", "Lost"]


def test_dates_and_numbers_follow_the_locale() -> None:
    assert i18n.format_date("2026-12-07", "en") == "7 December 2026"
    assert i18n.format_date("2026-12-07", "zh-CN") == "2026年12月7日"
    assert i18n.format_datetime("2026-12-07T09:30:00+00:00", "zh-CN") == "2026年12月7日 09:30 (UTC)"
    assert i18n.format_datetime("2026-12-07T09:30:00+00:00", "en") == "7 December 2026, 09:30 UTC"
    assert i18n.format_decimal(12345.5, "en") == "12,345.5"
    assert i18n.format_decimal(12345.5, "zh-CN") == "12,345.5"


def test_plural_forms_follow_the_count() -> None:
    english, chinese = i18n.translations("en"), i18n.translations("zh-CN")
    assert english.ngettext("{num} day", "{num} days", 1) == "{num} day"
    assert english.ngettext("{num} day", "{num} days", 3) == "{num} days"
    assert chinese.ngettext("{num} day", "{num} days", 3) == "{num}天"


#: Modules whose Chinese is data, not a message: detection patterns, made-up demo names,
#: and the language names (each written in its own language).
CJK_DATA = ("collection/pii/", "collection/demo.py", "retention/demo.py", "web/i18n.py")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def chinese_literals(source: str) -> list[str]:
    """String literals holding Chinese, leaving out docstrings and single characters
    (the bounds of a character range)."""
    import ast

    tree = ast.parse(source)
    docstrings = {
        id(statement.value)
        for node in ast.walk(tree)
        if isinstance(body := getattr(node, "body", None), list)
        for statement in body
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and len(node.value) > 1
        and id(node) not in docstrings
        and _CJK.search(node.value)
    ]


def test_no_module_holds_its_own_chinese_messages() -> None:
    held = {
        name: found
        for path in sorted(SRC.rglob("*.py"))
        if not (name := path.relative_to(SRC).as_posix()).startswith(CJK_DATA)
        and (found := chinese_literals(path.read_text(encoding="utf-8")))
    }
    assert held == {}, "move these messages to the catalogue (N_ / translations(lang))"


def test_the_literal_finder_sees_chinese_outside_docstrings() -> None:
    source = '"""模块说明。"""\nLABEL = {"en": "Yes", "zh-CN": "是的"}\nLOW = "\\u4e00"\n'
    assert chinese_literals(source) == ["是的"]


#: Pages of the privacy center outside center/ (public notices).
CENTER_PAGES = ("web/templates/incidents/notice.html", "web/templates/incidents/notices.html")
_RAW_DATE = re.compile(r"\.strftime\(|\.isoformat\(")


def test_the_privacy_center_prints_dates_through_babel() -> None:
    pages = sorted((SRC / "web/templates/center").glob("*.html"))
    pages += [SRC / name for name in CENTER_PAGES]
    raw = [p.name for p in pages if _RAW_DATE.search(p.read_text(encoding="utf-8"))]
    assert raw == [], "use the |date or |datetime filter"
