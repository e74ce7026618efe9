"""The declaration's ``external_sources``: optional, and every mistake points at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from privacyops.policy.loader import DeclarationError, parse_declaration
from privacyops.settings import Settings

GOOD = """
external_sources:
  - name: shop
    url_env: SHOP_DATABASE_URL
    tables:
      - name: customer_orders
        identity: {column: email, kind: email}
        fields:
          - {name: email, type: email, max_length: 254, erase: mask}
          - {name: paid, type: boolean, erase: keep}
"""


def _text(settings: Settings) -> str:
    return Path(settings.policy).read_text(encoding="utf-8")


def _problem(settings: Settings, extra: str) -> tuple[int, str]:
    text = _text(settings) + extra
    with pytest.raises(DeclarationError) as failed:
        parse_declaration(text, name="policy/x.yaml")
    [problem] = failed.value.problems
    return problem.line - text.count("\n", 0, len(_text(settings))), problem.message


def test_external_sources_are_optional_and_parsed(settings: Settings) -> None:
    assert parse_declaration(_text(settings)).external_sources == []
    [source] = parse_declaration(_text(settings) + GOOD).external_sources
    assert source.url_env == "SHOP_DATABASE_URL"
    assert source.tables[0].identity.kind == "email"


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "{name: paid, type: boolean, erase: keep}",
            "{name: paid, type: boolean, erase: hash}",
            10,
            "a boolean field cannot take erase 'hash'; use delete_row, null",
        ),
        (
            "max_length: 254, erase: mask}",
            "max_length: 12, erase: mask}",
            9,
            "max_length 12 is too short to mask a field of type email (at least 15)",
        ),
        (
            "{column: email, kind: email}",
            "{column: mail, kind: email}",
            6,
            "identity column 'mail'",
        ),
        ("url_env: SHOP_DATABASE_URL", "url_env: shop", 4, "String should match pattern"),
        ("kind: email}", "kind: passport}", 7, "Input should be 'email', 'phone' or 'account_id'"),
    ],
)
def test_mistakes_point_at_their_line(
    settings: Settings, old: str, new: str, line: int, message: str
) -> None:
    assert old in GOOD
    found_line, found = _problem(settings, GOOD.replace(old, new))
    assert found_line == line
    assert message in found


def test_a_source_needs_exactly_one_url(settings: Settings) -> None:
    both = GOOD.replace("url_env: SHOP_DATABASE_URL", "url_env: X\n    url: sqlite://")
    assert "exactly one of 'url' and 'url_env'" in _problem(settings, both)[1]
