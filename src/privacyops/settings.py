"""The one settings object. Every field is documented in the README; a test checks that."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused outside dev and test


class Settings(BaseSettings):
    """Configuration read from `PRIVACYOPS_*` environment variables (or a `.env` file)."""

    model_config = SettingsConfigDict(env_prefix="PRIVACYOPS_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "prod"] = Field(
        "dev", description="Deployment kind; `prod` refuses the development secret."
    )
    database_url: str = Field(
        "sqlite:///./var/privacyops.db",
        description="SQLAlchemy URL: the embedded SQLite file, or postgresql+psycopg://...",
    )
    data_dir: Path = Field(Path("var"), description="Folder for the SQLite file, outbox, exports.")
    key_dir: Path = Field(
        Path("var/keys"), description="Folder holding the master keys; never inside the database."
    )
    secret_key: str = Field(
        DEV_SECRET, description="Signs sessions and audit checkpoints; set a long random value."
    )
    policy: Path = Field(
        Path("policy/fstsmart.yaml"), description="The privacy declaration the system enforces."
    )
    host: str = Field("127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(8000, description="Port `serve` listens on.")
    base_url: str | None = Field(
        None, description="Public address used in links sent by email; default http://HOST:PORT."
    )
    max_body_bytes: int = Field(
        1_048_576, description="Request bodies larger than this are refused with 413."
    )
    session_minutes: int = Field(480, description="Lifetime of a staff login session.")
    secure_cookies: bool = Field(
        False, description="Mark cookies Secure and send HSTS; turn on behind TLS."
    )
    email_backend: Literal["outbox", "smtp"] = Field(
        "outbox", description="`outbox` writes .eml files under data_dir/outbox; `smtp` sends."
    )
    smtp_host: str = Field("127.0.0.1", description="SMTP server for the `smtp` backend.")
    smtp_port: int = Field(25, description="SMTP port for the `smtp` backend.")
    mail_from: str = Field(
        "privacy@fstsmart.example.com", description="Sender address of outbound email."
    )
    login_attempts_per_minute: int = Field(
        10, description="Failed logins allowed per account and per client address per minute."
    )

    sources_secrets_file: Path | None = Field(
        None,
        description="File outside the repository holding external sources' URLs with their "
        "passwords, one `name = URL` line each (the declaration's `url_secret` names the line).",
    )

    jobs: Literal["inprocess", "postgres", "off"] = Field(
        "inprocess",
        description="Background jobs: `inprocess` runs a worker inside `serve`; `postgres` "
        "leaves them to `privacyops worker` processes on the PostgreSQL queue; `off` runs none.",
    )
    jobs_poll_seconds: float = Field(
        5.0, gt=0, description="How often a job worker looks for due and queued jobs."
    )

    @model_validator(mode="after")
    def _jobs_need_postgres(self) -> Settings:
        if self.jobs == "postgres" and self.is_sqlite:
            raise ValueError("PRIVACYOPS_JOBS=postgres needs a PostgreSQL PRIVACYOPS_DATABASE_URL")
        return self

    @model_validator(mode="after")
    def _refuse_dev_secret_in_prod(self) -> Settings:
        if self.env == "prod" and (self.secret_key == DEV_SECRET or len(self.secret_key) < 32):
            raise ValueError("PRIVACYOPS_SECRET_KEY must be set to 32+ random characters in prod")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def public_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def packages_dir(self) -> Path:
        """Encrypted access packages (``rights.executors.access``)."""
        return self.data_dir / "packages"

    def environment_value(self, name: str) -> str | None:
        """An environment variable the declaration names (an external source's URL).

        Read here so that configuration stays in one place; the variable's name
        comes from the declaration, not from this class.
        """
        return os.environ.get(name)
