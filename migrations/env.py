"""Alembic environment: the URL comes from the caller's config or from Settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from privacyops.db import make_engine
from privacyops.settings import Settings
from privacyops.tables import Base

config = context.config
target_metadata = Base.metadata
#: Tables created with raw SQL on PostgreSQL (``telemetry.partitions``), names starting so.
PARTITIONED = ("telemetry_reading",)


def _partitioned(name: str | None, type_: str, parent: object) -> bool:
    """Native partitioned tables and their partitions: autogenerate cannot describe them."""
    table = name if type_ == "table" else getattr(parent, "name", None)
    return table is not None and table.startswith(PARTITIONED)


def _run(connection: Connection) -> None:
    postgres = connection.dialect.name == "postgresql"

    def include_object(
        obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
    ) -> bool:
        return not (postgres and _partitioned(name, type_, getattr(obj, "table", None)))

    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or Settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
