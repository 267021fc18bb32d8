"""The one disaggregation rule, in Python and in SQL, agree on every case."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oma_desktop.core import driver
from oma_desktop.core.disaggregation import (
    NOT_ASKED,
    UNKNOWN,
    WITH_DISABILITY,
    WITHOUT_DISABILITY,
    age_band,
    age_band_sql,
    age_on,
    anonymous_profile,
    disability,
    disability_sql,
    person_profile,
)
from oma_desktop.core.vocab import WG_DOMAINS, codes

ON = dt.date(2026, 12, 2)


@pytest.mark.parametrize("born, band", [
    ("2026-12-02", "0-5"), ("2020-12-03", "0-5"), ("2020-12-02", "6-11"),
    ("2015-01-01", "6-11"), ("2014-12-02", "12-17"), ("2008-12-03", "12-17"),
    ("2008-12-02", "18-59"), ("1966-12-03", "18-59"), ("1966-12-02", "60+"),
    ("1920-01-01", "60+"), (None, UNKNOWN), ("", UNKNOWN), ("2027-01-01", UNKNOWN),
])
def test_age_bands_turn_on_the_birthday(born: str | None, band: str) -> None:
    assert age_band(age_on(born, ON)) == band


def test_disability_uses_the_washington_group_cut_off() -> None:
    assert disability({}) == NOT_ASKED
    assert disability({"wg_seeing": 1, "wg_hearing": 0}) == WITHOUT_DISABILITY
    assert disability({"wg_walking": 2}) == WITH_DISABILITY
    assert disability({"wg_selfcare": 3, "wg_seeing": 0}) == WITH_DISABILITY


def test_profiles_of_a_person_and_of_an_anonymous_walk_in() -> None:
    person = {"birth_date": "1990-05-01", "sex": "F", "nationality": "VE",
              "migratory_status": "en_tramite", "wg_cognition": 2}
    p = person_profile(person, ON)
    assert (p.age_band, p.sex, p.nationality, p.migratory_status, p.disability) == (
        "18-59", "F", "VE", "en_tramite", WITH_DISABILITY)
    a = anonymous_profile({"anon_sex": "M", "anon_age": 8, "anon_nationality": "CO"})
    assert (a.age_band, a.sex, a.nationality, a.migratory_status, a.disability) == (
        "6-11", "M", "CO", UNKNOWN, NOT_ASKED)
    assert anonymous_profile({}).sex == UNKNOWN


@settings(max_examples=200, deadline=None)
@given(born=st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2026, 12, 31))),
       on=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
       answers=st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=6, max_size=6))
def test_the_sql_rule_is_the_python_rule(born: dt.date | None, on: dt.date,
                                         answers: list[int | None]) -> None:
    conn = driver.connect(":memory:")
    try:
        domains = codes(WG_DOMAINS)
        conn.execute(f"CREATE TABLE p (birth_date TEXT, {', '.join(domains)})")
        conn.execute(f"INSERT INTO p VALUES ({', '.join('?' * 7)})",
                     [born.isoformat() if born else None, *answers])
        band, dis = conn.execute(
            f"SELECT {age_band_sql('p.birth_date')}, {disability_sql('p')} FROM p",
            {"on": on.isoformat()}).fetchone()
    finally:
        conn.close()
    assert band == age_band(age_on(born, on))
    assert dis == disability(dict(zip(domains, answers, strict=True)))
