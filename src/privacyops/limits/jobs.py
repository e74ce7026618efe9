"""The periodic clean-up of ended limit windows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from privacyops.jobs.registry import JobContext, periodic
from privacyops.limits import counter


@periodic(
    "limits_sweep",
    every=timedelta(minutes=15),
    description="Delete rate-limit counters whose window has ended",
)
def sweep_counters(ctx: JobContext) -> dict[str, Any]:
    return {"deleted": counter.sweep(db=ctx.db, now=ctx.now)}
