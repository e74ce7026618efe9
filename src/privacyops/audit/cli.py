"""`privacyops audit ...`: verify, sequence, proofs, tree heads. A face, wiring only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.console import Console
from rich.table import Table

from privacyops.audit import heads, proofs, sequencer, signing, tree
from privacyops.audit.tasks import sequence_pending
from privacyops.audit.verify import verify
from privacyops.db import Database
from privacyops.settings import Settings

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

out = Console()
err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True, markup=True)
    return typer.Exit(1)


def _open() -> tuple[Settings, Database]:
    try:
        settings = Settings()
    except ValueError as error:
        raise fail(f"configuration: {error}") from None
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings, Database(settings.database_url, secret=settings.secret_key)


def _key(settings: Settings) -> Ed25519PublicKey:
    try:
        return signing.public_key(settings.key_dir)
    except signing.SigningKeyError as error:
        raise fail(str(error)) from None


def _read_head(path: Path) -> tuple[heads.TreeHead, Ed25519PublicKey]:
    try:
        text = path.read_text()
    except OSError as error:
        raise fail(f"{path}: {error.strerror}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise fail(f"{path}:{error.lineno}: not JSON: {error.msg}") from None
    try:
        return heads.parse(document)
    except heads.HeadFormatError as error:
        raise fail(f"{path}:1: {error}") from None


def _print_json(document: Any) -> None:
    out.print_json(json.dumps(document))


@audit_app.command("verify")
def audit_verify(
    head: Annotated[
        Path | None,
        typer.Option("--head", help="A tree head exported earlier (export-head) to check against"),
    ] = None,
) -> None:
    """Recompute every leaf, node and tree head; exit 1 naming the first bad event or head."""
    settings, db = _open()
    exported = _read_head(head) if head is not None else None
    key = _key(settings)
    with db.unit_of_work() as session:
        result = verify(session=session, public_key=key, exported=exported)
    if result.ok:
        against = (
            f"; consistent with the exported head of size {exported[0].size}" if exported else ""
        )
        out.print(
            f"[green]audit log intact[/green]: {result.checked} events, "
            f"{result.heads_checked} signed tree heads verified{against}; "
            f"{result.pending} pending",
            highlight=False,
        )
        return
    where = f"event {result.broken_seq}" if result.broken_seq else f"tree head {result.broken_head}"
    raise fail(f"audit log broken at {where}: {result.problem}")


@audit_app.command("sequence")
def audit_sequence(
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Events per batch")] = (
        sequencer.DEFAULT_BATCH
    ),
) -> None:
    """Put pending events into the Merkle tree now and sign a new tree head."""
    settings, db = _open()
    try:
        run = sequence_pending(db=db, key_dir=settings.key_dir, batch=batch)
    except signing.SigningKeyError as error:
        raise fail(str(error)) from None
    out.print(
        f"sequenced {run.sequenced} events in {run.batches} batch(es); tree size {run.tree_size}"
    )


@audit_app.command("status")
def audit_status() -> None:
    """Tree size, pending events and the latest signed tree heads."""
    _, db = _open()
    with db.unit_of_work() as session:
        size = tree.tree_size(session=session)
        pending = sequencer.pending_count(session=session)
        recent = heads.listing(session=session, limit=10)
    out.print(f"tree size {size}; {pending} event(s) pending")
    table = Table("size", "root hash", "signed at (UTC)")
    for h in recent:
        table.add_row(str(h.size), h.root_hash.hex(), h.signed_at.isoformat(timespec="seconds"))
    out.print(table)


@audit_app.command("public-key")
def audit_public_key(
    pem: Annotated[bool, typer.Option("--pem", help="PEM instead of raw base64")] = False,
) -> None:
    """Print the public key that verifies every tree head (created with the signing key)."""
    settings, _ = _open()
    key = _key(settings)
    print(signing.public_pem(key).strip() if pem else signing.public_b64(key))


@audit_app.command("export-head")
def audit_export_head(
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the JSON here")] = None,
) -> None:
    """The latest signed tree head as JSON, with the public key: keep it outside the system."""
    settings, db = _open()
    key = _key(settings)
    with db.unit_of_work() as session:
        head = heads.latest(session=session)
    if head is None:
        raise fail("no tree head yet: run `privacyops audit sequence` first")
    text = json.dumps(heads.export(head, key), indent=2) + "\n"
    if out_file is None:
        print(text, end="")
        return
    try:
        out_file.write_text(text)
    except OSError as error:
        raise fail(f"{out_file}: {error.strerror}") from None
    out.print(f"tree head of size {head.size} written to {out_file}")


@audit_app.command("proof")
def audit_proof(
    event_id: Annotated[int, typer.Argument(help="The event's id")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the proof as JSON")] = False,
) -> None:
    """Inclusion proof of an event against the latest tree head, verified and printed."""
    _, db = _open()
    with db.unit_of_work() as session:
        try:
            document = proofs.inclusion_document(session=session, event_id=event_id)
        except proofs.ProofRequestError as error:
            raise fail(str(error)) from None
    if not proofs.check_document_inclusion(document):
        raise fail(f"the inclusion proof of event {event_id} does not verify")
    if as_json:
        _print_json(document)
        return
    out.print(
        f"event {event_id} is leaf {document['leaf_index']} (#{document['seq']}) of the tree "
        f"of size {document['tree_size']}, root {document['root_hash']}: [green]verified[/green]",
        highlight=False,
    )
    for n, digest in enumerate(document["audit_path"]):
        out.print(f"  {n:2d} {digest}", highlight=False)


@audit_app.command("consistency")
def audit_consistency(
    old_size: Annotated[int, typer.Argument(help="The older tree size")],
    new_size: Annotated[int, typer.Argument(help="The newer tree size")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the proof as JSON")] = False,
) -> None:
    """Consistency proof: the tree of OLD_SIZE is a prefix of the tree of NEW_SIZE."""
    _, db = _open()
    with db.unit_of_work() as session:
        try:
            document = proofs.consistency_document(
                session=session, old_size=old_size, new_size=new_size
            )
        except proofs.ProofRequestError as error:
            raise fail(str(error)) from None
    if not proofs.check_document_consistency(document):
        raise fail(f"the tree of size {old_size} is not a prefix of the tree of size {new_size}")
    if as_json:
        _print_json(document)
        return
    out.print(
        f"tree {old_size} (root {document['old_root']}) is a prefix of tree {new_size} "
        f"(root {document['new_root']}): [green]verified[/green], "
        f"{len(document['proof'])} hashes",
        highlight=False,
    )
