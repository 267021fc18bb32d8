"""Shared form widgets: dates, accent-insensitive pickers, per-field errors, the save bar and
`submit` (the service call whose refusal is marked on the form)."""

from __future__ import annotations

import datetime as dt

import pytest
from kbd import keys, wait_active
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QVBoxLayout
from pytestqt.qtbot import QtBot

from oma_desktop.core.errors import OmaError, PermissionDeniedError, ValidationError
from oma_desktop.ui.widgets.forms import (
    CodeCombo,
    DateField,
    FieldErrors,
    SaveBar,
    SearchableCombo,
    parse_date,
    submit,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("27/11/2026", dt.date(2026, 11, 27)),
        ("27-11-2026", dt.date(2026, 11, 27)),
        ("27112026", dt.date(2026, 11, 27)),
        ("2026-11-27", dt.date(2026, 11, 27)),
        ("1/2/90", dt.date(1990, 2, 1)),
        ("", None),
        ("  ", None),
    ],
)
def test_parse_date(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["31/02/2020", "hola", "12/13/2020", "1/2"])
def test_parse_date_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_date_field_typed(qtbot) -> None:
    field = DateField()
    qtbot.addWidget(field)
    qtbot.keyClicks(field, "05/01/2027")
    assert field.value() == dt.date(2027, 1, 5)
    field.clear()
    qtbot.keyClicks(field, "32/01/2027")
    assert not field.is_valid()
    assert field.placeholderText() == "dd/mm/aaaa"


def test_searchable_combo_ignores_accents(qtbot) -> None:
    combo = SearchableCombo([("150105", "Breña"), ("150128", "Rímac"), ("150101", "Cercado de Lima")])
    qtbot.addWidget(combo)
    combo.show()
    qtbot.keyClicks(combo.lineEdit(), "rimac")
    assert combo.value() == "150128"
    combo.set_value("150105")
    assert combo.currentText() == "Breña" and combo.value() == "150105"
    combo.setEditText("no existe")
    assert combo.value() == ""
    combo.set_value(None)
    assert combo.value() == ""


def test_code_combo(qtbot) -> None:
    combo = CodeCombo([("F", "Mujer"), ("M", "Hombre")], empty_label="—")
    qtbot.addWidget(combo)
    assert combo.value() == ""
    combo.set_value("M")
    assert combo.currentText() == "Hombre" and combo.value() == "M"


def test_field_errors_mark_and_clear(qtbot) -> None:
    edit = QLineEdit()
    qtbot.addWidget(edit)
    errors = FieldErrors()
    label = errors.make_label("given_names", edit)
    assert errors.show({"given_names": "Escriba los nombres.", "other": "x"}) == ["other"]
    assert errors.is_marked("given_names")
    assert label.text() == "Escriba los nombres."
    assert edit.accessibleDescription() == "Escriba los nombres."
    errors.clear()
    assert not errors.is_marked("given_names") and label.text() == ""
    assert Qt.ItemDataRole.UserRole  # keeps the import honest


class _Form(QDialog):
    """Two fields and the save bar; ``refusal`` is what the «service» raises next."""

    def __init__(self, read_only: bool = False) -> None:
        super().__init__()
        self.errors = FieldErrors()
        self.first, self.second = QLineEdit(), QLineEdit()
        self.refusal: OmaError | None = None
        self.saved: list[str] = []
        self.bar = SaveBar(self, self.save, read_only=read_only)
        layout = QVBoxLayout(self)
        layout.addWidget(self.errors.with_label("first", self.first))
        layout.addWidget(self.errors.with_label("second", self.second))
        layout.addLayout(self.bar)

    def _service(self) -> None:
        if self.refusal is not None:
            raise self.refusal
        self.saved.append(self.first.text())

    def save(self) -> bool:
        if not submit(self._service, self.errors, self.bar.message.setText):
            return False
        self.accept()
        return True


def _ctrl_s(qtbot: QtBot, form: _Form) -> None:
    form.show()
    form.activateWindow()
    wait_active(qtbot, form)
    qtbot.keyClick(QApplication.focusWidget() or form, Qt.Key.Key_S,
                   Qt.KeyboardModifier.ControlModifier)


@pytest.mark.qt_log_ignore("^This plugin does not support propagateSizeHints")
def test_submit_marks_what_the_service_refuses_and_keeps_the_text(qtbot: QtBot) -> None:
    form = _Form()
    qtbot.addWidget(form)
    keys(qtbot, form.first, "Asociación Venezolanos en Lima")
    form.refusal = ValidationError({"second": "Escriba el teléfono.",
                                    "organisation": "Esa organización ya no existe."})
    _ctrl_s(qtbot, form)
    assert form.saved == [] and form.isVisible()
    assert form.errors.is_marked("second") and not form.errors.is_marked("first")
    assert form.errors.message("second") == "Escriba el teléfono."
    # what no field shows is said under «check the marked fields»
    assert form.bar.message.text() == "Revise los campos marcados.\nEsa organización ya no existe."
    assert form.focusWidget() is form.second
    assert form.first.text() == "Asociación Venezolanos en Lima"

    form.refusal = PermissionDeniedError("Su rol no puede registrar organizaciones.")
    qtbot.mouseClick(form.bar.save_button, Qt.MouseButton.LeftButton)
    assert form.bar.message.text() == "Su rol no puede registrar organizaciones."
    assert form.saved == []

    form.refusal = None
    qtbot.mouseClick(form.bar.save_button, Qt.MouseButton.LeftButton)
    assert form.saved == ["Asociación Venezolanos en Lima"]
    assert form.result() == QDialog.DialogCode.Accepted


@pytest.mark.qt_log_ignore("^This plugin does not support propagateSizeHints")
def test_save_bar_read_only_closes_without_save(qtbot: QtBot) -> None:
    form = _Form(read_only=True)
    qtbot.addWidget(form)
    form.show()
    assert not form.bar.save_button.isVisible()
    assert form.bar.cancel_button.text() == "Cerrar (Esc)"
    qtbot.mouseClick(form.bar.cancel_button, Qt.MouseButton.LeftButton)
    assert form.result() == QDialog.DialogCode.Rejected and form.saved == []
