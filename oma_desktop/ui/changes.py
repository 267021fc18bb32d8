"""One broadcast of which kinds of records changed, so pages refresh themselves.

In the spirit of Anki's ``OpChanges``: whoever writes does not know which screens show
what; it only says which entities (``person``, ``consultation``, …) its committed
transactions wrote. Every page subscribes to the entities it shows::

    subscribe(self, ctx.session, {"person", "document"}, self.reload)

There is one hub per open database, reached through the GUI thread's session (the
application has one; tests open many, and a page must never hear about another
database).

Two sources feed the hub:

- the GUI thread's session: :func:`watch_session` makes every commit made through
  ``Session.transaction()`` post its entities;
- background jobs: :func:`oma_desktop.ui.tasks.run_job` posts what the job's own
  session wrote once the job is over (``Store.take_changes()``).

Posts are merged and delivered once, from the event loop, after the code that wrote
has returned: a page never refreshes in the middle of a save.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from weakref import WeakKeyDictionary

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from oma_desktop.services.session import Session

# what the person pages show: search rows, the summary card, its timeline
PERSON_ENTITIES = frozenset({"person", "document", "consultation", "household", "household_member",
                             "follow_up_call"})
# what the follow-up queue shows
FOLLOW_UP_ENTITIES = frozenset({"person", "document", "consultation"})


class ChangeHub(QObject):
    """``changed(frozenset[str])``: the entities written since the last emission."""

    changed = Signal(frozenset)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._deliver)

    def post(self, entities: Iterable[str]) -> None:
        """Announce that ``entities`` changed (delivered from the event loop, merged)."""
        entities = set(entities)
        if not entities:
            return
        self._pending |= entities
        self._timer.start()

    @Slot()
    def _deliver(self) -> None:
        changed, self._pending = frozenset(self._pending), set()
        if changed:
            self.changed.emit(changed)


_HUBS: WeakKeyDictionary[Session, ChangeHub] = WeakKeyDictionary()


def change_hub(session: Session) -> ChangeHub:
    """The hub of the database the GUI thread's ``session`` is open on."""
    hub = _HUBS.get(session)
    if hub is None:
        hub = _HUBS[session] = ChangeHub()
    return hub


def watch_session(session: Session) -> None:
    """Make every commit of the GUI thread's ``session`` post what it wrote from now on
    (what was written before, e.g. while the installation was set up, is dropped)."""
    session.take_changes()
    session.on_commit = change_hub(session).post


class _Subscription(QObject):
    """Lives as a child of the subscriber, so the connection dies with it."""

    def __init__(self, owner: QObject, hub: ChangeHub, entities: frozenset[str],
                 callback: Callable[[frozenset[str]], None]) -> None:
        super().__init__(owner)
        self._entities = entities
        self._callback = callback
        hub.changed.connect(self._on_changed)

    @Slot(frozenset)
    def _on_changed(self, changed: frozenset[str]) -> None:
        if not self._entities or changed & self._entities:
            self._callback(changed)


def subscribe(owner: QObject, session: Session, entities: Iterable[str],
              callback: Callable[[frozenset[str]], None]) -> QObject:
    """Call ``callback(changed)`` whenever any of ``entities`` changed (all when empty) in
    the database of ``session``, for as long as ``owner`` lives."""
    return _Subscription(owner, change_hub(session), frozenset(entities), callback)
