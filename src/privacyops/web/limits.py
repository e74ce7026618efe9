"""A per-address limit for public writes (forms and request intake) that anyone can call.

Counted in the database (``privacyops.limits.counter``), so every web worker
shares one allowance per address and form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request

from privacyops.limits import counter


@dataclass(frozen=True)
class Allowance:
    """At most ``limit`` submissions per client address and form in ``window`` seconds."""

    limit: int = 10
    window: float = 600.0


DEFAULT = Allowance()
#: Forms with their own allowance; others get ``DEFAULT``.
ALLOWANCES: dict[str, Allowance] = {"rights_request": Allowance(limit=20, window=3600.0)}


def allowance_of(request: Request, form: str) -> Allowance:
    """The form's allowance; ``app.state.form_allowances`` may override it (by form, "" for all)."""
    overrides: dict[str, Allowance] = getattr(request.app.state, "form_allowances", None) or {}
    found = overrides.get(form) or overrides.get("")
    return found or ALLOWANCES.get(form, DEFAULT)


def allow_public_write(request: Request, form: str) -> bool:
    """Whether this client address may submit ``form`` once more now (and count it)."""
    address = request.client.host if request.client else "unknown"
    allowance = allowance_of(request, form)
    hit = counter.take(
        db=request.app.state.db,
        key=f"form:{form}:{address}"[:240],
        limit=allowance.limit,
        window=timedelta(seconds=allowance.window),
    )
    return hit.allowed
