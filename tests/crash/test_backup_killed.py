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
    commits,
    examine,
    expected_state,
    file_problems,
    fresh_copy,
    io_point,
    kill_points,
    snapshot,
    state_of,
    states_between_commits,
)

POINTS = 12


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


PASSWORD = "una clave de prueba larga"


@pytest.fixture(scope="module")
def account_folder(source: Path, crash_root: Path, crash_server: CrashServer) -> tuple[Path, bytes]:
    """The source's data folder after the first login (encrypted, the account admin)."""
    from oma_desktop.paths import DataPaths
    from oma_desktop.services.accounts import Credentials, keyring_path
    from oma_desktop.services.context import open_context

    folder = fresh_copy(source.parent, crash_root / "backup-account" / "datos")
    ctx = open_context(folder, credentials=Credentials("admin", PASSWORD))
    try:
        assert ctx.key is not None
        key = ctx.key
    finally:
        ctx.close()
    for old in (folder / "backups").iterdir():  # the copy made before encrypting: not ours
        old.unlink()
    crash_server.prime(keyring_path(DataPaths(folder)), "admin", PASSWORD)
    return folder, key


def test_the_backup_command_killed_at_any_file_write_never_lists_a_bad_copy_as_good(
    io_server: CrashServer, account_folder: tuple[Path, bytes], crash_dir: Path
) -> None:
    """``oma-desktop backup`` (copy, integrity check, note with the SHA-256, audit entry,
    rotation) killed at any file write: the database is whole (with or without the audit
    entry, as the kill came before or after its commit); the copy's name is absent or
    names a whole copy; a copy is listed as verified only once its note was written; and
    the next backup succeeds."""
    from oma_desktop.paths import DataPaths
    from oma_desktop.services.backup import list_backups

    template, key = account_folder
    work = crash_dir / "datos"
    params = {"data_dir": str(work), "password": PASSWORD}
    fresh_copy(template, work)
    database = work / "oma.sqlite3"
    count = io_server.count("cli_backup", params)
    [copy] = sorted((work / "backups").glob("*-manual.sqlite3"))
    assert count.io_points is not None
    renamed = io_point(count, f"rename {copy}")
    noted = io_point(count, f"rename {copy.with_suffix('.json')}")
    # before; with the login's audit entry (what the copy holds); with the backup's too
    states = states_between_commits(io_server, "cli_backup", params, template, work, count, key)
    names = ["as before", "logged in", "audited"]
    assert len(states) == len(names)
    [copy] = sorted((work / "backups").glob("*-manual.sqlite3"))
    assert snapshot(copy, key) == states[1]
    around = {renamed, renamed + 1, noted, noted + 1}
    ks = kill_points(count, "io", 8, commits(count), width=1, also=around)
    seen = set()
    for k in ks:
        fresh_copy(template, work)
        io_server.kill("cli_backup", params, "io", k)
        where = f"killed at io point {k} of {count.io} ({count.io_points[k - 1]})"
        result = examine(database, key)
        assert result.problems == [] and result.failed == {}, where
        expected = names[expected_state(count, "io", k)]
        assert state_of(result.state, dict(zip(names, states, strict=True))) == expected, where
        copies = sorted((work / "backups").glob("*-manual.sqlite3"))
        assert len(copies) == int(k - 1 >= renamed), where
        for path in copies:
            assert _raw_with(path, key)[1] == [], where
            assert snapshot(path, key) == states[1], where
        listed = {i.path.name: i.verified for i in list_backups(DataPaths(work), key=key)}
        assert listed == ({copies[0].name: True if k - 1 >= noted else None} if copies else {}), (
            where, listed)
        seen.add((len(copies), k - 1 >= noted))
        if k in around or k == ks[len(ks) // 3]:  # what a cut-off copy leaves behind
            again = io_server.count("cli_backup", params)  # does not stop the next backup
            assert again.exit == 0, (where, again.error)
    assert seen == {(0, False), (1, False), (1, True)}


def _raw_with(path: Path, key: bytes) -> tuple[int, list[str]]:
    conn = driver.connect(path, key)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0]), file_problems(conn)
    finally:
        conn.close()


def test_a_backup_cut_off_while_copying_leaves_no_partial_file_once_rotated(
    io_server: CrashServer, account_folder: tuple[Path, bytes], crash_dir: Path
) -> None:
    import datetime as dt

    from oma_desktop.services.backup import rotate

    template, _key = account_folder
    work = crash_dir / "datos"
    params = {"data_dir": str(work), "password": PASSWORD}
    fresh_copy(template, work)
    count = io_server.count("cli_backup", params)
    assert count.io_points is not None
    copying = next(i for i, p in enumerate(count.io_points, 1)
                   if p.startswith("pwrite") and p.endswith("-manual.sqlite3.part"))
    fresh_copy(template, work)
    io_server.kill("cli_backup", params, "io", copying + 5)
    assert sorted(p.name for p in (work / "backups").glob("*.part"))  # the cut-off copy
    assert io_server.count("cli_backup", params).exit == 0  # the next backup
    rotate(work / "backups", now=dt.datetime.now() + dt.timedelta(days=2))
    assert sorted(p.name for p in (work / "backups").iterdir() if ".part" in p.name) == []
