"""Health checks of an OMA database (``oma-desktop check`` and Administración).

Each check returns a :class:`CheckResult` whose ``detail`` says, in Spanish, what was
found and what to do about it. A check that cannot even run (a badly damaged file) is
reported as failed instead of raising, so the report always comes out whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby

from oma_desktop.core import driver
from oma_desktop.core.errors import DamagedDatabaseError, StoreError
from oma_desktop.core.migrations import latest_version
from oma_desktop.core.oplog import SELECT_OPS, Operation, derive, fold
from oma_desktop.core.schema import (
    CHANGE_LOG_TRIGGERS,
    ENTITY_TABLES,
    INSERT_ONLY_TABLES,
    guard_trigger_names,
    logged_columns,
)
from oma_desktop.core.store import Store
from oma_desktop.i18n import _, format_datetime, format_number
from oma_desktop.services.session import Session

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class CheckResult:
    key: str
    title: str
    ok: bool
    detail: str


def _examples(items: list[str], total: int) -> str:
    text = "; ".join(items[:MAX_EXAMPLES])
    if total > MAX_EXAMPLES:
        text += " …"
    return text


def verify_file(session: Session) -> DamagedDatabaseError | None:
    """The start-up check: ``PRAGMA quick_check`` of the whole file (run off the GUI
    thread); the error to show and to refuse writes with, or None if the file is sound."""
    result = check_file_integrity(session.store, quick=True)
    return None if result.ok else DamagedDatabaseError(result.detail)


def verifying_error() -> StoreError:
    """What a save attempted while the start-up check runs is told."""
    return StoreError(_("The database is being checked, which takes a few seconds after the "
                        "program starts. Nothing was saved yet: try saving again in a moment."))


def check_schema_version(store: Store) -> CheckResult:
    found, expected = int(store.scalar("PRAGMA user_version")), latest_version()
    title = _("Schema version")
    if found == expected:
        return CheckResult("schema_version", title, True,
                           _("Schema version {version}, as this version of the application "
                             "expects.").format(version=found))
    return CheckResult(
        "schema_version", title, False,
        _("The database has schema version {found} but this version of the application "
          "expects {expected}. Open it with the matching version of OMA Desktop or call "
          "support.").format(found=found, expected=expected),
    )


def check_file_integrity(store: Store, quick: bool = False) -> CheckResult:
    pragma = "quick_check" if quick else "integrity_check"
    try:
        problems = [str(row[0]) for row in store.conn.execute(f"PRAGMA {pragma}(100)")]
    except driver.DatabaseError as exc:  # too damaged for SQLite to even list the problems
        problems = [str(exc)]
    title = _("Database file integrity")
    if problems == ["ok"]:
        return CheckResult("integrity", title, True, _("No damage found in the database file."))
    return CheckResult(
        "integrity", title, False,
        _("The database file is damaged ({problems}). Stop using it: make a copy of the data "
          "folder, restore the latest backup and call support.").format(
            problems=_examples(problems, len(problems))),
    )


def check_foreign_keys(store: Store) -> CheckResult:
    conn = store.conn
    examples: list[str] = []
    total = 0
    for table, rowid, parent, _fkid in conn.execute("PRAGMA foreign_key_check"):
        total += 1
        if len(examples) < MAX_EXAMPLES:
            record = None
            if rowid is not None and table in ENTITY_TABLES:
                found = conn.execute(f"SELECT id FROM {table} WHERE rowid = ?", [rowid]).fetchone()
                record = found[0] if found else None
            examples.append(f"{table} {record or rowid} → {parent}")
    title = _("Links between records")
    if not total:
        return CheckResult("foreign_keys", title, True,
                           _("Every record points to records that exist."))
    return CheckResult(
        "foreign_keys", title, False,
        _("{count} records point to records that do not exist, for example: {examples}. "
          "Do not delete anything: restore the latest backup or call support to repair the "
          "links.").format(count=format_number(total), examples=_examples(examples, total)),
    )


def check_guards(store: Store) -> CheckResult:
    present = {
        row[0] for row in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    expected = [*CHANGE_LOG_TRIGGERS] + [
        name for table in ENTITY_TABLES for name in guard_trigger_names(table)
    ] + [f"{table}_insert_only" for table in INSERT_ONLY_TABLES]
    missing = [name for name in expected if name not in present]
    title = _("Change-log protection")
    if not missing:
        return CheckResult("guards", title, True,
                           _("The database refuses any write that skips the change log."))
    return CheckResult(
        "guards", title, False,
        _("Protection triggers are missing: {names}. Records could be changed without being "
          "logged or synchronised: stop recording and call support.").format(
            names=_examples(missing, len(missing))),
    )


def check_change_log_coverage(store: Store) -> CheckResult:
    conn = store.conn
    examples: list[str] = []
    total = rows = 0
    for table in ENTITY_TABLES:
        rows += int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        unlogged = conn.execute(
            f"SELECT r.id FROM {table} AS r WHERE r.last_op_id IS NULL OR NOT EXISTS ("
            " SELECT 1 FROM change_log AS c WHERE c.op_id = r.last_op_id"
            f" AND c.entity = '{table}' AND c.entity_id = r.id)"
        )
        for (record_id,) in unlogged:
            total += 1
            if len(examples) < MAX_EXAMPLES:
                examples.append(f"{table} {record_id}")
    title = _("Change-log coverage")
    if not total:
        return CheckResult("change_log", title, True,
                           _("Every record has its entry in the change log ({count} records)."
                             ).format(count=format_number(rows)))
    return CheckResult(
        "change_log", title, False,
        _("{count} records have no entry in the change log: they were written outside the "
          "application and will not be synchronised ({examples}). Call support before "
          "synchronising.").format(count=format_number(total),
                                   examples=_examples(examples, total)),
    )


def check_sequences(store: Store) -> CheckResult:
    conn = store.conn
    gaps: list[str] = []
    installations = conn.execute(
        "SELECT installation, min(casa), count(*), min(seq), max(seq) FROM change_log"
        " GROUP BY installation ORDER BY installation"
    ).fetchall()
    for installation, casa, count, first, last in installations:
        if first == 1 and count == last - first + 1:
            continue
        if first != 1:
            missing_from = 1
        else:
            missing_from = conn.execute(
                "SELECT c.seq + 1 FROM change_log AS c WHERE c.installation = ? AND c.seq < ?"
                " AND NOT EXISTS (SELECT 1 FROM change_log AS d"
                " WHERE d.installation = c.installation AND d.seq = c.seq + 1)"
                " ORDER BY c.seq LIMIT 1",
                [installation, last],
            ).fetchone()[0]
        gaps.append(
            _("{casa} (installation {installation}): {missing} of {last} operations missing, "
              "the first is number {first}").format(
                casa=casa, installation=str(installation)[:8], missing=last - count, last=last,
                first=missing_from)
        )
    title = _("Change-log sequence")
    if not gaps:
        return CheckResult("sequence", title, True,
                           _("No operation is missing in the change log (installations "
                             "checked: {count}).").format(count=len(installations)))
    return CheckResult(
        "sequence", title, False,
        _("Operations are missing in the change log: {examples}. Some synchronisation packages "
          "were not imported or were lost: import the missing packages again or call "
          "support.").format(examples=_examples(gaps, len(gaps))),
    )


def _as_stored(declared: str, value: object) -> object:
    """A logged JSON value as SQLite stores it in a column of type ``declared``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if declared.upper() == "TEXT" and not isinstance(value, str):
        return str(value)
    return value


