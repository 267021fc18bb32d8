"""The SQLite store: the one place the database is opened and written.

``open_store()`` opens (or creates) the file with WAL, foreign keys, ``synchronous=FULL``
and a busy timeout, refuses a schema newer than the app, and backs up then migrates an
older one step by step. All writes go through ``Store.transaction()``, whose ``Writer``
appends one operation per record change to ``change_log`` in the same transaction
(see ``schema.py`` for the triggers that make bypassing it impossible).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from oma_desktop.core import driver
from oma_desktop.core.clock import HybridLogicalClock, wall_ms
from oma_desktop.core.derived import DERIVED
from oma_desktop.core.errors import (
    DamagedDatabaseError,
    SchemaTooNewError,
    StoreError,
    UnloggedWriteError,
)
from oma_desktop.core.ids import new_id
from oma_desktop.core.migrations import MIGRATIONS, Migration, latest_version
from oma_desktop.core.oplog import (
    OP_COLUMNS,
    SELECT_OPS,
    ApplyResult,
    Operation,
    apply_operations,
    redact_history,
)
from oma_desktop.core.schema import ENTITY_TABLES, SYSTEM_COLUMNS
from oma_desktop.i18n import _

_BATCH = 5_000

Row = dict[str, Any]


@dataclass(frozen=True)
class Origin:
    """Who an operation is attributed to: the casa and the installation that made it."""

    casa: str
    installation: str


def split_sql(script: str) -> list[str]:
    """Split a script into complete statements (trigger bodies stay whole)."""
    statements: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if driver.complete_statement(buffer):
            if buffer.strip(" \n\t;"):
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip(" \n\t;"):
        statements.append(buffer.strip())
    return statements


class _ScriptConnection:
    """Wraps a connection so ``executescript`` stays inside the open transaction.

    ``sqlite3.Connection.executescript`` commits any pending transaction first, which
    would break the one-transaction-per-migration rule; this runs statement by statement.
    """

    def __init__(self, conn: driver.Connection) -> None:
        self._conn = conn

    def executescript(self, script: str) -> None:
        for statement in split_sql(script):
            self._conn.execute(statement)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _connect(path: Path, key: bytes | None, busy_timeout_ms: int) -> driver.Connection:
    try:
        return driver.connect(path, key, busy_timeout_ms=busy_timeout_ms)
    except DamagedDatabaseError as exc:
        raise DamagedDatabaseError(
            _(
                "The file {path} is not an OMA Desktop database or is damaged. "
                "Check that you chose the right file or restore a backup."
            ).format(path=path)
        ) from exc


def _user_version(conn: driver.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def backup_database(conn: driver.Connection, target: Path, key: bytes | None = None) -> Path:
    """Copy the live database to ``target`` with SQLite's online backup API (encrypted with
    the database's own ``key``)."""
    return driver.backup(conn, target, key)


