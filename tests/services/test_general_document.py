"""The general report as a document (issue #11, point 3): each table against counts made
here in plain Python from a demo's rows, with the Python version of the one rule and the
zones read straight from lima_zones.csv; filters and the per-casa scope included."""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from acting import act_as
from reporting_helpers import catalog_rows, in_period, person_matches, zone_of

from oma_desktop.core.disaggregation import UNKNOWN, age_band, age_on
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.demo import build_demo
from oma_desktop.services.report_filter import ReportFilter
from oma_desktop.services.reports import build_report, general_document

TODAY = dt.date(2026, 11, 30)
OUTCOMES = ("atendida", "no_atendida", "rechazada")


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    folder = tmp_path_factory.mktemp("general") / "datos"
    build_demo(folder, persons=160, seed=11, today=TODAY)
    context = act_as(open_context(folder), "coordinacion")
    yield context
    context.close()


def _consultations(ctx: AppContext, flt: ReportFilter) -> list[dict[str, Any]]:
    store = ctx.session.store
    persons = {p["id"]: p for p in store.rows("SELECT * FROM person WHERE deleted = 0")}
    out = []
    for c in store.rows("SELECT * FROM consultation WHERE deleted = 0"):
        if not in_period(flt, c["occurred_at"]) or (flt.casa_id and c["casa_id"] != flt.casa_id):
            continue
        if flt.topic and flt.topic not in json.loads(c["topics"]):
            continue
        if c["person_id"]:
            if not person_matches(flt, persons[c["person_id"]]):
                continue
        else:
            if flt.zone is not None or flt.migratory_status not in (None, UNKNOWN):
                continue
            if flt.sex is not None and (c["anon_sex"] or UNKNOWN) != flt.sex:
                continue
            if flt.age_band is not None and age_band(c["anon_age"]) != flt.age_band:
                continue
        out.append(c)
    return out


def _row_counts(table: Any) -> dict[str, int]:
    return {row[0]: row[1] for row in table.rows}


FILTERS = [
    ReportFilter(dt.date(2026, 1, 1), TODAY),
    ReportFilter(dt.date(2026, 3, 1), dt.date(2026, 9, 30), casa_id="CV1"),
    ReportFilter(dt.date(2026, 1, 1), TODAY, sex="F", age_band="18-59"),
    ReportFilter(dt.date(2026, 1, 1), TODAY, zone="Lima Centro"),
    ReportFilter(dt.date(2026, 1, 1), TODAY, topic="EMPLEO_COLOCACION"),
]


@pytest.mark.parametrize("flt", FILTERS, ids=["all", "cv1", "women-adults", "centro", "empleo"])
def test_consultation_and_attendance_tables(ctx: AppContext, flt: ReportFilter) -> None:
    store = ctx.session.store
    doc = general_document(ctx.session, flt)
    rows = _consultations(ctx, flt)
    assert rows, "the demo must have consultations for this filter"
    topics = Counter(t for c in rows for t in json.loads(c["topics"]))
    names = {t.code: t.label() for t in ctx.catalogs.topics}
    assert _row_counts(doc.table("by_topic")) == {names[t]: n for t, n in topics.items()}
    axis_of = {t.code: t.axis for t in ctx.catalogs.topics}
    axis_names = {a.code: a.label() for a in ctx.catalogs.axes}
    by_axis: Counter[str] = Counter()
    for topic, n in topics.items():
        by_axis[axis_names[axis_of[topic]]] += n
    assert {k: v for k, v in _row_counts(doc.table("by_axis")).items() if v} == by_axis

    persons = {r["person_id"] for r in rows if r["person_id"]}
    anonymous = [r for r in rows if not r["person_id"]]
    summary = _row_counts(doc.table("summary"))
    assert summary["Atenciones"] == len(rows)
    assert summary["Personas atendidas"] == len(persons) + len(anonymous)
    new = sum(in_period(flt, store.get("person", p)["created_at"]) for p in persons)
    attended_new = _row_counts(doc.table("attended_new"))
    assert list(attended_new.values()) == [new, len(persons) - new, len(anonymous)]

    sexes: Counter[str] = Counter()
    zones: Counter[str] = Counter()
    for pid in persons:
        person = store.get("person", pid)
        sexes[person["sex"] or UNKNOWN] += 1
        zones[zone_of(person["district_ubigeo"])] += 1
    for r in anonymous:
        sexes[r["anon_sex"] or UNKNOWN] += 1
        zones[UNKNOWN] += 1
    sex_label = {"F": "Mujer", "M": "Hombre", "X": "No declarado", UNKNOWN: "Sin dato"}
    assert {k: v for k, v in _row_counts(doc.table("by_sex")).items() if v} == {
        sex_label[k]: v for k, v in sexes.items()}
    zone_label = {UNKNOWN: "Sin dato", "fuera": "Fuera de Lima y Callao"}
    assert {k: v for k, v in _row_counts(doc.table("attended_by_zone")).items() if v} == {
        zone_label.get(k, k): v for k, v in zones.items()}

    # axis × age band: each consultation counts once per topic, by its person's age band
    cross: Counter[tuple[str, str]] = Counter()
    for c in rows:
        band = (age_band(age_on(store.get("person", c["person_id"])["birth_date"], flt.date_to))
                if c["person_id"] else age_band(c["anon_age"]))
        for topic in json.loads(c["topics"]):
            cross[(axis_names[axis_of[topic]], band)] += 1
    table = doc.table("axis_by_age_band")
    got = {(row[0], col.key): row[i] for row in table.rows
           for i, col in enumerate(table.columns) if col.kind == "count" and col.key != "total"
           and row[i]}
    assert got == {k: v for k, v in cross.items() if v and k[1] != UNKNOWN}
    assert table.total is not None and table.total[-1] == sum(topics.values())


