"""The driver: connection settings, backups, and Spanish errors from real database conditions.

Every condition is produced for real (a second connection holding the lock, a read-only
connection, a page limit, damaged bytes, a missing parent row), not by building the
exception by hand, so the tests also pin which SQLite codes the conditions produce.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlcipher3.dbapi2 as sqlcipher

from oma_desktop.core import driver
from oma_desktop.core.errors import (
    CannotOpenDatabaseError,
    DamagedDatabaseError,
    DatabaseLockedError,
    DiskFullError,
    EncryptionUnavailableError,
    MissingRelatedRecordError,
    OmaError,
    ReadOnlyError,
    StoreError,
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A small WAL database with a parent/child pair of tables and some rows."""
    path = tmp_path / "oma.sqlite3"
    conn = driver.connect(path)
    conn.execute("CREATE TABLE parent (id TEXT PRIMARY KEY)")
    conn.execute("CREATE TABLE child (id TEXT PRIMARY KEY, parent_id TEXT REFERENCES parent (id))")
    conn.execute("CREATE TABLE blob (data BLOB)")
    conn.execute("INSERT INTO parent VALUES ('p1')")
    conn.executemany("INSERT INTO blob VALUES (?)", [(os.urandom(300),) for _ in range(200)])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture
def conn(db_path: Path) -> Iterator[driver.Connection]:
    c = driver.connect(db_path)
    yield c
    c.close()


def raised(exc_info: pytest.ExceptionInfo[BaseException], path: Path) -> OmaError:
    translated = driver.translate_error(exc_info.value, path)
    assert translated is not None, f"{exc_info.value!r} was not translated"
    return translated


def test_connect_applies_the_app_settings(conn: driver.Connection) -> None:
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == driver.BUSY_TIMEOUT_MS
    assert conn.isolation_level is None  # autocommit: the store issues BEGIN itself


def test_exception_types_are_the_bindings_own() -> None:
    """Callers catch driver.X; they are sqlcipher3's classes, so nothing slips through."""
    assert driver.Error is sqlcipher.Error
    assert driver.DatabaseError is sqlcipher.DatabaseError
    assert driver.IntegrityError is sqlcipher.IntegrityError
    assert driver.OperationalError is sqlcipher.OperationalError
    assert issubclass(driver.IntegrityError, driver.Error)


KEY = bytes(range(32))


def _secret_db(path: Path, key: bytes | None = KEY) -> None:
    conn = driver.connect(path, key)
    conn.execute("CREATE TABLE person (name TEXT)")
    conn.execute("CREATE TRIGGER person_no_delete BEFORE DELETE ON person"
                 " BEGIN SELECT RAISE(ABORT, 'no'); END")
    conn.execute("INSERT INTO person VALUES ('María Fernanda Quispe')")
    conn.execute("PRAGMA user_version = 7")
    conn.close()


def _plain_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_an_encrypted_database_is_unreadable_without_its_key(tmp_path: Path) -> None:
    path = tmp_path / "oma.sqlite3"
    _secret_db(path)
    assert driver.is_encrypted_file(path)
    assert b"Quispe" not in _plain_bytes(path)  # neither in the file nor in its WAL
    plain = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
    plain.close()
    with pytest.raises(DamagedDatabaseError):
        driver.connect(path, bytes(32))  # another key
    with pytest.raises(DamagedDatabaseError):
        driver.connect(path)  # no key
    conn = driver.connect(path, KEY)
    assert conn.execute("SELECT name FROM person").fetchone()[0] == "María Fernanda Quispe"
    conn.close()


def test_a_key_must_be_32_bytes(tmp_path: Path) -> None:
    with pytest.raises(EncryptionUnavailableError):
        driver.connect(tmp_path / "oma.sqlite3", key=b"secreto")


def test_a_backup_is_encrypted_with_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "oma.sqlite3"
    _secret_db(path)
    conn = driver.connect(path, KEY)
    target = driver.backup(conn, tmp_path / "copies" / "copy.sqlite3", KEY)
    conn.close()
    assert driver.is_encrypted_file(target) and b"Quispe" not in target.read_bytes()
    assert not list(target.parent.glob("*.part"))
    copy = driver.connect(target, KEY)
    assert copy.execute("SELECT name FROM person").fetchone()[0] == "María Fernanda Quispe"
    copy.close()


