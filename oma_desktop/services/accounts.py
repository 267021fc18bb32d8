"""Staff accounts and logging in (issue #9): who may open the encrypted database.

An account is two things kept together: a staff record (``app_user``: name, role, casa,
active; logged and synchronised like any record) and its copy of the database key in the
data folder's key file (``core/keyring.py``), wrapped under the account's password.

:func:`unlock_folder` runs before the database is opened (``services.context``): it
unwraps the key, or, in a data folder without a key file, creates one — for a new folder,
or to convert an existing plain database once, after an encrypted backup of it. The first
account of a folder is its administrator. Afterwards an administrator creates accounts,
resets forgotten passwords (never recovers them) and deactivates accounts; each user
changes their own password, and must do so after a reset.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from oma_desktop.core import driver
from oma_desktop.core.errors import OmaError, ValidationError
from oma_desktop.core.ids import new_id
from oma_desktop.core.keyring import (
    Keyring,
    KeyringError,
    LoginError,
    PasswordRuleError,
    Unlocked,
    check_password_rules,
    new_database_key,
    normalize_username,
)
from oma_desktop.core.store import Store
from oma_desktop.i18n import _
from oma_desktop.paths import DataPaths
from oma_desktop.services.permissions import (
    ADMIN_CASA,
    ADMIN_HQ,
    Permission,
    role_label,
    roles_for_mode,
)
from oma_desktop.services.session import Session

log = logging.getLogger(__name__)

KEYRING_NAME = "keys.json"
ADMIN_USERNAME = "admin"
PASSWORD_ENV = "OMA_PASSWORD"


class LoginRequiredError(OmaError):
    """The folder's database is encrypted: it opens only with an account's password."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = ""


@dataclass
class Vault:
    """The unlocked key file and database key of an open data folder."""

    keyring: Keyring
    key: bytes
    username: str


def keyring_path(paths: DataPaths) -> Path:
    return paths.root / KEYRING_NAME


def folder_is_protected(paths: DataPaths) -> bool:
    """True when the folder's database can only be opened by logging in."""
    return keyring_path(paths).exists() or driver.is_encrypted_file(paths.database)


def admin_role(mode: str) -> str:
    return ADMIN_HQ if mode == "hq" else ADMIN_CASA


@dataclass(frozen=True)
class Opened:
    vault: Vault
    unlocked: Unlocked
    # True when this call created the key file (a new folder, or a plain one converted)
    created: bool


def unlock_folder(paths: DataPaths, credentials: Credentials) -> Opened:
    """The database key of the folder ``paths`` for ``credentials``.

    * A key file exists: the password unwraps the key (or :class:`LoginError`). A database
      still plain beside it (a conversion cut off halfway) is converted now.
    * No key file, no database: a new key file whose first account is ``credentials``.
    * No key file, a plain database: the database is converted once, after an encrypted
      backup of it; its plain backups are encrypted too.
    """
    ring_file = keyring_path(paths)
    if ring_file.exists():
        ring = Keyring.load(ring_file)
        unlocked = ring.unlock(credentials.username, credentials.password)
        if paths.database.exists() and not driver.is_encrypted_file(paths.database):
            _encrypt_database(paths, unlocked.key)
        _encrypt_plain_backups(paths, unlocked.key)  # also those a cut-off conversion left
        return Opened(Vault(ring, unlocked.key, unlocked.username), unlocked, created=False)
    if driver.is_encrypted_file(paths.database):
        raise KeyringError(_(
            "The database {path} is encrypted but its key file {keys} is missing. Put the key"
            " file back from the backups folder (one is kept beside the backups) or from a"
            " copy of the data folder, or ask headquarters to recover this casa's key.").format(
                path=paths.database, keys=ring_file))
    check_password_rules(credentials.password, credentials.username)
    key = new_database_key()
    user_id = new_id()
    # the key file first: a database must never exist encrypted with a key nobody holds
    ring = Keyring.create(ring_file, key, credentials.username, user_id, credentials.password)
    if paths.database.exists():
        _encrypt_database(paths, key)
    unlocked = ring.unlock(credentials.username, credentials.password)
    log.info("key file created for %s in %s", unlocked.username, paths.root)
    return Opened(Vault(ring, key, unlocked.username), unlocked, created=True)


