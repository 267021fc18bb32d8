"""The audit log (issue #9.4): entries for views, prints, exports and imports with the right
user and person; the merged log with the change log, its filters, paging and export; the
insert-only table."""

from __future__ import annotations

import csv
import datetime as dt
import logging
from pathlib import Path

import pytest

from oma_desktop.core import driver
from oma_desktop.core.actor import Actor
from oma_desktop.core.clock import to_datetime
from oma_desktop.core.errors import PermissionDeniedError, StoreError, UnloggedWriteError
from oma_desktop.core.seed import service_id
from oma_desktop.services import audit
from oma_desktop.services.audit import AuditFilter, audit_log
from oma_desktop.services.cards import person_card
from oma_desktop.services.certificates import write_consultation_certificate
from oma_desktop.services.consultations import ConsultationInput, record_consultation
from oma_desktop.services.context import AppContext
from oma_desktop.services.export import Sheet, export_sheets
from oma_desktop.services.importer import commit_import, guess_mapping, plan_import, read_table
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.services.referrals import ReferralInput, count_printed, create_referral
from oma_desktop.services.session import Session

TODAY = dt.date.today()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def _user(ctx: AppContext, username: str, name: str, role: str) -> Session:
    """A new account of casa CV1 and a session acting as it (on the same connection)."""
    with ctx.session.store.transaction("system") as tx:
        uid = tx.create("app_user", {"username": username, "display_name": name,
                                     "role": role, "casa_id": "CV1"})
    return Session(store=ctx.session.store, catalogs=ctx.catalogs,
                   actor=Actor(uid, role, "CV1", name))


@pytest.fixture
def clerk(ctx: AppContext) -> Session:
    return _user(ctx, "rquispe", "Rosa Quispe", "coordinacion")


@pytest.fixture
def admin(ctx: AppContext) -> Session:
    return _user(ctx, "aadmin", "Ana Administradora", "admin_casa")


def _person(session: Session, given: str = "María José", number: str = "123456789") -> str:
    return register_person(session, PersonInput(
        given_names=given, paternal_surname="Pérez", sex="F", nationality="VE",
        birth_date=dt.date(1990, 1, 2), consent_register=True, consent_refer=True,
        documents=[DocumentInput(doc_type="PASAPORTE", number=number)]), TODAY)


def _entries(session: Session, **where: str) -> list[dict[str, object]]:
    clause = " AND ".join(f"{k} = ?" for k in where) or "1"
    return session.store.rows(f"SELECT * FROM audit_entry WHERE {clause} ORDER BY rowid",
                              list(where.values()))


# --- entries where personal data is viewed, printed, exported, imported ---------------------


def test_opening_a_person_records_one_view_per_opening(clerk: Session) -> None:
    pid = _person(clerk)
    other = _person(clerk, "Luis", "987654321")
    assert person_card(clerk, pid) is not None
    person_card(clerk, pid)  # a repaint of the same page
    views = _entries(clerk, action="view")
    assert [(v["user_id"], v["person_id"], v["entity"], v["entity_id"]) for v in views] == [
        (clerk.user_id, pid, "person", pid)]
    person_card(clerk, other)
    person_card(clerk, pid)  # opened again after another person: a new opening
    assert [v["person_id"] for v in _entries(clerk, action="view")] == [pid, other, pid]


def test_the_same_person_is_a_new_view_after_the_repeat_window(clerk: Session) -> None:
    pid = _person(clerk)
    assert audit.viewed_person(clerk, pid, now=1000.0)
    assert not audit.viewed_person(clerk, pid, now=1000.0 + audit.VIEW_REPEAT_SECONDS - 1)
    assert audit.viewed_person(clerk, pid, now=1000.0 + audit.VIEW_REPEAT_SECONDS + 1)
    assert len(_entries(clerk, action="view")) == 2


def test_a_view_while_writes_are_held_is_not_recorded_but_shown(
    clerk: Session, caplog: pytest.LogCaptureFixture
) -> None:
    pid = _person(clerk)
    clerk.store.hold_writes(StoreError("verificando"))
    try:
        with caplog.at_level(logging.WARNING, logger="oma_desktop.services.audit"):
            card = person_card(clerk, pid)
    finally:
        clerk.store.release_writes()
    assert card is not None and card.person_id == pid
    assert _entries(clerk, action="view") == []
    assert [r.getMessage() for r in caplog.records] == [
        f"view of person {pid} not audited: writes are held"]
    person_card(clerk, pid)  # once writes are allowed the opening is recorded
    assert len(_entries(clerk, action="view")) == 1


