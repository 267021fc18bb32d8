"""The words a clerk reads: document acronyms, "No indicado", one term for an anonymous
attention (issue #7 point 10)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po
from pytestqt.qtbot import QtBot

from oma_desktop.core.fields import PERSON_FIELDS
from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.ui.main_window import MainWindow
from oma_desktop.ui.people_page import PeoplePage
from oma_desktop.ui.widgets.field_widgets import make_widget
from oma_desktop.ui.widgets.forms import CodeCombo

PO = Path(__file__).parents[2] / "resources" / "locale" / "es" / "LC_MESSAGES" / "oma_desktop.po"


def _combo(name: str, ctx: AppContext, qtbot: QtBot) -> CodeCombo:
    spec = next(f for f in PERSON_FIELDS if f.name == name)
    combo = make_widget(spec, ctx.catalogs)
    assert isinstance(combo, CodeCombo)
    qtbot.addWidget(combo)
    return combo


def test_document_types_show_their_acronyms(qtbot: QtBot, ctx: AppContext) -> None:
    from oma_desktop.core.fields import DOCUMENT_FIELDS

    spec = next(f for f in DOCUMENT_FIELDS if f.name == "doc_type")
    combo = make_widget(spec, ctx.catalogs)
    assert isinstance(combo, CodeCombo)
    qtbot.addWidget(combo)
    items = [combo.itemText(i) for i in range(combo.count())]
    for expected in ("Documento Nacional de Identidad (DNI)", "Carné de extranjería (CE)",
                     "Permiso Temporal de Permanencia (PTP)",
                     "Carné de Permiso Temporal de Permanencia (CPP)",
                     "Carné de solicitante de refugio (CSR)", "Otro documento", "Sin documento"):
        assert expected in items


def test_an_empty_migratory_status_reads_no_indicado(
    qtbot: QtBot, window: MainWindow, ctx: AppContext
) -> None:
    assert _combo("migratory_status", ctx, qtbot).itemText(0) == "No indicado"
    person = register_person(ctx.session, PersonInput(
        given_names="Ana", paternal_surname="Mora", sex="F", nationality="VE",
        consent_register=True, documents=[DocumentInput("CSR", "123456789")]))
    page = window.open_person(person)
    assert isinstance(page, PeoplePage)
    assert page.summary.situation_label.text() == "No indicado"
    assert "CSR 123456789" in page.summary.documents_label.text()


def test_one_term_for_an_anonymous_attention() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    spanish = [(str(m.id), str(m.string)) for m in catalog if m.id and isinstance(m.string, str)]
    assert [s for _i, s in spanish if "consulta rápida" in s.lower()] == []
    about_walk_ins = [s for i, s in spanish
                      if any(w in i.lower() for w in ("quick consultation", "walk-in", "anonymous "))]
    assert about_walk_ins and all(
        "atención anónima" in s.lower() or "atenciones anónimas" in s.lower()
        for s in about_walk_ins), about_walk_ins
