"""Start the GUI: QApplication, languages, data folder, main window.

Order matters for start-up time: nothing heavy runs before the window is shown, and
pages are built only when first visited.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication, QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from oma_desktop import APP_NAME, __version__, i18n
from oma_desktop.core.errors import DamagedDatabaseError, OmaError
from oma_desktop.i18n import _
from oma_desktop.logs import log_exception, setup_logging
from oma_desktop.paths import DataPaths
from oma_desktop.services.accounts import (
    ADMIN_USERNAME,
    PASSWORD_ENV,
    Credentials,
    LoginRequiredError,
)
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.first_run import needs_first_run
from oma_desktop.ui.about import ORGANIZATION
from oma_desktop.ui.error_dialog import install_exception_hook
from oma_desktop.ui.qt_i18n import install_qt_translator

ORGANIZATION_DOMAIN = "munlima.gob.pe"
WINDOW_SHOWN_MARKER = "OMA_WINDOW_SHOWN"
# how long a save on the GUI thread waits for a program outside the app that locks the
# database, before the clerk is told (instead of a window frozen for the full 10 s)
GUI_BUSY_TIMEOUT_MS = 2_000
log = logging.getLogger(__name__)


def application() -> QApplication:
    """The process's QApplication, created (with high-DPI policy) if there is none."""
    existing = QCoreApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setOrganizationDomain(ORGANIZATION_DOMAIN)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("oma-desktop")  # Linux desktops match the window to its .desktop
    from oma_desktop.ui.about import app_icon

    app.setWindowIcon(app_icon())
    return app


def run_gui(
    data_dir: Path,
    lang: str | None = None,
    casa: str | None = None,
    smoke_test: bool = False,
    exit_after_show: bool = False,
    user: str | None = None,
) -> int:
    """Open the app on ``data_dir``; returns the process exit code.

    Interactively, a new data folder gets the first-run assistant (``ui/primer_inicio``:
    casa or headquarters, the first administrator, sync keys, folders; a casa is never
    chosen by default), and the window opens logged in as that administrator; otherwise the
    login dialog comes first (``ui/login.py``: it also converts a still plain folder, and
    makes a reset password be changed). «Cerrar sesión» in the window brings it back.
    ``--smoke-test`` and ``--exit-after-show`` never show either: they log in as ``user``
    (default admin) with the password in ``OMA_PASSWORD``, or, without that variable, open
    a plain folder as before; a new folder needs ``--casa`` then (none is chosen for it).
    """
    setup_logging(DataPaths(Path(data_dir)).logs)
    app = application()
    install_qt_translator(app, i18n.setup(lang))
    if smoke_test or exit_after_show:
        return _run_unattended(app, Path(data_dir), casa, user, smoke_test, exit_after_show)
    install_exception_hook(app)
    data_dir = Path(data_dir)
    while True:
        if needs_first_run(data_dir):  # a new folder: the assistant, never a casa by default
            ctx = _first_run(app, data_dir, casa)
            if ctx is not None:
                data_dir = ctx.paths.root  # the folder chosen in the assistant
        else:
            ctx = _log_in(app, data_dir, casa, user)
        if ctx is None:
            return 0
        try:
            code, logged_out = _run_window(app, ctx)
        finally:
            ctx.close()
        if not logged_out:
            return code


def _opener(data_dir: Path, casa: str | None) -> Callable[[Credentials], AppContext]:
    def open_as(credentials: Credentials) -> AppContext:
        return open_context(data_dir, casa=casa, credentials=credentials,
                            program=_("the OMA Desktop window"),
                            busy_timeout_ms=GUI_BUSY_TIMEOUT_MS)

    return open_as


LOGIN_CASA_KEY = "Login/casa_name"
LOGIN_USER_KEY = "Login/last_user"


def _log_in(app: QApplication, data_dir: Path, casa: str | None,
            user: str | None) -> AppContext | None:
    """The login dialog (None: the user chose «Salir»). The casa's name and the last user
    name are kept in settings.ini for the next time (the database is unreadable before)."""
    from oma_desktop.ui.login import log_in

    settings = QSettings(str(DataPaths(data_dir).settings), QSettings.Format.IniFormat)
    last_user = str(settings.value(LOGIN_USER_KEY) or "") or (user or "")
    casa_name = str(settings.value(LOGIN_CASA_KEY) or "")
    app.setQuitOnLastWindowClosed(False)  # the dialog closing is not the end of the app
    try:
        ctx = log_in(data_dir, _opener(data_dir, casa), username=last_user,
                     casa_name=casa_name)
    finally:
        app.setQuitOnLastWindowClosed(True)
    if ctx is not None:
        _remember_login(ctx)
    return ctx


def _first_run(app: QApplication, data_dir: Path, casa: str | None) -> AppContext | None:
    """The first-run assistant (ui/primer_inicio) on a new data folder: the new
    installation, logged in as its first administrator, or None («Salir»)."""
    from oma_desktop.ui.primer_inicio.wizard import run_first_run

    app.setQuitOnLastWindowClosed(False)
    try:
        ctx = run_first_run(data_dir, casa)
    finally:
        app.setQuitOnLastWindowClosed(True)
    if ctx is not None:
        _remember_login(ctx)
    return ctx