def _table_differences(store: Store, table: str) -> Iterator[str]:
    """``"table id: fields"`` for each row that is not the fold of its operations."""
    conn = store.conn
    declared = {r[1]: str(r[2]) for r in conn.execute(f"PRAGMA table_info({table})")}
    defaults = {name: (None if d is None else conn.execute(f"SELECT {d}").fetchone()[0])
                for name, d in logged_columns(conn, table)}
    ops_by_id = groupby(
        (Operation.from_row(r) for r in conn.execute(
            f"{SELECT_OPS} WHERE entity = ? ORDER BY entity_id", [table])),
        key=lambda op: op.entity_id,
    )
    rows = conn.execute(f"SELECT * FROM {table} ORDER BY id")
    names = [d[0] for d in rows.description]
    pending_ops = next(ops_by_id, None)
    for values in rows:
        row = dict(zip(names, values, strict=True))
        while pending_ops is not None and pending_ops[0] < row["id"]:
            if any(op.kind == "create" for op in pending_ops[1]):
                yield f"{table} {pending_ops[0]}: —"  # logged but missing from the table
            pending_ops = next(ops_by_id, None)
        ops: list[Operation] = []
        if pending_ops is not None and pending_ops[0] == row["id"]:
            ops = list(pending_ops[1])
            pending_ops = next(ops_by_id, None)
        folded = fold(ops)
        if folded.create is None:
            yield f"{table} {row['id']}: id"
            continue
        expected: dict[str, object] = dict(defaults)
        expected.update((k, _as_stored(declared.get(k, ""), v)) for k, v in folded.values.items())
        expected.update((k, v) for k, v in derive(table, expected).items() if k in row)
        expected["last_op_id"] = folded.last_op_id
        wrong = sorted(k for k, v in expected.items() if row.get(k) != v)
        if wrong:
            yield f"{table} {row['id']}: {', '.join(wrong)}"
    while pending_ops is not None:
        if any(op.kind == "create" for op in pending_ops[1]):
            yield f"{table} {pending_ops[0]}: —"
        pending_ops = next(ops_by_id, None)


