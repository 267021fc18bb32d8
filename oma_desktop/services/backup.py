"""Backups and restore (issue #9.6): copies made with SQLite's online backup API, each one
verified, named by date, time and reason, rotated; and putting one back in place.

- :func:`make_backup` copies the open database (``driver.backup``: never a file copy, so
  the copy is consistent while others write, and encrypted with the same key), opens the
  copy and runs ``PRAGMA integrity_check``; a copy that fails is deleted and a Spanish
  error raised. Beside each copy a small ``.json`` note keeps its reason, date, size and
  SHA-256, so a copy damaged later on disk is listed as not verified.
- Names: ``oma-AAAAMMDD-HHMMSS-<motivo>.sqlite3`` in the data folder's ``backups/`` (or the
  folder set with :func:`set_backup_folder`). The copies the store makes before a migration
  (``oma-v<N>-AAAAMMDD-HHMMSS.sqlite3``) are listed and rotated with them.
- :func:`rotate` keeps the last 7 daily copies, the newest of each of the last 4 weeks and
  12 months, and the last 10 others (before an import, a migration, a restore, manual);
  the newest good copy is never deleted.
- :func:`daily_backup_if_due` makes the day's copy once per calendar day.
- :func:`restore` puts a copy back: only with the data folder locked by this program and no
  session open on the database; it copies the chosen file through the backup API into a
  temporary file beside the database, verifies it, keeps a copy of the current database
  («antes de restaurar») unless that one cannot be read (then the damaged file is kept aside
  under another name), removes the stale ``-wal``/``-shm`` and renames the copy into place.

The key (``AppContext.key``) travels to every driver call: backups of an encrypted database
are encrypted with its key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from oma_desktop import __version__
from oma_desktop.core import driver
from oma_desktop.core.errors import (
    DamagedDatabaseError,
    OmaError,
    SchemaTooNewError,
    StoreError,
)
from oma_desktop.core.folder_lock import FolderLock
from oma_desktop.core.migrations import latest_version
from oma_desktop.i18n import N_, _, format_datetime, format_number, ngettext
from oma_desktop.paths import DATABASE_NAME, DataPaths
from oma_desktop.services import audit, permissions
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session

log = logging.getLogger(__name__)

Key = bytes | None
ProgressFn = Callable[[int, int, str], None]

# local setting (meta, never synchronised): another folder for the backups
FOLDER_SETTING = "backup_dir"

KEEP_DAILY = 7
KEEP_WEEKLY = 4
KEEP_MONTHLY = 12
KEEP_EVENTS = 10

SUFFIX = ".sqlite3"
NOTE_SUFFIX = ".json"
RESTORE_TEMP = DATABASE_NAME + ".restaurando"
_STAMP = "%Y%m%d-%H%M%S"
_NAME = re.compile(r"^oma-(?P<stamp>\d{8}-\d{6})-(?P<reason>[a-z-]+?)(?:-(?P<n>\d+))?\.sqlite3$")
# the copy made before a plain database is encrypted (services/accounts.py)
_REASON_FIRST_NAME = re.compile(r"^oma-(?P<reason>[a-z-]+?)-(?P<stamp>\d{8}-\d{6})\.sqlite3$")
_MIGRATION_NAME = re.compile(r"^.+-v(?P<version>\d+)-(?P<stamp>\d{8}-\d{6})\.sqlite3$")


class Reason(enum.Enum):
    """Why a copy was made; the value is the Spanish word in the file name."""

    DAILY = "diaria"
    BEFORE_IMPORT = "antes-de-importar"
    BEFORE_MIGRATION = "antes-de-migrar"
    MANUAL = "manual"
    BEFORE_RESTORE = "antes-de-restaurar"
    BEFORE_ENCRYPTION = "antes-de-cifrar"

    @property
    def label(self) -> str:
        return _(_REASON_LABELS[self])


_REASON_LABELS = {
    Reason.DAILY: N_("daily"),
    Reason.BEFORE_IMPORT: N_("before importing"),
    Reason.BEFORE_MIGRATION: N_("before updating the program"),
    Reason.MANUAL: N_("made by hand"),
    Reason.BEFORE_RESTORE: N_("before restoring"),
    Reason.BEFORE_ENCRYPTION: N_("before encrypting the database"),
}


@dataclass(frozen=True)
class BackupInfo:
    """One backup file as listed for the clerk."""

    path: Path
    created: dt.datetime
    reason: Reason
    size: int
    # True: the copy passed integrity_check when made and is unchanged since (SHA-256);
    # False: it changed or failed; None: no note (a copy made elsewhere): checked on restore
    verified: bool | None
    # the file's modification time: orders copies made within the same second
    modified: float = field(default=0.0, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.path.name

    def describe(self) -> str:
        """«02/12/2026 09:14 — diaria», for lists and confirmations."""
        return _("{date} — {reason}").format(date=format_datetime(self.created),
                                              reason=self.reason.label)


@dataclass(frozen=True)
class RestoreReport:
    restored: Path
    backup_created: dt.datetime | None
    # the copy of the database as it was before the restore, or None if it could not be read
    safety_copy: Path | None
    # where the unreadable database was kept aside (None if a safety copy was made)
    damaged_kept: Path | None
    schema_version: int
    persons: int

    def summary_lines(self) -> list[str]:
        lines = [_("The database was restored from {file}.").format(file=self.restored.name)]
        if self.safety_copy is not None:
            lines.append(_("The database as it was before is kept in {file}.").format(
                file=self.safety_copy))
        if self.damaged_kept is not None:
            lines.append(_("The damaged database could not be copied; it was kept aside as "
                           "{file} for technical support.").format(file=self.damaged_kept))
        lines.append(ngettext(
            "The restored database passed the integrity check and holds {n} person.",
            "The restored database passed the integrity check and holds {n} persons.",
            self.persons).format(n=format_number(self.persons)))
        return lines


class BackupError(OmaError):
    """A backup could not be made, verified or restored."""


# --------------------------------------------------------------------------- folders


def data_paths(session: Session) -> DataPaths:
    """The data folder of the database ``session`` is connected to."""
    return DataPaths(session.store.path.parent)


def backup_folder(session: Session) -> Path:
    """Where new copies go: the folder set in Administración, or the data folder's ``backups/``."""
    configured = session.store.meta(FOLDER_SETTING)
    return Path(configured) if configured else data_paths(session).backups


