"""The main window shell: navigation, lazy pages, shortcuts, status bar, window state."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication, QStyle, QWidget
from pytestqt.qtbot import QtBot

from oma_desktop import i18n
from oma_desktop.i18n import N_
from oma_desktop.services.context import AppContext
from oma_desktop.ui.about import AboutDialog
from oma_desktop.ui.main_window import MainWindow
from oma_desktop.ui.pages import PAGES, PageSpec, lazy, placeholder
from oma_desktop.ui.placeholder import PlaceholderPage

SPANISH_TITLES = [
    "Atención",
    "Hoy",
    "Personas",
    "Derivaciones",
    "Seguimiento",
    "Mapa",
    "Reportes",
    "Comunidad",
    "Sincronización",
    "Administración",
]
ENGLISH_TITLES = [
    "Attention",
    "Today",
    "People",
    "Referrals",
    "Follow-up",
    "Map",
    "Reports",
    "Community",
    "Synchronisation",
    "Administration",
]


DESK_HIDDEN = ("map", "reports", "community", "sync")
DESK_HIDDEN_ES = ("Mapa", "Reportes", "Comunidad", "Sincronización")
DESK_HIDDEN_EN = ("Map", "Reports", "Community", "Synchronisation")


def _open(qtbot: QtBot, ctx: AppContext, pages: tuple[PageSpec, ...] = PAGES) -> MainWindow:
    window = MainWindow(ctx, pages)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return window


@pytest.fixture
def window(qtbot: QtBot, ctx: AppContext) -> Iterator[MainWindow]:
    win = _open(qtbot, ctx)
    yield win
    win.close()


def _nav_texts(window: MainWindow) -> list[str]:
    nav = window.navigation
    return [nav.item(row).text() for row in range(nav.count())]


def _current_page(window: MainWindow) -> PlaceholderPage:
    page = window.stack.currentWidget()
    assert isinstance(page, PlaceholderPage)
    return page


def test_navigation_lists_the_pages_in_spanish(window: MainWindow) -> None:
    # recepción neither synchronises nor sees the reports: «Mapa», «Reportes», «Comunidad»
    # and «Sincronización» are not listed for it
    desk_titles = [t for t in SPANISH_TITLES if t not in DESK_HIDDEN_ES]
    assert _nav_texts(window) == desk_titles
    assert window.page_keys() == [spec.key for spec in PAGES if spec.key not in DESK_HIDDEN]
    assert window.windowTitle() == "OMA Desktop — Casa Vecinal 1"
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus == ["&Archivo", "&Ir a", "Ay&uda"]
    assert [a.text() for a in window.page_actions.values()] == desk_titles
    assert window.about_action.text() == "&Acerca de OMA Desktop"
    assert window.quit_action.text() == "&Salir"


def test_first_page_is_attention(qtbot: QtBot, window: MainWindow) -> None:
    from oma_desktop.ui.atencion.page import AttentionPage

    assert window.current_key() == "attention"
    page = window.stack.currentWidget()
    assert isinstance(page, AttentionPage)
    qtbot.waitUntil(lambda: page.search_edit.hasFocus())


def test_pages_not_built_yet_are_under_construction(qtbot: QtBot, ctx: AppContext) -> None:
    later = PageSpec("later", N_("Reports"), QStyle.StandardPixmap.SP_FileIcon, "Ctrl+9",
                     placeholder(N_("Reports"), N_("Reports")))
    window = _open(qtbot, ctx, (PAGES[0], later))
    window.show_page("later")
    page = _current_page(window)
    assert page.title_label.text() == "Reportes"
    assert page.status_label.text() == "En construcción"
    window.close()


def test_pages_are_built_lazily(window: MainWindow) -> None:
    assert window.stack.count() == 1
    assert window.page("attention") is not None
    assert all(window.page(key) is None for key in window.page_keys()[1:])
    window.show_page("today")
    assert window.stack.count() == 2
    assert window.page("today") is window.stack.currentWidget()
    assert window.page("people") is None


def test_factory_runs_once_per_page(qtbot: QtBot, ctx: AppContext) -> None:
    calls: list[str] = []

    def factory(key: str) -> PageSpec:
        def build(_ctx: AppContext) -> QWidget:
            calls.append(key)
            return QWidget()

        return PageSpec(key, key, PAGES[0].icon, "", build)

    window = _open(qtbot, ctx, (factory("a"), factory("b")))
    assert calls == ["a"]
    window.show_page("b")
    window.show_page("a")
    window.show_page("b")
    assert calls == ["a", "b"]
    page_b = window.page("b")
    assert page_b is not None and page_b.objectName() == "page_b"
    window.close()


def test_lazy_imports_on_first_call(ctx: AppContext) -> None:
    build = lazy("oma_desktop.ui.about:AboutDialog")
    dialog = build(ctx)
    try:
        assert isinstance(dialog, AboutDialog)
    finally:
        dialog.deleteLater()


def test_ctrl_3_switches_to_referrals(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == "referrals"
    assert type(window.stack.currentWidget()).__name__ == "ReferralsPage"
    assert window.navigation.currentItem().text() == "Derivaciones"


def test_a_role_that_synchronises_sees_every_page(qtbot: QtBot, coordinator: AppContext) -> None:
    window = _open(qtbot, coordinator)
    assert _nav_texts(window) == SPANISH_TITLES
    qtbot.keyClick(window, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == "sync"
    assert type(window.stack.currentWidget()).__name__ == "SyncPage"
    window.close()


def test_every_page_has_its_ctrl_number_shortcut(qtbot: QtBot, coordinator: AppContext) -> None:
    window = _open(qtbot, coordinator)
    keys = [Qt.Key(Qt.Key.Key_0.value + int(spec.shortcut.removeprefix("Ctrl+"))) for spec in PAGES]
    assert sorted(keys) == [Qt.Key(Qt.Key.Key_0.value + i) for i in range(10)]
    for key, page_key in reversed(list(zip(keys, window.page_keys(), strict=True))):
        qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
        assert window.current_key() == page_key
        assert window.stack.currentWidget() is window.page(page_key)
    assert window.stack.count() == 10
    window.close()


def test_clicking_a_navigation_item_switches_the_page(qtbot: QtBot, window: MainWindow) -> None:
    nav = window.navigation
    rect = nav.visualItemRect(nav.item(4))
    qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_key() == "follow_up"
    assert type(window.stack.currentWidget()).__name__ == "FollowUpPage"


def test_navigation_item_text_is_not_cut(window: MainWindow) -> None:
    nav = window.navigation
    metrics = nav.fontMetrics()
    for row in range(nav.count()):
        item = nav.item(row)
        needed = metrics.horizontalAdvance(item.text()) + nav.iconSize().width()
        assert needed < nav.viewport().width(), item.text()


def test_status_bar_shows_casa_user_and_never_synced(window: MainWindow) -> None:
    assert window.casa_label.text() == "Casa: Casa Vecinal 1"
    assert window.user_label.text() == "Usuario: Recepción"
    assert window.sync_label.text() == "Última sincronización: nunca"
    assert window.sync_label.accessibleName() == "Última sincronización: nunca"
    assert window.sync_label.isVisible()


def test_status_bar_shows_last_sync_date(window: MainWindow, ctx: AppContext) -> None:
    ctx.session.store.set_meta("last_sync_at", "2026-11-20T16:45:00")
    window.refresh_status()
    text = window.sync_label.text()
    assert text == "Última sincronización: " + i18n.format_datetime("2026-11-20T16:45:00")
    assert "20/11" in text and "nunca" not in text


def test_accessible_names(window: MainWindow) -> None:
    assert window.navigation.accessibleName() == "Secciones"
    assert window.stack.accessibleName() == "Sección actual"
    assert window.casa_label.accessibleName() == "Casa: Casa Vecinal 1"


def test_about_opens_from_the_help_menu(qtbot: QtBot, window: MainWindow) -> None:
    window.about_action.trigger()  # F1 is the user guide now (tests/ui/test_help.py)
    dialog = window.findChild(AboutDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert dialog.windowTitle() == "Acerca de OMA Desktop"
    dialog.reject()
    qtbot.waitUntil(lambda: window.findChild(AboutDialog) is None)


def test_ctrl_q_closes_the_window(qtbot: QtBot, window: MainWindow, ctx: AppContext) -> None:
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible()
    assert ctx.paths.settings.exists()


def test_geometry_is_saved_and_restored(qtbot: QtBot, ctx: AppContext) -> None:
    first = _open(qtbot, ctx)
    default = first.size()
    assert default.width() >= 1024 and default.height() >= 640
    wanted = QSize(1024, 660)
    assert wanted != default
    first.resize(wanted)
    qtbot.waitUntil(lambda: first.size() == wanted)
    first.close()
    assert "geometry=" in ctx.paths.settings.read_text(encoding="utf-8")
    second = _open(qtbot, ctx)
    assert second.size() == wanted
    second.close()
    # the settings live in the data folder, never in the user's config folder
    config = Path(os.environ["XDG_CONFIG_HOME"])
    assert not config.exists() or not any(config.rglob("*.conf"))


def test_window_fits_a_1366x768_screen(window: MainWindow) -> None:
    assert window.minimumWidth() <= 1366 and window.minimumHeight() <= 700


def test_english_titles(qtbot: QtBot, ctx: AppContext) -> None:
    i18n.setup("en")
    window = _open(qtbot, ctx)
    assert _nav_texts(window) == [t for t in ENGLISH_TITLES if t not in DESK_HIDDEN_EN]
    assert window.sync_label.text() == "Last synchronisation: never"
    assert window.user_label.text() == "User: Recepción"
    window.close()
