"""Building the import plan: every row parsed, validated and matched; nothing written."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.errors import OmaError
from oma_desktop.core.names import PARTICLES, name_groups, nice_case, split_full_name, surnames_of
from oma_desktop.core.store import Store
from oma_desktop.core.text import fold, forbidden_characters, normalize_document_number, normalize_phone
from oma_desktop.core.vocab import CHANNELS, MIGRATORY_STATUS, label
from oma_desktop.i18n import N_, _, country_name, current_language, format_date, ngettext
from oma_desktop.services.consultations import ConsultationInput, validate_consultation
from oma_desktop.services.duplicates import (
    Candidate,
    comparable_key,
    document_keys,
    find_duplicates_many,
    name_similarity,
)
from oma_desktop.services.importer._constants import MAX_CELL, PREVIEW_ROWS, SAME_NAME_SCORE, WARN_SCORE
from oma_desktop.services.importer.mapping import (
    CONSULTATION_FIELDS,
    DATE_PHRASES,
    ImportOptions,
    check_mapping,
    column_name,
)
from oma_desktop.services.importer.table import Table
from oma_desktop.services.importer.values import (
    EMPTY_MARKS,
    NO_WORDS,
    YES_WORDS,
    ValueParser,
    parse_age,
    parse_datetime,
)
from oma_desktop.services.permissions import Permission
from oma_desktop.services.persons import (
    DocumentInput,
    PersonInput,
    age_on,
    validate_person,
)
from oma_desktop.services.session import Session

Severity = Literal["error", "warning"]
RowStatus = Literal["new", "existing", "repeated", "review", "error", "empty"]


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
    # "review": the registered persons it may be (a coordinator decides, see duplicate_review)
    review_candidates: list[str] = field(default_factory=list)
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
    "review": N_("Possible duplicate to review"),
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
    # the file the rows came from (kept with the possible duplicates sent to review)
    source: str = ""
    # (person rowid, document rowid) when planned: the saving transaction checks again
    # against what was registered after them
    since: tuple[int, int] = (0, 0)

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
    def probable_duplicates(self) -> list[PlannedRow]:
        """Rows that may be a registered person, to be decided by a coordinator."""
        return [r for r in self.rows if r.status == "review" and not r.has_errors]

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
            (len(self.probable_duplicates), ngettext(
                "{n} row may be a person already registered: it goes to the list of possible "
                "duplicates to review.",
                "{n} rows may be persons already registered: they go to the list of possible "
                "duplicates to review.", len(self.probable_duplicates))),
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
        return column_name(self.headers, indexes[0]) if indexes else ""

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


def check_cells(ctx: _RowContext, mapping: Mapping[int, str]) -> None:
    """Cells that cannot be read as text: too long, or with invisible characters.

    Such a cell is reported (in Spanish, naming the row and column) and then read as empty,
    so it is not reported again by the field's own rules. A cell starting with ``=``,
    ``+``, ``-`` or ``@`` is kept as the text it is: nothing here evaluates it.
    """
    for index, target in mapping.items():
        cell = ctx.cells[index]
        if not cell:
            continue
        column = column_name(ctx.headers, index)
        if len(cell) > MAX_CELL:
            ctx.add(target, _(
                "Row {row}, column «{column}»: the cell has {count} characters; a cell can have at "
                "most {max}. Shorten it (or move the long text to the notes) and try again."
            ).format(row=ctx.number, column=column, count=len(cell), max=MAX_CELL))
        elif forbidden_characters(cell, multiline=True):
            ctx.add(target, _(
                "Row {row}, column «{column}»: the cell contains invisible control characters or "
                "marks that change the direction of the text; type it again in the list."
            ).format(row=ctx.number, column=column))
        else:
            continue
        ctx.cells[index] = ""


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
    if not raw or fold(raw) in EMPTY_MARKS:
        return None
    try:
        return parse_datetime(raw, today)
    except ValueError:
        ctx.add(target, _("Row {row}: {field} «{value}» is not a valid date (use day/month/year).")
                .format(row=ctx.number, field=_(DATE_PHRASES[target]), value=raw))
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
    if fold(raw_wa) in YES_WORDS:
        person.whatsapp = phone
    elif fold(raw_wa) in NO_WORDS:
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
    if raw_number and fold(raw_number) not in EMPTY_MARKS:
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
    if raw_follow and fold(raw_follow) not in EMPTY_MARKS:
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
    """The person's document numbers as they compare (``V-14.567.890`` = ``14567890``)."""
    return document_keys(person)


