"""Deletion: crypto-shred the subject, keep only what a law requires, prove what was done.

Steps, in order (each idempotent; ``engine`` records them):

1. ``inventory``: the subject's categories and counts, and legal holds.
2. ``retain_legal``: values the law still requires are re-encrypted under a
   new *retention subject* before the key is destroyed (see ``retention``).
3. ``external_sources``: the subject's rows in other databases are deleted,
   nulled, masked, hashed or set to a fixed value (``sources.runs``), children
   first, one external transaction per table with per-table progress, except
   rows of a legally retained category still inside their period. It needs the subject's
   identity values, so it runs before the key is destroyed.
4. ``remove_packages``: the subject's access package files are deleted.
5. ``shred``: ``subjects.erase`` destroys the data key and the identities.
   From here every value of the subject, in the database and in every
   backup, is unreadable; the cost does not depend on how much data it had.
6. ``telemetry``: the subject's device ownership periods are deleted, and
   the readings inside them first (``telemetry.unlink_subject``): readings are
   pseudonymous device data, not under the subject's key, so shredding does
   not reach them; nothing attributes a reading to the person afterwards.
7. ``purge``: the unreadable rows are deleted in batches, each committed
   (a non-atomic step: a rerun continues where a crash stopped it).
8. ``proof``: an audit event (hash-chained) states what was erased, what was
   kept and why, without a personal value; it is also the request's outcome.

What the law requires to keep (a ``legal`` retention category inside its
period, or a legal hold) survives the shred as a re-encrypted copy under a
retention subject; ``retention`` explains how, and how it ends.
"""

from __future__ import annotations

from typing import Any

from privacyops.audit import service as audit
from privacyops.db import utcnow
from privacyops.rights import connectors
from privacyops.rights.executors import download, extensions, retention
from privacyops.rights.executors.engine import StepContext, StepSpec
from privacyops.rights.executors.models import RetainedData
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.models import SubjectState
from privacyops.subjects.records import StoredValue
from privacyops.telemetry import service as telemetry

PURGE_BATCH = 1000
#: What every erasure keeps, with no personal value in it, and why.
RECORDS_KEPT = [
    {
        "what": "this request, its steps and the audit events",
        "why": "proof that the erasure was done (accountability, GDPR art. 5(2) / PIPL art. 9)",
    },
    {
        "what": "consent receipts (purpose, choice, time; no contact details)",
        "why": "proof of the consent that was given and withdrawn (GDPR art. 7(1))",
    },
]
_IDENTITY_FIELDS = ("email", "phone", "account_id")


def inventory(ctx: StepContext) -> dict[str, Any]:
    subject = subjects.get_subject(session=ctx.session, subject_id=ctx.request.subject_id)
    counts = (
        {}
        if subject.state == SubjectState.ERASED
        else records.category_counts(session=ctx.session, subject_id=subject.id)
    )
    holds = extensions.legal_holds(ctx.session, subject.id)
    return {
        "categories": counts,
        "holds": [{"reason": h.reason, "law": h.law, "categories": h.categories} for h in holds],
    }


def _identity_values(ctx: StepContext) -> list[StoredValue]:
    """The subject's e-mail, phone and account id values (decrypted; read before the shred)."""
    found: list[StoredValue] = []
    for key in ctx.results.get("inventory", {}).get("categories", {}):
        decl = retention.category_of(ctx.declaration, key)
        if decl is not None and not any(f.name in _IDENTITY_FIELDS for f in decl.fields):
            continue
        values = records.iter_values(
            session=ctx.session,
            vault=ctx.vault,
            subject_id=ctx.request.subject_id,
            reveal=True,
            category=key,
        )
        found.extend(v for v in values if v.field in _IDENTITY_FIELDS)
    return found


