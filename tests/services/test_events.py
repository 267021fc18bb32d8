"""Events (issue #11, point 6): validation with Spanish messages, create/update/delete logged,
persons linked as attendees (never more than the total), reading by role, the events section
of the report checked cell by cell against counts computed here from the events made, and a
sync round trip (events and organisations reach headquarters; the organisations headquarters
registers reach every casa, events do not)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from raw_stores import open_raw

from oma_desktop.core.actor import Actor
from oma_desktop.core.catalogs import load_catalogs
from oma_desktop.core.errors import PermissionDeniedError, ValidationError
from oma_desktop.core.store import Store
from oma_desktop.paths import resources_dir
from oma_desktop.services import events as ev
from oma_desktop.services.context import AppContext
from oma_desktop.services.events import EventInput
from oma_desktop.services.organisations import OrganisationInput, create_organisation
from oma_desktop.services.persons import PersonInput, register_person
from oma_desktop.services.report_filter import ReportFilter
from oma_desktop.services.session import Session
from oma_desktop.sync import exchange as ex
from oma_desktop.sync.keys import PublicKeys

TODAY = dt.date(2026, 11, 27)


def _as(ctx: AppContext, role: str) -> Session:
    actor = Actor(ctx.actor.user_id, role, ctx.session.casa_id, f"Cuenta {role}")
    return Session(ctx.session.store, ctx.catalogs, actor)


def _fair(**changes: Any) -> EventInput:
    data = EventInput(kind=ev.FAIR, title="Feria de servicios", started_on=dt.date(2026, 10, 4),
                      place="Plaza Italia", district_ubigeo="150101",
                      organisers="Casa Vecinal 1 y ACNUR", topics=["ORIENTACION"],
                      attendance_total=120, attendance_women=70, attendance_men=45,
                      attendance_minors=20, attendance_migrants=90, hours=5)
    return dataclasses.replace(data, **changes)


def _training(**changes: Any) -> EventInput:
    data = EventInput(kind=ev.STAFF_TRAINING, title="Derechos de las personas migrantes",
                      started_on=dt.date(2026, 10, 12), attendance_total=30,
                      attendance_women=18, attendance_men=12, hours=4,
                      staff_by_gerencia={"Gerencia de Desarrollo Social": 12,
                                         "Gerencia de Seguridad Ciudadana": 15})
    return dataclasses.replace(data, **changes)


def _persons(session: Session, n: int) -> list[str]:
    return [register_person(session, PersonInput(
        given_names=f"Persona{i}", paternal_surname="Rivas", sex="F", nationality="VE",
        consent_register=True), TODAY) for i in range(n)]


def _get(store: Store, entity: str, entity_id: str) -> dict[str, Any]:
    row = store.get(entity, entity_id)
    assert row is not None
    return row


def _errors(session: Session, data: EventInput, event_id: str | None = None) -> dict[str, str]:
    with pytest.raises(ValidationError) as err:
        if event_id:
            ev.update_event(session, event_id, data, TODAY)
        else:
            ev.create_event(session, data, TODAY)
    assert str(err.value) == "Revise los campos marcados."
    return err.value.fields


# --- validation ------------------------------------------------------------------------------


def test_validation_messages_are_spanish_and_name_the_field(coordinator: AppContext) -> None:
    s = coordinator.session
    assert _errors(s, EventInput()) == {
        "kind": "Elija el tipo de evento.",
        "title": "Escriba el nombre del evento (p. ej. «Migratón de verano»).",
        "started_on": "Escriba la fecha en que se realizó (o empezó) el evento.",
    }
    assert _errors(s, _fair(ended_on=dt.date(2026, 10, 3))) == {
        "ended_on": "El evento no puede terminar antes de empezar."}
    assert _errors(s, _fair(attendance_men=-1)) == {
        "attendance_men": "El número de hombres no puede ser negativo."}
    assert _errors(s, _fair(attendance_women=80, attendance_men=41)) == {
        "attendance_women": "Mujeres y hombres juntos (121) no pueden ser más que la asistencia "
                            "total (120)."}
    assert _errors(s, _fair(attendance_minors=121, attendance_migrants=130)) == {
        "attendance_minors": "Los menores de edad (121) no pueden ser más que la asistencia "
                             "total (120).",
        "attendance_migrants": "Las personas migrantes (130) no pueden ser más que la "
                               "asistencia total (120)."}
    assert _errors(s, _fair(district_ubigeo="999999", topics=["NO_EXISTE"])) == {
        "district_ubigeo": "Elija el distrito de la lista.",
        "topics": "Temas desconocidos: NO_EXISTE."}
    assert _errors(s, _fair(staff_by_gerencia={"Gerencia de Cultura": 3})) == {
        "staff_by_gerencia": "Los participantes por gerencia se registran solo en las "
                             "capacitaciones a personal municipal."}
    assert _errors(s, _fair(title="Feria\x00")) == {
        "title": "El texto tiene caracteres de control invisibles (¿pegado de otro programa?). "
                 "Escríbalo de nuevo."}


def test_a_staff_training_needs_hours_and_gerencias(coordinator: AppContext) -> None:
    s = coordinator.session
    assert _errors(s, _training(hours=0, staff_by_gerencia={})) == {
        "hours": "Escriba cuántas horas duró la capacitación (más de 0).",
        "staff_by_gerencia": "Agregue al menos una gerencia con el número de su personal que "
                             "participó."}
    assert _errors(s, _training(staff_by_gerencia={"Gerencia de Cultura": 0})) == {
        "staff_by_gerencia": "Escriba cuántas personas de Gerencia de Cultura participaron "
                             "(al menos 1)."}
    assert _errors(s, _training(staff_by_gerencia={"Gerencia de Cultura": 20,
                                                   "gerencia de cultura ": 5})) == {
        "staff_by_gerencia": "Una gerencia figura dos veces: sume sus participantes en una "
                             "sola línea."}
    assert _errors(s, _training(attendance_total=20, attendance_women=10, attendance_men=10)) == {
        "attendance_total": "El personal por gerencia suma 27, más que la asistencia total "
                            "(20)."}
    assert _errors(s, _training(hours=-2)) == {"hours": "Las horas no pueden ser negativas."}


def test_gerencias_come_from_the_catalog_with_a_source_and_free_text_is_kept(
    coordinator: AppContext,
) -> None:
    path = resources_dir() / "catalogs" / "gerencias_mml.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["name"] for r in rows] == ev.gerencia_names()
    assert len(rows) == len({r["name"] for r in rows}) >= 15
    assert all(r["source"].strip() and "ROF" in r["source"] for r in rows)
    assert ev.canonical_gerencia("gerencia  de la MUJER") == "Gerencia de la Mujer"
    s = coordinator.session
    event_id = ev.create_event(s, _training(staff_by_gerencia={
        "gerencia de desarrollo social": 10, "Subgerencia de Turismo": 5}), TODAY)
    assert ev.get_event(s, event_id).data.staff_by_gerencia == {
        "Gerencia de Desarrollo Social": 10, "Subgerencia de Turismo": 5}


# --- writing, reading, attendees ------------------------------------------------------------


def test_create_update_delete_are_logged(coordinator: AppContext) -> None:
    s = coordinator.session
    event_id = ev.create_event(s, _fair(ended_on=dt.date(2026, 10, 5)), TODAY)
    view = ev.get_event(s, event_id)
    assert view.row.kind_label == "Feria"
    assert view.row.dates_text == "04/10/2026 – 05/10/2026"
    assert view.row.casa_id == "CV1"
    assert view.data.topics == ["ORIENTACION"] and view.data.hours == 5.0
    changed = ev.update_event(s, event_id, dataclasses.replace(
        view.data, title="Feria de servicios de primavera", attendance_total=150), TODAY)
    assert changed == {"title": "Feria de servicios de primavera", "attendance_total": 150}
    ops = s.store.rows("SELECT kind, user_id FROM change_log WHERE entity = 'event'"
                       " AND entity_id = ? ORDER BY seq", [event_id])
    assert [o["kind"] for o in ops] == ["create", "update"]
    assert {o["user_id"] for o in ops} == {s.user_id}
    ev.delete_event(s, event_id)
    assert ev.list_events(s) == []
    assert _get(s.store, "event", event_id)["deleted"] == 1
    with pytest.raises(ValidationError, match="no existe"):
        ev.get_event(s, event_id)


def test_list_by_period_casa_kind_and_text(coordinator: AppContext) -> None:
    s = coordinator.session
    fair = ev.create_event(s, _fair(), TODAY)
    training = ev.create_event(s, _training(), TODAY)
    other = ev.create_event(s, _fair(title="Foro de la niñez migrante", kind=ev.FORUM,
                                     started_on=dt.date(2026, 11, 2), place="Auditorio"), TODAY)
    with s.transaction() as tx:  # an event headquarters recorded for another casa
        tx.create("event", {"casa_id": "CV2", "kind": ev.FAIR, "title": "Feria CV2",
                            "started_on": "2026-10-20"})
    assert [e.id for e in ev.list_events(s, casa_id="CV1")] == [other, training, fair]
    assert [e.id for e in ev.list_events(s, dt.date(2026, 10, 1), dt.date(2026, 10, 31),
                                         casa_id="CV1")] == [training, fair]
    assert [e.id for e in ev.list_events(s, kind=ev.STAFF_TRAINING)] == [training]
    assert [e.id for e in ev.list_events(s, text="ninez")] == [other]
    assert [e.id for e in ev.list_events(s, text="plaza italia")] == [fair]
    assert len(ev.list_events(s)) == 4


def test_attendees_are_linked_and_never_outnumber_the_total(coordinator: AppContext) -> None:
    s = coordinator.session
    people = _persons(s, 4)
    event_id = ev.create_event(s, _fair(attendance_total=3, attendance_women=2,
                                        attendance_men=1, attendance_minors=0,
                                        attendance_migrants=3, attendee_ids=people[:2]), TODAY)
    assert [a.person_id for a in ev.get_event(s, event_id).attendees] == people[:2]
    assert ev.list_events(s)[0].linked == 2
    ev.add_attendee(s, event_id, people[2])
    with pytest.raises(ValidationError) as err:
        ev.add_attendee(s, event_id, people[3])
    assert err.value.fields == {"attendance_total": (
        "El evento cuenta 3 asistentes y ya hay 3 personas registradas vinculadas. Aumente "
        "primero la asistencia total.")}
    with pytest.raises(ValidationError, match="ya está vinculada"):
        ev.add_attendee(s, event_id, people[0])
    assert ev.remove_attendee(s, event_id, people[1]) is True
    assert ev.remove_attendee(s, event_id, people[1]) is False
    view = ev.get_event(s, event_id)
    assert sorted(view.data.attendee_ids or []) == sorted([people[0], people[2]])
    # the form's save: the linked persons become exactly those listed
    assert _errors(s, dataclasses.replace(view.data, attendee_ids=people), event_id) == {
        "attendance_total": "La asistencia total (3) no puede ser menor que las 4 personas "
                            "registradas vinculadas al evento."}
    assert _errors(s, dataclasses.replace(view.data, attendance_total=1, attendance_women=1,
                                          attendance_men=0, attendance_migrants=1,
                                          attendee_ids=None), event_id) == {
        "attendance_total": "La asistencia total (1) no puede ser menor que las 2 personas "
                            "registradas vinculadas al evento."}
    ev.update_event(s, event_id, dataclasses.replace(view.data, attendee_ids=[people[3]]), TODAY)
    assert [a.person_id for a in ev.get_event(s, event_id).attendees] == [people[3]]
    linked = s.store.scalar("SELECT count(*) FROM event_attendee WHERE event_id = ?"
                            " AND deleted = 0", [event_id])
    assert linked == 1
    ev.delete_event(s, event_id)
    assert s.store.scalar("SELECT count(*) FROM event_attendee WHERE event_id = ?"
                          " AND deleted = 0", [event_id]) == 0


def test_who_may_write_and_read(coordinator: AppContext) -> None:
    people = _persons(coordinator.session, 1)
    event_id = ev.create_event(coordinator.session, _fair(attendee_ids=people), TODAY)
    for role in ("admin_casa", "admin_hq"):
        ev.update_event(_as(coordinator, role), event_id, _fair(
            title=f"Feria {role}", attendee_ids=None), TODAY)
    for role in ("recepcion", "analista"):
        with pytest.raises(PermissionDeniedError) as err:
            ev.create_event(_as(coordinator, role), _fair(), TODAY)
        assert err.value.permission == "MANAGE_EVENTS"
    with pytest.raises(PermissionDeniedError):
        ev.list_events(_as(coordinator, "recepcion"))
    analyst = _as(coordinator, "analista")
    view = ev.get_event(analyst, event_id)
    assert view.attendees == [] and view.data.attendee_ids is None and view.row.linked == 1
    assert [e.id for e in ev.list_events(analyst)] == [event_id]


# --- the report section ------------------------------------------------------------------------


def _random_events(s: Session, seed: int) -> list[tuple[EventInput, str]]:
    """Events at CV1 and CV2 over three months, with random counts; one deleted."""
    rng = random.Random(seed)
    made: list[tuple[EventInput, str]] = []
    gerencias = ev.gerencia_names()
    for i in range(40):
        kind = ev.KIND_CODES[i % len(ev.KIND_CODES)]
        total = rng.randint(0, 200)
        women = rng.randint(0, total)
        men = rng.randint(0, total - women)
        staff: dict[str, int] = {}
        if kind == ev.STAFF_TRAINING:
            for name in rng.sample(gerencias, rng.randint(1, 3)):
                staff[name] = rng.randint(1, 8)
            total = max(total, sum(staff.values()))
        data = EventInput(
            kind=kind, title=f"Evento {i}",
            started_on=dt.date(2026, 9, 1) + dt.timedelta(days=rng.randint(0, 90)),
            topics=rng.sample(["ORIENTACION", "EMPLEO_COLOCACION", "SALUD_SIS"], 1),
            attendance_total=total, attendance_women=women, attendance_men=men,
            attendance_minors=rng.randint(0, total), attendance_migrants=rng.randint(0, total),
            hours=rng.choice([1.5, 2, 3, 4]) if kind == ev.STAFF_TRAINING else 0,
            staff_by_gerencia=staff, casa_id=rng.choice(["CV1", "CV2"]))
        made.append((data, ev.create_event(s, data, TODAY)))
    ev.delete_event(s, made[0][1])
    return made[1:]


def _expected(made: list[tuple[EventInput, str]], flt: ReportFilter) -> tuple[
        dict[str, list[int]], dict[str, list[float]], int]:
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    staff: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0])
    trainings = 0
    for data, _id in made:
        assert data.started_on is not None
        if not flt.date_from <= data.started_on <= flt.date_to:
            continue
        if flt.casa_id and data.casa_id != flt.casa_id:
            continue
        if flt.topic and flt.topic not in data.topics:
            continue
        line = by_kind[data.kind]
        for k, v in enumerate((1, data.attendance_total, data.attendance_women,
                               data.attendance_men, data.attendance_minors,
                               data.attendance_migrants)):
            line[k] += v
        if data.kind == ev.STAFF_TRAINING:
            trainings += 1
            for name, n in data.staff_by_gerencia.items():
                staff[name][0] += 1
                staff[name][1] += n
                staff[name][2] += data.hours
                staff[name][3] += n * data.hours
    return by_kind, staff, trainings


@pytest.mark.parametrize("filters", [{}, {"casa_id": "CV2"}, {"topic": "SALUD_SIS"}],
                         ids=["consolidated", "CV2", "topic"])
def test_events_section_matches_an_independent_count(
    coordinator: AppContext, filters: dict[str, str],
) -> None:
    s = coordinator.session
    made = _random_events(s, seed=11)
    flt = ReportFilter(dt.date(2026, 10, 1), dt.date(2026, 10, 31), **filters)
    section = ev.events_section(s, flt)
    by_kind, staff, trainings = _expected(made, flt)
    kinds = next(t for t in section.tables if t.key == "events_by_kind")
    assert [row[0] for row in kinds.rows] == [ev.kind_label(c) for c in ev.KIND_CODES]
    keys = ("events", "attendance", "women", "men", "minors", "migrants")
    for code in ev.KIND_CODES:
        got = [kinds.value(ev.kind_label(code), k) for k in keys]
        assert got == by_kind.get(code, [0] * 6), code
    assert kinds.total == ["Total", *(sum(v[k] for v in by_kind.values()) for k in range(6))]
    assert sum(by_kind[c][0] for c in by_kind) > 0
    gerencia = next(t for t in section.tables if t.key == "staff_training_by_gerencia")
    assert {r[0] for r in gerencia.rows} == set(staff)
    for name, (n_trainings, participants, hours, person_hours) in staff.items():
        assert gerencia.value(name, "trainings") == n_trainings
        assert gerencia.value(name, "participants") == participants
        assert gerencia.value(name, "hours") == pytest.approx(hours)
        assert gerencia.value(name, "participant_hours") == pytest.approx(person_hours)
    in_period = [d for d, _i in made if d.kind == ev.STAFF_TRAINING and d.started_on
                 and flt.date_from <= d.started_on <= flt.date_to
                 and (not flt.casa_id or d.casa_id == flt.casa_id)
                 and (not flt.topic or flt.topic in d.topics)]
    assert gerencia.total is not None
    assert gerencia.total[1:4] == [trainings, sum(int(v[1]) for v in staff.values()),
                                   pytest.approx(sum(d.hours for d in in_period))]
    column = [r[2] for r in gerencia.rows]
    assert column == sorted(column, reverse=True)
    listed = next(t for t in section.tables if t.key == "events_list")
    assert len(listed.rows) == sum(v[0] for v in by_kind.values())
    assert kinds.chart == "bar" and gerencia.chart == "hbar"
    assert section.title == "Eventos y capacitaciones"


def test_events_section_says_person_filters_do_not_apply(coordinator: AppContext) -> None:
    s = coordinator.session
    ev.create_event(s, _fair(), TODAY)
    section = ev.events_section(s, ReportFilter(dt.date(2026, 10, 1), dt.date(2026, 10, 31),
                                                sex="F"))
    assert section.intro.startswith("1 evento en el periodo.")
    assert "no se aplican a los eventos" in section.intro
    assert section.tables[0].value("Feria", "attendance") == 120  # not filtered by sex
    with pytest.raises(PermissionDeniedError):
        ev.events_section(_as(coordinator, "recepcion"), ReportFilter(TODAY, TODAY))
    assert ev.events_section(_as(coordinator, "analista"),
                             ReportFilter(dt.date(2026, 10, 1), TODAY)).tables


# --- synchronisation ---------------------------------------------------------------------------


def test_events_reach_headquarters_and_its_organisations_reach_every_casa(
    tmp_path: Path,
) -> None:
    catalogs = load_catalogs()
    hq = open_raw(tmp_path / "hq.sqlite3", "CV1", "inst-hq", "hq")
    ex.ensure_own_keys(hq)
    hq_keys = ex.own_public_keys(hq, "").to_file(ex.own_keys(hq))
    casas: dict[str, Store] = {}
    for casa, station in (("CV1", "AAA"), ("CV2", "BBB")):
        store = open_raw(tmp_path / f"{casa}.sqlite3", casa, f"inst-{casa}")
        secret = ex.ensure_own_keys(store)
        store.set_meta(ex.HQ_KEYS_META, hq_keys.decode())
        ex.register_peer(hq, PublicKeys.from_file(
            ex.own_public_keys(store, station).to_file(secret)))
        casas[casa] = store
    try:
        cv1 = Session(casas["CV1"], catalogs, Actor("u-cv1", "coordinacion", "CV1", "Coord"))
        org = create_organisation(cv1, OrganisationInput(
            name="Asociación Venezolanos en Lima Norte", members=40,
            district_ubigeo="150135", participatory_budget=True, budget_years="2026"))
        event_id = ev.create_event(cv1, _fair(organisation_ids=[org]), TODAY)
        report = ex.import_export(hq, ex.build_export(casas["CV1"], "AAA").data)
        assert report.applied > 0 and report.gaps == []
        hq_session = Session(hq, catalogs, Actor("u-hq", "analista", "CV1", "Analista"))
        assert [e.id for e in ev.list_events(hq_session, casa_id="CV1")] == [event_id]
        section = ev.events_section(hq_session, ReportFilter(dt.date(2026, 10, 1), TODAY))
        assert section.tables[0].value("Feria", "attendance") == 120
        assert _get(hq, "organisation", org)["members"] == 40
        # headquarters registers an organisation: it reaches every casa with the reference
        hq_admin = Session(hq, catalogs, Actor("u-hq", "admin_hq", "CV1", "Sede"))
        hq_org = create_organisation(hq_admin, OrganisationInput(
            name="Colectivo Migrantes del Callao", district_ubigeo="070101"))
        got = ex.import_reference(casas["CV2"], ex.build_reference(hq, "CV2").data)
        assert got.applied > 0
        cv2 = casas["CV2"]
        assert _get(cv2, "organisation", hq_org)["name"] == "Colectivo Migrantes del Callao"
        assert cv2.get("event", event_id) is None  # events stay with headquarters
    finally:
        for s in (hq, *casas.values()):
            s.close()



# --- the demo -----------------------------------------------------------------------------------


def test_the_demo_has_valid_events_of_every_kind_and_organisations(tmp_path: Path) -> None:
    from oma_desktop.services.context import open_context
    from oma_desktop.services.demo import build_demo
    from oma_desktop.services.organisations import list_organisations, validate_organisation

    stats = build_demo(tmp_path / "demo", persons=150, seed=5, today=TODAY)
    again = build_demo(tmp_path / "again", persons=150, seed=5, today=TODAY)
    assert (stats.events, stats.event_attendees, stats.organisations) == (
        again.events, again.event_attendees, again.organisations)
    ctx = open_context(tmp_path / "demo")
    try:
        s = _as(ctx, "coordinacion")
        rows = ev.list_events(s)
        assert len(rows) == stats.events
        assert {r.kind for r in rows} == set(ev.KIND_CODES)
        assert {r.casa_id for r in rows} == {f"CV{i}" for i in range(1, 7)}
        assert all(TODAY - dt.timedelta(days=730) <= r.started_on <= TODAY for r in rows)
        assert sum(r.linked for r in rows) == stats.event_attendees > 0
        for row in rows:
            view = ev.get_event(s, row.id)
            assert ev.validate_event(s, view.data, row.id, TODAY) == {}, row
        orgs = list_organisations(s)
        assert len(orgs) == stats.organisations >= 6
        assert {o.recognition_status for o in orgs} == {"no_reconocida", "en_tramite",
                                                        "reconocida"}
        for org in orgs:
            assert validate_organisation(s, org.as_input(), org.id, TODAY) == {}, org
    finally:
        ctx.close()
