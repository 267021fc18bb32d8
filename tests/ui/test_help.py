"""F1 opens the user guide inside the app, at the part about the screen in front of the clerk."""

from __future__ import annotations

import re
from pathlib import Path

from kbd import wait_active
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from oma_desktop.ui.help import DIALOG_SECTIONS, PAGE_SECTIONS, HelpWindow, guide_path, slug
from oma_desktop.ui.main_window import MainWindow
from oma_desktop.ui.pages import PAGES

ROOT = Path(__file__).resolve().parents[2]


def _help_after_f1(qtbot: QtBot, window: MainWindow, on: QWidget | None = None) -> HelpWindow:
    """F1 on the widget with the keyboard in ``on`` (the main window unless a dialog is)."""
    top = on or window
    qtbot.keyClick(top.focusWidget() or top, Qt.Key.Key_F1)
    help_window = window.help_key.window
    assert help_window is not None
    qtbot.waitExposed(help_window)
    return help_window


def _top_heading(help_window: HelpWindow) -> str:
    """The heading of the text shown at the top of the guide's window."""
    browser = help_window.browser
    block = browser.cursorForPosition(browser.viewport().rect().topLeft()).block()
    while block.isValid() and block.blockFormat().headingLevel() == 0:
        block = block.previous()
    return block.text()


def test_the_guide_in_docs_is_the_one_shipped_in_the_app() -> None:
    assert guide_path() == ROOT / "resources" / "help" / "guia-usuario.md"
    assert (ROOT / "docs" / "guia-usuario.md").read_text(encoding="utf-8") == guide_path().read_text(
        encoding="utf-8"
    )


def test_every_page_and_link_has_its_section_in_the_guide(qtbot: QtBot) -> None:
    help_window = HelpWindow()
    qtbot.addWidget(help_window)
    assert slug("Importar listas de Excel o CSV") == "importar-listas-de-excel-o-csv"
    assert slug("Atención anónima") == "atención-anónima"
    for spec in PAGES:
        assert PAGE_SECTIONS[spec.key] in help_window.sections, spec.key
    for dialog, section in DIALOG_SECTIONS.items():
        assert section in help_window.sections, dialog
    text = guide_path().read_text(encoding="utf-8")
    for target in re.findall(r"\]\(#([^)]+)\)", text):
        assert target in help_window.sections, target


def test_f1_on_atencion_opens_the_guide_at_atencion(qtbot: QtBot, window: MainWindow) -> None:
    window.show_page("attention")
    help_window = _help_after_f1(qtbot, window)
    assert help_window.windowTitle() == "Guía de uso — OMA Desktop"
    assert help_window.current_section() == "atención"
    assert _top_heading(help_window) == "Atención"
    assert help_window.browser.verticalScrollBar().value() > 0


def test_f1_follows_the_page_and_reuses_the_window(qtbot: QtBot, window: MainWindow) -> None:
    window.show_page("follow_up")
    first = _help_after_f1(qtbot, window)
    assert _top_heading(first) == "Seguimiento"
    window.activateWindow()
    wait_active(qtbot, window)
    window.show_page("people")
    second = _help_after_f1(qtbot, window)
    assert second is first
    assert _top_heading(second) == "Personas"
    qtbot.keyClick(second.browser, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.help_key.window is None)


def test_f1_in_the_person_form_opens_the_part_about_the_form(
    qtbot: QtBot, window: MainWindow
) -> None:
    page = window.show_page("attention")
    page.panel.set_text("Nadie Registrado Aquí")
    dialog = page.new_person()
    assert dialog is not None
    wait_active(qtbot, dialog)
    help_window = _help_after_f1(qtbot, window, dialog)
    assert _top_heading(help_window) == "Ficha de la persona"
    dialog.hide()


def test_about_moved_to_the_help_menu_without_f1(window: MainWindow) -> None:
    assert window.help_action.text() == "&Guía de uso"
    assert window.help_action.shortcut().toString() == "F1"
    assert window.about_action.shortcut().isEmpty()
    assert window.about_action.text() == "&Acerca de OMA Desktop"


def test_links_between_sections_stay_inside_the_guide(qtbot: QtBot) -> None:
    help_window = HelpWindow()
    qtbot.addWidget(help_window)
    help_window.show_section("atención")
    qtbot.waitExposed(help_window)
    help_window.browser.anchorClicked.emit(QUrl("#seguimiento"))
    assert help_window.current_section() == "seguimiento"


def test_the_guide_names_every_section_and_its_key() -> None:
    from oma_desktop.i18n import _

    text = guide_path().read_text(encoding="utf-8")
    for spec in PAGES:
        assert f"**{_(spec.title)}**" in text, spec.key
        assert f"**{spec.shortcut}**" in text or spec.key in {"map", "reports", "sync", "admin"}, spec.key
    for words in ("**Atención anónima**", "**Ctrl+Shift+N**", "**No conoce la fecha exacta**",
                  "**No indicado**", "**Misma persona**", "**Otra persona**", "**Marcar como hecho…**"):
        assert words in text, words


def test_f1_in_the_consultation_form_opens_registrar_una_atencion(
    qtbot: QtBot, window: MainWindow
) -> None:
    page = window.show_page("attention")
    dialog = page.quick_consultation()  # type: ignore[attr-defined]
    assert dialog is not None
    wait_active(qtbot, dialog)
    help_window = _help_after_f1(qtbot, window, dialog)
    assert _top_heading(help_window) == "Registrar una atención"
    dialog.hide()