def set_backup_folder(session: Session, folder: Path | str | None) -> Path:
    """Keep future copies in ``folder`` (None: back to the data folder's ``backups/``).

    The folder must exist or be creatable and writable; refused in Spanish otherwise."""
    session.require(Permission.BACKUP)
    if folder is None or str(folder).strip() == "":
        with session.transaction():
            session.store.delete_meta(FOLDER_SETTING)
        return data_paths(session).backups
    target = Path(folder).expanduser().resolve()
    _check_writable_folder(target)
    with session.transaction():
        session.store.set_meta(FOLDER_SETTING, str(target))
    return target


def _check_writable_folder(folder: Path) -> None:
    probe = folder / ".oma-prueba-escritura"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
        raise BackupError(_("Backups cannot be written in the folder {folder}: it does not "
                            "exist, is read-only or its disk is full. Choose another folder "
                            "(for example, a folder on the PC's disk).").format(
                                folder=folder)) from exc


def known_folders(paths: DataPaths, session: Session | None = None, *, key: Key = None) -> list[Path]:
    """The folders that may hold this data folder's backups (default first, no repeats).

    Without a session the configured folder is read from the database file with ``key``
    (skipped if the file cannot be read: a damaged database still lists its ``backups/``)."""
    folders = [paths.backups]
    configured = backup_folder(session) if session is not None else (
        _configured_folder_offline(paths, key))
    if configured is not None and configured not in folders:
        folders.append(configured)
    return folders


def _configured_folder_offline(paths: DataPaths, key: Key) -> Path | None:
    """The configured backup folder read straight from the database (which may be damaged)."""
    if not paths.database.exists():
        return None
    try:
        conn = driver.connect(paths.database, key)
    except (OmaError, driver.Error):
        return None
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", [FOLDER_SETTING]).fetchone()
    except driver.Error:
        return None
    finally:
        conn.close()
    return Path(str(row[0])) if row and row[0] else None


# --------------------------------------------------------------------------- making copies


def _copy(conn: driver.Connection, target: Path, key: Key) -> Path:
    """Copy through the driver's backup API, encrypted with the database key."""
    return driver.backup(conn, target, key=key)


