"""The first start of OMA Desktop on a PC (issue #12): what the first-run assistant
(``ui/primer_inicio``) asks, checks and makes. Qt-free.

A new data folder gets, all at once: its identity (the casa the IT person chose, or
headquarters: never a casa by default), its first administrator account (the database is
encrypted from the start), the backup folder, and the sync keys (a casa is enrolled with
headquarters' key file, or headquarters' keys are made and its public key file written for
the casas). All or nothing: when a step fails, everything made before it is removed, so
the next attempt starts from the same empty folder.

Run again by an administrator on an existing folder (:func:`apply_to_existing`) the
assistant only changes the backup folder and (re)does the sync enrolment: the casa and
the mode of an installation never change here (``oma-desktop set-casa`` does that).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from oma_desktop.core.catalogs import Catalogs, load_catalogs
from oma_desktop.core.errors import OmaError, ValidationError
from oma_desktop.core.folder_lock import LOCK_NAME, FolderLock
from oma_desktop.core.keyring import PasswordRuleError, check_password_rules, normalize_username
from oma_desktop.i18n import _
from oma_desktop.paths import DATABASE_NAME, DataPaths, platform_data_dir, remember_data_dir
from oma_desktop.services.accounts import (
    KEYRING_NAME,
    Credentials,
    keyring_path,
    rename_account,
    username_problem,
)
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.installation import MODES

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]

MODE_CASA = "casa"
MODE_HQ = "hq"
PROBE_NAME = ".oma-prueba-escritura"


class FirstRunError(OmaError):
    """The first start could not be completed (Spanish; nothing was left behind)."""


@dataclass(frozen=True)
class FirstRunChoices:
    """Everything the assistant asks. Paths are absolute once chosen; ``backup_dir`` None
    keeps the backups in the data folder's ``backups``; ``key_out_dir`` None writes the
    key file beside headquarters' (a casa) or in the data folder's ``exports`` (HQ)."""

    mode: str = MODE_CASA
    casa: str = ""
    username: str = ""
    display_name: str = ""
    password: str = ""
    password_repeat: str = ""
    data_dir: Path | None = None
    backup_dir: Path | None = None
    # a casa: headquarters' key file (.omakey); None: «lo haré después» (Sincronización)
    hq_key_file: Path | None = None
    # where this installation's own public key file is written
    key_out_dir: Path | None = None

    @property
    def folder(self) -> Path:
        return self.data_dir if self.data_dir is not None else platform_data_dir()


# written before the assistant makes anything and removed once all is made: a first run cut
# off by a crash, a power cut or ``kill -9`` leaves it, and the next start runs the assistant
# again on the half-made folder (whose files it replaces) instead of a login nobody can pass
INCOMPLETE_MARKER = "primer-inicio-incompleto"


def needs_first_run(data_dir: Path | str) -> bool:
    """True when ``data_dir`` holds no database and no key file (nothing to log in to), or
    what an interrupted first run left there."""
    paths = DataPaths(Path(data_dir))
    if (paths.root / INCOMPLETE_MARKER).exists():
        return True
    return not paths.database.exists() and not keyring_path(paths).exists()


def default_key_out_dir(choices: FirstRunChoices) -> Path:
    """Where the installation's public key file goes when the assistant is not told."""
    if choices.key_out_dir is not None:
        return choices.key_out_dir
    if choices.mode == MODE_CASA and choices.hq_key_file is not None:
        return choices.hq_key_file.parent  # the casa's key goes back on the same stick
    return DataPaths(choices.folder).exports


# --- checking --------------------------------------------------------------------------------


def validate(choices: FirstRunChoices, catalogs: Catalogs | None = None) -> dict[str, str]:
    """Every problem of ``choices`` by field, in Spanish (empty: they can be applied).

    Fields: ``mode``, ``casa``, ``username``, ``display_name``, ``password``,
    ``password_repeat``, ``data_dir``, ``backup_dir``, ``hq_key_file``, ``key_out_dir``."""
    catalogs = catalogs or load_catalogs()
    errors: dict[str, str] = {}
    errors.update(validate_identity_choice(choices, catalogs))
    errors.update(validate_account(choices))
    errors.update(validate_folders(choices))
    errors.update(validate_sync(choices))
    return errors


def validate_identity_choice(choices: FirstRunChoices, catalogs: Catalogs) -> dict[str, str]:
    if choices.mode not in MODES:
        return {"mode": _("Choose whether this PC is a casa vecinal's or headquarters'.")}
    if choices.mode == MODE_CASA:
        codes = [c.code for c in catalogs.casas]
        if not choices.casa:
            return {"casa": _("Choose the casa vecinal this PC belongs to.")}
        if choices.casa not in codes:
            return {"casa": _("There is no casa «{code}». Choose one from the list.").format(
                code=choices.casa)}
    return {}