def _remember_login(ctx: AppContext) -> None:
    """The casa's name and the user for the next login dialog (settings.ini)."""
    from oma_desktop.services.status import installation_facts

    settings = QSettings(str(ctx.paths.settings), QSettings.Format.IniFormat)
    settings.setValue(LOGIN_CASA_KEY, installation_facts(ctx.session).casa_name)
    if ctx.vault is not None:
        settings.setValue(LOGIN_USER_KEY, ctx.vault.username)
    settings.sync()


def _run_unattended(app: QApplication, data_dir: Path, casa: str | None, user: str | None,
                    smoke_test: bool, exit_after_show: bool) -> int:
    """The smoke test and the start-up measurement: no dialog, ever."""
    password = os.environ.get(PASSWORD_ENV, "")
    credentials = Credentials(user or ADMIN_USERNAME, password) if password else None
    try:
        ctx = open_context(data_dir, casa=casa, credentials=credentials,
                           program=_("the OMA Desktop window"),
                           busy_timeout_ms=GUI_BUSY_TIMEOUT_MS)
    except OmaError as exc:
        log_exception(log, "cannot start", exc)
        message = str(exc)
        if credentials is None and isinstance(exc, LoginRequiredError):
            message += " " + _("Without a window, give the password in the environment"
                               " variable {var} and the user with --user.").format(
                                   var=PASSWORD_ENV)
        _report_startup_error(message, smoke_test)
        return 2
    try:
        if smoke_test:
            return smoke(app, ctx)
        return _run(app, ctx, exit_after_show)
    finally:
        ctx.close()


def _report_startup_error(message: str, smoke_test: bool) -> None:
    if smoke_test:
        print(_("Error: {message}").format(message=message), file=sys.stderr)
    else:
        QMessageBox.critical(None, _("OMA Desktop cannot start"), message)


def _run_window(app: QApplication, ctx: AppContext) -> tuple[int, bool]:
    """The main window until it is closed: (exit code, whether the user logged out)."""
    from oma_desktop.ui.main_window import MainWindow

    window = MainWindow(ctx)
    window.show()
    start_verification(window, ctx)
    code = app.exec()
    logged_out = window.logout_requested
    window.deleteLater()
    return code, logged_out


def _run(app: QApplication, ctx: AppContext, exit_after_show: bool) -> int:
    from oma_desktop.ui.main_window import MainWindow

    install_exception_hook(app)
    window = MainWindow(ctx)
    window.show()
    start_verification(window, ctx)
    if exit_after_show:
        QTimer.singleShot(0, lambda: _announce_when_exposed(window))
    return app.exec()


def start_verification(window: QWidget, ctx: AppContext, *, daily_backups: bool = True) -> None:
    """Check the whole file off the GUI thread right after start-up.

    Writes wait until it passes (a save tried meanwhile is told to try again in a moment);
    a damaged file keeps them refused for good and the clerk is offered the restore
    assistant, so nothing is written into a damaged database. Reading goes on, to look
    things up meanwhile. Once the file passed, the daily backup is made if due (and checked
    hourly while the window is open).
    """
    from oma_desktop.services.integrity import verify_file, verifying_error
    from oma_desktop.ui.tasks import run_job

    ctx.hold_writes(verifying_error())

    def done(damage: DamagedDatabaseError | None) -> None:
        from oma_desktop.ui.respaldo.assistant import offer_restore_for
        from oma_desktop.ui.respaldo.panel import start_daily_backups

        if damage is None:
            ctx.release_writes()
            if daily_backups:  # the file is sound: today's backup, if not made yet
                start_daily_backups(window, ctx)  # a child of the window: lives with it
            return
        log.error("start-up check found the database damaged")
        ctx.hold_writes(damage)
        offer_restore_for(window, ctx, str(damage))  # the message, and the way out

    def failed(exc: BaseException) -> None:
        done(DamagedDatabaseError(str(exc)))

    run_job(window, ctx, lambda session, _progress: verify_file(session), done, failed)


def _announce_when_exposed(window: QWidget) -> None:
    """Print the start-up marker once the window is on screen, then close it."""
    handle = window.windowHandle()
    if handle is None or not handle.isExposed():
        QTimer.singleShot(5, lambda: _announce_when_exposed(window))
        return
    print(WINDOW_SHOWN_MARKER, flush=True)
    window.close()
    QCoreApplication.quit()


def smoke(app: QApplication, ctx: AppContext) -> int:
    """Show the window, visit every page, open and close About; 0 if nothing failed."""
    errors: list[str] = []
    previous_hook = sys.excepthook
    sys.excepthook = _collecting_hook(errors)
    try:
        from oma_desktop.ui.main_window import MainWindow

        window = MainWindow(ctx)
        window.show()
        app.processEvents()
        for key in window.page_keys():
            window.show_page(key)
            app.processEvents()
            if window.stack.currentWidget() is not window.page(key):
                raise RuntimeError(f"page {key!r} did not become current")
        about = window.show_about()
        app.processEvents()
        about.reject()
        app.processEvents()
        window.close()
        app.processEvents()
    except Exception:
        traceback.print_exc()
        errors.append("")
    finally:
        sys.excepthook = previous_hook
    for error in filter(None, errors):
        print(error, file=sys.stderr)
    return 1 if errors else 0


def _collecting_hook(
    errors: list[str],
) -> Callable[[type[BaseException], BaseException, TracebackType | None], None]:
    """An excepthook that records exceptions raised inside Qt slots during the smoke test."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        errors.append("".join(traceback.format_exception(kind, exc, tb)))

    return hook