def _new_name(folder: Path, when: dt.datetime, reason: Reason) -> Path:
    """A free name, reserved by creating its (empty) note exclusively: two backups made in
    the same second, even by two programs, never write to the same file."""
    base = f"oma-{when.strftime(_STAMP)}-{reason.value}"
    with driver.translating(folder / f"{base}{SUFFIX}"):
        folder.mkdir(parents=True, exist_ok=True)
        n = 1
        while True:
            target = folder / (f"{base}{SUFFIX}" if n == 1 else f"{base}-{n}{SUFFIX}")
            n += 1
            if target.exists():
                continue
            try:
                _note_path(target).open("x").close()
            except FileExistsError:
                continue
            return target


def _note_path(backup: Path) -> Path:
    return backup.with_suffix(NOTE_SUFFIX)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def integrity_problems(path: Path, key: Key) -> list[str]:
    """``PRAGMA integrity_check`` of the file at ``path`` opened with ``key``: [] if sound."""
    try:
        conn = driver.connect(path, key)
    except (StoreError, driver.Error) as exc:
        return [str(exc)]
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check(20)")]
    except driver.Error as exc:
        rows = [str(exc)]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def make_backup(
    source: Session | AppContext,
    reason: Reason,
    *,
    folder: Path | None = None,
    now: dt.datetime | None = None,
    rotate_after: bool = True,
) -> BackupInfo:
    """Copy the open database into the backup folder and verify the copy.

    ``source`` is the app's context (its GUI-thread session) or a session (a background
    job's); the copy is encrypted with the database's key (``AppContext.key``, which every
    session's store carries). ``folder`` overrides the configured
    backup folder (``oma-desktop backup --out``). A copy that fails its integrity check is
    deleted and :class:`BackupError` raised; a full disk or a read-only folder raise the
    driver's Spanish errors and leave no file behind. Old copies are rotated afterwards.
    """
    session = source.session if isinstance(source, AppContext) else source
    if reason is Reason.MANUAL:  # the automatic ones are made whoever is signed in
        session.require(Permission.BACKUP)
    key = session.store.key
    when = (now or dt.datetime.now()).replace(microsecond=0)
    target_folder = Path(folder) if folder is not None else backup_folder(session)
    target = _new_name(target_folder, when, reason)
    try:
        _copy(session.store.conn, target, key)
    except BaseException:
        _note_path(target).unlink(missing_ok=True)
        raise
    size = _verify_and_note(target, key, reason, when, session.store.schema_version)
    log.info("backup %s written (%d bytes)", target.name, size)
    if key is not None:
        keep_key_file(data_paths(session), target_folder)
    info = BackupInfo(target, when, reason, size, True)
    if reason is Reason.MANUAL:  # a person copied the whole database: audited (issue #9.4)
        audit.record_unless_held(session, "backup", detail=f"{target.name} ({reason.label})")
    if rotate_after:
        rotate(target_folder, now=when)
    return info


def keep_key_file(paths: DataPaths, folder: Path) -> Path | None:
    """Keep a copy of the data folder's key file (``keys.json``) beside its backups, so an
    encrypted backup can be opened even when the data folder is lost. The file holds no key
    in clear (each account's copy is wrapped under its password, the recovery copy sealed to
    headquarters). Written whole or not at all; a failure is logged, not raised: the backup
    itself is good. Returns the copy, or None when there is nothing to copy."""
    from oma_desktop.services.accounts import KEYRING_NAME, keyring_path

    source = keyring_path(paths)
    if not source.is_file():
        return None
    target = folder / KEYRING_NAME
    try:
        if target.resolve() == source.resolve():
            return None
        data = source.read_bytes()
        if target.is_file() and target.read_bytes() == data:
            return target
        temp = folder / f".{KEYRING_NAME}.tmp"
        with temp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, target)
    except OSError as exc:
        log.warning("the key file could not be copied beside the backups: %s", exc)
        return None
    return target


def _verify_and_note(target: Path, key: Key, reason: Reason, when: dt.datetime,
                     schema_version: int | None) -> int:
    """Check the fresh copy ``target`` and write its note; returns its size. A copy that
    fails is deleted (with its note) and :class:`BackupError` raised."""
    note = _note_path(target)
    try:
        problems = integrity_problems(target, key)
        if problems:
            log.error("backup %s failed its integrity check", target.name)
            raise BackupError(_(
                "The backup could not be verified: the copy is damaged ({problems}), so it "
                "was deleted. The database itself may be damaged: run the check in "
                "Administración or call technical support.").format(
                    problems="; ".join(problems[:3])))
        size = target.stat().st_size
        with driver.translating(note):
            _write_note(note, {
                "reason": reason.value,
                "created": when.isoformat(),
                "size": size,
                "sha256": _sha256(target),
                "verified": True,
                "schema_version": schema_version,
                "app_version": __version__,
            })
    except BaseException:
        target.unlink(missing_ok=True)
        note.unlink(missing_ok=True)
        raise
    return size


