"""The R4V 5W export (issue #11, point 5): who, what, where, when and for whom, one row per
month × R4V sector × district of residence, with R4V's population-type and age-and-sex
(AGD) breakdowns.

The columns carry the names of R4V's 2026 5W export (``resources/catalogs/r4v_5w_fields.csv``,
copied from the shared reference with its sources: response4venezuelans' ActivityInfo
readers of 2023 and 2026). The 2026 form stops at ``Country.Admin1``; to keep the district
the municipality needs, two columns follow it: ``Admin2`` (the 2023 form's field, the
province: Lima or Callao) and ``District`` (ours, not an R4V field). The rows of one month
and sector add up to that month's Admin1 figure, since each person lives in one district.

- **Who**: :data:`ORGANISATION` as appealing and implementing organisation.
- **What**: the sector of each topic (``topics.csv`` ``r4v_sector``, R4V's English name from
  ``r4v_sectors.csv``); the activity names of the topics seen, from
  ``resources/catalogs/r4v_5w_activities.csv`` (keyed by topic, with sources); the topics as
  the description. The RMRP indicator, the implementation set-up and «RMRP activity» are
  left for the coordinator to choose in ActivityInfo: R4V's 2026 lists of them are not in
  our sources. CVA is «No»: the casas give no cash or vouchers. The quantity of output is
  the number of consultations.
- **When**: the month (``YYYY-MM``) of the consultations, within the report's period.
- **For whom**: *Total monthly beneficiaries*, the distinct persons attended that month in
  that sector and district, each anonymous walk-in consultation counting as one person
  (in the «Sin dato» district, since a walk-in records no address); *New beneficiaries of
  the month*, those whose first consultation in the sector (at the report's casas, on the
  report's topic if any) fell in that month, every walk-in being new. The population type
  and AGD columns break down the new beneficiaries, as R4V's validation requires (each sum
  equals the new beneficiaries): Peruvians are *Host Communities*, everyone else (other
  nationalities and nationality not recorded) *Refugees and Migrants IN DESTINATION*;
  women and men by the recorded sex, anyone else (not stated, no data) *Other*; age on the
  month's last day (or the period's, if earlier), *under 18* below 18, and without an age
  *above 18*.

Counted in SQL (topics through ``consultation_topic``, sectors through ``temp.r4v_topic``);
Python arranges the grouped rows.
"""

from __future__ import annotations

import csv
import functools
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oma_desktop.core.catalogs import CatalogError
from oma_desktop.core.disaggregation import UNKNOWN_LABEL, age_band_sql
from oma_desktop.i18n import _, format_date
from oma_desktop.paths import resources_dir
from oma_desktop.services.permissions import Permission
from oma_desktop.services.report_filter import ReportFilter, install_zone_table
from oma_desktop.services.report_model import Column, ReportDocument, Section, Table
from oma_desktop.services.reports import new_document
from oma_desktop.services.session import Session

# Who reports. The OMA (Oficina Municipal de Atención al Vecino Migrante) is an office of
# the Municipalidad Metropolitana de Lima (shared reference reference.md, title and
# section 3); change it here if another body reports the casas' work to R4V.
ORGANISATION = "Municipalidad Metropolitana de Lima"
COUNTRY = "Peru"  # R4V's Admin0 name (English, like its sector names)
# Where a person without a district is reported: the six casas are in Cercado de Lima
# (reference.md section 3), in the department and province of Lima.
HOME_DEPARTMENT = "Lima"
HOME_PROVINCE = "Lima"
CVA_NO = "No"

FIELDS_FILE = Path("catalogs") / "r4v_5w_fields.csv"
ACTIVITIES_FILE = Path("catalogs") / "r4v_5w_activities.csv"
ADMIN2, DISTRICT = "Admin2", "District"  # after Country.Admin1: see the docstring

AGD = ("Women.under.18", "Men.under.18", "Women.above.18", "Men.above.18",
       "Other.under.18", "Other.above.18")
POPULATION = ("Refugees.and.Migrants.IN.DESTINATION", "Refugees.and.Migrants.IN.TRANSIT",
              "Host.Communities.Beneficiaries", "Refugees.and.Migrants.PENDULARS",
              "Colombian.Returnees")
