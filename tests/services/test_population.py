"""«Mapeo y seguimiento»: the persons of a period by district and zone with their follow-up
state, checked against a hand-made dataset and against an independent count over a demo;
reserved fields masked; the export refused to roles that may not export personal data."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from acting import act_as
from openpyxl import load_workbook
from reporting_helpers import DEMO_TODAY

from oma_desktop.core.disaggregation import person_profile
from oma_desktop.core.errors import PermissionDeniedError
from oma_desktop.core.geo import district_zones
from oma_desktop.core.seed import service_id
from oma_desktop.services.anonymise import anonymise_person
from oma_desktop.services.consultations import ConsultationInput, record_consultation
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.followup import RESULT_NO_ANSWER, call_list, record_call
from oma_desktop.services.persons import PersonInput, register_person
from oma_desktop.services.population import (
    STATE_NONE,
    STATE_OVERDUE,
    STATE_REFERRAL,
    STATE_SCHEDULED,
    export_followup,
    followup_document,
    followup_rows,
)
from oma_desktop.services.referrals import OPEN_STATUSES, ReferralInput, create_referral
from oma_desktop.services.report_filter import ReportFilter

TODAY = dt.date.today()  # registrations are stamped with the real time
START = TODAY - dt.timedelta(days=60)
PERIOD = ReportFilter(START, TODAY)
LIMA, SJL, COMAS = "150101", "150132", "150110"


def _person(ctx: AppContext, name: str, district: str, **kw: Any) -> str:
    return register_person(ctx.session, PersonInput(
        given_names=name, paternal_surname="Rojas", sex="F", nationality="VE",
        district_ubigeo=district, phone="987654321", consent_register=True,
        consent_refer=True, consent_contact=True, **kw), TODAY)


def _attend(ctx: AppContext, pid: str, days_ago: int, topics: list[str] | None = None,
            follow_up: dt.date | None = None) -> str:
    when = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(10, 0))
    return record_consultation(ctx.session, ConsultationInput(
        person_id=pid, occurred_at=when, topics=topics or ["SALUD_SIS"], summary="x",
        follow_up_date=follow_up), dt.datetime.combine(TODAY, dt.time(18, 0)))


@pytest.fixture
def people(ctx: AppContext, coordinator: AppContext) -> dict[str, str]:
    ids = {
        "ana": _person(ctx, "Ana", LIMA, zone="Barrios Altos", vulnerabilities={"vuln_pregnant"}),
        "bea": _person(ctx, "Bea", SJL),
        "cora": _person(ctx, "Cora", COMAS),
        "dina": _person(ctx, "Dina", LIMA),  # registered in the period, never attended
        "eva": _person(ctx, "Eva", SJL),  # anonymised: never listed
        "fina": _person(ctx, "Fina", ""),  # no district
    }
    _attend(ctx, ids["ana"], 10, topics=["EMPLEO_COLOCACION"],
            follow_up=TODAY - dt.timedelta(days=2))  # overdue
    _attend(ctx, ids["ana"], 3)
    _attend(ctx, ids["bea"], 5, topics=["VIOLENCIA_GENERO"],
            follow_up=TODAY + dt.timedelta(days=4))  # scheduled, on a sensitive topic
    _attend(ctx, ids["cora"], 20)
    create_referral(ctx.session, ReferralInput(ids["cora"], service_id("SIS"), reason="SIS"))
    _attend(ctx, ids["eva"], 1)
    _attend(ctx, ids["fina"], 1)
    act_as(ctx, "admin_casa")
    anonymise_person(ctx.session, ids["eva"], TODAY)
    act_as(ctx, "coordinacion")
    return ids


def test_the_list_shows_each_persons_follow_up_state(ctx: AppContext,
                                                     people: dict[str, str]) -> None:
    item = next(i for i in call_list(ctx.session, TODAY)[0] if i.person_id == people["ana"])
    record_call(ctx.session, item, RESULT_NO_ANSWER, "Buzón",
                now=dt.datetime.combine(TODAY, dt.time(9, 30)))
    rows = {r.person_id: r for r in followup_rows(ctx.session, PERIOD, today=TODAY)}
    assert set(rows) == {people[k] for k in ("ana", "bea", "cora", "dina", "fina")}
    ana, bea, cora = rows[people["ana"]], rows[people["bea"]], rows[people["cora"]]
    assert (ana.name, ana.district, ana.zone, ana.sector) == (
        "Ana Rojas", "Cercado de Lima", "Lima Centro", "Barrios Altos")
    assert ana.attentions == 2 and ana.last_attention == TODAY - dt.timedelta(days=3)
    assert ana.state == STATE_OVERDUE and ana.next_follow_up == TODAY - dt.timedelta(days=2)
    assert ana.follow_up_reason == ctx.catalogs.topic("EMPLEO_COLOCACION").label("es")
    assert ana.last_call.endswith("— No contesta") and "09:30" in ana.last_call
    assert ana.vulnerability == "Gestante"
    assert ana.state_text == "Seguimiento vencido"
    assert bea.state == STATE_SCHEDULED and bea.zone == "Lima Este"
    assert bea.follow_up_reason == ctx.catalogs.topic("VIOLENCIA_GENERO").label("es")
    assert cora.state == STATE_REFERRAL and cora.open_referrals == 1
    assert cora.zone == "Lima Norte" and cora.state_text == "Derivación en espera"
    dina = rows[people["dina"]]
    assert dina.attentions == 0 and dina.last_attention is None and dina.state == STATE_NONE
    assert rows[people["fina"]].district == "" and rows[people["fina"]].zone == ""
    # ordered by zone (Norte, Centro, Este...), persons without a district last
    assert [r.name.split()[0] for r in followup_rows(ctx.session, PERIOD, today=TODAY)] == [
        "Cora", "Ana", "Dina", "Bea", "Fina"]
    pending = followup_rows(ctx.session, PERIOD, today=TODAY, pending_only=True)
    assert [r.person_id for r in pending] == [people["cora"], people["ana"], people["bea"]]
    only_lima = followup_rows(ctx.session, PERIOD, district=LIMA, today=TODAY)
    assert {r.person_id for r in only_lima} == {people["ana"], people["dina"]}
    zone = followup_rows(ctx.session, ReportFilter(START, TODAY, zone="Lima Este"), today=TODAY)
    assert [r.person_id for r in zone] == [people["bea"]]


def test_a_topic_filter_lists_only_who_consulted_on_it(ctx: AppContext,
                                                       people: dict[str, str]) -> None:
    flt = ReportFilter(START, TODAY, topic="VIOLENCIA_GENERO")
    assert [r.person_id for r in followup_rows(ctx.session, flt, today=TODAY)] == [people["bea"]]
    old = ReportFilter(START - dt.timedelta(days=400), START - dt.timedelta(days=1))
    assert followup_rows(ctx.session, old, today=TODAY) == []


def test_reserved_fields_are_masked_for_roles_without_sensitive_access(
        ctx: AppContext, people: dict[str, str]) -> None:
    act_as(ctx, "admin_casa")
    rows = {r.person_id: r for r in followup_rows(ctx.session, PERIOD, today=TODAY)}
    assert rows[people["ana"]].vulnerability == "Reservado"
    assert rows[people["cora"]].vulnerability == "Reservado"  # also when there is none
    assert rows[people["bea"]].follow_up_reason == "Reservado"  # a sensitive topic
    assert rows[people["ana"]].follow_up_reason == ctx.catalogs.topic("EMPLEO_COLOCACION").label("es")
    with pytest.raises(PermissionDeniedError, match="exportar datos personales"):
        followup_document(ctx.session, PERIOD, today=TODAY)
    act_as(ctx, "analista")  # sees reports, never names
    with pytest.raises(PermissionDeniedError, match="ver los datos de las personas"):
        followup_rows(ctx.session, PERIOD, today=TODAY)


def test_the_export_writes_the_list_and_is_refused_without_permission(
        ctx: AppContext, people: dict[str, str], tmp_path: Path) -> None:
    rows = followup_rows(ctx.session, PERIOD, today=TODAY)
    out = export_followup(ctx.session, PERIOD, tmp_path / "seguimiento.xlsx", today=TODAY)
    book = load_workbook(out)
    sheets = [list(ws.iter_rows(values_only=True)) for ws in book.worksheets]
    values = next(s for s in sheets if any(row and row[0] == "Persona" for row in s))
    header = next(i for i, row in enumerate(values) if row and row[0] == "Persona")
    names = [row[0] for row in values[header + 1:] if row and row[0]]
    assert names == [r.name for r in rows]
    overdue = next(r for r in rows if r.next_follow_up is not None)
    line = next(row for row in values[header + 1:] if row[0] == overdue.name)
    assert line[values[header].index("Próximo seguimiento")].date() == overdue.next_follow_up
    entry = ctx.session.store.one(
        "SELECT detail FROM audit_entry WHERE action = 'export' ORDER BY rowid DESC LIMIT 1")
    assert entry is not None and "seguimiento.xlsx" in entry["detail"]

    out = export_followup(ctx.session, PERIOD, tmp_path / "seguimiento.csv", today=TODAY)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0][:3] == ["Persona", "Teléfono", "Distrito"]
    assert [r[0] for r in table[1:]] == [r.name for r in rows]

    act_as(ctx, "admin_casa")  # sees persons, may not export personal data
    with pytest.raises(PermissionDeniedError, match="exportar datos personales"):
        export_followup(ctx.session, PERIOD, tmp_path / "no.xlsx", today=TODAY)
    assert not (tmp_path / "no.xlsx").exists()


# --- against an independent count over a demo (the ``demo`` fixture of tests/conftest.py) -----


@pytest.fixture
def coordination(demo: Path) -> Iterator[AppContext]:
    ctx = act_as(open_context(demo), "coordinacion")
    yield ctx
    ctx.close()


def _expected(store: Any, flt: ReportFilter) -> dict[str, tuple[Any, ...]]:
    """{person id: (attentions, next follow-up, open referrals, state)} from the rows."""
    zones = district_zones()
    persons = {p["id"]: p for p in store.rows(
        "SELECT * FROM person WHERE deleted = 0 AND anonymised_at IS NULL")}

    def person_ok(p: dict[str, Any]) -> bool:
        profile = person_profile(p, flt.date_to)
        wanted = [(flt.sex, profile.sex), (flt.nationality, profile.nationality),
                  (flt.age_band, profile.age_band),
                  (flt.migratory_status, profile.migratory_status),
                  (flt.zone, zones.get(p["district_ubigeo"] or ""))]
        return all(want is None or want == got for want, got in wanted)

    consultations = store.rows("SELECT * FROM consultation WHERE deleted = 0")
    attentions: dict[str, int] = {}
    for c in consultations:
        p = persons.get(c["person_id"])
        if p is None or not flt.date_from.isoformat() <= c["occurred_at"][:10] \
                <= flt.date_to.isoformat() or not person_ok(p):
            continue
        if (flt.casa_id not in (None, c["casa_id"])
                or flt.topic not in (None, *json.loads(c["topics"]))):
            continue
        attentions[p["id"]] = attentions.get(p["id"], 0) + 1
    if flt.topic is None:
        for p in persons.values():
            if (flt.date_from.isoformat() <= p["created_at"][:10] <= flt.date_to.isoformat()
                    and flt.casa_id in (None, p["casa_id"]) and person_ok(p)):
                attentions.setdefault(p["id"], 0)
    out = {}
    for pid, n in attentions.items():
        pending = sorted(c["follow_up_date"] for c in consultations if c["person_id"] == pid
                         and c["follow_up_date"] and not c["follow_up_done"])
        referrals = len([r for r in store.rows(
            "SELECT status FROM referral WHERE person_id = ? AND deleted = 0", [pid])
            if r["status"] in OPEN_STATUSES])
        due = dt.date.fromisoformat(pending[0]) if pending else None
        state = (STATE_OVERDUE if due and due < DEMO_TODAY else STATE_SCHEDULED if due
                 else STATE_REFERRAL if referrals else STATE_NONE)
        out[pid] = (n, due, referrals, state)
    return out


@pytest.mark.parametrize("flt", [
    ReportFilter(dt.date(2026, 9, 1), dt.date(2026, 11, 30)),
    ReportFilter(dt.date(2026, 1, 1), dt.date(2026, 11, 30), casa_id="CV2"),
    ReportFilter(dt.date(2026, 6, 1), dt.date(2026, 11, 30), sex="F", zone="Lima Centro"),
    ReportFilter(dt.date(2026, 6, 1), dt.date(2026, 11, 30), topic="SALUD_SIS"),
    ReportFilter(dt.date(2026, 3, 1), dt.date(2026, 11, 30), age_band="18-59",
                 nationality="VE", migratory_status="regular"),
], ids=["autumn", "cv2", "women-centro", "topic", "adults-ve-regular"])
def test_the_rows_match_an_independent_count(coordination: AppContext,
                                             flt: ReportFilter) -> None:
    expected = _expected(coordination.session.store, flt)
    rows = followup_rows(coordination.session, flt, today=DEMO_TODAY)
    assert len(rows) == len(expected) > 0
    assert {r.person_id: (r.attentions, r.next_follow_up, r.open_referrals, r.state)
            for r in rows} == expected
    document = followup_document(coordination.session, flt, today=DEMO_TODAY)
    summary = document.table("by_district")
    assert summary.total is not None and summary.total[2] == len(expected)
    assert sum(row[2] for row in summary.rows) == len(expected)
    assert summary.total[3] == sum(1 for v in expected.values() if v[3] == STATE_OVERDUE)
    assert document.personal and document.kind == "seguimiento"
    assert len(document.table("persons").rows) == len(expected)
