"""The console's answer to a staff decision on a request: a message in the console's
language, carried by the redirect back to the request's page with whether it failed."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from privacyops.rights.common import RightsError
from privacyops.rights.faces import refusal
from privacyops.web import i18n
from privacyops.web.i18n import N_
from privacyops.web.templating import staff_language

P = ParamSpec("P")
T = TypeVar("T")


def said(request: Request, message: str, **values: object) -> str:
    """A message in the console's language, to travel in a redirect's query."""
    return i18n.translations(staff_language(request)).gettext(message) % values


def back(request_id: str, message: str = "", *, failed: bool = False) -> RedirectResponse:
    query = f"?message={quote(message)}{'&failed=1' if failed else ''}" if message else ""
    return RedirectResponse(f"/admin/requests/{request_id}{query}", status_code=303)


def decide(
    request: Request,
    request_id: str,
    done: str | Callable[[T], str | tuple[str, bool]],
    action: Callable[P, T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> RedirectResponse:
    """Run a staff decision and go back to the request with what happened.

    ``done`` is the message on success (translated here), or makes it from what ``action``
    returned (translated, and with whether it failed).
    """
    try:
        result = action(*args, **kwargs)
    except RightsError as error:
        if error.code == "not_found":
            raise refusal(error) from None
        return back(request_id, refused(request, error), failed=True)
    outcome = done(result) if callable(done) else said(request, done) if done else ""
    message, failed = outcome if isinstance(outcome, tuple) else (outcome, False)
    return back(request_id, message, failed=failed)


def refused(request: Request, error: RightsError) -> str:
    return said(request, N_("Refused: %(reason)s"), reason=error)