def check_fold(store: Store) -> CheckResult:
    """Every row must be exactly the fold of its operations (values, derived, last_op_id)."""
    examples: list[str] = []
    total = 0
    for table in ENTITY_TABLES:
        for difference in _table_differences(store, table):
            total += 1
            if len(examples) < MAX_EXAMPLES:
                examples.append(difference)
    title = _("Records match their operations")
    if not total:
        return CheckResult("fold", title, True,
                           _("Every record holds exactly what its operations in the change "
                             "log say."))
    return CheckResult(
        "fold", title, False,
        _("{count} records differ from what their operations say ({examples}): they were "
          "changed outside the application, and the change would not be synchronised. Do not "
          "synchronise: make a copy of the data folder and call support.").format(
            count=format_number(total), examples=_examples(examples, total)),
    )


def check_unfinished_jobs(store: Store) -> CheckResult:
    """Demo builds and imports that started but never finished (killed, power cut)."""
    from oma_desktop.services.jobs import unfinished_jobs

    title = _("Unfinished jobs")
    messages = []
    for job in unfinished_jobs(store):
        started = format_datetime(job.started)
        if job.kind == "demo":
            messages.append(_("the demo data in {folder}, started on {started}, was left half "
                              "made: delete that folder and create the demo data again").format(
                folder=job.label, started=started))
        else:
            messages.append(_("the import of «{file}», started on {started}, did not finish "
                              "and nothing of it was saved: import the list again").format(
                file=job.label, started=started))
    if not messages:
        return CheckResult("jobs", title, True,
                           _("Every demo build and import that started has finished."))
    text = "; ".join(messages)
    return CheckResult("jobs", title, False, text[:1].upper() + text[1:] + ".")


def _safely(key: str, title: Callable[[], str], run: Callable[[], CheckResult]) -> CheckResult:
    try:
        return run()
    except driver.DatabaseError as exc:
        return CheckResult(
            key, title(), False,
            _("The check could not run ({error}). The database may be damaged: make a copy "
              "of the data folder, restore the latest backup and call support.").format(
                error=exc),
        )


def run_checks(store: Store, *, quick: bool = False) -> list[CheckResult]:
    """Run every check; ``quick`` uses ``PRAGMA quick_check`` (skips index contents)."""
    checks: list[tuple[str, Callable[[], str], Callable[[], CheckResult]]] = [
        ("schema_version", lambda: _("Schema version"), lambda: check_schema_version(store)),
        ("integrity", lambda: _("Database file integrity"),
         lambda: check_file_integrity(store, quick)),
        ("foreign_keys", lambda: _("Links between records"), lambda: check_foreign_keys(store)),
        ("guards", lambda: _("Change-log protection"), lambda: check_guards(store)),
        ("change_log", lambda: _("Change-log coverage"),
         lambda: check_change_log_coverage(store)),
        ("sequence", lambda: _("Change-log sequence"), lambda: check_sequences(store)),
        ("fold", lambda: _("Records match their operations"), lambda: check_fold(store)),
        ("jobs", lambda: _("Unfinished jobs"), lambda: check_unfinished_jobs(store)),
    ]
    return [_safely(key, title, run) for key, title, run in checks]


__all__ = ["CheckResult", "run_checks"]
