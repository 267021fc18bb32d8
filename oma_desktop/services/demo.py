"""Realistic synthetic data for demos, training and benchmarks (``oma-desktop demo``).

``build_demo()`` fills an empty data folder with persons, households, documents and two
years of consultations at the six casas vecinales, as if each casa had recorded its own
work: every record goes through ``Store.transaction()`` with the origin (casa and a fixed
synthetic installation id) of the casa that "wrote" it, so the change log, the sync
sequences and the history screens look like real use.

Content is deterministic for a given seed and reference date (``random.Random(seed)``
drives every choice); only record and operation ids are fresh UUIDs.

The shares below are plausible orders of magnitude for the Venezuelan-majority migrant
population attended in Cercado de Lima, chosen for demos; they are not statistics. Name,
street and text lists live in ``resources/demo/*.csv`` (our own synthetic lists). Number
formats that have no sourced pattern in the catalog (cédula venezolana, PTP, CPP) are
invented but plausible.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import itertools
import json
import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from oma_desktop.core.catalogs import Catalogs, load_catalogs
from oma_desktop.core.errors import OmaError
from oma_desktop.core.ids import new_id
from oma_desktop.core.store import Origin, Store
from oma_desktop.core.text import strip_accents
from oma_desktop.core.vocab import (
    CHANNELS,
    MIGRATORY_STATUS,
    REGULARIZATION_STAGE,
    RELATIONSHIPS,
    SEX,
    codes,
)
from oma_desktop.i18n import _
from oma_desktop.paths import DataPaths, resources_dir
from oma_desktop.services.accounts import Credentials, demo_accounts
from oma_desktop.services.context import open_context
from oma_desktop.services.demo_community import write_demo_community
from oma_desktop.services.demo_referrals import write_demo_referrals
from oma_desktop.services.installation import SYSTEM_USER
from oma_desktop.services.jobs import job_marker

Progress = Callable[[int, int, str], None]
Record = dict[str, Any]
_T = TypeVar("_T")

# --- shape of the synthetic population ---------------------------------------------------

WINDOW_DAYS = 730  # consultations cover the two years before the reference date
CONSULTATIONS_PER_PERSON = 5
HOUSEHOLD_SHARE = 0.40  # share of persons who belong to a household of 2-6
ANONYMOUS_SHARE = 0.03  # quick anonymous walk-ins among consultations
FOLLOW_UP_SHARE = 0.15
ESTIMATED_BIRTH_SHARE = 0.10
HOME_CASA_SHARE = 0.92  # consultations held at the casa where the person registered

# of adults drawn at random; children born in Peru are Peruvian, so the shares among all
# persons end near 80 % VE, 10 % CO, 7 % PE, 3 % others
NATIONALITY_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("VE", 82.5), ("CO", 10.5), ("PE", 3.5), ("EC", 1.6), ("HT", 0.7), ("CU", 0.7), ("BO", 0.5),
)
SEX_WEIGHTS: tuple[tuple[str, float], ...] = (("F", 52.0), ("M", 47.7), ("X", 0.3))
# foreigners only; Peruvians are "nacional"
MIGRATORY_STATUS_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("regular", 46.0), ("en_tramite", 20.0), ("irregular", 22.0),
    ("solicitante_refugio", 8.0), ("refugiado", 2.0), ("desconocido", 2.0),
)
REGULARIZATION_STAGE_WEIGHTS: dict[str, tuple[tuple[str | None, float], ...]] = {
    "regular": (("carne", 80.0), ("aprobado", 8.0), ("vencido", 12.0)),
    "en_tramite": (("cita", 30.0), ("presentado", 40.0), ("observado", 20.0), ("aprobado", 10.0)),
    "irregular": (("ninguno", 75.0), ("vencido", 25.0)),
    "solicitante_refugio": (("presentado", 80.0), ("observado", 20.0)),
    "refugiado": (("carne", 100.0),),
    "desconocido": ((None, 100.0),),
    "nacional": ((None, 100.0),),
}
CHANNEL_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("presencial", 78.0), ("telefono", 8.0), ("whatsapp", 10.0), ("migraton", 3.0), ("otro", 1.0),
)
ARRIVAL_YEAR_WEIGHTS: tuple[tuple[int, float], ...] = (
    (2017, 6.0), (2018, 22.0), (2019, 24.0), (2020, 5.0), (2021, 9.0),
    (2022, 11.0), (2023, 10.0), (2024, 8.0), (2025, 5.0),
)
# Cercado de Lima and the districts around it (ubigeo, weight)
DISTRICT_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("150101", 45.0), ("150115", 8.0), ("150105", 7.0), ("150128", 7.0), ("150132", 7.0),
    ("150135", 6.0), ("150111", 4.0), ("150113", 2.0), ("150116", 2.0), ("150117", 2.0),
    ("150110", 2.0), ("150112", 2.0), ("150103", 1.5), ("070101", 1.5), ("150134", 1.0),
    ("150137", 1.0), ("150136", 1.0),
)
HOUSEHOLD_SIZE_WEIGHTS: tuple[tuple[int, float], ...] = (
    (2, 30.0), (3, 30.0), (4, 22.0), (5, 12.0), (6, 6.0),
)
# relationship of members after the head (and the spouse, drawn separately)
MEMBER_RELATIONSHIP_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("hijo", 75.0), ("hermano", 10.0), ("padre_madre", 7.0), ("otro", 8.0),
)
CASA_WEIGHTS: tuple[float, ...] = (22.0, 19.0, 17.0, 16.0, 14.0, 12.0)
TOPIC_COUNT_WEIGHTS: tuple[tuple[int, float], ...] = ((1, 60.0), (2, 30.0), (3, 10.0))
# adults: 18 + Gamma(shape, scale) years, right-skewed with its mode around 30
ADULT_AGE_SHAPE = 2.4
ADULT_AGE_SCALE = 9.0
MAX_AGE = 88

# validity of each document type in days (PTP and CPP: one year, per the catalog notes)
_VALIDITY_DAYS = {"DNI": 8 * 365, "CE": 4 * 365, "CPP": 365, "PTP": 365, "CSR": 365,
                  "PASAPORTE": 10 * 365, "CEDULA_VE": 10 * 365}
# cédula venezolana numbers grow with the holder's birth year (approximate anchor points)
_CEDULA_BY_BIRTH_YEAR = ((1930, 800_000), (1950, 3_000_000), (1960, 5_000_000),
                         (1970, 9_500_000), (1980, 14_000_000), (1990, 19_500_000),
                         (2000, 27_000_000), (2010, 31_500_000), (2026, 36_000_000))
# synthetic number formats (only DNI and CSR have a sourced pattern in the catalog)
_NUMBER_FORMATS: dict[str, Callable[[random.Random], str]] = {
    "CE": lambda r: f"{r.randrange(1_000_000, 10_000_000):09d}",
    "CPP": lambda r: f"{r.randrange(100_000_000, 1_000_000_000)}",
    "PTP": lambda r: f"{r.randrange(100_000_000, 1_000_000_000)}",
    "CSR": lambda r: f"{r.randrange(0, 1_000_000_000):09d}",
    "DNI": lambda r: f"{r.randrange(10_000_000, 100_000_000)}",
}
# fixed-date public holidays in Peru (month, day); Holy Thursday and Friday are added
_HOLIDAYS = ((1, 1), (5, 1), (6, 29), (7, 28), (7, 29), (8, 30), (10, 8), (11, 1),
             (12, 8), (12, 25))

# every installation id of the demo is derived from this namespace and the casa code
DEMO_INSTALLATION_NAMESPACE = uuid.UUID("6f3b8d1e-2a4c-4e5f-9a7b-0c1d2e3f4a5b")

_KIND_SHIFT = 38
_DAY_SHIFT = 40
_INDEX_MASK = (1 << _KIND_SHIFT) - 1
_REGISTRATION, _RETURN_VISIT, _ANONYMOUS = 0, 1, 2
_CHUNK_UNITS = 2_000
_PROGRESS_STEP = 20_000


def demo_installation_id(casa: str) -> str:
    """The fixed synthetic installation id under which casa ``casa``'s demo data is logged."""
    return str(uuid.uuid5(DEMO_INSTALLATION_NAMESPACE, f"oma-demo-installation-{casa}"))