def validate_account(choices: FirstRunChoices) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = normalize_username(choices.username)
    if not name:
        errors["username"] = _("Write a user name, for example admin.")
    elif (problem := username_problem(name)) is not None:
        errors["username"] = problem
    if not choices.display_name.strip():
        errors["display_name"] = _("Write your name as it should appear on slips.")
    try:
        check_password_rules(choices.password, name)
    except PasswordRuleError as exc:
        errors["password"] = str(exc)
    else:
        if choices.password != choices.password_repeat:
            errors["password_repeat"] = _(
                "The two passwords are not the same. Write them again.")
    return errors


def _already_holds_data(folder: Path) -> str:
    return _("The folder {folder} already holds OMA Desktop data. Choose an empty folder, or"
             " close the assistant and open that folder to log in.").format(folder=folder)


def validate_folders(choices: FirstRunChoices) -> dict[str, str]:
    errors: dict[str, str] = {}
    folder = choices.folder
    if not folder.is_absolute():
        errors["data_dir"] = _("Choose a full folder path, for example C:\\OMA\\datos.")
    elif not needs_first_run(folder):
        errors["data_dir"] = _already_holds_data(folder)
    elif not _writable(folder):
        errors["data_dir"] = _(
            "The folder {folder} cannot be written (it is read-only, protected or its disk"
            " is full). Choose another folder on this PC's disk.").format(folder=folder)
    backup = choices.backup_dir
    if backup is not None:
        if not backup.is_absolute():
            errors["backup_dir"] = _(
                "Choose a full folder path for the backups, for example D:\\respaldos-oma.")
        elif not _writable(backup):
            errors["backup_dir"] = _(
                "Backups cannot be written in the folder {folder}: it does not exist, is"
                " read-only or its disk is full. Choose another folder (for example, a folder"
                " on the PC's disk).").format(folder=backup)
    return errors


def validate_sync(choices: FirstRunChoices) -> dict[str, str]:
    """The key file a casa gives, and the folder the own key file goes to."""
    from oma_desktop.services.sync import HQ_KEY_FILE, read_key_file

    errors: dict[str, str] = {}
    if choices.mode == MODE_CASA and choices.hq_key_file is not None:
        try:
            keys = read_key_file(choices.hq_key_file)
        except OmaError as exc:
            errors["hq_key_file"] = _(
                "This is not a valid key file: {reason} Choose the file {name} that"
                " headquarters gave you, or choose «I will do it later».").format(
                    reason=str(exc), name=HQ_KEY_FILE)
        else:
            if keys.role != "hq":
                errors["hq_key_file"] = _(
                    "That is a casa's key file, not headquarters'. Choose the file {name}"
                    " that headquarters gave you.").format(name=HQ_KEY_FILE)
    if choices.mode == MODE_HQ or choices.hq_key_file is not None:
        out = default_key_out_dir(choices)
        if choices.key_out_dir is not None and not out.is_absolute():
            errors["key_out_dir"] = _("Choose a full folder path for the key file.")
        elif choices.key_out_dir is not None and not _writable(out):
            errors["key_out_dir"] = _(
                "The key file cannot be written in {folder} (it is read-only or protected)."
                " Choose another folder or unlock the USB stick.").format(folder=out)
    return errors


def _writable(folder: Path) -> bool:
    """Whether ``folder`` (or the nearest existing folder above it) can be written,
    checked with a probe file that is removed; nothing is created."""
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            return False
        existing = existing.parent
    if not existing.is_dir():
        return False
    probe = existing / PROBE_NAME
    try:
        probe.write_bytes(b"ok")
    except OSError:
        return False
    with contextlib.suppress(OSError):
        probe.unlink()
    return True


# --- applying ---------------------------------------------------------------------------------


@dataclass
class _Made:
    """What apply_first_run created, to remove it if a later step fails."""

    folders: list[Path]
    files: list[Path]


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and its parents that do not exist yet (deepest last)."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current.parent != current:
        missing.append(current)
        current = current.parent
    return list(reversed(missing))