def _written(person: PersonInput, key: str) -> str:
    """The person's document number with ``key``, as written (without separators)."""
    for doc in person.documents:
        if comparable_key(doc.number) == key:
            return normalize_document_number(doc.number)
    return key


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
    docs_a = {(d.doc_type, comparable_key(d.number)) for d in a.documents}
    docs_b = {(d.doc_type, comparable_key(d.number)) for d in b.documents}
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

    def __init__(self, session: Session, today: dt.date) -> None:
        self.session = session
        self.store = session.store
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
                        row=ctx.number, number=_written(person, number), other=earlier.row_number,
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

    def in_database(self, ctx: _RowContext, person: PersonInput,
                    candidates: list[Candidate]) -> tuple[str, str] | list[Candidate] | None:
        """The registered person this row certainly is, as (id, name); the probable ones
        (a coordinator decides); or None for a new person.

        A row is attached only to a person sharing its document number with a similar
        name, or with a nearly identical name and the same birth date (and no document of
        the same type with another number): never to a person whose document differs.
        """
        for cand in candidates:
            if not cand.same_document:
                continue
            if not cand.certain:
                number = next(iter(sorted(document_keys(person))), "")
                ctx.add("doc_number", _(
                    "Row {row}: the document number {number} is already registered to {name}; "
                    "check the number.").format(row=ctx.number, number=_written(person, number),
                                                name=cand.full_name))
                return None
            return cand.person_id, cand.full_name
        for cand in candidates:
            if cand.certain:
                return cand.person_id, cand.full_name
        if not person.documents and person.birth_date is None and person.estimated_age is None:
            # a row that names someone and brings nothing else (an attention log): the one
            # registered person with exactly that name, if nothing contradicts it
            key = _person_name_key(person)
            same = [c for c in candidates if _name_key(c.full_name, "", "") == key and not (
                person.nationality and c.nationality and person.nationality != c.nationality)]
            if len(same) == 1:
                ctx.add("full_name", _(
                    "Row {row}: taken as {name}, already registered, because the name is the "
                    "same and no data contradicts it. Check it.").format(
                        row=ctx.number, name=same[0].full_name), "warning")
                return same[0].person_id, same[0].full_name
        probable = [c for c in candidates if c.score >= WARN_SCORE]
        if probable:
            best = probable[0]
            ctx.add("full_name", _(
                "Row {row}: looks like {name}, already registered ({score} %); it is neither "
                "registered nor merged: it goes to the list of possible duplicates for a "
                "coordinator to decide.").format(row=ctx.number, name=best.full_name,
                                                  score=best.score), "warning")
            return probable
        return None


def _as_dict(p: PersonInput) -> dict[str, str]:
    return {"given_names": p.given_names, "paternal_surname": p.paternal_surname,
            "maternal_surname": p.maternal_surname}


def _display_name(p: PersonInput | dict[str, Any]) -> str:
    parts = _as_dict(p) if isinstance(p, PersonInput) else p
    return " ".join(str(parts[k]) for k in ("given_names", "paternal_surname", "maternal_surname")
                    if parts.get(k))