def _write_note(note: Path, data: dict[str, object]) -> None:
    partial = note.with_name(note.name + ".part")
    try:
        with open(partial, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, note)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def verify_backup(path: Path, key: Key) -> bool:
    """Check the backup file ``path`` with ``key`` now and record the result in its note
    (for a copy made or rewritten elsewhere: the one before a migration, or a plain copy
    encrypted when the database was); True if it is sound."""
    parsed = _parse_name(path.name)
    reason, created = (parsed[1], parsed[0]) if parsed else (Reason.MANUAL, dt.datetime.now())
    good = not integrity_problems(path, key)
    size = path.stat().st_size
    with driver.translating(_note_path(path)):
        _write_note(_note_path(path), {
            "reason": reason.value, "created": created.isoformat(), "size": size,
            "sha256": _sha256(path), "verified": good, "app_version": __version__,
        })
    return good


def daily_backup_if_due(session: Session, *, now: dt.datetime | None = None) -> BackupInfo | None:
    """Make the day's backup unless there is already one of today's date; the new copy, or
    None when none was due. Called at start-up and by a timer (both off the GUI thread).

    Nothing is copied while writes are held (the start-up check has not passed yet, or
    found the file damaged): a damaged database would not pass the copy's check anyway."""
    if session.store.writes_held is not None:
        return None
    when = now or dt.datetime.now()
    folder = backup_folder(session)
    for info in _scan(folder, hashing=False):
        if info.reason is Reason.DAILY and info.created.date() == when.date() and info.verified:
            return None
    return make_backup(session, Reason.DAILY, now=when)


# --------------------------------------------------------------------------- listing


def list_backups(
    folders: Iterable[Path] | DataPaths | Session, *, key: Key = None
) -> list[BackupInfo]:
    """Every backup in the given folders (a data folder's known folders, or a session's),
    newest first, each checked against its note (size and SHA-256: reads every file).
    ``key`` opens the database of a :class:`DataPaths` to find the configured folder."""
    if isinstance(folders, Session):
        folders = known_folders(data_paths(folders), folders)
    elif isinstance(folders, DataPaths):
        folders = known_folders(folders, key=key)
    found: dict[Path, BackupInfo] = {}
    for folder in folders:
        for info in _scan(Path(folder), hashing=True):
            found[info.path.resolve()] = info
    return sorted(found.values(), key=_newest_first)


def _newest_first(info: BackupInfo) -> tuple[float, float, str]:
    return (-info.created.timestamp(), -info.modified, info.name)


def _scan(folder: Path, *, hashing: bool) -> list[BackupInfo]:
    if not folder.is_dir():
        return []
    result = []
    for path in folder.iterdir():
        parsed = _parse_name(path.name)
        if parsed is None or not path.is_file():
            continue
        created, reason = parsed
        stat = path.stat()
        result.append(BackupInfo(path, created, reason, stat.st_size,
                                 _verified(path, stat.st_size, hashing), stat.st_mtime))
    return result


def _parse_name(name: str) -> tuple[dt.datetime, Reason] | None:
    match = _NAME.match(name)
    if match:
        try:
            reason = Reason(match["reason"])
        except ValueError:
            return None
        return dt.datetime.strptime(match["stamp"], _STAMP), reason
    match = _REASON_FIRST_NAME.match(name)
    if match and match["reason"] == Reason.BEFORE_ENCRYPTION.value:
        return dt.datetime.strptime(match["stamp"], _STAMP), Reason.BEFORE_ENCRYPTION
    match = _MIGRATION_NAME.match(name)
    if match:
        return dt.datetime.strptime(match["stamp"], _STAMP), Reason.BEFORE_MIGRATION
    return None


