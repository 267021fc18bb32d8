"""The R4V 5W export (issue #11, point 5): every row against one built here in plain Python
from the rows of a demo and the catalogs' CSV files, per casa, consolidated and with person
and topic filters; R4V's rules on every row (the age-and-sex and population-type columns add
up to the new beneficiaries, new ≤ total); a hand-made December with the cases the demo
lacks (no district, no sex, no age, a Peruvian walk-in, a person turning 18)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from acting import act_as
from reporting_helpers import DEMO_TODAY, catalog_rows, zone_of

from oma_desktop.core.disaggregation import UNKNOWN, age_on, anonymous_profile, person_profile
from oma_desktop.core.errors import PermissionDeniedError
from oma_desktop.i18n import _
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.r4v import five_w_document, five_w_rows
from oma_desktop.services.report_export import write_csv
from oma_desktop.services.report_filter import ReportFilter

TODAY = DEMO_TODAY  # the demo fixture's (tests/conftest.py)
AGD = ("Women.under.18", "Men.under.18", "Women.above.18", "Men.above.18",
       "Other.under.18", "Other.above.18")
POPULATION = ("Refugees.and.Migrants.IN.DESTINATION", "Refugees.and.Migrants.IN.TRANSIT",
              "Host.Communities.Beneficiaries", "Refugees.and.Migrants.PENDULARS",
              "Colombian.Returnees")
TURNS_18 = dt.date(2026, 12, 15)  # E's 18th birthday
DECEMBER = ReportFilter(dt.date(2026, 12, 1), dt.date(2026, 12, 31))
EARLY_DECEMBER = ReportFilter(dt.date(2026, 12, 1), dt.date(2026, 12, 10))


def _add_december(ctx: AppContext) -> None:
    staff = ctx.session.user_id

    def person(tx: Any, **fields: Any) -> str:
        return str(tx.create("person", {"casa_id": "CV1", "given_names": "Prueba",
                                        "paternal_surname": "Cinco Ws", **fields}))

    def consultation(tx: Any, day: dt.date, topics: list[str], person_id: str | None = None,
                     casa: str = "CV1", **anon: Any) -> None:
        tx.create("consultation", {
            "person_id": person_id, "casa_id": casa, "staff_user_id": staff,
            "occurred_at": f"{day.isoformat()}T10:00", "channel": "presencial",
            "topics": json.dumps(topics), **anon})

    with ctx.session.transaction() as tx:
        a = person(tx, sex="F", birth_date="1990-05-01", nationality="VE",
                   district_ubigeo="150101", created_at="2026-12-01T09:00:00")
        c = person(tx, nationality="PE", created_at="2026-12-02T09:00:00")  # no sex, age, place
        d = person(tx, sex="F", birth_date="1980-01-01", nationality="VE",
                   district_ubigeo="070101", created_at="2026-11-20T09:00:00")
        e = person(tx, sex="F", birth_date=TURNS_18.replace(year=2008).isoformat(),
                   nationality="VE", district_ubigeo="150101",
                   created_at="2026-12-05T09:00:00")
        consultation(tx, dt.date(2026, 12, 2), ["EMPLEO_COLOCACION"], a)
        consultation(tx, dt.date(2026, 12, 10), ["EMPLEO_CAPACITACION"], a, casa="CV2")
        consultation(tx, dt.date(2026, 12, 4), ["ORIENTACION", "REG_CPP_PTP"], c)
        consultation(tx, dt.date(2026, 11, 20), ["EMPLEO_COLOCACION"], d)
        consultation(tx, dt.date(2026, 12, 9), ["EMPLEO_COLOCACION"], d)
        consultation(tx, dt.date(2026, 12, 5), ["SALUD_SIS"], e)
        consultation(tx, dt.date(2026, 12, 5), ["EMPLEO_CAPACITACION"], anon_sex="F",
                     anon_age=17, anon_nationality="VE")
        consultation(tx, dt.date(2026, 12, 6), ["SALUD_SIS"], anon_nationality="PE")


@pytest.fixture(scope="module")
def ctx(demo: Path) -> Iterator[AppContext]:
    context = act_as(open_context(demo), "coordinacion")
    _add_december(context)
    yield context
    context.close()


def _matches(flt: ReportFilter, c: dict[str, Any], person: dict[str, Any] | None) -> bool:
    if not flt.date_from.isoformat() <= c["occurred_at"][:10] <= flt.date_to.isoformat():
        return False
    if flt.casa_id and c["casa_id"] != flt.casa_id:
        return False
    if flt.topic and flt.topic not in json.loads(c["topics"]):
        return False
    if person is not None and person["deleted"]:
        return False
    profile = (person_profile(person, flt.date_to) if person is not None
               else anonymous_profile(c))
    zone = zone_of(person["district_ubigeo"]) if person is not None else UNKNOWN
    return ((flt.sex is None or profile.sex == flt.sex)
            and (flt.age_band is None or profile.age_band == flt.age_band)
            and (flt.nationality is None or profile.nationality == flt.nationality)
            and (flt.migratory_status is None or profile.migratory_status == flt.migratory_status)
            and (flt.zone is None or zone == flt.zone))


def _expected(ctx: AppContext, flt: ReportFilter) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(Month, Indicator.Sector, District) -> the row's values, counted here."""
    store = ctx.session.store
    sector_of = {r["code"]: r["r4v_sector"] for r in catalog_rows("topics.csv")}
    topic_order = [r["code"] for r in catalog_rows("topics.csv")]
    topic_name = {r["code"]: r["name_es"] for r in catalog_rows("topics.csv")}
    sector_name = {r["code"]: r["name_en"] for r in catalog_rows("r4v_sectors.csv")}
    activity = {r["topic"]: r["activity_name"] for r in catalog_rows("r4v_5w_activities.csv")}
    districts = {r["ubigeo"]: r for r in catalog_rows("districts.csv")}
    persons = {p["id"]: p for p in store.rows("SELECT * FROM person")}
    consultations = store.rows("SELECT * FROM consultation WHERE deleted = 0")

    def topics(c: dict[str, Any]) -> list[str]:
        return [t for t in json.loads(c["topics"]) if flt.topic in (None, t)]

    first: dict[tuple[str, str], str] = {}  # (person, sector) -> first month
    for c in consultations:
        if c["person_id"] and (flt.casa_id is None or c["casa_id"] == flt.casa_id):
            for t in topics(c):
                key = (c["person_id"], sector_of[t])
                first[key] = min(first.get(key, c["occurred_at"][:7]), c["occurred_at"][:7])
    cells: dict[tuple[str, str, str], dict[str, set[Any]]] = {}
    for c in consultations:
        person = persons[c["person_id"]] if c["person_id"] else None
        if not _matches(flt, c, person):
            continue
        district = (person["district_ubigeo"] or "") if person else ""
        for t in topics(c):
            cell = cells.setdefault((c["occurred_at"][:7], sector_of[t], district),
                                    {"ids": set(), "who": set(), "topics": set()})
            cell["ids"].add(c["id"])
            cell["topics"].add(t)
            cell["who"].add(c["person_id"] or ("walk-in", c["id"]))
    by_id = {c["id"]: c for c in consultations}
    out = {}
    for (month, sector, ubigeo), cell in cells.items():
        year, mon = map(int, month.split("-"))
        month_end = (dt.date(year, mon, 28) + dt.timedelta(days=4)).replace(day=1) - \
            dt.timedelta(days=1)
        on = min(month_end, flt.date_to)
        new: list[tuple[str | None, int | None, str | None]] = []  # sex, age, nationality
        for who in cell["who"]:
            if isinstance(who, tuple):
                c = by_id[who[1]]
                new.append((c["anon_sex"], c["anon_age"], c["anon_nationality"]))
            elif first[(who, sector)] == month:
                p = persons[who]
                new.append((p["sex"], age_on(p["birth_date"], on), p["nationality"]))
        agd: Counter[str] = Counter()
        for sex, age, _nationality in new:
            kind = {"F": "Women", "M": "Men"}.get(sex or "", "Other")
            agd[f"{kind}.{'under' if age is not None and 0 <= age < 18 else 'above'}.18"] += 1
        host = sum(nationality == "PE" for _s, _a, nationality in new)
        place = districts.get(ubigeo)
        seen = [t for t in topic_order if t in cell["topics"]]
        out[(month, sector_name[sector], place["name"] if place else _("No data"))] = {
            "Country.Country": "Peru",
            "Country.Admin1": place["department"] if place else "Lima",
            "Admin2": place["province"] if place else "Lima",
            "Appealing.organisation.Name": "Municipalidad Metropolitana de Lima",
            "Implementing.partner.Name": "Municipalidad Metropolitana de Lima",
            "Activity.Name": "; ".join(dict.fromkeys(activity[t] for t in seen)),
            "topics": [topic_name[t] for t in seen],
            "Quantity.of.output": len(cell["ids"]),
            "Total.monthly.beneficiaries": len(cell["who"]),
            "New.beneficiaries.of.the.month": len(new),
            "Refugees.and.Migrants.IN.DESTINATION": len(new) - host,
            "Host.Communities.Beneficiaries": host,
            **{k: agd[k] for k in AGD},
        }
    return out


