"""Shared form widgets: dates, accent-insensitive pickers, per-field errors."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from oma_desktop.ui.widgets.forms import (
    CodeCombo,
    DateField,
    FieldErrors,
    SearchableCombo,
    parse_date,
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
