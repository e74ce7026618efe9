"""ASGI entry point for process managers: `uvicorn --factory privacyops.asgi:app`."""

from __future__ import annotations

from fastapi import FastAPI

from privacyops.app import create_app
from privacyops.settings import Settings


def app() -> FastAPI:
    return create_app(Settings())