def _high_water(store: Store) -> tuple[int, int]:
    """(last person rowid, last document rowid): what was registered when planning."""
    return (int(store.conn.execute("SELECT coalesce(max(rowid), 0) FROM person").fetchone()[0]),
            int(store.conn.execute("SELECT coalesce(max(rowid), 0) FROM document").fetchone()[0]))


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
    session: Session,
    table: Table,
    mapping: dict[int, str],
    *,
    consent_confirmed: bool,
    today: dt.date | None = None,
    options: ImportOptions | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    source: str = "",
) -> ImportPlan:
    """Parse, validate and match every row; writes nothing.

    ``consent_confirmed`` is the coordinator's statement that everyone on the list agreed
    to be registered; without it every row is an error. ``progress(done, total)`` is called
    as rows are planned (the dialog runs this off the GUI thread). Raises
    :class:`OmaError` when the mapping itself is unusable (see :func:`check_mapping`).
    """
    session.require(Permission.IMPORT)
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
    store, catalogs = session.store, session.catalogs
    parser = ValueParser(catalogs)
    matcher = _Matcher(session, today)
    surnames_first = _surnames_first(table.headers, columns)
    registered: dict[str, set[tuple[str, frozenset[str]]]] = {}
    planned: dict[str, set[tuple[str, frozenset[str]]]] = {}
    rows: list[PlannedRow] = []
    contexts: list[_RowContext] = []
    since = _high_water(store)
    total = len(table.rows)
    # first pass: read every row (the matching then asks the database once for the list)
    for done, (number, cells) in enumerate(zip(table.row_numbers, table.rows, strict=True)):
        if progress is not None and done % 200 == 0:
            progress(done // 2, total)
        row = PlannedRow(row_number=number, cells=list(cells))
        rows.append(row)
        if not any(cells[i].strip() for i in mapping):
            row.status = "empty"
            continue
        ctx = _RowContext(number, cells, table.headers, columns)
        contexts.append(ctx)
        check_cells(ctx, mapping)
        row.person = _build_person(ctx, parser, options, today, consent_confirmed, surnames_first)
        row.consultation = _build_consultation(ctx, parser, options, today, store.casa_id)
    named = [r for r in rows if r.person is not None and r.person.given_names.strip() and (
        r.person.paternal_surname.strip() or r.person.maternal_surname.strip()
        or _doc_numbers(r.person))]
    found = dict(zip((r.row_number for r in named), find_duplicates_many(
        session, [r.person for r in named if r.person is not None], today=today), strict=True))
    # second pass: match, validate, decide
    live = iter(contexts)
    for done, row in enumerate(rows):
        if progress is not None and done % 200 == 0:
            progress((total + done) // 2, total)
        if row.status == "empty" or row.person is None:
            continue
        ctx = next(live)
        person, cons, number = row.person, row.consultation, row.row_number
        earlier = matcher.in_file(ctx, person)
        if earlier is not None:
            row.status = "repeated"
            row.same_as_row = earlier.row_number
            row.existing_person_id = earlier.existing_id
        else:
            outcome = matcher.in_database(ctx, person, found.get(number, []))
            if isinstance(outcome, tuple):
                row.status = "existing"
                row.existing_person_id, row.existing_person_name = outcome
            elif outcome:
                row.status = "review"
                row.review_candidates = [c.person_id for c in outcome]
            matcher.remember(row)
        for key, message in validate_person(person, catalogs, today).items():
            if key == "consent_register":
                continue
            target = _target_for(key, _PERSON_KEYS, columns)
            if any(i.field == target and i.severity == "error" for i in ctx.issues):
                continue  # the cell was already reported as unreadable
            if row.status not in ("new", "review") and not ctx.values(target):
                continue  # a registered or earlier person: a missing value changes nothing
            ctx.problem(target, message)
        if cons is not None:
            check = replace(cons, person_id="-")
            for key, message in validate_consultation(check, catalogs, now).items():
                target = _target_for(key, _CONSULTATION_KEYS, columns)
                if any(i.field == target and i.severity == "error" for i in ctx.issues):
                    continue
                ctx.problem(target, message)
        if not consent_confirmed and ctx is contexts[0]:
            # said once for the whole list, not once per row
            ctx.issues.insert(0, RowIssue(number, "consent", _(
                "The coordinator has not confirmed that the people on the list agreed to be "
                "registered; without that consent their data cannot be imported.")))
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
            row.status = "error" if row.status in ("new", "review") else row.status
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
        source=source,
        since=since,
    )
