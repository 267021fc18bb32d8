"""Histories from the change log, and logged values written as a clerk reads them."""

from __future__ import annotations

import datetime as dt

import pytest

from oma_desktop import i18n
from oma_desktop.services import households
from oma_desktop.services.consultations import (
    ConsultationInput,
    link_to_person,
    load_consultation,
    record_consultation,
    update_consultation,
)
from oma_desktop.services.context import AppContext
from oma_desktop.services.history import (
    Formatter,
    consultation_history,
    document_label,
    history_line,
    person_history,
    record_history,
    topic_names,
)
from oma_desktop.services.persons import (
    DocumentInput,
    PersonInput,
    load_person,
    register_person,
    update_person,
)

TODAY = dt.date(2026, 11, 27)


def _register(ctx: AppContext, **extra: object) -> str:
    data = PersonInput(
        given_names="José Luis", paternal_surname="Pérez", maternal_surname="Quispe", sex="M",
        birth_date=dt.date(1990, 5, 12), nationality="VE", district_ubigeo="150132",
        migratory_status="en_tramite", consent_register=True,
        documents=[DocumentInput("CEDULA_VE", "12345678", "VE")],
    )
    for key, value in extra.items():
        setattr(data, key, value)
    return register_person(ctx.session, data, TODAY)


@pytest.mark.usefixtures("coordinator")
def test_person_history_newest_first_with_documents_and_household(ctx: AppContext) -> None:
    person_id = _register(ctx)
    data = load_person(ctx.session, person_id, TODAY)
    data.nationality = "CO"
    data.wg = {"wg_walking": 2}
    data.consent_refer = True  # also logs the consent date and who: bookkeeping, not shown
    data.documents.append(DocumentInput("PASAPORTE", "P1234567", "CO", None, dt.date(2030, 1, 5)))
    update_person(ctx.session, person_id, data, TODAY)
    households.ensure_household(ctx.session, person_id)

    entries = person_history(ctx.session, person_id)

    assert [(e.title, e.subject) for e in entries] == [
        ("Se unió a un hogar", "Hogar de José Luis Pérez"),
        ("Documento agregado", "Pasaporte P1234567"),
        ("Datos modificados", ""),
        ("Documento agregado", "Cédula de identidad venezolana 12345678"),
        ("Registro", ""),
    ]
    assert [e.change.user for e in entries] == ["Recepción"] * 5
    joined, passport, changed, _cedula, registered = entries
    assert [(f.label, f.text) for f in joined.fields] == [("Parentesco", "Jefe/a de hogar")]
    assert [(f.label, f.text) for f in changed.fields] == [
        ("Nacionalidad", "Colombia"),
        ("Consentimiento para derivar", "Sí"),
        ("Caminar o subir escaleras", "Mucha dificultad"),
    ]
    assert ("Fecha de vencimiento", "05/01/2030") in [(f.label, f.text) for f in passport.fields]
    assert ("País emisor", "Colombia") in [(f.label, f.text) for f in passport.fields]
    # a creation lists what was given, in form order, without the empty fields
    assert [(f.label, f.text) for f in registered.fields] == [
        ("Nombres", "José Luis"),
        ("Apellido paterno", "Pérez"),
        ("Apellido materno", "Quispe"),
        ("Sexo", "Hombre"),
        ("Fecha de nacimiento", "12/05/1990"),
        ("Nacionalidad", "Venezuela"),
        ("Consentimiento para el registro", "Sí"),
        ("Distrito", "San Juan de Lurigancho"),
        ("Situación migratoria", "Regularización en trámite"),
    ]
    assert passport.record["expiry_date"] == "2030-01-05"


def test_an_update_of_bookkeeping_only_is_left_out(ctx: AppContext) -> None:
    person_id = _register(ctx)
    before = len(person_history(ctx.session, person_id))
    with ctx.session.store.transaction(ctx.user_id) as tx:
        tx.update("person", person_id, {"consent_date": dt.date(2026, 12, 1)})
    assert len(person_history(ctx.session, person_id)) == before
    assert record_history(ctx.session, person_id)[0].fields == {"consent_date": "2026-12-01"}


