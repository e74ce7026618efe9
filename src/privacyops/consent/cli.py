"""`privacyops cookies ...`: scan a page for cookies in a real browser. A face: wiring only."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from privacyops.consent import scanner, scans
from privacyops.consent.scans import Verdict
from privacyops.db import Database, utcnow
from privacyops.policy.loader import DeclarationError
from privacyops.policy.service import PolicyStore
from privacyops.settings import Settings

cookies_app = typer.Typer(
    help="Cookies a page really sets, against the declaration.", no_args_is_help=True
)

out = Console()
err = Console(stderr=True)
PHASE_TITLES = {
    "before": "before any choice",
    "accept": "after Accept all",
    "reject": "after Reject all",
}


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


def _table(url: str, verdict: Verdict) -> Table:
    table = Table("phase", "cookie", "domain", "category", "verdict", title=f"Cookies of {url}")
    problems = {(v["phase"], v["cookie"]): v["kind"] for v in verdict.violations}
    for phase, rows in verdict.phases.items():
        if not rows:
            table.add_row(PHASE_TITLES[phase], "—", "", "", "[green]none set[/green]")
        for row in rows:
            kind = problems.get((phase, row["name"]))
            table.add_row(
                PHASE_TITLES[phase],
                row["name"],
                row["domain"],
                row["category"] or "undeclared",
                f"[red]{kind}[/red]" if kind else "[green]ok[/green]",
            )
    return table


@cookies_app.command("scan")
def scan(
    url: Annotated[
        str, typer.Argument(help="The page to load, e.g. http://127.0.0.1:8000/demo/shop")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    region: Annotated[
        str | None,
        typer.Option(help="Pretend to visit from this place (US-CA, DE); refused in prod."),
    ] = None,
    store: Annotated[bool, typer.Option("--store/--no-store", help="Keep the result.")] = True,
    timeout: Annotated[
        float,
        typer.Option(
            min=0.5, max=120, help="Seconds to wait for the banner (a page may take 30 s to load)."
        ),
    ] = 10,
) -> None:
    """Load URL in headless Chromium before any choice, after Accept and after Reject.

    Exits 1 on a violation: an undeclared cookie, or a non-necessary one before
    consent or after Reject all. The result is stored for the conformance audit.
    """
    if not url.startswith(("http://", "https://")):
        raise _fail(f"{url}: give an http:// or https:// address")
    try:
        settings = Settings()
        declaration = PolicyStore(settings.policy).declaration
    except ValueError as error:
        raise _fail(f"configuration: {error}") from None
    except (DeclarationError, OSError) as error:
        raise _fail(f"{settings.policy}: {error}") from None
    try:
        observed = scanner.observe(url, region=region, timeout_ms=int(timeout * 1000))
    except scanner.ScanError as error:
        raise _fail(str(error)) from None
    verdict = scans.judge(
        declaration=declaration, seen=observed.cookies, banner_found=observed.banner_found
    )
    if store:
        db = Database(settings.database_url, secret=settings.secret_key)
        try:
            with db.unit_of_work() as session:
                scans.store(
                    session=session,
                    url=url,
                    region=region,
                    verdict=verdict,
                    at=utcnow(),
                    actor="cli:cookies-scan",
                )
        finally:
            db.dispose()
    if as_json:
        out.print_json(json.dumps({"url": url, "ok": verdict.ok, **verdict.as_json()}))
    else:
        out.print(_table(url, verdict))
        for note in verdict.notes:
            out.print(f"note: {note}", soft_wrap=True, highlight=False)
        for violation in verdict.violations:
            err.print(f"[red]violation[/red] {violation['message']}", soft_wrap=True)
        if verdict.ok:
            out.print("[green]no violations[/green]")
    if not verdict.ok:
        raise typer.Exit(1)
