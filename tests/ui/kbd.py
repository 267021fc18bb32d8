"""Keyboard helpers shared by the screen tests: type and press on the focused widget."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

NO_MOD = Qt.KeyboardModifier.NoModifier


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def keys(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Type ``text`` into ``widget`` key by key (QTest.keyClicks only knows ASCII)."""
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch, NO_MOD)


def type_text(qtbot: QtBot, text: str) -> None:
    """Type on whatever has the keyboard focus."""
    keys(qtbot, focused(), text)


def press(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = NO_MOD) -> None:
    """A key pressed on whatever has the keyboard focus."""
    qtbot.keyClick(focused(), key, modifier)


def wait_active(qtbot: QtBot, window: QWidget) -> None:
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
