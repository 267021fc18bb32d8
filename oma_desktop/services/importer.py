"""Import the casas' existing Excel/CSV lists of persons (and their consultations).

A column-mapping dialog (or the ``import-persons`` command) drives it step by step:

1. :func:`read_table` reads a CSV (encoding and delimiter detected) or an XLSX sheet into a
   :class:`Table` of strings, with the spreadsheet row number of every data row.
2. :func:`guess_mapping` proposes which :data:`TARGET_FIELDS` each column feeds;
   :func:`check_mapping` says in Spanish what is missing or assigned twice.
3. :func:`plan_import` parses and validates every row (Spanish messages naming the row
   and the column), finds persons repeated within the file or already registered, and
   returns an :class:`ImportPlan` with counts and a preview. Nothing is written.
4. :func:`commit_import` writes the whole plan in one ``Store.transaction``: all or
   nothing, and only when no row has errors.

Rows that match a registered person (same document number, a duplicate score of at
least :data:`MATCH_SCORE`, or the same name with no data contradicting it) do not create
the person again: their consultation is linked to the registered person, and a
consultation already registered (same person, day and topics) is not recorded twice, so
importing the same file twice changes nothing the second time.

Qt-free; every message goes through ``oma_desktop.i18n``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from rapidfuzz import fuzz, process

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.errors import OmaError
from oma_desktop.core.names import PARTICLES, name_groups, nice_case, split_full_name, surnames_of
from oma_desktop.core.store import Store
from oma_desktop.core.text import fold, normalize_document_number, normalize_phone, strip_accents
from oma_desktop.core.vocab import CHANNELS, MIGRATORY_STATUS, SEX, Vocabulary, label
from oma_desktop.i18n import N_, _, country_name, current_language, format_date, ngettext
from oma_desktop.services.consultations import ConsultationInput, consultation_fields, validate_consultation
from oma_desktop.services.duplicates import find_duplicates, name_similarity
from oma_desktop.services.persons import (
    DocumentInput,
    PersonInput,
    age_on,
    validate_person,
    write_new_person,
)

__all__ = [
    "MATCH_SCORE",
    "TARGET_FIELDS",
    "ImportOptions",
    "ImportPlan",
    "ImportResult",
    "PlannedRow",
    "PreviewRow",
    "Resolved",
    "RowIssue",
    "Table",
    "TargetField",
    "ValueParser",
    "check_mapping",
    "commit_import",
    "guess_mapping",
    "parse_age",
    "parse_date",
    "parse_datetime",
    "plan_import",
    "read_table",
    "split_full_name",
    "target_label",
]

# A registered person whose duplicate score reaches this is taken as the same person.
MATCH_SCORE = 90
# Below this, a duplicate candidate is not even mentioned (duplicates.THRESHOLD is 60).
WARN_SCORE = 60
# Minimum rapidfuzz scores for values matched by similarity (shown as warnings).
TOPIC_SCORE = 86
DISTRICT_SCORE = 88
COUNTRY_SCORE = 88
# A document number shared with a person whose name is this different is a conflict.
SAME_NAME_SCORE = 70
PREVIEW_ROWS = 20
_SNIFF_LINES = 50
_MAX_TITLE_ROWS = 5


# --------------------------------------------------------------------------- table


@dataclass
class Table:
    """The cells of one CSV file or XLSX sheet, as trimmed strings.

    ``row_numbers[i]`` is the spreadsheet row (1-based, counting the header and any
    skipped empty row) of ``rows[i]``, so messages point where the clerk will look.
    """

    headers: list[str]
    rows: list[list[str]]
    sheet_names: list[str] = field(default_factory=list)
    sheet: str = ""
    header_row: int = 1
    row_numbers: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.row_numbers:
            self.row_numbers = [self.header_row + 1 + i for i in range(len(self.rows))]
        width = len(self.headers)
        self.rows = [(r + [""] * (width - len(r)))[:width] for r in self.rows]


def _clean_header(value: str) -> str:
    return " ".join(value.split())


def _cell_text(value: Any) -> str:
    """An XLSX cell as text: dates in ISO, whole numbers without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value).strip()