def test_removed_documents_and_leaving_a_household(ctx: AppContext) -> None:
    head = _register(ctx)
    child = _register(ctx, given_names="Carla", documents=[])
    household = households.ensure_household(ctx.session, head)
    member = households.add_member(ctx.session, household, child, "hijo")
    households.remove_member(ctx.session, member)
    data = load_person(ctx.session, head, TODAY)
    data.documents = []
    update_person(ctx.session, head, data, TODAY)
    assert [e.title for e in person_history(ctx.session, child)][:2] == [
        "Dejó el hogar", "Se unió a un hogar"]
    removed = person_history(ctx.session, head)[0]
    assert (removed.title, removed.subject, removed.fields) == (
        "Documento retirado", "Cédula de identidad venezolana 12345678", ())


@pytest.mark.usefixtures("coordinator")
def test_consultation_history_in_one_line_each(ctx: AppContext) -> None:
    person_id = _register(ctx)
    cid = record_consultation(
        ctx.session,
        ConsultationInput(person_id=person_id, topics=["SALUD_SIS"], summary="SIS",
                          occurred_at=dt.datetime(2026, 11, 2, 10, 0)),
    )
    data = load_consultation(ctx.session, cid)
    data.summary, data.topics, data.channel = "SIS de su hija", ["SALUD_SIS", "ORIENTACION"], "telefono"
    update_consultation(ctx.session, cid, data)
    entries = consultation_history(ctx.session, cid)
    assert [e.title for e in entries] == [
        "modificó Temas, Qué consultó, Canal", "registró la atención"]
    line = history_line(entries[0])
    assert line.startswith(dt.date.today().strftime("%d/%m/%Y"))
    assert line.endswith(" — Recepción: modificó Temas, Qué consultó, Canal")
    assert [(f.label, f.text) for f in entries[0].fields] == [
        ("Temas", "Salud y afiliación al SIS, Orientación general"),
        ("Qué consultó", "SIS de su hija"),
        ("Canal", "Teléfono"),
    ]


def test_linking_a_walk_in_is_told_as_such(ctx: AppContext) -> None:
    person_id = _register(ctx)
    cid = record_consultation(
        ctx.session, ConsultationInput(topics=["ORIENTACION"], anon_sex="F", anon_age=30)
    )
    link_to_person(ctx.session, cid, person_id)
    assert [e.title for e in consultation_history(ctx.session, cid)] == [
        "la vinculó a una persona registrada", "registró la atención"]


def test_values_as_a_clerk_reads_them(ctx: AppContext) -> None:
    person_id = _register(ctx)
    household = households.ensure_household(ctx.session, person_id)
    text = Formatter(ctx.session).text
    assert text("person", "sex", "F") == "Mujer"
    assert text("person", "phone", "") == "(vacío)"
    assert text("person", "birth_date", "1990-05-12") == "12/05/1990"
    assert text("person", "birth_date", "no es fecha") == "no es fecha"
    assert text("person", "nationality", "XX") == "Apátrida"
    assert text("person", "district_ubigeo", "150101") == "Cercado de Lima"
    assert text("person", "wg_seeing", 0) == "Sin dificultad"
    assert text("person", "vuln_homeless", 1) == "Sí"
    assert text("person", "consent_contact", 0) == "No"
    assert text("document", "doc_type", "CE") == "Carné de extranjería (CE)"
    assert text("consultation", "occurred_at", "2026-11-02T10:00") == "02/11/2026 10:00"
    assert text("consultation", "casa_id", "CV1") == "Casa Vecinal 1"
    assert text("consultation", "staff_user_id", ctx.user_id) == "Recepción"
    assert text("consultation", "anon_age", 1234) == "1,234"
    assert text("household_member", "household_id", household) == "Hogar de José Luis Pérez"
    assert text("household_member", "person_id", person_id) == "José Luis Pérez Quispe"
    assert text("household_member", "relationship", "hijo") == "Hijo/a"
    assert text("person", "not_declared", "x") == "x"
    assert document_label(ctx.catalogs, "XYZ", "1") == "XYZ 1"
    assert topic_names(ctx.catalogs, '["SALUD_SIS", "NADA"]') == "Salud y afiliación al SIS, NADA"


@pytest.mark.parametrize(("lang", "expected"), [("es", "Hombre"), ("en", "Man")])
def test_values_follow_the_interface_language(ctx: AppContext, lang: str, expected: str) -> None:
    i18n.setup(lang)
    assert Formatter(ctx.session).text("person", "sex", "M") == expected