def _encrypt_database(paths: DataPaths, key: bytes) -> None:
    """Convert the plain database (and its plain backups) to encrypted ones, once."""
    db = paths.database
    # everything into the main file, so the copy misses nothing and no plain WAL remains
    conn = driver.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    paths.backups.mkdir(parents=True, exist_ok=True)
    driver.encrypt_copy(db, paths.backups / f"{db.stem}-antes-de-cifrar-{stamp}.sqlite3", key)
    _encrypt_plain_backups(paths, key)
    encrypted = db.with_name(db.name + ".encrypted")
    driver.encrypt_copy(db, encrypted, key)
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    os.replace(encrypted, db)
    log.warning("database %s converted to an encrypted one", db)


def _encrypt_plain_backups(paths: DataPaths, key: bytes) -> None:
    """Encrypt, in place, every backup still stored as a plain SQLite file."""
    if not paths.backups.is_dir():
        return
    for old in sorted(paths.backups.glob("*.sqlite3")):
        if driver.is_encrypted_file(old):
            continue
        target = old.with_name(old.name + ".encrypted")
        driver.encrypt_copy(old, target, key)
        os.replace(target, old)
        log.warning("backup %s encrypted", old.name)


def database_key(paths: DataPaths, credentials: Credentials) -> bytes | None:
    """The folder's database key for ``credentials`` without opening the database (to
    restore a backup over a damaged one); None for a folder without a key file."""
    ring_file = keyring_path(paths)
    if not ring_file.exists():
        return None
    return Keyring.load(ring_file).unlock(credentials.username, credentials.password).key


def ensure_account_record(store: Store, unlocked: Unlocked, system_user: str) -> None:
    """The staff record of the account that logged in, made for the folder's first
    administrator (whose record is created with the key file)."""
    row = store.get("app_user", unlocked.user_id)
    if row is not None:
        if not row["active"] or row["deleted"]:
            raise LoginError(_(
                "The account {name} is deactivated. Ask the casa's administrator.").format(
                    name=unlocked.username))
        return
    with store.transaction(system_user) as tx:
        tx.create("app_user", {
            "username": unlocked.username, "display_name": _("Administration"),
            "role": admin_role(store.mode), "casa_id": store.casa_id,
        }, entity_id=unlocked.user_id)


# --- account management (administrators) ---------------------------------------------------


@dataclass(frozen=True)
class Account:
    user_id: str
    username: str
    display_name: str
    role: str
    role_label: str
    active: bool
    can_log_in: bool  # holds a copy of the key
    must_change_password: bool


def list_accounts(session: Session, vault: Vault) -> list[Account]:
    session.require(Permission.MANAGE_USERS)
    rows = session.store.rows(
        "SELECT id, username, display_name, role, active FROM app_user"
        " WHERE deleted = 0 AND (casa_id IS NULL OR casa_id = ?) ORDER BY display_name",
        [session.casa_id])
    ring = vault.keyring
    ids = {ring.user_id(name): name for name in ring.usernames()}
    return [
        Account(str(r["id"]), ids.get(str(r["id"]), str(r["username"])),
                str(r["display_name"]), str(r["role"]), role_label(str(r["role"])),
                bool(r["active"]), str(r["id"]) in ids,
                str(r["id"]) in ids and ring.must_change_password(ids[str(r["id"])]))
        for r in rows
    ]


def _check_role(session: Session, role: str) -> None:
    if role not in {r.code for r in roles_for_mode(session.store.mode)}:
        raise ValidationError({"role": _("Choose a role from the list.")},
                              _("Choose a role from the list."))


def username_problem(name: str) -> str | None:
    """Why the (normalised) user name ``name`` cannot be used, or None: letters, digits,
    dots, underscores or hyphens, without spaces."""
    if not name or not name.replace(".", "").replace("_", "").replace("-", "").isalnum():
        return _("Write a user name with letters, digits, dots or hyphens, without spaces"
                 " (for example ana.quispe).")
    return None


