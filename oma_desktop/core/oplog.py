"""Operations of the change log, and how they fold into records.

An :class:`Operation` is one row of ``change_log``. A record is the *fold* of its
operations: sorted by ``(hlc, casa, op_id)``, each operation overwrites the fields it
carries, so for every field the greatest operation that wrote it wins, whatever order the
operations arrived in. ``last_op_id`` is the greatest operation of the record. The same
fold is used to apply operations that came from another installation (``apply``) and by
``oma-desktop check`` to verify that every row is what its operations say.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from oma_desktop.core.derived import DERIVED
from oma_desktop.core.schema import ENTITY_TABLES, OP_KINDS, logged_columns

OP_COLUMNS = (
    "op_id", "casa", "installation", "seq", "hlc", "user_id", "entity", "entity_id",
    "kind", "fields", "base_op_id", "schema_version",
)


@dataclass(frozen=True)
class Operation:
    """One change-log operation, exactly as stored (``fields`` is its JSON text)."""

    op_id: str
    casa: str
    installation: str
    seq: int
    hlc: int
    user_id: str
    entity: str
    entity_id: str
    kind: str
    fields: str
    base_op_id: str | None = None
    schema_version: int = 0

    @property
    def key(self) -> tuple[int, str, str]:
        """The fold order: the greatest key wins each field it writes."""
        return (self.hlc, self.casa, self.op_id)

    def values(self) -> dict[str, Any]:
        decoded = json.loads(self.fields)
        if not isinstance(decoded, dict):
            raise ValueError(f"operation {self.op_id}: fields are not a JSON object")
        return decoded

    def as_row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in OP_COLUMNS)

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | Sequence[Any]) -> Operation:
        if isinstance(row, Mapping):
            return cls(**{name: row[name] for name in OP_COLUMNS})
        return cls(*row)


SELECT_OPS = f"SELECT {', '.join(OP_COLUMNS)} FROM change_log"


@dataclass
class Fold:
    """The record that a set of operations describes."""

    values: dict[str, Any] = field(default_factory=dict)
    last_op_id: str | None = None
    create: Operation | None = None


def fold(ops: Iterable[Operation]) -> Fold:
    """Fold the operations of ONE record (any order in, deterministic out)."""
    result = Fold()
    for op in sorted(ops, key=lambda o: o.key):
        result.values.update(op.values())
        result.last_op_id = op.op_id
        if op.kind == "create" and (result.create is None or op.key < result.create.key):
            result.create = op
    return result


def derive(entity: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The derived columns of ``entity`` for a full row (empty if it has none)."""
    spec = DERIVED.get(entity)
    return spec[1](row) if spec else {}


_encode_fields = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def scrub(op: Operation, redactions: Iterable[Operation]) -> Operation:
    """``op`` as it is kept once the ``redact`` operations of its record that come after
    it (by fold key) have overwritten the fields they name: a cancelled person's old name
    does not survive in the change log. Idempotent; ``op`` itself if nothing changes."""
    values: dict[str, Any] | None = None
    for redaction in sorted(redactions, key=lambda o: o.key):
        if (redaction.kind != "redact" or redaction.key <= op.key
                or (redaction.entity, redaction.entity_id) != (op.entity, op.entity_id)):
            continue
        redacted = redaction.values()
        values = op.values() if values is None else values
        values.update((k, redacted[k]) for k in list(values) if k in redacted)
    if values is None:
        return op
    fields = _encode_fields(values)
    return op if fields == op.fields else replace(op, fields=fields)


def redact_history(conn: Any, redaction: Operation) -> int:
    """Overwrite, in the change log, the fields that ``redaction`` names in every earlier
    operation of its record; returns how many operations were rewritten. The change log
    accepts this rewrite only inside :func:`oma_desktop.core.driver.redacting`."""
    from oma_desktop.core import driver

    cursor = conn.execute(f"{SELECT_OPS} WHERE entity_id = ? AND entity = ?",
                          [redaction.entity_id, redaction.entity])
    rewritten = [(new.fields, new.op_id) for new, old in
                 ((scrub(o, [redaction]), o) for o in map(Operation.from_row, cursor.fetchall()))
                 if new is not old]
    if rewritten:
        with driver.redacting(conn):
            conn.executemany("UPDATE change_log SET fields = ? WHERE op_id = ?", rewritten)
    return len(rewritten)


