"""``privacyops policy ...``: check the declaration and render what derives from it."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from privacyops.policy import render
from privacyops.policy.loader import DeclarationError, load_declaration
from privacyops.policy.schema import Declaration
from privacyops.settings import Settings

DEFAULT_POLICY = Path("policy/fstsmart.yaml")
POLICY_ENV = "PRIVACYOPS_POLICY"

policy_app = typer.Typer(
    help="The privacy declaration: validate it and render the documents derived from it.",
    no_args_is_help=True,
)
render_app = typer.Typer(help="Render a document from the declaration.", no_args_is_help=True)
policy_app.add_typer(render_app, name="render")


class LangOption(StrEnum):
    en = "en"
    zh_cn = "zh-CN"


class AppleFormat(StrEnum):
    json = "json"
    fastlane = "fastlane"
    html = "html"


class TableFormat(StrEnum):
    csv = "csv"
    html = "html"


class CookieFormat(StrEnum):
    json = "json"
    html = "html"


def default_policy_path() -> Path:
    return Settings().policy


PolicyOpt = Annotated[
    Path | None,
    typer.Option(
        "--policy", "-p", help=f"Declaration file (default: ${POLICY_ENV} or {DEFAULT_POLICY})."
    ),
]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")]
LangOpt = Annotated[LangOption, typer.Option("--lang", "-l", help="Language of the output.")]


def _errors() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _load(path: Path | None) -> Declaration:
    try:
        return load_declaration(path or default_policy_path())
    except DeclarationError as err:
        console = _errors()
        for problem in err.problems:
            console.print(str(problem), style="red", markup=False)
        raise typer.Exit(1) from None


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8", newline="")
    _errors().print(f"wrote {out}", style="green", markup=False)


@policy_app.command("check")
def check_command(
    file: Annotated[Path | None, typer.Argument(help="Declaration file to check.")] = None,
) -> None:
    """Validate a declaration; print each problem as file:line: message."""
    path = file or default_policy_path()
    decl = _load(path)
    Console(highlight=False, soft_wrap=True).print(
        f"{path}: OK - version {decl.policy.version} ({decl.policy.label}), "
        f"{len(decl.categories)} data categories, {len(decl.purposes)} purposes, "
        f"{len(decl.recipients)} recipients, {len(decl.cookies)} cookies",
        style="green",
        markup=False,
    )


@render_app.command("page")
def page_command(
    lang: LangOpt = LangOption.en, out: OutOpt = None, policy: PolicyOpt = None
) -> None:
    """The public policy page (HTML fragment)."""
    _emit(render.render_page(_load(policy), lang.value), out)


@render_app.command("apple")
def apple_command(
    fmt: Annotated[AppleFormat, typer.Option("--format", "-f")] = AppleFormat.json,
    lang: LangOpt = LangOption.en,
    out: OutOpt = None,
    policy: PolicyOpt = None,
) -> None:
    """Apple App Privacy answers: JSON, fastlane's app_privacy_details.json, or HTML."""
    decl = _load(policy)
    if fmt is AppleFormat.html:
        text = render.apple_html(decl, lang.value)
    elif fmt is AppleFormat.fastlane:
        text = json.dumps(render.app_privacy_details(decl), indent=2) + "\n"
    else:
        text = json.dumps(render.apple_answers(decl), indent=2, ensure_ascii=False) + "\n"
    _emit(text, out)


@render_app.command("datasafety")
def datasafety_command(
    fmt: Annotated[TableFormat, typer.Option("--format", "-f")] = TableFormat.csv,
    lang: LangOpt = LangOption.en,
    out: OutOpt = None,
    policy: PolicyOpt = None,
) -> None:
    """Google Play Data safety: the Console import CSV, or HTML."""
    decl = _load(policy)
    if fmt is TableFormat.csv:
        _emit(render.datasafety_csv(decl), out)
    else:
        _emit(render.datasafety_html(decl, lang.value), out)


@render_app.command("ropa")
def ropa_command(
    fmt: Annotated[TableFormat, typer.Option("--format", "-f")] = TableFormat.csv,
    lang: LangOpt = LangOption.en,
    out: OutOpt = None,
    policy: PolicyOpt = None,
) -> None:
    """Records of processing activities (GDPR art. 30 / PIPL)."""
    decl = _load(policy)
    if fmt is TableFormat.csv:
        _emit(render.ropa_csv(decl, lang.value), out)
    else:
        _emit(render.ropa_html(decl, lang.value), out)


@render_app.command("cookies")
def cookies_command(
    fmt: Annotated[CookieFormat, typer.Option("--format", "-f")] = CookieFormat.html,
    lang: LangOpt = LangOption.en,
    out: OutOpt = None,
    policy: PolicyOpt = None,
) -> None:
    """The cookie table, as HTML or as JSON rows."""
    decl = _load(policy)
    if fmt is CookieFormat.json:
        rows = render.cookie_rows(decl, lang.value)
        _emit(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", out)
    else:
        _emit(render.cookies_html(decl, lang.value), out)
