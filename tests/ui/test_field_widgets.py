"""Widgets built from the field tables: kinds, captions, reading, loading, dirty check, Tab order."""

from __future__ import annotations

import datetime as dt

from kbd import keys
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QDateTimeEdit, QLineEdit, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot

from oma_desktop.core.catalogs import load_catalogs
from oma_desktop.core.fields import CONSULTATION_FIELDS, PERSON_FIELDS, FieldSpec
from oma_desktop.ui.widgets.field_widgets import FieldForm, with_mnemonic
from oma_desktop.ui.widgets.forms import CodeCombo, DateField, SearchableCombo
from oma_desktop.ui.widgets.topic_picker import TopicPicker

TYPED = [s.name for s in PERSON_FIELDS if s.tab and s.tab != "documents"]


_HOLDERS: list[QWidget] = []  # parents of the fields, alive until the test's qtbot closes them


def _form(
    qtbot: QtBot,
    table: tuple[FieldSpec, ...] = PERSON_FIELDS,
    names: list[str] = TYPED,
    choices: dict[str, list[tuple[str, str]]] | None = None,
) -> FieldForm:
    form = FieldForm(table, load_catalogs(), choices=choices)
    form.build(names)
    holder = QWidget()
    qtbot.addWidget(holder)
    _HOLDERS[:] = [holder]
    for widget in form.widgets.values():
        widget.setParent(holder)
    return form


def test_each_kind_gets_its_widget_with_the_spanish_name(qtbot: QtBot) -> None:
    form = _form(qtbot)
    expected = {
        "given_names": QLineEdit, "notes": QPlainTextEdit, "birth_date": DateField,
        "sex": CodeCombo, "nationality": SearchableCombo, "district_ubigeo": SearchableCombo,
        "consent_register": QCheckBox, "estimated_age": QLineEdit, "wg_seeing": CodeCombo,
    }
    for name, kind in expected.items():
        assert type(form[name]) is kind, name
    assert form["given_names"].accessibleName() == "Nombres"
    assert form["wg_seeing"].accessibleName() == "Ver, aun usando anteojos"
    assert form["nationality"].currentText() == "Venezuela"  # the spec's default
    assert form["district_ubigeo"].currentText() == "Cercado de Lima"
    assert form["estimated_age"].text() == ""  # no age is assumed
    assert form["sex"].currentText() == "Elija…"
    assert form["phone"].placeholderText() == "Celular: 9 dígitos"
    assert form["given_names"].maxLength() == 80


def test_captions_have_unique_mnemonics_and_required_marks(qtbot: QtBot) -> None:
    form = _form(qtbot)
    used = {"g"}
    given = form.caption("given_names", used)
    paternal = form.caption("paternal_surname", used)
    assert given.text() == "&Nombres *" and given.buddy() is form["given_names"]
    assert paternal.text() == "&Apellido paterno *"
    assert form.caption("maternal_surname", used).text() == "Apellido &materno"
    form.caption("consent_register", used)  # a check box carries its own caption
    assert form["consent_register"].text().endswith(" *") and "&" in form["consent_register"].text()
    assert with_mnemonic("Ya & marcado", set()) == "Ya & marcado"


def test_reading_says_what_could_not_be_read(qtbot: QtBot) -> None:
    form = _form(qtbot)
    keys(qtbot, form["birth_date"], "31/02/1990")
    form["district_ubigeo"].setEditText("Lima Norte")
    form["nationality"].setEditText("Narnia")
    keys(qtbot, form["given_names"], "Ana")
    values, problems = form.read()
    assert problems == {
        "birth_date": "Escriba una fecha válida (día/mes/año).",
        "district_ubigeo": "Elija un distrito de la lista.",
        "nationality": "Elija la nacionalidad (o «Apátrida»).",
    }
    assert values["birth_date"] is None and values["district_ubigeo"] == ""
    assert values["given_names"] == "Ana"


def test_load_then_read_gives_the_values_back(qtbot: QtBot) -> None:
    form = _form(qtbot)
    stored = {
        "given_names": "José", "sex": "M", "birth_date": dt.date(1990, 5, 12),
        "nationality": "CO", "district_ubigeo": "150132", "wg_walking": 2,
        "vuln_homeless": True, "notes": "Llegó ayer.", "migratory_status": "",
    }
    form.load(stored)
    values, problems = form.read(list(stored))
    assert problems == {} and values == stored
    assert form["wg_walking"].currentText() == "Mucha dificultad"
    assert form["district_ubigeo"].currentText() == "San Juan de Lurigancho"


def test_the_dirty_check_sees_typing(qtbot: QtBot) -> None:
    form = _form(qtbot)
    before = form.state()
    keys(qtbot, form["zone"], "AA.HH.")
    assert form.state() != before
    form["zone"].clear()
    assert form.state() == before
    changed: list[object] = []
    form.on_change(lambda *args: changed.append(args))
    box = form["vuln_pregnant"]
    _HOLDERS[0].show()
    qtbot.waitExposed(_HOLDERS[0])
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert changed and form.state() != before and box.isChecked()


def test_consultation_fields_topics_numbers_and_references(qtbot: QtBot) -> None:
    names = ["anon_age", "topics", "occurred_at", "casa_id"]
    form = _form(qtbot, CONSULTATION_FIELDS, names,
                 choices={"casa_id": [("CV1", "Casa Vecinal 1"), ("CV2", "Casa Vecinal 2")]})
    picker = form["topics"]
    assert isinstance(picker, TopicPicker) and isinstance(form["occurred_at"], QDateTimeEdit)
    assert form.chain() == [form["anon_age"], picker.filter_edit, picker.view,
                            form["occurred_at"], form["casa_id"]]
    assert form.error_target("topics") is picker.view
    keys(qtbot, form["anon_age"], "4x5")  # digits only, three at most
    form.load({"topics": ["SALUD_SIS"], "casa_id": "CV2",
               "occurred_at": dt.datetime(2026, 11, 2, 10, 0, 30)})
    values, problems = form.read()
    assert problems == {}
    assert values == {"anon_age": 45, "topics": ["SALUD_SIS"], "casa_id": "CV2",
                      "occurred_at": dt.datetime(2026, 11, 2, 10, 0)}
    form["anon_age"].clear()
    assert form.read(["anon_age"])[0] == {"anon_age": None}