def test_printing_a_slip_records_it_in_the_same_transaction(clerk: Session) -> None:
    pid = _person(clerk)
    rid = create_referral(clerk, ReferralInput(pid, service_id("SIS"), reason="Afiliación"))
    count_printed(clerk, [rid])
    [entry] = _entries(clerk, action="print")
    code = clerk.store.get("referral", rid)["code"]  # type: ignore[index]
    assert (entry["user_id"], entry["person_id"], entry["entity"], entry["entity_id"],
            entry["detail"]) == (clerk.user_id, pid, "referral", rid, f"Boleta {code}")
    # the count and the entry are one operation set: the entry's op follows the update's
    ops = clerk.store.rows("SELECT entity, kind FROM change_log ORDER BY rowid DESC LIMIT 2")
    assert [(o["entity"], o["kind"]) for o in ops] == [("audit_entry", "create"),
                                                        ("referral", "update")]


def test_a_failed_print_count_records_nothing(clerk: Session) -> None:
    with pytest.raises(KeyError):
        count_printed(clerk, ["no-such-referral"])
    assert _entries(clerk, action="print") == []


def test_saving_a_constancia_records_a_print(clerk: Session, tmp_path: Path) -> None:
    pid = _person(clerk)
    cid = record_consultation(clerk, ConsultationInput(
        person_id=pid, occurred_at=dt.datetime(2026, 11, 27, 10, 30), topics=["SALUD_SIS"],
        summary="SIS", actions="Se explicó"), dt.datetime(2026, 11, 27, 10, 30))
    write_consultation_certificate(clerk, cid, tmp_path / "constancia.pdf")
    [entry] = _entries(clerk, action="print")
    assert (entry["user_id"], entry["person_id"], entry["entity"], entry["entity_id"],
            entry["detail"]) == (clerk.user_id, pid, "consultation", cid,
                                 "Constancia de atención (constancia.pdf)")


def test_an_export_is_recorded_with_its_file_and_rows(clerk: Session, tmp_path: Path) -> None:
    sheet = Sheet("Llamadas", ["Nombre"], [["Ana"], ["Luis"]])
    export_sheets(clerk, tmp_path / "llamadas.xlsx", [sheet])
    [entry] = _entries(clerk, action="export")
    assert (entry["user_id"], entry["person_id"], entry["detail"]) == (
        clerk.user_id, None, "Llamadas: 2 filas (llamadas.xlsx)")


def test_an_export_that_cannot_be_recorded_leaves_no_file(clerk: Session, tmp_path: Path) -> None:
    clerk.store.hold_writes(StoreError("La base de datos está dañada."))
    target = tmp_path / "lista.csv"
    with pytest.raises(StoreError, match="dañada"):
        export_sheets(clerk, target, [Sheet("Lista", ["Nombre"], [["Ana"]])])
    clerk.store.release_writes()
    assert not target.exists()
    assert _entries(clerk, action="export") == []


def test_an_import_is_recorded_in_its_transaction(clerk: Session) -> None:
    table = read_table(FIXTURES / "atenciones_cv3.csv")
    plan = plan_import(clerk, table, guess_mapping(table.headers), consent_confirmed=True,
                       today=dt.date(2024, 6, 1), source="atenciones_cv3.csv")
    result = commit_import(clerk, plan, backup=False)
    [entry] = _entries(clerk, action="import")
    assert entry["user_id"] == clerk.user_id
    assert entry["detail"] == (
        f"atenciones_cv3.csv: {result.persons_created} nuevas, {result.persons_matched} ya "
        f"registradas, {result.consultations_created} atenciones")


def test_record_refuses_an_unknown_action(clerk: Session) -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(clerk, "peek")
    assert _entries(clerk) == []


def test_a_failed_sign_in_names_the_account_tried(ctx: AppContext, clerk: Session) -> None:
    audit.record(ctx.session, "login_failed", user_id=clerk.user_id, detail="rquispe")
    [entry] = _entries(clerk)
    assert (entry["user_id"], entry["action"], entry["casa_id"]) == (
        clerk.user_id, "login_failed", "CV1")


# --- insert-only ----------------------------------------------------------------------------


def test_audit_entries_cannot_be_changed_or_deleted(clerk: Session) -> None:
    entry_id = audit.record(clerk, "export", detail="lista.csv")
    conn = clerk.store.conn
    with pytest.raises(driver.IntegrityError, match="insert-only"):
        conn.execute("UPDATE audit_entry SET detail = 'nada' WHERE id = ?", [entry_id])
    with pytest.raises(driver.IntegrityError):
        conn.execute("DELETE FROM audit_entry WHERE id = ?", [entry_id])
    with pytest.raises(UnloggedWriteError), clerk.transaction() as tx:
        tx.tombstone("audit_entry", entry_id)
    assert [e["detail"] for e in _entries(clerk)] == ["lista.csv"]
    assert clerk.store.scalar("SELECT deleted FROM audit_entry WHERE id = ?", [entry_id]) == 0