class OperationError(ValueError):
    """An operation that cannot be applied (malformed, forged or from a newer schema)."""


def check_operation(op: Operation, schema_version: int, columns: Mapping[str, set[str]]) -> None:
    if op.entity not in columns:
        raise OperationError(f"operation {op.op_id}: unknown entity {op.entity!r}")
    if op.kind not in OP_KINDS:
        raise OperationError(f"operation {op.op_id}: unknown kind {op.kind!r}")
    if op.schema_version > schema_version:
        raise OperationError(
            f"operation {op.op_id} was written under schema {op.schema_version}, "
            f"newer than this database ({schema_version})"
        )
    unknown = set(op.values()) - columns[op.entity]
    if unknown:
        raise OperationError(f"operation {op.op_id}: unknown fields {sorted(unknown)}")


class Folder:
    """Applies folds to the tables of one open connection (inside the caller's transaction)."""

    def __init__(self, conn: Any, tables: Sequence[str] = ENTITY_TABLES) -> None:
        self.conn = conn
        self.tables = tuple(tables)
        self.columns: dict[str, set[str]] = {
            t: {name for name, _d in logged_columns(conn, t)} for t in self.tables
        }
        self._all_columns: dict[str, list[str]] = {
            t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in self.tables
        }

    def ops_of(self, entity: str, entity_id: str) -> list[Operation]:
        cursor = self.conn.execute(
            f"{SELECT_OPS} WHERE entity_id = ? AND entity = ?", [entity_id, entity]
        )
        return [Operation.from_row(r) for r in cursor]

    def current(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        cursor = self.conn.execute(f"SELECT * FROM {entity} WHERE id = ?", [entity_id])
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cursor.description], row, strict=True))

    def refold(self, entity: str, entity_id: str) -> bool:
        """Make the row of ``entity_id`` equal to the fold of its operations.

        A record whose ``create`` has not arrived yet stays unmaterialised (its operations
        wait in the log). Returns whether the row changed.
        """
        folded = fold(self.ops_of(entity, entity_id))
        if folded.create is None:
            return False
        current = self.current(entity, entity_id)
        if current is None:
            self._insert(entity, entity_id, folded.create)
            current = self.current(entity, entity_id)
            assert current is not None
        target = {**current, **folded.values}
        target.update((k, v) for k, v in derive(entity, target).items() if k in current)
        target["last_op_id"] = folded.last_op_id
        changes = {k: v for k, v in target.items() if current.get(k) != v}
        if not changes:
            return False
        sets = ", ".join(f"{k} = ?" for k in changes)
        self.conn.execute(
            f"UPDATE {entity} SET {sets} WHERE id = ?", [*changes.values(), entity_id]
        )
        return True

    def _insert(self, entity: str, entity_id: str, create: Operation) -> None:
        row = create.values()
        row.update((k, v) for k, v in derive(entity, row).items()
                   if k in self._all_columns[entity])
        cols = ", ".join(("id", "last_op_id", *row))
        marks = ", ".join("?" for _ in range(len(row) + 2))
        self.conn.execute(
            f"INSERT INTO {entity} ({cols}) VALUES ({marks})",
            [entity_id, create.op_id, *row.values()],
        )


@dataclass(frozen=True)
class Conflict:
    """One field changed at two installations from the same version of a record: the fold
    applies ``winner`` (the greater key, the same everywhere); both values are kept."""

    entity: str
    entity_id: str
    field: str
    base_op_id: str | None
    winner: Operation
    loser: Operation

    @property
    def key(self) -> str:
        a, b = sorted((self.winner.op_id, self.loser.op_id))
        return f"{a}|{b}|{self.field}"

    def value(self, op: Operation) -> Any:
        return op.values().get(self.field)


@dataclass(frozen=True)
class ApplyResult:
    applied: int
    skipped: int
    max_hlc: int
    entities: frozenset[str]
    conflicts: tuple[Conflict, ...] = ()
    # operations held with other content: kept out (with the reason), when asked to
    quarantined: tuple[tuple[Operation, str], ...] = ()


_CONFLICTING_KINDS = ("update", "redact", "tombstone")


