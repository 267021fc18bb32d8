"""Which tables hold synchronised records, and the guards that tie them to the change log.

Every entity table has ``id TEXT PRIMARY KEY`` (a UUID or a stable catalog code),
``last_op_id`` (the greatest operation folded into the row, by ``(hlc, casa, op_id)``) and
``deleted`` (tombstone flag). A row is always the *fold* of its operations: for each
logged column, the value written by the greatest operation that wrote that column (or the
column default if none did). The triggers below enforce that inside SQLite, whatever code
attempts the write (raw SQL, sqlite-utils, a careless module):

* INSERT: the row must not exist yet (so ``INSERT OR REPLACE``, ``REPLACE`` and upserts
  are refused), ``last_op_id`` must be a ``create`` operation for this entity and id, and
  every column must hold what that operation logged (or the default).
* UPDATE: the id never changes, ``last_op_id`` must be the greatest operation logged for
  the record, and every changed column must hold the value of the greatest operation that
  wrote it. Reusing an older operation id or a change-log row whose fields do not carry the
  new values is therefore refused.
* DELETE: refused; records are tombstoned.
* ``change_log`` itself is append-only: no UPDATE, no DELETE, and no INSERT that reuses an
  operation id or an installation's sequence number (which ``INSERT OR REPLACE`` would
  otherwise turn into a silent rewrite of history).

Derived columns (search keys) are not logged and not guarded here: every installation
recomputes them, and ``oma-desktop check`` compares them with their derivation.
"""

from __future__ import annotations

from collections.abc import Sequence

# Tables whose rows are synchronised through the change log, in dependency order.
ENTITY_TABLES: tuple[str, ...] = (
    "casa",
    "app_user",
    "installation",
    "household",
    "person",
    "household_member",
    "document",
    "consultation",
    "follow_up_call",
    "duplicate_review",
    "service",
    "referral",
    "referral_event",
    "route_handout",
    "audit_entry",
    "security_incident",
    "rights_request",
    "consent_record",
    "person_link",
    "event",
    "event_attendee",
    "organisation",
)

# Local bookkeeping of one installation, never synchronised, so without change-log guards:
# settings and the sync's own records (migration 7).
LOCAL_TABLES: tuple[str, ...] = (
    "meta", "sync_peer", "sync_file", "sync_conflict", "sync_quarantine",
    "consultation_topic",  # derived from consultation.topics by triggers (migration 8)
)

# Records that are written once and never changed (not even tombstoned): an audit entry,
# a consent given or withdrawn. Their ``{table}_insert_only`` trigger refuses any UPDATE.
INSERT_ONLY_TABLES: tuple[str, ...] = ("audit_entry", "consent_record")
INSERT_ONLY_TRIGGERS_SQL = """
CREATE TRIGGER {table}_insert_only BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, 'oma: {table} is insert-only'); END;
"""

# Columns managed by the store itself, never written by callers.
SYSTEM_COLUMNS = frozenset({"id", "last_op_id"})

# redact: an update that also overwrites the fields it names in the record's earlier
# operations (a cancellation under the data-protection law; ``oplog.redact_history``)
OP_KINDS = ("create", "update", "tombstone", "link", "redact")

# The order in which operations fold: the greatest key wins a field.
FOLD_ORDER_SQL = "hlc DESC, casa DESC, op_id DESC"

GUARD_KINDS = ("insert", "insert_log", "update", "delete")
# The triggers that keep change_log append-only.
CHANGE_LOG_TRIGGERS = ("change_log_no_update", "change_log_no_delete", "change_log_no_reuse")

CHANGE_LOG_TRIGGERS_SQL = """
CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log
BEGIN SELECT RAISE(ABORT, 'oma: change_log is append-only'); END;
CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log
BEGIN SELECT RAISE(ABORT, 'oma: change_log is append-only'); END;
CREATE TRIGGER change_log_no_reuse BEFORE INSERT ON change_log
WHEN EXISTS (SELECT 1 FROM change_log WHERE op_id = NEW.op_id)
  OR EXISTS (SELECT 1 FROM change_log WHERE installation = NEW.installation AND seq = NEW.seq)
  OR substr(NEW.fields, 1, 1) IS NOT '{'
BEGIN SELECT RAISE(ABORT, 'oma: change_log operation id or sequence reused'); END;
"""


# Schema 6: the change log stays append-only, except that a redaction may rewrite the
# ``fields`` of existing operations, and only inside ``driver.redacting`` (the connection's
# ``oma_redacting()`` function; a connection without it cannot update the log at all).
CHANGE_LOG_NO_UPDATE_V6_SQL = """
DROP TRIGGER IF EXISTS change_log_no_update;
CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log
WHEN NOT oma_redacting() OR NEW.op_id IS NOT OLD.op_id OR NEW.casa IS NOT OLD.casa
  OR NEW.installation IS NOT OLD.installation OR NEW.seq IS NOT OLD.seq
  OR NEW.hlc IS NOT OLD.hlc OR NEW.user_id IS NOT OLD.user_id OR NEW.entity IS NOT OLD.entity
  OR NEW.entity_id IS NOT OLD.entity_id OR NEW.kind IS NOT OLD.kind
  OR NEW.base_op_id IS NOT OLD.base_op_id OR NEW.schema_version IS NOT OLD.schema_version
  OR substr(NEW.fields, 1, 1) IS NOT '{'
BEGIN SELECT RAISE(ABORT, 'oma: change_log is append-only'); END;
"""


def drop_change_log_triggers_sql() -> str:
    return "".join(f"DROP TRIGGER IF EXISTS {name};\n" for name in CHANGE_LOG_TRIGGERS)


