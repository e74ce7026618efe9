"""The sequencer as a face: each batch is its own committed unit of work.

Registered with the jobs registry (every few seconds) and called on demand by
``privacyops audit sequence``, the API and the console.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from privacyops.audit import sequencer, signing
from privacyops.db import Database
from privacyops.jobs.registry import JobContext, periodic

EVERY = timedelta(seconds=5)


@dataclass(frozen=True)
class Run:
    sequenced: int
    batches: int
    tree_size: int


def sequence_pending(
    *,
    db: Database,
    key_dir: Path,
    batch: int = sequencer.DEFAULT_BATCH,
    max_batches: int | None = None,
    after_batch: Callable[[], None] | None = None,
) -> Run:
    """Sequence pending events until none is left (or ``max_batches``), one commit per batch."""
    key = signing.signing_key(key_dir)
    total = batches = size = 0
    while max_batches is None or batches < max_batches:
        with db.unit_of_work() as session:
            done = sequencer.sequence_batch(session=session, key=key, batch=batch)
        total, size = total + done.sequenced, done.tree_size
        batches += 1
        if after_batch is not None:
            after_batch()
        if done.sequenced < batch:
            break
    return Run(total, batches, size)


@periodic(
    "audit_sequence",
    every=EVERY,
    description="Put pending audit events into the Merkle tree and sign a new tree head",
)
def audit_sequence(ctx: JobContext) -> dict[str, Any]:
    run = sequence_pending(db=ctx.db, key_dir=ctx.settings.key_dir, after_batch=ctx.heartbeat)
    return {"sequenced": run.sequenced, "batches": run.batches, "tree_size": run.tree_size}