def find_conflicts(conn: Any, op: Operation) -> list[Conflict]:
    """The conflicts ``op`` makes with operations already held: another installation's
    change of the same record from the same base that writes one of its fields with
    another value. Symmetric: found whichever of the two arrives second."""
    if op.kind not in _CONFLICTING_KINDS or op.base_op_id is None:
        return []
    mine = op.values()
    found = []
    for row in conn.execute(
        f"{SELECT_OPS} WHERE entity_id = ? AND entity = ? AND base_op_id = ?"
        " AND installation <> ? AND op_id <> ?",
        [op.entity_id, op.entity, op.base_op_id, op.installation, op.op_id],
    ):
        other = Operation.from_row(row)
        if other.kind not in _CONFLICTING_KINDS:
            continue
        theirs = other.values()
        winner, loser = (op, other) if op.key > other.key else (other, op)
        for name in sorted(set(mine) & set(theirs)):
            if mine[name] != theirs[name]:
                found.append(Conflict(op.entity, op.entity_id, name, op.base_op_id,
                                      winner, loser))
    return found


def apply_operations(
    conn: Any,
    ops: Iterable[Operation],
    schema_version: int,
    tables: Sequence[str] = ENTITY_TABLES,
    *,
    quarantine: bool = False,
    detect_conflicts: bool = False,
) -> ApplyResult:
    """Store operations verbatim and fold them into their records.

    Runs inside the caller's transaction, with foreign keys deferred to its commit (an
    operation may arrive before the record it refers to). An operation already held is
    skipped if identical; if its content differs (a forged or corrupted copy) the whole
    call is refused, or with ``quarantine`` that operation alone is kept out and reported.
    ``detect_conflicts`` reports the fields changed at two installations from one base.
    """
    folder = Folder(conn, tables)
    touched: dict[str, set[str]] = {}
    applied = skipped = max_hlc = 0
    conflicts: list[Conflict] = []
    quarantined: list[tuple[Operation, str]] = []
    conn.execute("PRAGMA defer_foreign_keys = ON")
    marks = ", ".join("?" for _ in OP_COLUMNS)
    ops = list(ops)
    # redactions travel with the operations they redact, in any order: an operation is
    # compared and stored as it reads once every redaction of its record is applied
    arriving: dict[tuple[str, str], list[Operation]] = {}
    for op in ops:
        if op.kind == "redact":
            arriving.setdefault((op.entity, op.entity_id), []).append(op)
    for op in ops:
        redactions = [Operation.from_row(r) for r in conn.execute(
            f"{SELECT_OPS} WHERE entity_id = ? AND entity = ? AND kind = 'redact'",
            [op.entity_id, op.entity])]
        redactions += arriving.get((op.entity, op.entity_id), [])
        kept = scrub(op, redactions) if redactions else op
        existing = conn.execute(f"{SELECT_OPS} WHERE op_id = ?", [op.op_id]).fetchone()
        if existing is not None:
            held = Operation.from_row(existing)
            if (scrub(held, redactions) if redactions else held) != kept:
                if quarantine:
                    quarantined.append((op, "held with different content"))
                    continue
                raise OperationError(
                    f"operation {op.op_id} is already held with different content"
                )
            skipped += 1
            continue
        check_operation(op, schema_version, folder.columns)
        if quarantine:
            taken = conn.execute(
                "SELECT op_id FROM change_log WHERE installation = ? AND seq = ?",
                [op.installation, op.seq]).fetchone()
            if taken is not None:  # another operation already has this number (a PC
                quarantined.append((op, "sequence number reused"))  # restored from a copy)
                continue
        conn.execute(
            f"INSERT INTO change_log ({', '.join(OP_COLUMNS)}) VALUES ({marks})", kept.as_row()
        )
        if op.kind == "redact":
            redact_history(conn, op)
        if detect_conflicts:
            conflicts.extend(find_conflicts(conn, op))
        touched.setdefault(op.entity, set()).add(op.entity_id)
        max_hlc = max(max_hlc, op.hlc)
        applied += 1
    for entity in folder.tables:
        for entity_id in sorted(touched.get(entity, ())):
            folder.refold(entity, entity_id)
    return ApplyResult(applied, skipped, max_hlc, frozenset(touched), tuple(conflicts),
                       tuple(quarantined))
