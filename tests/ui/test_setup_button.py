"""Administración's «Asistente de configuración» (issue #12.3: re-run by administrators
only) and the window title at headquarters."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from oma_desktop.services.context import AppContext, open_context
from oma_desktop.ui.administracion.page import AdministrationPage
from oma_desktop.ui.main_window import MainWindow


def _page(qtbot: QtBot, ctx: AppContext) -> AdministrationPage:
    page = AdministrationPage(ctx)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    return page


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_the_casa_administrator_reruns_the_assistant(qtbot: QtBot, casa_admin: AppContext) -> None:
    page = _page(qtbot, casa_admin)
    assert page.setup_button.isVisible()
    assert page.setup_button.text() == "&Asistente de configuración…"
    wizard = page.open_setup_assistant()
    assert wizard is not None and type(wizard).__name__ == "RerunWizard"
    qtbot.waitUntil(wizard.isVisible)
    wizard.close()


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_reception_does_not_see_it(qtbot: QtBot, ctx: AppContext) -> None:
    page = _page(qtbot, ctx)
    assert not page.setup_button.isVisible()
    assert page.open_setup_assistant() is None


def test_headquarters_is_named_as_such_in_the_title(qtbot: QtBot, tmp_path: Path) -> None:
    hq = open_context(tmp_path / "sede", mode="hq")
    try:
        window = MainWindow(hq)
        qtbot.addWidget(window)
        assert window.windowTitle() == "OMA Desktop — Sede central"
        assert "Casa: Sede central" in [label.text() for label in (window.casa_label,)]
        window.close()
    finally:
        hq.close()
