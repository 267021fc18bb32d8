"""The database driver: the one module that knows which SQLite binding is in use.

It is ``sqlcipher3`` (SQLCipher 4, from the sqlcipher3-wheels package): SQLite with
encryption at rest. A database opened with a key is encrypted page by page (AES-256 with an
HMAC per page); without a key it is a plain SQLite file, which is how tests of unrelated
features and a not yet converted database are opened. The key is 32 random bytes, passed
raw (no passphrase derivation: the accounts' passwords unwrap it, see ``core/keyring.py``).
So that the binding is named in this file only, the rest of the app

- opens connections with :func:`connect`, never ``sqlite3.connect``;
- catches :data:`Error`, :data:`DatabaseError`, :data:`IntegrityError` and
  :data:`OperationalError` from here, never ``sqlite3.*``;
- copies a database with :func:`backup` (the same door, so backups get the same key);
- turns the database conditions a clerk can act on into Spanish errors with
  :func:`translate_error` (locked, read-only, disk full, damaged, missing related record,
  cannot open, disk I/O), or lets :func:`translating` do it around a block. Anything
  else is a bug and is left to propagate as itself.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlcipher3.dbapi2 as _sqlcipher

from oma_desktop.core.errors import (
    CannotOpenDatabaseError,
    DamagedDatabaseError,
    DatabaseLockedError,
    DiskFullError,
    DiskIOError,
    EncryptionUnavailableError,
    MissingRelatedRecordError,
    OmaError,
    ReadOnlyError,
)
from oma_desktop.i18n import _

# typed as the standard library's binding (the same DB-API) through the names below
_dbapi: Any = _sqlcipher

if TYPE_CHECKING:  # sqlcipher3 has the standard library's DB-API shape, and no stubs
    from sqlite3 import Connection as Connection
    from sqlite3 import DatabaseError as DatabaseError
    from sqlite3 import Error as Error
    from sqlite3 import IntegrityError as IntegrityError
    from sqlite3 import OperationalError as OperationalError
    from sqlite3 import ProgrammingError as ProgrammingError
    from sqlite3 import complete_statement as complete_statement
else:
    Connection = _dbapi.Connection
    DatabaseError = _dbapi.DatabaseError
    Error = _dbapi.Error
    IntegrityError = _dbapi.IntegrityError
    OperationalError = _dbapi.OperationalError
    ProgrammingError = _dbapi.ProgrammingError
    complete_statement = _dbapi.complete_statement

KEY_BYTES = 32
# SQLCipher's page settings, the same at every opening (they are not stored in the file):
# 16 KiB pages and HMAC-SHA256 check a 2.4 GB database as fast as a plain one (quick_check
# 12 s instead of 42 s with the defaults), which the start-up check and every backup's
# verification wait for. AES-256 and the per-page HMAC stay.
# pages kept decrypted in memory per connection (negative: KiB): 32 MiB instead of SQLite's
# 2 MiB spares re-reading and re-decrypting the pages a search or an import visits again
CACHE_KIB = -32768
CIPHER_SETTINGS = ("cipher_page_size = 16384", "cipher_hmac_algorithm = HMAC_SHA256")

__all__ = [
    "BUSY_TIMEOUT_MS",
    "Connection",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "OperationalError",
    "ProgrammingError",
    "backup",
    "complete_statement",
    "connect",
    "encrypt_copy",
    "is_encrypted_file",
    "translate_error",
    "translating",
]

# how long a statement waits for another connection's lock before failing with "locked"
BUSY_TIMEOUT_MS = 10_000

# SQLite primary result codes (the low byte of an extended code), from sqlite3.h
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN = 3, 5, 6, 8, 10, 11, 13, 14
_CONSTRAINT, _NOTADB = 19, 26
_CONSTRAINT_FOREIGNKEY = 787

# sqlite3_errstr() texts, for a binding whose exceptions carry no result code
_TEXT_CODES = (
    ("database is locked", _BUSY),
    ("database table is locked", _LOCKED),
    ("readonly database", _READONLY),
    ("disk i/o error", _IOERR),
    ("database disk image is malformed", _CORRUPT),
    ("database or disk is full", _FULL),
    ("unable to open database file", _CANTOPEN),
    ("file is not a database", _NOTADB),
    ("foreign key constraint failed", _CONSTRAINT_FOREIGNKEY),
)


def connect(
    path: Path | str, key: bytes | None = None, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> Connection:
    """Open ``path`` in autocommit mode with the app's settings.

    WAL journal, ``synchronous=FULL`` (a committed consultation survives a power cut),
    foreign keys on, and a busy timeout so a short lock by another connection is waited
    for. The schema is read at once, so a damaged file or a file that is not a database
    fails here with a Spanish :class:`~oma_desktop.core.errors.StoreError` instead of at
    the first query. The connection may be handed to another thread (one thread at a time).
    """
    with translating(path):
        conn: Connection = _dbapi.connect(
            str(path),
            isolation_level=None,
            check_same_thread=False,
            timeout=busy_timeout_ms / 1000,
        )
        try:
            _apply_key(conn, key)
            conn_id = id(conn)
            conn.create_function("oma_redacting", 0, lambda: int(conn_id in _redacting))
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute(f"PRAGMA cache_size = {CACHE_KIB}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except BaseException:
            conn.close()
            raise
    return conn


# connections (by id) inside ``redacting``: the only moment the change log may be rewritten
_redacting: set[int] = set()


@contextmanager
def redacting(conn: Connection) -> Iterator[None]:
    """Inside this block ``conn``'s ``oma_redacting()`` is 1, so the change-log trigger lets
    a redaction overwrite the fields of existing operations (``core.oplog.redact_history``)."""
    _redacting.add(id(conn))
    try:
        yield
    finally:
        _redacting.discard(id(conn))


def _apply_key(conn: Connection, key: bytes | None) -> None:
    """``PRAGMA key`` must be the first statement on an encrypted database's connection."""
    if key is None:
        return
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise EncryptionUnavailableError(_("The database key is not valid."))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    for pragma in CIPHER_SETTINGS:
        conn.execute(f"PRAGMA {pragma}")