def _build_table(
    raw: Iterable[tuple[int, list[str]]], path: Path, sheet_names: list[str], sheet: str
) -> Table:
    """Header = first non-empty row (a lone title cell above the real header is skipped)."""
    numbered = [(n, cells) for n, cells in raw if any(c for c in cells)]
    if not numbered:
        if sheet:
            raise OmaError(
                _("The sheet «{sheet}» of {path} is empty: it has no rows to import.").format(
                    sheet=sheet, path=path.name
                )
            )
        raise OmaError(
            _("The file {path} is empty: it has no rows to import.").format(path=path.name)
        )
    start = 0
    # "PADRÓN DE VECINOS MIGRANTES - CV1" above the real header row
    while (
        start < min(_MAX_TITLE_ROWS, len(numbered) - 1)
        and sum(1 for c in numbered[start][1] if c) == 1
        and sum(1 for c in numbered[start + 1][1] if c) >= 2
    ):
        start += 1
    header_number, header = numbered[start]
    body = numbered[start + 1 :]
    width = max([len(header), *(len(cells) for _n, cells in body)])
    # drop trailing columns that have neither a header nor any value
    used = [i for i in range(width) if (i < len(header) and header[i]) or any(
        i < len(cells) and cells[i] for _n, cells in body)]
    width = used[-1] + 1 if used else 0
    headers = [_clean_header(h) for h in (header + [""] * width)[:width]]
    return Table(
        headers=headers,
        rows=[(cells + [""] * width)[:width] for _n, cells in body],
        sheet_names=sheet_names,
        sheet=sheet,
        header_row=header_number,
        row_numbers=[n for n, _cells in body],
    )


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _detect_delimiter(text: str) -> str:
    """``;``, ``,`` or tab: the one that splits the first lines into the most regular columns."""
    sample = [line for line in text.splitlines()[:_SNIFF_LINES] if line.strip()]
    best, best_score = ",", (-1, -1)
    for delimiter in (";", ",", "\t"):
        try:
            widths = [len(r) for r in csv.reader(sample, delimiter=delimiter)]
        except csv.Error:
            continue
        wide = [w for w in widths if w > 1]
        if not wide:
            continue
        # the most frequent width over one column (a title line above the header is ignored)
        common = max(set(wide), key=lambda w: (wide.count(w), w))
        score = (wide.count(common), common)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(path: Path, data: bytes) -> Table:
    text = _decode(data)
    delimiter = _detect_delimiter(text)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        raw = [(n, [c.strip() for c in row]) for n, row in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise OmaError(
            _(
                "The file {path} is not a readable CSV ({error}). Open it in Excel and save it "
                "again as «CSV (delimitado por comas)»."
            ).format(path=path.name, error=exc)
        ) from exc
    return _build_table(raw, path, [], "")


def _xlsx_rows(ws: Any) -> Iterator[tuple[int, list[str]]]:
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        yield number, [_cell_text(v) for v in values]


def _read_xlsx(path: Path, sheet: str | None) -> Table:
    import openpyxl

    damaged = _(
        "The file {path} is not a valid Excel file or is damaged (if it has a password, remove "
        "it). Open it in Excel, save it again as .xlsx and retry."
    ).format(path=path.name)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about extensions it ignores (data validation, slicers...)
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        if isinstance(exc, PermissionError):
            raise
        raise OmaError(damaged) from exc
    try:
        names = list(wb.sheetnames)
        if sheet is None:
            if not names:
                raise OmaError(damaged)
            chosen = names[0]
        else:
            matches = [n for n in names if n == sheet] or [
                n for n in names if fold(n) == fold(sheet)
            ]
            if not matches:
                raise OmaError(
                    _("The file {path} has no sheet named «{sheet}». Its sheets are: {sheets}.").format(
                        path=path.name, sheet=sheet, sheets=", ".join(f"«{n}»" for n in names)
                    )
                )
            chosen = matches[0]
        ws = wb[chosen]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = list(_xlsx_rows(ws))
        return _build_table(raw, path, names, chosen)
    finally:
        wb.close()


def read_table(path: Path | str, sheet: str | None = None) -> Table:
    """Read a CSV or XLSX list; raises :class:`OmaError` with what to do when it cannot."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xls", ".xlsb"):
        raise OmaError(
            _(
                "The file {path} is in the old Excel format ({suffix}). Open it in Excel and save "
                "it as «Libro de Excel (.xlsx)» or as CSV, then import that file."
            ).format(path=path.name, suffix=suffix)
        )
    if suffix == ".ods":
        raise OmaError(
            _(
                "The file {path} is a LibreOffice spreadsheet (.ods). Save it as .xlsx or CSV "
                "and import that file."
            ).format(path=path.name)
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise OmaError(
            _("The file {path} does not exist. Check the name and the folder.").format(path=path)
        ) from exc
    except IsADirectoryError as exc:
        raise OmaError(
            _("{path} is a folder, not a file. Choose the Excel or CSV file.").format(path=path)
        ) from exc
    except OSError as exc:
        raise OmaError(
            _(
                "The file {path} cannot be read: it may be open in another program or you may "
                "have no permission. Close it and try again."
            ).format(path=path)
        ) from exc
    if data.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        try:
            return _read_xlsx(path, sheet)
        except PermissionError as exc:
            raise OmaError(
                _(
                    "The file {path} cannot be read: it may be open in another program or you "
                    "may have no permission. Close it and try again."
                ).format(path=path)
            ) from exc
    if data.startswith(b"\xd0\xcf\x11\xe0") or b"\x00" in data[:4096]:
        raise OmaError(
            _(
                "The file {path} is not a list that can be imported. Save it from Excel as .xlsx "
                "or as CSV and import that file."
            ).format(path=path.name)
        )
    return _read_csv(path, data)


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class TargetField:
    """A field a column can feed. ``label`` is a msgid: show it with ``_()``."""

    key: str
    label: str
    group: Literal["person", "consultation"] = "person"
    # several columns may feed it: their texts are joined
    multiple: bool = False


TARGET_FIELDS: tuple[TargetField, ...] = (
    TargetField("full_name", N_("Full name (surnames and given names)")),
    TargetField("given_names", N_("Given names")),
    TargetField("paternal_surname", N_("Paternal surname")),
    TargetField("maternal_surname", N_("Maternal surname")),
    TargetField("surnames", N_("Both surnames")),
    TargetField("sex", N_("Sex")),
    TargetField("birth_date", N_("Birth date")),
    TargetField("age", N_("Age")),
    TargetField("nationality", N_("Nationality")),
    TargetField("doc_type", N_("Document type")),
    TargetField("doc_number", N_("Document number")),
    TargetField("phone", N_("Phone")),
    TargetField("whatsapp", N_("WhatsApp")),
    TargetField("district", N_("District")),
    TargetField("zone", N_("Zone or sector"), multiple=True),
    TargetField("address_ref", N_("Address or reference"), multiple=True),
    TargetField("arrival_date", N_("Arrival date in Peru")),
    TargetField("migratory_status", N_("Migratory situation")),
    TargetField("notes", N_("Observations"), multiple=True),
    TargetField("consultation_date", N_("Consultation date"), "consultation"),
    TargetField("topic", N_("Consultation topic"), "consultation"),
    TargetField("summary", N_("Consultation summary"), "consultation", multiple=True),
    TargetField("actions", N_("Actions taken"), "consultation", multiple=True),
    TargetField("channel", N_("Channel"), "consultation"),
    TargetField("follow_up_date", N_("Follow-up date"), "consultation"),
)
_TARGETS = {t.key: t for t in TARGET_FIELDS}
CONSULTATION_FIELDS = frozenset(t.key for t in TARGET_FIELDS if t.group == "consultation")

# how a date field is named inside a sentence ("la fecha de nacimiento «…» no es…")
_DATE_PHRASES = {
    "birth_date": N_("the birth date"),
    "arrival_date": N_("the arrival date"),
    "consultation_date": N_("the consultation date"),
    "follow_up_date": N_("the follow-up date"),
}


def target_label(key: str) -> str:
    """The translated label of a target field."""
    return _(_TARGETS[key].label)


_NUM = r"(?:n|no|nro|num|numero|number)"
# (pattern on the folded header, ((target, score), ...)): higher scores win conflicts
_HEADER_RULES: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = (
    (r"(apellidos?( y | )nombres?|nombres?( y | )apellidos?|nombres? completos?"
     r"|nombre completo|nombre y apellido|beneficiari[oa]s?|usuari[oa]s?|vecin[oa]s?|persona"
     r"|full name|name)", (("full_name", 90),)),
    (r"(nombres?|primer nombre|nombres? de pila|given names?|first names?)", (("given_names", 95),)),
    (r"(apellido paterno|ap paterno|ape paterno|apell paterno|a paterno|ap pat|apellido pat"
     r"|primer apellido|apellido 1|1er apellido|paterno|paternal surname)",
     (("paternal_surname", 95),)),
    (r"(apellido materno|ap materno|ape materno|apell materno|a materno|ap mat|apellido mat"
     r"|segundo apellido|apellido 2|2do apellido|materno|maternal surname)",
     (("maternal_surname", 95),)),
    (r"(apellidos?|surnames?|last names?)", (("surnames", 90),)),
    (r"(sexo|genero|sexo genero|sex|gender)", (("sex", 95),)),
    (r"(fecha de nacimiento|fecha nacimiento|fecha nac|f nac|fec nac|f nacimiento|fnac|nacimiento"
     r"|fecha de nac|birth date|date of birth|dob)", (("birth_date", 95),)),
    (r"(edad|edad anos|anos|age)", (("age", 95),)),
    (r"(nacionalidad|pais de origen|pais|pais de nacimiento|nationality|country)",
     (("nationality", 95),)),
    (r"(tipo de documento|tipo documento|tipo de doc|tipo doc|t doc|tipo de documento de identidad"
     r"|document type)", (("doc_type", 95),)),
    (f"({_NUM} (de )?documento( de identidad)?|{_NUM} (de )?doc|documento( de identidad)?"
     f"|doc identidad|doc|dni|dni ce|dni ce pasaporte|dni ce ptp|ce|carne|carnet|{_NUM} (de )?dni"
     "|identificacion|document number|id number)", (("doc_number", 95),)),
    (f"(({_NUM} (de )?)?(celular|telefono|tel|telf|cel|movil|telefono celular|telefono movil"
     "|telefono de contacto|contacto)|phone|mobile)", (("phone", 95),)),
    (r"(whatsapp|whats app|wsp|wasap|wa)", (("whatsapp", 95),)),
    (r"(distrito|distrito de residencia|distrito residencia|district)", (("district", 95),)),
    (r"(zona|sector|urbanizacion|asentamiento humano|aa hh|ahh|barrio|zona sector|zone)",
     (("zone", 90),)),
    (r"(direccion|domicilio|referencia|direccion referencia|direccion y referencia"
     r"|direccion o referencia|referencia domiciliaria|address)", (("address_ref", 90),)),
    (r"(fecha de llegada|fecha llegada|f llegada|llegada|llegada al peru|fecha de llegada al peru"
     r"|fecha de ingreso|fecha ingreso|ingreso al peru|fecha de ingreso al peru|arrival date)",
     (("arrival_date", 95),)),
    (r"(situacion migratoria|estatus migratorio|status migratorio|condicion migratoria"
     r"|estado migratorio|calidad migratoria|migratory status)", (("migratory_status", 95),)),
    (r"(observaciones?|obs|notas?|comentarios?|notes?)", (("notes", 90),)),
    (r"(fecha de atencion|fecha atencion|f atencion|fecha de consulta|fecha consulta|fecha"
     r"|fecha de registro|consultation date|date)", (("consultation_date", 90),)),
    (r"(temas?|tema de consulta|tema de la consulta|topics?)", (("topic", 95),)),
    (r"(motivo|motivo de consulta|motivo de la consulta|motivo de atencion|tipo de consulta"
     r"|tipo de atencion|servicio)", (("topic", 85), ("summary", 70))),
    (r"(consulta|detalle|detalle de la consulta|descripcion|resumen|caso|summary)",
     (("summary", 90), ("topic", 60))),
    (r"(acciones?|acciones realizadas|accion realizada|atencion brindada|respuesta|derivacion"
     r"|derivado a|actions?)", (("actions", 90),)),
    (r"(canal|canal de atencion|modalidad|medio|via de atencion|channel)", (("channel", 95),)),
    (r"(seguimiento|fecha de seguimiento|fecha seguimiento|proximo seguimiento|f seguimiento"
     r"|follow up|follow up date)", (("follow_up_date", 90),)),
)
_HEADER_PATTERNS = tuple((re.compile(rf"(?:{p})"), targets) for p, targets in _HEADER_RULES)


def _header_candidates(header: str) -> tuple[tuple[str, int], ...]:
    key = fold(header)
    if not key:
        return ()
    for pattern, targets in _HEADER_PATTERNS:
        if pattern.fullmatch(key):
            return targets
    return ()


def guess_mapping(headers: Sequence[str]) -> dict[int, str]:
    """Column index -> target key for the headers recognised (accents and case ignored).

    A single-valued target goes to the best-matching column only; "Motivo" and "Consulta"
    fall back to the summary when another column already holds the topic.
    """
    options = sorted(
        (
            (-score, index, target)
            for index, header in enumerate(headers)
            for target, score in _header_candidates(header)
        ),
    )
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for _score, index, target in options:
        if index in mapping:
            continue
        if target in taken and not _TARGETS[target].multiple:
            continue
        mapping[index] = target
        taken.add(target)
    surnames = {"paternal_surname", "maternal_surname", "surnames", "full_name"}
    if "given_names" in taken and not surnames & taken:
        # a lone "Nombre" column (singular, no surname column) holds the whole name
        for index, target in mapping.items():
            if target == "given_names" and fold(headers[index]) == "nombre":
                mapping[index] = "full_name"
    return dict(sorted(mapping.items()))


# --------------------------------------------------------------------------- options


@dataclass
class ImportOptions:
    """Values for cells the list leaves empty (the dialog lets the coordinator choose them)."""

    default_nationality: str = ""
    default_doc_type: str = ""
    default_topic: str = ""
    default_channel: str = "presencial"


def check_mapping(
    headers: Sequence[str], mapping: dict[int, str], options: ImportOptions | None = None
) -> list[str]:
    """Spanish problems that prevent planning with ``mapping`` (empty when it is usable)."""
    options = options or ImportOptions()
    for index, target in mapping.items():
        if target not in _TARGETS:
            raise ValueError(f"unknown import target {target!r}")
        if not 0 <= index < len(headers):
            raise ValueError(f"column {index} out of range")
    problems: list[str] = []
    by_target: dict[str, list[int]] = {}
    for index, target in sorted(mapping.items()):
        by_target.setdefault(target, []).append(index)
    for target, indexes in by_target.items():
        if len(indexes) > 1 and not _TARGETS[target].multiple:
            problems.append(
                _("«{field}» is assigned to more than one column ({columns}); leave only one.").format(
                    field=target_label(target),
                    columns=", ".join(f"«{_column_name(headers, i)}»" for i in indexes),
                )
            )
    has_given = "full_name" in by_target or "given_names" in by_target
    has_surname = "full_name" in by_target or any(
        k in by_target for k in ("paternal_surname", "maternal_surname", "surnames")
    )
    if not (has_given and has_surname):
        problems.append(
            _("Assign the column with the names: «{full}», or «{given}» and the surnames.").format(
                full=target_label("full_name"), given=target_label("given_names")
            )
        )
    if CONSULTATION_FIELDS & set(by_target):
        if "consultation_date" not in by_target:
            problems.append(
                _("To import consultations, assign the column with the consultation date.")
            )
        if "topic" not in by_target and not options.default_topic:
            problems.append(
                _("To import consultations, assign the topic column or choose a topic for all rows.")
            )
    return problems


def _column_name(headers: Sequence[str], index: int) -> str:
    header = headers[index] if index < len(headers) else ""
    return header or _("column {number}").format(number=index + 1)


# --------------------------------------------------------------------------- value parsing

_TIME = r"(?:[ t]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(?:([ap])\.?\s?m\.?)?)?"
_DMY = re.compile(r"(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{4}|\d{2})" + _TIME)
_YMD = re.compile(r"(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})" + _TIME)
_SERIAL = re.compile(r"(\d{5})(?:\.(\d+))?")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def parse_datetime(text: str, today: dt.date | None = None) -> dt.datetime:
    """``dd/mm/yyyy``, ``dd-mm-yyyy``, ``dd/mm/yy``, ``yyyy-mm-dd`` (ISO from Excel), with an
    optional ``hh:mm``; also an Excel serial day number. Raises ``ValueError``."""
    value = text.strip().lower()
    today = today or dt.date.today()
    match = _YMD.fullmatch(value)
    if match:
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    else:
        match = _DMY.fullmatch(value)
        if match:
            day, month, year = int(match[1]), int(match[2]), int(match[3])
            if len(match[3]) == 2:
                year += 2000 if 2000 + year <= today.year else 1900
        else:
            serial = _SERIAL.fullmatch(value)
            if serial and 10000 <= int(serial[1]) <= 80000:
                return (_EXCEL_EPOCH + dt.timedelta(days=float(value))).replace(
                    second=0, microsecond=0
                )
            raise ValueError(text)
    hour = int(match[4]) if match[4] else 0
    minute = int(match[5]) if match[5] else 0
    if match[7] == "p" and hour < 12:
        hour += 12
    elif match[7] == "a" and hour == 12:
        hour = 0
    if year < 1900:
        raise ValueError(text)
    return dt.datetime(year, month, day, hour, minute)


def parse_date(text: str, today: dt.date | None = None) -> dt.date:
    """A date written as in :func:`parse_datetime` (any time is ignored)."""
    return parse_datetime(text, today).date()


_AGE = re.compile(r"(\d{1,3})(?:[.,]0+)?\s*(?:anos?|a\.?|years?)?")
_MONTHS = re.compile(r"\d{1,2}\s*(?:mes|meses|m|months?)\.?")


def parse_age(text: str) -> int:
    """``35``, ``35 años``, ``35.0``; ``6 meses`` is 0. Raises ``ValueError``."""
    value = strip_accents(text).strip().lower()
    if _MONTHS.fullmatch(value):
        return 0
    match = _AGE.fullmatch(value)
    if not match:
        raise ValueError(text)
    return int(match[1])


@dataclass(frozen=True)
class Resolved:
    """A value recognised in a cell; ``approximate`` when matched by similarity only."""

    code: str
    approximate: bool = False


@dataclass(frozen=True)
class TopicResult:
    """The topics of one cell, with what could not be matched."""

    codes: list[str]
    approximate: list[tuple[str, str]]  # (text written, topic code)
    unknown: list[str]
    ambiguous: list[tuple[str, str, str]]  # (text written, code, other code)


_YES = frozenset({"si", "s", "yes", "y", "x", "1", "true", "verdadero"})
_NO = frozenset({"no", "n", "0", "false", "falso", "ninguno", "ninguna", "na", "n a", "sin"})
_EMPTY_MARKS = frozenset({"", "-", "--", "---", "n a", "na", "nd", "n d", "s d", "sd", "sin dato",
                          "sin datos", "ninguno", "ninguna", "no", "no tiene", "null", "none"})

_SEX_ALIASES = {
    "F": ("f", "fem", "femenino", "femenina", "mujer", "female", "woman", "mujeres"),
    "M": ("m", "masc", "masculino", "hombre", "varon", "male", "man", "h", "hombres"),
    "X": ("x", "no especificado", "no consigna", "no indica", "no precisa", "no registra",
          "nd", "n d", "s d", "sin dato", "not stated", "no sabe", "no responde"),
}
_NATIONALITY_ALIASES = {
    "VE": ("venezolano", "venezolana", "venezolanos", "venezuelan", "ven", "vzla", "venezuela",
           "republica bolivariana de venezuela"),
    "CO": ("colombiano", "colombiana", "colombian", "col"),
    "PE": ("peruano", "peruana", "peruvian", "per", "peruano a"),
    "EC": ("ecuatoriano", "ecuatoriana", "ecuadorian", "ecuadorean", "ecu"),
    "BO": ("boliviano", "boliviana", "bolivian", "bol"),
    "CL": ("chileno", "chilena", "chilean", "chl"),
    "AR": ("argentino", "argentina", "argentine", "argentinian", "arg"),
    "BR": ("brasileno", "brasilena", "brasilero", "brasilera", "brazilian", "bra", "brasil"),
    "PY": ("paraguayo", "paraguaya", "paraguayan", "pry"),
    "UY": ("uruguayo", "uruguaya", "uruguayan", "ury"),
    "HT": ("haitiano", "haitiana", "haitian", "hti"),
    "CU": ("cubano", "cubana", "cuban", "cub"),
    "DO": ("dominicano", "dominicana", "dominican", "dom", "rep dominicana",
           "republica dominicana"),
    "MX": ("mexicano", "mexicana", "mexican", "mex"),
    "PA": ("panameno", "panamena", "panamanian", "pan"),
    "CR": ("costarricense", "costa rican"),
    "NI": ("nicaraguense", "nicaraguan"),
    "HN": ("hondureno", "hondurena", "honduran"),
    "SV": ("salvadoreno", "salvadorena", "salvadoran"),
    "GT": ("guatemalteco", "guatemalteca", "guatemalan"),
    "US": ("estadounidense", "norteamericano", "norteamericana", "american", "usa", "eeuu",
           "ee uu", "e e u u"),
    "ES": ("espanol", "espanola", "spanish", "esp"),
    "CN": ("chino", "china", "chinese", "chn"),
    "XX": ("apatrida", "stateless", "sin nacionalidad"),
}
_DISTRICT_ALIASES = {
    "150101": ("lima", "cercado", "cercado de lima", "lima cercado", "cercado lima",
               "lima centro", "centro de lima"),
    "150103": ("ate vitarte", "vitarte"),
    "150118": ("chosica", "lurigancho"),
    "150120": ("magdalena",),
    "150132": ("sjl", "s j l"),
    "150133": ("sjm", "s j m"),
    "150135": ("smp", "s m p"),
    "150140": ("surco", "santiago de surco"),
    "150142": ("ves", "v e s"),
    "150143": ("vmt", "v m t"),
    "070101": ("callao cercado", "cercado del callao", "cercado de callao"),
    "070103": ("carmen de la legua",),
}
_DOC_ALIASES = {
    "DNI": ("dni", "d n i", "documento nacional de identidad", "libreta electoral"),
    "CE": ("ce", "c e", "carne de extranjeria", "carnet de extranjeria", "carne extranjeria",
           "carnet extranjeria", "extranjeria", "carne", "carnet"),
    "PTP": ("ptp", "permiso temporal de permanencia"),
    "CPP": ("cpp", "carne de permiso temporal de permanencia", "carnet de permiso temporal",
            "carne ptp", "carnet ptp", "carne cpp", "carnet cpp"),
    "CSR": ("csr", "solicitante de refugio", "carne de solicitante de refugio",
            "carnet de solicitante de refugio", "solicitante", "refugio",
            "carne de refugio", "carnet de refugio"),
    "PASAPORTE": ("pasaporte", "pas", "pass", "passport", "pasaporte venezolano"),
    "CEDULA_VE": ("cedula", "cedula venezolana", "cedula de identidad", "cedula de identidad "
                  "venezolana", "ci", "c i", "cedula ve"),
    "OTRO": ("otro", "otros", "other", "salvoconducto"),
    "NINGUNO": ("ninguno", "sin documento", "no tiene", "indocumentado", "indocumentada",
                "none", "s d"),
}
_TOPIC_ALIASES = {
    "REG_CPP_PTP": ("cpp", "ptp", "regularizacion cpp", "regularizacion ptp"),
    "REG_CARNE_EXTRANJERIA": ("carne de extranjeria", "carnet de extranjeria", "ce"),
    "SALUD_SIS": ("salud", "sis"),
    "REFUGIO": ("refugio", "refugiado", "solicitud de asilo", "asilo"),
    "DOC_PASAPORTE": ("pasaporte",),
    "DOC_PARTIDAS": ("apostilla", "partidas", "partida de nacimiento"),
    "APOYO_PSICOSOCIAL": ("psicologico", "apoyo psicologico", "psicologia"),
    "EDUCACION_VACANTE": ("educacion", "vacante", "colegio", "matricula"),
    "ALIMENTACION": ("alimentacion", "alimentos", "canasta", "viveres", "ayuda humanitaria"),
    "VIVIENDA_ALQUILER": ("vivienda", "alquiler", "albergue"),
    "TRANSFERENCIAS": ("bono", "transferencia", "efectivo"),
    "VIOLENCIA_GENERO": ("violencia", "vbg", "violencia familiar"),
    "TRATA": ("trata", "trafico"),
    "ORIENTACION": ("orientacion", "informacion"),
    "EMPADRONAMIENTO": ("empadronamiento", "padron", "registro"),
    "EMPRENDIMIENTO": ("emprendimiento", "negocio"),
    "DISCRIMINACION": ("discriminacion", "xenofobia"),
    "DISCAPACIDAD": ("discapacidad", "conadis"),
    "ADULTOS_MAYORES": ("adulto mayor", "adultos mayores"),
    "CONVALIDACION": ("convalidacion", "revalidacion"),
    "DERECHOS_LABORALES": ("sunafil", "derechos laborales"),
}
_CHANNEL_ALIASES = {
    "presencial": ("presencial", "en persona", "personal", "oficina", "casa vecinal", "in person"),
    "telefono": ("telefono", "telefonica", "telefonico", "llamada", "llamada telefonica", "tel",
                 "celular", "telephone", "phone"),
    "whatsapp": ("whatsapp", "whats app", "wsp", "wasap", "wa"),
    "migraton": ("migraton", "evento", "campana", "feria", "jornada", "event"),
    "otro": ("otro", "otros", "virtual", "correo", "email", "e mail", "facebook", "redes",
             "redes sociales", "videollamada", "zoom", "other"),
}
_STATUS_ALIASES = {
    "regular": ("regular", "con residencia", "residente", "regular con residencia",
                "regularizado", "regularizada"),
    "en_tramite": ("en tramite", "tramite", "en proceso", "regularizacion en tramite",
                   "tramitando"),
    "irregular": ("irregular", "sin papeles", "situacion irregular"),
    "solicitante_refugio": ("solicitante de refugio", "solicitante", "solicitante de asilo",
                            "asylum seeker"),
    "refugiado": ("refugiado", "refugiada", "refugiado reconocido", "refugiada reconocida",
                  "refugiado a reconocido a", "refugee"),
    "nacional": ("nacional", "peruano", "peruana", "peruano a"),
    "desconocido": ("desconocido", "no sabe", "no responde", "no sabe no responde", "ns nr",
                    "nsnr", "sin dato", "sin informacion"),
}


def _vocab_index(vocabulary: Vocabulary, aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for code, msgid in vocabulary:
        index[fold(code)] = code
        index[fold(msgid)] = code
        index[fold(label(vocabulary, code))] = code
    for code, words in aliases.items():
        for word in words:
            index.setdefault(fold(word), code)
    return index


@lru_cache(maxsize=1)
def _country_index() -> tuple[dict[str, str], tuple[str, ...]]:
    """Folded country name/demonym/code -> ISO code, and the names for similarity."""
    from babel import Locale

    index: dict[str, str] = {}
    names: list[str] = []
    for code, words in _NATIONALITY_ALIASES.items():
        for word in words:
            index[fold(word)] = code
    for locale in ("es_PE", "en_US"):
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and code.isalpha():
                key = fold(str(name))
                index.setdefault(key, code)
                names.append(key)
                index.setdefault(fold(code), code)
    return index, tuple(dict.fromkeys(names))


def _split_values(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;,|\n]+", text) if part.strip()]


class ValueParser:
    """Recognises the coded values of a cell against the catalogs and vocabularies."""

    def __init__(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs
        self._sex = _vocab_index(SEX, _SEX_ALIASES)
        self._channels = _vocab_index(CHANNELS, _CHANNEL_ALIASES)
        self._status = _vocab_index(MIGRATORY_STATUS, _STATUS_ALIASES)
        self._countries, self._country_names = _country_index()
        self._districts: dict[str, str] = {}
        for district in catalogs.districts:
            self._districts[district.ubigeo] = district.ubigeo
            for name in (district.name, district.inei_name):
                if name:
                    self._districts[fold(name)] = district.ubigeo
        for ubigeo, words in _DISTRICT_ALIASES.items():
            if ubigeo in {d.ubigeo for d in catalogs.districts}:
                for word in words:
                    self._districts.setdefault(fold(word), ubigeo)
        self._documents: dict[str, str] = {}
        for kind in catalogs.document_types:
            for name in (kind.code, kind.name_es, kind.name_en):
                self._documents[fold(name)] = kind.code
        for code, words in _DOC_ALIASES.items():
            if code in {d.code for d in catalogs.document_types}:
                for word in words:
                    self._documents.setdefault(fold(word), code)
        self._topics: dict[str, str] = {}
        self._topic_names: dict[str, str] = {}
        for topic in catalogs.topics:
            self._topics[fold(topic.code)] = topic.code
            for name in (topic.name_es, topic.name_en):
                self._topics[fold(name)] = topic.code
                self._topic_names[fold(name)] = topic.code
        for code, words in _TOPIC_ALIASES.items():
            if code in {t.code for t in catalogs.topics}:
                for word in words:
                    self._topics.setdefault(fold(word), code)

    def sex(self, text: str) -> str | None:
        key = fold(text)
        return "X" if not key else self._sex.get(key)

    def channel(self, text: str) -> str | None:
        return self._channels.get(fold(text))

    def migratory_status(self, text: str) -> str | None:
        return self._status.get(fold(text))

    def nationality(self, text: str) -> Resolved | None:
        key = fold(text)
        if not key:
            return None
        code = self._countries.get(key) or self._countries.get(fold(re.sub(r"\(.*?\)", "", text)))
        if code:
            return Resolved(code)
        found = process.extractOne(
            key, self._country_names, scorer=fuzz.ratio, score_cutoff=COUNTRY_SCORE
        )
        if found is not None:
            return Resolved(self._countries[found[0]], approximate=True)
        return None

    def district(self, text: str) -> Resolved | None:
        key = fold(text)
        if not key:
            return None
        if key in self._districts:
            return Resolved(self._districts[key])
        # "San Juan de Lurigancho - Lima", "Comas (Lima)": the province is the last resort
        parts = [fold(p) for p in re.split(r"[-,/()]+", text) if fold(p)]
        parts.sort(key=lambda part: part in ("lima", "callao", "peru"))
        for part in parts:
            if part in self._districts:
                return Resolved(self._districts[part])
        names = [k for k in self._districts if not k.isdigit() and len(k) > 4]
        found = process.extractOne(key, names, scorer=fuzz.ratio, score_cutoff=DISTRICT_SCORE)
        if found is not None:
            return Resolved(self._districts[found[0]], approximate=True)
        return None

    def document_type(self, text: str) -> str | None:
        return self._documents.get(fold(text))

    def split_document(self, text: str) -> tuple[str, str]:
        """``CE 001234567`` -> (``CE``, ``001234567``); (``""``, text) without a known prefix."""
        match = re.fullmatch(
            r"\s*([A-Za-zÁÉÍÓÚáéíóúÑñ. ]+?)[\s.:#°º-]+([A-Za-z]{0,3}\d[\w.\- ]*)\s*", text
        )
        if match:
            code = self.document_type(match[1])
            if code:
                return code, match[2].strip()
        return "", text.strip()

    def topic(self, text: str) -> Resolved | tuple[str, str] | None:
        """One topic: exact code/name/alias, or the most similar name above TOPIC_SCORE.

        Returns a pair of codes when two topics are equally similar.
        """
        key = fold(text)
        if not key:
            return None
        if key in self._topics:
            return Resolved(self._topics[key])
        found = process.extract(
            key, list(self._topic_names), scorer=fuzz.WRatio, score_cutoff=TOPIC_SCORE, limit=5
        )
        codes: list[tuple[str, float]] = []
        for name, score, _i in found:
            code = self._topic_names[name]
            if code not in (c for c, _s in codes):
                codes.append((code, score))
        if not codes:
            return None
        if len(codes) > 1 and codes[1][1] >= codes[0][1] - 1:
            return codes[0][0], codes[1][0]
        return Resolved(codes[0][0], approximate=True)

    def topics(self, text: str) -> TopicResult:
        """Several topics separated by ``;`` or ``,``."""
        result = TopicResult([], [], [], [])
        for part in _split_values(text):
            found = self.topic(part)
            if found is None:
                result.unknown.append(part)
            elif isinstance(found, tuple):
                result.ambiguous.append((part, found[0], found[1]))
            else:
                if found.code not in result.codes:
                    result.codes.append(found.code)
                if found.approximate:
                    result.approximate.append((part, found.code))
        return result


# --------------------------------------------------------------------------- plan


Severity = Literal["error", "warning"]
RowStatus = Literal["new", "existing", "repeated", "error", "empty"]


@dataclass(frozen=True)
class RowIssue:
    """A Spanish message about one row: ``error`` blocks the import, ``warning`` does not."""

    row_number: int
    field: str
    message: str
    severity: Severity = "error"


@dataclass
class PlannedRow:
    """What the import will do with one spreadsheet row."""

    row_number: int
    cells: list[str]
    status: RowStatus = "new"
    person: PersonInput | None = None
    consultation: ConsultationInput | None = None
    existing_person_id: str | None = None
    existing_person_name: str = ""
    same_as_row: int | None = None
    # "new" (recorded), "registered" (already in the database), "repeated" (earlier row)
    consultation_status: str = ""
    issues: list[RowIssue] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(i.severity == "error" for i in self.issues)

    @property
    def full_name(self) -> str:
        if self.person is None:
            return ""
        p = self.person
        return " ".join(x for x in (p.given_names, p.paternal_surname, p.maternal_surname) if x)


@dataclass(frozen=True)
class PreviewRow:
    """One row as the import dialog shows it (already translated and formatted)."""

    row_number: int
    status: str
    status_label: str
    name: str
    birth_date: str
    document: str
    nationality: str
    district: str
    consultation: str
    messages: list[str]


_STATUS_LABELS = {
    "new": N_("New person"),
    "existing": N_("Already registered"),
    "repeated": N_("Repeats an earlier row"),
    "error": N_("Has errors"),
    "empty": N_("Empty row"),
}


@dataclass
class ImportPlan:
    """The result of :func:`plan_import`: per-row outcome, counts and preview."""

    rows: list[PlannedRow]
    today: dt.date
    consent_confirmed: bool
    casa_id: str
    headers: list[str]
    mapping: dict[int, str]
    catalogs: Catalogs = field(repr=False)
    committed: bool = False

    @property
    def issues(self) -> list[RowIssue]:
        return [issue for row in self.rows for issue in row.issues]

    @property
    def errors(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    def _count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def total_rows(self) -> int:
        return sum(1 for r in self.rows if r.status != "empty")

    @property
    def new_persons(self) -> int:
        return self._count("new")

    @property
    def existing_persons(self) -> int:
        """Registered persons matched (each counted once)."""
        return len({r.existing_person_id for r in self.rows
                    if r.status == "existing" and r.existing_person_id})

    @property
    def repeated_rows(self) -> int:
        return self._count("repeated")

    @property
    def consultations(self) -> int:
        return sum(1 for r in self.rows if r.consultation_status == "new" and not r.has_errors)

    @property
    def consultations_already(self) -> int:
        return sum(1 for r in self.rows if r.consultation_status in ("registered", "repeated"))

    @property
    def rows_with_errors(self) -> int:
        return sum(1 for r in self.rows if r.has_errors)

    @property
    def rows_with_warnings(self) -> int:
        return sum(1 for r in self.rows
                   if not r.has_errors and any(i.severity == "warning" for i in r.issues))

    @property
    def empty_rows(self) -> int:
        return self._count("empty")

    @property
    def can_commit(self) -> bool:
        return self.rows_with_errors == 0 and self.consent_confirmed and not self.committed

    def summary_lines(self) -> list[str]:
        """The counts as Spanish sentences (zero counts left out, except the rows read)."""
        lines = [
            ngettext("{n} row read from the list.", "{n} rows read from the list.",
                     self.total_rows).format(n=self.total_rows)
        ]
        counted = (
            (self.new_persons, ngettext(
                "{n} new person will be registered.",
                "{n} new persons will be registered.", self.new_persons)),
            (self.existing_persons, ngettext(
                "{n} person is already registered and will not be created again.",
                "{n} persons are already registered and will not be created again.",
                self.existing_persons)),
            (self.repeated_rows, ngettext(
                "{n} row repeats a person of an earlier row (registered only once).",
                "{n} rows repeat a person of an earlier row (registered only once).",
                self.repeated_rows)),
            (self.consultations, ngettext(
                "{n} consultation will be recorded.",
                "{n} consultations will be recorded.", self.consultations)),
            (self.consultations_already, ngettext(
                "{n} consultation is already registered and will be skipped.",
                "{n} consultations are already registered and will be skipped.",
                self.consultations_already)),
            (self.empty_rows, ngettext(
                "{n} empty row skipped.", "{n} empty rows skipped.", self.empty_rows)),
            (self.rows_with_warnings, ngettext(
                "{n} row has warnings to check.", "{n} rows have warnings to check.",
                self.rows_with_warnings)),
            (self.rows_with_errors, ngettext(
                "{n} row has errors.", "{n} rows have errors.", self.rows_with_errors)),
        )
        for n, text in counted:
            if n:
                lines.append(text.format(n=n))
        return lines

    def preview(self, limit: int = PREVIEW_ROWS) -> list[PreviewRow]:
        """The first ``limit`` non-empty rows, ready to show."""
        out: list[PreviewRow] = []
        for row in self.rows:
            if row.status == "empty":
                continue
            if len(out) >= limit:
                break
            out.append(self._preview_row(row))
        return out

    def _preview_row(self, row: PlannedRow) -> PreviewRow:
        person = row.person or PersonInput()
        birth = ""
        if person.birth_date is not None:
            birth = format_date(person.birth_date)
        elif person.estimated_age is not None:
            birth = _("{age} years (estimated)").format(age=person.estimated_age)
        docs = ", ".join(
            f"{d.doc_type} {d.number}".strip() for d in person.documents if d.doc_type
        )
        district = ""
        if person.district_ubigeo:
            try:
                district = self.catalogs.district(person.district_ubigeo).name
            except KeyError:
                district = person.district_ubigeo
        consultation = ""
        cons = row.consultation
        if cons is not None and cons.occurred_at is not None:
            topics = []
            for code in cons.topics:
                try:
                    topics.append(self.catalogs.topic(code).label(current_language()))
                except KeyError:
                    topics.append(code)
            consultation = f"{format_date(cons.occurred_at.date())} · {', '.join(topics)}"
        name = row.full_name
        if row.status == "existing" and row.existing_person_name:
            name = f"{name} → {row.existing_person_name}" if name else row.existing_person_name
        status = "error" if row.has_errors else row.status
        return PreviewRow(
            row_number=row.row_number,
            status=status,
            status_label=_(_STATUS_LABELS[status]),
            name=name,
            birth_date=birth,
            document=docs,
            nationality=country_name(person.nationality) if person.nationality else "",
            district=district,
            consultation=consultation,
            messages=[i.message for i in row.issues],
        )


class _RowContext:
    """Collects the values and messages of one row."""

    def __init__(self, number: int, cells: list[str], headers: Sequence[str],
                 columns: dict[str, list[int]]) -> None:
        self.number = number
        self.cells = cells
        self.headers = headers
        self.columns = columns
        self.issues: list[RowIssue] = []

    def values(self, target: str) -> list[tuple[int, str]]:
        return [(i, self.cells[i].strip()) for i in self.columns.get(target, ())
                if self.cells[i].strip()]

    def value(self, target: str) -> str:
        found = self.values(target)
        return found[0][1] if found else ""

    def text(self, target: str, separator: str = "; ") -> str:
        """A text target; several columns are joined, each with its header."""
        found = self.values(target)
        if len(found) == 1 or len(self.columns.get(target, ())) <= 1:
            return separator.join(v for _i, v in found)
        return separator.join(f"{self.headers[i]}: {v}" if self.headers[i] else v
                              for i, v in found)

    def column(self, target: str) -> str:
        indexes = self.columns.get(target)
        return _column_name(self.headers, indexes[0]) if indexes else ""

    def add(self, target: str, message: str, severity: Severity = "error") -> None:
        self.issues.append(RowIssue(self.number, target, message, severity))

    def problem(self, target: str, message: str, severity: Severity = "error") -> None:
        """A validation message, prefixed with the row and, when known, the column."""
        column = self.column(target)
        if column:
            text = _("Row {row}, column «{column}»: {message}").format(
                row=self.number, column=column, message=message)
        else:
            text = _("Row {row}: {message}").format(row=self.number, message=message)
        self.add(target, text, severity)


# validation keys of persons.validate_person / validate_consultation -> import targets
_PERSON_KEYS = {
    "given_names": ("given_names", "full_name"),
    "paternal_surname": ("paternal_surname", "surnames", "maternal_surname", "full_name"),
    "sex": ("sex",),
    "birth_date": ("birth_date", "age"),
    "nationality": ("nationality",),
    "phone": ("phone",),
    "whatsapp": ("whatsapp",),
    "district_ubigeo": ("district",),
    "arrival_date": ("arrival_date",),
    "migratory_status": ("migratory_status",),
    "documents.0.doc_type": ("doc_type", "doc_number"),
    "documents.0.number": ("doc_number",),
    "documents.0.expiry_date": ("doc_number",),
}
_CONSULTATION_KEYS = {
    "occurred_at": ("consultation_date",),
    "channel": ("channel",),
    "topics": ("topic",),
    "follow_up_date": ("follow_up_date",),
}


def _target_for(
    key: str, table: Mapping[str, tuple[str, ...]], columns: dict[str, list[int]]
) -> str:
    candidates = table.get(key, ())
    for target in candidates:
        if target in columns:
            return target
    return candidates[0] if candidates else ""


def _first_phone(text: str) -> tuple[str, str]:
    """The first number of ``987654321 / 912345678`` and the rest as written."""
    parts = [p.strip() for p in re.split(r"\s*(?:/|;|,|\by\b|\bo\b|\|)\s*", text) if p.strip()]
    if len(parts) > 1 and all(len(normalize_phone(p)) >= 6 for p in parts):
        return parts[0], ", ".join(parts[1:])
    return text, ""


def _date_value(ctx: _RowContext, target: str, today: dt.date) -> dt.datetime | None:
    raw = ctx.value(target)
    if not raw or fold(raw) in _EMPTY_MARKS:
        return None
    try:
        return parse_datetime(raw, today)
    except ValueError:
        ctx.add(target, _("Row {row}: {field} «{value}» is not a valid date (use day/month/year).")
                .format(row=ctx.number, field=_(_DATE_PHRASES[target]), value=raw))
        return None


def _build_person(ctx: _RowContext, parser: ValueParser, options: ImportOptions,
                  today: dt.date, consent: bool, surnames_first: bool | None) -> PersonInput:
    person = PersonInput(consent_register=consent)
    given = ctx.value("given_names")
    paternal = ctx.value("paternal_surname")
    maternal = ctx.value("maternal_surname")
    both = ctx.value("surnames")
    if both and not (paternal or maternal):
        groups = name_groups(both)
        paternal, maternal = surnames_of(groups)
    full = ctx.value("full_name")
    if full and not (given or paternal or maternal):
        given, paternal, maternal = split_full_name(full, surnames_first)
    person.given_names = nice_case(" ".join(given.split()))
    person.paternal_surname = nice_case(" ".join(paternal.split()))
    person.maternal_surname = nice_case(" ".join(maternal.split()), first_capital=False)
    if person.maternal_surname and fold(person.maternal_surname.split()[0]) in PARTICLES:
        person.maternal_surname = person.maternal_surname[0].lower() + person.maternal_surname[1:]

    raw_sex = ctx.value("sex")
    sex = parser.sex(raw_sex)
    if sex is None:
        ctx.add("sex", _("Row {row}: the sex «{value}» is not recognised (write F or M, Mujer or "
                         "Hombre, or leave it empty).").format(row=ctx.number, value=raw_sex))
        sex = "X"
    person.sex = sex

    birth = _date_value(ctx, "birth_date", today)
    if birth is not None:
        person.birth_date = birth.date()
    elif not any(i.field == "birth_date" for i in ctx.issues):
        raw_age = ctx.value("age")
        if raw_age:
            try:
                person.estimated_age = parse_age(raw_age)
            except ValueError:
                ctx.add("age", _("Row {row}: the age «{value}» is not a number of years.").format(
                    row=ctx.number, value=raw_age))

    raw_nat = ctx.value("nationality")
    if raw_nat:
        nat = parser.nationality(raw_nat)
        if nat is None:
            ctx.add("nationality", _(
                "Row {row}: the nationality «{value}» is not recognised (write the country, e.g. "
                "Venezuela, or its code, e.g. VE).").format(row=ctx.number, value=raw_nat))
        else:
            person.nationality = nat.code
            if nat.approximate:
                _approximate(ctx, "nationality", raw_nat, country_name(nat.code))
    else:
        person.nationality = options.default_nationality

    phone, more = _first_phone(ctx.value("phone"))
    person.phone = phone
    raw_wa = ctx.value("whatsapp")
    if fold(raw_wa) in _YES:
        person.whatsapp = phone
    elif fold(raw_wa) in _NO:
        person.whatsapp = ""
    else:
        person.whatsapp, more_wa = _first_phone(raw_wa)
        more = ", ".join(x for x in (more, more_wa) if x)

    raw_district = ctx.value("district")
    if raw_district:
        district = parser.district(raw_district)
        if district is None:
            ctx.add("district", _(
                "Row {row}: the district «{value}» is not a district of Lima or Callao (write it "
                "as in the list, e.g. San Juan de Lurigancho).").format(
                    row=ctx.number, value=raw_district))
        else:
            person.district_ubigeo = district.code
            if district.approximate:
                _approximate(ctx, "district", raw_district,
                             parser.catalogs.district(district.code).name)
    person.zone = ctx.text("zone")
    person.address_ref = ctx.text("address_ref")

    arrival = _date_value(ctx, "arrival_date", today)
    person.arrival_date = arrival.date() if arrival else None

    raw_status = ctx.value("migratory_status")
    if raw_status:
        status = parser.migratory_status(raw_status)
        if status is None:
            ctx.add("migratory_status", _(
                "Row {row}: the migratory situation «{value}» is not recognised (use {choices})."
            ).format(row=ctx.number, value=raw_status,
                     choices=", ".join(f"«{label(MIGRATORY_STATUS, c)}»"
                                       for c, _m in MIGRATORY_STATUS)))
        else:
            person.migratory_status = status

    notes = ctx.text("notes", "\n")
    if more:
        notes = "\n".join(x for x in (notes, _("Other phone numbers: {numbers}").format(
            numbers=more)) if x)
    person.notes = notes
    document = _build_document(ctx, parser, options, person)
    if document is not None:
        person.documents = [document]
    return person


def _approximate(ctx: _RowContext, target: str, written: str, understood: str) -> None:
    ctx.add(target, _("Row {row}: «{value}» was read as «{match}»; check it.").format(
        row=ctx.number, value=written, match=understood), "warning")


def _build_document(ctx: _RowContext, parser: ValueParser, options: ImportOptions,
                    person: PersonInput) -> DocumentInput | None:
    raw_type = ctx.value("doc_type")
    raw_number = ctx.value("doc_number")
    code = ""
    if raw_type:
        found = parser.document_type(raw_type)
        if found is None:
            ctx.add("doc_type", _(
                "Row {row}: the document type «{value}» is not recognised (use DNI, CE, PTP, CPP, "
                "Pasaporte, Cédula, Solicitante de refugio, Otro or Ninguno).").format(
                    row=ctx.number, value=raw_type))
            return None
        code = found
    number = raw_number
    if raw_number and fold(raw_number) not in _EMPTY_MARKS:
        prefix, rest = parser.split_document(raw_number)
        if prefix and (not code or code == prefix):
            code, number = prefix, rest
    elif raw_number:
        number = ""
        if not code:
            code = "NINGUNO" if fold(raw_number) in ("no tiene", "ninguno", "ninguna") else ""
    if not code and not number:
        return None
    if code == "NINGUNO":
        return DocumentInput(doc_type="NINGUNO", number="")
    if code and not number:
        ctx.add("doc_number", _("Row {row}: the document type is given but the number is empty; "
                                "no document will be recorded.").format(row=ctx.number),
                "warning")
        return None
    if not code:
        norm = normalize_document_number(number)
        # a "DNI/CE" column: the first type named in the header whose format fits
        named = [c for c in dict.fromkeys(
            parser.document_type(word) for word in fold(ctx.column("doc_number")).split()) if c]
        fitting = [c for c in named if parser.catalogs.document_type(c).matches(norm)]
        if options.default_doc_type:
            code = options.default_doc_type
        elif named:
            code = (fitting or named)[0]
        elif norm.isdigit() and len(norm) == 8 and person.nationality == "PE":
            code = "DNI"
        else:
            code = "OTRO"
            ctx.add("doc_type", _(
                "Row {row}: the document type is missing; «{number}» will be saved as «{document}»."
            ).format(row=ctx.number, number=number,
                     document=parser.catalogs.document_type("OTRO").label(current_language())),
                "warning")
    if code == "DNI" and re.fullmatch(r"\d{7}", number.strip()):
        # a DNI typed in a number cell loses its leading zero in Excel
        padded = number.strip().zfill(8)
        ctx.add("doc_number", _(
            "Row {row}: the DNI «{number}» has 7 digits; it is saved as {padded} (Excel drops "
            "leading zeros). Check it.").format(row=ctx.number, number=number, padded=padded),
            "warning")
        number = padded
    return DocumentInput(doc_type=code, number=number)


def _build_consultation(ctx: _RowContext, parser: ValueParser, options: ImportOptions,
                        today: dt.date, casa_id: str) -> ConsultationInput | None:
    present = [t for t in CONSULTATION_FIELDS if ctx.values(t)]
    if not present:
        return None
    cons = ConsultationInput(casa_id=casa_id, channel=options.default_channel)
    when = _date_value(ctx, "consultation_date", today)
    if when is not None:
        cons.occurred_at = when
    elif not ctx.value("consultation_date"):
        ctx.add("consultation_date", _(
            "Row {row}: the consultation has no date; write the date of the consultation or leave "
            "the consultation columns empty.").format(row=ctx.number))
    raw_topics = ctx.value("topic")
    if raw_topics:
        found = parser.topics(raw_topics)
        cons.topics = list(found.codes)
        lang = current_language()
        for written in found.unknown:
            ctx.add("topic", _(
                "Row {row}: the topic «{value}» is not recognised; write a topic of the list "
                "(e.g. «{example}»).").format(
                    row=ctx.number, value=written,
                    example=parser.catalogs.topics[0].label(lang)))
        for written, first, second in found.ambiguous:
            ctx.add("topic", _(
                "Row {row}: the topic «{value}» is ambiguous: it could be «{first}» or «{second}»; "
                "write the full name.").format(
                    row=ctx.number, value=written,
                    first=parser.catalogs.topic(first).label(lang),
                    second=parser.catalogs.topic(second).label(lang)))
        for written, code in found.approximate:
            _approximate(ctx, "topic", written, parser.catalogs.topic(code).label(lang))
    elif options.default_topic:
        cons.topics = [options.default_topic]
    raw_channel = ctx.value("channel")
    if raw_channel:
        channel = parser.channel(raw_channel)
        if channel is None:
            ctx.add("channel", _(
                "Row {row}: the channel «{value}» is not recognised (use {choices})."
            ).format(row=ctx.number, value=raw_channel,
                     choices=", ".join(f"«{label(CHANNELS, c)}»" for c, _m in CHANNELS)))
        else:
            cons.channel = channel
    cons.summary = ctx.text("summary", "\n")
    cons.actions = ctx.text("actions", "\n")
    raw_follow = ctx.value("follow_up_date")
    if raw_follow and fold(raw_follow) not in _EMPTY_MARKS:
        if re.search(r"\d", raw_follow):
            follow = _date_value(ctx, "follow_up_date", today)
            cons.follow_up_date = follow.date() if follow else None
        else:
            ctx.add("follow_up_date", _(
                "Row {row}: the follow-up «{value}» has no date; it is kept in the actions but no "
                "follow-up will be scheduled.").format(row=ctx.number, value=raw_follow),
                "warning")
            header = ctx.column("follow_up_date")
            cons.actions = "\n".join(x for x in (cons.actions, f"{header}: {raw_follow}") if x)
    return cons


@dataclass
class _Identity:
    """What identifies a person already planned (for repeats within the file)."""

    row_number: int
    person: PersonInput
    documents: set[str]
    existing_id: str | None


def _doc_numbers(person: PersonInput) -> set[str]:
    return {normalize_document_number(d.number) for d in person.documents
            if d.doc_type != "NINGUNO" and normalize_document_number(d.number)}


def _name_key(given: str, paternal: str, maternal: str) -> str:
    return " ".join(fold(f"{given} {paternal} {maternal}").split())


def _person_name_key(p: PersonInput) -> str:
    return _name_key(p.given_names, p.paternal_surname, p.maternal_surname)


def _ages_agree(a: PersonInput, birth: dt.date | None, estimated: bool, today: dt.date) -> bool:
    """Whether ``a`` and the other birth date/estimate can be the same person."""
    if birth is None:
        return True
    if a.birth_date is not None:
        if not estimated:
            return a.birth_date == birth
        return abs((age_on(a.birth_date, today) or 0) - (age_on(birth, today) or 0)) <= 1
    if a.estimated_age is not None:
        return abs(a.estimated_age - (age_on(birth, today) or 0)) <= 1
    return True


def _birth_of(p: PersonInput, today: dt.date) -> tuple[dt.date | None, bool]:
    if p.birth_date is not None:
        return p.birth_date, False
    if p.estimated_age is not None:
        from oma_desktop.services.persons import birth_date_from_age

        return birth_date_from_age(p.estimated_age, today), True
    return None, False


def _same_name_compatible(a: PersonInput, b: PersonInput, today: dt.date) -> tuple[bool, bool]:
    """(compatible, corroborated) for two persons with the same folded name."""
    birth, estimated = _birth_of(b, today)
    if not _ages_agree(a, birth, estimated, today):
        return False, False
    if a.sex in ("F", "M") and b.sex in ("F", "M") and a.sex != b.sex:
        return False, False
    if a.nationality and b.nationality and a.nationality != b.nationality:
        return False, False
    docs_a = {(d.doc_type, normalize_document_number(d.number)) for d in a.documents}
    docs_b = {(d.doc_type, normalize_document_number(d.number)) for d in b.documents}
    for kind, number in docs_a:
        if any(k == kind and n != number for k, n in docs_b):
            return False, False
    phones_a = {normalize_phone(x) for x in (a.phone, a.whatsapp) if x}
    phones_b = {normalize_phone(x) for x in (b.phone, b.whatsapp) if x}
    corroborated = bool(
        (birth is not None and (a.birth_date is not None or a.estimated_age is not None))
        or phones_a & phones_b
    )
    return True, corroborated


class _Matcher:
    """Finds, for each row, an earlier row or a registered person that is the same person."""

    def __init__(self, store: Store, today: dt.date) -> None:
        self.store = store
        self.today = today
        self.by_name: dict[str, list[_Identity]] = {}
        self.by_doc: dict[str, _Identity] = {}

    def in_file(self, ctx: _RowContext, person: PersonInput) -> _Identity | None:
        docs = _doc_numbers(person)
        for number in sorted(docs):
            earlier = self.by_doc.get(number)
            if earlier is None:
                continue
            if name_similarity(person, _as_dict(earlier.person)) < SAME_NAME_SCORE:
                ctx.add("doc_number", _(
                    "Row {row}: the document number {number} is also in row {other} with another "
                    "name ({name}); correct one of the two rows.").format(
                        row=ctx.number, number=number, other=earlier.row_number,
                        name=_display_name(earlier.person)))
                return None
            return earlier
        key = _person_name_key(person)
        for earlier in self.by_name.get(key, []) if key else []:
            if docs and _doc_numbers(earlier.person) and not docs & _doc_numbers(earlier.person):
                continue
            compatible, corroborated = _same_name_compatible(person, earlier.person, self.today)
            if not compatible:
                continue
            if not corroborated:
                ctx.add("full_name", _(
                    "Row {row}: same name as row {other} and no data contradicts it; it is taken as "
                    "the same person. Check it.").format(row=ctx.number, other=earlier.row_number),
                    "warning")
            return earlier
        return None

    def remember(self, row: PlannedRow) -> None:
        assert row.person is not None
        identity = _Identity(row.row_number, row.person, _doc_numbers(row.person),
                             row.existing_person_id)
        self.by_name.setdefault(_person_name_key(row.person), []).append(identity)
        for number in identity.documents:
            self.by_doc.setdefault(number, identity)

    def in_database(self, ctx: _RowContext, person: PersonInput) -> tuple[str, str] | None:
        """(person id, name) of the registered person this row is, or None."""
        for number in sorted(_doc_numbers(person)):
            for hit in self.store.rows(
                "SELECT p.id, p.given_names, p.paternal_surname, p.maternal_surname"
                " FROM document d JOIN person p ON p.id = d.person_id"
                " WHERE d.number_norm = ? AND d.deleted = 0 AND p.deleted = 0",
                [number],
            ):
                name = _display_name(hit)
                if name_similarity(person, hit) < SAME_NAME_SCORE:
                    ctx.add("doc_number", _(
                        "Row {row}: the document number {number} is already registered to {name}; "
                        "check the number.").format(row=ctx.number, number=number, name=name))
                    return None
                return str(hit["id"]), name
        if not (person.given_names.strip() and
                (person.paternal_surname.strip() or person.maternal_surname.strip())):
            return None
        candidates = find_duplicates(self.store, person, limit=5)
        if candidates and candidates[0].score >= MATCH_SCORE:
            return candidates[0].person_id, candidates[0].full_name
        key = _person_name_key(person)
        for cand in candidates:
            row = self.store.get("person", cand.person_id)
            if row is None or _name_key(row["given_names"], row["paternal_surname"],
                                        row["maternal_surname"]) != key:
                continue
            stored = _stored_person(self.store, row, self.today)
            if _doc_numbers(person) and _doc_numbers(stored):
                continue  # both have documents and none is shared: different persons
            compatible, corroborated = _same_name_compatible(person, stored, self.today)
            if compatible:
                if not corroborated:
                    ctx.add("full_name", _(
                        "Row {row}: taken as {name}, already registered, because the name is the "
                        "same and no data contradicts it. Check it.").format(
                            row=ctx.number, name=cand.full_name), "warning")
                return cand.person_id, cand.full_name
        if candidates and candidates[0].score >= WARN_SCORE:
            best = candidates[0]
            ctx.add("full_name", _(
                "Row {row}: looks like {name}, already registered ({score} %); it will be registered "
                "as a new person. If it is the same person, write their document number in the row."
            ).format(row=ctx.number, name=best.full_name, score=best.score), "warning")
        return None


def _as_dict(p: PersonInput) -> dict[str, str]:
    return {"given_names": p.given_names, "paternal_surname": p.paternal_surname,
            "maternal_surname": p.maternal_surname}


def _display_name(p: PersonInput | dict[str, Any]) -> str:
    parts = _as_dict(p) if isinstance(p, PersonInput) else p
    return " ".join(str(parts[k]) for k in ("given_names", "paternal_surname", "maternal_surname")
                    if parts.get(k))


def _stored_person(store: Store, row: dict[str, Any], today: dt.date) -> PersonInput:
    person = PersonInput(
        given_names=row["given_names"], paternal_surname=row["paternal_surname"],
        maternal_surname=row["maternal_surname"], sex=row["sex"] or "",
        nationality=row["nationality"] or "", phone=row["phone"], whatsapp=row["whatsapp"],
    )
    if row["birth_date"]:
        birth = dt.date.fromisoformat(row["birth_date"][:10])
        if row["birth_date_estimated"]:
            person.estimated_age = age_on(birth, today)
        else:
            person.birth_date = birth
    person.documents = [
        DocumentInput(doc_type=d["doc_type"], number=d["number"])
        for d in store.rows("SELECT doc_type, number FROM document WHERE person_id = ? AND deleted = 0",
                            [row["id"]])
    ]
    return person


def _consultation_key(cons: ConsultationInput) -> tuple[str, frozenset[str]]:
    assert cons.occurred_at is not None
    return cons.occurred_at.date().isoformat(), frozenset(cons.topics)


def _registered_consultations(store: Store, person_id: str) -> set[tuple[str, frozenset[str]]]:
    return {
        (str(r["occurred_at"])[:10], frozenset(json.loads(r["topics"])))
        for r in store.rows(
            "SELECT occurred_at, topics FROM consultation WHERE person_id = ? AND deleted = 0",
            [person_id],
        )
    }


def _surnames_first(headers: Sequence[str], columns: dict[str, list[int]]) -> bool | None:
    indexes = columns.get("full_name")
    if not indexes:
        return None
    key = fold(headers[indexes[0]])
    if key.startswith("apellido"):
        return True
    if key.startswith("nombre"):
        return False
    return None


def plan_import(
    store: Store,
    catalogs: Catalogs,
    table: Table,
    mapping: dict[int, str],
    *,
    consent_confirmed: bool,
    today: dt.date | None = None,
    options: ImportOptions | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportPlan:
    """Parse, validate and match every row; writes nothing.

    ``consent_confirmed`` is the coordinator's statement that everyone on the list agreed
    to be registered; without it every row is an error. ``progress(done, total)`` is called
    as rows are planned (the dialog runs this off the GUI thread). Raises
    :class:`OmaError` when the mapping itself is unusable (see :func:`check_mapping`).
    """
    options = options or ImportOptions()
    if now is None:
        now = dt.datetime.now() if today is None else dt.datetime.combine(today, dt.time(23, 59))
    today = today or dt.date.today()
    problems = check_mapping(table.headers, mapping, options)
    if problems:
        raise OmaError("\n".join(problems))
    columns: dict[str, list[int]] = {}
    for index, target in sorted(mapping.items()):
        columns.setdefault(target, []).append(index)
    parser = ValueParser(catalogs)
    matcher = _Matcher(store, today)
    surnames_first = _surnames_first(table.headers, columns)
    registered: dict[str, set[tuple[str, frozenset[str]]]] = {}
    planned: dict[str, set[tuple[str, frozenset[str]]]] = {}
    rows: list[PlannedRow] = []
    total = len(table.rows)
    for done, (number, cells) in enumerate(zip(table.row_numbers, table.rows, strict=True)):
        if progress is not None and done % 50 == 0:
            progress(done, total)
        row = PlannedRow(row_number=number, cells=list(cells))
        rows.append(row)
        if not any(cells[i].strip() for i in mapping):
            row.status = "empty"
            continue
        ctx = _RowContext(number, cells, table.headers, columns)
        if not consent_confirmed:
            ctx.add("consent", _(
                "Row {row}: the coordinator has not confirmed that the people on the list agreed "
                "to be registered; without that consent their data cannot be imported.").format(
                    row=number))
        person = _build_person(ctx, parser, options, today, consent_confirmed, surnames_first)
        row.person = person
        cons = _build_consultation(ctx, parser, options, today, store.casa_id)
        row.consultation = cons
        earlier = matcher.in_file(ctx, person)
        if earlier is not None:
            row.status = "repeated"
            row.same_as_row = earlier.row_number
            row.existing_person_id = earlier.existing_id
        else:
            found = matcher.in_database(ctx, person)
            if found is not None:
                row.status = "existing"
                row.existing_person_id, row.existing_person_name = found
            matcher.remember(row)
        for key, message in validate_person(person, catalogs, today).items():
            if key == "consent_register":
                continue
            target = _target_for(key, _PERSON_KEYS, columns)
            if any(i.field == target and i.severity == "error" for i in ctx.issues):
                continue  # the cell was already reported as unreadable
            if row.status != "new" and not ctx.values(target):
                continue  # a registered or earlier person: a missing value changes nothing
            ctx.problem(target, message)
        if cons is not None:
            check = replace(cons, person_id="-")
            for key, message in validate_consultation(check, catalogs, now).items():
                target = _target_for(key, _CONSULTATION_KEYS, columns)
                if any(i.field == target and i.severity == "error" for i in ctx.issues):
                    continue
                ctx.problem(target, message)
        row.issues = ctx.issues
        if cons is not None and cons.occurred_at is not None:
            cons_key = _consultation_key(cons)
            existing = row.existing_person_id
            if existing and existing not in registered:
                registered[existing] = _registered_consultations(store, existing)
            anchor = existing or f"row:{row.same_as_row or number}"
            if existing and cons_key in registered[existing]:
                row.consultation_status = "registered"
            elif cons_key in planned.setdefault(anchor, set()):
                row.consultation_status = "repeated"
            else:
                planned[anchor].add(cons_key)
                row.consultation_status = "new"
        if row.has_errors:
            row.status = "error" if row.status == "new" else row.status
    if progress is not None:
        progress(total, total)
    return ImportPlan(
        rows=rows,
        today=today,
        consent_confirmed=consent_confirmed,
        casa_id=store.casa_id,
        headers=list(table.headers),
        mapping=dict(mapping),
        catalogs=catalogs,
    )


# --------------------------------------------------------------------------- commit


@dataclass
class ImportResult:
    persons_created: int
    persons_matched: int
    consultations_created: int
    person_ids: list[str] = field(default_factory=list)
    consultation_ids: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        lines = [ngettext("{n} new person registered.", "{n} new persons registered.",
                          self.persons_created).format(n=self.persons_created)]
        if self.persons_matched:
            lines.append(ngettext(
                "{n} person was already registered.", "{n} persons were already registered.",
                self.persons_matched).format(n=self.persons_matched))
        lines.append(ngettext("{n} consultation recorded.", "{n} consultations recorded.",
                              self.consultations_created).format(n=self.consultations_created))
        return lines


def commit_import(store: Store, user_id: str, plan: ImportPlan) -> ImportResult:
    """Write the whole plan in one transaction; nothing is written if anything fails."""
    if plan.committed:
        raise OmaError(_("This import was already saved. Prepare it again to import another list."))
    if plan.rows_with_errors:
        n = plan.rows_with_errors
        raise OmaError(ngettext(
            "The import cannot be saved: {n} row has errors. Correct the list and prepare the "
            "import again. Nothing was saved.",
            "The import cannot be saved: {n} rows have errors. Correct the list and prepare the "
            "import again. Nothing was saved.", n).format(n=n))
    if not plan.consent_confirmed:
        raise OmaError(_("Confirm that the people on the list agreed to be registered."))
    if plan.casa_id != store.casa_id:
        raise OmaError(_("The import was prepared for another database. Prepare it again."))
    person_for_row: dict[int, str] = {}
    result = ImportResult(0, 0, 0)
    matched: set[str] = set()
    with store.transaction(user_id) as tx:
        for row in plan.rows:
            if row.status == "empty" or row.person is None:
                continue
            if row.status == "new":
                person_id = write_new_person(tx, store.casa_id, user_id, row.person, plan.today)
                result.person_ids.append(person_id)
            elif row.status == "existing" and row.existing_person_id:
                person_id = row.existing_person_id
                current = store.get("person", person_id)
                if current is None or current["deleted"]:
                    raise OmaError(_(
                        "The database changed since the import was prepared (row {row} matched a "
                        "person who no longer exists). Prepare the import again."
                    ).format(row=row.row_number))
                matched.add(person_id)
            elif row.status == "repeated" and row.same_as_row is not None:
                person_id = person_for_row[row.same_as_row]
            else:  # pragma: no cover - plans with errors are refused above
                raise OmaError(_("Row {row} cannot be imported.").format(row=row.row_number))
            person_for_row[row.row_number] = person_id
            if row.consultation is not None and row.consultation_status == "new":
                cons = replace(row.consultation, person_id=person_id)
                result.consultation_ids.append(
                    tx.create("consultation", consultation_fields(store, user_id, cons)))
    plan.committed = True
    result.persons_created = len(result.person_ids)
    result.persons_matched = len(matched)
    result.consultations_created = len(result.consultation_ids)
    return result
