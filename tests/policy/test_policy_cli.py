"""``privacyops policy``: check prints file:line problems; render writes each document."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from privacyops.policy import render
from privacyops.policy.cli import POLICY_ENV, policy_app
from privacyops.policy.schema import Declaration

runner = CliRunner()


def test_check_the_real_declaration(policy_path: Path) -> None:
    result = runner.invoke(policy_app, ["check", str(policy_path)])
    assert result.exit_code == 0, result.output
    assert "OK - version 1.0.0 (V1.0)" in result.output


def test_check_reports_problems_as_file_line_message(variant: Callable[..., Any]) -> None:
    edited = variant(("fides_use: analytics.reporting", "fides_use: marketing.foo"))
    line = edited.line("fides_use: marketing.foo")
    result = runner.invoke(policy_app, ["check", edited.path])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"policy/x.yaml:{line}: data use 'marketing.foo' is not in the taxonomy"
    )
    assert "Traceback" not in result.output


def test_check_defaults_to_the_environment_path(
    variant: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = variant(("minimum_age: 16", "minimum_age: sixteen"))
    monkeypatch.setenv(POLICY_ENV, edited.path)
    result = runner.invoke(policy_app, ["check"])
    assert result.exit_code == 1
    assert result.output.startswith("policy/x.yaml:")


def test_render_refuses_an_invalid_declaration(variant: Callable[..., Any]) -> None:
    edited = variant(("  label: V1.0\n", "  label: V1.0: broken\n"))
    result = runner.invoke(policy_app, ["render", "page", "--policy", edited.path])
    assert result.exit_code == 1
    assert "YAML syntax error" in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["page"], lambda d: render.render_page(d, "en")),
        (["page", "--lang", "zh-CN"], lambda d: render.render_page(d, "zh-CN")),
        (["apple", "--format", "html"], lambda d: render.apple_html(d, "en")),
        (["datasafety"], render.datasafety_csv),
        (["datasafety", "--format", "html"], lambda d: render.datasafety_html(d, "en")),
        (["ropa"], lambda d: render.ropa_csv(d, "en")),
        (["ropa", "--format", "html", "--lang", "zh-CN"], lambda d: render.ropa_html(d, "zh-CN")),
        (["cookies"], lambda d: render.cookies_html(d, "en")),
    ],
)
def test_render_writes_the_document(
    tmp_path: Path,
    policy_path: Path,
    declaration: Declaration,
    args: list[str],
    expected: Callable[[Declaration], str],
) -> None:
    out = tmp_path / "out" / "doc"
    result = runner.invoke(
        policy_app, ["render", *args, "--policy", str(policy_path), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == expected(declaration)


def test_render_json_to_stdout(policy_path: Path, declaration: Declaration) -> None:
    result = runner.invoke(policy_app, ["render", "apple", "--policy", str(policy_path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(json.dumps(render.apple_answers(declaration)))
    fastlane = runner.invoke(
        policy_app, ["render", "apple", "--format", "fastlane", "--policy", str(policy_path)]
    )
    assert json.loads(fastlane.output) == render.app_privacy_details(declaration)
    cookies = runner.invoke(
        policy_app, ["render", "cookies", "--format", "json", "--policy", str(policy_path)]
    )
    assert [row["name"] for row in json.loads(cookies.output)] == [
        c.name for c in declaration.cookies
    ]
