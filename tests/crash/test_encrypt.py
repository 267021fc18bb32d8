"""Converting a plain database to an encrypted one, killed (SIGKILL) at any file write,
loses nothing and the next login finishes it.

Issue #9: an existing plain database is converted once, at the first login with an
account, after an encrypted backup. The data folder here is what the upgrade leaves
just before that: the account's key file beside a plain database with records, and a
plain backup of it (the copy a migration made). A child logs in and kills itself just
before its k-th file write, flush, rename or removal. After each kill the database is
whole — plain as it was, or encrypted with the folder's key holding the same records —
and logging in again finishes the conversion: every check passes, and no copy of the
records is left readable without the key (the database, its WAL, the backups).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oma_desktop.core import driver
from tests.crash.crashkit import (
    CrashServer,
    examine,
    expected_state,
    fresh_copy,
    kill_points,
    snapshot,
    state_of,
    states_between_commits,
)

PASSWORD = "una clave de prueba larga"
KEY = bytes(range(32))  # the folder's database key, known to the test
MARK = "MARCA-EN-CLARO-7Q"  # in every record's notes: found in a file = readable records
POINTS = 8


@pytest.fixture(scope="module")
def upgraded(crash_root: Path, crash_server: CrashServer) -> Path:
    import datetime as dt

    from oma_desktop.core.ids import new_id
    from oma_desktop.core.keyring import Keyring
    from oma_desktop.core.store import backup_database
    from oma_desktop.paths import DataPaths
    from oma_desktop.services.accounts import keyring_path
    from oma_desktop.services.context import open_context
    from oma_desktop.services.persons import PersonInput, register_person

    folder = crash_root / "encrypt-template" / "datos"
    ctx = open_context(folder)
    try:
        for n in range(12):
            register_person(ctx.session, PersonInput(
                given_names=f"Persona {n}", paternal_surname="Cifrado", sex="F",
                birth_date=dt.date(1980 + n, 1, 2), nationality="VE", consent_register=True,
                notes=f"{MARK} {n}"), dt.date(2026, 11, 1))
        backup_database(ctx.session.store.conn,
                        ctx.paths.backups / "oma-v5-20260101-080000.sqlite3")
    finally:
        ctx.close()
    ring = keyring_path(DataPaths(folder))
    Keyring.create(ring, KEY, "admin", new_id(), PASSWORD)
    crash_server.prime(ring, "admin", PASSWORD)
    assert _readable(folder) != []  # the plain database and backup show the mark
    return folder


def _readable(folder: Path) -> list[str]:
    """Files of the folder in which the records can be read without the key."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and MARK.encode() in path.read_bytes():
            found.append(str(path.relative_to(folder)))
    return found


def _state(database: Path) -> tuple[str, dict[str, Any]]:
    """("plain" or "encrypted", canonical records) of a database right after a kill."""
    if driver.is_encrypted_file(database):
        return "encrypted", snapshot(database, KEY)
    return "plain", snapshot(database)


def test_a_conversion_killed_at_any_file_write_loses_nothing_and_finishes_at_next_login(
    io_server: CrashServer, upgraded: Path, crash_dir: Path
) -> None:
    work = fresh_copy(upgraded, crash_dir / "datos")
    database = work / "oma.sqlite3"
    params = {"data_dir": str(work), "password": PASSWORD}
    count = io_server.count("login", params)
    assert driver.is_encrypted_file(database) and _readable(work) == []
    done = examine(database, KEY)
    assert done.problems == [] and done.failed == {}
    # the records are those of the plain database, plus the account's staff record and
    # the login's audit entry
    staff = ("app_user", "audit_entry", "change_log")
    assert snapshot(database, KEY, skip=staff) == snapshot(upgraded / "oma.sqlite3", skip=staff)
    records = snapshot(database, KEY, skip=("audit_entry", "change_log"))
    # as before, then with the account's record, then with the login's audit entry too
    states = states_between_commits(io_server, "login", params, upgraded, work, count, KEY)
    names = ["as before", *(f"logged in ({n})" for n in range(1, len(states)))]
    assert count.io_points is not None
    renamed = [i for i, p in enumerate(count.io_points, 1) if p == f"rename {database}"]
    assert len(renamed) == 1
    # spread points, plus each rename (a copy put in place) and the point after it: most
    # of the run writes the encrypted copies' pages
    moves = [i for i, p in enumerate(count.io_points, 1) if p.startswith("rename")]
    ks = kill_points(count, "io", POINTS, [], also=[
        *range(renamed[0] - 2, renamed[0] + 3), *moves, *(i + 1 for i in moves)])
    seen = set()
    for k in ks:
        fresh_copy(upgraded, work)
        io_server.kill("login", params, "io", k)
        where = f"killed at io point {k} of {count.io} ({count.io_points[k - 1]})"
        kind, state = _state(database)
        expected = "encrypted" if k - 1 >= renamed[0] else "plain"
        assert kind == expected, where
        found = state_of(state, dict(zip(names, states, strict=True)))
        assert found == names[expected_state(count, "io", k)], where
        assert kind == "encrypted" or found == "as before", where
        seen.add(kind)
        again = io_server.count("login", params)  # the next login
        assert again.exit == 0, (where, again.error)
        result = examine(database, KEY)
        assert result.problems == [] and result.failed == {}, (where, result.failed)
        # the same records (a second login adds its own audit entry)
        assert snapshot(database, KEY, skip=("audit_entry", "change_log")) == records, where
        assert driver.is_encrypted_file(database), where
    assert seen == {"plain", "encrypted"}


def test_a_conversion_killed_while_encrypting_the_old_backups_leaves_none_readable(
    io_server: CrashServer, upgraded: Path, crash_dir: Path
) -> None:
    """The old plain backups are encrypted before the database is replaced, and any plain
    backup still there is encrypted at the next login: a kill at each backup's encryption
    leaves no record readable without the key once the next login has run."""
    work = fresh_copy(upgraded, crash_dir / "datos")
    params = {"data_dir": str(work), "password": PASSWORD}
    count = io_server.count("login", params)
    assert count.io_points is not None
    renamed = count.io_points.index(f"rename {work / 'oma.sqlite3'}") + 1
    backups = [i for i, p in enumerate(count.io_points, 1)
               if "backups" in p and ".sqlite3.encrypted.part" in p]
    assert backups and max(backups) < renamed  # before the database is replaced
    # the first write, one in the middle and the flush of the encrypted copies
    points = sorted({backups[0], backups[len(backups) // 2], backups[-1]})
    for point in points:
        fresh_copy(upgraded, work)
        io_server.kill("login", params, "io", point)
        assert io_server.count("login", params).exit == 0  # the next login
        assert _readable(work) == [], point