def backup(conn: Connection, target: Path | str, key: bytes | None = None) -> Path:
    """Copy the open database ``conn`` to ``target`` with SQLite's online backup API.

    Consistent even while others write. ``key`` is the source's key: the copy is encrypted
    with the same key (SQLCipher copies pages only between databases with the same key),
    so a backup is never less protected than the database. The copy is written beside the
    target as ``<name>.part``, flushed to disk and renamed only when complete, so a failed
    backup (a full disk) never leaves a file that looks like a good one. Expected failures
    become Spanish errors.
    """
    def copy(partial: Path) -> None:
        dest = _dbapi.connect(str(partial))
        try:
            _apply_key(dest, key)
            conn.backup(dest)
        finally:
            dest.close()

    return _write_whole(Path(target), copy)


def _write_whole(target: Path, write: Callable[[Path], None]) -> Path:
    """Have ``write`` make the file at ``<target>.part``, flush it and rename it to
    ``target``: a failure (a full disk, a killed process) never leaves a file under the
    final name, and a ``.part`` left by an earlier attempt is replaced. Expected failures
    become Spanish errors."""
    partial = target.with_name(target.name + ".part")
    with translating(target):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial.unlink(missing_ok=True)
            write(partial)
            _fsync(partial)
            os.replace(partial, target)
            _fsync_dir(target.parent)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return target


def encrypt_copy(plain: Path | str, target: Path | str, key: bytes) -> Path:
    """Write an encrypted copy of the plain database file ``plain`` to ``target`` (which
    must not exist), with SQLCipher's ``sqlcipher_export``: every table, index, trigger and
    the schema version. The copy is written as ``<name>.part`` and renamed when complete."""
    source = Path(plain)

    def export(partial: Path) -> None:
        conn = _dbapi.connect(str(source), isolation_level=None)
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            for pragma in CIPHER_SETTINGS:  # for the database attached next
                conn.execute(f"PRAGMA cipher_default_{pragma.removeprefix('cipher_')}")
            conn.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}'\"",
                         [str(partial)])
            conn.execute("SELECT sqlcipher_export('encrypted')")
            conn.execute(f"PRAGMA encrypted.user_version = {version}")
            conn.execute("DETACH DATABASE encrypted")
        finally:
            conn.close()

    return _write_whole(Path(target), export)