def _read_note(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(_note_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _verified(path: Path, size: int, hashing: bool) -> bool | None:
    note = _read_note(path)
    if note is None:
        return None
    if note.get("verified") is not True or note.get("size") != size:
        return False
    if hashing:
        try:
            return note.get("sha256") == _sha256(path)
        except OSError:
            return False
    return True


# --------------------------------------------------------------------------- rotation


def rotate(folder: Path, *, now: dt.datetime | None = None) -> list[Path]:
    """Delete the copies the policy no longer keeps; returns the deleted files."""
    backups = sorted(_scan(folder, hashing=False), key=_newest_first)
    keep = kept_by_policy(backups)
    good = [b for b in backups if b.verified]
    if good:
        keep.add(good[0].path)  # the newest good copy is never deleted
    deleted = []
    for info in backups:
        if info.path in keep:
            continue
        try:
            info.path.unlink()
            _note_path(info.path).unlink(missing_ok=True)
        except OSError as exc:  # a copy held open elsewhere: tried again next time
            log.warning("could not delete old backup %s: %s", info.name, type(exc).__name__)
            continue
        deleted.append(info.path)
    _remove_orphan_notes(folder, now or dt.datetime.now())
    if deleted:
        log.info("rotation deleted %d old backups", len(deleted))
    return deleted


def _remove_orphan_notes(folder: Path, now: dt.datetime) -> None:
    """Notes left without their copy (a backup killed after reserving its name), and
    partial copies (``.part`` and its journal: a backup killed while copying); a day old at
    least, so the reservation or copy of a backup being made right now is left alone."""
    for partial in folder.glob("oma-*.part*"):
        try:
            if now.timestamp() - partial.stat().st_mtime > 86_400:
                partial.unlink()
        except OSError:
            continue
    for note in folder.glob(f"oma-*{NOTE_SUFFIX}"):
        try:
            if note.with_suffix(SUFFIX).exists():
                continue
            if now.timestamp() - note.stat().st_mtime > 86_400:
                note.unlink()
        except OSError:
            continue


def kept_by_policy(newest_first: list[BackupInfo]) -> set[Path]:
    """The paths kept: 7 days, 4 ISO weeks and 12 months of daily copies (the newest copy
    of each), and the 10 newest other copies."""
    daily = [b for b in newest_first if b.reason is Reason.DAILY]
    events = [b for b in newest_first if b.reason is not Reason.DAILY]
    keep = {b.path for b in events[:KEEP_EVENTS]}
    for period, count in (
        (lambda d: d.date(), KEEP_DAILY),
        (lambda d: d.isocalendar()[:2], KEEP_WEEKLY),
        (lambda d: (d.year, d.month), KEEP_MONTHLY),
    ):
        seen: list[object] = []
        for info in daily:
            key = period(info.created)
            if key in seen:
                continue
            if len(seen) == count:
                break
            seen.append(key)
            keep.add(info.path)
    return keep


# --------------------------------------------------------------------------- restore


def restore(
    backup: Path | BackupInfo,
    paths: DataPaths,
    key: Key,
    *,
    lock: FolderLock | None = None,
    role: str | None = None,
    progress: ProgressFn | None = None,
    now: dt.datetime | None = None,
) -> RestoreReport:
    """Put ``backup`` in place of the data folder's database.

    Only with the folder locked by this program (``lock``, held; without it the folder is
    locked here for the duration) and no session open on the database — the caller
    closes its context first. The current database is copied first («antes de
    restaurar») unless it cannot be read; a damaged database can always be replaced.
    Nothing changes if the chosen copy fails its check. ``role`` is the acting account's
    role (restoring needs ``Permission.RESTORE``); there is no session to take it from,
    since the database is closed (and may be damaged).
    """
    if role is not None:
        permissions.require(role, Permission.RESTORE)
    source = backup.path if isinstance(backup, BackupInfo) else Path(backup)
    report: ProgressFn = progress or (lambda _d, _t, _l: None)
    own_lock = lock is None
    if lock is None:
        lock = FolderLock(paths.root, _("the restore assistant")).acquire()
    elif not lock.held or lock.path.parent.resolve() != paths.root.resolve():
        raise BackupError(_("The data folder {folder} must be locked by this program to "
                            "restore a backup. Close the other programs and try again.").format(
                                folder=paths.root))
    try:
        return _restore_locked(source, paths, key, report, now)
    finally:
        if own_lock:
            lock.release()


def _restore_locked(
    source: Path, paths: DataPaths, key: Key, report: ProgressFn, now: dt.datetime | None
) -> RestoreReport:
    if not source.is_file():
        raise BackupError(_("The backup {file} does not exist. Choose another one.").format(
            file=source))
    live = paths.database
    temp = live.with_name(RESTORE_TEMP)
    _remove_database_files(temp)
    report(1, 5, _("Copying the backup…"))
    try:
        conn = driver.connect(source, key)
    except DamagedDatabaseError as exc:
        raise BackupError(_("The backup {file} is damaged and cannot be restored. Choose "
                            "another one.").format(file=source.name)) from exc
    try:
        _copy(conn, temp, key)
    except (DamagedDatabaseError, driver.DatabaseError) as exc:
        _remove_database_files(temp)
        raise BackupError(_("The backup {file} is damaged and cannot be restored. Choose "
                            "another one.").format(file=source.name)) from exc
    finally:
        conn.close()
    try:
        report(2, 5, _("Checking the copy…"))
        problems = integrity_problems(temp, key)
        if problems:
            raise BackupError(_("The backup {file} is damaged ({problems}) and cannot be "
                                "restored. Choose another one; nothing was changed.").format(
                                    file=source.name, problems="; ".join(problems[:3])))
        version = _schema_version(temp, key)
        if version > latest_version():
            raise SchemaTooNewError(_(
                "The backup {file} was made by a newer version of OMA Desktop (schema "
                "{found}). Install that version to restore it; nothing was changed.").format(
                    file=source.name, found=version))
        report(3, 5, _("Copying the current database…"))
        safety, damaged = _safety_copy(paths, key, now)
        report(4, 5, _("Putting the backup in place…"))
        with driver.translating(live):
            for side in ("-wal", "-shm", "-journal"):
                live.with_name(live.name + side).unlink(missing_ok=True)
            os.replace(temp, live)
            _fsync_folder(live.parent)
    except BaseException:
        _remove_database_files(temp)
        raise
    report(5, 5, _("Checking the restored database…"))
    problems = integrity_problems(live, key)
    if problems:  # pragma: no cover - the same bytes just passed the same check
        raise BackupError(_("The restored database did not pass the check ({problems}). "
                            "Call technical support.").format(problems="; ".join(problems)))
    persons = _count_persons(live, key)
    parsed = _parse_name(source.name)
    log.info("restored the database from backup %s", source.name)
    return RestoreReport(restored=source, backup_created=parsed[0] if parsed else None,
                         safety_copy=safety, damaged_kept=damaged, schema_version=version,
                         persons=persons)


def _safety_copy(paths: DataPaths, key: Key, now: dt.datetime | None) -> tuple[Path | None,
                                                                              Path | None]:
    """Back the current database up before it is replaced; if it cannot be read, move it
    (with its -wal) aside under another name instead. Returns (copy, kept aside)."""
    live = paths.database
    if not live.exists():
        return None, None
    when = (now or dt.datetime.now()).replace(microsecond=0)
    folder = _configured_folder_offline(paths, key) or paths.backups
    try:
        conn = driver.connect(live, key)
    except (DamagedDatabaseError, driver.DatabaseError):
        conn = None
    if conn is not None:
        target = _new_name(folder, when, Reason.BEFORE_RESTORE)
        try:
            _copy(conn, target, key)
        except (DamagedDatabaseError, driver.DatabaseError):  # damaged beyond copying
            _note_path(target).unlink(missing_ok=True)
        except BaseException:
            _note_path(target).unlink(missing_ok=True)
            raise
        else:
            try:
                _verify_and_note(target, key, Reason.BEFORE_RESTORE, when, None)
            except BackupError:
                pass  # the current database is damaged: kept aside below
            else:
                rotate(folder, now=when)
                return target, None
        finally:
            conn.close()
    aside = live.with_name(f"oma-danada-{when.strftime(_STAMP)}{SUFFIX}")
    with driver.translating(live):
        for side in ("-wal", ""):  # the WAL first: never a database left with a stranger's WAL
            current = live.with_name(live.name + side)
            if current.exists():
                os.replace(current, aside.with_name(aside.name + side))
    log.warning("the damaged database was kept aside as %s", aside.name)
    return None, aside


def _schema_version(path: Path, key: Key) -> int:
    conn = driver.connect(path, key)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _count_persons(path: Path, key: Key) -> int:
    conn = driver.connect(path, key)
    try:
        return int(conn.execute("SELECT count(*) FROM person").fetchone()[0])
    except driver.OperationalError:  # a backup from before persons existed
        return 0
    finally:
        conn.close()


def _remove_database_files(path: Path) -> None:
    for side in ("", "-wal", "-shm", "-journal", ".part"):
        path.with_name(path.name + side).unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (a power cut right after must not bring the old file back)."""
    if os.name != "posix":  # pragma: no cover - Windows renames are durable on NTFS
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
