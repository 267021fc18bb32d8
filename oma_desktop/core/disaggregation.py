"""The one rule for disaggregating people (issue #11): age band, sex, nationality, migratory
situation and disability, the same in every report, map, diagnostic and export.

- **Age band** on a reference date (the report's end, or the consultation's date):
  0–5, 6–11, 12–17, 18–59, 60+, or «sin dato» without a birth date or stated age. An
  estimated birth date counts like a typed one (the clerk stated an age).
- **Sex**: the record's code (mujer, hombre, no declarado), «sin dato» when empty.
- **Nationality**: the ISO code recorded, «sin dato» when empty.
- **Migratory situation**: the recorded code, «sin dato» when empty.
- **Disability**, by the Washington Group's recommended cut-off: a person has a disability
  when any domain is answered «a lot of difficulty» or «cannot do at all»; without any such
  answer but with at least one domain answered, no disability; with no domain answered,
  «no preguntado». Never guessed from anything else.
- **Anonymous walk-ins** count where their fields allow: sex, approximate age and
  nationality; their migratory situation and disability are «sin dato».

The same rule exists as SQL (:func:`age_band_sql`, :func:`disability_sql`) so a report can
GROUP BY it without reading rows into Python; a test keeps both versions equal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from oma_desktop.core.vocab import WG_DISABILITY_LEVEL, WG_DOMAINS, codes
from oma_desktop.i18n import N_

UNKNOWN = "sin_dato"
NOT_ASKED = "no_preguntado"
WITH_DISABILITY = "con_discapacidad"
WITHOUT_DISABILITY = "sin_discapacidad"

# (code, label msgid, lowest age, highest age or None)
AGE_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("0-5", N_("0 to 5 years"), 0, 5),
    ("6-11", N_("6 to 11 years"), 6, 11),
    ("12-17", N_("12 to 17 years"), 12, 17),
    ("18-59", N_("18 to 59 years"), 18, 59),
    ("60+", N_("60 years or more"), 60, None),
)
DISABILITY: tuple[tuple[str, str], ...] = (
    (WITH_DISABILITY, N_("With disability")),
    (WITHOUT_DISABILITY, N_("Without disability")),
    (NOT_ASKED, N_("Not asked")),
)
UNKNOWN_LABEL = N_("No data")


def age_on(birth_date: str | dt.date | None, on: dt.date) -> int | None:
    """Completed years on ``on`` (None without a birth date)."""
    if not birth_date:
        return None
    born = birth_date if isinstance(birth_date, dt.date) else dt.date.fromisoformat(
        str(birth_date)[:10])
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_band(age: int | None) -> str:
    if age is None or age < 0:
        return UNKNOWN
    for code, _label, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return code
    return UNKNOWN  # pragma: no cover - the bands cover every age from 0


def disability(answers: Mapping[str, Any]) -> str:
    """The Washington Group cut-off over the six domains' answers (codes 0-3 or None)."""
    levels = [answers.get(domain) for domain in codes(WG_DOMAINS)]
    given = [int(level) for level in levels if level is not None and level != ""]
    if not given:
        return NOT_ASKED
    return WITH_DISABILITY if max(given) >= WG_DISABILITY_LEVEL else WITHOUT_DISABILITY


@dataclass(frozen=True)
class Profile:
    age_band: str
    sex: str
    nationality: str
    migratory_status: str
    disability: str


def _code(value: Any) -> str:
    return str(value) if value not in (None, "") else UNKNOWN


def person_profile(person: Mapping[str, Any], on: dt.date) -> Profile:
    """A registered person's profile on ``on`` (a ``person`` row)."""
    return Profile(
        age_band=age_band(age_on(person.get("birth_date"), on)),
        sex=_code(person.get("sex")),
        nationality=_code(person.get("nationality")),
        migratory_status=_code(person.get("migratory_status")),
        disability=disability(person),
    )


def anonymous_profile(consultation: Mapping[str, Any]) -> Profile:
    """An anonymous walk-in's profile, from what the consultation recorded."""
    age = consultation.get("anon_age")
    return Profile(
        age_band=age_band(int(age) if age not in (None, "") else None),
        sex=_code(consultation.get("anon_sex")),
        nationality=_code(consultation.get("anon_nationality")),
        migratory_status=UNKNOWN,
        disability=NOT_ASKED,
    )


def age_band_sql(birth_column: str, on_param: str = ":on") -> str:
    """SQL giving :func:`age_band` of ``birth_column`` (ISO text) on the date ``on_param``.

    Compares the birth date with the date N years before ``on`` as text instead of computing
    ages: a person is at least N on ``on`` exactly when born on or before
    ``(year - N)-MM-DD`` of ``on``, and the text comparison holds even where that day does
    not exist (``2022-02-29``). Far cheaper per row than strftime arithmetic."""
    born = f"substr({birth_column}, 1, 10)"

    def cut(years: int) -> str:
        return f"(printf('%04d', substr({on_param}, 1, 4) - {years}) || substr({on_param}, 5, 6))"

    bands = sorted(AGE_BANDS, key=lambda band: band[2], reverse=True)
    cases = " ".join(f"WHEN {born} <= {cut(low)} THEN '{code}'"
                     for code, _label, low, _high in bands if low > 0)
    youngest = bands[-1][0]
    return (f"(CASE WHEN {birth_column} IS NULL OR {birth_column} = '' THEN '{UNKNOWN}'"
            f" WHEN {born} > substr({on_param}, 1, 10) THEN '{UNKNOWN}'"
            f" {cases} ELSE '{youngest}' END)")


def disability_sql(table: str) -> str:
    """SQL giving :func:`disability` of the person row ``table``."""
    domains = [f"{table}.{d}" for d in codes(WG_DOMAINS)]
    any_severe = " OR ".join(f"{d} >= {WG_DISABILITY_LEVEL}" for d in domains)
    any_given = " OR ".join(f"{d} IS NOT NULL" for d in domains)
    return (f"(CASE WHEN {any_severe} THEN '{WITH_DISABILITY}'"
            f" WHEN {any_given} THEN '{WITHOUT_DISABILITY}' ELSE '{NOT_ASKED}' END)")


def age_band_of_age_sql(age_column: str) -> str:
    """SQL giving :func:`age_band` of a stated age in whole years (an anonymous walk-in's
    ``anon_age``)."""
    cases = " ".join(
        f"WHEN {age_column} BETWEEN {low} AND {high} THEN '{code}'" if high is not None
        else f"WHEN {age_column} >= {low} THEN '{code}'"
        for code, _label, low, high in AGE_BANDS)
    return f"(CASE WHEN {age_column} IS NULL THEN '{UNKNOWN}' {cases} ELSE '{UNKNOWN}' END)"