def _by_key(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    out = {(r["Month"], r["Indicator.Sector"], r["District"]): r for r in rows}
    assert len(out) == len(rows), "one row per month, sector and district"
    return out


def _headers() -> list[str]:
    names = [r["field_name_2026_export"] for r in catalog_rows("r4v_5w_fields.csv")
             if r["field_name_2026_export"] not in ("-", "(not in 2026 mapping)")]
    at = names.index("Country.Admin1") + 1
    return [*names[:at], "Admin2", "District", *names[at:]]


FILTERS = [
    ReportFilter(dt.date(2026, 6, 1), dt.date(2026, 8, 31)),
    ReportFilter(dt.date(2026, 6, 1), dt.date(2026, 8, 31), casa_id="CV2"),
    ReportFilter(dt.date(2026, 1, 1), TODAY, sex="F", nationality="VE"),
    ReportFilter(dt.date(2026, 3, 1), dt.date(2026, 10, 31), age_band="18-59",
                 zone="Lima Centro"),
    ReportFilter(dt.date(2026, 1, 1), dt.date(2026, 12, 31), topic="REG_CPP_PTP"),
    DECEMBER,
    EARLY_DECEMBER,
    ReportFilter(dt.date(2026, 12, 1), dt.date(2026, 12, 31), casa_id="CV2"),
]
IDS = ["summer", "cv2", "ve-women", "adults-centro", "cpp", "december", "early-december",
       "december-cv2"]


@pytest.mark.parametrize("flt", FILTERS, ids=IDS)
def test_every_row_matches_an_independent_count(ctx: AppContext, flt: ReportFilter) -> None:
    rows = five_w_rows(ctx.session, flt)
    expected = _expected(ctx, flt)
    assert rows, "the data must have consultations for this filter"
    got = _by_key(rows)
    assert set(got) == set(expected)
    for key, want in expected.items():
        row = got[key]
        assert row["Activity.Description"].endswith("; ".join(want.pop("topics")))
        assert {k: row[k] for k in want} == want, key
        assert (row["CVA"], row["Indicator.Indicator"], row["RMRP.Activity"]) == ("No", "", "")
        assert row["Refugees.and.Migrants.IN.TRANSIT"] == row["Colombian.Returnees"] == 0
    months = sorted({r["Month"] for r in rows})
    assert [r["Month"] for r in rows] == sorted(r["Month"] for r in rows)
    assert all(flt.date_from.isoformat()[:7] <= m <= flt.date_to.isoformat()[:7]
               for m in months)


@pytest.mark.parametrize("flt", FILTERS, ids=IDS)
def test_r4v_rules_hold_on_every_row(ctx: AppContext, flt: ReportFilter) -> None:
    for row in five_w_rows(ctx.session, flt):
        new = row["New.beneficiaries.of.the.month"]
        assert sum(row[k] for k in AGD) == new
        assert sum(row[k] for k in POPULATION) == new
        assert 0 <= new <= row["Total.monthly.beneficiaries"] <= row["Quantity.of.output"]
        assert row["Total.monthly.beneficiaries"] > 0
        assert len(row["Month"]) == 7 and row["Month"][4] == "-"


def test_the_hand_made_december(ctx: AppContext) -> None:
    rows = _by_key(five_w_rows(ctx.session, DECEMBER))
    no_data = _("No data")
    # C (Peruvian, no sex, age or district) and a Venezuelan walk-in of 17
    unknown = rows[("2026-12", "Integration", no_data)]
    assert (unknown["Country.Admin1"], unknown["Admin2"]) == ("Lima", "Lima")
    assert (unknown["Total.monthly.beneficiaries"], unknown["New.beneficiaries.of.the.month"],
            unknown["Host.Communities.Beneficiaries"],
            unknown["Refugees.and.Migrants.IN.DESTINATION"], unknown["Women.under.18"],
            unknown["Other.above.18"]) == (2, 2, 1, 1, 1, 1)
    assert rows[("2026-12", "Protection", no_data)]["Other.above.18"] == 1
    # D was first attended on work in November: counted in December, not new
    callao = rows[("2026-12", "Integration", "Callao")]
    assert (callao["Country.Admin1"], callao["Total.monthly.beneficiaries"],
            callao["New.beneficiaries.of.the.month"]) == ("Callao", 1, 0)
    # A came twice (two casas), once counted
    cercado = rows[("2026-12", "Integration", "Cercado de Lima")]
    assert (cercado["Quantity.of.output"], cercado["Total.monthly.beneficiaries"],
            cercado["Women.above.18"]) == (2, 1, 1)
    # a walk-in with neither sex nor age, Peruvian
    health = rows[("2026-12", "Health", no_data)]
    assert (health["Other.above.18"], health["Host.Communities.Beneficiaries"]) == (1, 1)
    # E turns 18 on the 15th: a woman under 18 up to the 10th, above 18 on the 31st
    early = _by_key(five_w_rows(ctx.session, EARLY_DECEMBER))
    assert early[("2026-12", "Health", "Cercado de Lima")]["Women.under.18"] == 1
    assert rows[("2026-12", "Health", "Cercado de Lima")]["Women.above.18"] == 1
    # at CV2 alone A is new in December (her first work consultation there)
    cv2 = _by_key(five_w_rows(ctx.session, ReportFilter(DECEMBER.date_from, DECEMBER.date_to,
                                                        casa_id="CV2")))
    assert list(cv2) == [("2026-12", "Integration", "Cercado de Lima")]


def test_the_document_holds_the_rows_with_r4v_headers(ctx: AppContext) -> None:
    flt = FILTERS[0]
    doc = five_w_document(ctx.session, flt)
    assert doc.kind == "5w"
    table = doc.table("five_w")
    assert [c.key for c in table.columns] == [c.label for c in table.columns] == _headers()
    rows = five_w_rows(ctx.session, flt)
    assert table.as_dicts() == rows
    kinds = {c.key: c.kind for c in table.columns}
    assert {k for k, v in kinds.items() if v == "count"} == {
        "Quantity.of.output", "Total.monthly.beneficiaries",
        "New.beneficiaries.of.the.month", *POPULATION, *AGD}
    assert [t.key for t in doc.tables()] == ["five_w"]
    assert doc.notes


def test_the_csv_is_r4v_s_plain_table(ctx: AppContext, tmp_path: Path) -> None:
    flt = FILTERS[0]
    path = write_csv(five_w_document(ctx.session, flt), tmp_path / "5w.csv")
    with path.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == _headers()
    rows = five_w_rows(ctx.session, flt)
    assert len(table) == 1 + len(rows)
    for line, row in zip(table[1:], rows, strict=True):
        assert dict(zip(table[0], line, strict=True)) == {k: str(v) for k, v in row.items()}


@pytest.mark.parametrize("build", [five_w_rows, five_w_document])
def test_the_export_needs_a_role_that_may_see_reports(tmp_path: Path, build: Any) -> None:
    context = act_as(open_context(tmp_path / "datos"), "recepcion")
    try:
        with pytest.raises(PermissionDeniedError):
            build(context.session, DECEMBER)
    finally:
        context.close()
