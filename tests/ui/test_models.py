"""Item models of the Atención and Personas pages, checked without showing any window."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QModelIndex, Qt

from oma_desktop import i18n
from oma_desktop.services.consultations import ConsultationInput, record_consultation
from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.services.search import PersonHit, hit_for_person, search_persons
from oma_desktop.services.timeline import TimelineEntry, person_timeline
from oma_desktop.ui.models import PERSON_ID_ROLE, PersonSearchModel, TimelineModel
from oma_desktop.ui.models.person_search_model import (
    COL_AGE,
    COL_CASA,
    COL_DOCUMENT,
    COL_LAST_VISIT,
    COL_NAME,
    COL_NATIONALITY,
    COL_PHONE,
    document_short_label,
)
from oma_desktop.ui.models.timeline_model import KIND_ROLE, REF_ID_ROLE, TITLE_ROLE

TODAY = dt.date(2026, 11, 27)
DISPLAY = Qt.ItemDataRole.DisplayRole


def _hit(**overrides: object) -> PersonHit:
    values: dict[str, object] = dict(
        id="p1", given_names="María José", paternal_surname="Pérez", maternal_surname="Gómez",
        sex="F", age=34, age_estimated=False, nationality="VE", document_type="CE",
        document_number="001234567", phone="987654321", casa_id="CV1", last_visit="2026-11-20T10:15",
    )
    values.update(overrides)
    return PersonHit(**values)  # type: ignore[arg-type]


def _text(model: PersonSearchModel, row: int, column: int) -> str:
    return str(model.data(model.index(row, column), DISPLAY))


def test_search_model_columns_in_spanish(qtmodeltester) -> None:
    model = PersonSearchModel(casa_names={"CV1": "Casa Vecinal 1"})
    model.set_hits([
        _hit(),
        _hit(id="p2", given_names="Luis", maternal_surname="", age=40, age_estimated=True,
             nationality="CO", document_type="CEDULA_VE", document_number="V12345678",
             casa_id="CV9", last_visit=None, phone=""),
        _hit(id="p3", given_names="Ana", age=None, nationality=None, document_type=None,
             document_number=None),
    ])
    qtmodeltester.check(model)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Nombre", "Edad", "Nacionalidad", "Documento", "Casa", "Última atención",
                       "Teléfono"]
    assert _text(model, 0, COL_NAME) == "María José Pérez Gómez"
    assert _text(model, 0, COL_AGE) == "34"
    assert _text(model, 0, COL_NATIONALITY) == "Venezuela"
    assert _text(model, 0, COL_DOCUMENT) == "CE 001234567"
    assert _text(model, 0, COL_CASA) == "Casa Vecinal 1"
    assert _text(model, 0, COL_LAST_VISIT) == "20/11/2026"
    assert _text(model, 0, COL_PHONE) == "987654321"
    assert _text(model, 1, COL_NAME) == "Luis Pérez"
    assert _text(model, 1, COL_AGE) == "≈40"
    assert model.data(model.index(1, COL_AGE), Qt.ItemDataRole.ToolTipRole) == "Edad aproximada"
    assert _text(model, 1, COL_NATIONALITY) == "Colombia"
    assert _text(model, 1, COL_DOCUMENT) == "Cédula VE V12345678"
    assert _text(model, 1, COL_CASA) == "CV9"  # unknown casa: its code
    assert _text(model, 1, COL_LAST_VISIT) == ""
    assert _text(model, 2, COL_AGE) == "" and _text(model, 2, COL_DOCUMENT) == ""
    assert model.person_id(1) == "p2" and model.person_id(7) is None
    assert model.data(model.index(2, COL_PHONE), PERSON_ID_ROLE) == "p3"
    assert model.row_of("p3") == 2 and model.row_of("nobody") == -1


def test_search_model_in_english(qtmodeltester) -> None:
    i18n.setup("en")
    model = PersonSearchModel()
    model.set_hits([_hit()])
    qtmodeltester.check(model)
    assert model.headerData(COL_LAST_VISIT, Qt.Orientation.Horizontal) == "Last attention"
    assert _text(model, 0, COL_LAST_VISIT) == "11/20/2026"


def test_search_model_reset_and_empty(qtmodeltester) -> None:
    model = PersonSearchModel()
    qtmodeltester.check(model)
    assert model.rowCount() == 0
    model.set_hits([_hit(), _hit(id="p2")])
    assert model.rowCount() == 2
    model.set_hits([])
    assert model.rowCount() == 0 and model.hit(0) is None
    assert model.data(QModelIndex()) is None
    # a table model has no children
    assert model.rowCount(model.index(0, 0)) == 0


@pytest.mark.parametrize(
    ("code", "expected"),
    [("DNI", "DNI"), ("CE", "CE"), ("PTP", "PTP"), ("CEDULA_VE", "Cédula VE"),
     ("PASAPORTE", "Pasaporte"), ("NINGUNO", "Sin documento"), (None, "")],
)
def test_document_short_labels(ctx: AppContext, code: str | None, expected: str) -> None:
    assert document_short_label(code, ctx.catalogs) == expected


def test_model_over_real_search_hits(qtmodeltester, ctx: AppContext) -> None:
    pid = register_person(
        ctx.session,
        PersonInput(given_names="Yulimar", paternal_surname="Contreras", sex="F", nationality="VE",
                    estimated_age=30, phone="912 345 678", consent_register=True,
                    documents=[DocumentInput(doc_type="CE", number="001234567",
                                             expiry_date=dt.date(2027, 3, 1))]),
        TODAY,
    )
    hits = search_persons(ctx.session, "001.234.567", today=TODAY)
    assert [h.id for h in hits] == [pid]
    model = PersonSearchModel(ctx.catalogs, {"CV1": "Casa Vecinal 1"})
    model.set_hits(hits)
    qtmodeltester.check(model)
    assert _text(model, 0, COL_AGE) == "≈30"
    assert _text(model, 0, COL_DOCUMENT) == "CE 001234567"
    assert hit_for_person(ctx.session, pid, TODAY) == hits[0]
    assert hit_for_person(ctx.session, "missing") is None


def test_timeline_model(qtmodeltester, ctx: AppContext) -> None:
    entries = [
        TimelineEntry(dt.datetime(2026, 11, 27, 15, 30), "consultation", "Atención (Presencial) en CV1",
                      "Salud — Afiliación al SIS", "Recepción", "c1"),
        TimelineEntry(dt.datetime(2026, 11, 20, 9, 5), "registered", "Registro", "", "Ana", "p1"),
    ]
    model = TimelineModel()
    model.set_entries(entries)
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    first = model.index(0, 0)
    assert model.data(first, DISPLAY) == (
        "27/11/2026 15:30 · Atención (Presencial) en CV1\nSalud — Afiliación al SIS\nRecepción"
    )
    assert model.data(model.index(1, 0), DISPLAY) == "20/11/2026 09:05 · Registro\nAna"
    assert model.data(first, KIND_ROLE) == "consultation"
    assert model.data(first, REF_ID_ROLE) == "c1"
    assert model.data(first, TITLE_ROLE) == "Atención (Presencial) en CV1"
    model.set_entries([])
    assert model.rowCount() == 0


@pytest.mark.usefixtures("coordinator")
def test_timeline_model_over_a_real_person(qtmodeltester, ctx: AppContext) -> None:
    pid = register_person(
        ctx.session, PersonInput(given_names="Génesis", paternal_surname="Rojas", sex="F", nationality="VE",
                    consent_register=True),
    )
    cid = record_consultation(
        ctx.session, ConsultationInput(person_id=pid, topics=["SALUD_SIS"], summary="Afiliación al SIS"),
    )
    model = TimelineModel()
    model.set_entries(person_timeline(ctx.session, pid))
    qtmodeltester.check(model)
    rows = {model.data(model.index(r, 0), KIND_ROLE): r for r in range(model.rowCount())}
    assert set(rows) == {"consultation", "registered"}
    consultation = model.index(rows["consultation"], 0)
    assert model.data(consultation, REF_ID_ROLE) == cid
    assert "Afiliación al SIS" in model.data(consultation, DISPLAY)
