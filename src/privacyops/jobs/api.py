"""The job schedule and recent runs, for operators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from privacyops.jobs import queue, registry
from privacyops.staff.permissions import Permission
from privacyops.web.deps import SessionDep, require

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


@router.get("", dependencies=[require(Permission.REPORTS_READ).dep])
def jobs(session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    due = queue.schedule(session=session)
    return {
        "tasks": [
            {
                "name": t.name,
                "every_seconds": int(t.every.total_seconds()),
                "description": t.description,
                "next_run_at": due[t.name].isoformat() if t.name in due else None,
            }
            for t in registry.tasks()
        ],
        "runs": [
            {
                "id": j.id,
                "task": j.task,
                "status": j.status,
                "attempts": j.attempts,
                "worker": j.worker,
                "run_at": j.run_at.isoformat(),
                "started_at": j.started_at.isoformat() if j.started_at else None,
                "finished_at": j.finished_at.isoformat() if j.finished_at else None,
                "result": j.result,
                "error": j.error,
            }
            for j in queue.recent(session=session, limit=limit)
        ],
    }
