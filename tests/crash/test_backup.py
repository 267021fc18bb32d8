"""A backup killed (SIGKILL) at any file write leaves no file under the backup's name or
a whole, valid copy — and the database it copies untouched.

``driver.backup`` (what every backup goes through: before a migration, ``oma-desktop
backup``) writes ``<name>.part`` with SQLite's backup API and renames it when complete.
A child backs up a database with a few records and kills itself just before its k-th
file write, flush, rename or removal. After each kill: the database passes every check
and is as it was; the backup's name is absent exactly until the rename was reached, and
from then on names a copy equal to the database; and a new backup to the same name
succeeds over whatever the killed one left, leaving no ``.part`` behind.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from oma_desktop.core import driver
from oma_desktop.core.store import backup_database, open_store
from tests.crash.crashkit import (
    CrashServer,
    canonical,
    examine,
    file_problems,
    io_point,
    kill_points,
    snapshot,
    state_of,
)

POINTS = 14


@pytest.fixture(scope="module")
def source(crash_root: Path) -> Path:
    """A data folder with a few persons (a few dozen pages to copy)."""
    import datetime as dt

    from oma_desktop.services.context import open_context
    from oma_desktop.services.persons import PersonInput, register_person

    folder = crash_root / "backup-source" / "datos"
    ctx = open_context(folder)
    try:
        for n in range(40):
            register_person(ctx.session, PersonInput(
                given_names=f"Persona {n}", paternal_surname="Copia", sex="F",
                birth_date=dt.date(1970 + n, 3, 4), nationality="VE", consent_register=True,
                notes="x" * 300), dt.date(2026, 11, 1))
    finally:
        ctx.close()
    return folder / "oma.sqlite3"


def _raw(path: Path) -> tuple[int, list[str], dict[str, Any]]:
    conn = driver.connect(path)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        return version, file_problems(conn), canonical(conn)
    finally:
        conn.close()


def test_a_backup_killed_at_any_file_write_is_absent_or_whole(
    io_server: CrashServer, source: Path, crash_dir: Path
) -> None:
    work = crash_dir / "datos"
    database, target = work / "oma.sqlite3", crash_dir / "copias" / "oma-manual.sqlite3"
    params = {"path": str(database), "target": str(target), "key": None}

    def fresh() -> None:
        for folder in (work, target.parent):
            if folder.exists():
                shutil.rmtree(folder)
        work.mkdir()
        shutil.copy(source, database)

    fresh()
    original = snapshot(database)
    version = _raw(database)[0]
    count = io_server.count("backup", params)
    assert _raw(target) == (version, [], original)
    renamed = io_point(count, f"rename {target}")
    flushes = [i for i, p in enumerate(count.io_points or [], 1) if p.startswith("fsync")]
    ks = kill_points(count, "io", POINTS, [], also=[*range(renamed - 3, renamed + 3), *flushes])
    assert len(ks) >= POINTS and ks[-1] == count.io
    seen = set()
    for k in ks:
        fresh()
        io_server.kill("backup", params, "io", k)
        where = f"killed at io point {k} of {count.io} ({count.io_points[k - 1]})"
        result = examine(database)
        assert result.problems == [] and result.failed == {}, where
        assert state_of(result.state, {"untouched": original}) == "untouched", where
        done = k - 1 >= renamed
        assert target.exists() == done, where
        if done:
            assert _raw(target) == (version, [], original), where
        seen.add(done)
        # whatever was left, the next backup to the same name is whole and cleans up
        store = open_store(database, create=False)
        try:
            backup_database(store.conn, target)
        finally:
            store.close()
        assert _raw(target) == (version, [], original), where
        left = sorted(p.name for p in target.parent.iterdir() if p.name != target.name)
        assert [n for n in left if ".part" in n] == [], (where, left)
    assert seen == {False, True}