TOTAL, NEW = "Total.monthly.beneficiaries", "New.beneficiaries.of.the.month"
OUTPUT = "Quantity.of.output"
COUNT_FIELDS = frozenset({OUTPUT, TOTAL, NEW, *POPULATION, *AGD})
PERUVIAN = "PE"


def _read(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path.name}: cannot be read ({exc})") from exc


@functools.lru_cache(maxsize=2)
def export_fields(path: Path | None = None) -> tuple[str, ...]:
    """R4V's 2026 5W export field names in the reference's order (fields without a 2026
    name left out)."""
    rows = _read(path or resources_dir() / FIELDS_FILE)
    names = tuple(r["field_name_2026_export"].strip() for r in rows
                  if r["field_name_2026_export"].strip() not in ("", "-")
                  and not r["field_name_2026_export"].startswith("("))
    missing = {"Country.Admin1", "Month", TOTAL, NEW, *POPULATION, *AGD} - set(names)
    if missing:
        raise CatalogError(f"{FIELDS_FILE.name}: missing fields {sorted(missing)}")
    return names


def columns() -> tuple[str, ...]:
    """The export's headers: R4V's 2026 names, with ``Admin2`` and ``District`` after
    ``Country.Admin1``."""
    names = list(export_fields())
    at = names.index("Country.Admin1") + 1
    return (*names[:at], ADMIN2, DISTRICT, *names[at:])


@functools.lru_cache(maxsize=2)
def activity_names(path: Path | None = None) -> dict[str, str]:
    """Topic code -> activity name (``r4v_5w_activities.csv``)."""
    out = {}
    for n, row in enumerate(_read(path or resources_dir() / ACTIVITIES_FILE), start=2):
        topic, name = row.get("topic", "").strip(), row.get("activity_name", "").strip()
        if not topic or not name or not (row.get("source") or "").strip():
            raise CatalogError(f"{ACTIVITIES_FILE.name}, line {n}: topic, activity_name and "
                               "source are required")
        out[topic] = name
    return out


@dataclass
class _Cell:
    """One month × sector × district while counting."""

    output: int = 0
    total: int = 0
    new: int = 0
    host: int = 0
    agd: Counter[str] = field(default_factory=Counter)
    topics: set[str] = field(default_factory=set)


def _agd_sql(sex: str, under: str, new: str) -> str:
    """``sum(...)`` columns a0..a5 (the AGD fields in order) of the new beneficiaries."""
    women, men = f"{sex} = 'F'", f"{sex} = 'M'"
    other = f"COALESCE({sex}, '') NOT IN ('F', 'M')"
    parts = [(women, under), (men, under), (women, f"NOT {under}"), (men, f"NOT {under}"),
             (other, under), (other, f"NOT {under}")]
    return ", ".join(f"sum({new} AND {s} AND {a}) AS a{i}" for i, (s, a) in enumerate(parts))


