"""What a rights request does in the external sources: erase (with progress) and dry run.

Erasure goes source by source and, inside one, table by table, children
first. Each table is one transaction of the external database; once it has
committed there, a ``source_erasure`` row records it here and the step's
``checkpoint`` commits that row. A failure stops the step with the table's
error; the rerun skips the tables recorded done and continues from the one
that failed, which is still whole (its transaction rolled back) and still
reachable (its parents come after it). Before each external commit the table's
intent (``source_erasure_intent``: the rows and a digest of their new values)
is committed here, so a crash between the two commits is told apart on the
rerun: rows already erased are counted and left as they are (``erasure``). A
table's ``source_erasure`` row is committed with the next table's intent (one
local commit per table), or at the end, or when a later table fails.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.policy.schema import Declaration
from privacyops.settings import Settings
from privacyops.sources import erasure, graph, health
from privacyops.sources.connector import Connector
from privacyops.sources.identities import IDENTITY_FIELDS, Identities, subject_identities
from privacyops.sources.models import SourceErasure, SourceErasureIntent
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.vault.service import Vault


def erase_sources(
    *,
    session: Session,
    vault: Vault,
    settings: Settings,
    declaration: Declaration,
    request_id: str,
    ids: Identities,
    now: datetime,
    checkpoint: Callable[[], None],
    on_table: Callable[[SourceErasure], None] = lambda _row: None,
) -> list[SourceErasure]:
    """Erase the person's rows in every source; one recorded, committed row per table."""
    done = {
        row.table_label: row
        for row in session.scalars(
            select(SourceErasure).where(SourceErasure.request_id == request_id)
        )
    }
    intents = {
        row.table_label: row
        for row in session.scalars(
            select(SourceErasureIntent).where(SourceErasureIntent.request_id == request_id)
        )
    }

    def recorder(label: str) -> erasure.Record:
        def record(rows: erasure.IntentRows) -> None:
            row = intents.get(label)
            if row is None:
                row = SourceErasureIntent(request_id=request_id, table_label=label, created_at=now)
                session.add(row)
                intents[label] = row
            row.rows = rows
            session.flush()
            checkpoint()

        return record

    ordered: list[SourceErasure] = []
    for source in declaration.external_sources:
        connector = Connector.open(source, settings=settings, vault=vault, request_id=request_id)
        health.note_use(session=session, source=source.name, at=now)
        pending = [t for t in source.tables if connector.label(t) not in done]
        plans: list[graph.TablePlan] = []
        if pending:
            with connector.connect() as conn:
                plans = graph.plan(connector, ids, conn=conn, declaration=declaration, now=now)
        for found in reversed(plans):
            if found.label in done:
                continue
            earlier = intents.get(found.label)
            try:
                result = erasure.erase_table(
                    connector,
                    found,
                    prior=earlier.rows if earlier is not None else None,
                    record=recorder(found.label),
                )
            except BaseException:
                # The tables done so far stay recorded; if this commit fails too, their
                # intents make the rerun count them instead of erasing them again.
                with suppress(Exception):
                    checkpoint()
                raise
            row = SourceErasure(
                request_id=request_id,
                source=source.name,
                table_label=found.label,
                category=result.category,
                erased=result.erased,
                kept=result.kept,
                kept_until=result.kept_until,
                law=result.law,
                done_at=now,
            )
            session.add(row)
            if found.label in intents:
                session.delete(intents.pop(found.label))
            on_table(row)
            session.flush()  # committed with the next table's intent, or below
            done[found.label] = row
        checkpoint()
        ordered.extend(
            done[connector.label(t)] for t in source.tables if connector.label(t) in done
        )
    return ordered


def identities_of(*, session: Session, vault: Vault, subject_id: str) -> Identities:
    """The subject's own identity values (decrypted), as external lookups use them."""
    values = [
        v
        for v in records.iter_values(
            session=session, vault=vault, subject_id=subject_id, reveal=True
        )
        if v.field in IDENTITY_FIELDS
    ]
    bound = [
        (i.kind, i.blind_index)
        for i in subjects.identities_of(session=session, subject_id=subject_id)
    ]
    return subject_identities(vault=vault, values=values, bound=bound)


def dry_run(
    *,
    session: Session,
    vault: Vault,
    settings: Settings,
    declaration: Declaration,
    subject_id: str,
    now: datetime,
) -> list[dict[str, Any]]:
    """Per table: the rows an erasure would change now, how, and what it would keep."""
    ids = identities_of(session=session, vault=vault, subject_id=subject_id)
    tables: list[dict[str, Any]] = []
    for source in declaration.external_sources:
        connector = Connector.open(source, settings=settings, vault=vault)
        with connector.connect() as conn:
            plans = graph.plan(connector, ids, conn=conn, declaration=declaration, now=now)
        tables.extend(erasure.preview(found) for found in reversed(plans))  # erasure order
    return tables


__all__ = ["dry_run", "erase_sources", "identities_of"]
