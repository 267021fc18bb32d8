"""The user guide inside the app: F1 opens it at the part about what is on screen.

The guide is ``resources/help/guia-usuario.md`` (shipped in the wheel; ``docs/guia-usuario.md``
is the same text, a test keeps them equal), rendered by Qt's own Markdown reader. Every
heading is an anchor: its GitHub-style slug (``## Ficha de la persona`` ->
``ficha-de-la-persona``), so a link ``[…](#seguimiento)`` works both here and on GitHub.

Which section F1 opens comes from the window that has the keyboard: a dialog by its class
(:data:`DIALOG_SECTIONS`), the main window by its current page (:data:`PAGE_SECTIONS`).
The help window has no parent, so a window-modal dialog on the main window never blocks it.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QKeyEvent, QKeySequence, QShortcut, QTextBlock, QTextCursor
from PySide6.QtWidgets import QApplication, QTextBrowser, QVBoxLayout, QWidget

from oma_desktop.i18n import _
from oma_desktop.paths import resources_dir

GUIDE_FILE = "guia-usuario.md"
DEFAULT_SECTION = "la-ventana"

# page key (ui.pages) -> section of the guide about it
PAGE_SECTIONS = {
    "attention": "atención",
    "today": "hoy",
    "people": "personas",
    "follow_up": "seguimiento",
    "duplicates": "posibles-duplicados",
    "referrals": "derivaciones",
    "map": "mapa",
    "reports": "reportes",
    "community": "comunidad",
    "sync": "sincronización-con-la-sede-central",
    "admin": "administración",
}
# dialog class name -> section (by name: the help needs no import of every screen)
DIALOG_SECTIONS = {
    "EventDialog": "eventos",
    "AttendeePickerDialog": "eventos",
    "OrganisationDialog": "organizaciones-de-personas-migrantes",
    "PersonDialog": "ficha-de-la-persona",
    "ConsultationDialog": "registrar-una-atención",
    "DuplicatesDialog": "personas-parecidas-al-registrar",
    "SamePersonDialog": "personas-parecidas-al-registrar",
    "ImportWizard": "importar-listas-de-excel-o-csv",
    "AddMemberDialog": "hogar",
    "PersonPickerDialog": "atención-anónima",  # linking an anonymous attention to a person
    "CallDialog": "seguimiento",
    "ReferralDialog": "derivar-a-una-persona",
    "SlipPreviewDialog": "la-boleta-y-la-contrarreferencia",
    "StatusDialog": "derivaciones",
    "OutcomeDialog": "registrar-contrarreferencia",
    "ServiceDialog": "directorio-de-servicios",
    "DuplicateReviewDialog": "posibles-duplicados",
    "ErrorDialog": "si-algo-sale-mal",
    "AboutDialog": "la-ventana",
    "BackupsDialog": "copias-de-seguridad-y-restauración",
    "KeyFileDialog": "inscribir-la-casa-una-sola-vez",
    "RestoreAssistant": "restaurar-una-copia",
    "ChangePasswordDialog": "iniciar-sesión",
    "NewAccountDialog": "cuentas-de-usuario",
    "ResetPasswordDialog": "cuentas-de-usuario",
}


def guide_path() -> Path:
    return resources_dir() / "help" / GUIDE_FILE


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = unicodedata.normalize("NFC", heading.strip().lower())
    text = "".join(c for c in text if c.isalnum() or c in " -_")
    return re.sub(r" ", "-", text)


def section_for(window: QWidget | None) -> str:
    """The section about ``window``: a known dialog, or the main window's current page."""
    while window is not None:
        name = type(window).__name__
        if name in DIALOG_SECTIONS:
            return DIALOG_SECTIONS[name]
        current_key = getattr(window, "current_key", None)
        if callable(current_key):
            return PAGE_SECTIONS.get(str(current_key()), DEFAULT_SECTION)
        parent = window.parentWidget()
        window = parent.window() if parent is not None else None
    return DEFAULT_SECTION


class HelpWindow(QWidget):
    """The guide, scrolled to a section; links between sections stay inside the window."""

    def __init__(self, path: Path | None = None) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setWindowTitle(_("User guide — OMA Desktop"))
        self.setObjectName("helpWindow")
        self.browser = QTextBrowser()
        self.browser.setObjectName("guide")
        self.browser.setAccessibleName(_("User guide"))
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._follow)
        self.browser.setMarkdown((path or guide_path()).read_text(encoding="utf-8"))
        self.sections = self._index_headings()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        self.resize(760, 640)
        # settle the size constraints before the native window exists (no resize round-trips)
        self.ensurePolished()
        layout.activate()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc closes the guide, as any other window of the app."""
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            event.accept()
            return
        super().keyPressEvent(event)

    def _index_headings(self) -> dict[str, QTextBlock]:
        sections: dict[str, QTextBlock] = {}
        block = self.browser.document().begin()
        while block.isValid():
            if block.blockFormat().headingLevel() > 0:
                sections.setdefault(slug(block.text()), block)
            block = block.next()
        return sections

    def show_section(self, section: str) -> None:
        """Show the window (raised) with ``section``'s heading at the top."""
        self.show()
        self.raise_()
        self.activateWindow()
        self.scroll_to(section)

    def scroll_to(self, section: str) -> bool:
        block = self.sections.get(section)
        if block is None:
            return False
        self.browser.setTextCursor(QTextCursor(block))
        layout = self.browser.document().documentLayout()
        self.browser.verticalScrollBar().setValue(int(layout.blockBoundingRect(block).top()))
        return True

    def current_section(self) -> str:
        """The section whose text is at the top of the window."""
        top = self.browser.verticalScrollBar().value()
        layout = self.browser.document().documentLayout()
        current = ""
        for name, block in self.sections.items():
            if layout.blockBoundingRect(block).top() <= top + 2:
                current = name
        return current

    def _follow(self, url: QUrl) -> None:
        if not url.scheme() and url.fragment():
            self.scroll_to(url.fragment(QUrl.ComponentFormattingOption.FullyDecoded))
        elif url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)


class HelpKey(QObject):
    """F1 anywhere in the app: the guide at the part about the window that has the keyboard.

    The main window has its own F1 action; every window opened from it (a dialog is window-modal,
    which blocks the main window's shortcuts) gets an F1 shortcut of its own the first time
    it takes the focus. No event filter: nothing runs on the app's other events.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window: HelpWindow | None = None
        self._main: QWidget | None = parent if isinstance(parent, QWidget) else None
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    def open(self, section: str) -> HelpWindow:
        if self.window is None:
            self.window = HelpWindow()
            self.window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.window.destroyed.connect(self._forget)
        self.window.show_section(section)
        return self.window

    def _forget(self) -> None:
        self.window = None

    def close(self) -> None:
        if self.window is not None:
            self.window.close()

    def _owns(self, window: QWidget) -> bool:
        """Whether ``window`` was opened from this key's main window (a dialog of its pages)."""
        parent = window.parentWidget()
        while parent is not None:
            if parent is self._main:
                return True
            parent = parent.parentWidget()
        return False

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is None:
            return
        window = new.window()
        if window is self._main or window.property(_HAS_F1) or not self._owns(window):
            return
        window.setProperty(_HAS_F1, True)  # one F1 per window
        key = QShortcut(QKeySequence(Qt.Key.Key_F1), window)
        key.activated.connect(lambda w=window: self.open(section_for(w)))


_HAS_F1 = "omaHelpShortcut"
