"""ASGI entry point for process managers: `uvicorn --factory privacyops.asgi:app`."""

from __future__ import annotations

from fastapi import FastAPI

from privacyops.app import create_app
from privacyops.settings import Settings
from privacyops.web.middleware import no_delay_on_inherited_listeners


def app() -> FastAPI:
    no_delay_on_inherited_listeners()  # `--workers N`: see web.middleware
    return create_app(Settings())
