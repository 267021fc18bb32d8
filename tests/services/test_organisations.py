"""The registry of migrant organisations (issue #11, point 6): validation in Spanish, create,
update, delete logged, list and search, who may write, and the report section checked against
counts computed here from the organisations made."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import Counter
from typing import Any

import pytest

from oma_desktop.core.actor import Actor
from oma_desktop.core.errors import PermissionDeniedError, ValidationError
from oma_desktop.core.geo import district_zones
from oma_desktop.services import events as ev
from oma_desktop.services import organisations as og
from oma_desktop.services.context import AppContext
from oma_desktop.services.organisations import OrganisationInput
from oma_desktop.services.report_filter import ReportFilter
from oma_desktop.services.session import Session

TODAY = dt.date(2026, 11, 27)


def _as(ctx: AppContext, role: str) -> Session:
    actor = Actor(ctx.actor.user_id, role, ctx.session.casa_id, f"Cuenta {role}")
    return Session(ctx.session.store, ctx.catalogs, actor)


def _org(**changes: Any) -> OrganisationInput:
    data = OrganisationInput(
        name="Asociación Unión Venezolana de Lima Norte", acronym="AUVLN", kind="asociacion",
        members=85, contact_name="Yohana Pérez", contact_phone="+51 987 654 321",
        contact_email="Contacto@Union.org", district_ubigeo="150135",
        recognition_status="en_tramite", participatory_budget=True, budget_years="2026 y 2025")
    return dataclasses.replace(data, **changes)


def _errors(session: Session, data: OrganisationInput,
            organisation_id: str | None = None) -> dict[str, str]:
    with pytest.raises(ValidationError) as err:
        if organisation_id:
            og.update_organisation(session, organisation_id, data, TODAY)
        else:
            og.create_organisation(session, data, TODAY)
    return err.value.fields


def test_validation_messages(coordinator: AppContext) -> None:
    s = coordinator.session
    assert _errors(s, OrganisationInput(name="  ", members=-3, contact_email="maria@",
                                        contact_phone="98-76")) == {
        "name": "Escriba el nombre de la organización.",
        "members": "El número de integrantes no puede ser negativo. Déjelo vacío si no se "
                   "conoce.",
        "contact_phone": "El teléfono parece incorrecto: escriba sus dígitos (9 para un "
                         "celular, p. ej. 987654321; un fijo con su código de área, p. ej. "
                         "014271234).",
        "contact_email": "El correo electrónico parece incorrecto: escríbalo como "
                         "nombre@ejemplo.org.",
    }
    assert _errors(s, _org(contact_phone="nueve ocho siete")) == {
        "contact_phone": og.validate_organisation(s, _org(contact_phone="abc"))["contact_phone"]}
    assert _errors(s, _org(recognition_status="reconocida")) == {
        "recognition_reference": "Escriba el número de la resolución o del registro que "
                                 "reconoce a la organización."}
    assert _errors(s, _org(budget_years="el año pasado")) == {
        "budget_years": "Escriba los años separados por comas, por ejemplo: 2025, 2026."}
    assert _errors(s, _org(budget_years="1999, 2030")) == {
        "budget_years": "Revise los años: de 2000 a 2027."}
    assert _errors(s, _org(participatory_budget=False)) == {
        "participatory_budget": "Marque que la organización participa en el presupuesto "
                                "participativo, o deje vacíos los años."}
    assert _errors(s, _org(kind="club", recognition_status="x", district_ubigeo="1")) == {
        "kind": "Elija el tipo de organización.",
        "recognition_status": "Elija la situación de reconocimiento: no reconocida, en trámite "
                              "o reconocida.",
        "district_ubigeo": "Elija el distrito de la lista."}


def test_create_update_delete_and_the_same_name_twice(coordinator: AppContext) -> None:
    s = coordinator.session
    org_id = og.create_organisation(s, _org(), TODAY)
    row = og.get_organisation(s, org_id)
    assert (row.contact_phone, row.contact_email, row.budget_years) == (
        "987654321", "contacto@union.org", "2025, 2026")
    assert (row.recognition_label, row.kind_label, row.shown_name, row.casa_id) == (
        "En trámite", "Asociación",
        "Asociación Unión Venezolana de Lima Norte (AUVLN)", "CV1")
    assert _errors(s, _org(name="asociacion union venezolana de  LIMA NORTE")) == {
        "name": "Ya está registrada una organización llamada «Asociación Unión Venezolana de "
                "Lima Norte». Búsquela en la lista y edítela."}
    changed = og.update_organisation(s, org_id, dataclasses.replace(
        row.as_input(), recognition_status="reconocida",
        recognition_reference="R.S.G. N° 123-2026", members=None), TODAY)
    assert changed == {"recognition_status": "reconocida",
                       "recognition_reference": "R.S.G. N° 123-2026", "members": None}
    kinds = [r["kind"] for r in s.store.rows(
        "SELECT kind FROM change_log WHERE entity = 'organisation' AND entity_id = ?"
        " ORDER BY seq", [org_id])]
    assert kinds == ["create", "update"]
    og.delete_organisation(s, org_id)
    assert og.list_organisations(s) == []
    with pytest.raises(ValidationError, match="no existe"):
        og.update_organisation(s, org_id, row.as_input(), TODAY)
    # the name is free again once the organisation was deleted
    assert og.create_organisation(s, _org(), TODAY)


def test_list_search_and_choices(coordinator: AppContext) -> None:
    s = coordinator.session
    a = og.create_organisation(s, _org(), TODAY)
    b = og.create_organisation(s, OrganisationInput(
        name="Colectivo Ñañas Migrantes", contact_name="Ana Núñez"), TODAY)
    c = og.create_organisation(s, OrganisationInput(name="Club Deportivo Vinotinto",
                                                    active=False), TODAY)
    assert [r.id for r in og.list_organisations(s)] == [a, b, c]  # inactive ones last
    assert [r.id for r in og.list_organisations(s, text="nanas")] == [b]
    assert [r.id for r in og.list_organisations(s, text="nunez")] == [b]
    assert [r.id for r in og.list_organisations(s, text="auvln")] == [a]
    assert [r.id for r in og.list_organisations(s, recognition_status="no_reconocida")] == [
        b, c]
    assert og.organisation_choices(s) == [
        (a, "Asociación Unión Venezolana de Lima Norte (AUVLN)"), (b, "Colectivo Ñañas Migrantes")]


def test_who_may_write_and_read(coordinator: AppContext) -> None:
    org_id = og.create_organisation(coordinator.session, _org(), TODAY)
    for role in ("recepcion", "analista"):
        with pytest.raises(PermissionDeniedError):
            og.create_organisation(_as(coordinator, role), _org(name=f"Otra {role}"), TODAY)
    with pytest.raises(PermissionDeniedError):
        og.list_organisations(_as(coordinator, "recepcion"))
    assert [r.id for r in og.list_organisations(_as(coordinator, "analista"))] == [org_id]
    og.update_organisation(_as(coordinator, "admin_hq"), org_id, _org(members=90), TODAY)
    assert og.get_organisation(coordinator.session, org_id).members == 90


def test_organisations_section_matches_an_independent_count(coordinator: AppContext) -> None:
    s = coordinator.session
    rng = random.Random(5)
    districts = ["150101", "150135", "150132", "070101", "150140", None]
    made: list[tuple[OrganisationInput, str]] = []
    for i in range(30):
        status = rng.choice(og.RECOGNITION_CODES)
        budget = rng.random() < 0.4
        data = OrganisationInput(
            name=f"Organización {i}", members=rng.choice([None, rng.randint(0, 200)]),
            district_ubigeo=rng.choice(districts), recognition_status=status,
            recognition_reference="R-1" if status == "reconocida" else "",
            participatory_budget=budget,
            budget_years=rng.choice(["", "2025", "2025, 2026"]) if budget else "",
            active=rng.random() < 0.85, casa_id=rng.choice(["CV1", "CV2"]))
        made.append((data, og.create_organisation(s, data, TODAY)))
    og.delete_organisation(s, made[0][1])
    made = made[1:]
    # events of October name some organisations (one twice, one deleted event)
    ids = [i for _d, i in made]
    ev.create_event(s, ev.EventInput(kind=ev.FAIR, title="Feria", started_on=dt.date(2026, 10, 3),
                                     organisation_ids=ids[:3]), TODAY)
    ev.create_event(s, ev.EventInput(kind=ev.FORUM, title="Foro", started_on=dt.date(2026, 10, 9),
                                     organisation_ids=ids[2:4]), TODAY)
    gone = ev.create_event(s, ev.EventInput(kind=ev.FORUM, title="Foro borrado",
                                            started_on=dt.date(2026, 10, 9),
                                            organisation_ids=ids[5:6]), TODAY)
    ev.delete_event(s, gone)
    ev.create_event(s, ev.EventInput(kind=ev.FORUM, title="Foro de setiembre",
                                     started_on=dt.date(2026, 9, 9),
                                     organisation_ids=ids[6:7]), TODAY)
    zones = district_zones()
    for casa in (None, "CV1"):
        flt = ReportFilter(dt.date(2026, 10, 1), dt.date(2026, 10, 31), casa_id=casa)
        section = og.organisations_section(s, flt)
        active = [d for d, _i in made if d.active and (casa is None or d.casa_id == casa)]
        tables = {t.key: t for t in section.tables}
        by_status = tables["organisations_by_status"]
        for code in og.RECOGNITION_CODES:
            mine = [d for d in active if d.recognition_status == code]
            assert by_status.value(og.recognition_label(code), "organisations") == len(mine)
            assert by_status.value(og.recognition_label(code), "members") == sum(
                d.members or 0 for d in mine)
        assert by_status.total is not None and by_status.total[1] == len(active)
        by_zone = tables["organisations_by_zone"]
        expected_zone = Counter(zones.get(d.district_ubigeo, "fuera") if d.district_ubigeo
                                else "sin_dato" for d in active)
        for zone, n in expected_zone.items():
            label = {"fuera": "Fuera de Lima y Callao", "sin_dato": "Sin dato"}.get(zone, zone)
            assert by_zone.value(label, "organisations") == n
        assert sum(r[1] for r in by_zone.rows) == len(active)
        by_district = tables["organisations_by_district"]
        expected_district = Counter(d.district_ubigeo for d in active if d.district_ubigeo)
        assert {s.catalogs.district(u).name: n for u, n in expected_district.items()} == {
            r[0]: r[1] for r in by_district.rows}
        budget_table = tables["organisations_budget"]
        taking = [d for d in active if d.participatory_budget]
        assert budget_table.value("Participan en el presupuesto participativo",
                            "organisations") == len(taking)
        assert budget_table.value("No participan", "organisations") == len(active) - len(taking)
        for year in (2025, 2026):
            n = sum(1 for d in taking if str(year) in d.budget_years)
            if n:
                assert budget_table.value(f"Participaron en {year}", "organisations") == n
        in_events = tables["organisations_in_events"]
        expected_events: Counter[str] = Counter()
        for org_ids in (ids[:3], ids[2:4]):
            for org in org_ids:
                expected_events[og.get_organisation(s, org).name] += 1
        # the events are CV1's: the same organisations for CV1 as for every casa
        assert {r[0]: r[1] for r in in_events.rows} == dict(expected_events)
        assert in_events.rows[0] == [og.get_organisation(s, ids[2]).name, 2]
        assert section.intro.startswith(f"{len(active)} organizaciones de personas migrantes")
