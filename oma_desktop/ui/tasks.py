"""Long work off the GUI thread, with progress, cancel and results back on the GUI thread.

A small helper in the spirit of Anki's background operations. Work that needs the
database goes through :func:`run_job`, the one door for background connections::

    def work(session: Session, progress: Progress) -> int:
        for i, row in enumerate(rows):
            progress.raise_if_cancelled()
            ...                                   # services called with ``session``
            progress.report(i + 1, len(rows), _("Importing…"))
        return len(rows)

    run_job(page, ctx, work, on_done=lambda n: label.setText(str(n)), title=_("Import"))

``run_job`` opens the job's own session from the context (``ctx.open_session()``: same
database, same key), passes it to the function on a :class:`QThreadPool` worker, closes
it there, and afterwards broadcasts on the app-wide :class:`~oma_desktop.ui.changes.ChangeHub`
which kinds of records the job wrote, so pages refresh themselves. Progress, the result
or the exception arrive as queued signals on the GUI thread, so the callbacks may touch
widgets freely; an exception is shown to the user (never swallowed) unless ``on_error``
handles it.

**SQLite connections must not cross threads**: a job never uses ``ctx.session`` (the GUI
thread's) nor any object holding it. Pass plain data (paths, ids, dataclasses) in and out.
:func:`run_task` is the lower-level helper for work that needs no database.

Cancelling is cooperative: :meth:`TaskHandle.cancel` only sets a flag that ``fn`` reads
through ``progress.cancelled``. A function that stops early raises :class:`TaskCancelled`
(``progress.raise_if_cancelled()`` does it); then neither ``on_done`` nor ``on_error``
runs, ``on_cancelled`` does. A function that returns normally delivers its result even if
cancel was asked for meanwhile — its work was done (for example, committed), and the
user must be told so.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QPushButton, QWidget

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import _
from oma_desktop.logs import log_exception
from oma_desktop.services.context import AppContext
from oma_desktop.services.session import Session
from oma_desktop.ui.changes import change_hub

T = TypeVar("T")
log = logging.getLogger(__name__)

# at most this often (seconds) is a progress report sent to the GUI thread
PROGRESS_INTERVAL = 0.05
# a quick task never flashes a progress dialog: it appears only after this (ms)
DIALOG_DELAY_MS = 400


class TaskCancelled(Exception):
    """Raised inside a task function to stop because the user cancelled."""


class _TaskSignals(QObject):
    """Emitted from the worker thread; received by the handle on the GUI thread."""

    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)
    was_cancelled = Signal()


class Progress:
    """Given to the task function: report how far it got and ask whether to stop."""

    def __init__(self, signals: _TaskSignals, cancel_event: threading.Event) -> None:
        self._signals = signals
        self._cancel = cancel_event
        self._last_sent = 0.0
        self._last_total = -1

    @property
    def cancelled(self) -> bool:
        """True once the user asked to cancel."""
        return self._cancel.is_set()

    def raise_if_cancelled(self) -> None:
        if self._cancel.is_set():
            raise TaskCancelled

    def report(self, done: int, total: int = 0, label: str = "") -> None:
        """``done`` of ``total`` steps (``total`` 0: unknown); ``label`` already translated.

        Cheap to call in a tight loop: reports are throttled, but the first report of a
        new ``total`` (a new phase of the work) and the last step always go through.
        """
        now = time.monotonic()
        last_step = total > 0 and done >= total
        new_phase = total != self._last_total
        if not (last_step or new_phase) and now - self._last_sent < PROGRESS_INTERVAL:
            return
        self._last_sent = now
        self._last_total = total
        _emit(self._signals.progressed, int(done), int(total), label)

    __call__ = report


def _emit(signal: Any, *args: Any) -> None:
    with contextlib.suppress(RuntimeError):  # the handle's parent was destroyed meanwhile
        signal.emit(*args)


class _Worker(QRunnable):
    def __init__(self, fn: Callable[[Progress], Any], progress: Progress,
                 signals: _TaskSignals) -> None:
        super().__init__()
        self._fn = fn
        self._progress = progress
        self._signals = signals

    def run(self) -> None:
        signals = self._signals
        try:
            result = self._fn(self._progress)
        except TaskCancelled:
            _emit(signals.was_cancelled)
        except BaseException as exc:  # every failure goes to on_error
            log_exception(log, "background task failed", exc)
            _emit(signals.failed, exc)
        else:
            _emit(signals.succeeded, result)
        finally:
            self._fn = _nothing  # let go of the closure's data as soon as possible


def _nothing(_progress: Progress) -> None:  # pragma: no cover - never called
    return None


class TaskHandle(QObject, Generic[T]):
    """A running task. Lives on the GUI thread as a child of the ``parent`` given to
    :func:`run_task`; if that parent is destroyed first the task is cancelled and its
    callbacks are never called.

    Signals (all on the GUI thread): ``progressed(done, total, label)``,
    ``succeeded(result)``, ``failed(exception)``, ``cancelled()`` and ``finished()``
    (after any of the three outcomes).
    """

    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._cancel_event = threading.Event()
        self._done = False
        self._outcome = ""
        self.signals = _TaskSignals(self)
        flags = Qt.ConnectionType.QueuedConnection
        self.signals.progressed.connect(self._on_progress, flags)
        self.signals.succeeded.connect(self._on_succeeded, flags)
        self.signals.failed.connect(self._on_failed, flags)
        self.signals.was_cancelled.connect(self._on_cancelled, flags)
        self.dialog: TaskProgressDialog | None = None  # set by run_with_progress
        event = self._cancel_event

        def on_destroyed(_obj: object = None) -> None:
            # a plain function: PySide no longer calls methods of an object being destroyed
            event.set()
            _forget(self)

        self.destroyed.connect(on_destroyed)

    # --- state --------------------------------------------------------------------------

    def cancel(self) -> None:
        """Ask the task to stop; it does at its next ``progress.raise_if_cancelled()``."""
        self._cancel_event.set()

    def cancel_requested(self) -> bool:
        return self._cancel_event.is_set()

    def is_running(self) -> bool:
        return not self._done

    @property
    def outcome(self) -> str:
        """'' while running, then 'succeeded', 'failed' or 'cancelled'."""
        return self._outcome

    # --- GUI-thread slots -----------------------------------------------------------------

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, label: str) -> None:
        if not self._done:
            self.progressed.emit(done, total, label)

    @Slot(object)
    def _on_succeeded(self, result: object) -> None:
        self._settle("succeeded")
        self.succeeded.emit(result)
        self.finished.emit()

    @Slot(object)
    def _on_failed(self, exc: object) -> None:
        self._settle("failed")
        self.failed.emit(exc)
        self.finished.emit()

    @Slot()
    def _on_cancelled(self) -> None:
        self._settle("cancelled")
        self.cancelled.emit()
        self.finished.emit()

    def _settle(self, outcome: str) -> None:
        self._done = True
        self._outcome = outcome
        _RUNNING.discard(self)


# handles whose worker has not reported back yet
_RUNNING: set[TaskHandle[Any]] = set()


def _forget(handle: TaskHandle[Any]) -> None:
    _RUNNING.discard(handle)


def running_tasks() -> list[TaskHandle[Any]]:
    """Tasks still working (for example, to wait for them before closing the app)."""
    return list(_RUNNING)


def _thread_pool() -> QThreadPool:
    return QThreadPool.globalInstance()


def run_task(
    parent: QObject,
    fn: Callable[[Progress], T],
    on_done: Callable[[T], None],
    on_error: Callable[[BaseException], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
) -> TaskHandle[T]:
    """Run ``fn(progress)`` on a worker thread; call ``on_done(result)`` on the GUI thread.

    ``on_error(exception)`` receives whatever ``fn`` raised (default: a message box for
    an :class:`OmaError`, the application's error hook for anything else, i.e. a bug).
    ``fn`` must not touch the database: use :func:`run_job` for that.
    """
    handle: TaskHandle[T] = TaskHandle(parent)
    handle.succeeded.connect(on_done)
    handle.failed.connect(on_error or (lambda exc: default_error_handler(parent, exc)))
    if on_progress is not None:
        handle.progressed.connect(on_progress)
    if on_cancelled is not None:
        handle.cancelled.connect(on_cancelled)
    progress = Progress(handle.signals, handle._cancel_event)
    _RUNNING.add(handle)
    _thread_pool().start(_Worker(fn, progress, handle.signals))
    return handle


def default_error_handler(parent: QObject, exc: BaseException) -> None:
    """A Spanish message for errors the user can act on; anything else is a bug."""
    if isinstance(exc, OmaError):
        window = parent if isinstance(parent, QWidget) else None
        box = QMessageBox(QMessageBox.Icon.Warning, _("The task could not be completed"),
                          str(exc), QMessageBox.StandardButton.Ok, window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return
    sys.excepthook(type(exc), exc, exc.__traceback__)


class TaskProgressDialog(QProgressDialog):
    """A window-modal progress dialog whose Cancelar asks the task to stop.

    Unlike a plain QProgressDialog it stays open after Cancelar (showing "Cancelling…")
    until the task has really stopped, so the user is never told it stopped when it
    has not. Escape and the close button behave like Cancelar.
    """

    cancel_requested = Signal()

    def __init__(
        self, title: str, parent: QWidget | None = None, delay_ms: int = DIALOG_DELAY_MS
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setLabelText(_("Please wait…"))
        self.setCancelButtonText(_("Cancel"))  # (a custom button would lose the Escape key)
        button = self.findChild(QPushButton)
        assert button is not None
        self.cancel_button: QPushButton = button
        # QProgressDialog hides itself on cancel; here the task decides when it is over
        QObject.disconnect(self, "2canceled()", self, "1cancel()")
        self.canceled.connect(self._request_cancel)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.setMinimumDuration(delay_ms)
        self.setRange(0, 0)
        self.setValue(0)
        self.setMinimumWidth(420)
        self._finished = False

    def _request_cancel(self) -> None:
        if self._finished or not self.cancel_button.isEnabled():
            return
        self.cancel_button.setEnabled(False)
        self.setLabelText(_("Cancelling… the work stops at a safe point."))
        self.cancel_requested.emit()

    def show_progress(self, done: int, total: int, label: str) -> None:
        if self._finished:
            return
        if total > 0:
            if self.maximum() != total:
                self.setRange(0, total)
            self.setValue(min(done, total))
        elif self.maximum() != 0:
            self.setRange(0, 0)
        if label and self.cancel_button.isEnabled():
            self.setLabelText(label)

    def finish(self) -> None:
        """Close for good (the task is over)."""
        self._finished = True
        self.done(0)
        self.deleteLater()

    def reject(self) -> None:  # Escape
        if self._finished:
            super().reject()
        else:
            self._request_cancel()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._finished:
            super().closeEvent(event)
        else:
            event.ignore()
            self._request_cancel()


def run_with_progress(
    parent: QWidget,
    title: str,
    fn: Callable[[Progress], T],
    on_done: Callable[[T], None],
    on_error: Callable[[BaseException], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    delay_ms: int = DIALOG_DELAY_MS,
) -> TaskHandle[T]:
    """:func:`run_task` with a Spanish progress dialog (title, bar, label, Cancelar).

    The dialog appears only if the work takes longer than ``delay_ms`` (0: at once, so
    nothing else can be clicked meanwhile), blocks input to ``parent``'s window while it
    is shown and closes before any callback is called.
    """
    dialog = TaskProgressDialog(title, parent, delay_ms)
    if delay_ms <= 0:
        dialog.show()

    def done(result: T) -> None:
        dialog.finish()
        on_done(result)

    def failed(exc: BaseException) -> None:
        dialog.finish()
        if on_error is not None:
            on_error(exc)
        else:
            default_error_handler(parent, exc)

    def cancelled() -> None:
        dialog.finish()
        if on_cancelled is not None:
            on_cancelled()

    handle = run_task(parent, fn, done, failed, dialog.show_progress, cancelled)
    dialog.cancel_requested.connect(handle.cancel)
    handle.dialog = dialog
    return handle


class _JobChanges:
    """What the job's session wrote; filled on the worker before its outcome is signalled."""

    entities: frozenset[str] = frozenset()


def _in_session(
    ctx: AppContext, job: Callable[[Session, Progress], T], changes: _JobChanges
) -> Callable[[Progress], T]:
    def work(progress: Progress) -> T:
        session = ctx.open_session()
        try:
            return job(session, progress)
        finally:
            changes.entities = session.take_changes()
            session.close()

    return work


def run_job(
    parent: QWidget,
    ctx: AppContext,
    job: Callable[[Session, Progress], T],
    on_done: Callable[[T], None],
    on_error: Callable[[BaseException], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    *,
    title: str | None = None,
    delay_ms: int = DIALOG_DELAY_MS,
) -> TaskHandle[T]:
    """Run ``job(session, progress)`` off the GUI thread on its own session.

    The session is opened from ``ctx`` on the worker and closed there whatever happens.
    With a ``title`` a progress dialog is shown (see :func:`run_with_progress`; then
    ``on_progress`` is not used). Whatever the outcome, the entities the job committed
    are posted to the change hub before the callbacks run.
    """
    changes = _JobChanges()
    fn = _in_session(ctx, job, changes)

    def broadcast() -> None:
        change_hub(ctx.session).post(changes.entities)

    def done(result: T) -> None:
        broadcast()
        on_done(result)

    def failed(exc: BaseException) -> None:
        broadcast()
        if on_error is not None:
            on_error(exc)
        else:
            default_error_handler(parent, exc)

    def cancelled() -> None:
        broadcast()
        if on_cancelled is not None:
            on_cancelled()

    if title is not None:
        return run_with_progress(parent, title, fn, done, failed, cancelled, delay_ms)
    return run_task(parent, fn, done, failed, on_progress, cancelled)
