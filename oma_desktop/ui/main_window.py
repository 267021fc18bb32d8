"""The main window: navigation on the left, the current page on the right.

Pages come from :data:`oma_desktop.ui.pages.PAGES` and are built the first time they
are shown. Window geometry is kept in the data folder's ``settings.ini``.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSettings, QSize, Qt, SignalInstance
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from oma_desktop import APP_NAME, i18n
from oma_desktop.i18n import _
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import Permission, role_label
from oma_desktop.services.status import installation_facts
from oma_desktop.ui.about import AboutDialog
from oma_desktop.ui.changes import subscribe, watch_session
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.help import HelpKey, HelpWindow, section_for
from oma_desktop.ui.pages import PAGES, PageSpec

DEFAULT_SIZE = QSize(1280, 720)
MINIMUM_SIZE = QSize(1024, 640)
SETTINGS_GROUP = "MainWindow"
# the status bar shows the casa's name and the user's: re-read when these change
STATUS_ENTITIES = frozenset({"casa", "app_user"})


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext, pages: Sequence[PageSpec] | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        # a page with a permission is listed only for the roles that have it
        self._specs = [spec for spec in (PAGES if pages is None else pages)
                       if spec.permission is None or ctx.session.can(spec.permission)]
        self._pages: dict[str, QWidget] = {}
        self._about: AboutDialog | None = None
        self.help_key = HelpKey(self)  # F1 in any window of the app, dialogs included
        watch_session(ctx.session)  # every write of this window's session is broadcast
        self.setMinimumSize(MINIMUM_SIZE)

        self.navigation = self._build_navigation()
        self.stack = QStackedWidget()
        self.stack.setAccessibleName(_("Current section"))
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._build_menus()
        self.casa_label, self.user_label, self.sync_label = self._build_status_bar()
        self.refresh_status()
        subscribe(self, ctx.session, STATUS_ENTITIES, lambda _changed: self.refresh_status())
        # the session locks after inactivity (none for a plain folder opened without an
        # account); «Cerrar sesión» closes the window and run_gui shows the login again
        from oma_desktop.ui.lock import install_lock

        self.logout_requested = False
        self.inactivity = install_lock(self, ctx)
        if self.inactivity is not None:
            self.inactivity.logout_requested.connect(self.log_out)
        self.lock_action.setEnabled(self.inactivity is not None)
        self.password_action.setEnabled(ctx.vault is not None)
        self.logout_action.setEnabled(ctx.vault is not None)
        self._restore_window_state()
        self.navigation.currentRowChanged.connect(self._on_row_changed)
        if self._specs:
            self.navigation.setCurrentRow(0)

    # --- pages ------------------------------------------------------------------------

    def page_keys(self) -> list[str]:
        return [spec.key for spec in self._specs]

    def page(self, key: str) -> QWidget | None:
        """The page widget for ``key`` if it has been built, else None."""
        return self._pages.get(key)

    def current_key(self) -> str | None:
        row = self.navigation.currentRow()
        return self._specs[row].key if 0 <= row < len(self._specs) else None

    def show_page(self, key: str) -> QWidget:
        """Make page ``key`` current (building it first if needed) and return it."""
        row = self.page_keys().index(key)
        page = self._ensure_page(row)  # outside the signal, so a failing factory raises here
        self.navigation.setCurrentRow(row)
        return page

    def _on_row_changed(self, row: int) -> None:
        if 0 <= row < len(self._specs):
            self.stack.setCurrentWidget(self._ensure_page(row))

    def _ensure_page(self, row: int) -> QWidget:
        spec = self._specs[row]
        page = self._pages.get(spec.key)
        if page is None:
            page = spec.factory(self.ctx)
            page.setObjectName(f"page_{spec.key}")
            requested = getattr(page, "person_requested", None)
            if isinstance(requested, SignalInstance):
                requested.connect(self.open_person)
            on_map = getattr(page, "map_requested", None)
            if isinstance(on_map, SignalInstance) and "map" in self.page_keys():
                on_map.connect(self.show_on_map)
            self._pages[spec.key] = page
            self.stack.addWidget(page)
        return page

    def show_on_map(self, flt: object) -> QWidget:
        """Show Mapa with the report filter ``flt`` (from Reportes)."""
        page = self.show_page("map")
        bar = getattr(page, "filter_bar", None)
        if bar is not None:
            bar.set_filter(flt)
        return page

    def open_person(self, person_id: str) -> QWidget:
        """Show the Personas page with ``person_id`` selected (used by the other pages)."""
        page = self.show_page("people")
        show_person = getattr(page, "show_person", None)
        if callable(show_person):
            show_person(person_id)
        return page

    # --- building -----------------------------------------------------------------

    def _build_navigation(self) -> QListWidget:
        nav = QListWidget()
        nav.setObjectName("navigation")
        nav.setAccessibleName(_("Sections"))
        nav.setIconSize(QSize(24, 24))
        nav.setSpacing(2)
        nav.setStyleSheet("QListWidget#navigation::item { padding-left: 8px; }")
        nav.setFont(scaled(nav.font(), 1.15))
        nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        style = self.style()
        for spec in self._specs:
            item = QListWidgetItem(style.standardIcon(spec.icon), _(spec.title))
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            shortcut = QKeySequence(spec.shortcut).toString(QKeySequence.SequenceFormat.NativeText)
            item.setToolTip(f"{_(spec.title)} ({shortcut})")
            item.setSizeHint(QSize(0, 40))
            nav.addItem(item)
        width = nav.sizeHintForColumn(0) + 2 * nav.frameWidth() + 24
        nav.setFixedWidth(max(width, 180))
        return nav

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(_("&File"))
        self.import_action = QAction(_("&Import people…"), self)
        self.import_action.triggered.connect(self.open_import)
        # only for roles that may import (the service refuses the others anyway)
        self.import_action.setVisible(self.ctx.session.can(Permission.IMPORT))
        file_menu.addAction(self.import_action)
        self.review_action = QAction(_("Possible &duplicates to review…"), self)
        self.review_action.triggered.connect(self.open_duplicate_review)
        file_menu.addAction(self.review_action)
        file_menu.addSeparator()
        self.password_action = QAction(_("&Change my password…"), self)
        self.password_action.triggered.connect(self.change_password)
        file_menu.addAction(self.password_action)
        self.lock_action = QAction(_("&Lock now"), self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.triggered.connect(self.lock_now)
        file_menu.addAction(self.lock_action)
        self.logout_action = QAction(_("Log &out"), self)
        self.logout_action.triggered.connect(self.log_out)
        file_menu.addAction(self.logout_action)
        file_menu.addSeparator()
        self.quit_action = QAction(_("E&xit"), self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)

        go_menu = bar.addMenu(_("&Go to"))
        self.page_actions: dict[str, QAction] = {}
        for spec in self._specs:
            action = QAction(self.style().standardIcon(spec.icon), _(spec.title), self)
            action.setShortcut(QKeySequence(spec.shortcut))
            action.triggered.connect(lambda _checked=False, key=spec.key: self.show_page(key))
            go_menu.addAction(action)
            self.page_actions[spec.key] = action

        help_menu = bar.addMenu(_("&Help"))
        self.help_action = QAction(_("&User guide"), self)
        self.help_action.setShortcut(QKeySequence(Qt.Key.Key_F1))
        self.help_action.triggered.connect(self.show_help)
        help_menu.addAction(self.help_action)
        help_menu.addSeparator()
        self.about_action = QAction(_("&About OMA Desktop"), self)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.about_action)

    def _build_status_bar(self) -> tuple[QLabel, QLabel, QLabel]:
        labels = (QLabel(), QLabel(), QLabel())
        for label, name in zip(labels, ("statusCasa", "statusUser", "statusSync"), strict=True):
            label.setObjectName(name)
            label.setContentsMargins(8, 0, 8, 0)
            self.statusBar().addPermanentWidget(label)
        return labels

    def refresh_status(self) -> None:
        """Re-read casa, user and last synchronisation (done when casas or users change)."""
        facts = installation_facts(self.ctx.session)
        place = _("Headquarters") if facts.mode == "hq" else facts.casa_name
        self.setWindowTitle(f"{APP_NAME} — {place}")
        last = facts.last_sync
        role = role_label(self.ctx.actor.role)
        texts = (
            _("Casa: {name}").format(name=place),
            # who logged in, with their role (a plain folder opened without an account,
            # as unrelated tests do, has no login to show)
            _("User: {name} ({role})").format(name=facts.user_name, role=role)
            if self.ctx.vault is not None else _("User: {name}").format(name=facts.user_name),
            _("Last synchronisation: {when}").format(
                when=i18n.format_datetime(last) if last else _("never")
            ),
        )
        for label, text in zip((self.casa_label, self.user_label, self.sync_label), texts,
                               strict=True):
            label.setText(text)
            label.setAccessibleName(text)

    # --- import ---------------------------------------------------------------------

    def open_duplicate_review(self) -> QWidget:
        """Archivo → Posibles duplicados por revisar…: what imports left to a coordinator."""
        from oma_desktop.ui.personas.duplicate_review import open_duplicate_review

        return open_duplicate_review(self.ctx, self)

    def open_import(self) -> QWidget | None:
        """Archivo → Importar personas…: the spreadsheet import, when this build has it."""
        try:
            from oma_desktop.ui.importer.dialog import open_import_dialog
        except ImportError:
            box = QMessageBox(
                QMessageBox.Icon.Information,
                _("Import people"),
                _("Importing people from a spreadsheet is not available in this version."),
                QMessageBox.StandardButton.Ok,
                self,
            )
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
            return box
        result: QWidget | None = open_import_dialog(self.ctx, self)
        return result

    # --- help and about ---------------------------------------------------------------

    def show_help(self) -> HelpWindow:
        """F1: the user guide at the part about the current page."""
        return self.help_key.open(section_for(self))


    def show_about(self) -> AboutDialog:
        """Open the About dialog (window-modal, non-blocking) and return it."""
        if self._about is None:
            self._about = AboutDialog(self.ctx, self)
            self._about.finished.connect(self._forget_about)
        self._about.open()
        return self._about

    def _forget_about(self) -> None:
        if self._about is not None:
            self._about.deleteLater()
            self._about = None

    # --- accounts (issue #9) -----------------------------------------------------

    def change_password(self) -> QWidget:
        """Archivo → Cambiar mi contraseña…"""
        from oma_desktop.ui.login import ChangePasswordDialog

        dialog = ChangePasswordDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def lock_now(self) -> None:
        """Archivo → Bloquear ahora (Ctrl+L)."""
        if self.inactivity is not None:
            self.inactivity.lock()

    def log_out(self) -> None:
        """Close the window and its other windows; run_gui shows the login dialog again."""
        from oma_desktop.ui.lock import record_quietly

        self.logout_requested = True
        if self.inactivity is not None:
            self.inactivity.stop()
        record_quietly(self.ctx, "logout")
        for widget in QApplication.topLevelWidgets():
            if widget is not self and widget.isVisible():
                widget.hide()
        self.close()

    # --- window state -----------------------------------------------------------

    def _settings(self) -> QSettings:
        return QSettings(str(self.ctx.paths.settings), QSettings.Format.IniFormat)

    def _restore_window_state(self) -> None:
        settings = self._settings()
        geometry = settings.value(f"{SETTINGS_GROUP}/geometry")
        state = settings.value(f"{SETTINGS_GROUP}/state")
        if not geometry or not self.restoreGeometry(geometry):
            self._apply_default_geometry()
        if state:
            self.restoreState(state)

    def _apply_default_geometry(self) -> None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        size = QSize(DEFAULT_SIZE)
        if screen is not None:
            free = screen.availableGeometry()
            # leave room for the title bar and frame so the window is fully visible
            size = size.boundedTo(QSize(free.width() - 16, free.height() - 48))
            size = size.expandedTo(MINIMUM_SIZE)
            self.resize(size)
            self.move(free.center() - self.rect().center())
        else:
            self.resize(size)

    def save_window_state(self) -> None:
        settings = self._settings()
        settings.setValue(f"{SETTINGS_GROUP}/geometry", self.saveGeometry())
        settings.setValue(f"{SETTINGS_GROUP}/state", self.saveState())
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.inactivity is not None:
            self.inactivity.stop()
        self.save_window_state()
        self.help_key.close()
        super().closeEvent(event)
