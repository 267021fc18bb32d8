"""The map's counts: persons and consultations per district, zone and Cercado sector of
residence, for a ReportFilter; the zones file in force (bundled or the data folder's own)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from oma_desktop.core.catalogs import CatalogError
from oma_desktop.core.errors import PermissionDeniedError
from oma_desktop.core.geo import (
    CERCADO,
    ZONES,
    district_polygons,
    district_zones,
    zone_names,
    zones_file,
)
from oma_desktop.core.text import fold
from oma_desktop.services.consultations import ConsultationInput, record_consultation
from oma_desktop.services.context import AppContext
from oma_desktop.services.mapping import (
    district_counts,
    filter_descriptions,
    map_counts,
    sector_counts,
    zone_counts,
)
from oma_desktop.services.persons import PersonInput, register_person
from oma_desktop.services.report_filter import ReportFilter

FROM, TO = dt.date(2026, 6, 1), dt.date(2026, 6, 30)
JUNE = ReportFilter(FROM, TO)
NOW = dt.datetime(2026, 11, 29, 18, 0)
LIMA, SJL, CALLAO, SURCO = "150101", "150132", "070101", "150140"

# (name, district, sector, consultation days); days outside June are outside the period
PEOPLE = [
    ("Ana", LIMA, "Barrios Altos", [dt.date(2026, 6, 1), dt.date(2026, 6, 30)]),
    ("Bea", LIMA, "barrios  altos", [dt.date(2026, 6, 15)]),
    ("Bella", LIMA, "Barrios Altos", [dt.date(2026, 6, 16)]),
    ("Celia", LIMA, "MONSERRATE.", [dt.date(2026, 6, 17)]),
    ("Cora", LIMA, "", [dt.date(2026, 6, 18), dt.date(2026, 6, 19)]),
    ("Carla", SJL, "Zárate", [dt.date(2026, 6, 10), dt.date(2026, 6, 11), dt.date(2026, 6, 12)]),
    ("Dora", CALLAO, "", [dt.date(2026, 5, 31), dt.date(2026, 7, 1)]),  # only outside June
    ("Eva", SURCO, "", [dt.date(2026, 5, 31), dt.date(2026, 6, 2)]),
    ("Fina", "", "", [dt.date(2026, 6, 5)]),  # no district
]


def _dataset(ctx: AppContext) -> list[tuple[str, str, str, dt.date]]:
    """(name, district, sector, day) of each consultation of a registered person."""
    visits = []
    for name, district, sector, days in PEOPLE:
        pid = register_person(ctx.session, PersonInput(
            given_names=name, paternal_surname="Rojas", sex="F", nationality="VE",
            district_ubigeo=district, zone=sector, consent_register=True), dt.date(2026, 5, 1))
        for day in days:
            record_consultation(ctx.session, ConsultationInput(
                person_id=pid, occurred_at=dt.datetime.combine(day, dt.time(23, 55)),
                topics=["SALUD_SIS"], summary="x"), NOW)
            visits.append((name, district, sector, day))
    record_consultation(ctx.session, ConsultationInput(  # anonymous walk-in: no district
        person_id=None, occurred_at=dt.datetime(2026, 6, 3, 10, 0), topics=["SALUD_SIS"],
        summary="x", anon_sex="F", anon_age=30), NOW)
    return visits


def _in_june(visits: list[tuple[str, str, str, dt.date]]) -> list[tuple[str, str, str, dt.date]]:
    return [v for v in visits if FROM <= v[3] <= TO]


@pytest.mark.usefixtures("coordinator")
def test_counts_per_district_match_an_independent_count(ctx: AppContext) -> None:
    june = _in_june(_dataset(ctx))
    persons = Counter(d for _n, d in {(n, d) for n, d, _s, _day in june if d})
    consultations = Counter(d for _n, d, _s, _day in june if d)
    assert district_counts(ctx.session, JUNE, "persons") == dict(persons)
    assert district_counts(ctx.session, JUNE, "consultations") == dict(consultations)
    assert district_counts(ctx.session, JUNE)[LIMA] == 5
    july = ReportFilter(dt.date(2026, 7, 1), dt.date(2026, 7, 1))
    assert district_counts(ctx.session, july) == {CALLAO: 1}

    counts = map_counts(ctx.session, JUNE, "persons")
    assert counts.districts == dict(persons)
    assert counts.total == sum(persons.values())
    assert counts.without_district == len({n for n, d, _s, _day in june if not d}) == 1
    assert counts.anonymous == 1
    assert counts.share(persons[LIMA]) == pytest.approx(100 * persons[LIMA] / counts.total)


@pytest.mark.usefixtures("coordinator")
def test_zone_counts_add_the_districts_of_each_zone(ctx: AppContext) -> None:
    june = _in_june(_dataset(ctx))
    zones = district_zones()
    for measure in ("persons", "consultations"):
        seen: set[tuple[str, str]] = set()
        by_zone: Counter[str] = Counter()
        for name, district, _s, _day in june:
            if district and (measure == "consultations" or (name, district) not in seen):
                by_zone[zones[district]] += 1
                seen.add((name, district))
        expected = {zone: by_zone.get(zone, 0) for zone in ZONES}  # every zone, 0 included
        assert zone_counts(ctx.session, JUNE, measure) == expected
        assert map_counts(ctx.session, JUNE, measure).zones == expected


@pytest.mark.usefixtures("coordinator")
def test_cercado_sectors_group_spellings_of_one_sector(ctx: AppContext) -> None:
    june = _in_june(_dataset(ctx))
    for measure in ("persons", "consultations"):
        rows = {(n, s) for n, d, s, _day in june if d == CERCADO} if measure == "persons" \
            else [(n, s) for n, d, s, _day in june if d == CERCADO]
        expected = Counter(fold(s) for _n, s in rows)
        got = sector_counts(ctx.session, JUNE, measure)
        assert {fold(s.label): s.count for s in got} == dict(expected)
        assert got[-1].label == ""  # residents without a sector, last
        # each sector shows the spelling typed most
        assert next(s.label for s in got if s.label) == "Barrios Altos"
        assert "MONSERRATE." in [s.label for s in got]
    assert sector_counts(ctx.session, JUNE, district=SJL)[0].label == "Zárate"


@pytest.mark.usefixtures("coordinator")
def test_filters_apply_to_the_counts(ctx: AppContext) -> None:
    _dataset(ctx)
    lima_centro = ReportFilter(FROM, TO, zone="Lima Centro")
    assert district_counts(ctx.session, lima_centro) == {
        k: v for k, v in district_counts(ctx.session, JUNE).items()
        if district_zones()[k] == "Lima Centro"}
    assert district_counts(ctx.session, ReportFilter(FROM, TO, sex="M")) == {}
    assert district_counts(ctx.session, ReportFilter(FROM, TO, topic="REFUGIO")) == {}
    assert district_counts(ctx.session, ReportFilter(FROM, TO, nationality="VE")) == \
        district_counts(ctx.session, JUNE)


def test_a_role_without_reports_is_refused(ctx: AppContext) -> None:
    # the seeded account is recepción, which may not see the reports
    with pytest.raises(PermissionDeniedError, match="reportes"):
        district_counts(ctx.session, JUNE)
    with pytest.raises(PermissionDeniedError):
        zone_counts(ctx.session, JUNE)
    with pytest.raises(PermissionDeniedError):
        map_counts(ctx.session, JUNE)


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
    assert zone_names() == ZONES


@pytest.mark.usefixtures("coordinator")
def test_the_data_folder_may_bring_its_own_zones(ctx: AppContext) -> None:
    _dataset(ctx)
    folder = Path(ctx.session.store.path).parent
    assert zones_file(folder).parent.name == "catalogs"  # the bundled one, at first
    own = folder / "lima_zones.csv"
    bundled = district_zones()
    lines = ["ubigeo_inei,zona,source"]
    lines += [f"{u},{'Cercado' if u == LIMA else z},office's own grouping"
              for u, z in sorted(bundled.items())]
    own.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert zones_file(folder) == own
    assert zone_names(data_dir=folder) == (*ZONES, "Cercado")
    june_persons = district_counts(ctx.session, JUNE)
    zones = zone_counts(ctx.session, JUNE)
    assert zones["Cercado"] == june_persons[LIMA]
    assert zones["Lima Centro"] == sum(n for u, n in june_persons.items()
                                       if bundled[u] == "Lima Centro" and u != LIMA)
    assert district_counts(ctx.session, ReportFilter(FROM, TO, zone="Cercado")) == {
        LIMA: june_persons[LIMA]}

    own.write_text("ubigeo,zone\n150101,Centro\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="ubigeo_inei"):
        zone_counts(ctx.session, JUNE)
    own.write_text("ubigeo_inei,zona\n1501,Centro\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="La línea 2 del archivo de zonas"):
        zone_counts(ctx.session, JUNE)


@pytest.mark.usefixtures("coordinator")
def test_the_filters_are_described_in_spanish(ctx: AppContext) -> None:
    flt = ReportFilter(FROM, TO, casa_id="CV1", topic="SALUD_SIS", nationality="VE", sex="F",
                       age_band="18-59", migratory_status="sin_dato", zone="Lima Norte")
    casa = ctx.session.store.one("SELECT name FROM casa WHERE id = 'CV1'")
    assert casa is not None
    assert filter_descriptions(ctx.session, flt) == [
        f"Casa: {casa['name']}", "Tema: " + ctx.catalogs.topic("SALUD_SIS").label("es"),
        "Nacionalidad: Venezuela", "Sexo: Mujer", "Edad: 18 a 59 años",
        "Situación migratoria: Sin dato", "Zona: Lima Norte"]
    assert filter_descriptions(ctx.session, JUNE) == []