def test_a_plain_database_is_encrypted_whole(tmp_path: Path) -> None:
    plain, secret = tmp_path / "plain.sqlite3", tmp_path / "secret.sqlite3"
    _secret_db(plain, None)
    assert not driver.is_encrypted_file(plain)
    driver.encrypt_copy(plain, secret, KEY)
    assert driver.is_encrypted_file(secret) and b"Quispe" not in secret.read_bytes()
    conn = driver.connect(secret, KEY)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 7
    assert conn.execute("SELECT name FROM person").fetchone()[0] == "María Fernanda Quispe"
    with pytest.raises(driver.IntegrityError, match="no"):  # triggers came along
        conn.execute("DELETE FROM person")
    conn.close()


def test_locked_database_says_another_program_is_using_it(db_path: Path) -> None:
    holder = driver.connect(db_path)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO parent VALUES ('p2')")
    waiter = driver.connect(db_path, busy_timeout_ms=0)
    try:
        with pytest.raises(driver.OperationalError) as info:
            waiter.execute("INSERT INTO parent VALUES ('p3')")
        assert info.value.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
        error = raised(info, db_path)
    finally:
        waiter.close()
        holder.execute("ROLLBACK")
        holder.close()
    assert type(error) is DatabaseLockedError
    assert isinstance(error, StoreError)
    text = str(error)
    assert str(db_path) in text
    assert "Otro programa está usando la base de datos" in text
    assert "Cierre ese programa o espere" in text


def test_query_only_connection_says_read_only(conn: driver.Connection, db_path: Path) -> None:
    conn.execute("PRAGMA query_only = ON")
    with pytest.raises(driver.OperationalError) as info:
        conn.execute("INSERT INTO parent VALUES ('p2')")
    error = raised(info, db_path)
    assert type(error) is ReadOnlyError
    assert "solo lectura" in str(error)
    assert "permisos de la carpeta" in str(error)


def test_file_opened_read_only_says_read_only(db_path: Path) -> None:
    ro = sqlcipher.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        with pytest.raises(driver.OperationalError) as info:
            ro.execute("INSERT INTO parent VALUES ('p2')")
    finally:
        ro.close()
    assert info.value.sqlite_errorcode & 0xFF == sqlite3.SQLITE_READONLY
    assert type(raised(info, db_path)) is ReadOnlyError


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="running as root: file permissions do not stop root from writing",
)
def test_read_only_file_says_read_only(db_path: Path) -> None:
    os.chmod(db_path, 0o444)
    try:
        conn = driver.connect(db_path)
        try:
            with pytest.raises(driver.OperationalError) as info:
                conn.execute("INSERT INTO parent VALUES ('p2')")
        finally:
            conn.close()
    finally:
        os.chmod(db_path, 0o644)
    assert type(raised(info, db_path)) is ReadOnlyError


def test_full_disk_says_free_space_and_never_restore_a_backup(
    conn: driver.Connection, db_path: Path
) -> None:
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(driver.OperationalError) as info:
        conn.execute("INSERT INTO blob VALUES (?)", [os.urandom(200_000)])
    assert info.value.sqlite_errorcode & 0xFF == sqlite3.SQLITE_FULL
    error = raised(info, db_path)
    assert type(error) is DiskFullError
    text = str(error)
    assert "está lleno" in text
    assert "Libere espacio" in text
    assert str(db_path.parent) in text
    assert "copia de seguridad" not in text.lower()
    assert "restaure" not in text.lower()


def test_file_that_is_not_a_database_says_damaged(tmp_path: Path) -> None:
    path = tmp_path / "oma.sqlite3"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(DamagedDatabaseError) as info:
        driver.connect(path)
    assert isinstance(info.value.__cause__, driver.DatabaseError)
    assert "dañado" in str(info.value)
    assert "restaure la última copia de seguridad con el asistente" in str(info.value)


def test_truncated_database_says_damaged(db_path: Path) -> None:
    db_path.write_bytes(db_path.read_bytes()[:50])  # the header cut short
    with pytest.raises(DamagedDatabaseError):
        driver.connect(db_path)


def test_damaged_pages_say_damaged(db_path: Path) -> None:
    check = sqlite3.connect(db_path)
    page_size = check.execute("PRAGMA page_size").fetchone()[0]
    root = check.execute("SELECT rootpage FROM sqlite_master WHERE name = 'blob'").fetchone()[0]
    check.close()
    data = bytearray(db_path.read_bytes())
    start = (root - 1) * page_size
    data[start : start + page_size] = b"\xff" * page_size  # no valid b-tree page type
    db_path.write_bytes(bytes(data))
    conn = driver.connect(db_path)
    try:
        with pytest.raises(driver.DatabaseError) as info:
            conn.execute("SELECT count(*) FROM blob").fetchone()
    finally:
        conn.close()
    assert type(raised(info, db_path)) is DamagedDatabaseError


