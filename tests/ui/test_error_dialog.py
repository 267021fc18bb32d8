"""The global exception hook: errors are logged, shown in Spanish, and the app goes on.

pytest-qt normally captures exceptions raised in slots and fails the test; these tests
turn that off (``qt_no_exception_capture``) so the application's own hook receives them,
exactly as in the running app.
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThread
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from oma_desktop import __version__
from oma_desktop.core import driver
from oma_desktop.core.errors import DiskFullError
from oma_desktop.logs import setup_logging, shutdown_logging
from oma_desktop.ui.error_dialog import (
    MESSAGE_WIDTH,
    ErrorDialog,
    ErrorReporter,
    install_exception_hook,
    uninstall_exception_hook,
)

pytestmark = pytest.mark.qt_no_exception_capture
# the offscreen platform cannot pass a window's new minimum size on (the dialog grows when
# "Detalles copiados" or the repeat count appears); real platforms can
grows = pytest.mark.qt_log_ignore("^This plugin does not support propagateSizeHints")


class Screen(QWidget):
    """A stand-in screen: one button whose slot fails, one that works."""

    def __init__(self) -> None:
        super().__init__()
        self.failure: BaseException = RuntimeError("the slot broke")
        self.clicks = 0
        self.fail_button = QPushButton("Falla")
        self.fail_button.clicked.connect(self.fail)
        self.work_button = QPushButton("Funciona")
        self.work_button.clicked.connect(self.work)
        layout = QVBoxLayout(self)
        layout.addWidget(self.fail_button)
        layout.addWidget(self.work_button)
        self.adjustSize()

    def fail(self) -> None:
        raise self.failure

    def work(self) -> None:
        self.clicks += 1


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = setup_logging(tmp_path / "logs")
    yield path
    shutdown_logging()


@pytest.fixture
def reporter(qapp: QApplication, log_file: Path) -> Iterator[ErrorReporter]:
    hook = install_exception_hook(qapp)
    yield hook
    if hook.dialog is not None:
        hook.dialog.close()
    uninstall_exception_hook()


@pytest.fixture
def screen(qtbot: QtBot) -> Screen:
    widget = Screen()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def shown_dialog(qtbot: QtBot, reporter: ErrorReporter) -> ErrorDialog:
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    assert reporter.dialog is not None
    return reporter.dialog


@grows
def test_a_bug_in_a_slot_shows_a_spanish_dialog_and_the_app_keeps_running(
    qtbot: QtBot, reporter: ErrorReporter, screen: Screen, log_file: Path
) -> None:
    qtbot.mouseClick(screen.fail_button, Qt.MouseButton.LeftButton)
    dialog = shown_dialog(qtbot, reporter)
    assert dialog.windowTitle() == "Algo salió mal"
    assert dialog.title_label.text() == "Algo salió mal"
    assert "problema inesperado" in dialog.message_label.text()
    assert "puede seguir trabajando" in dialog.message_label.text()
    assert "RuntimeError" not in dialog.message_label.text()
    assert dialog.copy_button.isVisible()
    assert dialog.copy_button.text() == "Copiar detalles"
    assert dialog.close_button.text() == "Cerrar"

    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith(f"OMA Desktop {__version__}\n")
    assert "Traceback (most recent call last)" in copied
    assert "in fail" in copied
    assert copied.rstrip().endswith("RuntimeError: the slot broke")
    assert dialog.status_label.isVisible()
    assert dialog.status_label.text().startswith("Detalles copiados.")

    logged = log_file.read_text(encoding="utf-8")
    assert "ERROR oma_desktop.ui.error_dialog: unexpected error" in logged
    assert "RuntimeError: the slot broke" in logged

    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: reporter.dialog is None)
    qtbot.mouseClick(screen.work_button, Qt.MouseButton.LeftButton)
    assert screen.clicks == 1


def test_an_expected_error_shows_its_own_message_without_traceback(
    qtbot: QtBot, reporter: ErrorReporter, screen: Screen, log_file: Path, tmp_path: Path
) -> None:
    full = driver.translate_error(OSError(errno.ENOSPC, "No space left"), tmp_path / "oma.sqlite3")
    assert isinstance(full, DiskFullError)
    screen.failure = full
    qtbot.mouseClick(screen.fail_button, Qt.MouseButton.LeftButton)
    dialog = shown_dialog(qtbot, reporter)
    assert dialog.windowTitle() == "No se pudo completar la acción"
    assert dialog.message == str(full)
    assert dialog.message_label.text() == str(full)
    assert "Libere espacio" in dialog.message_label.text()
    assert not dialog.copy_button.isVisible()
    assert dialog.details is None
    logged = log_file.read_text(encoding="utf-8")
    assert "WARNING oma_desktop.ui.error_dialog: shown to the user: DiskFullError\n" in logged
    assert "in fail" in logged  # where it came from
    assert "Libere espacio" not in logged  # a clerk's message may name a person: never logged


def test_an_error_in_another_thread_is_shown_on_the_gui_thread(
    qtbot: QtBot, reporter: ErrorReporter, log_file: Path
) -> None:
    def work() -> None:
        raise ValueError("the worker broke")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    dialog = shown_dialog(qtbot, reporter)
    assert dialog.thread() is QThread.currentThread()
    assert dialog.details is not None
    assert "ValueError: the worker broke" in dialog.details
    assert "ValueError: the worker broke" in log_file.read_text(encoding="utf-8")


@grows
def test_the_same_error_again_counts_instead_of_piling_up_dialogs(
    qtbot: QtBot, reporter: ErrorReporter, screen: Screen
) -> None:
    qtbot.mouseClick(screen.fail_button, Qt.MouseButton.LeftButton)
    first = shown_dialog(qtbot, reporter)
    assert not first.count_label.isVisible()
    screen.fail_button.click()  # the same failure again (a click behind a modal dialog)
    screen.fail_button.click()
    assert reporter.dialog is first
    assert first.count_label.isVisible()
    assert first.count_label.text() == "Esto ocurrió 3 veces."
    assert first.details is not None
    assert first.details.count("RuntimeError: the slot broke") == 3
    dialogs = [w for w in QApplication.topLevelWidgets()
               if isinstance(w, ErrorDialog) and w.isVisible()]
    assert dialogs == [first]


@grows
def test_the_dialog_fits_a_1366x768_screen_with_nothing_cut(
    qtbot: QtBot, reporter: ErrorReporter, screen: Screen
) -> None:
    qtbot.mouseClick(screen.fail_button, Qt.MouseButton.LeftButton)
    dialog = shown_dialog(qtbot, reporter)
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    dialog.adjustSize()
    assert dialog.width() <= 1366 * 0.6
    assert dialog.height() <= 768 * 0.6
    for button in (dialog.copy_button, dialog.close_button):
        assert button.width() >= button.sizeHint().width()
    for label in (dialog.message_label, dialog.status_label):
        assert label.height() >= label.heightForWidth(label.width())


def test_a_long_windows_path_wraps_instead_of_being_cut(qtbot: QtBot) -> None:
    path = ("C:\\Users\\recepcion\\Documentos\\Copias_de_seguridad_de_la_casa_vecinal_tres\\"
            "datos_de_la_oficina_municipal\\oma.sqlite3")
    locked = driver.translate_error(driver.OperationalError("database is locked"), path)
    assert locked is not None
    dialog = ErrorDialog("No se pudo completar la acción", str(locked), None)
    qtbot.addWidget(dialog)
    assert dialog.message == str(locked)
    assert dialog.message_label.text().replace("\u200b", "") == str(locked)
    assert dialog.message_label.minimumSizeHint().width() <= MESSAGE_WIDTH
