"""«Rutas de atención»: a coordinator writes a topic's route and prints it; the front desk
prints it without editing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from roles import open_as

from oma_desktop.core.seed import service_id
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.handouts import get_handout
from oma_desktop.ui.derivaciones.routes_tab import RoutesTab
from oma_desktop.ui.widgets import sheet_export


@pytest.fixture
def ctx(data_dir: Path) -> Iterator[AppContext]:
    """A coordinator, who may write the routes (issue #9)."""
    context = open_as(data_dir, "coordinacion")
    yield context
    context.close()


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen plugin, not the app
def test_write_and_print_a_route(qtbot: QtBot, ctx: AppContext,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Path] = []
    monkeypatch.setattr(sheet_export, "open_file", opened.append)
    tab = RoutesTab(ctx)
    qtbot.addWidget(tab)
    tab.resize(1180, 640)
    tab.show()
    assert not tab.save_button.isEnabled()  # nothing to save before a topic is chosen
    assert "Elija arriba un tema" in tab.message.text()  # and the tab says what to do first
    tab.topic_combo.set_value("SALUD_SIS")
    assert tab.save_button.isEnabled()
    assert tab.message.text() == ""
    checked = [tab.places.item(i).data(Qt.ItemDataRole.UserRole) for i in range(tab.places.count())
               if tab.places.item(i).checkState() == Qt.CheckState.Checked]
    assert service_id("SIS") in checked  # the directory's institutions for the topic
    tab.title_edit.clear()
    qtbot.keyClicks(tab.title_edit, "Afiliarse al SIS")
    tab.steps_edit.setFocus()
    qtbot.keyClicks(tab.steps_edit, "Vaya al centro de salud de su zona")
    tab.activateWindow()
    qtbot.waitUntil(tab.isActiveWindow)
    qtbot.keyClick(tab.steps_edit, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: tab.printed_path is not None, timeout=10_000)
    assert opened == [tab.printed_path]
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(tab.printed_path).pages).split())
    assert "Afiliarse al SIS" in text and "Vaya al centro de salud de su zona" in text
    assert get_handout(ctx.session, "SALUD_SIS").steps == ["Vaya al centro de salud de su zona"]
    assert "Ruta guardada" in tab.message.text()


def test_an_empty_title_is_refused_in_spanish(qtbot: QtBot, ctx: AppContext) -> None:
    tab = RoutesTab(ctx)
    qtbot.addWidget(tab)
    tab.topic_combo.set_value("EMPLEO_CAPACITACION")
    tab.title_edit.clear()
    assert tab.save() is False
    assert tab.message.text() == "Escriba el título de la ruta."


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_reception_prints_a_route_without_editing_it(qtbot: QtBot, data_dir: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheet_export, "open_file", lambda _path: True)
    context = open_context(data_dir)  # the seeded account: recepción
    try:
        tab = RoutesTab(context)
        qtbot.addWidget(tab)
        tab.show()
        tab.topic_combo.set_value("SALUD_SIS")
        assert not tab.save_button.isVisible() and not tab.steps_edit.isEnabled()
        assert "Coordinación" in tab.message.text()  # who may write it
        assert tab.print_button.isEnabled()
        qtbot.mouseClick(tab.print_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: tab.printed_path is not None, timeout=10_000)
        assert "SIS" in " ".join(p.extract_text() for p in PdfReader(tab.printed_path).pages)
    finally:
        context.close()