@dataclass
class DemoStats:
    persons: int = 0
    households: int = 0
    documents: int = 0
    consultations: int = 0
    household_members: int = 0
    staff_users: int = 0
    referrals: int = 0
    events: int = 0
    event_attendees: int = 0
    organisations: int = 0


# --- bundled lists ---------------------------------------------------------------------


def _read_csv(name: str) -> list[dict[str, str]]:
    path = resources_dir() / "demo" / name
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class _Lists:
    given: dict[tuple[str, str], tuple[str, ...]]  # (F|M, origin) -> given names
    second: dict[str, tuple[str, ...]]  # F|M -> second given names
    surnames: dict[str, tuple[str, ...]]  # origin -> surnames
    streets: dict[str, tuple[str, ...]]  # ubigeo -> streets
    zones: dict[str, tuple[str, ...]]  # ubigeo -> neighbourhoods
    texts: dict[str, tuple[tuple[str, str], ...]]  # topic -> (what was asked, what was done)
    outcomes: tuple[str, ...]
    follow_up_outcomes: tuple[str, ...]


def _load_lists() -> _Lists:
    given: dict[tuple[str, str], list[str]] = defaultdict(list)
    second: dict[str, list[str]] = defaultdict(list)
    surnames: dict[str, list[str]] = defaultdict(list)
    for row in _read_csv("names.csv"):
        kind, value, origin = row["kind"], row["value"], row["origin"]
        if kind in ("given_f", "given_m"):
            given[(kind[-1].upper(), origin)].append(value)
        elif kind in ("second_f", "second_m"):
            second[kind[-1].upper()].append(value)
        elif kind == "surname":
            surnames[origin].append(value)
    streets: dict[str, list[str]] = defaultdict(list)
    zones: dict[str, list[str]] = defaultdict(list)
    for row in _read_csv("places.csv"):
        (streets if row["kind"] == "street" else zones)[row["district"]].append(row["value"])
    texts: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in _read_csv("consultation_texts.csv"):
        texts[row["topic"]].append((row["summary"], row["actions"]))
    outcomes = _read_csv("outcomes.csv")

    def frozen(table: dict[Any, list[_T]]) -> dict[Any, tuple[_T, ...]]:
        return {k: tuple(v) for k, v in table.items()}

    return _Lists(
        given=frozen(given), second=frozen(second), surnames=frozen(surnames),
        streets=frozen(streets), zones=frozen(zones), texts=frozen(texts),
        outcomes=tuple(o["outcome"] for o in outcomes if o["follow_up"] == "0"),
        follow_up_outcomes=tuple(o["outcome"] for o in outcomes if o["follow_up"] == "1"),
    )


# --- small helpers -----------------------------------------------------------------------


class _Choice(Generic[_T]):
    """Weighted choice through precomputed cumulative weights (``random.choices``)."""

    def __init__(self, rng: random.Random, pairs: Sequence[tuple[_T, float]]) -> None:
        self.values = [v for v, _w in pairs]
        self.cum = list(itertools.accumulate(w for _v, w in pairs))
        self.total = self.cum[-1]
        self._random = rng.random
        self._hi = len(self.values) - 1

    def __call__(self) -> _T:
        return self.values[bisect.bisect(self.cum, self._random() * self.total, 0, self._hi)]


def _iso(ordinal: int) -> str:
    return dt.date.fromordinal(ordinal).isoformat()


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _holidays(years: Iterable[int]) -> set[dt.date]:
    days: set[dt.date] = set()
    for year in years:
        days.update(dt.date(year, m, d) for m, d in _HOLIDAYS)
        easter = _easter(year)
        days.update((easter - dt.timedelta(days=3), easter - dt.timedelta(days=2)))
    return days


def _office_minutes(saturday: bool) -> list[tuple[str, float]]:
    """Office-hour minutes as ``HH:MM`` with how busy each is (mornings peak)."""
    if saturday:
        return [(f"{m // 60:02d}:{m % 60:02d}", 1.0) for m in range(9 * 60, 13 * 60)]
    slots = []
    for m in range(8 * 60 + 30, 17 * 60):
        weight = 0.8 if m < 600 else 1.3 if m < 720 else 1.0 if m < 780 else 0.5 if m < 840 else 0.9
        slots.append((f"{m // 60:02d}:{m % 60:02d}", weight))
    return slots


def _cedula_number(birth_year: int, rng: random.Random) -> int:
    anchors = _CEDULA_BY_BIRTH_YEAR
    year = min(max(birth_year, anchors[0][0]), anchors[-1][0])
    for (y0, n0), (y1, n1) in itertools.pairwise(anchors):
        if y0 <= year <= y1:
            base = n0 + (n1 - n0) * (year - y0) / (y1 - y0)
            break
    return max(100_000, int(base + rng.gauss(0, 500_000)))