def create_account(session: Session, vault: Vault, username: str, display_name: str,
                   role: str, password: str) -> str:
    """A new staff account with a first password it must change at its first login."""
    session.require(Permission.MANAGE_USERS)
    name = normalize_username(username)
    errors: dict[str, str] = {}
    problem = username_problem(name)
    if problem is not None:
        errors["username"] = problem
    elif vault.keyring.has_account(name) or session.store.scalar(
            "SELECT count(*) FROM app_user WHERE lower(username) = ? AND deleted = 0", [name]):
        errors["username"] = _("The user name {name} is already taken.").format(name=name)
    if not display_name.strip():
        errors["display_name"] = _("Write the person's name as it should appear on slips.")
    try:
        check_password_rules(password, name)
    except PasswordRuleError as exc:
        errors["password"] = str(exc)
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))
    _check_role(session, role)
    user_id = new_id()
    with session.transaction() as tx:
        tx.create("app_user", {"username": name, "display_name": display_name.strip(),
                               "role": role, "casa_id": session.casa_id},
                  entity_id=user_id)
        # inside the transaction: if the key file cannot be written, no record is left
        vault.keyring.add_account(vault.key, name, user_id, password, must_change=True)
    return user_id


def reset_password(session: Session, vault: Vault, user_id: str, password: str) -> None:
    """An administrator gives ``user_id`` a new password, to be changed at the next login
    (a forgotten password is never recovered)."""
    session.require(Permission.MANAGE_USERS)
    row = session.store.get("app_user", user_id)
    if row is None or row["deleted"]:
        raise ValidationError({"user": _("That account does not exist.")})
    name = _username_of(vault, user_id) or normalize_username(str(row["username"]))
    try:
        check_password_rules(password, name)
    except PasswordRuleError as exc:
        raise ValidationError({"password": str(exc)}, str(exc)) from None
    if vault.keyring.has_account(name):
        vault.keyring.set_password(vault.key, name, password, must_change=True)
    else:  # a seeded account (the casa's reception) gets its first password
        vault.keyring.add_account(vault.key, name, user_id, password, must_change=True)
    log.info("password of %s reset by %s", name, session.user_id)


def change_own_password(session: Session, vault: Vault, current: str, new: str) -> None:
    """The logged-in user replaces their password (``current`` must be right)."""
    name = vault.username
    vault.keyring.unlock(name, current)  # a wrong current password fails (and counts)
    if new == current:
        raise PasswordRuleError(_("The new password must be different from the current one."))
    check_password_rules(new, name)
    vault.keyring.set_password(vault.key, name, new, must_change=False)


def set_account_active(session: Session, vault: Vault, user_id: str, active: bool) -> None:
    """Deactivate (or reactivate) an account; a deactivated one cannot log in: its copy of
    the key is removed, and reactivating asks for a password reset."""
    session.require(Permission.MANAGE_USERS)
    if user_id == session.user_id and not active:
        raise ValidationError({"user": _("You cannot deactivate your own account.")})
    with session.transaction() as tx:
        tx.update("app_user", user_id, {"active": 1 if active else 0})
        name = _username_of(vault, user_id)
        if not active and name:
            vault.keyring.remove_account(name)


def rename_account(session: Session, user_id: str, display_name: str) -> None:
    """The name an account shows (on slips, in the status bar and the log): each user may
    set their own (the first administrator's, when the key file is created); an
    administrator anybody's."""
    if user_id != session.user_id:
        session.require(Permission.MANAGE_USERS)
    name = " ".join(display_name.split())
    if not name:
        raise ValidationError({"display_name": _(
            "Write the person's name as it should appear on slips.")})
    with session.transaction() as tx:
        tx.update("app_user", user_id, {"display_name": name})


def _username_of(vault: Vault, user_id: str) -> str | None:
    return next((n for n in vault.keyring.usernames() if vault.keyring.user_id(n) == user_id),
                None)


def demo_accounts(store: Store, vault: Vault, password: str, system_user: str) -> list[str]:
    """One account per role of the installation's mode, all with ``password`` (the demo's
    documented password): ``recepcion.cv1``-style for the casa's seeded reception, and
    ``coordinacion``, ``admin`` (already the first account), ``analista`` at headquarters."""
    from oma_desktop.core.seed import reception_user_id

    made = []
    for role in roles_for_mode(store.mode):
        if role.code == admin_role(store.mode):
            continue
        if role.code == "recepcion":
            user_id = reception_user_id(store.casa_id)
            name = normalize_username(str(store.get("app_user", user_id)["username"]))  # type: ignore[index]
        else:
            name = role.code.replace("_", "")
            user_id = new_id()
            with store.transaction(system_user) as tx:
                tx.create("app_user", {"username": name, "display_name": role.shown_label,
                                       "role": role.code, "casa_id": store.casa_id},
                          entity_id=user_id)
        if not vault.keyring.has_account(name):
            vault.keyring.add_account(vault.key, name, user_id, password, must_change=False)
            made.append(name)
    return made