def external_sources(ctx: StepContext) -> dict[str, Any]:
    session, subject_id = ctx.session, ctx.request.subject_id
    if not ctx.declaration.external_sources:
        return {"tables": []}
    subject = subjects.get_subject(session=session, subject_id=subject_id)
    if subject.state == SubjectState.ERASED:
        raise RuntimeError(
            "the subject was erased before this request reached its external sources, so "
            "their rows can no longer be found by its identities; erase them there by hand"
        )
    bound = [
        (i.kind, i.blind_index)
        for i in subjects.identities_of(session=session, subject_id=subject_id)
    ]
    ids = connectors.subject_identities(vault=ctx.vault, values=_identity_values(ctx), bound=bound)
    now = utcnow()
    tables: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []

    def retain(done: Any) -> None:
        """Rows kept in place for a legal period: recorded with the table's own commit."""
        if done.kept and done.law is not None and done.category is not None:
            session.add(
                RetainedData(
                    request_id=ctx.request.id,
                    erased_subject_id=subject_id,
                    source=f"external:{done.table_label}",
                    category=done.category,
                    law=done.law,
                    records=done.kept,
                    retained_until=done.kept_until,
                    created_at=now,
                )
            )

    for done in connectors.erase_sources(
        session=session,
        vault=ctx.vault,
        settings=ctx.settings,
        declaration=ctx.declaration,
        request_id=ctx.request.id,
        ids=ids,
        now=now,
        on_table=retain,
        checkpoint=ctx.checkpoint,
    ):
        tables.append(
            {
                "table": done.table_label,
                "category": done.category,
                "erased": done.erased,
                "kept": done.kept,
            }
        )
        if done.kept and done.law is not None and done.category is not None:
            kept.append(
                retention.kept_line(
                    ctx.declaration,
                    done.category,
                    done.law,
                    done.kept_until,
                    done.kept,
                    f"external:{done.table_label}",
                )
            )
    session.flush()
    return {"tables": tables, "kept": kept}


def remove_packages(ctx: StepContext) -> dict[str, Any]:
    removed = download.remove_package_files(
        session=ctx.session, settings=ctx.settings, subject_id=ctx.request.subject_id
    )
    return {"files_removed": removed}


def shred(ctx: StepContext) -> dict[str, Any]:
    erased = subjects.erase(
        session=ctx.session, vault=ctx.vault, subject_id=ctx.request.subject_id, actor=ctx.actor
    )
    subject = subjects.get_subject(session=ctx.session, subject_id=ctx.request.subject_id)
    erased_at = subject.erased_at.isoformat() if subject.erased_at else None
    return {"key_destroyed": True, "erased_now": erased, "erased_at": erased_at}


def unlink_telemetry(ctx: StepContext) -> dict[str, Any]:
    done = telemetry.unlink_subject(
        ctx.session, ctx.request.subject_id, actor=ctx.actor, delete_readings=True
    )
    return {"ownership_periods": done.periods, "readings_deleted": done.readings_deleted}


def purge(ctx: StepContext) -> dict[str, Any]:
    """Delete the unreadable rows in committed batches (idempotent; resumes after a crash)."""
    total = 0
    while True:
        done = records.purge_records(
            session=ctx.session, subject_id=ctx.request.subject_id, limit=PURGE_BATCH
        )
        total += done
        if done < PURGE_BATCH:
            return {"rows_purged_this_run": total}
        ctx.checkpoint()


def proof(ctx: StepContext) -> dict[str, Any]:
    facts = _facts(ctx)
    event = audit.record(
        session=ctx.session,
        actor=ctx.actor,
        action="rights.erasure_proof",
        target_type="rights_request",
        target_id=ctx.request.id,
        details={"subject_id": ctx.request.subject_id, **facts},
    )
    ctx.session.flush()
    return {
        **facts,
        "audit_event_id": event.id,
        "audit_leaf_hash": audit.leaf_hash(event).hex(),
    }


def _facts(ctx: StepContext) -> dict[str, Any]:
    results = ctx.results
    kept = [
        *results.get("retain_legal", {}).get("kept", []),
        *results.get("external_sources", {}).get("kept", []),
    ]
    counts = results.get("inventory", {}).get("categories", {})
    return {
        # A list, not a mapping: category keys such as ``ip_address`` are audit-forbidden keys.
        "erased_categories": [{"category": k, "records": n} for k, n in counts.items()],
        "external_tables": results.get("external_sources", {}).get("tables", []),
        "erased_at": results.get("shred", {}).get("erased_at"),
        "telemetry": results.get("telemetry", {}),
        "kept": kept,
        "records_kept": RECORDS_KEPT,
    }


def outcome(ctx: StepContext) -> dict[str, Any]:
    facts = ctx.results.get("proof") or _facts(ctx)
    kept = facts.get("kept", [])
    summary = "personal data erased" + (f"; {len(kept)} kept as the law requires" if kept else "")
    return {"summary": summary, **facts}


STEPS = (
    StepSpec("inventory", inventory),
    StepSpec("retain_legal", retention.retain_legal),
    # Not atomic: each external table is committed there, then recorded here (``sources.runs``).
    StepSpec("external_sources", external_sources, atomic=False),
    StepSpec("remove_packages", remove_packages),
    StepSpec("shred", shred),
    StepSpec("telemetry", unlink_telemetry),
    StepSpec("purge", purge, atomic=False),
    StepSpec("proof", proof),
)