def migrate(
    conn: driver.Connection,
    path: Path,
    backup_dir: Path | None,
    migrations: tuple[Migration, ...] = MIGRATIONS,
    key: bytes | None = None,
) -> int:
    """Bring the schema to the newest version; returns the version found on disk."""
    found = _user_version(conn)
    newest = latest_version(migrations)
    if found > newest:
        raise SchemaTooNewError(
            _(
                "The database {path} was created by a newer version of OMA Desktop "
                "(schema {found}; this version knows up to {newest}). Install the newer "
                "version to open it. Nothing was changed."
            ).format(path=path, found=found, newest=newest)
        )
    if found == newest:
        return found
    if found == 0:
        tables = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
        ).fetchone()[0]
        if tables:
            raise StoreError(
                _(
                    "The file {path} is a SQLite database but not one of OMA Desktop. "
                    "Choose another data folder."
                ).format(path=path)
            )
    elif backup_dir is not None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        backup_database(conn, backup_dir / f"{path.stem}-v{found}-{stamp}.sqlite3", key)
    script_conn = _ScriptConnection(conn)
    for step in migrations:
        if step.version <= found:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            step.apply(script_conn)  # type: ignore[arg-type]
            conn.execute(f"PRAGMA user_version = {int(step.version)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return found


class Store:
    """An open OMA database. Use ``transaction()`` for every write."""

    def __init__(
        self,
        conn: driver.Connection,
        path: Path,
        wall: Callable[[], int] = wall_ms,
        key: bytes | None = None,
    ) -> None:
        self.conn = conn
        self.path = path
        # the database key (None: a plain file); backups are encrypted with it
        self.key = key
        self.db = sqlite_utils.Database(conn)
        self.clock = HybridLogicalClock(wall=wall)
        self._columns: dict[str, frozenset[str]] = {}
        self._in_transaction = False
        self._changed: set[str] = set()
        self._schema_version = _user_version(conn)
        self._writes_held: StoreError | None = None
        self._closed = False

    # --- reading -----------------------------------------------------------------

    def rows(self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()) -> list[Row]:
        return list(self.db.query(sql, params))  # type: ignore[arg-type]

    def one(self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()) -> Row | None:
        for row in self.db.query(sql, params):  # type: ignore[arg-type]
            return row
        return None

    def scalar(self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
        return None if row is None else row[0]

    @contextmanager
    def page_cache(self, kib: int) -> Iterator[None]:
        """Let the connection's page cache grow to ``kib`` KiB while the block runs (a
        report reading a large part of the file), then shrink it back, freeing the pages."""
        before = int(self.conn.execute("PRAGMA cache_size").fetchone()[0])
        self.conn.execute(f"PRAGMA cache_size = {-abs(int(kib))}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA cache_size = {before}")

    def fill_temp_table(self, name: str, columns: Sequence[str],
                        rows: Iterable[Sequence[Any]]) -> None:
        """(Re)create the connection's own ``temp.{name}`` holding ``rows`` (text columns, the
        first the primary key): lookup tables a report joins with. Never written to the file."""
        if not name.isidentifier() or not all(c.isidentifier() for c in columns):
            raise ValueError("temp table and column names must be identifiers")
        cols = ", ".join(f"{c} TEXT" + (" PRIMARY KEY" if i == 0 else "")
                         for i, c in enumerate(columns))
        self.conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
        self.conn.execute(f"CREATE TEMP TABLE {name} ({cols})")
        marks = ", ".join("?" for _c in columns)
        self.conn.executemany(f"INSERT INTO temp.{name} VALUES ({marks})",
                              [tuple(r) for r in rows])

    def get(self, entity: str, entity_id: str) -> Row | None:
        self._check_entity(entity)
        return self.one(f"SELECT * FROM {entity} WHERE id = ?", [entity_id])

    def columns(self, entity: str) -> frozenset[str]:
        cols = self._columns.get(entity)
        if cols is None:
            cols = frozenset(self.db[entity].columns_dict)
            self._columns[entity] = cols
        return cols

    # --- local settings (not synchronised) ---------------------------------------------

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return default if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def delete_meta(self, key: str) -> None:
        self.conn.execute("DELETE FROM meta WHERE key = ?", [key])

    def meta_values(self, prefix: str) -> list[str]:
        """The values of the local settings whose key starts with ``prefix``."""
        rows = self.conn.execute(
            "SELECT value FROM meta WHERE substr(key, 1, ?) = ? ORDER BY key",
            [len(prefix), prefix],
        )
        return [str(r[0]) for r in rows]

    @property
    def installation_id(self) -> str:
        return self.meta("installation_id") or ""

    @property
    def casa_id(self) -> str:
        return self.meta("casa_id") or ""

    @property
    def mode(self) -> str:
        return self.meta("mode") or "casa"

    @property
    def schema_version(self) -> int:
        return self._schema_version

    def local_origin(self) -> Origin:
        return Origin(casa=self.casa_id, installation=self.installation_id)

    # --- writing ------------------------------------------------------------------

    @contextmanager
    def transaction(self, user_id: str, origin: Origin | None = None) -> Iterator[Writer]:
        """One atomic unit of work; every write inside is logged, all or nothing."""
        if self._in_transaction:
            raise RuntimeError("nested Store.transaction()")
        self.check_writable()
        origin = origin or self.local_origin()
        if not origin.installation or not origin.casa:
            raise StoreError(
                _("This installation has no casa assigned. Configure it in Administración.")
            )
        self._in_transaction = True
        try:
            with driver.translating(self.path):
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    self.clock.advance_to(int(self.meta("hlc", "0") or 0))
                    writer = Writer(self, user_id, origin)
                    yield writer
                    self.set_meta("hlc", str(self.clock.last))
                    self.conn.execute("COMMIT")
                except BaseException as exc:
                    self._rollback()
                    if isinstance(exc, driver.IntegrityError) and str(exc).startswith("oma: "):
                        raise UnloggedWriteError(str(exc)) from exc
                    raise
            self._changed |= writer.entities
        finally:
            self._in_transaction = False

    def apply(
        self,
        ops: Iterable[Operation],
        *,
        quarantine: bool = False,
        detect_conflicts: bool = False,
        before_commit: Callable[[driver.Connection, ApplyResult], None] | None = None,
        foreign_keys: bool = True,
    ) -> ApplyResult:
        """Apply operations that came from another installation, all or nothing.

        Each is stored verbatim (same op id, casa, installation, seq, clock) and folded
        into its record, so the result does not depend on arrival order or repetition;
        the local clock moves past every applied operation. ``quarantine`` and
        ``detect_conflicts``: see :func:`~oma_desktop.core.oplog.apply_operations`.
        ``before_commit`` writes the caller's bookkeeping (the sync's file history,
        conflicts) in the same transaction. ``foreign_keys=False`` accepts records whose
        related record has not arrived yet (headquarters after a gap: the missing file may
        come later; ``oma-desktop check`` lists what still waits for it).
        """
        if self._in_transaction:
            raise RuntimeError("Store.apply() inside a transaction")
        self.check_writable()
        self._in_transaction = True
        try:
            with driver.translating(self.path):
                if not foreign_keys:  # only outside a transaction; restored in finally
                    self.conn.execute("PRAGMA foreign_keys = OFF")
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    result = apply_operations(self.conn, ops, self.schema_version,
                                              quarantine=quarantine,
                                              detect_conflicts=detect_conflicts)
                    self.clock.advance_to(int(self.meta("hlc", "0") or 0))
                    if result.applied:
                        self.clock.observe(result.max_hlc)
                        self.set_meta("hlc", str(self.clock.last))
                    if before_commit is not None:
                        before_commit(self.conn, result)
                    self.conn.execute("COMMIT")
                except BaseException:
                    self._rollback()
                    raise
        finally:
            self._in_transaction = False
            if not foreign_keys:
                self.conn.execute("PRAGMA foreign_keys = ON")
        self._changed |= result.entities
        return result

    def operations(
        self, entity_id: str | None = None, *, after_rowid: int = 0
    ) -> list[Operation]:
        """Operations of the change log (of one record, or all), in fold order."""
        params: list[Any]
        if entity_id is not None:
            sql, params = f"{SELECT_OPS} WHERE entity_id = ?", [entity_id]
        else:
            sql, params = f"{SELECT_OPS} WHERE rowid > ?", [after_rowid]
        ops = [Operation.from_row(r) for r in self.conn.execute(sql, params)]
        ops.sort(key=lambda o: o.key)
        return ops

    def hold_writes(self, reason: StoreError) -> None:
        """Refuse every write with ``reason`` until :meth:`release_writes`.

        Used while the file is being verified at start-up, and for good once it is found
        damaged: nothing is written into a damaged database."""
        self._writes_held = reason

    def release_writes(self) -> None:
        self._writes_held = None

    @property
    def writes_held(self) -> StoreError | None:
        return self._writes_held

    def check_writable(self) -> None:
        if self._writes_held is not None:
            raise self._writes_held

    def _rollback(self) -> None:
        """Roll back the open transaction, if SQLite has not already done so."""
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def take_changes(self) -> frozenset[str]:
        """The entities written by transactions committed since the last call (then reset).

        Lets a background job tell the screens which kinds of records changed."""
        changed, self._changed = frozenset(self._changed), set()
        return changed

    def _check_entity(self, entity: str) -> None:
        if entity not in ENTITY_TABLES:
            raise ValueError(f"unknown entity {entity!r}")

    def close(self) -> None:
        self.conn.close()
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_INSERT_OP = (
    f"INSERT INTO change_log ({', '.join(OP_COLUMNS)})"
    f" VALUES ({', '.join('?' for _ in OP_COLUMNS)})"
)

_PLAIN = (str, int, float, type(None))
_json_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def _encode(value: Any) -> Any:
    if type(value) in _PLAIN:  # the common case, checked first (bool is not in _PLAIN)
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return json.dumps(list(value), ensure_ascii=False)
    return value


class Writer:
    """Writes records and their change-log operations inside one transaction."""

    def __init__(self, store: Store, user_id: str, origin: Origin) -> None:
        self._store = store
        self._conn = store.conn
        self.user_id = user_id
        self.origin = origin
        self._seq = int(
            store.scalar(
                "SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE installation = ?",
                [origin.installation],
            )
        )
        self.ops_written = 0
        self.entities: set[str] = set()
        self._checked: set[tuple[str, ...]] = set()

    def _op(
        self,
        entity: str,
        entity_id: str,
        kind: str,
        fields: Mapping[str, Any],
        base_op_id: str | None = None,
    ) -> tuple[Any, ...]:
        """A new operation as a change_log row (the order of ``OP_COLUMNS``)."""
        self._seq += 1
        self.ops_written += 1
        self.entities.add(entity)
        return (
            new_id(),
            self.origin.casa,
            self.origin.installation,
            self._seq,
            self._store.clock.now(),
            self.user_id,
            entity,
            entity_id,
            kind,
            _json_encode(fields),
            base_op_id,
            self._store.schema_version,
        )

    def _insert_ops(self, ops: list[tuple[Any, ...]]) -> None:
        self._conn.executemany(_INSERT_OP, ops)

    def _prepare(self, entity: str, fields: Mapping[str, Any]) -> tuple[dict[str, Any], Row]:
        """Validate column names; return (logged fields, full row values incl. derived)."""
        columns = self._store.columns(entity)
        derived_cols, derive = DERIVED.get(entity, ((), None))
        keys = (entity, *fields)
        if keys not in self._checked:
            self._store._check_entity(entity)
            unknown = set(fields) - columns
            bad = unknown | (set(fields) & (SYSTEM_COLUMNS | set(derived_cols)))
            if bad:
                raise ValueError(f"{entity}: cannot write columns {sorted(bad)}")
            self._checked.add(keys)
        logged = {k: _encode(v) for k, v in fields.items()}
        row = dict(logged)
        if derive is not None:
            # a derived column exists only from the migration that introduced it
            row.update((k, v) for k, v in derive(row).items() if k in columns)
        return logged, row

    def create(self, entity: str, fields: Mapping[str, Any], entity_id: str | None = None) -> str:
        """Insert one record; returns its id (a new UUID unless ``entity_id`` is given)."""
        entity_id = entity_id or new_id()
        self.create_many(entity, [fields], ids=[entity_id])
        return entity_id

    def create_many(
        self,
        entity: str,
        records: Iterable[Mapping[str, Any]],
        ids: Iterable[str] | None = None,
        kind: str = "create",
    ) -> int:
        """Insert many records (ids from ``ids`` or new UUIDs); returns how many."""
        id_iter = iter(ids) if ids is not None else None
        batch: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        ops: list[tuple[Any, ...]] = []
        count = 0
        for fields in records:
            entity_id = next(id_iter) if id_iter is not None else fields.get("id") or new_id()
            fields = {k: v for k, v in fields.items() if k != "id"}
            logged, row = self._prepare(entity, fields)
            op = self._op(entity, entity_id, kind, logged)
            ops.append(op)
            keys = tuple(row)
            batch.setdefault(keys, []).append((entity_id, op[0], *row.values()))
            count += 1
            if len(ops) >= _BATCH:
                self._flush(entity, ops, batch)
                ops, batch = [], {}
        self._flush(entity, ops, batch)
        return count

    def _flush(
        self,
        entity: str,
        ops: list[tuple[Any, ...]],
        batch: dict[tuple[str, ...], list[tuple[Any, ...]]],
    ) -> None:
        if not ops:
            return
        self._insert_ops(ops)
        for keys, values in batch.items():
            cols = ", ".join(("id", "last_op_id", *keys))
            marks = ", ".join("?" for _ in range(len(keys) + 2))
            self._conn.executemany(f"INSERT INTO {entity} ({cols}) VALUES ({marks})", values)

    def update(
        self, entity: str, entity_id: str, changes: Mapping[str, Any], kind: str = "update"
    ) -> dict[str, Any]:
        """Change fields of one record; logs and returns only the fields that differ."""
        current = self._store.get(entity, entity_id)
        if current is None:
            raise KeyError(f"{entity} {entity_id} not found")
        logged, _row = self._prepare(entity, changes)
        diff = {k: v for k, v in logged.items() if current.get(k) != v}
        if not diff:
            return {}
        derive = DERIVED.get(entity, ((), None))[1]
        row = dict(diff)
        if derive is not None:
            merged = {**current, **diff}
            row.update(
                (k, v) for k, v in derive(merged).items() if k in current and current[k] != v
            )
        op = self._op(entity, entity_id, kind, diff, base_op_id=current["last_op_id"])
        self._insert_ops([op])
        sets = ", ".join(f"{k} = ?" for k in ("last_op_id", *row))
        self._conn.execute(
            f"UPDATE {entity} SET {sets} WHERE id = ?", [op[0], *row.values(), entity_id]
        )
        return diff

    def redact(self, entity: str, entity_id: str, values: Mapping[str, Any]) -> None:
        """Overwrite fields of one record *and of its history*: the record takes ``values``
        (logged as one ``redact`` operation carrying every field named, changed or not) and
        every earlier operation of the record has those fields overwritten with the same
        values, so nothing of what they held stays in the change log. Used to anonymise a
        person on a cancellation request; travels to headquarters, which redacts its copy
        when it applies the operation."""
        current = self._store.get(entity, entity_id)
        if current is None:
            raise KeyError(f"{entity} {entity_id} not found")
        logged, _row = self._prepare(entity, values)
        diff = {k: v for k, v in logged.items() if current.get(k) != v}
        row = dict(diff)
        derive = DERIVED.get(entity, ((), None))[1]
        if derive is not None:
            merged = {**current, **diff}
            row.update(
                (k, v) for k, v in derive(merged).items() if k in current and current[k] != v
            )
        op = self._op(entity, entity_id, "redact", logged, base_op_id=current["last_op_id"])
        self._insert_ops([op])
        sets = ", ".join(f"{k} = ?" for k in ("last_op_id", *row))
        self._conn.execute(
            f"UPDATE {entity} SET {sets} WHERE id = ?", [op[0], *row.values(), entity_id]
        )
        redact_history(self._conn, Operation.from_row(op))

    def tombstone(self, entity: str, entity_id: str) -> None:
        """Mark a record deleted (rows are never physically deleted)."""
        self.update(entity, entity_id, {"deleted": 1}, kind="tombstone")


def _has_content(path: Path, suffix: str) -> bool:
    side = path.with_name(path.name + suffix)
    return side.exists() and side.stat().st_size > 0


def open_store(
    path: Path | str,
    *,
    key: bytes | None = None,
    create: bool = True,
    backup_dir: Path | None = None,
    migrations: tuple[Migration, ...] = MIGRATIONS,
    wall: Callable[[], int] = wall_ms,
    busy_timeout_ms: int = driver.BUSY_TIMEOUT_MS,
) -> Store:
    """Open the database at ``path``: the only way the app opens one.

    ``key`` (32 bytes) opens an encrypted database (None: a plain one). ``backup_dir`` receives a copy of an
    older database before it is migrated (default: ``backups/`` beside the file).
    """
    path = Path(path)
    if path.exists() and path.stat().st_size == 0 and not _has_content(path, "-wal"):
        raise StoreError(
            _(
                "The file {path} is empty (0 bytes): it may come from an interrupted copy or "
                "a failing disk, so no new installation was created over it. Restore the "
                "latest backup; if this is a new installation that was interrupted, delete "
                "that empty file and open the program again."
            ).format(path=path)
        )
    if not path.exists():
        if not create:
            raise StoreError(_("The database {path} does not exist.").format(path=path))
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = _connect(path, key, busy_timeout_ms)
    try:
        migrate(conn, path, backup_dir or path.parent / "backups", migrations, key)
    except BaseException:
        conn.close()
        raise
    return Store(conn, path, wall=wall, key=key)
