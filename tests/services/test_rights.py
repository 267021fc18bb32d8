"""Consent history, the rights register (due dates, answers), the access file,
anonymisation and the retention review (issue #9.5)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
from pathlib import Path

import pytest
from acting import act_as
from pypdf import PdfReader

from oma_desktop.core.errors import PermissionDeniedError, UnloggedWriteError, ValidationError
from oma_desktop.core.schema import ENTITY_TABLES
from oma_desktop.core.seed import service_id
from oma_desktop.services import anonymise, consent, rights
from oma_desktop.services.consultations import ConsultationInput, record_consultation
from oma_desktop.services.context import AppContext
from oma_desktop.services.households import HouseholdChanges, MemberInput
from oma_desktop.services.persons import (
    DocumentInput,
    PersonInput,
    load_person,
    register_person,
    update_person,
)
from oma_desktop.services.referrals import ReferralInput, change_status, create_referral
from oma_desktop.services.search import search_persons

TODAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, 10, 30)
SECRETS = ("Zoraida", "Quispeluz", "Warmakuna", "XK4471923", "945112233", "912000777",
           "Ilmarinen", "Mz B Lote 7")


def _person(ctx: AppContext, **kw: object) -> str:
    data = PersonInput(
        given_names="Zoraida", paternal_surname="Quispeluz", maternal_surname="Warmakuna",
        sex="F", nationality="VE", phone="945112233", whatsapp="912000777",
        birth_date=dt.date(1988, 3, 14), district_ubigeo="150115", address_ref="Mz B Lote 7",
        notes="Vive con Ilmarinen", consent_register=True, consent_refer=True,
        consent_method="escrito",
        documents=[DocumentInput(doc_type="PASAPORTE", number="XK4471923",
                                 expiry_date=dt.date(2030, 1, 1))])
    return register_person(ctx.session, dataclasses.replace(data, **kw), TODAY)  # type: ignore[arg-type]


# --- consent -------------------------------------------------------------------------------


def test_consent_recorded_on_create_on_change_and_not_on_unchanged_save(ctx: AppContext) -> None:
    pid = _person(ctx)
    history = consent.consent_history(ctx.session, pid)
    assert [(e.purpose, e.granted, e.method, e.user) for e in history] == [
        ("register", True, "escrito", "Recepción"), ("refer", True, "escrito", "Recepción"),
        ("contact", False, "escrito", "Recepción")]

    data = load_person(ctx.session, pid)
    update_person(ctx.session, pid, data, TODAY)  # nothing changed
    data.notes = "otra nota"
    update_person(ctx.session, pid, data, TODAY)  # a change, but not of a consent
    assert len(consent.consent_history(ctx.session, pid)) == 3

    data.consent_contact, data.consent_refer, data.consent_method = True, False, "verbal"
    update_person(ctx.session, pid, data, TODAY)
    history = consent.consent_history(ctx.session, pid)
    assert [(e.purpose, e.granted, e.method) for e in history[3:]] == [
        ("refer", False, "verbal"), ("contact", True, "verbal")]
    assert history[4].purpose_label == "Contacto por teléfono"
    assert history[4].method_label == "Verbal"


def test_consent_records_cannot_be_changed(ctx: AppContext) -> None:
    pid = _person(ctx)
    record_id = ctx.session.store.scalar("SELECT id FROM consent_record WHERE person_id = ?", [pid])
    with pytest.raises(UnloggedWriteError), ctx.session.transaction() as tx:
        tx.update("consent_record", record_id, {"note": "cambiado"})


def test_consent_form_pdf(ctx: AppContext, tmp_path: Path) -> None:
    pid = _person(ctx)
    path = consent.write_consent_form(ctx.session, pid, tmp_path / "consentimiento.pdf", TODAY)
    reader = PdfReader(str(path))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    for expected in ("Zoraida Quispeluz Warmakuna", "Pasaporte XK4471923",
                     "Municipalidad Metropolitana de Lima", "Ley N.° 29733",
                     "Contactarme por teléfono o WhatsApp", "5 años",
                     "acceso: 20 días calendario", "Firma de la persona", "Huella digital"):
        assert expected in text, expected
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(tmp_path / "form")],
                   check=True)


# --- due dates -------------------------------------------------------------------------------


def test_default_due_dates_count_calendar_days_per_kind(coordinator: AppContext) -> None:
    limits = rights.deadlines(coordinator.session)
    assert {k: (d.days, d.unit) for k, d in limits.items()} == {
        "acceso": (20, "calendar"), "rectificacion": (10, "calendar"),
        "cancelacion": (10, "calendar"), "oposicion": (10, "calendar")}
    received = dt.date(2026, 12, 18)  # a Friday; Christmas in between does not count
    assert rights.due_date(received, limits["acceso"]) == dt.date(2027, 1, 7)
    assert rights.due_date(received, limits["oposicion"]) == dt.date(2026, 12, 28)


def test_working_days_skip_weekends_and_holidays(coordinator: AppContext) -> None:
    rights.set_deadline(coordinator.session, "cancelacion", 10, "working")
    limit = rights.deadlines(coordinator.session)["cancelacion"]
    assert limit.text == "10 días hábiles"
    # from Fri 18 Dec 2026: 21-24 (4), 25 Navidad, 28-31 (8), 1 Jan Año Nuevo, 4-5 Jan (10)
    assert rights.due_date(dt.date(2026, 12, 18), limit) == dt.date(2027, 1, 5)
    assert dt.date(2026, 12, 25) in rights.holidays()
    # back to the default: the setting is removed
    rights.set_deadline(coordinator.session, "cancelacion", 10, "calendar")
    assert coordinator.session.store.meta("rights.deadline.cancelacion") is None
    with pytest.raises(ValidationError):
        rights.set_deadline(coordinator.session, "cancelacion", 0, "calendar")


def test_register_list_overdue_first_and_respond(coordinator: AppContext) -> None:
    session = coordinator.session
    pid = _person(coordinator)
    old = rights.register_request(session, rights.RequestInput(
        kind="rectificacion", person_id=pid, channel="escrito",
        received_on=dt.date(2026, 11, 2)), TODAY)
    new = rights.register_request(session, rights.RequestInput(
        kind="acceso", requester_name="  Pedro   Ruiz ", requester_document="ab123",
        received_on=dt.date(2026, 11, 20)), TODAY)
    done = rights.register_request(session, rights.RequestInput(
        kind="acceso", person_id=pid, received_on=dt.date(2026, 11, 25)), TODAY)
    rights.respond(session, done, "atendida", "Se entregó el archivo.", today=TODAY)
    listed = rights.list_requests(session, TODAY)
    assert [r.id for r in listed] == [old, new, done]
    assert listed[0].overdue(TODAY) and listed[0].due_on == dt.date(2026, 11, 12)
    assert not listed[1].overdue(TODAY) and listed[1].due_on == dt.date(2026, 12, 10)
    assert (listed[1].person_name, listed[1].requester_document) == ("Pedro Ruiz", "AB123")
    assert listed[2].status == "atendida" and listed[2].answered_by
    assert rights.overdue_count(session, TODAY) == 1

    with pytest.raises(ValidationError) as err:
        rights.respond(session, old, "atendida", "  ")
    assert "response" in err.value.fields
    with pytest.raises(ValidationError) as err:
        rights.register_request(session, rights.RequestInput(
            kind="otro", received_on=TODAY + dt.timedelta(days=1)), TODAY)
    assert set(err.value.fields) == {"kind", "person", "received_on"}


def test_reception_may_not_handle_requests(ctx: AppContext) -> None:
    with pytest.raises(PermissionDeniedError) as err:
        rights.list_requests(ctx.session, TODAY)
    assert "Coordinación" in str(err.value)


def test_opposition_withdraws_the_chosen_consents(coordinator: AppContext) -> None:
    session = coordinator.session
    pid = _person(coordinator, consent_contact=True)
    request = rights.register_request(session, rights.RequestInput(
        kind="oposicion", person_id=pid, channel="escrito", received_on=TODAY), TODAY)
    rights.respond(session, request, "atendida", "No se le llamará más.",
                   withdraw=["contact", "refer"], today=TODAY)
    assert consent.current_consents(session, pid) == {
        "register": True, "refer": False, "contact": False}
    last = consent.consent_history(session, pid)[-2:]
    assert [(e.purpose, e.granted, e.method, e.note) for e in last] == [
        ("refer", False, "escrito", "Solicitud de oposición"),
        ("contact", False, "escrito", "Solicitud de oposición")]


# --- the access file --------------------------------------------------------------------------


def _full_record(ctx: AppContext) -> str:
    pid = _person(ctx, )
    session = ctx.session
    household = HouseholdChanges(inline=[MemberInput(
        given_names="Ilmarinen", paternal_surname="Quispeluz", relationship="hijo",
        sex="M", birth_date=dt.date(2015, 5, 5))])
    update_person(session, pid, load_person(session, pid), TODAY, household)
    record_consultation(session, ConsultationInput(
        person_id=pid, occurred_at=NOW, topics=["SALUD_SIS"],
        summary="Pregunta por afiliación; su teléfono nuevo es 945112233",
        actions="Se orientó a Zoraida sobre el SIS", outcome="Derivada"), NOW)
    referral = create_referral(session, ReferralInput(
        person_id=pid, service_id=service_id("SIS"), reason="Afiliación de Zoraida"), NOW)
    change_status(session, referral, "atendida", "Atendida la Sra. Quispeluz", NOW)
    with session.transaction() as tx:
        tx.create("follow_up_call", {
            "casa_id": "CV1", "person_id": pid, "staff_user_id": session.user_id,
            "called_at": "2026-11-28T09:00:00", "result": "contactado",
            "note": "Zoraida confirma cita"})
    return pid


def test_access_file_holds_the_data_and_the_consultation(coordinator: AppContext,
                                                          tmp_path: Path) -> None:
    pid = _full_record(coordinator)
    path = rights.write_access_file(coordinator.session, pid, tmp_path / "acceso.pdf", TODAY)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(str(path)).pages).split())
    for expected in ("Zoraida Quispeluz Warmakuna", "945112233", "Pasaporte XK4471923",
                     "Se orientó a Zoraida sobre el SIS", "Afiliación de Zoraida",
                     "Atendida la Sra. Quispeluz", "Zoraida confirma cita", "Ilmarinen",
                     "HISTORIAL DE CONSENTIMIENTOS", "CAMBIOS EN EL REGISTRO",
                     "Vive con Ilmarinen"):
        assert expected in text, expected
    assert "Reservado" not in text  # coordinación sees reserved data
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(tmp_path / "acceso")],
                   check=True)


# --- anonymisation -------------------------------------------------------------------------------


def _text_columns(store, table: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.name for c in store.db[table].columns if c.type == "TEXT"]


def test_cancellation_anonymises_every_trace(coordinator: AppContext) -> None:
    pid = _full_record(coordinator)
    session = coordinator.session
    request = rights.register_request(session, rights.RequestInput(
        kind="cancelacion", person_id=pid, requester_name="Zoraida Quispeluz",
        requester_document="XK4471923", details="Pide borrar a Zoraida Quispeluz",
        received_on=TODAY), TODAY)
    with pytest.raises(PermissionDeniedError):  # coordinación may not anonymise
        rights.respond(session, request, "atendida", "Datos anonimizados.", today=TODAY)
    assert not anonymise.is_anonymised(session, pid)

    act_as(coordinator, "admin_casa")
    rights.respond(session, request, "atendida", "Datos anonimizados.", today=TODAY)
    store = session.store
    for table in ENTITY_TABLES:
        for column in _text_columns(store, table):
            for secret in SECRETS:
                hits = store.rows(f"SELECT id FROM {table} WHERE {column} LIKE ?",
                                  [f"%{secret}%"])
                assert not hits, f"{secret!r} still in {table}.{column}"
    person = store.get("person", pid)
    assert person is not None
    assert (person["sex"], person["nationality"], person["district_ubigeo"]) == (
        "F", "VE", "150115")
    assert (person["birth_date"], person["birth_date_estimated"]) == ("1988-07-01", 1)
    assert person["anonymised_at"]
    assert (person["consent_register"], person["consent_refer"]) == (0, 0)
    consultation = store.one("SELECT * FROM consultation WHERE person_id = ?", [pid])
    assert consultation is not None and consultation["topics"] == '["SALUD_SIS"]'
    assert consultation["occurred_at"] == "2026-11-27T10:30"
    assert consultation["follow_up_done"] == 1
    assert store.scalar("SELECT doc_type FROM document WHERE person_id = ?", [pid]) == "PASAPORTE"
    assert rights.get_request(session, request).status == "atendida"
    act_as(coordinator, "coordinacion")
    for query in ("Zoraida", "Quispeluz Warmakuna", "XK4471923", "945112233"):
        assert search_persons(session, query, today=TODAY) == []
    # the anonymisation went through the change log, so it reaches headquarters, and the
    # log's history no longer holds what was erased (Writer.redact)
    assert store.scalar("SELECT count(*) FROM change_log WHERE entity = 'person'"
                        " AND entity_id = ? AND fields LIKE '%anonymised_at%'", [pid]) == 1
    for secret in SECRETS:
        assert not store.rows("SELECT op_id FROM change_log WHERE fields LIKE ?",
                              [f"%{secret}%"]), f"{secret!r} still in the change log"
    assert not store.rows("SELECT rowid FROM person_fts WHERE person_fts MATCH ?",
                          ["Zoraida"])


def test_anonymise_uses_redact_when_the_writer_has_it(casa_admin: AppContext,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from oma_desktop.core.store import Writer

    act_as(casa_admin, "coordinacion")
    pid = _person(casa_admin)
    act_as(casa_admin, "admin_casa")
    calls: list[tuple[str, frozenset[str]]] = []

    def redact(self: Writer, entity: str, entity_id: str, values: dict[str, object]) -> None:
        calls.append((entity, frozenset(values)))
        self.update(entity, entity_id, values)

    monkeypatch.setattr(Writer, "redact", redact, raising=False)
    anonymise.anonymise_person(casa_admin.session, pid, TODAY)
    assert ("document", frozenset({"number", "issue_date", "expiry_date"})) in calls
    person_fields = next(f for e, f in calls if e == "person")
    assert {"given_names", "phone", "birth_date", "anonymised_at"} <= person_fields


# --- retention -----------------------------------------------------------------------------------


def test_retention_review_lists_persons_without_recent_activity(
        casa_admin: AppContext) -> None:
    """Everyone is registered today; later activity happens with the clock moved forward
    (the change log's clock never runs backwards), to years far enough ahead."""
    session = casa_admin.session
    act_as(casa_admin, "coordinacion")
    registered = dt.date.today()

    def at(day: dt.date) -> None:
        ms = int(dt.datetime.combine(day, dt.time(12)).timestamp() * 1000)
        session.store.clock._wall = lambda: ms  # type: ignore[attr-defined]

    def someone(given: str) -> str:
        return _person(casa_admin, given_names=given, documents=[], phone="", whatsapp="")

    old, consulted, recent, edited = (someone(n) for n in (
        "Antigua", "Consulta", "Reciente", "Editada"))

    def consultation(pid: str, day: dt.date) -> None:
        at(day)
        moment = dt.datetime.combine(day, dt.time(9))
        record_consultation(session, ConsultationInput(
            person_id=pid, occurred_at=moment, topics=["SALUD_SIS"]), moment)

    consultation(consulted, dt.date(2040, 6, 1))
    at(dt.date(2043, 5, 5))
    data = load_person(session, edited)
    data.zone = "Barrios Altos"
    update_person(session, edited, data, dt.date(2043, 5, 5))
    consultation(recent, dt.date(2044, 2, 1))

    act_as(casa_admin, "admin_casa")
    review_day = dt.date(2047, 1, 10)
    review = anonymise.retention_review(session, review_day)  # 5 years: before 10/01/2042
    assert [(c.person_id, c.last_activity, c.what) for c in review] == [
        (old, registered, "Registro"), (consulted, dt.date(2040, 6, 1), "Atención")]
    anonymise.set_retention_years(session, 3)  # before 10/01/2044
    review = anonymise.retention_review(session, review_day)
    assert [(c.person_id, c.what) for c in review] == [
        (old, "Registro"), (consulted, "Atención"), (edited, "Cambio en el registro")]

    steps: list[tuple[int, int]] = []
    done = anonymise.anonymise_many(session, [old, edited],
                                    lambda d, t, _label: steps.append((d, t)))
    assert done == 2 and steps == [(1, 2), (2, 2)]
    assert [c.person_id for c in anonymise.retention_review(session, review_day)] == [
        consulted]