def test_missing_related_record_is_named(conn: driver.Connection, db_path: Path) -> None:
    with pytest.raises(driver.IntegrityError) as info:
        conn.execute("INSERT INTO child VALUES ('c1', 'no-such-parent')")
    error = raised(info, db_path)
    assert type(error) is MissingRelatedRecordError
    assert "no existe" in str(error)
    assert "no se guardó" in str(error)


def test_missing_folder_says_cannot_open(tmp_path: Path) -> None:
    path = tmp_path / "no-such-folder" / "oma.sqlite3"
    with pytest.raises(CannotOpenDatabaseError) as info:
        driver.connect(path)
    assert str(path) in str(info.value)
    assert "la carpeta" in str(info.value)


def test_a_read_only_folder_says_read_only_not_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WAL cannot create its side files in a read-only folder; SQLite only says it cannot
    open the file. (A real read-only mount needs privileges the tests do not have.)"""
    path = tmp_path / "oma.sqlite3"
    path.mkdir()  # a genuine "unable to open database file"
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != tmp_path)
    with pytest.raises(ReadOnlyError) as info:
        driver.connect(path)
    assert "solo lectura" in str(info.value)
    monkeypatch.undo()
    with pytest.raises(CannotOpenDatabaseError):
        driver.connect(path)


def test_programming_errors_are_not_translated(conn: driver.Connection, db_path: Path) -> None:
    """A bug must reach the error dialog as itself, with its traceback."""
    with pytest.raises(driver.OperationalError) as syntax:
        conn.execute("SELEC 1")
    assert driver.translate_error(syntax.value, db_path) is None
    conn.execute("CREATE UNIQUE INDEX one_blob ON parent (id)")
    with pytest.raises(driver.IntegrityError) as unique:
        conn.execute("INSERT INTO parent VALUES ('p1')")
    assert driver.translate_error(unique.value, db_path) is None
    with pytest.raises(driver.OperationalError), driver.translating(db_path):
        conn.execute("SELEC 1")


def test_translating_raises_the_spanish_error_from_the_original(
    conn: driver.Connection, db_path: Path
) -> None:
    with pytest.raises(MissingRelatedRecordError) as info, driver.translating(db_path):
        conn.execute("INSERT INTO child VALUES ('c1', 'no-such-parent')")
    assert isinstance(info.value.__cause__, driver.IntegrityError)


def test_message_fallback_for_a_binding_without_result_codes(db_path: Path) -> None:
    """sqlcipher3 builds may lack ``sqlite_errorcode``; SQLite's own texts still work."""
    assert type(driver.translate_error(driver.OperationalError("database is locked"), db_path)) is (
        DatabaseLockedError
    )
    assert type(
        driver.translate_error(driver.OperationalError("database or disk is full"), db_path)
    ) is DiskFullError


def test_backup_copies_a_consistent_database(conn: driver.Connection, tmp_path: Path) -> None:
    conn.execute("INSERT INTO parent VALUES ('p2')")
    target = tmp_path / "backups" / "copy.sqlite3"
    assert driver.backup(conn, target) == target
    copy = driver.connect(target)
    try:
        assert [r[0] for r in copy.execute("SELECT id FROM parent ORDER BY id")] == ["p1", "p2"]
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        copy.close()
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.sqlite3"]


def test_failed_backup_leaves_no_partial_copy(conn: driver.Connection, tmp_path: Path) -> None:
    """A backup that cannot be finished leaves nothing that looks like a good copy."""
    target = tmp_path / "backups" / "copy.sqlite3"
    target.mkdir(parents=True)  # a folder where the file should go: the rename fails
    with pytest.raises(OSError):
        driver.backup(conn, target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.sqlite3"]
    assert target.is_dir()


def test_os_errors_of_a_full_or_read_only_disk_are_translated(tmp_path: Path) -> None:
    import errno

    target = tmp_path / "copy.sqlite3"
    full = driver.translate_error(OSError(errno.ENOSPC, "No space left on device"), target)
    assert type(full) is DiskFullError
    assert type(driver.translate_error(PermissionError(errno.EACCES, "denied"), target)) is (
        ReadOnlyError
    )
    assert driver.translate_error(FileNotFoundError(errno.ENOENT, "gone"), target) is None
