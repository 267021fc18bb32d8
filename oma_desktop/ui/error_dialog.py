"""The last line of defence: an error nobody caught is logged, shown in Spanish, survived.

:func:`install_exception_hook` replaces ``sys.excepthook`` (PySide calls it for an
exception raised in a slot or an overridden Qt method, then carries on) and
``threading.excepthook`` (a failed worker thread). Either way the error is written to the
log and an :class:`ErrorDialog` appears on the GUI thread:

- an :class:`~oma_desktop.core.errors.OmaError` (the environment or the input, e.g. a
  full disk) shows its own Spanish message — what happened and what to do — and no
  traceback;
- anything else is a bug: a short Spanish explanation, and "Copiar detalles" puts the
  version and the traceback on the clipboard for technical support.

The application keeps running: the action that failed is abandoned, nothing else.
The same error repeated while its dialog is open (a failing repaint) adds a count
instead of piling up dialogs.
"""

from __future__ import annotations

import datetime as dt
import logging
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, Qt, Signal, Slot, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from oma_desktop import APP_NAME, __version__
from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import _, ngettext
from oma_desktop.logs import log_exception, redact
from oma_desktop.ui.fonts import scaled

log = logging.getLogger(__name__)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
MESSAGE_WIDTH = 460
# a zero-width space after each backslash lets a long Windows path wrap (Qt wraps after "/")
_BREAK_AFTER_BACKSLASH = "\\\u200b"


def wrappable(text: str) -> str:
    """``text`` as shown: long Windows paths may break after each backslash."""
    return text.replace("\\", _BREAK_AFTER_BACKSLASH)


def details_text(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    """What "Copiar detalles" copies: versions, time and the traceback, personal data masked."""
    header = (
        f"{APP_NAME} {__version__}\n"
        f"Python {platform.python_version()}, Qt {qVersion()}, PySide6 {pyside_version}, "
        f"{platform.platform()}\n"
        f"{dt.datetime.now().isoformat(timespec='seconds')}\n\n"
    )
    return header + redact("".join(traceback.format_exception(kind, exc, tb)))


class ErrorDialog(QDialog):
    """A Spanish error message with "Cerrar" and, for a bug, "Copiar detalles"."""

    def __init__(
        self, title: str, message: str, details: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.message = message
        self.details = details
        self.times = 1
        self.key = (title, message)

        icon = QLabel()
        kind = (QStyle.StandardPixmap.SP_MessageBoxCritical if details
                else QStyle.StandardPixmap.SP_MessageBoxWarning)
        icon.setPixmap(self.style().standardIcon(kind).pixmap(48, 48))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)

        self.title_label = QLabel(title)
        self.title_label.setFont(scaled(self.font(), 1.25, bold=True))
        self.title_label.setWordWrap(True)
        # not selectable: a copied path would carry the invisible break characters
        self.message_label = QLabel(wrappable(message))
        self.message_label.setWordWrap(True)
        self.message_label.setFixedWidth(MESSAGE_WIDTH)
        self.count_label = QLabel()
        self.count_label.setVisible(False)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setFixedWidth(MESSAGE_WIDTH)
        self.status_label.setVisible(False)

        self.copy_button = QPushButton(_("Copy details"))
        self.copy_button.setVisible(details is not None)
        self.copy_button.clicked.connect(self.copy_details)
        self.close_button = QPushButton(_("Close"))
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.accept)

        text = QVBoxLayout()
        text.setSpacing(10)
        for widget in (self.title_label, self.message_label, self.count_label, self.status_label):
            text.addWidget(widget)
        top = QHBoxLayout()
        top.setSpacing(16)
        top.addWidget(icon)
        top.addLayout(text, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(18)
        layout.addLayout(top)
        layout.addLayout(buttons)
        self.close_button.setFocus()
        self.adjustSize()  # sized before its window exists, not resized while showing

    @Slot()
    def copy_details(self) -> None:
        if self.details is None:
            return
        QGuiApplication.clipboard().setText(self.details)
        self.status_label.setText(
            _("Details copied. Paste them into a message to technical support.")
        )
        self.status_label.setVisible(True)

    def repeated(self, details: str | None) -> None:
        """The same error happened again while this dialog was open."""
        self.times += 1
        if details is not None and self.details is not None:
            self.details += "\n\n" + details
        self.count_label.setText(
            ngettext("This happened {n} time.", "This happened {n} times.", self.times).format(
                n=self.times)
        )
        self.count_label.setVisible(True)


def title_and_message(exc: BaseException) -> tuple[str, str]:
    """What the dialog says about ``exc``: an OmaError's own message, or the bug notice."""
    if isinstance(exc, OmaError):
        return _("The action could not be completed"), str(exc)
    return _("Something went wrong"), _(
        "OMA Desktop ran into an unexpected problem and could not finish the last "
        "action. What was already saved is safe and you can keep working. If it "
        "happens again, press «Copy details» and send them to technical support."
    )


def dialog_for(exc: BaseException, details: str, parent: QWidget | None = None) -> ErrorDialog:
    """The dialog for ``exc``; only a bug offers its details (an OmaError is no bug)."""
    title, message = title_and_message(exc)
    return ErrorDialog(title, message, None if isinstance(exc, OmaError) else details, parent)


class ErrorReporter(QObject):
    """Receives uncaught exceptions from any thread; shows them on the GUI thread."""

    _reported = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialog: ErrorDialog | None = None
        # from the GUI thread a direct call, from another thread a queued one
        self._reported.connect(self._show)

    def report(self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        """Log ``exc`` and show it (callable from any thread)."""
        if exc.__traceback__ is None:
            exc = exc.with_traceback(tb)
        if isinstance(exc, OmaError):
            log_exception(log, "shown to the user", exc)
        else:
            log_exception(log, "unexpected error", exc)
            traceback.print_exception(kind, exc, tb, file=sys.stderr)
        self._reported.emit((kind, exc, tb))

    @Slot(object)
    def _show(self, info: ExcInfo) -> None:
        kind, exc, tb = info
        details = details_text(kind, exc, tb)
        current = self.dialog
        if current is not None and current.isVisible() and current.key == title_and_message(exc):
            current.repeated(None if isinstance(exc, OmaError) else details)
            return
        parent = QApplication.activeModalWidget() or QApplication.activeWindow()
        dialog = dialog_for(exc, details, parent)
        dialog.finished.connect(lambda _result, d=dialog: self._forget(d))
        self.dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def _forget(self, dialog: ErrorDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None


_installed: tuple[ErrorReporter, Callable[..., Any], Callable[..., Any]] | None = None


def install_exception_hook(app: QApplication) -> ErrorReporter:
    """Route uncaught exceptions (GUI thread and other threads) to the log and a dialog."""
    global _installed
    uninstall_exception_hook()
    reporter = ErrorReporter(app)

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        reporter.report(kind, exc, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        reporter.report(args.exc_type, args.exc_value, args.exc_traceback)

    _installed = (reporter, sys.excepthook, threading.excepthook)
    sys.excepthook = hook
    threading.excepthook = thread_hook
    return reporter


def uninstall_exception_hook() -> None:
    """Put back the hooks found by :func:`install_exception_hook`."""
    global _installed
    if _installed is None:
        return
    reporter, sys.excepthook, threading.excepthook = _installed
    _installed = None
    reporter.deleteLater()