def apply_first_run(choices: FirstRunChoices, progress: Progress | None = None,
                    catalogs: Catalogs | None = None) -> AppContext:
    """Make the new installation described by ``choices`` and return it opened, logged in
    as its first administrator (the caller closes it).

    Raises :class:`ValidationError` (by field, nothing made) for bad choices, and
    :class:`OmaError` in Spanish when a step fails; then nothing of it is left behind."""
    catalogs = catalogs or load_catalogs()
    errors = validate(choices, catalogs)
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))
    paths = DataPaths(choices.folder)
    made = _Made(folders=_missing_folders(paths.root), files=[])
    for sub in (paths.backups, paths.exports, paths.logs):
        if not sub.exists() and sub not in made.folders:
            made.folders.append(sub)
    if choices.backup_dir is not None:
        made.folders += [f for f in _missing_folders(choices.backup_dir)
                         if f not in made.folders]
    out_dir = default_key_out_dir(choices)
    if choices.mode == MODE_HQ or choices.hq_key_file is not None:
        made.folders += [f for f in _missing_folders(out_dir) if f not in made.folders]
    steps = 4
    ctx: AppContext | None = None
    lock = FolderLock(paths.root, _("the setup assistant"))
    owner = False

    def step(done: int, label: str) -> None:
        if progress is not None:
            progress(done, steps, label)

    try:
        # the folder's lock first, held until the new installation is made: a second
        # assistant (or program) on the same folder is refused, and nothing below can
        # remove what another one made
        lock.acquire()
        if not needs_first_run(paths.root):  # made by another program since validate()
            raise FirstRunError(_already_holds_data(paths.root))
        marker = paths.root / INCOMPLETE_MARKER
        if marker.exists():
            _remove_installation_files(paths)  # what an interrupted first run left
        _write_marker(marker, [])
        owner = True  # from here on, what the folder's installation files hold is ours
        step(0, _("Creating the encrypted database and the administrator account…"))
        ctx = open_context(
            paths.root, casa=choices.casa if choices.mode == MODE_CASA else None,
            mode=choices.mode,
            credentials=Credentials(normalize_username(choices.username), choices.password),
            program=_("the setup assistant"), lock=lock)
        rename_account(ctx.session, ctx.user_id, choices.display_name)
        actor = replace(ctx.actor, display_name=" ".join(choices.display_name.split()))
        ctx.actor = ctx.session.actor = actor
        step(1, _("Setting the backup folder…"))
        if choices.backup_dir is not None:
            from oma_desktop.services.backup import set_backup_folder

            set_backup_folder(ctx.session, choices.backup_dir)
        step(2, _("Making the sync keys…"))
        if choices.mode == MODE_CASA and choices.hq_key_file is not None:
            # named in the marker before it is written: if this run is cut off, the next
            # one removes it from the stick (headquarters must not register a PC that was
            # never finished)
            from oma_desktop.services.sync import casa_key_file_name

            _write_marker(marker, [out_dir / casa_key_file_name(ctx.session)])
        key_file = _set_up_sync(ctx, choices, out_dir)
        if key_file is not None:
            made.files.append(key_file)
        step(3, _("Saving the data folder…"))
        if choices.data_dir is not None and choices.data_dir != platform_data_dir():
            remember_data_dir(choices.data_dir)
        marker.unlink()  # the installation is whole from here on
        step(4, _("Ready"))
    except BaseException as exc:
        # else another program holds the folder, or filled it: what it made stays
        held = owner
        if ctx is not None:
            with contextlib.suppress(Exception):
                ctx.close()  # (which releases the lock it took over, as a failed open does)
        if held:
            with contextlib.suppress(OmaError):
                lock.acquire()  # again, while undoing: nobody else may start meanwhile
            held = lock.held  # else it was taken meanwhile: the marker makes a redo
        if held:
            _undo(paths, made, lock)
        else:
            lock.release()
            _remove_folders(made, only_empty=True)
        log.warning("first run in %s failed%s: %s", paths.root,
                    " and was undone" if held else ", nothing of the folder touched", exc)
        if isinstance(exc, OSError):
            raise FirstRunError(_os_message(exc, paths.root)) from exc
        raise
    log.info("first run done in %s: mode %s, casa %s", paths.root, choices.mode,
             ctx.session.casa_id)
    return ctx


def _set_up_sync(ctx: AppContext, choices: FirstRunChoices, out_dir: Path) -> Path | None:
    """The sync keys the choices ask for; the public key file written (None: later)."""
    from oma_desktop.services.sync import setup_casa, setup_hq

    if choices.mode == MODE_HQ:
        return setup_hq(ctx.session, out_dir).path
    if choices.hq_key_file is not None:
        return setup_casa(ctx.session, choices.hq_key_file, out_dir, vault=ctx.vault).path
    return None


_INSTALLATION_FILES = (DATABASE_NAME, DATABASE_NAME + "-wal", DATABASE_NAME + "-shm",
                       DATABASE_NAME + "-journal", KEYRING_NAME, KEYRING_NAME + ".tmp",
                       "settings.ini")


