"""Background tasks: results, errors, progress and cancel arrive on the GUI thread."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QWidget
from pytestqt.qtbot import QtBot

from oma_desktop.core.errors import OmaError
from oma_desktop.ui.tasks import (
    Progress,
    TaskCancelled,
    TaskHandle,
    TaskProgressDialog,
    run_task,
    run_with_progress,
)


@pytest.fixture
def parent(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def _wait_finished(qtbot: QtBot, handle: TaskHandle) -> None:
    qtbot.waitUntil(lambda: not handle.is_running(), timeout=5000)


def test_result_is_delivered_on_the_gui_thread(qtbot: QtBot, parent: QWidget) -> None:
    gui_thread = threading.get_ident()
    worker_threads: list[int] = []
    results: list[tuple[int, int]] = []

    def work(progress: Progress) -> int:
        worker_threads.append(threading.get_ident())
        return 6 * 7

    handle = run_task(parent, work, lambda r: results.append((r, threading.get_ident())))
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert results == [(42, gui_thread)]
    assert worker_threads and worker_threads[0] != gui_thread
    assert handle.outcome == "succeeded"


def test_exception_goes_to_on_error(qtbot: QtBot, parent: QWidget) -> None:
    errors: list[BaseException] = []
    done: list[object] = []

    def work(progress: Progress) -> None:
        raise ValueError("fila 3 mala")

    handle = run_task(parent, work, done.append, errors.append)
    with qtbot.waitSignal(handle.failed, timeout=5000) as blocker:
        pass
    assert isinstance(blocker.args[0], ValueError)
    assert [str(e) for e in errors] == ["fila 3 mala"]
    assert done == [] and handle.outcome == "failed"


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen only
def test_user_error_without_handler_shows_a_message(qtbot: QtBot, parent: QWidget) -> None:

    def work(progress: Progress) -> None:
        raise OmaError("No se pudo leer el archivo.")

    handle = run_task(parent, work, lambda _r: None)
    _wait_finished(qtbot, handle)
    box = parent.findChild(QMessageBox)
    assert box is not None and box.text() == "No se pudo leer el archivo."
    assert box.windowTitle() == "No se pudo completar la tarea"
    box.close()


def test_progress_signals_arrive_in_order(qtbot: QtBot, parent: QWidget) -> None:
    seen: list[tuple[int, int, str]] = []

    def work(progress: Progress) -> str:
        progress.report(0, 3, "Leyendo")
        for i in range(1, 4):
            time.sleep(0.06)  # longer than the throttle interval
            progress.report(i, 3, "Leyendo")
        return "ok"

    handle = run_task(parent, work, lambda _r: None, on_progress=lambda *a: seen.append(a))
    _wait_finished(qtbot, handle)
    assert seen[0] == (0, 3, "Leyendo") and seen[-1] == (3, 3, "Leyendo")
    assert [s[0] for s in seen] == sorted(s[0] for s in seen)


def test_progress_is_throttled_but_keeps_the_last_step(qtbot: QtBot, parent: QWidget) -> None:
    seen: list[tuple[int, int, str]] = []

    def work(progress: Progress) -> None:
        for i in range(1, 10_001):
            progress.report(i, 10_000, "")

    handle = run_task(parent, work, lambda _r: None, on_progress=lambda *a: seen.append(a))
    _wait_finished(qtbot, handle)
    assert len(seen) < 200
    assert seen[-1] == (10_000, 10_000, "")


def test_cancel_stops_the_task(qtbot: QtBot, parent: QWidget) -> None:
    started = threading.Event()
    done: list[object] = []
    cancelled: list[bool] = []

    def work(progress: Progress) -> int:
        started.set()
        for _ in range(500):
            progress.raise_if_cancelled()
            time.sleep(0.01)
        return 1

    handle = run_task(parent, work, done.append, on_cancelled=lambda: cancelled.append(True))
    assert started.wait(5)
    with qtbot.waitSignal(handle.cancelled, timeout=5000):
        handle.cancel()
    assert cancelled == [True] and done == []
    assert handle.outcome == "cancelled" and handle.cancel_requested()


def test_work_finished_despite_cancel_still_reports_its_result(
    qtbot: QtBot, parent: QWidget
) -> None:
    go = threading.Event()
    done: list[object] = []

    def work(progress: Progress) -> str:
        go.wait(5)
        return "guardado" if progress.cancelled else "?"

    handle = run_task(parent, work, done.append)
    handle.cancel()
    go.set()
    _wait_finished(qtbot, handle)
    assert done == ["guardado"]


def test_destroyed_parent_cancels_and_skips_callbacks(qtbot: QtBot) -> None:
    owner = QWidget()
    stopped = threading.Event()
    done: list[object] = []

    def work(progress: Progress) -> None:
        while not progress.cancelled:
            time.sleep(0.01)
        stopped.set()
        raise TaskCancelled

    run_task(owner, work, done.append)
    owner.deleteLater()
    qtbot.waitUntil(stopped.is_set, timeout=5000)
    qtbot.wait(50)
    assert done == []


def test_run_with_progress_shows_a_spanish_dialog_and_cancels(
    qtbot: QtBot, parent: QWidget
) -> None:
    parent.show()
    qtbot.waitExposed(parent)
    release = threading.Event()
    done: list[object] = []
    cancelled: list[bool] = []

    def work(progress: Progress) -> int:
        progress.report(1, 4, "Fila 1 de 4")
        while not release.is_set():
            progress.raise_if_cancelled()
            time.sleep(0.01)
        return 4

    handle = run_with_progress(parent, "Importando", work, done.append,
                               on_cancelled=lambda: cancelled.append(True))
    dialog = handle.dialog
    assert isinstance(dialog, TaskProgressDialog) and isinstance(dialog, QProgressDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    assert dialog.windowTitle() == "Importando"
    assert dialog.cancel_button.text() == "Cancelar"
    qtbot.waitUntil(lambda: dialog.labelText() == "Fila 1 de 4", timeout=5000)
    assert dialog.maximum() == 4 and dialog.value() == 1
    # Escape asks to cancel; the dialog stays until the work has stopped
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.cancel_button.isEnabled()
    assert dialog.labelText().startswith("Cancelando")
    _wait_finished(qtbot, handle)
    assert cancelled == [True] and done == []
    qtbot.waitUntil(lambda: parent.findChild(TaskProgressDialog) is None, timeout=5000)


def test_run_with_progress_delivers_the_result_after_closing_the_dialog(
    qtbot: QtBot, parent: QWidget
) -> None:
    seen: list[tuple[object, bool]] = []

    def work(progress: Progress) -> str:
        return "listo"

    holder: dict[str, TaskHandle] = {}

    def on_done(result: str) -> None:
        dialog = holder["h"].dialog
        assert dialog is not None
        seen.append((result, dialog.isVisible()))

    holder["h"] = run_with_progress(parent, "Trabajando", work, on_done)
    _wait_finished(qtbot, holder["h"])
    assert seen == [("listo", False)]


def test_gui_stays_responsive_while_the_worker_runs(qtbot: QtBot, parent: QWidget) -> None:
    release = threading.Event()

    def work(progress: Progress) -> None:
        release.wait(5)

    handle = run_task(parent, work, lambda _r: None)
    ticks: list[int] = []
    from PySide6.QtCore import QTimer

    timer = QTimer(parent)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=5000)
    assert handle.is_running()
    release.set()
    _wait_finished(qtbot, handle)
    timer.stop()
    assert QApplication.instance() is not None


def test_signal_emits_keep_reference_counts_balanced(qtbot: QtBot, parent: QWidget) -> None:
    """PySide6 6.12.0 takes a reference from ``True`` at every Python ``emit()``; a few
    hundred abort the interpreter (bool_dealloc). pyproject excludes that release; this
    fails if a PySide6 with the bug is ever installed."""
    import sys

    from PySide6.QtCore import QObject, Signal

    class Source(QObject):
        changed = Signal(int)

    source = Source()
    seen: list[int] = []
    source.changed.connect(seen.append)
    before = sys.getrefcount(True)
    for i in range(2000):
        source.changed.emit(i)
    assert len(seen) == 2000
    assert abs(sys.getrefcount(True) - before) < 50

    def work(progress: Progress) -> None:
        for i in range(2000):
            progress.report(i, 0, "")  # a new total every time: never throttled
            progress.report(i, i + 1, "")

    before = sys.getrefcount(True)
    handle = run_task(parent, work, lambda _r: None)
    _wait_finished(qtbot, handle)
    qtbot.wait(20)
    assert abs(sys.getrefcount(True) - before) < 50
