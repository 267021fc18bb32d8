"""Seguimiento queue, households and the person timeline."""

from __future__ import annotations

import datetime as dt

import pytest

from oma_desktop.core.errors import ValidationError
from oma_desktop.services import households
from oma_desktop.services.consultations import (
    ConsultationInput,
    record_consultation,
    set_follow_up_done,
)
from oma_desktop.services.context import AppContext
from oma_desktop.services.followup import expiring_documents, follow_ups_due, queue
from oma_desktop.services.persons import (
    DocumentInput,
    PersonInput,
    load_person,
    register_person,
    update_person,
)
from oma_desktop.services.timeline import person_timeline

TODAY = dt.date(2026, 11, 27)


def _person(ctx: AppContext, given: str, docs: list[DocumentInput] | None = None) -> str:
    return register_person(
        ctx.session, PersonInput(given_names=given, paternal_surname="Rojas", sex="F", nationality="VE",
                    consent_register=True, documents=docs or []),
        TODAY,
    )


def _consult(ctx: AppContext, pid: str, follow: dt.date | None, day: int = 20) -> str:
    return record_consultation(
        ctx.session, ConsultationInput(person_id=pid, occurred_at=dt.datetime(2026, 11, day, 10),
                          topics=["SALUD_SIS"], summary="SIS", follow_up_date=follow),
        dt.datetime(2026, 11, 27, 12),
    )


def test_follow_ups_due_and_done(ctx: AppContext) -> None:
    a, b = _person(ctx, "Ana"), _person(ctx, "Bea")
    overdue = _consult(ctx, a, dt.date(2026, 11, 25))
    _consult(ctx, b, dt.date(2026, 12, 2))  # within a week
    _consult(ctx, b, dt.date(2027, 2, 1))  # far ahead: not yet
    items = follow_ups_due(ctx.session, TODAY)
    assert [i.person_name for i in items] == ["Ana Rojas", "Bea Rojas"]
    assert items[0].days_left(TODAY) == -2
    set_follow_up_done(ctx.session, overdue)
    assert [i.person_name for i in follow_ups_due(ctx.session, TODAY)] == ["Bea Rojas"]


def test_expiring_documents_30_60_days(ctx: AppContext) -> None:
    _person(ctx, "Ana", [DocumentInput("CPP", "A1", expiry_date=TODAY + dt.timedelta(days=20))])
    _person(ctx, "Bea", [DocumentInput("PTP", "B1", expiry_date=TODAY + dt.timedelta(days=55))])
    _person(ctx, "Cia", [DocumentInput("CE", "C1", expiry_date=TODAY + dt.timedelta(days=90))])
    _person(ctx, "Dora", [DocumentInput("PASAPORTE", "D1", expiry_date=TODAY + dt.timedelta(days=10))])
    _person(ctx, "Eva", [DocumentInput("CE", "E1", expiry_date=TODAY - dt.timedelta(days=3))])
    in30 = expiring_documents(ctx.session, TODAY, 30)
    assert [i.detail for i in in30] == ["CE E1", "CPP A1"]
    in60 = expiring_documents(ctx.session, TODAY, 60)
    assert [i.detail for i in in60] == ["CE E1", "CPP A1", "PTP B1"]
    assert [i.kind for i in queue(ctx.session, TODAY)] == ["document"] * 3


def test_households(ctx: AppContext) -> None:
    head, child = _person(ctx, "Ana"), _person(ctx, "Luis")
    hid = households.ensure_household(ctx.session, head)
    assert households.ensure_household(ctx.session, head) == hid
    member = households.add_member(ctx.session, hid, child, "hijo")
    rows = households.members(ctx.session, hid)
    assert [(m.full_name, m.relationship) for m in rows] == [
        ("Ana Rojas", "jefe_hogar"), ("Luis Rojas", "hijo")]
    assert households.household_of(ctx.session, child) == hid
    with pytest.raises(ValidationError):
        households.add_member(ctx.session, hid, child, "primo_lejano")
    households.remove_member(ctx.session, member)
    assert [m.full_name for m in households.members(ctx.session, hid)] == ["Ana Rojas"]
    assert households.household_of(ctx.session, child) is None


@pytest.mark.usefixtures("coordinator")
def test_timeline_newest_first_with_everything(ctx: AppContext) -> None:
    pid = _person(ctx, "Ana", [DocumentInput("CPP", "A1", expiry_date=dt.date(2027, 1, 5))])
    _consult(ctx, pid, None, day=3)
    _consult(ctx, pid, None, day=21)
    data = load_person(ctx.session, pid, TODAY)
    data.phone = "987654321"
    update_person(ctx.session, pid, data, TODAY)
    households.ensure_household(ctx.session, pid)
    entries = person_timeline(ctx.session, pid)
    kinds = {e.kind for e in entries}
    assert kinds == {"registered", "document", "consultation", "change", "household"}
    assert [e.when for e in entries] == sorted((e.when for e in entries), reverse=True)
    consultation = next(e for e in entries if e.kind == "consultation")
    assert consultation.title == "Atención (Presencial) en Casa Vecinal 1"
    assert "Salud y afiliación al SIS" in consultation.detail
    change = next(e for e in entries if e.kind == "change")
    assert "Teléfono" in change.detail and change.user == "Recepción"
    doc = next(e for e in entries if e.kind == "document")
    assert doc.detail == "CPP A1 — vence el 05/01/2027"
