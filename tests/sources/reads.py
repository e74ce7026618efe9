"""What a statement really read, asked of the database itself: PostgreSQL's EXPLAIN ANALYZE,
MariaDB's Handler_read_* counters, SQLite's query plan."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

_HANDLERS = (
    "Handler_read_first",
    "Handler_read_key",
    "Handler_read_last",
    "Handler_read_next",
    "Handler_read_prev",
    "Handler_read_rnd",
    "Handler_read_rnd_next",
)


def _pg_nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node.get("Plans", []) for n in _pg_nodes(child))]


def rows_read(engine: Engine, statement: str, parameters: Any) -> tuple[int, list[str]]:
    """Rows the statement made the database read, and how it reached them (scan kinds)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            raw = conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
            ).scalar_one()
            plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
            scans = [n for n in _pg_nodes(plan) if "Relation Name" in n]
            count = sum(
                int(n["Actual Rows"] * n["Actual Loops"])
                + int(n.get("Rows Removed by Filter", 0))
                + int(n.get("Rows Removed by Index Recheck", 0))
                for n in scans
            )
            return count, [n["Node Type"] for n in scans]
        if engine.dialect.name == "mysql":
            kinds = [
                str(row._mapping["type"])
                for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters)
            ]

            def handlers() -> int:
                found = conn.execute(text("SHOW SESSION STATUS LIKE 'Handler_read%'"))
                return sum(int(v) for k, v in found if k in _HANDLERS)

            before = handlers()
            after_show = handlers()  # SHOW STATUS itself reads no handler rows; measured anyway
            conn.exec_driver_sql(statement, parameters).fetchall()
            after = handlers()
            return after - after_show - (after_show - before), kinds
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
        count = len(conn.exec_driver_sql(statement, parameters).fetchall())
        return count, [str(row[-1]) for row in plan]


def full_scan(engine: Engine, kinds: list[str]) -> bool:
    if engine.dialect.name == "postgresql":
        return "Seq Scan" in kinds
    if engine.dialect.name == "mysql":
        return "ALL" in kinds or "index" in kinds
    return any(k.startswith("SCAN ") and "USING" not in k for k in kinds)
