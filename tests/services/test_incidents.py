"""The security-incident register (issue #9.4): validation, the 48-hour notice deadline,
overdue ones first, notify and close."""

from __future__ import annotations

import datetime as dt

import pytest

from oma_desktop.core.actor import Actor
from oma_desktop.core.errors import PermissionDeniedError, ValidationError
from oma_desktop.i18n import _
from oma_desktop.services import incidents
from oma_desktop.services.context import AppContext
from oma_desktop.services.incidents import (
    IncidentInput,
    close_incident,
    list_incidents,
    notice_deadline,
    notify_incident,
    register_incident,
    update_incident,
    validate_incident,
)
from oma_desktop.services.session import Session

NOW = dt.datetime(2026, 12, 2, 9, 0)


@pytest.fixture
def admin(ctx: AppContext) -> Session:
    with ctx.session.store.transaction("system") as tx:
        uid = tx.create("app_user", {"username": "aadmin", "display_name": "Ana Administradora",
                                     "role": "admin_casa", "casa_id": "CV1"})
    return Session(store=ctx.session.store, catalogs=ctx.catalogs,
                   actor=Actor(uid, "admin_casa", "CV1", "Ana Administradora"))


def _incident(title: str, hours_ago: float, **kw: object) -> IncidentInput:
    return IncidentInput(title=title, detected_at=NOW - dt.timedelta(hours=hours_ago),
                         **kw)  # type: ignore[arg-type]


def test_the_deadline_is_48_hours_after_detection() -> None:
    data = _incident("USB perdido", 0)
    assert notice_deadline(data) == dt.datetime(2026, 12, 4, 9, 0)


def test_validation_says_what_to_do_in_spanish() -> None:
    errors = validate_incident(IncidentInput(title="  ", detected_at=NOW + dt.timedelta(hours=1),
                                             persons_affected=-1), NOW)
    assert errors == {
        "title": "Escriba un título breve del incidente (qué pasó).",
        "detected_at": "La hora de detección está en el futuro. Escriba cuándo se detectó el "
                       "incidente.",
        "persons_affected": "El número de personas afectadas no puede ser negativo. Déjelo "
                            "vacío si aún no se sabe.",
    }
    assert validate_incident(IncidentInput(title="x"), NOW) == {
        "detected_at": "Escriba la fecha y la hora en que se detectó el incidente."}
    assert validate_incident(_incident("USB perdido", 1, persons_affected=0), NOW) == {}


def test_register_records_who_and_keeps_nothing_invalid(admin: Session) -> None:
    with pytest.raises(ValidationError) as refused:
        register_incident(admin, IncidentInput(title=""), NOW)
    assert set(refused.value.fields) == {"title", "detected_at"}
    assert admin.store.scalar("SELECT count(*) FROM security_incident") == 0
    iid = register_incident(admin, _incident("  Laptop robada  ", 2, persons_affected=120,
                                             data_affected="Nombres y documentos"), NOW)
    [found] = list_incidents(admin, NOW)
    assert (found.id, found.title, found.status_text, found.reported_by_name, found.casa_id,
            found.persons_affected, found.detected_at) == (
        iid, "Laptop robada", "Abierto", "Ana Administradora", "CV1", 120,
        dt.datetime(2026, 12, 2, 7, 0))
    # logged like every synchronised record
    assert admin.store.scalar(
        "SELECT user_id FROM change_log WHERE entity_id = ? AND kind = 'create'", [iid]
    ) == admin.user_id


def test_overdue_incidents_are_listed_first(admin: Session) -> None:
    recent = register_incident(admin, _incident("Correo enviado por error", 3), NOW)
    overdue_newer = register_incident(admin, _incident("Contraseña compartida", 50), NOW)
    overdue_older = register_incident(admin, _incident("USB perdido", 80), NOW)
    notified = register_incident(admin, _incident("Laptop robada", 100), NOW)
    notify_incident(admin, notified, "ANPD", NOW - dt.timedelta(hours=70), NOW)
    closed = register_incident(admin, _incident("Puerta forzada", 10), NOW)
    close_incident(admin, closed, NOW)
    listed = list_incidents(admin, NOW)
    assert [i.id for i in listed] == [overdue_older, overdue_newer, recent, notified, closed]
    assert [i.overdue(NOW) for i in listed] == [True, True, False, False, False]
    # the recent one becomes overdue once its 48 hours pass
    later = NOW + dt.timedelta(hours=46)
    assert [i.id for i in list_incidents(admin, later)][:3] == [
        overdue_older, overdue_newer, recent]
    assert [i.id for i in list_incidents(admin, later) if i.overdue(later)] == [
        overdue_older, overdue_newer, recent]


def test_notify_records_when_and_to_whom(admin: Session) -> None:
    iid = register_incident(admin, _incident("USB perdido", 5), NOW)
    with pytest.raises(ValidationError) as refused:
        notify_incident(admin, iid, "  ", now=NOW)
    assert refused.value.fields == {
        "notified_to": "Escriba a quién se notificó el incidente (por ejemplo, a la ANPD)."}
    with pytest.raises(ValidationError, match="anterior a la detección"):
        notify_incident(admin, iid, "ANPD", NOW - dt.timedelta(hours=6), NOW)
    notify_incident(admin, iid, _(incidents.AUTHORITIES[0]), NOW - dt.timedelta(hours=1), NOW)
    found = incidents.get_incident(admin, iid)
    assert (found.status, found.notified_to, found.notified_at) == (
        "notificado", "Autoridad Nacional de Protección de Datos Personales (ANPD)",
        dt.datetime(2026, 12, 2, 8, 0))
    with pytest.raises(ValidationError, match="Solo un incidente abierto"):
        notify_incident(admin, iid, "ANPD", now=NOW)


def test_close_and_no_changes_after(admin: Session) -> None:
    iid = register_incident(admin, _incident("USB perdido", 5), NOW)
    update_incident(admin, iid, _incident("USB perdido en la calle", 5, measures="Se cambió la "
                                          "contraseña"), NOW)
    close_incident(admin, iid, NOW)
    found = incidents.get_incident(admin, iid)
    assert (found.title, found.measures, found.status, found.closed_at) == (
        "USB perdido en la calle", "Se cambió la contraseña", "cerrado", NOW)
    with pytest.raises(ValidationError, match="cerrado no se puede modificar"):
        update_incident(admin, iid, _incident("Otro", 5), NOW)
    with pytest.raises(ValidationError, match="ya está cerrado"):
        close_incident(admin, iid, NOW)


def test_only_roles_that_keep_the_register_use_it(ctx: AppContext, admin: Session) -> None:
    clerk = ctx.session  # the seeded account: recepción
    assert clerk.actor.role == "recepcion"
    with pytest.raises(PermissionDeniedError):
        register_incident(clerk, _incident("USB perdido", 1), NOW)
    iid = register_incident(admin, _incident("USB perdido", 1), NOW)
    for call in (lambda: list_incidents(clerk, NOW), lambda: close_incident(clerk, iid, NOW),
                 lambda: notify_incident(clerk, iid, "ANPD", now=NOW)):
        with pytest.raises(PermissionDeniedError):
            call()
    assert incidents.get_incident(admin, iid).status == "abierto"