# --- the merged log ---------------------------------------------------------------------------


def test_the_log_merges_creations_and_views_newest_first(clerk: Session, admin: Session) -> None:
    pid = _person(clerk)
    person_card(clerk, pid)
    rows = [r for r in audit_log(admin, AuditFilter(person_id=pid))
            if r.entity in ("person", "document")]  # registering also writes consents
    assert [(r.action_text, r.entity_text, r.user, r.person_name, r.source) for r in rows] == [
        ("Vio", "Persona", "Rosa Quispe", "María José Pérez", "audit"),
        ("Creó", "Documento", "Rosa Quispe", "María José Pérez", "change"),
        ("Creó", "Persona", "Rosa Quispe", "María José Pérez", "change"),
    ]
    assert rows[0].when >= rows[1].when >= rows[2].when
    assert rows[1].entity_id == clerk.store.scalar(
        "SELECT id FROM document WHERE person_id = ?", [pid])


def test_an_edit_names_the_fields_changed_never_their_values(
    clerk: Session, admin: Session
) -> None:
    pid = _person(clerk)
    with clerk.transaction() as tx:
        tx.update("person", pid, {"phone": "999888777"})
    [edit] = audit_log(admin, AuditFilter(action="update"))
    assert (edit.action_text, edit.entity_text, edit.person_name) == (
        "Modificó", "Persona", "María José Pérez")
    assert "Teléfono" in edit.detail and "999888777" not in edit.detail


def test_each_filter_leaves_out_what_it_should(
    ctx: AppContext, clerk: Session, admin: Session
) -> None:
    ana = _person(clerk, "Ana", "111111111")
    _person(_user(ctx, "jperez", "Juan Pérez", "recepcion"), "Luis", "222222222")
    person_card(clerk, ana)
    audit.record(clerk, "export", detail="antigua.csv",
                 when=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))

    def shown(**kw: object) -> set[tuple[str, str, str]]:
        rows = audit_log(admin, AuditFilter(**kw), limit=1000)  # type: ignore[arg-type]
        # registering a person also records their consents: not what these filters test
        return {(r.action, r.entity, r.person_name) for r in rows
                if r.entity != "consent_record"}

    everything = shown()
    assert {("create", "person", "Ana Pérez"), ("create", "person", "Luis Pérez"),
            ("view", "person", "Ana Pérez"), ("export", "", "—")} <= everything
    # person: Luis's records and the export are left out, Ana's document is in
    assert shown(person_id=ana) == {("create", "person", "Ana Pérez"),
                                    ("create", "document", "Ana Pérez"),
                                    ("view", "person", "Ana Pérez")}
    # user: what the admin's account created is left out
    by_clerk = shown(user_id=clerk.user_id)
    assert ("create", "person", "Luis Pérez") not in by_clerk
    assert ("create", "person", "Ana Pérez") in by_clerk
    # action: views only, creations only
    assert shown(action="view") == {("view", "person", "Ana Pérez")}
    assert ("view", "person", "Ana Pérez") not in shown(action="create")
    # kind of record: documents only
    assert shown(entity="document") == {("create", "document", "Ana Pérez"),
                                        ("create", "document", "Luis Pérez")}
    # dates: the export three days ago is outside today, everything of today outside before
    assert ("export", "", "—") not in shown(since=TODAY, until=TODAY)
    assert ("view", "person", "Ana Pérez") in shown(since=TODAY, until=TODAY)
    three_days_ago = TODAY - dt.timedelta(days=3)
    assert [r.detail for r in audit_log(admin, AuditFilter(
        since=three_days_ago, until=TODAY - dt.timedelta(days=1)))] == ["antigua.csv"]


def test_paging_walks_the_whole_log_once(clerk: Session, admin: Session) -> None:
    for n in range(4):
        _person(clerk, f"Persona{n}", f"33333333{n}")
    whole = audit_log(admin, limit=1000)
    pages = [audit_log(admin, limit=3, offset=start) for start in range(0, len(whole), 3)]
    assert [r for page in pages for r in page] == whole
    marks = ",".join("?" * len(audit.PERSONAL_ENTITIES))
    assert len(whole) == admin.store.scalar(
        f"SELECT count(*) FROM change_log WHERE entity IN ({marks})",
        list(audit.PERSONAL_ENTITIES))
    assert len(pages) == (len(whole) + 2) // 3 and len(whole) >= 8


