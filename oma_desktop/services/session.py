"""A session: one open connection, the catalogs and the acting user, handed to every service.

Services take a ``Session`` as their first parameter instead of a bare store, so they all
know who is acting (permissions and privacy are checked there next) and which connection
to use. The GUI thread has one (``AppContext.session``); a background job gets its own
from ``AppContext.open_session()`` and closes it when done: SQLite connections never
cross threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from oma_desktop.core.actor import Actor
from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.store import Store, Writer
from oma_desktop.services.permissions import Permission, allowed, denied


@dataclass(eq=False)  # identity: one session is one connection
class Session:
    store: Store
    catalogs: Catalogs
    actor: Actor
    # called after each commit made through :meth:`transaction` with the entities it
    # wrote (the GUI uses it to tell the screens what changed); None: changes accumulate
    # until someone calls :meth:`take_changes`
    on_commit: Callable[[frozenset[str]], None] | None = field(default=None, repr=False)

    @property
    def user_id(self) -> str:
        """The acting user's id (what every write is logged under)."""
        return self.actor.user_id

    @property
    def casa_id(self) -> str:
        """The casa this installation belongs to."""
        return self.store.casa_id

    @property
    def at_hq(self) -> bool:
        """Whether this installation is headquarters (it sees and chooses every casa)."""
        return self.store.mode == "hq"

    def can(self, permission: Permission) -> bool:
        """Whether the acting user's role has ``permission`` (``services.permissions``);
        screens use it to hide what the services would refuse anyway."""
        return allowed(self.actor.role, permission)

    def require(self, permission: Permission) -> None:
        """The door of every service that writes or reveals personal data: raise
        :class:`~oma_desktop.core.errors.PermissionDeniedError` (a Spanish message naming
        the action and who may do it) unless the acting user's role has ``permission``."""
        if not allowed(self.actor.role, permission):
            raise denied(self.actor.role, permission)

    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        """One atomic, logged unit of work on behalf of the acting user."""
        with self.store.transaction(self.actor.user_id) as tx:
            yield tx
        if self.on_commit is not None:
            self.on_commit(self.store.take_changes())

    def take_changes(self) -> frozenset[str]:
        """Entities written through this session since the last call (see ``Store``)."""
        return self.store.take_changes()

    def close(self) -> None:
        self.store.close()

    @property
    def closed(self) -> bool:
        """True once closed: a late timer or queued signal must not read any more."""
        return self.store.closed
