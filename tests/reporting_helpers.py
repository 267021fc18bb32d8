"""Counting for the report tests done independently of the code under test: the catalogs read
straight from their CSV files and the person filters of a ReportFilter in plain Python (with
the Python version of the one disaggregation rule). The demo these tests count over is the
``demo`` fixture of tests/conftest.py, which ends on :data:`DEMO_TODAY`."""

from __future__ import annotations

import csv
import datetime as dt
import functools
from typing import Any

from oma_desktop.core.disaggregation import UNKNOWN, person_profile
from oma_desktop.paths import resources_dir
from oma_desktop.services.report_filter import ReportFilter

DEMO_TODAY = dt.date(2026, 11, 30)  # the last day of the ``demo`` fixture's data


def catalog_rows(name: str) -> list[dict[str, str]]:
    """The rows of the bundled catalog ``name`` (``resources/catalogs/name``)."""
    with (resources_dir() / "catalogs" / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@functools.cache
def _zones() -> dict[str, str]:
    return {r["ubigeo_inei"]: r["zona"] for r in catalog_rows("lima_zones.csv")}


def zone_of(district: str | None) -> str:
    """The zone of ``district`` by the bundled lima_zones.csv: UNKNOWN without a district,
    «fuera» for a district outside Lima and Callao."""
    if not district:
        return UNKNOWN
    return _zones().get(district, "fuera")


def in_period(flt: ReportFilter, stamp: str) -> bool:
    """Whether the ISO date or moment ``stamp`` falls in the filter's period."""
    return flt.date_from.isoformat() <= stamp[:10] <= flt.date_to.isoformat()


def person_matches(flt: ReportFilter, person: dict[str, Any]) -> bool:
    """Whether a registered person passes the filter's person filters (sex, age band on the
    period's last day, nationality, migratory status, zone of residence)."""
    profile = person_profile(person, flt.date_to)
    return ((flt.sex is None or profile.sex == flt.sex)
            and (flt.age_band is None or profile.age_band == flt.age_band)
            and (flt.nationality is None or profile.nationality == flt.nationality)
            and (flt.migratory_status is None or profile.migratory_status == flt.migratory_status)
            and (flt.zone is None or zone_of(person["district_ubigeo"]) == flt.zone))
