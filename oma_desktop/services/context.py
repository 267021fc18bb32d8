"""The running application's context: data folder, database path and key, catalogs, the
acting user and the GUI thread's session.

The GUI, the CLI and the tests all start here, so an installation is set up the same
way whichever door it comes through. It is also the one door for connections: nothing
else opens the database by path; a background job asks :meth:`AppContext.open_session`
for its own connection (same file, same key) and closes it when done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oma_desktop.core import driver
from oma_desktop.core.actor import Actor
from oma_desktop.core.catalogs import Catalogs, load_catalogs
from oma_desktop.core.driver import BUSY_TIMEOUT_MS
from oma_desktop.core.errors import StoreError
from oma_desktop.core.folder_lock import FolderLock
from oma_desktop.core.store import Store, open_store
from oma_desktop.i18n import _
from oma_desktop.paths import DataPaths
from oma_desktop.services.accounts import (
    Credentials,
    LoginRequiredError,
    Opened,
    Vault,
    ensure_account_record,
    folder_is_protected,
    unlock_folder,
)
from oma_desktop.services.installation import (  # noqa: F401  (re-exported)
    DEFAULT_USERNAME,
    MODES,
    SYSTEM_USER,
    ensure_installation,
    new_identity,
    validate_identity,
)
from oma_desktop.services.session import Session


@dataclass
class AppContext:
    paths: DataPaths
    database: Path
    key: bytes | None
    catalogs: Catalogs
    actor: Actor
    _session: Session = field(repr=False)
    _lock: FolderLock | None = field(default=None, repr=False)
    # the unlocked key file (None: a plain database opened without an account, as the
    # tests of unrelated features do; a folder with a key file never opens that way)
    vault: Vault | None = field(default=None, repr=False)
    # the account must choose a new password (its password was reset)
    must_change_password: bool = False

    @property
    def session(self) -> Session:
        """The GUI thread's session (never hand it to another thread)."""
        return self._session

    @property
    def user_id(self) -> str:
        return self.actor.user_id

    def open_session(self) -> Session:
        """A new connection to the same database with the same key, for a background job.

        The caller closes it (``session.close()``) on the thread that used it."""
        store = open_store(self.database, key=self.key, create=False, backup_dir=self.paths.backups)
        held = self._session.store.writes_held
        if held is not None:  # a job may not write while (or once) the file is found damaged
            store.hold_writes(held)
        return Session(store=store, catalogs=self.catalogs, actor=self.actor)

    def hold_writes(self, reason: StoreError) -> None:
        """Refuse writes with ``reason`` (see :meth:`Store.hold_writes`)."""
        self._session.store.hold_writes(reason)

    def release_writes(self) -> None:
        self._session.store.release_writes()

    def close(self) -> None:
        try:
            self._session.close()
        finally:
            if self._lock is not None:
                self._lock.release()


def _identify(store: Store, catalogs: Catalogs, casa: str | None, mode: str | None,
              opened: Opened | None) -> str:
    """The installation's identity checked (or made) and the acting account's id."""
    user_id = ensure_installation(store, catalogs, casa, mode)
    if opened is not None:
        ensure_account_record(store, opened.unlocked, SYSTEM_USER)
        user_id = opened.unlocked.user_id
    return user_id


def _audit_login(session: Session, opened: Opened) -> None:
    """The sign-in in the audit log, and the failed attempts since the previous one (they
    could not be written when they happened: without the password the database is shut)."""
    from oma_desktop.services import audit

    unlocked = opened.unlocked
    if unlocked.failed_attempts:
        audit.record(session, "login_failed", entity="app_user", entity_id=unlocked.user_id,
                     detail=_("{n} failed attempts, the last on {when}").format(
                         n=unlocked.failed_attempts, when=unlocked.last_failure_at or ""))
    audit.record(session, "login", entity="app_user", entity_id=unlocked.user_id)


def actor_for(store: Store, user_id: str) -> Actor:
    """The :class:`Actor` for the stored staff account ``user_id``."""
    row = store.get("app_user", user_id) or {}
    return Actor(
        user_id=user_id,
        role=str(row.get("role") or ""),
        casa_id=str(row.get("casa_id") or store.casa_id),
        display_name=str(row.get("display_name") or ""),
    )


def open_context(
    data_dir: Path | str,
    *,
    casa: str | None = None,
    mode: str | None = None,
    credentials: Credentials | None = None,
    program: str | None = None,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    lock: FolderLock | None = None,
) -> AppContext:
    """Open (creating if needed) the data folder ``data_dir``, as the account
    ``credentials``.

    With credentials the database is encrypted: the account's password unwraps its key
    (``services.accounts.unlock_folder``: a new folder gets a key file whose first account
    is its administrator; a plain database is converted once, after an encrypted backup).
    Without credentials only a plain folder opens (the tests of unrelated features); a
    folder with a key file refuses with :class:`LoginRequiredError`.

    The folder is locked for this program (``program`` names it for whoever is refused)
    until :meth:`AppContext.close`: a second program on the same folder is refused with
    :class:`~oma_desktop.core.folder_lock.FolderInUseError`. ``busy_timeout_ms`` is how
    long the GUI thread's connection waits for a lock held by a program outside the app
    before saying so (the GUI passes a short one: a frozen window is worse than a message).
    """
    catalogs = load_catalogs()
    validate_identity(catalogs, casa, mode)  # before anything is written
    paths = DataPaths(Path(data_dir))
    if not paths.database.exists() and not folder_is_protected(paths):
        new_identity(catalogs, casa, mode)  # a new folder names its casa, or nothing is made
    paths.ensure()
    # ``lock``: the folder's lock, already held by the caller (the setup assistant holds it
    # from before it writes anything); the context takes it over
    lock = (lock or FolderLock(paths.root, program or _("OMA Desktop"))).acquire()
    opened: Opened | None = None
    try:
        if credentials is not None:
            opened = unlock_folder(paths, credentials)
        elif folder_is_protected(paths):
            raise LoginRequiredError(_(
                "The database of {folder} is encrypted: log in with your user name and"
                " password.").format(folder=paths.root))
        with driver.translating(paths.database):  # a damaged page met now: Spanish, too
            store = open_store(paths.database, key=opened.vault.key if opened else None,
                               backup_dir=paths.backups, busy_timeout_ms=busy_timeout_ms)
    except BaseException:
        lock.release()
        raise
    try:
        with driver.translating(paths.database):
            user_id = _identify(store, catalogs, casa, mode, opened)
        actor = actor_for(store, user_id)
        if opened is not None:
            _audit_login(Session(store=store, catalogs=catalogs, actor=actor), opened)
        store.take_changes()  # setting up the installation is no screen's news
    except BaseException:
        store.close()
        lock.release()
        raise
    return AppContext(
        paths=paths,
        database=paths.database,
        key=opened.vault.key if opened else None,
        catalogs=catalogs,
        actor=actor,
        _session=Session(store=store, catalogs=catalogs, actor=actor),
        _lock=lock,
        vault=opened.vault if opened else None,
        must_change_password=bool(opened and opened.unlocked.must_change_password),
    )
