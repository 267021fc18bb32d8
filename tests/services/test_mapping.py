"""The map's counts: persons and consultations per district and zone of residence."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from oma_desktop.core.errors import PermissionDeniedError
from oma_desktop.core.geo import ZONES, district_polygons, district_zones
from oma_desktop.services.consultations import ConsultationInput, record_consultation
from oma_desktop.services.context import AppContext
from oma_desktop.services.mapping import district_counts, zone_counts
from oma_desktop.services.persons import PersonInput, register_person

FROM, TO = dt.date(2026, 6, 1), dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 11, 29, 18, 0)
LIMA, SJL, CALLAO, SURCO = "150101", "150132", "070101", "150140"

# (name, district, consultation days); days outside June are outside the period
PEOPLE = [
    ("Ana", LIMA, [dt.date(2026, 6, 1), dt.date(2026, 6, 30)]),
    ("Bea", LIMA, [dt.date(2026, 6, 15)]),
    ("Carla", SJL, [dt.date(2026, 6, 10), dt.date(2026, 6, 11), dt.date(2026, 6, 12)]),
    ("Dora", CALLAO, [dt.date(2026, 5, 31), dt.date(2026, 7, 1)]),  # only outside June
    ("Eva", SURCO, [dt.date(2026, 5, 31), dt.date(2026, 6, 2)]),
    ("Fina", "", [dt.date(2026, 6, 5)]),  # no district
]


def _dataset(ctx: AppContext) -> list[tuple[str, dt.date]]:
    visits: list[tuple[str, dt.date]] = []
    for name, district, days in PEOPLE:
        pid = register_person(ctx.session, PersonInput(
            given_names=name, paternal_surname="Rojas", sex="F", nationality="VE",
            district_ubigeo=district, consent_register=True), dt.date(2026, 5, 1))
        for day in days:
            record_consultation(ctx.session, ConsultationInput(
                person_id=pid, occurred_at=dt.datetime.combine(day, dt.time(23, 55)),
                topics=["SALUD_SIS"], summary="x"), NOW)
            visits.append((district, day))
    record_consultation(ctx.session, ConsultationInput(  # anonymous walk-in: no district
        person_id=None, occurred_at=dt.datetime(2026, 6, 3, 10, 0), topics=["SALUD_SIS"],
        summary="x", anon_sex="F", anon_age=30), NOW)
    return visits


def _expected(visits: list[tuple[str, dt.date]]) -> tuple[Counter[str], Counter[str]]:
    in_period = [(d, day) for d, day in visits if FROM <= day <= TO and d]
    consultations = Counter(d for d, _day in in_period)
    persons = Counter(d for name, d, days in PEOPLE if d and any(FROM <= x <= TO for x in days))
    return persons, consultations


@pytest.mark.usefixtures("coordinator")
def test_counts_per_district_match_an_independent_count(ctx: AppContext) -> None:
    persons, consultations = _expected(_dataset(ctx))
    assert district_counts(ctx.session, FROM, TO, "persons") == dict(persons)
    assert district_counts(ctx.session, FROM, TO, "consultations") == dict(consultations)
    assert district_counts(ctx.session, FROM, TO) == {LIMA: 2, SJL: 1, SURCO: 1}
    assert district_counts(ctx.session, FROM, TO, "consultations") == {LIMA: 3, SJL: 3, SURCO: 1}
    assert district_counts(ctx.session, dt.date(2026, 7, 1), dt.date(2026, 7, 1)) == {CALLAO: 1}


@pytest.mark.usefixtures("coordinator")
def test_zone_counts_add_the_districts_of_each_zone(ctx: AppContext) -> None:
    persons, consultations = _expected(_dataset(ctx))
    zones = district_zones()
    for measure, expected in (("persons", persons), ("consultations", consultations)):
        by_zone: Counter[str] = Counter()
        for ubigeo, n in expected.items():
            by_zone[zones[ubigeo]] += n
        assert zone_counts(ctx.session, FROM, TO, measure) == dict(by_zone)  # type: ignore[arg-type]
    assert zone_counts(ctx.session, FROM, TO) == {"Lima Centro": 3, "Lima Este": 1}  # Surco: Centro


def test_a_role_without_reports_is_refused(ctx: AppContext) -> None:
    # the seeded account is recepción, which may not see the reports
    with pytest.raises(PermissionDeniedError, match="reportes"):
        district_counts(ctx.session, FROM, TO)
    with pytest.raises(PermissionDeniedError):
        zone_counts(ctx.session, FROM, TO)


def test_every_district_has_a_polygon_and_a_zone(ctx: AppContext) -> None:
    polygons = district_polygons(ctx.catalogs)
    assert set(polygons) == {d.ubigeo for d in ctx.catalogs.districts}
    assert len(polygons) == 50
    for rings in polygons.values():
        for ring in rings:
            assert len(ring) >= 4 and ring[0] == ring[-1]
            assert all(-77.5 < lon < -76.5 and -12.6 < lat < -11.5 for lon, lat in ring)
    zones = district_zones()
    assert set(polygons) <= set(zones)
    assert set(zones.values()) == set(ZONES)
