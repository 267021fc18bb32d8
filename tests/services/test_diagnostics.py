"""The two diagnostics of the capacity plan (issue #11, point 4): every figure against counts
made here in plain Python from the rows of a demo (with the Python version of the one rule
and the catalogs read straight from their CSV files), per casa, consolidated and with person
filters; and a hand-made December (after the demo's window) whose referrals have known
outcomes and days, so the medians are checked exactly."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from acting import act_as
from reporting_helpers import DEMO_TODAY, catalog_rows, in_period, person_matches, zone_of

from oma_desktop.core.disaggregation import (
    UNKNOWN,
    age_band,
    anonymous_profile,
    person_profile,
)
from oma_desktop.core.errors import PermissionDeniedError
from oma_desktop.core.seed import service_id
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.diagnostics import labour_document, programmes_document
from oma_desktop.services.directory import DEFAULT_TOPICS
from oma_desktop.services.report_filter import ReportFilter
from oma_desktop.services.reports import dimension_labels

TODAY = DEMO_TODAY  # the demo fixture's (tests/conftest.py)
DIMENSIONS = ("age_band", "sex", "nationality", "migratory_status", "disability")
OUTCOMES = ("atendida", "no_atendida", "rechazada")
PENDING = ("emitida", "entregada")
AREAS = ("salud", "educacion", "deporte", "recreacion")
LABOUR_PREFIXES = ("emple", "trabaj", "labor")
DAY = dt.timedelta(days=1)

# the hand-made December: (issued, outcome) of the referrals whose days are checked
MTPE_ISSUED, MTPE_ATTENDED = dt.datetime(2026, 12, 2, 10, 0), dt.datetime(2026, 12, 5, 10, 0)
SUNAFIL_ISSUED, SUNAFIL_REJECTED = (dt.datetime(2026, 12, 3, 9, 0),
                                    dt.datetime(2026, 12, 8, 9, 0))
SIS_ISSUED, SIS_ATTENDED = dt.datetime(2026, 12, 3, 9, 30), dt.datetime(2026, 12, 5, 9, 30)
UGEL_ISSUED, UGEL_ATTENDED = dt.datetime(2026, 12, 4, 11, 0), dt.datetime(2026, 12, 5, 11, 0)
DECEMBER = ReportFilter(dt.date(2026, 12, 1), dt.date(2026, 12, 31))


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="minutes")


def _add_december(ctx: AppContext) -> None:
    """Consultations and referrals the demo lacks: labour referrals attended after 3 days
    and rejected after 5, one to a mixed service from a non-labour consultation (not
    counted) and one from no consultation (not counted either), programme referrals,
    walk-ins."""
    staff = ctx.session.user_id

    def person(tx: Any, casa: str, **fields: Any) -> str:
        return str(tx.create("person", {"casa_id": casa, "given_names": "Prueba",
                                        "paternal_surname": "Diagnóstico",
                                        "consent_refer": 1, **fields}))

    def consultation(tx: Any, casa: str, at: dt.datetime, topics: list[str],
                     person_id: str | None = None, **anon: Any) -> str:
        return str(tx.create("consultation", {
            "person_id": person_id, "casa_id": casa, "staff_user_id": staff,
            "occurred_at": _iso(at), "channel": "presencial", "topics": json.dumps(topics),
            **anon}))

    numbers = iter(range(900_001, 999_999))

    def referral(tx: Any, casa: str, person_id: str, institution: str,
                 consultation_id: str | None, issued: dt.datetime,
                 trail: list[tuple[str, dt.datetime]]) -> None:
        number = next(numbers)
        referral_id = tx.create("referral", {
            "code": f"{casa}-2026-{number:06d}", "casa_id": casa, "year": 2026,
            "number": number, "person_id": person_id, "consultation_id": consultation_id,
            "service_id": service_id(institution), "reason": "prueba", "priority": "normal",
            "due_date": (issued.date() + 14 * DAY).isoformat(), "shared": "[]",
            "status": trail[-1][0], "issued_at": _iso(issued), "staff_user_id": staff})
        for status, at in [("emitida", issued), *trail[1:]]:
            tx.create("referral_event", {"referral_id": referral_id, "status": status,
                                         "at": _iso(at), "user_id": staff})

    with ctx.session.transaction() as tx:
        a = person(tx, "CV1", sex="F", birth_date="1990-05-01", nationality="VE",
                   migratory_status="regular", district_ubigeo="150101",
                   wg_seeing=0, created_at="2026-12-01T09:00:00")
        b = person(tx, "CV2", sex="M", birth_date="2010-03-03", nationality="CO",
                   migratory_status="en_tramite", district_ubigeo="150132",
                   wg_walking=3, created_at="2026-12-01T09:30:00")
        c = person(tx, "CV1", sex="X", nationality="PE", migratory_status="nacional",
                   created_at="2026-12-02T09:00:00")
        d = person(tx, "CV1", sex="F", birth_date="1980-01-01", nationality="VE",
                   migratory_status="irregular", district_ubigeo="070101",
                   created_at="2026-11-20T09:00:00")
        c1 = consultation(tx, "CV1", MTPE_ISSUED, ["EMPLEO_COLOCACION"], a)
        c2 = consultation(tx, "CV2", SUNAFIL_ISSUED, ["DERECHOS_LABORALES", "SALUD_SIS"], b)
        c3 = consultation(tx, "CV1", UGEL_ISSUED, ["ORIENTACION", "EDUCACION_VACANTE"], c)
        consultation(tx, "CV1", dt.datetime(2026, 12, 5, 12, 0),
                     ["EMPLEO_CAPACITACION", "EDUCACION_VACANTE"],
                     anon_sex="F", anon_age=17, anon_nationality="VE")
        consultation(tx, "CV2", dt.datetime(2026, 12, 6, 12, 0), ["SALUD_SIS"],
                     anon_sex="M", anon_age=40, anon_nationality="PE")
        c6 = consultation(tx, "CV1", dt.datetime(2026, 12, 10, 10, 0),
                          ["EMPLEO_CAPACITACION"], a)
        consultation(tx, "CV1", dt.datetime(2026, 11, 20, 10, 0), ["EMPLEO_COLOCACION"], d)
        consultation(tx, "CV1", dt.datetime(2026, 12, 11, 10, 0), ["EMPLEO_COLOCACION"], d)
        referral(tx, "CV1", a, "MTPE", c1, MTPE_ISSUED,
                 [("emitida", MTPE_ISSUED), ("atendida", MTPE_ATTENDED)])
        referral(tx, "CV2", b, "SUNAFIL", c2, SUNAFIL_ISSUED,
                 [("emitida", SUNAFIL_ISSUED), ("entregada", SUNAFIL_ISSUED + DAY),
                  ("rechazada", SUNAFIL_REJECTED)])
        referral(tx, "CV2", b, "SIS", c2, SIS_ISSUED,
                 [("emitida", SIS_ISSUED), ("atendida", SIS_ATTENDED)])
        referral(tx, "CV1", c, "UNION_VENEZOLANA", c3, UGEL_ISSUED,
                 [("emitida", UGEL_ISSUED), ("entregada", UGEL_ISSUED + DAY)])
        referral(tx, "CV1", c, "UNION_VENEZOLANA", None, UGEL_ISSUED + dt.timedelta(hours=1),
                 [("emitida", UGEL_ISSUED + dt.timedelta(hours=1))])
        referral(tx, "CV1", c, "UGEL03", c3, UGEL_ISSUED,
                 [("emitida", UGEL_ISSUED), ("atendida", UGEL_ATTENDED)])
        referral(tx, "CV1", a, "CARITAS", c6, dt.datetime(2026, 12, 10, 10, 0),
                 [("emitida", dt.datetime(2026, 12, 10, 10, 0)),
                  ("cancelada", dt.datetime(2026, 12, 11, 10, 0))])


@pytest.fixture(scope="module")
def ctx(demo: Path) -> Iterator[AppContext]:
    context = act_as(open_context(demo), "coordinacion")
    _add_december(context)
    yield context
    context.close()


# --- the catalogs and the rules, independently --------------------------------------------


def _fold(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(ch if ch.isalnum() else " " for ch in plain).split()


def _labour_domain() -> tuple[dict[str, str], dict[str, set[str]], dict[str, tuple[str, ...]]]:
    topics = {r["code"]: "laboral" for r in catalog_rows("topics.csv") if r["axis"] == "LABORAL"}
    return topics, {}, {"laboral": LABOUR_PREFIXES}


def _programmes_domain() -> tuple[dict[str, str], dict[str, set[str]],
                                  dict[str, tuple[str, ...]]]:
    topics: dict[str, str] = {}
    services: dict[str, set[str]] = {}
    prefixes: dict[str, tuple[str, ...]] = {}
    for row in catalog_rows("social_programmes.csv"):
        if row["kind"] == "topic":
            topics[row["code"]] = row["area"]
        elif row["kind"] == "service":
            services.setdefault(row["code"], set()).add(row["area"])
        else:
            prefixes[row["area"]] = (*prefixes.get(row["area"], ()), row["code"])
    return topics, services, prefixes


def _service_areas(store: Any, domain: Any) -> dict[str, dict[str, bool]]:
    """service id -> area -> dedicated (every referral counts)."""
    topics, named, prefixes = domain
    out: dict[str, dict[str, bool]] = {}
    for s in store.rows("SELECT * FROM service"):
        serves = set(json.loads(s["topics"] or "[]")) or set(DEFAULT_TOPICS.get(s["code"], ()))
        words = _fold(f"{s['sector']} {s['kind']}")
        for area in set(topics.values()) | set(prefixes) | {a for v in named.values()
                                                            for a in v}:
            own = {t for t, a in topics.items() if a == area}
            dedicated = (area in named.get(s["code"], set())
                         or any(w.startswith(p) for w in words for p in prefixes.get(area, ()))
                         or (bool(serves) and serves <= own))
            if dedicated or serves & own:
                out.setdefault(s["id"], {})[area] = dedicated
    return out


def _anonymous_matches(flt: ReportFilter, c: dict[str, Any]) -> bool:
    profile = anonymous_profile(c)
    return ((flt.sex is None or profile.sex == flt.sex)
            and (flt.age_band is None or profile.age_band == flt.age_band)
            and (flt.nationality is None or profile.nationality == flt.nationality)
            and (flt.migratory_status is None or profile.migratory_status == flt.migratory_status)
            and (flt.zone is None or flt.zone == UNKNOWN))


class Expected:
    """The diagnostic of one domain, counted here row by row."""

    def __init__(self, ctx: AppContext, flt: ReportFilter, domain: Any) -> None:
        store = ctx.session.store
        topics_of_area, _named, _prefixes = domain
        self.areas = sorted(set(topics_of_area.values()) | set(_prefixes))
        persons = {p["id"]: p for p in store.rows("SELECT * FROM person")}
        consultations = {c["id"]: c for c in store.rows(
            "SELECT * FROM consultation WHERE deleted = 0")}
        self.persons = persons
        rows = []
        for c in consultations.values():
            topics = json.loads(c["topics"])
            if not in_period(flt, c["occurred_at"]) or (flt.casa_id and c["casa_id"] != flt.casa_id):
                continue
            if flt.topic and flt.topic not in topics:
                continue
            if c["person_id"] and not person_matches(flt, persons[c["person_id"]]):
                continue
            if not c["person_id"] and not _anonymous_matches(flt, c):
                continue
            rows.append((c, [t for t in topics if flt.topic in (None, t)]))
        self.consultations = len(rows)
        self.area_consultations: Counter[str] = Counter()
        self.walk_ins: Counter[str] = Counter()
        self.topic_consultations: Counter[str] = Counter()
        topic_persons: dict[str, set[Any]] = {}
        # area -> beneficiaries: person ids and ("walk-in", consultation id)
        self.beneficiaries: dict[str, set[Any]] = {a: set() for a in [*self.areas, "*"]}
        consulting: dict[str, set[Any]] = {a: set() for a in [*self.areas, "*"]}
        for c, topics in rows:
            who = c["person_id"] or ("walk-in", c["id"])
            alive = not c["person_id"] or not persons[c["person_id"]]["deleted"]
            areas = {topics_of_area[t] for t in topics if t in topics_of_area}
            for t in topics:
                if t in topics_of_area:
                    self.topic_consultations[t] += 1
                    if alive:
                        topic_persons.setdefault(t, set()).add(who)
            for area in [*areas, "*"] if areas else []:
                self.area_consultations[area] += 1
                self.walk_ins[area] += not c["person_id"]
                if alive:
                    self.beneficiaries[area].add(who)
                    consulting[area].add(who)
        self.topic_persons = {t: len(p) for t, p in topic_persons.items()}
        self.consulting = {a: len(p) for a, p in consulting.items()}

        service_areas = _service_areas(store, domain)
        events: dict[tuple[str, str], str] = {}
        for e in store.rows("SELECT * FROM referral_event WHERE deleted = 0"):
            key = (e["referral_id"], e["status"])
            events[key] = min(events.get(key, e["at"]), e["at"])
        # area -> service id -> (status counter, days)
        self.referrals: dict[str, dict[str, tuple[Counter[str], list[float]]]] = {}
        for r in store.rows("SELECT * FROM referral WHERE deleted = 0"):
            person = persons[r["person_id"]]
            if not in_period(flt, r["issued_at"]) or (flt.casa_id and r["casa_id"] != flt.casa_id):
                continue
            if person["deleted"] or not person_matches(flt, person):
                continue
            origin = consultations.get(r["consultation_id"]) if r["consultation_id"] else None
            origin_topics = set(json.loads(origin["topics"])) if origin else set()
            if flt.topic and flt.topic not in origin_topics:
                continue
            for area, dedicated in service_areas.get(r["service_id"], {}).items():
                own = {t for t, a in topics_of_area.items() if a == area}
                if not (dedicated or origin_topics & own):
                    continue
                statuses, days = self.referrals.setdefault(area, {}).setdefault(
                    r["service_id"], (Counter(), []))
                statuses[r["status"]] += 1
                outcome = events.get((r["id"], r["status"]))
                if r["status"] in OUTCOMES and outcome:
                    delta = (dt.datetime.fromisoformat(outcome)
                             - dt.datetime.fromisoformat(r["issued_at"]))
                    days.append(max(0.0, delta.total_seconds() / 86400))
                for target in (area, "*"):
                    self.beneficiaries.setdefault(target, set()).add(r["person_id"])

        # each beneficiary's profile
        self.by: dict[str, dict[str, Counter[str]]] = {}
        self.foreign: dict[str, dict[str, Counter[str]]] = {}
        for area, who in self.beneficiaries.items():
            self.by[area] = {d: Counter() for d in (*DIMENSIONS, "zone")}
            self.foreign[area] = {d: Counter() for d in (*DIMENSIONS, "zone")}
            for one in who:
                if isinstance(one, tuple):
                    c = consultations[one[1]]
                    profile = anonymous_profile(c)
                    values = {d: getattr(profile, d) for d in DIMENSIONS}
                    values["zone"] = UNKNOWN
                else:
                    profile = person_profile(persons[one], flt.date_to)
                    values = {d: getattr(profile, d) for d in DIMENSIONS}
                    values["zone"] = zone_of(persons[one]["district_ubigeo"])
                for d, v in values.items():
                    self.by[area][d][v] += 1
                    if values["nationality"] not in (UNKNOWN, "PE"):
                        self.foreign[area][d][v] += 1

    def line(self, area: str, service: str | None = None) -> dict[str, Any]:
        """What a referral row shows: counts, share attended, median days."""
        statuses: Counter[str] = Counter()
        days: list[float] = []
        for sid, (counts, d) in self.referrals.get(area, {}).items():
            if service in (None, sid):
                statuses.update(counts)
                days.extend(d)
        done = sum(statuses[s] for s in OUTCOMES)
        return {
            "issued": sum(statuses.values()), "atendida": statuses["atendida"],
            "no_atendida": statuses["no_atendida"], "rechazada": statuses["rechazada"],
            "cancelada": statuses["cancelada"],
            "pending": sum(statuses[s] for s in PENDING),
            "share_attended": round(100.0 * statuses["atendida"] / done, 1) if done else None,
            "median_days": round(statistics.median(days), 1) if days else None,
        }


def _counts(table: Any, column: str = "count") -> dict[str, Any]:
    index = table.column_index(column)
    return {row[0]: row[index] for row in table.rows}


def _labelled(ctx: AppContext, dimension: str, counts: Counter[str]) -> dict[str, int]:
    labels = dict(dimension_labels(ctx.session, dimension, counts))
    return {labels[code]: n for code, n in counts.items() if n}


def _nonzero(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v}


FILTERS = [
    ReportFilter(dt.date(2026, 1, 1), TODAY),
    ReportFilter(dt.date(2026, 3, 1), dt.date(2026, 9, 30), casa_id="CV2"),
    ReportFilter(dt.date(2025, 12, 1), TODAY, sex="F", age_band="18-59"),
    ReportFilter(dt.date(2026, 1, 1), TODAY, nationality="VE", zone="Lima Centro"),
    ReportFilter(dt.date(2026, 1, 1), dt.date(2026, 12, 31), topic="EMPLEO_COLOCACION"),
    DECEMBER,
    ReportFilter(dt.date(2026, 12, 1), dt.date(2026, 12, 31), casa_id="CV1"),
]
IDS = ["all", "cv2", "women-adults", "ve-centro", "empleo", "december", "december-cv1"]


def _referral_row(table: Any, label: str) -> dict[str, Any]:
    for row in table.as_dicts():
        if row["category"] == label:
            return {k: row[k] for k in ("issued", "atendida", "no_atendida", "rechazada",
                                        "cancelada", "pending", "share_attended",
                                        "median_days")}
    raise KeyError(label)


@pytest.mark.parametrize("flt", FILTERS, ids=IDS)
def test_labour_diagnostic_figures(ctx: AppContext, flt: ReportFilter) -> None:
    doc = labour_document(ctx.session, flt)
    exp = Expected(ctx, flt, _labour_domain())
    assert doc.kind == "laboral" and doc.period_from == flt.date_from
    assert exp.area_consultations["laboral"] > 0, "the data must have labour consultations"

    labour = exp.line("laboral")
    summary = [row[1] for row in doc.table("summary").rows]
    assert summary == [
        exp.consultations, exp.area_consultations["laboral"],
        len(exp.beneficiaries["laboral"]),
        sum(1 for b in exp.beneficiaries["laboral"] if not isinstance(b, tuple)),
        exp.walk_ins["laboral"], labour["issued"], labour["atendida"], labour["pending"]]

    names = {t.code: t.label() for t in ctx.catalogs.topics}
    by_topic = doc.table("by_topic")
    assert _counts(by_topic, "consultations") == {
        names[t]: exp.topic_consultations[t] for t in _labour_domain()[0]}
    assert _nonzero(_counts(by_topic, "persons")) == {
        names[t]: n for t, n in exp.topic_persons.items()}
    assert by_topic.total is not None
    assert by_topic.total[1:3] == [exp.area_consultations["laboral"],
                                   exp.consulting["laboral"]]
    for row in by_topic.as_dicts():
        assert row["percent"] == round(
            100.0 * row["consultations"] / exp.area_consultations["laboral"], 1)

    persons = len(exp.beneficiaries["laboral"])
    for dimension in (*DIMENSIONS, "zone"):
        table = doc.table(f"by_{dimension}")
        expected = exp.by["laboral"][dimension]
        assert _nonzero(_counts(table)) == _labelled(ctx, dimension, expected), dimension
        assert table.total is not None
        assert table.total[1:] == [persons, 100.0]  # each person once
        for cells in table.rows:
            assert cells[2] == round(100.0 * cells[1] / persons, 1)

    section = next(s for s in doc.sections if s.district_map is not None)
    districts: Counter[str] = Counter(
        exp.persons[p]["district_ubigeo"] for p in exp.beneficiaries["laboral"]
        if not isinstance(p, tuple) and exp.persons[p]["district_ubigeo"])
    assert section.district_map == dict(districts)

    destinations = doc.table("referrals_by_destination")
    names_of = {row["id"]: row for row in ctx.session.store.rows("SELECT * FROM service")}
    assert len(destinations.rows) == len(exp.referrals.get("laboral", {}))
    for sid in exp.referrals.get("laboral", {}):
        label = next(row[0] for row in destinations.rows if row[0].startswith(
            names_of[sid]["name"]))
        assert _referral_row(destinations, label) == exp.line("laboral", sid)
    assert destinations.total is not None
    assert dict(zip([c.key for c in destinations.columns][1:], destinations.total[1:],
                    strict=True)) == labour
    outcomes = _counts(doc.table("referrals_by_outcome"))
    assert list(outcomes.values()) == [labour["atendida"], labour["no_atendida"],
                                       labour["rechazada"], labour["cancelada"],
                                       labour["pending"]]


def test_labour_referral_days_of_the_hand_made_december(ctx: AppContext) -> None:
    doc = labour_document(ctx.session, DECEMBER)
    destinations = doc.table("referrals_by_destination")
    mtpe = next(r for r in destinations.as_dicts() if "(MTPE)" in r["category"])
    sunafil = next(r for r in destinations.as_dicts() if "(SUNAFIL)" in r["category"])
    attended_days = (MTPE_ATTENDED - MTPE_ISSUED) / DAY
    rejected_days = (SUNAFIL_REJECTED - SUNAFIL_ISSUED) / DAY
    assert (mtpe["atendida"], mtpe["median_days"], mtpe["share_attended"]) == (
        1, attended_days, 100.0)
    assert (sunafil["rechazada"], sunafil["median_days"], sunafil["share_attended"]) == (
        1, rejected_days, 0.0)
    # Unión Venezolana also serves other topics: its referrals made from a consultation on
    # guidance and school, or from none, are not referrals to employment
    assert [r for r in destinations.as_dicts() if "(UVP)" in r["category"]] == []
    assert len(destinations.rows) == 2
    total = dict(zip([c.key for c in destinations.columns], destinations.total or [],
                     strict=True))
    assert total["median_days"] == statistics.median([attended_days, rejected_days])
    assert total["share_attended"] == 50.0


@pytest.mark.parametrize("flt", FILTERS, ids=IDS)
def test_programmes_diagnostic_figures(ctx: AppContext, flt: ReportFilter) -> None:
    doc = programmes_document(ctx.session, flt)
    exp = Expected(ctx, flt, _programmes_domain())
    assert doc.kind == "programas"
    labels = {r[0]: r for r in doc.table("by_area").rows}
    area_labels = [row[0] for row in doc.table("by_area").rows]
    assert len(area_labels) == len(AREAS)
    for code, label in zip(AREAS, area_labels, strict=True):
        line = exp.line(code)
        assert labels[label][1:] == [
            exp.area_consultations[code], len(exp.beneficiaries.get(code, ())),
            sum(exp.foreign.get(code, {}).get("sex", Counter()).values()),
            line["issued"], line["atendida"], line["share_attended"], line["median_days"]
        ], code
    total = doc.table("by_area").total
    assert total is not None
    merged: Counter[str] = Counter()
    days: list[float] = []
    for code in AREAS:
        for counts, d in exp.referrals.get(code, {}).values():
            merged.update(counts)
            days.extend(d)
    done = sum(merged[s] for s in OUTCOMES)
    assert total == [total[0], exp.area_consultations["*"],
                     len(exp.beneficiaries["*"]),
                     sum(exp.foreign["*"]["sex"].values()), sum(merged.values()),
                     merged["atendida"],
                     round(100.0 * merged["atendida"] / done, 1) if done else None,
                     round(statistics.median(days), 1) if days else None]

    names = {t.code: t.label() for t in ctx.catalogs.topics}
    by_topic = {row[0]: row[2:] for row in doc.table("by_topic").rows}
    topics_of_area = _programmes_domain()[0]
    assert by_topic == {names[t]: [exp.topic_consultations[t], exp.topic_persons.get(t, 0)]
                        for t in topics_of_area}

    by_area_referrals = doc.table("referrals_by_area")
    for code, label in zip(AREAS, area_labels, strict=True):
        assert _referral_row(by_area_referrals, label) == exp.line(code), code
    destinations = doc.table("referrals_by_destination").as_dicts()
    assert len(destinations) == sum(len(exp.referrals.get(a, {})) for a in AREAS)
    services = {row["id"]: row["name"] for row in ctx.session.store.rows(
        "SELECT id, name FROM service")}
    for code, label in zip(AREAS, area_labels, strict=True):
        for sid in exp.referrals.get(code, {}):
            row = next(r for r in destinations
                       if r["area"] == label and r["category"].startswith(services[sid]))
            assert {k: row[k] for k in exp.line(code, sid)} == exp.line(code, sid)

    for dimension in DIMENSIONS:
        table = doc.table(f"foreign_by_{dimension}")
        keys = [c.key for c in table.columns]
        assert keys == ["category", *AREAS, "total"]
        for column, area in [*zip(AREAS, AREAS, strict=True), ("total", "*")]:
            got = _nonzero({row[0]: row[keys.index(column)] for row in table.rows})
            assert got == _labelled(ctx, dimension, exp.foreign.get(area, {}).get(
                dimension, Counter())), (dimension, area)
        assert table.total == [table.total[0] if table.total else None,
                               *(sum(exp.foreign.get(a, {}).get("sex", Counter()).values())
                                 for a in AREAS),
                               sum(exp.foreign["*"]["sex"].values())]
        # nobody Peruvian among the foreign beneficiaries
        if dimension == "nationality":
            assert "Perú" not in _counts(table, "total")

    section = next(s for s in doc.sections if s.district_map is not None)
    districts: Counter[str] = Counter(
        exp.persons[p]["district_ubigeo"] for p in exp.beneficiaries["*"]
        if not isinstance(p, tuple) and exp.persons[p]["district_ubigeo"]
        and exp.persons[p]["nationality"] not in (None, "", "PE"))
    assert section.district_map == dict(districts)


def test_programmes_of_the_hand_made_december(ctx: AppContext) -> None:
    """The December rows by hand: health is B (Colombian, a consultation and a referral
    attended after 2 days) and a Peruvian walk-in; education is C (Peruvian, referred to
    UGEL 03, attended after 1 day) and a Venezuelan walk-in of 17; Cáritas, which serves
    health and education among other topics, does not count a referral made from a
    consultation on job training."""
    doc = programmes_document(ctx.session, DECEMBER)
    rows = doc.table("by_area").as_dicts()
    health, education = rows[0], rows[1]
    assert (health["consultations"], health["persons"], health["foreign"]) == (2, 2, 1)
    assert (education["consultations"], education["persons"], education["foreign"]) == (
        2, 2, 1)
    assert (health["issued"], health["median_days"]) == (1, (SIS_ATTENDED - SIS_ISSUED) / DAY)
    assert (education["issued"], education["median_days"]) == (
        1, (UGEL_ATTENDED - UGEL_ISSUED) / DAY)
    assert [r["category"] for r in doc.table("referrals_by_destination").as_dicts()
            if "Cáritas" in r["category"]] == []
    ages = {r["category"]: r for r in doc.table("foreign_by_age_band").as_dicts()}
    assert ages[dimension_labels(ctx.session, "age_band")[2][1]]["educacion"] == 1  # 12-17
    assert age_band(17) == "12-17"


def test_sport_and_recreation_count_services_whose_sector_names_them(
        ctx: AppContext) -> None:
    """A coordinator adds a sports programme to the directory: referrals to it count in
    «Deporte» whatever consultation they came from."""
    doc = programmes_document(ctx.session, DECEMBER)
    assert [r["issued"] for r in doc.table("by_area").as_dicts()][2:] == [0, 0]
    with ctx.session.transaction() as tx:
        sport = tx.create("service", {"name": "Escuela municipal de fútbol",
                                      "sector": "Deportes", "kind": "Municipalidad"})
        person_id = ctx.session.store.scalar(
            "SELECT id FROM person WHERE nationality = 'VE' AND deleted = 0 LIMIT 1")
        tx.create("referral", {
            "code": "CV1-2026-999999", "casa_id": "CV1", "year": 2026, "number": 999_999,
            "person_id": person_id, "service_id": sport, "due_date": "2026-12-30",
            "status": "emitida", "issued_at": "2026-12-15T10:00"})
    try:
        doc = programmes_document(ctx.session, DECEMBER)
        sport_row = doc.table("by_area").as_dicts()[2]
        assert (sport_row["issued"], sport_row["persons"], sport_row["foreign"]) == (1, 1, 1)
        exp = Expected(ctx, DECEMBER, _programmes_domain())
        assert exp.line("deporte")["issued"] == 1
    finally:
        with ctx.session.transaction() as tx:
            referral = ctx.session.store.scalar(
                "SELECT id FROM referral WHERE code = 'CV1-2026-999999'")
            tx.tombstone("referral", referral)


@pytest.mark.parametrize("build", [labour_document, programmes_document])
def test_the_diagnostics_need_a_role_that_may_see_reports(
        tmp_path: Path, build: Any) -> None:
    context = act_as(open_context(tmp_path / "datos"), "recepcion")
    try:
        with pytest.raises(PermissionDeniedError):
            build(context.session, DECEMBER)
    finally:
        context.close()
