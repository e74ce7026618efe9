"""The application factory: wiring only."""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from privacyops import __version__
from privacyops.audit import api as audit_api
from privacyops.audit import views as audit_views
from privacyops.collection import api as intake_api
from privacyops.collection import batch_api as intake_batch_api
from privacyops.collection import views as intake_views
from privacyops.conformance import api as conformance_api
from privacyops.conformance import views as conformance_views
from privacyops.consent import api as consent_api
from privacyops.consent import browser as consent_browser
from privacyops.consent import views as consent_views
from privacyops.db import Database
from privacyops.disclosures import api as disclosures_api
from privacyops.disclosures import views as disclosures_views
from privacyops.errors import install_error_handlers
from privacyops.incidents import api as incidents_api
from privacyops.incidents import views as incidents_views
from privacyops.jobs import api as jobs_api
from privacyops.jobs import worker as jobs_worker
from privacyops.jurisdictions import api as jurisdictions_api
from privacyops.jurisdictions import views as jurisdictions_views
from privacyops.notify import api as notify_api
from privacyops.orders import api as orders_api
from privacyops.orders import views as orders_views
from privacyops.policy import api as policy_api
from privacyops.policy import views as policy_views
from privacyops.policy.service import PolicyStore
from privacyops.retention import api as retention_api
from privacyops.retention import views as retention_views
from privacyops.rights import api as rights_api
from privacyops.rights import views as rights_views
from privacyops.settings import Settings
from privacyops.sources import api as sources_api
from privacyops.sources import views as sources_views
from privacyops.staff import api as staff_api
from privacyops.staff import views as staff_views
from privacyops.subjects import api as subjects_api
from privacyops.subjects import views as subjects_views
from privacyops.telemetry import api as telemetry_api
from privacyops.telemetry import views as telemetry_views
from privacyops.vault.service import Vault
from privacyops.web import pages
from privacyops.web.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware

STATIC_DIR = Path(__file__).parent / "web" / "static"


def explicit_consent(_session: Session, _subject_id: str, _purpose: str) -> bool:
    """Whether a separate explicit consent is on record; none can be given yet."""
    return False


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    policy: PolicyStore | None = None,
    start_jobs: bool = False,
) -> FastAPI:
    """Build the web app; raises `DeclarationError` if the declaration is invalid.

    ``start_jobs`` (``serve`` passes it) runs the in-process job worker for the
    app's lifetime when ``PRIVACYOPS_JOBS=inprocess``; tests leave it off.
    """
    app = FastAPI(
        title="privacyops",
        version=__version__,
        description="The privacy policy as code: privacy center, admin console and API.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.db = db or Database(settings.database_url, secret=settings.secret_key)
    app.state.policy = policy or PolicyStore(settings.policy)
    app.state.declaration = app.state.policy.declaration
    app.state.vault = Vault.from_settings(settings)
    app.state.explicit_consent = explicit_consent
    install_error_handlers(app)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.secure_cookies)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount(
        "/api/docs/assets",
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="docs-assets",
    )
    # Routes are matched in order, router by router: the banner's and the devices'
    # write paths, the busiest, come first (their paths are fixed, so no match changes).
    for router in (
        consent_browser.router,
        telemetry_api.router,
        pages.router,
        staff_api.router,
        staff_views.router,
        audit_api.router,
        audit_views.router,
        policy_api.router,
        policy_views.router,
        intake_api.router,
        intake_batch_api.router,
        intake_views.router,
        subjects_api.router,
        subjects_views.router,
        jurisdictions_api.router,
        jurisdictions_views.router,
        notify_api.router,
        telemetry_views.router,
        consent_api.router,
        consent_views.router,
        orders_api.router,
        orders_views.router,
        disclosures_api.router,
        disclosures_views.router,
        incidents_api.router,
        incidents_views.router,
        sources_api.router,
        sources_views.router,
        rights_api.router,
        rights_views.router,
        retention_api.router,
        retention_views.router,
        conformance_api.router,
        conformance_views.router,
        jobs_api.router,
    ):
        app.include_router(router)
    if start_jobs:
        jobs_worker.attach(app, db=app.state.db, settings=settings, policy=app.state.policy)
    return app
