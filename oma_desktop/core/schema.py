"""Which tables hold synchronised records, and the guard that ties them to the change log.

Every entity table has ``id TEXT PRIMARY KEY`` (a UUID or a stable catalog code),
``last_op_id`` (the change-log operation that last wrote the row) and ``deleted``
(tombstone flag). Triggers refuse any INSERT or UPDATE whose ``last_op_id`` is not a new
operation in ``change_log`` for that same entity and id, and refuse every DELETE. So a
write that skips ``Store.transaction()`` fails inside SQLite, whatever code attempts it.
"""

from __future__ import annotations

# Tables whose rows are synchronised through the change log, in dependency order.
ENTITY_TABLES: tuple[str, ...] = (
    "casa",
    "app_user",
    "household",
    "person",
    "household_member",
    "document",
    "consultation",
)

# Columns managed by the store itself, never written by callers.
SYSTEM_COLUMNS = frozenset({"id", "last_op_id"})

OP_KINDS = ("create", "update", "tombstone", "link")

GUARD_KINDS = ("insert", "update", "delete")
# The triggers that keep change_log append-only (created by migration 1).
CHANGE_LOG_TRIGGERS = ("change_log_no_update", "change_log_no_delete")


def guard_trigger_names(table: str) -> tuple[str, ...]:
    """The names of the guard triggers ``guard_triggers_sql(table)`` creates."""
    return tuple(f"{table}_guard_{kind}" for kind in GUARD_KINDS)


def guard_triggers_sql(table: str) -> str:
    """SQL creating the change-log guard triggers for ``table``."""
    return f"""
CREATE TRIGGER {table}_guard_insert BEFORE INSERT ON {table}
WHEN NEW.last_op_id IS NULL OR NOT EXISTS (
    SELECT 1 FROM change_log WHERE op_id = NEW.last_op_id
    AND entity = '{table}' AND entity_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'oma: write to {table} without change log'); END;

CREATE TRIGGER {table}_guard_update BEFORE UPDATE ON {table}
WHEN NEW.last_op_id IS NULL OR NEW.last_op_id IS OLD.last_op_id OR NOT EXISTS (
    SELECT 1 FROM change_log WHERE op_id = NEW.last_op_id
    AND entity = '{table}' AND entity_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'oma: write to {table} without change log'); END;

CREATE TRIGGER {table}_guard_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, 'oma: rows of {table} are tombstoned, never deleted'); END;
"""


def drop_guard_triggers_sql(table: str) -> str:
    return "".join(
        f"DROP TRIGGER IF EXISTS {name};\n" for name in guard_trigger_names(table)
    )