def five_w_rows(session: Session, flt: ReportFilter) -> list[dict[str, Any]]:
    """The 5W rows for ``flt`` as {header: value} (headers of :func:`columns`), by month,
    sector (R4V's order) and district (by name, «Sin dato» last)."""
    session.require(Permission.VIEW_REPORTS)
    store, catalogs = session.store, session.catalogs
    install_zone_table(store)
    store.fill_temp_table("r4v_topic", ("topic", "sector"),
                          [(t.code, t.r4v_sector) for t in catalogs.topics])
    params = flt.params()
    where = flt.consultation_where("c", "p") + " AND (c.person_id IS NULL OR p.deleted = 0)"
    history = "c.deleted = 0"
    if flt.topic is not None:
        where += " AND t.topic = :topic"
        history += " AND t.topic = :topic"
    if flt.casa_id is not None:
        history += " AND c.casa_id = :casa"
    hit = (
        "hit(month, sector, topic, district, id, person_id) AS ("
        " SELECT substr(c.occurred_at, 1, 7), s.sector, t.topic,"
        " COALESCE(p.district_ubigeo, ''), c.id, c.person_id"
        " FROM consultation c LEFT JOIN person p ON p.id = c.person_id"
        " JOIN consultation_topic t ON t.consultation_id = c.id"
        f" JOIN temp.r4v_topic s ON s.topic = t.topic WHERE {where})")
    cells: dict[tuple[str, str, str], _Cell] = {}

    def cell(r: Any) -> _Cell:
        return cells.setdefault((str(r["month"]), str(r["sector"]), str(r["district"])),
                                _Cell())

    for r in store.rows(f"WITH {hit} SELECT month, sector, district, count(DISTINCT id) AS n,"
                        " group_concat(DISTINCT topic) AS topics FROM hit GROUP BY 1, 2, 3",
                        params):
        cell(r).output = int(r["n"])
        cell(r).topics.update(str(r["topics"] or "").split(","))

    # registered persons: once per month, sector and district; new in their first month.
    # ``one`` is materialised so each person's age is worked out once, not in every sum.
    under = ("(" + age_band_sql("p.birth_date", "x.on_day")
             + " IN ('0-5', '6-11', '12-17'))")
    for r in store.rows(
            f"WITH {hit}, seen(month, sector, person_id, on_day) AS (SELECT DISTINCT month,"
            " sector, person_id, min(date(month || '-01', '+1 month', '-1 day'), :on)"
            " FROM hit WHERE person_id IS NOT NULL),"
            " first(person_id, sector, month) AS (SELECT c.person_id, s.sector,"
            " substr(min(c.occurred_at), 1, 7) FROM consultation c"
            " JOIN consultation_topic t ON t.consultation_id = c.id"
            " JOIN temp.r4v_topic s ON s.topic = t.topic"
            f" WHERE {history} AND c.person_id IN (SELECT person_id FROM seen)"
            " GROUP BY c.person_id, s.sector),"
            " one(month, sector, district, new, host, sex, under) AS MATERIALIZED ("
            " SELECT x.month, x.sector, COALESCE(p.district_ubigeo, ''), f.month = x.month,"
            f" COALESCE(p.nationality = '{PERUVIAN}', 0), p.sex, {under}"
            " FROM seen x JOIN person p ON p.id = x.person_id"
            " JOIN first f ON f.person_id = x.person_id AND f.sector = x.sector)"
            " SELECT month, sector, district, count(*) AS total, sum(new) AS new,"
            f" sum(new AND host) AS host, {_agd_sql('sex', 'under', 'new')}"
            " FROM one GROUP BY 1, 2, 3", params):
        _count(cell(r), r)
    # anonymous walk-ins: each consultation one new person, in the «Sin dato» district
    under = "(c.anon_age IS NOT NULL AND c.anon_age < 18)"
    for r in store.rows(
            f"WITH {hit}, walk(month, sector, district, id) AS (SELECT DISTINCT month,"
            " sector, district, id FROM hit WHERE person_id IS NULL)"
            " SELECT w.month, w.sector, w.district, count(*) AS total, count(*) AS new,"
            f" sum(c.anon_nationality = '{PERUVIAN}') AS host,"
            f" {_agd_sql('c.anon_sex', under, '1')}"
            " FROM walk w JOIN consultation c ON c.id = w.id GROUP BY 1, 2, 3", params):
        _count(cell(r), r)
    return _rows(session, cells)


def _count(cell: _Cell, r: Any) -> None:
    cell.total += int(r["total"] or 0)
    cell.new += int(r["new"] or 0)
    cell.host += int(r["host"] or 0)
    for i, name in enumerate(AGD):
        cell.agd[name] += int(r[f"a{i}"] or 0)


