"""A per-address limit for public writes (forms and request intake) that anyone can call."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from fastapi import Request


@dataclass
class FormLimiter:
    """At most ``limit`` submissions per client address and form in ``window`` seconds.

    Kept per process (a deployment with several workers multiplies the allowance
    by their number, which still stops a flood from one address).
    """

    limit: int = 10
    window: float = 600.0
    _seen: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, form: str, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 50_000:
                self._seen.clear()
            hits = self._seen.setdefault((form, address), deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True


#: Forms with their own allowance (submissions, seconds); others get FormLimiter's default.
ALLOWANCES: dict[str, tuple[int, float]] = {"rights_request": (20, 3600.0)}


def limiter_of(request: Request, form: str = "") -> FormLimiter:
    limiters: dict[str, FormLimiter] | None = getattr(request.app.state, "form_limiters", None)
    if limiters is None:
        limiters = request.app.state.form_limiters = {}
    name = form if form in ALLOWANCES else ""
    found = limiters.get(name)
    if found is None:
        limit, window = ALLOWANCES.get(name, (FormLimiter.limit, FormLimiter.window))
        found = limiters[name] = FormLimiter(limit=limit, window=window)
    return found


def allow_public_write(request: Request, form: str) -> bool:
    """Whether this client address may submit ``form`` once more now."""
    address = request.client.host if request.client else "unknown"
    return limiter_of(request, form).allow(form, address)
