"""Fixtures shared by the screen tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kbd import wait_active
from pytestqt.qtbot import QtBot

from oma_desktop.services.context import AppContext
from oma_desktop.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot: QtBot, ctx: AppContext) -> Iterator[MainWindow]:
    """The main window at 1366×768, shown and active (test_main_window has its own)."""
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    wait_active(qtbot, win)
    yield win
    win.close()