def _rows(session: Session, cells: dict[tuple[str, str, str], _Cell]) -> list[dict[str, Any]]:
    catalogs = session.catalogs
    sector_order = {s.code: (s.order, s.code) for s in catalogs.r4v_sectors}
    sector_name = {s.code: s.name_en or s.code for s in catalogs.r4v_sectors}
    districts = {d.ubigeo: d for d in catalogs.districts}
    topic_order = [t for t in catalogs.topics]
    activities = activity_names()
    no_data = _(UNKNOWN_LABEL)

    def place(ubigeo: str) -> tuple[str, str, str]:
        if not ubigeo:
            return HOME_DEPARTMENT, HOME_PROVINCE, no_data
        district = districts.get(ubigeo)
        if district is None:
            return "", "", ubigeo
        return district.department, district.province, district.name

    def order(key: tuple[str, str, str]) -> tuple[Any, ...]:
        month, sector, ubigeo = key
        name = place(ubigeo)[2]
        return (month, sector_order.get(sector, (999, sector)), not ubigeo, name)

    out = []
    names = columns()
    for key in sorted(cells, key=order):
        month, sector, ubigeo = key
        c = cells[key]
        admin1, admin2, district = place(ubigeo)
        seen = [t for t in topic_order if t.code in c.topics]
        row: dict[str, Any] = dict.fromkeys(names, "")
        row.update({
            "Country.Country": COUNTRY, "Country.Admin1": admin1, ADMIN2: admin2,
            DISTRICT: district,
            "Appealing.organisation.Name": ORGANISATION,
            "Implementing.partner.Name": ORGANISATION,
            "Month": month, "Indicator.Sector": sector_name.get(sector, sector),
            "Activity.Name": "; ".join(dict.fromkeys(
                activities.get(t.code, t.name_es) for t in seen)),
            "Activity.Description": _("Consultations on: {topics}").format(
                topics="; ".join(t.name_es for t in seen)),
            "CVA": CVA_NO, OUTPUT: c.output, TOTAL: c.total, NEW: c.new,
            "Refugees.and.Migrants.IN.DESTINATION": c.new - c.host,
            "Refugees.and.Migrants.IN.TRANSIT": 0, "Host.Communities.Beneficiaries": c.host,
            "Refugees.and.Migrants.PENDULARS": 0, "Colombian.Returnees": 0,
            **{name: c.agd[name] for name in AGD},
        })
        out.append(row)
    return out


def five_w_document(session: Session, flt: ReportFilter) -> ReportDocument:
    """The 5W export as a document: one table (so the CSV is R4V's plain table, headers
    first) and the method in the notes."""
    rows = five_w_rows(session, flt)
    doc = new_document(session, "5w", _("R4V 5W export"), flt)
    names = columns()
    table = Table("five_w", _("5W: who, what, where, when and for whom"),
                  [Column(n, n, "count" if n in COUNT_FIELDS else "text") for n in names],
                  [[row[n] for n in names] for row in rows],
                  note=_("Monthly totals may repeat people from other months: do not add "
                         "them up across months."))
    doc.sections.append(Section(_("R4V 5W report"), [table], intro=_(
        "One row per month, R4V sector and district of residence. Headers as in R4V's 2026 "
        "5W export; Admin2 (province) and District are added after Country.Admin1 for the "
        "municipality's use: add the districts' rows of a month and sector up to load them "
        "by Admin1.")))
    doc.notes = [
        _("Period from {start} to {end}, both included; ages on the last day of each month "
          "(or of the period, if earlier).").format(start=format_date(flt.date_from),
                                                   end=format_date(flt.date_to)),
        _("Total monthly beneficiaries: distinct persons attended in the month, sector and "
          "district; each anonymous walk-in consultation counts as one person, in the «No "
          "data» district. New beneficiaries: persons whose first consultation in the "
          "sector (at the casas and on the topic of the report) fell in the month; every "
          "walk-in is new."),
        _("Population type and age and sex break down the new beneficiaries and add up to "
          "them: Peruvians are host communities, everyone else (nationality not recorded "
          "included) refugees and migrants in destination; sex not stated or not recorded "
          "goes to Other; without an age, above 18."),
        _("Persons without a district of residence are reported in Lima (department and "
          "province of the casas), district «No data»."),
        _("Appealing and implementing organisation: {organisation}. Indicator, "
          "implementation set-up and RMRP activity are left empty: choose them in "
          "ActivityInfo from R4V's current lists. Quantity of output: consultations. The "
          "casas give no cash or vouchers (CVA: No).").format(organisation=ORGANISATION),
        _("Activity names by topic: r4v_5w_activities.csv; sectors: topics.csv and "
          "r4v_sectors.csv; field names: r4v_5w_fields.csv (response4venezuelans, 2026 "
          "form)."),
        _("To load the figures in ActivityInfo use the full version: in the version for "
          "partners the cells under 5 are suppressed and the rows no longer add up."),
    ]
    return doc
