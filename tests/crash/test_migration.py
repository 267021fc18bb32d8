"""A migration killed (SIGKILL) at any point leaves a schema version, whole, and a good
backup or none.

Opening tests/data/legacy-v2.sqlite3 (schema 2, with records) backs it up and then runs
each later migration in its own transaction. A child does that and kills itself at the
k-th SQL statement, SQLite progress call or file write. After each kill the file passes
SQLite's checks and is exactly the legacy database brought to some version v — v counts
the migrations whose commit the kill came after, 2 if none —; the backup folder holds
either no backup or a whole, valid copy of the version-2 database under its final name
(a ``.part`` file may be left, never a partial file with the final name); and the next
opening finishes the migration into a database that passes every check of the app.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from oma_desktop.core import driver
from oma_desktop.core.migrations import MIGRATIONS, latest_version
from tests.crash.crashkit import (
    MODES,
    CrashServer,
    canonical,
    commits,
    committed,
    examine,
    file_problems,
    io_done,
    io_point,
    kill_points,
    snapshot,
    state_of,
    total_points,
)

LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy-v2.sqlite3"
POINTS = {"stmt": 5, "vm": 4, "io": 5}


@pytest.fixture(scope="module")
def versions(crash_root: Path) -> dict[int, Any]:
    """The legacy database brought to each version, in canonical form."""
    from oma_desktop.core.store import open_store

    states = {2: snapshot(LEGACY)}
    for version in range(3, latest_version() + 1):
        path = crash_root / f"legacy-v{version}" / "oma.sqlite3"
        path.parent.mkdir()
        shutil.copy(LEGACY, path)
        steps = tuple(m for m in MIGRATIONS if m.version <= version)
        open_store(path, migrations=steps, backup_dir=path.parent / "backups").close()
        states[version] = snapshot(path)
    return states


def _params(work: Path) -> dict[str, Any]:
    return {"path": str(work / "oma.sqlite3"), "backup_dir": str(work / "backups"), "key": None}


def _fresh(work: Path) -> None:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    shutil.copy(LEGACY, work / "oma.sqlite3")


def _backups(work: Path) -> list[Path]:
    """Files in the backup folder under a final name (not the ``.part`` being written)."""
    folder = work / "backups"
    return sorted(folder.glob("*.sqlite3")) if folder.is_dir() else []


def _raw(path: Path) -> tuple[int, list[str], dict[str, Any]]:
    """Schema version, SQLite's problems and canonical state, without migrating."""
    conn = driver.connect(path)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        return version, file_problems(conn), canonical(conn)
    finally:
        conn.close()


@pytest.mark.parametrize("mode", MODES)
def test_a_migration_killed_at_any_point_leaves_a_whole_version_and_a_good_backup_or_none(
    crash_server: CrashServer, versions: dict[int, Any], crash_dir: Path, mode: str
) -> None:
    if mode == "io" and not crash_server.has_io:
        pytest.skip("no C compiler to build the io shim (tests/crash/killer.c)")
    work = crash_dir / "datos"
    _fresh(work)
    count = crash_server.count("migrate", _params(work))
    steps = commits(count)
    assert len(steps) == latest_version() - 2
    assert _raw(work / "oma.sqlite3")[0] == latest_version()
    copied = (io_point(count, f"rename {work / 'backups' / 'oma-v2-'}")
              if count.io_points else None)
    also = list(range(copied - 1, copied + 2)) if copied and mode == "io" else []
    ks = kill_points(count, mode, POINTS[mode], steps, width=1, also=also)
    seen: dict[tuple[int, bool], int] = {}
    for k in ks:
        _fresh(work)
        crash_server.kill("migrate", _params(work), mode, k)
        where = f"killed at {mode} point {k} of {total_points(count, mode)}"
        version, problems, state = _raw(work / "oma.sqlite3")
        assert problems == [], where
        assert version == 2 + sum(committed(count, c, mode, k) for c in steps), where
        assert state_of(state, {f"v{version}": versions[version]}) == f"v{version}", where
        backups = _backups(work)
        if copied is not None:  # the backup is written before the first migration
            assert len(backups) == int(io_done(count, mode, k) >= copied), (where, backups)
        elif version > 2:
            assert len(backups) == 1, where
        for backup in backups:
            assert _raw(backup)[:2] == (2, []), (where, backup)
            assert state_of(_raw(backup)[2], {"v2": versions[2]}) == "v2", (where, backup)
        seen.setdefault((version, bool(backups)), k)
    # the kills fell before the backup, between it and the first migration, and after each
    # migration (SQLite runs no instruction after the last commit: no progress call there)
    last = latest_version() - (mode == "vm")
    assert {v for v, _b in seen} == set(range(2, last + 1)), seen
    if copied is not None and mode != "vm":  # no progress call before the backup either
        assert (2, False) in seen and (2, True) in seen, seen
    # a file left at each version is opened again: the migration finishes, all checks pass
    # (once, after the kills between statements: the files left are the same kinds)
    firsts = {version: seen[version, backed] for version, backed in sorted(seen, reverse=True)}
    for version, k in sorted(firsts.items()) if mode == "stmt" else []:
        _fresh(work)
        crash_server.kill("migrate", _params(work), mode, k)
        result = examine(work / "oma.sqlite3")
        where = f"reopened at version {version} after a kill at {mode} point {k}"
        assert result.problems == [] and result.failed == {}, (where, result.failed)
        assert state_of(result.state, {"latest": versions[latest_version()]}) == "latest", where
        for backup in _backups(work):
            assert _raw(backup)[1] == [], (where, backup)