def is_encrypted_file(path: Path | str) -> bool:
    """True when ``path`` exists and is not a plain SQLite file (an encrypted one has no
    readable header)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        return False
    return len(head) == 16 and head != b"SQLite format 3\x00"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # Windows cannot open a folder to flush it; NTFS journals renames
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def translating(path: Path | str) -> Iterator[None]:
    """Inside this block, expected database conditions are raised as Spanish errors.

    ``path`` is the database (or backup) file the block works on. Other exceptions, and
    database errors that are bugs (a syntax error, a unique key the code should have
    checked), propagate unchanged.
    """
    try:
        yield
    except (Error, OSError, UnicodeDecodeError) as exc:
        translated = translate_error(exc, path)
        if translated is None:
            raise
        raise translated from exc


def error_code(exc: BaseException) -> int | None:
    """SQLite's extended result code of ``exc`` (None for anything else)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code != _CONSTRAINT:
        return code
    if isinstance(exc, Error):
        text = str(exc).lower()
        for fragment, value in _TEXT_CODES:
            if fragment in text:
                return value
    # sqlcipher3 reports primary codes only: a constraint is told apart by its text above
    return code if isinstance(code, int) else None


def translate_error(exc: BaseException, path: Path | str) -> OmaError | None:
    """The Spanish error for an expected database condition, or None for a bug.

    ``path`` is the database (or backup) file concerned; it appears in the messages so
    the clerk or technician knows which file is meant. :func:`translating` applies it
    around a block. A full disk says to free space — never to restore a backup, which would not help
    and could lose the day's work.
    """
    if isinstance(exc, OmaError):
        return exc
    path = Path(path)
    if isinstance(exc, OSError) and not isinstance(exc, Error):
        return _translate_os_error(exc, path)
    # SQLite's message about a damaged schema can quote the damaged bytes, which the
    # binding then fails to decode: the file is damaged all the same
    code = _CORRUPT if isinstance(exc, UnicodeDecodeError) else error_code(exc)
    if code is None:
        return None
    if code == _CONSTRAINT_FOREIGNKEY:
        return MissingRelatedRecordError(
            _(
                "The change refers to a record that does not exist (it may have been "
                "removed, or not received yet from another casa), so nothing was saved. "
                "Reload the screen and try again; if it happens again, call technical support."
            )
        )
    primary = code & 0xFF
    if primary in (_BUSY, _LOCKED):
        return DatabaseLockedError(
            _(
                "Another program is using the database {path} (another OMA Desktop window, "
                "or a backup or copy program). Close that program or wait a moment, then "
                "try again."
            ).format(path=path)
        )
    if primary in (_READONLY, _PERM):
        return _read_only(path)
    if primary == _FULL:
        return _disk_full(path)
    if primary in (_CORRUPT, _NOTADB):
        return DamagedDatabaseError(
            _(
                "The file {path} is damaged or is not an OMA Desktop database. If it is the "
                "right file, close OMA Desktop and restore the latest backup with the backup "
                "assistant; otherwise choose the right data folder."
            ).format(path=path)
        )
    if primary == _CANTOPEN:
        if path.parent.is_dir() and not os.access(path.parent, os.W_OK):
            # WAL needs to create its -wal and -shm files beside the database
            return _read_only(path)
        return CannotOpenDatabaseError(
            _(
                "The database {path} cannot be opened: its folder does not exist or cannot "
                "be reached. Check that the folder (or the USB drive that holds it) is "
                "there, or choose another data folder."
            ).format(path=path)
        )
    if primary == _IOERR:
        return DiskIOError(
            _(
                "The disk could not be read or written while using {path}. Check that the "
                "disk or USB drive is connected and working, then try again."
            ).format(path=path)
        )
    return None


def _translate_os_error(exc: OSError, path: Path) -> OmaError | None:
    if exc.errno == errno.ENOSPC:
        return _disk_full(path)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return _read_only(path)
    return None


def _disk_full(path: Path) -> DiskFullError:
    return DiskFullError(
        _(
            "The disk that holds {folder} is full, so the last change could not be saved. "
            "Free space on that disk (empty the recycle bin, move old exports to another "
            "drive) and try again."
        ).format(folder=path.parent)
    )


def _read_only(path: Path) -> ReadOnlyError:
    return ReadOnlyError(
        _(
            "The database {path} cannot be written: the file or its folder is read-only. "
            "Check the folder's permissions or choose a data folder you can write to."
        ).format(path=path)
    )
