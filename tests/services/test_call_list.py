"""Seguimiento as a call list: filters, urgency, call outcomes, the timeline, exports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader

from oma_desktop.core.errors import ValidationError
from oma_desktop.services.call_sheet import call_list_export, call_list_print
from oma_desktop.services.consultations import (
    ConsultationInput,
    link_to_person,
    load_consultation,
    record_consultation,
)
from oma_desktop.services.context import AppContext
from oma_desktop.services.export import save_pdf, write_sheets
from oma_desktop.services.followup import (
    ALL_CASAS,
    DUE_OVERDUE,
    DUE_TODAY,
    DUE_WEEK,
    KIND_DOCUMENT,
    RESULT_CONTACTED,
    RESULT_NO_ANSWER,
    RESULT_RESOLVED,
    RESULT_WRONG_NUMBER,
    CallFilter,
    call_list,
    calls_for_person,
    record_call,
    staff_filter_choices,
    undo_call,
    wrong_phone_persons,
)
from oma_desktop.services.persons import (
    DocumentInput,
    PersonInput,
    load_person,
    register_person,
    update_person,
)
from oma_desktop.services.timeline import person_timeline

TODAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, 10, 0)


def _days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def add_staff(ctx: AppContext, name: str) -> str:
    with ctx.session.transaction() as tx:
        return tx.create("app_user", {"username": name.split()[0].lower(), "display_name": name,
                                      "casa_id": "CV1"})


def person(ctx: AppContext, given: str, docs: list[DocumentInput] | None = None,
           phone: str = "987654321") -> str:
    return register_person(ctx.session, PersonInput(
        given_names=given, paternal_surname="Rojas", sex="F", nationality="VE", phone=phone,
        consent_register=True, documents=docs or []), TODAY)


def consult(ctx: AppContext, pid: str | None, follow: dt.date, *, staff: str = "",
            casa: str = "") -> str:
    return record_consultation(ctx.session, ConsultationInput(
        person_id=pid, occurred_at=dt.datetime(2026, 11, 1, 10), topics=["SALUD_SIS"],
        summary="SIS", follow_up_date=follow, staff_user_id=staff, casa_id=casa,
    ), NOW)


def names(items: list) -> list[str]:  # type: ignore[type-arg]
    return [i.person_name for i in items]


def test_sorted_by_urgency_and_filtered_by_due_window(ctx: AppContext) -> None:
    consult(ctx, person(ctx, "Hoy"), TODAY)
    consult(ctx, person(ctx, "Tarde"), _days(-5))
    consult(ctx, person(ctx, "Ayer"), _days(-1))
    consult(ctx, person(ctx, "Semana"), _days(6))
    consult(ctx, person(ctx, "Lejos"), _days(20))
    person(ctx, "Doc", [DocumentInput("CPP", "A1", expiry_date=_days(3))])

    items, more = call_list(ctx.session, TODAY)
    assert not more
    assert names(items) == ["Tarde Rojas", "Ayer Rojas", "Hoy Rojas", "Doc Rojas", "Semana Rojas"]
    assert names(call_list(ctx.session, TODAY, CallFilter(due=DUE_OVERDUE))[0]) == [
        "Tarde Rojas", "Ayer Rojas"]
    assert names(call_list(ctx.session, TODAY, CallFilter(due=DUE_TODAY))[0]) == [
        "Tarde Rojas", "Ayer Rojas", "Hoy Rojas"]
    assert names(call_list(ctx.session, TODAY, CallFilter(due=DUE_WEEK))[0]) == [
        "Tarde Rojas", "Ayer Rojas", "Hoy Rojas", "Doc Rojas", "Semana Rojas"]
    assert names(call_list(ctx.session, TODAY, CallFilter(due=DUE_WEEK), limit=2)[0]) == [
        "Tarde Rojas", "Ayer Rojas"]
    assert call_list(ctx.session, TODAY, CallFilter(due=DUE_WEEK), limit=2)[1]


def test_filter_by_casa_this_one_by_default_and_by_staff(ctx: AppContext) -> None:
    marta = add_staff(ctx, "Marta Quispe")
    consult(ctx, person(ctx, "Aqui"), TODAY)
    consult(ctx, person(ctx, "Marta"), TODAY, staff=marta)
    consult(ctx, person(ctx, "Otra"), TODAY, casa="CV2")
    assert names(call_list(ctx.session, TODAY)[0]) == ["Aqui Rojas", "Marta Rojas"]
    assert names(call_list(ctx.session, TODAY, CallFilter(casa_id="CV2"))[0]) == ["Otra Rojas"]
    assert len(call_list(ctx.session, TODAY, CallFilter(casa_id=ALL_CASAS))[0]) == 3
    only = call_list(ctx.session, TODAY, CallFilter(staff_user_id=marta))[0]
    assert names(only) == ["Marta Rojas"] and only[0].staff_name == "Marta Quispe"
    choices = dict(staff_filter_choices(ctx.session))
    assert choices[marta] == "Marta Quispe"
    assert choices[ctx.user_id] == "Recepción (Casa Vecinal 1)"  # six casas, six "Recepción"


def test_contacted_and_resolved_close_the_item(ctx: AppContext) -> None:
    a, b = consult(ctx, person(ctx, "Ana"), TODAY), consult(ctx, person(ctx, "Bea"), TODAY)
    items = call_list(ctx.session, TODAY)[0]
    record_call(ctx.session, items[0], RESULT_CONTACTED, "Ya tiene cita", now=NOW)
    record_call(ctx.session, items[1], RESULT_RESOLVED, now=NOW)
    assert call_list(ctx.session, TODAY)[0] == []
    assert load_consultation(ctx.session, a).follow_up_date == TODAY
    assert ctx.session.store.get("consultation", a)["follow_up_done"] == 1
    assert ctx.session.store.get("consultation", b)["follow_up_done"] == 1


def test_no_answer_keeps_the_item_and_may_move_it(ctx: AppContext) -> None:
    pid = person(ctx, "Ana")
    cid = consult(ctx, pid, TODAY)
    consult(ctx, person(ctx, "Bea"), TODAY)
    item = next(i for i in call_list(ctx.session, TODAY)[0] if i.ref_id == cid)
    record_call(ctx.session, item, RESULT_NO_ANSWER, "Buzón de voz", now=NOW)
    items = call_list(ctx.session, TODAY)[0]
    kept = next(i for i in items if i.ref_id == cid)
    assert kept.attempts == 1 and "No contesta: Buzón de voz" in kept.last_call
    assert names(items) == ["Bea Rojas", "Ana Rojas"]  # tried once: after the untried one
    recorded = record_call(ctx.session, kept, RESULT_NO_ANSWER, next_date=_days(2), now=NOW)
    moved = next(i for i in call_list(ctx.session, TODAY)[0] if i.ref_id == cid)
    assert moved.due == _days(2) and moved.attempts == 2
    assert ctx.session.store.get("consultation", cid)["follow_up_done"] == 0
    undo_call(ctx.session, recorded)
    back = next(i for i in call_list(ctx.session, TODAY)[0] if i.ref_id == cid)
    assert back.due == TODAY and back.attempts == 1
    with pytest.raises(ValidationError):
        record_call(ctx.session, back, RESULT_NO_ANSWER, next_date=_days(-1), now=NOW)
    with pytest.raises(ValidationError):
        record_call(ctx.session, back, "ocupado", now=NOW)


def test_wrong_number_closes_and_flags_the_phone_until_it_changes(ctx: AppContext) -> None:
    pid = person(ctx, "Ana")
    consult(ctx, pid, TODAY)
    second = consult(ctx, pid, _days(3))
    first = call_list(ctx.session, TODAY)[0][0]
    record_call(ctx.session, first, RESULT_WRONG_NUMBER, "Contesta otra persona", now=NOW)
    assert wrong_phone_persons(ctx.session, [pid]) == {pid}
    left = call_list(ctx.session, TODAY)[0]
    assert [i.ref_id for i in left] == [second] and left[0].wrong_phone
    data = load_person(ctx.session, pid)
    data.phone = "912345678"
    update_person(ctx.session, pid, data, TODAY)
    assert wrong_phone_persons(ctx.session, [pid]) == set()
    assert not call_list(ctx.session, TODAY)[0][0].wrong_phone


def test_document_item_closed_by_a_call(ctx: AppContext) -> None:
    pid = person(ctx, "Ana", [DocumentInput("CPP", "A1", expiry_date=_days(10))])
    items = call_list(ctx.session, TODAY)[0]
    assert [i.kind for i in items] == [KIND_DOCUMENT]
    record_call(ctx.session, items[0], RESULT_NO_ANSWER, next_date=_days(1), now=NOW)
    assert call_list(ctx.session, TODAY)[0][0].due == _days(1)
    record_call(ctx.session, call_list(ctx.session, TODAY)[0][0], RESULT_CONTACTED, now=NOW)
    assert call_list(ctx.session, TODAY)[0] == []
    assert [c.result for c in calls_for_person(ctx.session, pid)] == [
        RESULT_CONTACTED, RESULT_NO_ANSWER]


def test_anonymous_follow_up_is_listed_and_linked_later(ctx: AppContext) -> None:
    cid = record_consultation(ctx.session, ConsultationInput(
        occurred_at=dt.datetime(2026, 11, 26, 9), topics=["SALUD_SIS"], anon_sex="M",
        anon_age=40, follow_up_date=TODAY), NOW)
    item = call_list(ctx.session, TODAY)[0][0]
    assert (item.ref_id, item.person_id, item.anonymous) == (cid, "", True)
    assert item.person_name == "Atención anónima (hombre, 40 años)"
    record_call(ctx.session, item, RESULT_NO_ANSWER, "Sin teléfono: volverá", now=NOW)
    pid = person(ctx, "Luis")
    link_to_person(ctx.session, cid, pid)
    linked = call_list(ctx.session, TODAY)[0][0]
    assert (linked.person_name, linked.phone, linked.anonymous) == ("Luis Rojas", "987654321", False)
    assert linked.attempts == 1
    assert [c.note for c in calls_for_person(ctx.session, pid)] == ["Sin teléfono: volverá"]


def test_the_timeline_shows_the_calls(ctx: AppContext) -> None:
    pid = person(ctx, "Ana")
    consult(ctx, pid, TODAY)
    record_call(ctx.session, call_list(ctx.session, TODAY)[0][0], RESULT_NO_ANSWER,
                "Apagado", next_date=_days(1), now=NOW)
    calls = [e for e in person_timeline(ctx.session, pid) if e.kind == "call"]
    assert [(e.title, e.detail, e.user) for e in calls] == [
        ("Llamada de seguimiento: No contesta", "Apagado; volver a llamar el 28/11/2026",
         "Recepción")]


def test_call_list_exports_and_prints(ctx: AppContext, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    pid = person(ctx, "@Ana", phone="+51 987 654 321")
    consult(ctx, pid, _days(-2))
    flt = CallFilter()
    items = call_list(ctx.session, TODAY, flt)[0]
    record_call(ctx.session, items[0], RESULT_NO_ANSWER, "=1+1", now=NOW)
    items = call_list(ctx.session, TODAY, flt)[0]

    book = load_workbook(write_sheets(tmp_path / "llamadas.xlsx",
                                      call_list_export(ctx.session, items, TODAY, flt)))
    ws = book.active
    assert ws["A1"].value.startswith("Lista de llamadas — Casa Vecinal 1 — 27/11/2026")
    header_row = next(r for r in ws.iter_rows() if r[0].value == "Fecha")
    assert [c.value for c in header_row] == ["Fecha", "Tipo", "Persona", "Teléfono", "Detalle",
                                            "Personal", "Última llamada"]
    row = ws[header_row[0].row + 1]
    assert row[2].value == "@Ana Rojas" and row[2].quotePrefix and row[2].data_type == "s"
    assert row[3].value == "+51 987 654 321" and row[3].quotePrefix

    text = (write_sheets(tmp_path / "llamadas.csv", call_list_export(
        ctx.session, items, TODAY, flt))).read_text("utf-8-sig")
    assert "'@Ana Rojas" in text and "'+51 987 654 321" in text

    pdf = save_pdf(tmp_path / "llamadas.pdf", call_list_print(ctx.session, items, TODAY, flt))
    pdf_text = " ".join(PdfReader(pdf).pages[0].extract_text().split())  # cells wrap
    for expected in ("Lista de llamadas", "@Ana Rojas", "+51 987 654 321", "Seguimiento",
                     "No contesta: =1+1", "Página 1"):
        assert expected in pdf_text, expected