@pytest.mark.parametrize("flt", FILTERS[:4], ids=["all", "cv1", "women-adults", "centro"])
def test_registered_and_referral_tables(ctx: AppContext, flt: ReportFilter) -> None:
    store = ctx.session.store
    doc = general_document(ctx.session, flt)
    districts = {d.ubigeo: d.label() for d in ctx.catalogs.districts}

    registered = [p for p in store.rows("SELECT * FROM person WHERE deleted = 0")
                  if in_period(flt, p["created_at"]) and person_matches(flt, p)
                  and (flt.casa_id is None or p["casa_id"] == flt.casa_id)]
    by_district = Counter(districts[p["district_ubigeo"]] for p in registered
                          if p["district_ubigeo"])
    assert _row_counts(doc.table("registered_by_district")) == by_district
    by_zone = Counter(zone_of(p["district_ubigeo"]) for p in registered)
    assert sum(_row_counts(doc.table("registered_by_zone")).values()) == len(registered)
    assert _row_counts(doc.table("registered_by_zone"))["Lima Centro"] == by_zone["Lima Centro"]

    persons = {p["id"]: p for p in store.rows("SELECT * FROM person")}
    services = {s["id"]: s for s in store.rows("SELECT * FROM service")}
    expected: dict[str, dict[str, Any]] = {}
    for r in store.rows("SELECT * FROM referral WHERE deleted = 0"):
        if not in_period(flt, r["issued_at"]) or (flt.casa_id and r["casa_id"] != flt.casa_id):
            continue
        if not person_matches(flt, persons[r["person_id"]]):
            continue
        line = expected.setdefault(r["service_id"], {"issued": 0, "status": Counter(),
                                                     "days": []})
        line["issued"] += 1
        line["status"][r["status"]] += 1
        if r["status"] in OUTCOMES:
            events = [e for e in store.rows(
                "SELECT * FROM referral_event WHERE referral_id = ? AND status = ?",
                [r["id"], r["status"]])]
            at = min(dt.datetime.fromisoformat(e["at"]) for e in events)
            line["days"].append((at - dt.datetime.fromisoformat(r["issued_at"]))
                                .total_seconds() / 86400)
    table = doc.table("referrals_by_destination")
    assert len(table.rows) == len(expected) > 0
    for row in table.rows:
        service = next(s for s in services.values() if row[0].startswith(s["name"]))
        line = expected[service["id"]]
        status = line["status"]
        assert row[1:7] == [line["issued"], status["atendida"], status["no_atendida"],
                            status["rechazada"], status["cancelada"],
                            status["emitida"] + status["entregada"]]
        done = sum(status[s] for s in OUTCOMES)
        assert row[7] == (round(100 * status["atendida"] / done, 1) if done else None)
        assert row[8] == (round(statistics.median(line["days"]), 1) if line["days"] else None)
    assert table.total is not None
    assert table.total[1] == sum(line["issued"] for line in expected.values())


def test_build_report_is_the_one_door(ctx: AppContext) -> None:
    flt = ReportFilter(dt.date(2026, 1, 1), TODAY)
    doc = build_report(ctx.session, "general", flt)
    assert doc.kind == "general" and doc.scope == "Consolidado: todas las casas"
    assert doc.sections[2].district_map  # the map of persons attended by district
    with pytest.raises(ValueError):
        build_report(ctx.session, "nada", flt)


def test_an_office_zones_file_reaches_the_report_and_its_filter(ctx: AppContext) -> None:
    """A lima_zones.csv beside the database replaces the bundled zones in every table by
    zone and in the zone filter."""
    own = ctx.session.store.path.parent / "lima_zones.csv"
    zones = {r["ubigeo_inei"]: r["zona"] for r in catalog_rows("lima_zones.csv")}
    own.write_text("ubigeo_inei,zona\n" + "".join(
        f"{u},{'Cercado' if u == '150101' else z}\n" for u, z in zones.items()),
        encoding="utf-8")
    try:
        flt = ReportFilter(dt.date(2026, 1, 1), TODAY)
        by_zone = _row_counts(general_document(ctx.session, flt).table("registered_by_zone"))
        cercado = [p for p in ctx.session.store.rows("SELECT * FROM person WHERE deleted = 0")
                   if in_period(flt, p["created_at"]) and p["district_ubigeo"] == "150101"]
        assert by_zone["Cercado"] == len(cercado) > 0
        filtered = general_document(ctx.session, ReportFilter(
            dt.date(2026, 1, 1), TODAY, zone="Cercado"))
        assert _row_counts(filtered.table("registered_by_district")) == {
            "Cercado de Lima": len(cercado)}
    finally:
        own.unlink()