def _write_marker(marker: Path, key_files: list[Path]) -> None:
    """The marker of a first run in progress, naming the public key files it is about to
    write outside the data folder (the JSON is for the next run; the text for a person)."""
    text = json.dumps({
        "aviso": "OMA Desktop: el asistente de primer inicio no terminó; se repetirá.",
        "key_files": [str(p) for p in key_files],
    }, ensure_ascii=False, indent=1)
    with open(marker, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _remove_installation_files(paths: DataPaths) -> None:
    """What an interrupted first run left (the caller holds the folder's lock): the
    database and key files, and the public key file it named in its marker (only a
    ``.omakey`` file: the marker is never trusted to name anything else)."""
    from oma_desktop.services.sync import KEY_SUFFIX

    try:
        named = json.loads((paths.root / INCOMPLETE_MARKER).read_text(encoding="utf-8"))
        key_files = [Path(p) for p in named.get("key_files", []) if isinstance(p, str)]
    except (OSError, ValueError, AttributeError):
        key_files = []  # cut off while the marker was being written: nothing was named
    for key_file in key_files:
        if key_file.suffix == KEY_SUFFIX and key_file.is_absolute():
            with contextlib.suppress(OSError):
                key_file.unlink(missing_ok=True)
    for name in _INSTALLATION_FILES:
        (paths.root / name).unlink(missing_ok=True)


def _undo(paths: DataPaths, made: _Made, lock: FolderLock) -> None:
    """Remove what a failed first run made: the database, the key file, the files and
    folders created (folders that existed before keep everything else they hold). Called
    holding the folder's ``lock``, which it releases before removing the lock file."""
    root = paths.root
    for name in (*_INSTALLATION_FILES, INCOMPLETE_MARKER):
        with contextlib.suppress(OSError):
            (root / name).unlink(missing_ok=True)
    for file in made.files:
        with contextlib.suppress(OSError):
            file.unlink(missing_ok=True)
    lock.release()
    with contextlib.suppress(OSError):
        (root / LOCK_NAME).unlink(missing_ok=True)
    _remove_folders(made)


def _remove_folders(made: _Made, *, only_empty: bool = False) -> None:
    """The folders a failed first run created, with what it put there; ``only_empty`` when
    it never held the folder's lock (another program may be filling them)."""
    for folder in reversed(made.folders):
        with contextlib.suppress(OSError):
            if only_empty:
                folder.rmdir()
            else:
                shutil.rmtree(folder)


def _os_message(exc: OSError, folder: Path) -> str:
    if exc.errno == errno.ENOSPC:
        why = _("the disk is full")
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = _("the folder is read-only or protected")
    else:
        why = exc.strerror or str(exc)
    return _("The installation could not be created in {folder} ({why}). Nothing was left"
             " behind: choose another folder and press «Create» again.").format(
                 folder=folder, why=why)


# --- run again on an existing folder ---------------------------------------------------------


@dataclass(frozen=True)
class RerunChoices:
    """What an administrator may change later: the backup folder, the sync enrolment."""

    backup_dir: Path | None = None  # None: keep the backups in the data folder
    hq_key_file: Path | None = None  # a casa: enrol (again) with this file; None: no change
    key_out_dir: Path | None = None  # where the own key file goes (a casa: beside HQ's)
    remake_hq_key: bool = False  # headquarters: write its public key file again


def apply_to_existing(ctx: AppContext, choices: RerunChoices) -> Path | None:
    """Apply the assistant to the open installation ``ctx`` (administrators only): the
    backup folder, and the sync enrolment; returns the key file written, if any. The casa
    and the mode stay as they are."""
    from oma_desktop.services.backup import set_backup_folder
    from oma_desktop.services.permissions import Permission
    from oma_desktop.services.sync import setup_casa, setup_hq

    session = ctx.session
    session.require(Permission.MANAGE_USERS)  # the administrators (admin_casa, admin_hq)
    # the enrolment first: a key file refused leaves the backup folder as it was too
    written: Path | None = None
    if session.store.mode == MODE_HQ:
        if choices.remake_hq_key:
            written = setup_hq(session, choices.key_out_dir or ctx.paths.exports).path
    elif choices.hq_key_file is not None:
        out = choices.key_out_dir or choices.hq_key_file.parent
        written = setup_casa(session, choices.hq_key_file, out, vault=ctx.vault).path
    set_backup_folder(session, choices.backup_dir)
    return written


def is_administrator(ctx: AppContext) -> bool:
    """Whether the assistant may be run again by this account."""
    from oma_desktop.services.permissions import ADMIN_CASA, ADMIN_HQ

    return ctx.actor.role in (ADMIN_CASA, ADMIN_HQ)


__all__ = [
    "MODE_CASA", "MODE_HQ", "FirstRunChoices", "FirstRunError", "RerunChoices",
    "apply_first_run", "apply_to_existing", "default_key_out_dir", "is_administrator",
    "needs_first_run", "validate",
]