def _username(given: str, surname: str, taken: set[str]) -> str:
    base = strip_accents(given.split()[0][0] + surname.split()[0]).lower().replace("-", "")
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    taken.add(name)
    return name


# --- the generator -------------------------------------------------------------------------


@dataclass
class _Staff:
    id: str
    casa: str
    username: str
    display_name: str


@dataclass
class _Person:
    """What a household member needs to know about the others while it is built."""

    id: str
    sex: str
    birth: int  # ordinal
    nationality: str
    paternal: str
    maternal: str
    arrival: int | None
    status: str
    stage: str | None
    estimated: bool


class _Generator:
    def __init__(self, rng: random.Random, today: dt.date, catalogs: Catalogs,
                 casas: Sequence[str] | None = None,
                 installation_of: Callable[[str], str] | None = None) -> None:
        self.rng = rng
        self._random = rng.random
        self.today = today
        self.today_ord = today.toordinal()
        self.lists = _load_lists()
        self.casas = list(casas) if casas else [c.code for c in catalogs.casas]
        # the installation each casa's records are logged under (see build_demo's only_casa)
        self.installation_of = installation_of or demo_installation_id
        casa_weights = [CASA_WEIGHTS[i] if i < len(CASA_WEIGHTS) else 10.0
                        for i in range(len(self.casas))]
        self.pick_casa_index = _Choice(rng, list(zip(range(len(self.casas)), casa_weights,
                                                     strict=True)))
        known_districts = {d.ubigeo for d in catalogs.districts}
        self.pick_district = _Choice(
            rng, [(u, w) for u, w in DISTRICT_WEIGHTS if u in known_districts]
            or [(catalogs.districts[0].ubigeo, 1.0)]
        )
        self.pick_nationality = _Choice(rng, NATIONALITY_WEIGHTS)
        self.pick_sex = _Choice(rng, SEX_WEIGHTS)
        self.pick_status = _Choice(rng, MIGRATORY_STATUS_WEIGHTS)
        self.pick_stage = {k: _Choice(rng, v) for k, v in REGULARIZATION_STAGE_WEIGHTS.items()}
        self.pick_channel = _Choice(rng, CHANNEL_WEIGHTS)
        self.pick_arrival_year = _Choice(rng, ARRIVAL_YEAR_WEIGHTS)
        self.pick_household_size = _Choice(rng, HOUSEHOLD_SIZE_WEIGHTS)
        self.pick_relationship = _Choice(rng, MEMBER_RELATIONSHIP_WEIGHTS)
        self.pick_topic_count = _Choice(rng, TOPIC_COUNT_WEIGHTS)
        topics = [(t.code, float(t.demo_weight)) for t in catalogs.topics if t.demo_weight > 0]
        self.pick_topic = _Choice(rng, topics or [(catalogs.topics[0].code, 1.0)])
        self.fallback_topic = "ORIENTACION" if "ORIENTACION" in self.lists.texts else next(
            iter(self.lists.texts)
        )
        self._build_calendar()
        self.doc_numbers: dict[str, set[str]] = defaultdict(set)
        self.stats = DemoStats()
        # per person, in creation order: what the consultations need
        self.p_id: list[str] = []
        self.p_staff: list[int] = []
        self.p_day: list[int] = []
        self.p_time: list[str] = []

    # calendar ----------------------------------------------------------------------------

    def _build_calendar(self) -> None:
        start = self.today_ord - WINDOW_DAYS + 1
        holidays = _holidays(range(self.today.year - 3, self.today.year + 1))
        self.day_ord: list[int] = []
        self.day_prefix: list[str] = []
        self.day_saturday: list[bool] = []
        weights: list[float] = []
        for ordinal in range(start, self.today_ord + 1):
            day = dt.date.fromordinal(ordinal)
            weekday = day.weekday()
            if weekday == 6 or day in holidays:
                continue
            self.day_ord.append(ordinal)
            self.day_prefix.append(day.isoformat() + "T")
            self.day_saturday.append(weekday == 5)
            busy = 1.25 if weekday == 0 else 0.55 if weekday == 5 else 1.0
            growth = 0.75 + 0.5 * (ordinal - start) / WINDOW_DAYS  # the offices get busier
            weights.append(busy * growth)
        self.n_days = len(self.day_ord)
        self.pick_day = _Choice(self.rng, list(zip(range(self.n_days), weights, strict=True)))
        self.pick_weekday_time = _Choice(self.rng, _office_minutes(saturday=False))
        self.pick_saturday_time = _Choice(self.rng, _office_minutes(saturday=True))
        # a few Migratón campaign days (Saturdays) over the window
        saturdays = [i for i, sat in enumerate(self.day_saturday) if sat]
        count = min(len(saturdays), max(1, WINDOW_DAYS // 60))
        self.campaign_days = sorted(self.rng.sample(saturdays, count)) if saturdays else []

    # fast draws (``random.choice``/``randrange`` cost several times more) -----------------

    def pick(self, items: Sequence[_T]) -> _T:
        return items[int(self._random() * len(items))]

    def between(self, low: int, high: int) -> int:
        """An integer in ``[low, high)``."""
        return low + int(self._random() * (high - low))

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self._random()

    def time_on(self, day: int) -> str:
        return self.pick_saturday_time() if self.day_saturday[day] else self.pick_weekday_time()

    # staff ---------------------------------------------------------------------------------

    def staff(self) -> list[_Staff]:
        rng, taken = self.rng, set[str]()
        staff: list[_Staff] = []
        for casa in self.casas:
            for _n in range(1 + (rng.random() < 0.6)):
                sex = "F" if rng.random() < 0.6 else "M"
                given = self.pick(self.lists.given[(sex, "PE")])
                surname = self.pick(self.lists.surnames["PE"])
                staff.append(_Staff(new_id(), casa, _username(given, surname, taken),
                                    f"{given} {surname}"))
        return staff

    # persons -------------------------------------------------------------------------------

    def adult_age(self) -> float:
        return min(18.0 + self.rng.gammavariate(ADULT_AGE_SHAPE, ADULT_AGE_SCALE), MAX_AGE)

    def birth_from_age(self, age: float) -> int:
        return self.today_ord - int(age * 365.2425) - self.between(1, 365)

    def name(self, sex: str, origin: str) -> str:
        rng = self.rng
        if sex == "X":
            sex = "F" if rng.random() < 0.5 else "M"
        pool = self.lists.given.get((sex, origin)) or self.lists.given[(sex, "VE")]
        given = self.pick(pool)
        seconds = self.lists.second.get(sex)
        if seconds and " " not in given and origin not in ("HT",) and rng.random() < 0.22:
            extra = self.pick(seconds)
            if extra != given:
                given = f"{given} {extra}"
        return given

    def surname(self, origin: str) -> str:
        pool = self.lists.surnames.get(origin) or self.lists.surnames["VE"]
        return self.pick(pool)

    def surnames(self, origin: str) -> tuple[str, str]:
        if origin == "HT":  # one family name, as on Haitian documents
            return self.surname(origin), ""
        paternal = self.surname(origin)
        maternal = self.surname(origin)
        while maternal == paternal:
            maternal = self.surname(origin)
        return paternal, maternal

    def arrival(self, birth: int, registered: int) -> int:
        year = self.pick_arrival_year()
        ordinal = dt.date(year, 1, 1).toordinal() + self.between(0, 365)
        if ordinal > registered - 7:
            ordinal = registered - self.between(7, 365)
        return max(ordinal, birth + 1)

    def status(self, nationality: str) -> str:
        return "nacional" if nationality == "PE" else str(self.pick_status())

    def phone(self) -> str:
        return f"9{self.between(10_000_000, 100_000_000)}"

    def unique_number(self, doc_type: str, make: Callable[[], str]) -> str:
        taken = self.doc_numbers[doc_type]
        number = make()
        while number in taken:
            number = make()
        taken.add(number)
        return number

    def documents(self, person: _Person, age: float) -> list[Record]:
        rng, today = self.rng, self.today_ord
        nat, status = person.nationality, person.status
        docs: list[tuple[str, str, str, int | None, int | None]] = []

        def digits(n: int) -> Callable[[], str]:
            return lambda: f"{self.between(10 ** (n - 1), 10 ** n)}"

        def renewable(doc_type: str, earliest: int, state: str) -> None:
            """A permit or card issued in Peru; ``state``: valid, expired or any."""
            make = _NUMBER_FORMATS[doc_type]
            number = self.unique_number(doc_type, lambda: make(rng))
            validity = _VALIDITY_DAYS[doc_type]
            roll = rng.random()
            if state == "expired":
                if doc_type == "PTP":
                    expiry = dt.date(self.pick((2018, 2019, 2020, 2021)), 1, 1).toordinal()
                    expiry += self.between(0, 365)
                else:
                    expiry = today - self.between(1, 2 * 365)
            elif roll < 0.07:
                expiry = today + self.between(1, 61)  # for the follow-up queue
            elif state == "valid":
                expiry = today + self.between(61, validity)
            else:
                expiry = today + self.between(-validity // 3, validity)
            issue = expiry - validity
            if issue < earliest:
                issue = earliest + self.between(0, 120)
                expiry = issue + validity
            docs.append((doc_type, number, "PE", issue, expiry))

        if nat == "PE":
            issue = today - self.between(0, _VALIDITY_DAYS["DNI"])
            issue = max(issue, person.birth + 30)
            make_dni = _NUMBER_FORMATS["DNI"]
            docs.append(("DNI", self.unique_number("DNI", lambda: make_dni(rng)), "PE", issue,
                         issue + _VALIDITY_DAYS["DNI"]))
            return self._document_records(person.id, docs)
        arrival = person.arrival or today
        # documents from the home country
        if nat == "VE":
            birth_year = dt.date.fromordinal(person.birth).year
            if age >= 10 and rng.random() < 0.82:
                issue = max(person.birth + 10 * 365, arrival - self.between(60, 9 * 365))
                number = self.unique_number(
                    "CEDULA_VE", lambda: str(_cedula_number(birth_year, rng))
                )
                style = rng.random()
                if style < 0.5:
                    number = "V-" + f"{int(number):,}".replace(",", ".")
                elif style < 0.7:
                    number = "V" + number
                docs.append(("CEDULA_VE", number, "VE", issue,
                             issue + _VALIDITY_DAYS["CEDULA_VE"]))
            if rng.random() < (0.35 if age >= 18 else 0.12):
                issue = max(person.birth + 30, arrival - self.between(30, 6 * 365))
                validity = _VALIDITY_DAYS["PASAPORTE"] if age >= 18 else 5 * 365
                docs.append(("PASAPORTE", self.unique_number("PASAPORTE", digits(9)), "VE",
                             issue, issue + validity))
        elif rng.random() < (0.6 if age >= 18 else 0.3):
            prefix = {"CO": "AT", "EC": "A", "HT": "RD", "CU": "K", "BO": "B"}.get(nat, "P")
            size = 9 - len(prefix)
            issue = max(person.birth + 30, arrival - self.between(30, 6 * 365))
            docs.append(("PASAPORTE", self.unique_number(
                "PASAPORTE", lambda: prefix + f"{self.between(10 ** (size - 1), 10 ** size)}"
            ), nat, issue, issue + _VALIDITY_DAYS["PASAPORTE"]))
        # documents issued in Peru, by migratory situation
        earliest = max(arrival + 20, person.birth + 30)
        if earliest < today - 30:
            roll = rng.random()
            expired = person.stage == "vencido"
            if status == "regular":
                if expired:
                    renewable("PTP" if roll < 0.3 else "CPP" if roll < 0.8 else "CE", earliest,
                              "expired")
                else:
                    renewable("CE" if roll < 0.45 else "CPP", earliest, "valid")
            elif status == "refugiado":
                renewable("CE", earliest, "expired" if expired else "valid")
            elif status == "solicitante_refugio":
                renewable("CSR", earliest, "expired" if roll < 0.15 else "valid")
            elif expired or (status == "en_tramite" and roll < 0.5):
                renewable("PTP" if roll < 0.4 else "CPP", earliest, "expired")
        return self._document_records(person.id, docs)

    def _document_records(
        self, person_id: str, docs: list[tuple[str, str, str, int | None, int | None]]
    ) -> list[Record]:
        return [
            {
                "person_id": person_id,
                "doc_type": doc_type,
                "number": number,
                "issuing_country": country,
                "issue_date": _iso(issue) if issue else None,
                "expiry_date": _iso(expiry) if expiry else None,
            }
            for doc_type, number, country, issue, expiry in docs
        ]

    def person_record(
        self,
        person: _Person,
        *,
        given: str,
        age: float,
        casa: str,
        staff: _Staff,
        address: tuple[str, str, str],
        registered: tuple[int, str],
        unaccompanied: bool = False,
        homeless_rate: float = 0.015,
    ) -> Record:
        rng = self.rng
        random_ = rng.random
        day, time = registered
        adult = age >= 18
        sex = person.sex
        if age >= 16 and random_() < 0.96:
            phone = self.phone()
            roll = random_()
            whatsapp = phone if roll < 0.72 else self.phone() if roll < 0.85 else ""
        else:
            phone = whatsapp = ""
        # Washington Group short set: only asked from age 5
        wg: list[int | None]
        if age < 5:
            wg = [None] * 6
        else:
            wg = [0] * 6
            if random_() < (0.045 if age < 60 else 0.25):
                for _n in range(1 if random_() < 0.75 else 2):
                    level = rng.random()
                    wg[self.between(0, 6)] = 1 if level < 0.7 else 2 if level < 0.95 else 3
        district, zone, address_ref = address
        day_iso = self.day_prefix[day][:-1]
        return {
            "id": person.id,
            "casa_id": casa,
            "given_names": given,
            "paternal_surname": person.paternal,
            "maternal_surname": person.maternal,
            "sex": sex,
            "birth_date": _iso(person.birth),
            "birth_date_estimated": int(person.estimated),
            "nationality": person.nationality,
            "phone": phone,
            "whatsapp": whatsapp,
            "district_ubigeo": district,
            "zone": zone,
            "address_ref": address_ref,
            "arrival_date": _iso(person.arrival) if person.arrival else None,
            "migratory_status": person.status,
            "regularization_stage": person.stage,
            "wg_seeing": wg[0],
            "wg_hearing": wg[1],
            "wg_walking": wg[2],
            "wg_cognition": wg[3],
            "wg_selfcare": wg[4],
            "wg_communication": wg[5],
            "vuln_pregnant": int(sex == "F" and 15 <= age < 45 and random_() < 0.05),
            "vuln_older_adult": int(age >= 60),
            "vuln_unaccompanied_child": int(unaccompanied),
            "vuln_violence_survivor": int(
                adult and random_() < (0.04 if sex == "F" else 0.007)
            ),
            "vuln_trafficking": int(adult and random_() < 0.003),
            "vuln_homeless": int(random_() < homeless_rate),
            "vuln_chronic_illness": int(random_() < (0.04 if age < 50 else 0.18)),
            "consent_register": 1,
            "consent_refer": int(random_() < 0.93),
            "consent_contact": int(random_() < 0.9),
            "consent_date": day_iso,
            "consent_recorded_by": staff.id,
            "created_at": f"{self.day_prefix[day]}{time}:00",
        }

    def address(self) -> tuple[str, str, str]:
        rng = self.rng
        district = str(self.pick_district())
        zones = self.lists.zones.get(district)
        zone = self.pick(zones) if zones and rng.random() < 0.6 else ""
        streets = self.lists.streets.get(district)
        roll = rng.random()
        if roll < 0.08:
            ref = ""
        elif streets and roll < 0.8:
            street = self.pick(streets)
            if rng.random() < 0.75:
                ref = f"{street} {self.between(100, 2000)}"
                if rng.random() < 0.3:
                    ref += f", int. {self.between(1, 30)}"
            else:
                ref = f"{street} cdra. {self.between(1, 20)}"
        else:
            ref = f"Mz. {'ABCDEFGHIJKLMN'[self.between(0, 14)]} Lt. {self.between(1, 40)}"
        return district, zone, ref

    def registration(self) -> tuple[int, str]:
        day = int(self.pick_day())
        return day, self.time_on(day)

    def unit(
        self, size: int, staff: _Staff, staff_index: int
    ) -> tuple[Record | None, list[Record], list[Record], list[Record]]:
        """One person on their own, or a household of ``size``: records to write."""
        rng = self.rng
        registered = self.registration()
        reg_ord = self.day_ord[registered[0]]
        address = self.address()
        casa = staff.casa
        persons: list[Record] = []
        documents: list[Record] = []

        def add(person: _Person, age: float, **extra: Any) -> None:
            given = self.name(person.sex, person.nationality)
            persons.append(self.person_record(
                person, given=given, age=age, casa=casa, staff=staff, address=address,
                registered=registered, **extra,
            ))
            documents.extend(self.documents(person, age))
            self.p_id.append(person.id)
            self.p_staff.append(staff_index)
            self.p_day.append(registered[0])
            self.p_time.append(registered[1])

        def new_person(
            sex: str, age: float, nationality: str, surnames: tuple[str, str],
            arrival: int | None, status: str | None = None,
        ) -> _Person:
            birth = min(self.birth_from_age(age), reg_ord - self.between(1, 60))
            estimated = rng.random() < ESTIMATED_BIRTH_SHARE
            if estimated:  # an estimated age is stored as the 1st of July (see persons.py)
                year = dt.date.fromordinal(birth).year
                if dt.date(year, 7, 1).toordinal() < reg_ord:
                    birth = dt.date(year, 7, 1).toordinal()
                else:
                    estimated = False
            if nationality == "PE":
                arrival = None
            elif arrival is None or arrival < birth:
                arrival = self.arrival(birth, reg_ord)
            status = "nacional" if nationality == "PE" else status or self.status(nationality)
            return _Person(new_id(), sex, birth, nationality, surnames[0], surnames[1],
                           arrival, status, self.pick_stage[status](), estimated)

        if size == 1:
            unaccompanied = rng.random() < 0.004
            age = self.uniform(14, 18) if unaccompanied else self.adult_age()
            nationality = str(self.pick_nationality())
            person = new_person(str(self.pick_sex()), age, nationality,
                                self.surnames(nationality), None)
            add(person, age, unaccompanied=unaccompanied,
                homeless_rate=0.025)
            return None, persons, [], documents

        household_id = new_id()
        members: list[Record] = []
        head_age = max(self.adult_age(), 20.0)
        nationality = str(self.pick_nationality())
        head = new_person("F" if rng.random() < 0.55 else "M", head_age, nationality,
                          self.surnames(nationality), None)
        people: list[tuple[_Person, float, str]] = [(head, head_age, "jefe_hogar")]
        spouse: _Person | None = None
        if rng.random() < 0.7:
            spouse_age = max(18.0, head_age + self.uniform(-6, 6))
            roll = rng.random()
            spouse_nat = nationality if roll < 0.85 else "PE" if roll < 0.95 else "CO"
            arrival = head.arrival if spouse_nat != "PE" and rng.random() < 0.7 else None
            spouse = new_person("M" if head.sex == "F" else "F", spouse_age, spouse_nat,
                                self.surnames(spouse_nat), arrival,
                                head.status if spouse_nat == nationality else None)
            people.append((spouse, spouse_age, "conyuge"))
        while len(people) < size:
            relationship = str(self.pick_relationship())
            if relationship == "hijo":
                age = head_age - self.uniform(17, 40)
                if age < 0:
                    age = self.uniform(0, max(0.5, head_age - 17))
                father, mother = (head, spouse) if head.sex == "M" else (spouse, head)
                paternal = father.paternal if father else self.surname(nationality)
                maternal = mother.paternal if mother else self.surname(nationality)
                birth_ord = self.today_ord - int(age * 365.2425)
                born_in_peru = (head.arrival is not None and birth_ord > head.arrival + 30)
                child_nat = "PE" if born_in_peru or nationality == "PE" else nationality
                arrival = None if child_nat == "PE" else head.arrival
                person = new_person(str(self.pick_sex()), age, child_nat, (paternal, maternal),
                                    arrival, head.status if child_nat == nationality else None)
            elif relationship == "padre_madre":
                age = min(head_age + self.uniform(20, 32), MAX_AGE)
                sex = "F" if rng.random() < 0.65 else "M"
                other = self.surname(nationality)
                surnames = (head.paternal, other) if sex == "M" else (head.maternal or other,
                                                                      self.surname(nationality))
                person = new_person(sex, age, nationality, surnames, None)
            elif relationship == "hermano":
                age = max(1.0, head_age + self.uniform(-10, 10))
                person = new_person(str(self.pick_sex()), age, nationality,
                                    (head.paternal, head.maternal), None, head.status)
            else:
                age = self.adult_age()
                nat = nationality if rng.random() < 0.8 else str(self.pick_nationality())
                person = new_person(str(self.pick_sex()), age, nat, self.surnames(nat), None)
            people.append((person, age, relationship))
        for person, age, relationship in people:
            add(person, age, homeless_rate=0.008)
            members.append({"household_id": household_id, "person_id": person.id,
                            "relationship": relationship})
        # named like services.households.ensure_household names them
        household = {"id": household_id, "casa_id": casa,
                     "name": f"Hogar de {persons[0]['given_names']} {head.paternal}"}
        return household, persons, members, documents

    # consultations -------------------------------------------------------------------------

    def consultation_plan(self, total: int, staff: list[_Staff]) -> list[list[int]]:
        """Per staff member: encoded (day, kind, index) of each consultation, by date."""
        rng = self.rng
        random_ = rng.random
        persons = len(self.p_id)
        anonymous = round(total * ANONYMOUS_SHARE) if total >= 20 else 0
        registrations = min(persons, total - anonymous)
        returns = total - anonymous - registrations
        staff_by_casa: dict[str, list[int]] = defaultdict(list)
        for i, member in enumerate(staff):
            staff_by_casa[member.casa].append(i)
        casa_staff = [staff_by_casa[c] for c in self.casas]
        casa_of_staff = [self.casas.index(s.casa) for s in staff]
        buckets: list[list[int]] = [[] for _s in staff]
        registered = range(persons) if registrations == persons else sorted(
            rng.sample(range(persons), registrations)
        )
        for j in registered:
            buckets[self.p_staff[j]].append(
                (self.p_day[j] << _DAY_SHIFT) | (_REGISTRATION << _KIND_SHIFT) | j
            )
        if returns and persons:
            activity = rng.choices((1.0, 2.0, 5.0), weights=(60, 30, 10), k=persons)
            cum = list(itertools.accumulate(activity))
            day_cum = self.pick_day.cum
            last_day = self.n_days - 1
            days, p_staff = self.p_day, self.p_staff
            n_casas = len(self.casas)
            pick_casa = self.pick_casa_index
            for j in rng.choices(range(persons), cum_weights=cum, k=returns):
                first = days[j]
                # a later working day, as busy as the calendar says
                low = day_cum[first - 1] if first else 0.0
                day = bisect.bisect(day_cum, low + (day_cum[-1] - low) * random_(), first,
                                    last_day)
                if random_() < HOME_CASA_SHARE or n_casas == 1:
                    members = casa_staff[casa_of_staff[p_staff[j]]]
                else:
                    members = casa_staff[int(pick_casa())]
                who = members[0] if len(members) == 1 or random_() < 0.6 else members[1]
                buckets[who].append((day << _DAY_SHIFT) | (_RETURN_VISIT << _KIND_SHIFT) | j)
        for _n in range(anonymous):
            members = casa_staff[int(self.pick_casa_index())]
            who = members[0] if len(members) == 1 or random_() < 0.6 else members[1]
            buckets[who].append((int(self.pick_day()) << _DAY_SHIFT)
                                | (_ANONYMOUS << _KIND_SHIFT))
        for bucket in buckets:
            bucket.sort()
        return buckets

    def topics(self, registration: bool) -> tuple[str, ...]:
        count = self.pick_topic_count()
        picked = [self.pick_topic() for _n in range(count)]
        if registration and self._random() < 0.4:
            picked.insert(0, "EMPADRONAMIENTO")
        return tuple(dict.fromkeys(picked))

    def templates(self, kind: int, size: int = 16_384) -> list[tuple[str, str, str]]:
        """A sample of (topics as JSON, what was asked, what was done) to draw rows from.

        Drawing from a precomputed sample of the topic and text distribution is much
        faster than composing every consultation, and just as varied at these sizes.
        """
        texts = self.lists.texts
        fallback = texts[self.fallback_topic]
        json_of: dict[tuple[str, ...], str] = {}
        table: list[tuple[str, str, str]] = []
        for _n in range(size):
            topics = (self.pick_topic(),) if kind == _ANONYMOUS else self.topics(
                kind == _REGISTRATION
            )
            summary, action = self.pick(texts.get(topics[0]) or fallback)
            if len(topics) > 1 and topics[1] in texts:
                action = f"{action} {self.pick(texts[topics[1]])[1]}"
            text = json_of.get(topics)
            if text is None:
                text = json_of[topics] = json.dumps(list(topics), ensure_ascii=False)
            table.append((text, summary, action))
        return table

    def consultations(
        self, codes_: list[int], staff: _Staff, templates: Sequence[list[tuple[str, str, str]]]
    ) -> Iterator[Record]:
        random_ = self._random
        outcomes = self.lists.outcomes
        follow_outcomes = self.lists.follow_up_outcomes or outcomes
        n_outcomes, n_follow = len(outcomes), len(follow_outcomes)
        prefixes, day_ord, saturday = self.day_prefix, self.day_ord, self.day_saturday
        first_ord = day_ord[0]
        due_iso = [_iso(o) for o in range(first_ord, self.today_ord + 50)]
        today_index = self.today_ord - first_ord
        p_id, p_day, p_time = self.p_id, self.p_day, self.p_time
        campaign = self.campaign_days
        casa, staff_id = staff.casa, staff.id
        bisect_ = bisect.bisect
        wk, sat, ch = self.pick_weekday_time, self.pick_saturday_time, self.pick_channel
        wk_values, wk_cum, wk_total, wk_hi = wk.values, wk.cum, wk.total, len(wk.values) - 1
        sat_values, sat_cum, sat_total, sat_hi = (sat.values, sat.cum, sat.total,
                                                  len(sat.values) - 1)
        ch_values, ch_cum, ch_total, ch_hi = ch.values, ch.cum, ch.total, len(ch.values) - 1
        n_templates = [len(t) for t in templates]
        for code in codes_:
            day = code >> _DAY_SHIFT
            kind = (code >> _KIND_SHIFT) & 3
            j = code & _INDEX_MASK
            channel = "presencial"
            person_id: str | None = None
            anon_sex = anon_nationality = None
            anon_age: int | None = None
            if kind == _REGISTRATION:
                person_id = p_id[j]
                time = p_time[j]
            else:
                if kind == _RETURN_VISIT:
                    person_id = p_id[j]
                    channel = ch_values[bisect_(ch_cum, random_() * ch_total, 0, ch_hi)]
                    if channel == "migraton":
                        k = bisect.bisect_left(campaign, day)
                        if k < len(campaign):
                            day = campaign[k]
                        else:
                            channel = "presencial"
                else:
                    anon_sex = self.pick_sex()
                    anon_age = int(self.adult_age())
                    anon_nationality = self.pick_nationality()
                if saturday[day]:
                    time = sat_values[bisect_(sat_cum, random_() * sat_total, 0, sat_hi)]
                else:
                    time = wk_values[bisect_(wk_cum, random_() * wk_total, 0, wk_hi)]
                if kind == _RETURN_VISIT and day == p_day[j] and time < p_time[j]:
                    time = p_time[j]
            topics, summary, action = templates[kind][int(random_() * n_templates[kind])]
            follow_up: str | None = None
            done = 0
            if kind != _ANONYMOUS and random_() < FOLLOW_UP_SHARE:
                due = day_ord[day] - first_ord + 3 + int(random_() * 43)
                follow_up = due_iso[due]
                # offices close most old follow-ups; the recent ones are still open
                done = int(due < today_index
                           and random_() < (0.97 if today_index - due > 30 else 0.6))
                outcome = follow_outcomes[int(random_() * n_follow)]
            else:
                outcome = outcomes[int(random_() * n_outcomes)]
            yield {
                "person_id": person_id,
                "casa_id": casa,
                "staff_user_id": staff_id,
                "occurred_at": prefixes[day] + time,
                "channel": channel,
                "topics": topics,
                "summary": summary,
                "actions": action,
                "outcome": outcome,
                "follow_up_date": follow_up,
                "follow_up_done": done,
                "anon_sex": anon_sex,
                "anon_age": anon_age,
                "anon_nationality": anon_nationality,
            }


# --- building -----------------------------------------------------------------------------


class _Counter:
    """Reports progress every ``_PROGRESS_STEP`` persons or consultations."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0
        self._next = _PROGRESS_STEP
        self.label = _("Creating demo data")

    def add(self, n: int) -> None:
        self.done += n
        if self.progress is not None and (self.done >= self._next or self.done >= self.total):
            self._next = self.done + _PROGRESS_STEP
            self.progress(min(self.done, self.total), self.total, self.label)

    def counted(self, records: Iterable[Record]) -> Iterator[Record]:
        n = 0
        for record in records:
            yield record
            n += 1
            if n == 1000:
                self.add(n)
                n = 0
        self.add(n)


def _plan_units(gen: _Generator, persons: int, staff: list[_Staff]) -> list[list[int]]:
    """Sizes of the units (1 = person alone) registered by each staff member."""
    rng = gen.rng
    mean_size = sum(s * w for s, w in HOUSEHOLD_SIZE_WEIGHTS) / sum(
        w for _s, w in HOUSEHOLD_SIZE_WEIGHTS
    )
    # share of units that are households so that HOUSEHOLD_SHARE of persons live in one
    p_household = HOUSEHOLD_SHARE / ((1 - HOUSEHOLD_SHARE) * mean_size + HOUSEHOLD_SHARE)
    by_casa: dict[str, list[int]] = defaultdict(list)
    for i, member in enumerate(staff):
        by_casa[member.casa].append(i)
    units: list[list[int]] = [[] for _s in staff]
    remaining = persons
    while remaining > 0:
        size = 1
        if remaining >= 2 and rng.random() < p_household:
            size = min(int(gen.pick_household_size()), remaining)
        members = by_casa[gen.casas[int(gen.pick_casa_index())]]
        who = members[0] if len(members) == 1 or rng.random() < 0.6 else members[1]
        units[who].append(size)
        remaining -= size
    return units


def _write_persons(
    store: Store, gen: _Generator, staff: list[_Staff], units: list[list[int]], counter: _Counter
) -> None:
    stats = gen.stats
    for index, member in enumerate(staff):
        sizes = units[index]
        if not sizes:
            continue
        origin = Origin(casa=member.casa, installation=gen.installation_of(member.casa))
        with store.transaction(member.id, origin=origin) as tx:
            for start in range(0, len(sizes), _CHUNK_UNITS):
                households: list[Record] = []
                persons: list[Record] = []
                members: list[Record] = []
                documents: list[Record] = []
                for size in sizes[start:start + _CHUNK_UNITS]:
                    household, p, m, d = gen.unit(size, member, index)
                    if household is not None:
                        households.append(household)
                    persons.extend(p)
                    members.extend(m)
                    documents.extend(d)
                stats.households += tx.create_many("household", households)
                stats.persons += tx.create_many("person", persons)
                stats.household_members += tx.create_many("household_member", members)
                stats.documents += tx.create_many("document", documents)
                counter.add(len(persons))


def _write_consultations(
    store: Store, gen: _Generator, staff: list[_Staff], total: int, counter: _Counter
) -> None:
    plan = gen.consultation_plan(total, staff)
    templates = [gen.templates(kind) for kind in (_REGISTRATION, _RETURN_VISIT, _ANONYMOUS)]
    for index, member in enumerate(staff):
        if not plan[index]:
            continue
        origin = Origin(casa=member.casa, installation=gen.installation_of(member.casa))
        with store.transaction(member.id, origin=origin) as tx:
            gen.stats.consultations += tx.create_many(
                "consultation", counter.counted(gen.consultations(plan[index], member, templates))
            )


def _write_community(store: Store, gen: _Generator, staff: list[_Staff], seed: int) -> None:
    """Events and migrant organisations (``services.demo_community``), signed by a member of
    each casa's staff; migratones on the campaign Saturdays of the consultations."""
    signer: dict[str, str] = {}
    for member in staff:
        signer.setdefault(member.casa, member.id)
    contacts = [f"{given} {surname}" for given, surname in zip(
        gen.lists.given[("F", "VE")][::3][:12], gen.lists.surnames["VE"][::5][:12], strict=False)]
    community = write_demo_community(
        store, seed, gen.today, gen.casas, signer=signer.__getitem__,
        installation_of=gen.installation_of, contacts=contacts,
        campaign_days=[dt.date.fromordinal(gen.day_ord[i]) for i in gen.campaign_days])
    gen.stats.events = community.events
    gen.stats.event_attendees = community.attendees
    gen.stats.organisations = community.organisations


def build_demo(
    data_dir: Path,
    persons: int,
    consultations: int | None = None,
    seed: int = 1,
    casa: str | None = None,
    progress: Progress | None = None,
    *,
    today: dt.date | None = None,
    credentials: Credentials | None = None,
    only_casa: bool = False,
) -> DemoStats:
    """Fill the empty data folder ``data_dir`` with synthetic data; returns what was made.

    ``consultations`` defaults to five per person. ``today`` is the reference date (the
    consultations cover the two years before it). Raises ``OmaError`` if the folder
    already holds persons. With ``credentials`` the folder is encrypted, its first account
    is ``credentials`` (the administrator) and every other role gets a demo account with the
    same password (``services.accounts.demo_accounts``).

    ``only_casa`` (with ``casa``): the folder gets only that casa's staff, persons,
    consultations and referrals, logged under the folder's own installation (not the
    synthetic demo ones), so they are this PC's work and travel in its sync file
    (``oma-desktop --casa CV1 demo``, ``demo-network``).
    """
    if persons < 1:
        raise OmaError(_("The number of persons must be at least 1."))
    total = CONSULTATIONS_PER_PERSON * persons if consultations is None else consultations
    if total < 0:
        raise OmaError(_("The number of consultations cannot be negative."))
    if casa is None and not DataPaths(Path(data_dir)).database.exists():
        casa = load_catalogs().casas[0].code  # demonstration data: the first casa's, said so
    ctx = open_context(data_dir, casa=casa, credentials=credentials,
                       program=_("the demo-data builder"))
    try:
        store = ctx.session.store
        existing = int(store.scalar("SELECT count(*) FROM person") or 0)
        if existing:
            raise OmaError(
                _(
                    "The data folder {folder} already has {count} persons. Demo data can "
                    "only be created in a new, empty data folder: choose another folder."
                ).format(folder=data_dir, count=existing)
            )
        rng = random.Random(seed)
        if only_casa and casa is None:
            raise OmaError(_("Say which casa the demo data is for (--casa CV1)."))
        own = store.installation_id
        gen = _Generator(rng, today or dt.date.today(), ctx.catalogs,
                         casas=[store.casa_id] if only_casa else None,
                         installation_of=(lambda _casa: own) if only_casa else None)
        counter = _Counter(progress, persons + total)
        previous_cache = store.scalar("PRAGMA cache_size")
        store.conn.execute("PRAGMA cache_size = -262144")  # 256 MiB while bulk loading
        try:
            # written in many transactions: an interruption leaves a mark for `check`
            with job_marker(store, "demo", str(data_dir), keep_on_error=True):
                staff = gen.staff()
                for casa_code in gen.casas:
                    mine = [s for s in staff if s.casa == casa_code]
                    origin = Origin(casa=casa_code, installation=gen.installation_of(casa_code))
                    with store.transaction(SYSTEM_USER, origin=origin) as tx:
                        gen.stats.staff_users += tx.create_many("app_user", (
                            {"id": s.id, "username": s.username, "display_name": s.display_name,
                             "role": "recepcion", "casa_id": s.casa}
                            for s in mine
                        ))
                units = _plan_units(gen, persons, staff)
                _write_persons(store, gen, staff, units, counter)
                _write_consultations(store, gen, staff, total, counter)
                gen.stats.referrals = write_demo_referrals(
                    store, rng, gen.today, {t.code: t.name_es for t in ctx.catalogs.topics},
                    installation_of=gen.installation_of)
                _write_community(store, gen, staff, seed)
                store.set_meta("demo_seed", str(seed))
                store.conn.execute("PRAGMA analysis_limit = 1000")
                store.conn.execute("ANALYZE")
                store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            store.conn.execute(f"PRAGMA cache_size = {int(previous_cache)}")
        if progress is not None and counter.done < counter.total:
            progress(counter.total, counter.total, counter.label)
        if ctx.vault is not None and credentials is not None:
            demo_accounts(store, ctx.vault, credentials.password, SYSTEM_USER)
        return gen.stats
    finally:
        ctx.close()


def _check_vocabularies() -> None:
    """The codes used here must exist in ``core.vocab`` (tested)."""
    pairs: list[tuple[Iterable[str | None], tuple[str, ...]]] = [
        ([c for c, _w in MIGRATORY_STATUS_WEIGHTS] + ["nacional"], codes(MIGRATORY_STATUS)),
        ([s for v in REGULARIZATION_STAGE_WEIGHTS.values() for s, _w in v if s],
         codes(REGULARIZATION_STAGE)),
        ([c for c, _w in CHANNEL_WEIGHTS], codes(CHANNELS)),
        ([c for c, _w in MEMBER_RELATIONSHIP_WEIGHTS] + ["jefe_hogar", "conyuge"],
         codes(RELATIONSHIPS)),
        ([c for c, _w in SEX_WEIGHTS], codes(SEX)),
    ]
    for used, known in pairs:
        unknown = set(used) - set(known)
        if unknown:
            raise AssertionError(f"demo uses unknown codes {sorted(map(str, unknown))}")


__all__ = ["DemoStats", "build_demo", "demo_installation_id"]