def test_only_roles_with_the_audit_permission_read_it(clerk: Session, admin: Session) -> None:
    with pytest.raises(PermissionDeniedError):
        audit_log(clerk)
    with pytest.raises(PermissionDeniedError):
        audit.user_choices(clerk)
    with pytest.raises(PermissionDeniedError):
        audit.export_audit_log(clerk, Path("nunca.csv"))
    assert not Path("nunca.csv").exists()
    assert [name for _id, name in audit.user_choices(admin)][:2] == [
        "Ana Administradora (aadmin)", "Recepción (recepcion.cv1)"]


def test_the_exported_log_is_formula_safe_and_recorded(
    clerk: Session, admin: Session, tmp_path: Path
) -> None:
    audit.record(clerk, "export", detail="=HYPERLINK(\"http://x\")")
    out = audit.export_audit_log(admin, tmp_path / "registro.csv", AuditFilter(action="export"))
    with out.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[1] == ["Fecha y hora", "Usuario", "Acción", "Tipo de registro", "Id. del registro",
                        "Persona", "Detalle"]
    assert lines[2][1:] == ["Rosa Quispe", "Exportó", "—", "", "—",
                            "'=HYPERLINK(\"http://x\")"]
    [entry] = _entries(admin, user_id=admin.user_id, action="export")
    assert entry["detail"] == "Registro de accesos: 1 fila (registro.csv)"


def test_a_view_in_the_millisecond_of_the_creation_sorts_after_it(
    clerk: Session, admin: Session
) -> None:
    # the clerk opens the card within the millisecond the record was saved in: the stamps
    # tie, and the clock of the operations decides which came first
    pid = _person(clerk)
    created = clerk.store.scalar(
        "SELECT max(hlc) FROM change_log WHERE entity_id = ?", [pid])
    saved_at = to_datetime(int(created))
    audit.record(clerk, "view", entity="person", entity_id=pid, when=saved_at)
    rows = audit_log(admin, AuditFilter(person_id=pid))
    assert (rows[0].action, rows[0].entity, rows[0].source) == ("view", "person", "audit")
    assert rows[0].when == saved_at.astimezone().replace(tzinfo=None)


def test_stamps_are_utc_and_shown_in_local_time(clerk: Session, admin: Session) -> None:
    when = dt.datetime(2026, 3, 4, 15, 30, 5, 250000, tzinfo=dt.UTC)
    audit.record(clerk, "backup", when=when)
    assert _entries(clerk)[0]["at"] == "2026-03-04T15:30:05.250Z"
    [row] = audit_log(admin, AuditFilter(action="backup"))
    assert row.when == when.astimezone().replace(tzinfo=None)


def test_choices_name_every_action_and_kind_in_spanish() -> None:
    actions = dict(audit.action_choices())
    assert actions["create"] == "Creó" and actions["view"] == "Vio"
    assert set(actions) == set(audit.ACTIONS) | set(audit.CHANGE_ACTIONS)
    assert dict(audit.entity_choices())["referral"] == "Derivación"


def test_person_of_follows_each_kind_of_record(clerk: Session) -> None:
    pid = _person(clerk)
    rid = create_referral(clerk, ReferralInput(pid, service_id("SIS"), reason="Afiliación"))
    event = clerk.store.scalar("SELECT id FROM referral_event WHERE referral_id = ?", [rid])
    doc = clerk.store.scalar("SELECT id FROM document WHERE person_id = ?", [pid])
    assert [audit.person_of(clerk, e, i) for e, i in (
        ("person", pid), ("document", doc), ("referral", rid), ("referral_event", event),
        ("casa", "CV1"), ("", None))] == [pid, pid, pid, pid, None, None]



def test_a_backup_is_recorded_except_while_writes_are_held(
    ctx: AppContext, clerk: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from oma_desktop.services.backup import Reason, make_backup

    info = make_backup(clerk, Reason.MANUAL, folder=tmp_path / "copias")
    [entry] = _entries(clerk, action="backup")
    assert (entry["user_id"], entry["detail"]) == (
        clerk.user_id, f"{info.path.name} (hecha a mano)")
    clerk.store.hold_writes(StoreError("La base de datos está dañada."))
    try:
        with caplog.at_level(logging.WARNING, logger="oma_desktop.services.audit"):
            rescue = make_backup(clerk, Reason.MANUAL, folder=tmp_path / "copias")
    finally:
        clerk.store.release_writes()
    assert rescue.path.exists()  # the copy that rescues a damaged file is still made
    assert len(_entries(clerk, action="backup")) == 1
    assert [r.getMessage() for r in caplog.records] == ["backup not audited: writes are held"]


def test_automatic_backups_are_not_recorded(clerk: Session, tmp_path: Path) -> None:
    from oma_desktop.services.backup import Reason, make_backup

    for reason in (Reason.DAILY, Reason.BEFORE_IMPORT):
        make_backup(clerk, reason, folder=tmp_path / "copias")
    assert _entries(clerk) == []
