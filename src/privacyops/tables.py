"""Imports every domain's tables so that `Base.metadata` is complete for Alembic."""

from privacyops.audit import models as audit_models
from privacyops.collection import models as collection_models
from privacyops.consent import models as consent_models
from privacyops.db import Base
from privacyops.disclosures import models as disclosures_models
from privacyops.incidents import models as incidents_models
from privacyops.jobs import models as jobs_models
from privacyops.limits import models as limits_models
from privacyops.notify import models as notify_models
from privacyops.orders import models as orders_models
from privacyops.policy import models as policy_models
from privacyops.retention import models as retention_models
from privacyops.rights import models as rights_models
from privacyops.rights.executors import models as rights_executor_models
from privacyops.sources import models as sources_models
from privacyops.staff import models as staff_models
from privacyops.subjects import models as subjects_models
from privacyops.telemetry import models as telemetry_models
from privacyops.vault import models as vault_models

__all__ = [
    "Base",
    "audit_models",
    "collection_models",
    "consent_models",
    "disclosures_models",
    "incidents_models",
    "jobs_models",
    "limits_models",
    "notify_models",
    "orders_models",
    "policy_models",
    "retention_models",
    "rights_executor_models",
    "rights_models",
    "sources_models",
    "staff_models",
    "subjects_models",
    "telemetry_models",
    "vault_models",
]