def guard_trigger_names(table: str) -> tuple[str, ...]:
    """The names of the guard triggers ``guard_triggers_sql(table, ...)`` creates."""
    return tuple(f"{table}_guard_{kind}" for kind in GUARD_KINDS)


_MISMATCH = 1_000_000


def _quote(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unexpected column name {name!r}")
    return name


def guard_triggers_sql(
    table: str, columns: Sequence[tuple[str, str | None]], unique: Sequence[str] = ()
) -> str:
    """SQL creating the guard triggers of ``table``.

    ``columns`` lists the logged columns as ``(name, default SQL literal or None)``: every
    column except ``id``, ``last_op_id`` and the derived ones.
    """
    t = _quote(table)
    cols = [(_quote(name), default or "NULL") for name, default in columns]
    # REPLACE would silently delete the row holding the same value of a unique column
    taken = "".join(f" OR EXISTS (SELECT 1 FROM {t} WHERE {_quote(c)} = NEW.{_quote(c)})"
                    for c in unique)
    # One pass over the create operation's fields: a logged value the row does not hold
    # (or a key that is no column) weighs _MISMATCH; otherwise a key counts 1 if its value
    # is not the column default. The total must equal the number of non-default columns
    # of the row, so a value the operation did not log cannot hide in the row either.
    weigh = " ".join(
        f"WHEN '{c}' THEN CASE WHEN NEW.{c} IS NOT j.value THEN {_MISMATCH}"
        f" ELSE NEW.{c} IS NOT {d} END"
        for c, d in cols
    )
    count_not_default = " + ".join(f"(NEW.{c} IS NOT {d})" for c, d in cols) or "0"
    greatest = (
        f"SELECT op_id FROM change_log WHERE entity_id = NEW.id AND entity = '{t}'"
        f" ORDER BY {FOLD_ORDER_SQL} LIMIT 1"
    )
    changed_not_folded = "".join(
        f"\n  OR (NEW.{c} IS NOT OLD.{c} AND NEW.{c} IS NOT COALESCE(("
        f"SELECT json_extract(fields, '$.{c}') FROM change_log"
        f" WHERE entity_id = NEW.id AND entity = '{t}'"
        f" AND json_type(fields, '$.{c}') IS NOT NULL"
        f" ORDER BY {FOLD_ORDER_SQL} LIMIT 1), {d}))"
        for c, d in cols
    )
    create_op = "FROM change_log c, json_each(c.fields) j WHERE c.op_id = NEW.last_op_id"
    return f"""
CREATE TRIGGER {t}_guard_insert BEFORE INSERT ON {t}
WHEN EXISTS (SELECT 1 FROM {t} WHERE id = NEW.id){taken}
BEGIN SELECT RAISE(ABORT, 'oma: {t} already has this id (replace and upsert are refused)'); END;

CREATE TRIGGER {t}_guard_insert_log BEFORE INSERT ON {t}
WHEN NOT EXISTS (SELECT 1 FROM change_log WHERE op_id = NEW.last_op_id
    AND entity = '{t}' AND entity_id = NEW.id AND kind = 'create')
  OR ({count_not_default}) <> (SELECT total(CASE j.key {weigh} ELSE {_MISMATCH} END)
    {create_op})
BEGIN SELECT RAISE(ABORT, 'oma: write to {t} without change log'); END;

CREATE TRIGGER {t}_guard_update BEFORE UPDATE ON {t}
WHEN NEW.id IS NOT OLD.id
  OR NEW.last_op_id IS NOT ({greatest}){changed_not_folded}
BEGIN SELECT RAISE(ABORT, 'oma: write to {t} without change log'); END;

CREATE TRIGGER {t}_guard_delete BEFORE DELETE ON {t}
BEGIN SELECT RAISE(ABORT, 'oma: rows of {t} are tombstoned, never deleted'); END;
"""


def drop_guard_triggers_sql(table: str) -> str:
    names = (*guard_trigger_names(table),)
    return "".join(f"DROP TRIGGER IF EXISTS {name};\n" for name in names)


def logged_columns(conn: object, table: str) -> list[tuple[str, str | None]]:
    """``(name, default)`` of the columns of ``table`` that operations write.

    ``conn`` is a DB-API connection. Derived columns and the system columns are left out.
    A nullable column with a non-NULL default would make "absent" and "explicitly NULL"
    ambiguous in a fold, so such a column is refused.
    """
    from oma_desktop.core.derived import DERIVED

    derived = set(DERIVED.get(table, ((), None))[0])
    result: list[tuple[str, str | None]] = []
    for _cid, name, _type, notnull, default, _pk in conn.execute(  # type: ignore[attr-defined]
        f"PRAGMA table_info({_quote(table)})"
    ):
        if name in SYSTEM_COLUMNS or name in derived:
            continue
        if not notnull and default not in (None, "NULL"):
            raise ValueError(f"{table}.{name}: nullable column with a default")
        result.append((name, default))
    return result


def install_guards_sql(conn: object, table: str) -> str:
    """Drop and recreate the guard triggers of ``table`` for its current columns.

    Every migration that adds or drops a column of an entity table runs this again.
    """
    unique = []
    for _seq, index, is_unique, origin, _partial in conn.execute(  # type: ignore[attr-defined]
        f"PRAGMA index_list({_quote(table)})"
    ):
        if is_unique and origin != "pk":
            names = [r[2] for r in conn.execute(f"PRAGMA index_info({index})")]  # type: ignore[attr-defined]
            if len(names) == 1:
                unique.append(names[0])
    return drop_guard_triggers_sql(table) + guard_triggers_sql(
        table, logged_columns(conn, table), unique
    )
