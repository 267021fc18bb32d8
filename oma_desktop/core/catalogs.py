"""Reference catalogs bundled in ``resources/catalogs/*.csv`` (Qt-free).

Every catalog is a UTF-8 CSV with a ``source`` column saying where each row's facts come from.
:func:`load_catalogs` reads and validates all of them at once and returns an immutable
:class:`Catalogs`; anything malformed raises :class:`CatalogError` naming the file and the row,
so a bad edit to a bundled file fails loudly at start-up instead of showing up as a wrong label.

Files and their key columns:

* ``districts.csv`` - 43 Lima + 7 Callao districts keyed by 6-digit INEI ubigeo.
* ``document_types.csv`` - identity / migratory documents with an optional number regex.
* ``axes.csv`` - the six axes of the MML capacity plan.
* ``r4v_sectors.csv`` - R4V sectors, sub-sectors and the CVA cross-cutting theme.
* ``topics.csv`` - consultation topics; each maps to one axis and one R4V sector, and says
  whether it is ``sensitive`` (with its ``sensitive_reason``): the content of a consultation
  on a sensitive topic is withheld from roles that may not see sensitive data.
* ``casas.csv`` - default codes and names of the six casas vecinales (editable in the app).
* ``institutions.csv`` - referral directory: the reference's research columns (English
  notes, kept as gathered) and the person-facing ``*_es`` columns condensed from them and
  their sources (``resources/catalogs/README.md``), which the seeded directory and the slips
  use; ``district_ubigeo`` must be a district of ``districts.csv``.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NoReturn, TypeVar

from oma_desktop.core.text import normalize_document_number
from oma_desktop.paths import resources_dir

__all__ = [
    "Axis",
    "CasaDefault",
    "CatalogError",
    "Catalogs",
    "District",
    "DocumentType",
    "Institution",
    "R4VSector",
    "Topic",
    "clear_catalog_cache",
    "load_catalogs",
    "normalize_document_number",
]

DISTRICTS_FILE = "districts.csv"
DOCUMENT_TYPES_FILE = "document_types.csv"
AXES_FILE = "axes.csv"
R4V_SECTORS_FILE = "r4v_sectors.csv"
TOPICS_FILE = "topics.csv"
CASAS_FILE = "casas.csv"
INSTITUTIONS_FILE = "institutions.csv"

SECTOR_KINDS = frozenset({"sector", "sub-sector", "cross-cutting"})

_UBIGEO_RE = re.compile(r"\d{6}")
# Separators people type or paste inside document numbers: whitespace, dots, hyphens
# (including Unicode dashes from word processors) and slashes.
class CatalogError(ValueError):
    """A bundled catalog file is missing or malformed."""


def _is_english(lang: str) -> bool:
    return lang.strip().lower().replace("-", "_").split("_", 1)[0] == "en"


def _pick(lang: str, name_es: str, name_en: str) -> str:
    """English name for ``en``/``en_*`` when there is one, Spanish otherwise."""
    if _is_english(lang) and name_en:
        return name_en
    return name_es


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class District:
    """One district of Lima province or Callao (``districts.csv``)."""

    ubigeo: str
    name: str
    province: str
    department: str
    latitude: float
    longitude: float
    reniec: str
    geo_name_juaneladio: str
    geo_name_joseluisq: str
    source: str
    inei_name: str = ""
    status: str = ""
    notes: str = ""

    def label(self, lang: str = "es") -> str:
        """Display name (Spanish in every language: it is a proper name)."""
        del lang
        return self.name


@dataclass(frozen=True)
class DocumentType:
    """An identity or migratory document (``document_types.csv``).

    ``number_pattern`` is a regex that a *normalised* number must fullmatch; empty when no
    format is sourced, in which case any number is accepted.
    """

    code: str
    name_es: str
    name_en: str
    number_pattern: str
    expires: bool
    order: int
    source: str
    notes: str = ""

    def label(self, lang: str = "es") -> str:
        """The name with its acronym, as clerks know the cards: ``Carné de extranjería (CE)``."""
        name = _pick(lang, self.name_es, self.name_en)
        if self.is_acronym and f"({self.code})" not in name:
            name = f"{name} ({self.code})"
        return name

    @property
    def is_acronym(self) -> bool:
        """``DNI``, ``CE``, ``PTP``, ``CPP``, ``CSR``: the code is what is printed on the card."""
        return len(self.code) <= 3 and self.code.isalpha() and self.code.isupper()

    @property
    def has_pattern(self) -> bool:
        return bool(self.number_pattern)

    def matches(self, number: str) -> bool:
        """Whether ``number`` (normalised first) is a valid number for this document type.

        Without a sourced pattern every number is accepted, including an empty one.
        """
        if not self.number_pattern:
            return True
        return re.fullmatch(self.number_pattern, normalize_document_number(number)) is not None


@dataclass(frozen=True)
class Axis:
    """An axis of the MML capacity plan (``axes.csv``)."""

    code: str
    name_es: str
    name_en: str
    order: int
    source: str

    def label(self, lang: str = "es") -> str:
        return _pick(lang, self.name_es, self.name_en)


@dataclass(frozen=True)
class R4VSector:
    """An R4V sector, sub-sector (``parent`` set) or cross-cutting theme (``r4v_sectors.csv``)."""

    code: str
    name_es: str
    name_en: str
    kind: str
    parent: str | None
    order: int
    source: str

    def label(self, lang: str = "es") -> str:
        return _pick(lang, self.name_es, self.name_en)


@dataclass(frozen=True)
class Topic:
    """A consultation topic recorded at the front desk (``topics.csv``)."""

    code: str
    name_es: str
    name_en: str
    axis: str
    r4v_sector: str
    demo_weight: int
    order: int
    source: str
    sensitive: bool = False  # health, gender-based violence, trafficking... (see the CSV)
    sensitive_reason: str = ""

    def label(self, lang: str = "es") -> str:
        return _pick(lang, self.name_es, self.name_en)


@dataclass(frozen=True)
class CasaDefault:
    """Default code/name of a casa vecinal (``casas.csv``); the real ones are set in the app."""

    code: str
    name: str
    address: str
    source: str

    def label(self, lang: str = "es") -> str:
        del lang
        return self.name


@dataclass(frozen=True)
class Institution:
    """A referral-directory entry (``institutions.csv``).

    Free-text columns keep the reference's wording, including "not found" markers: an address
    or phone is never invented. ``sources`` is the reference's original column; ``source`` is
    the row's provenance (same text, or a statement that nothing was found).

    The ``*_es`` fields are what a person reads (directory, slips): plain Spanish condensed
    from the research columns and their sources, empty where the sources give nothing;
    ``district_ubigeo`` is the district of ``address_es`` (None without an address in
    Lima or Callao); ``checked_on`` (ISO date) is when they were written from the sources.
    """

    code: str
    ref_id: str
    name: str
    name_es: str
    acronym: str
    kind: str
    services: str
    typical_requirements: str
    address: str
    phone_email: str
    hours: str
    sources: str
    notes: str
    source: str
    # the Spanish name people read, where the reference's name_es is not (revision 2 on)
    display_name_es: str
    kind_es: str
    description_es: str
    requirements_es: str
    address_es: str
    district_ubigeo: str | None
    phone_es: str
    hours_es: str
    checked_on: str

    def label(self, lang: str = "es") -> str:
        return _pick(lang, self.name_es, self.name)


# --------------------------------------------------------------------------- container

_K = TypeVar("_K")
_V = TypeVar("_V")


def _lookup(table: Mapping[_K, _V], key: _K, what: str) -> _V:
    try:
        return table[key]
    except KeyError:
        raise KeyError(f"unknown {what}: {key!r}") from None


@dataclass(frozen=True)
class Catalogs:
    """All reference catalogs. Tuples are in display order; lookups raise ``KeyError``."""

    districts: tuple[District, ...]
    document_types: tuple[DocumentType, ...]
    axes: tuple[Axis, ...]
    r4v_sectors: tuple[R4VSector, ...]
    topics: tuple[Topic, ...]
    casas: tuple[CasaDefault, ...]
    institutions: tuple[Institution, ...]

    _districts: dict[str, District] = field(init=False, repr=False, compare=False, hash=False)
    _document_types: dict[str, DocumentType] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _axes: dict[str, Axis] = field(init=False, repr=False, compare=False, hash=False)
    _r4v_sectors: dict[str, R4VSector] = field(init=False, repr=False, compare=False, hash=False)
    _topics: dict[str, Topic] = field(init=False, repr=False, compare=False, hash=False)
    _casas: dict[str, CasaDefault] = field(init=False, repr=False, compare=False, hash=False)
    _institutions: dict[str, Institution] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_districts", {d.ubigeo: d for d in self.districts})
        object.__setattr__(self, "_document_types", {d.code: d for d in self.document_types})
        object.__setattr__(self, "_axes", {a.code: a for a in self.axes})
        object.__setattr__(self, "_r4v_sectors", {s.code: s for s in self.r4v_sectors})
        object.__setattr__(self, "_topics", {t.code: t for t in self.topics})
        object.__setattr__(self, "_casas", {c.code: c for c in self.casas})
        object.__setattr__(self, "_institutions", {i.code: i for i in self.institutions})

    def district(self, ubigeo: str) -> District:
        return _lookup(self._districts, ubigeo, "district ubigeo")

    def document_type(self, code: str) -> DocumentType:
        return _lookup(self._document_types, code, "document type")

    def axis(self, code: str) -> Axis:
        return _lookup(self._axes, code, "axis")

    def r4v_sector(self, code: str) -> R4VSector:
        return _lookup(self._r4v_sectors, code, "R4V sector")

    def topic(self, code: str) -> Topic:
        return _lookup(self._topics, code, "topic")

    def casa(self, code: str) -> CasaDefault:
        return _lookup(self._casas, code, "casa")

    def institution(self, code: str) -> Institution:
        return _lookup(self._institutions, code, "institution")

    @property
    def sensitive_topics(self) -> frozenset[str]:
        """Codes of the topics whose consultations only some roles may read."""
        return frozenset(t.code for t in self.topics if t.sensitive)

    def topics_for_axis(self, axis: str) -> tuple[Topic, ...]:
        return tuple(t for t in self.topics if t.axis == axis)


# --------------------------------------------------------------------------- reading


class _Row:
    """One CSV data row with helpers that raise :class:`CatalogError` pointing at it."""

    def __init__(self, file: str, number: int, line: int, values: dict[str, str]) -> None:
        self.file = file
        self.number = number
        self.line = line
        self.values = values

    def error(self, message: str) -> CatalogError:
        return CatalogError(f"{self.file}, row {self.number} (line {self.line}): {message}")

    def text(self, column: str, *, required: bool = True) -> str:
        value = self.values[column].strip()
        if required and not value:
            return self._fail(f"empty {column!r}")
        return value

    def integer(self, column: str, *, minimum: int | None = None) -> int:
        raw = self.text(column)
        try:
            value = int(raw)
        except ValueError:
            return self._fail(f"{column!r} is not an integer: {raw!r}")
        if minimum is not None and value < minimum:
            return self._fail(f"{column!r} must be >= {minimum}, got {value}")
        return value

    def number_value(self, column: str) -> float:
        raw = self.text(column)
        try:
            return float(raw)
        except ValueError:
            return self._fail(f"{column!r} is not a number: {raw!r}")

    def flag(self, column: str) -> bool:
        raw = self.text(column)
        if raw not in ("0", "1"):
            return self._fail(f"{column!r} must be 0 or 1, got {raw!r}")
        return raw == "1"

    def _fail(self, message: str) -> NoReturn:
        raise self.error(message)


def _read(directory: Path, file: str, required: Sequence[str]) -> list[_Row]:
    """Rows of ``directory/file`` after checking columns, field counts and ``source``."""
    path = directory / file
    columns = (*required, "source") if "source" not in required else tuple(required)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, restval=None, restkey=None)
            header = reader.fieldnames
            if not header:
                raise CatalogError(f"{file}: empty file (no header row)")
            missing = [c for c in columns if c not in header]
            if missing:
                raise CatalogError(f"{file}: missing required column(s): {', '.join(missing)}")
            duplicated = sorted({c for c in header if header.count(c) > 1})
            if duplicated:
                raise CatalogError(f"{file}: repeated column(s): {', '.join(duplicated)}")
            rows: list[_Row] = []
            for number, raw in enumerate(reader, start=1):
                row = _Row(file, number, reader.line_num, {})
                if None in raw:
                    raise row.error("more fields than the header has columns")
                if any(value is None for value in raw.values()):
                    raise row.error("fewer fields than the header has columns")
                row.values = {key: value for key, value in raw.items() if key is not None}
                if not row.values["source"].strip():
                    raise row.error("empty 'source': every row must say where it comes from")
                rows.append(row)
    except FileNotFoundError:
        raise CatalogError(f"{file}: file not found in {directory}") from None
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{file}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise CatalogError(f"{file}: malformed CSV: {exc}") from None
    if not rows:
        raise CatalogError(f"{file}: no data rows")
    return rows


_T = TypeVar("_T")


def _unique(rows: Iterable[_Row], key: str, build: Callable[[_Row], _T]) -> Iterator[_T]:
    """Build each row, refusing a repeated ``key`` value."""
    seen: dict[str, int] = {}
    for row in rows:
        value = row.text(key)
        if value in seen:
            raise row.error(f"repeated {key} {value!r} (first at row {seen[value]})")
        seen[value] = row.number
        yield build(row)


def _by_order(items: Iterable[_T], order: Callable[[_T], int]) -> tuple[_T, ...]:
    return tuple(sorted(items, key=order))


def _district(row: _Row) -> District:
    ubigeo = row.text("ubigeo")
    if not _UBIGEO_RE.fullmatch(ubigeo):
        raise row.error(f"ubigeo must be 6 digits, got {ubigeo!r}")
    latitude = row.number_value("latitude")
    longitude = row.number_value("longitude")
    if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
        raise row.error(f"coordinates out of range: {latitude}, {longitude}")
    return District(
        ubigeo=ubigeo,
        name=row.text("name"),
        province=row.text("province"),
        department=row.text("department"),
        latitude=latitude,
        longitude=longitude,
        reniec=row.text("reniec"),
        geo_name_juaneladio=row.text("name_in_juaneladio_geojson_NOMBDIST", required=False),
        geo_name_joseluisq=row.text("name_in_joseluisq_geojson_distrito", required=False),
        source=row.text("source"),
        inei_name=row.values.get("inei_name", "").strip(),
        status=row.values.get("status", "").strip(),
        notes=row.values.get("notes", "").strip(),
    )


def _document_type(row: _Row) -> DocumentType:
    pattern = row.text("number_pattern", required=False)
    if pattern:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise row.error(f"invalid number_pattern {pattern!r}: {exc}") from None
    return DocumentType(
        code=row.text("code"),
        name_es=row.text("name_es"),
        name_en=row.text("name_en"),
        number_pattern=pattern,
        expires=row.flag("expires"),
        order=row.integer("order"),
        source=row.text("source"),
        notes=row.values.get("notes", "").strip(),
    )


def _axis(row: _Row) -> Axis:
    return Axis(
        code=row.text("code"),
        name_es=row.text("name_es"),
        name_en=row.text("name_en"),
        order=row.integer("order"),
        source=row.text("source"),
    )


def _sector(row: _Row) -> R4VSector:
    kind = row.text("kind")
    if kind not in SECTOR_KINDS:
        raise row.error(f"kind must be one of {sorted(SECTOR_KINDS)}, got {kind!r}")
    parent = row.text("parent", required=False) or None
    if (kind == "sub-sector") != (parent is not None):
        raise row.error("a sub-sector needs a parent, and only a sub-sector has one")
    return R4VSector(
        code=row.text("code"),
        name_es=row.text("name_es"),
        name_en=row.text("name_en"),
        kind=kind,
        parent=parent,
        order=row.integer("order"),
        source=row.text("source"),
    )


def _topic(row: _Row) -> Topic:
    return Topic(
        code=row.text("code"),
        name_es=row.text("name_es"),
        name_en=row.text("name_en"),
        axis=row.text("axis"),
        r4v_sector=row.text("r4v_sector"),
        demo_weight=row.integer("demo_weight", minimum=0),
        order=row.integer("order"),
        source=row.text("source"),
        sensitive=row.flag("sensitive"),
        sensitive_reason=row.text("sensitive_reason"),
    )


def _casa(row: _Row) -> CasaDefault:
    return CasaDefault(
        code=row.text("code"),
        name=row.text("name"),
        address=row.text("address", required=False),
        source=row.text("source"),
    )


def _institution(row: _Row) -> Institution:
    return Institution(
        code=row.text("code"),
        ref_id=row.text("id"),
        name=row.text("name"),
        name_es=row.text("name_es", required=False) or row.text("name"),
        acronym=row.text("acronym", required=False),
        kind=row.text("type", required=False),
        services=row.text("services", required=False),
        typical_requirements=row.text("typical_requirements", required=False),
        address=row.text("address", required=False),
        phone_email=row.text("phone_email", required=False),
        hours=row.text("hours", required=False),
        sources=row.text("sources", required=False),
        notes=row.text("notes", required=False),
        source=row.text("source"),
        display_name_es=row.text("display_name_es", required=False),
        kind_es=row.text("kind_es"),
        description_es=row.text("description_es", required=False),
        requirements_es=row.text("requirements_es", required=False),
        address_es=row.text("address_es", required=False),
        district_ubigeo=row.text("district_ubigeo", required=False) or None,
        phone_es=row.text("phone_es", required=False),
        hours_es=row.text("hours_es", required=False),
        checked_on=_iso_date(row, "checked_on"),
    )


def _iso_date(row: _Row, column: str) -> str:
    raw = row.text(column)
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        raise row.error(f"{column!r} must be a date like 2026-12-02, got {raw!r}") from None


_DISTRICT_COLUMNS = (
    "ubigeo",
    "reniec",
    "department",
    "province",
    "name",
    "latitude",
    "longitude",
    "name_in_juaneladio_geojson_NOMBDIST",
    "name_in_joseluisq_geojson_distrito",
)
_DOCUMENT_COLUMNS = ("code", "name_es", "name_en", "number_pattern", "expires", "order")
_AXIS_COLUMNS = ("code", "name_es", "name_en", "order")
_SECTOR_COLUMNS = ("code", "name_en", "name_es", "kind", "parent", "order")
_TOPIC_COLUMNS = ("code", "name_es", "name_en", "axis", "r4v_sector", "demo_weight", "order",
                  "sensitive", "sensitive_reason")
_CASA_COLUMNS = ("code", "name", "address")
_INSTITUTION_COLUMNS = (
    "code",
    "id",
    "name",
    "name_es",
    "acronym",
    "type",
    "services",
    "typical_requirements",
    "address",
    "phone_email",
    "hours",
    "sources",
    "notes",
    "kind_es",
    "description_es",
    "requirements_es",
    "address_es",
    "district_ubigeo",
    "phone_es",
    "hours_es",
    "checked_on",
)


def _catalog_dir(root: Path) -> Path:
    """``root`` may be the resources folder (holding ``catalogs/``) or the catalogs folder."""
    nested = root / "catalogs"
    return nested if nested.is_dir() else root


@functools.lru_cache(maxsize=8)
def _load(directory: Path) -> Catalogs:
    districts = tuple(
        _unique(_read(directory, DISTRICTS_FILE, _DISTRICT_COLUMNS), "ubigeo", _district)
    )
    document_types = _by_order(
        _unique(_read(directory, DOCUMENT_TYPES_FILE, _DOCUMENT_COLUMNS), "code", _document_type),
        lambda d: d.order,
    )
    axes = _by_order(
        _unique(_read(directory, AXES_FILE, _AXIS_COLUMNS), "code", _axis), lambda a: a.order
    )

    sector_rows = _read(directory, R4V_SECTORS_FILE, _SECTOR_COLUMNS)
    sectors = list(_unique(sector_rows, "code", _sector))
    sector_codes = {s.code for s in sectors}
    for row, sector in zip(sector_rows, sectors, strict=True):
        if sector.parent is not None and sector.parent not in sector_codes:
            raise row.error(f"unknown parent sector {sector.parent!r}")

    axis_codes = {a.code for a in axes}
    topic_rows = _read(directory, TOPICS_FILE, _TOPIC_COLUMNS)
    topics = list(_unique(topic_rows, "code", _topic))
    for row, topic in zip(topic_rows, topics, strict=True):
        if topic.axis not in axis_codes:
            raise row.error(f"topic {topic.code!r} has unknown axis {topic.axis!r}")
        if topic.r4v_sector not in sector_codes:
            raise row.error(f"topic {topic.code!r} has unknown r4v_sector {topic.r4v_sector!r}")

    casas = tuple(_unique(_read(directory, CASAS_FILE, _CASA_COLUMNS), "code", _casa))
    institution_rows = _read(directory, INSTITUTIONS_FILE, _INSTITUTION_COLUMNS)
    institutions = tuple(_unique(institution_rows, "code", _institution))
    district_codes = {d.ubigeo for d in districts}
    for row, inst in zip(institution_rows, institutions, strict=True):
        if inst.district_ubigeo is not None and inst.district_ubigeo not in district_codes:
            raise row.error(f"institution {inst.code!r} has unknown district_ubigeo"
                            f" {inst.district_ubigeo!r}")
        if inst.district_ubigeo is not None and not inst.address_es:
            raise row.error(f"institution {inst.code!r} has a district_ubigeo but no address_es")
    return Catalogs(
        districts=districts,
        document_types=document_types,
        axes=axes,
        r4v_sectors=_by_order(sectors, lambda s: s.order),
        topics=_by_order(topics, lambda t: t.order),
        casas=casas,
        institutions=institutions,
    )


def load_catalogs(root: Path | None = None) -> Catalogs:
    """Load and validate every catalog (cached per folder).

    ``root`` is the resources folder (default :func:`oma_desktop.paths.resources_dir`) or the
    ``catalogs`` folder itself. Raises :class:`CatalogError` naming the file and row at fault.
    """
    base = resources_dir() if root is None else root
    return _load(_catalog_dir(base).resolve())


def clear_catalog_cache() -> None:
    """Forget loaded catalogs (tests, or after replacing files on disk)."""
    _load.cache_clear()
