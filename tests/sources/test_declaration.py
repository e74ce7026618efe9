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
    assert "exactly one of 'url', 'url_env' and 'url_secret'" in _problem(settings, both)[1]


RELATIONAL = """
external_sources:
  - name: shop
    url_secret: shop
    tables:
      - name: customer
        identity: {column: email, kind: email}
        fields:
          - {name: email, type: email, max_length: 254, erase: hash}
      - name: orders
        reached_through: {column: customer_id, references: customer.id}
        fields:
          - {name: ship_name, type: string, erase: fixed, value: "-"}
      - name: order_lines
        reached_through: {column: order_id, references: orders.id}
        fields:
          - {name: note, type: text, erase: "null"}
"""


def test_references_parse_and_order_parents_first(settings: Settings) -> None:
    [source] = parse_declaration(_text(settings) + RELATIONAL).external_sources
    assert [t.name for t in source.ordered()] == ["customer", "orders", "order_lines"]
    assert source.tables[2].lookup_column == "order_id"
    assert [t.name for t in source.children_of(source.tables[0])] == ["orders"]


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (  # customer -> order_lines -> orders -> customer
            "identity: {column: email, kind: email}",
            "reached_through: {column: line_id, references: order_lines.id}",
            7,
            "the references form a cycle: customer -> order_lines -> orders -> customer",
        ),
        ("references: orders.id}", "references: invoices.id}", 15, "table 'invoices' is not"),
        (
            '{name: note, type: text, erase: "null"}',
            '{name: order_id, type: integer, erase: "null"}',
            14,
            "the referencing column 'order_id' links rows",
        ),
        ('erase: fixed, value: "-"}', "erase: fixed}", 13, "'value' goes with erase 'fixed'"),
        ("url_secret: shop", "url: postgresql://u:pw@db/shop", 3, "'url' holds a password"),
        (
            "reached_through: {column: order_id, references: orders.id}",
            "identity: {column: note, kind: email}\n"
            "        reached_through: {column: order_id, references: orders.id}",
            14,
            "give exactly one of 'identity' and 'reached_through'",
        ),
    ],
)
def test_reference_mistakes_point_at_their_line(
    settings: Settings, old: str, new: str, line: int, message: str
) -> None:
    assert old in RELATIONAL
    found_line, found = _problem(settings, RELATIONAL.replace(old, new))
    assert message in found
    assert found_line == line


def test_a_parent_that_deletes_rows_a_law_keeps_below_it_is_refused(settings: Settings) -> None:
    text = RELATIONAL.replace("erase: hash}", "erase: delete_row}").replace(
        "        reached_through: {column: customer_id, references: customer.id}\n",
        "        reached_through: {column: customer_id, references: customer.id}\n"
        "        category: key_account\n        collected_at: created_at\n",
    )
    line, message = _problem(settings, text)
    assert line == 6
    assert "'customer' deletes rows, but orders reached through it may be kept" in message
