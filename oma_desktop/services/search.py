"""Find a person as the clerk types: names in any order, document numbers, phones.

Names go through the FTS5 index (``unicode61 remove_diacritics 2``: accent- and
case-insensitive, prefix matching); chunks containing digits are document numbers or
phone numbers. Document numbers compare as typed (without dots, hyphens or spaces) and by
their key (``document.number_key``: digits without leading zeros), so a Venezuelan cédula
typed without its ``V`` or a number without its leading zeros still finds the person.
When a name and a number together find nobody, the number alone is tried and its persons
whose name resembles the typed one are kept: a correct document with a misspelled name
still finds the person.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from oma_desktop.core.text import document_number_key, fold, normalize_document_number, normalize_phone
from oma_desktop.services.permissions import Permission
from oma_desktop.services.persons import age_on
from oma_desktop.services.session import Session

DEFAULT_LIMIT = 50
MIN_NUMBER_PREFIX = 4
_CHUNKS = re.compile(r"[\s,;]+")
# letters a document number may start with and still be compared by its digits alone
# (Venezuelan cédulas: V-12.345.678 for nationals, E-… for foreigners)
_KEY_PREFIXES = re.compile(r"[VE]?\d+")
# a typed name word this close (rapidfuzz ratio) to a word of the person's name is a typo
_TYPO_SCORE = 70


@dataclass(frozen=True)
class PersonHit:
    id: str
    given_names: str
    paternal_surname: str
    maternal_surname: str
    sex: str | None
    age: int | None
    age_estimated: bool
    nationality: str | None
    document_type: str | None
    document_number: str | None
    phone: str
    casa_id: str | None
    last_visit: str | None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_names, self.paternal_surname, self.maternal_surname) if p)


@dataclass(frozen=True)
class ParsedQuery:
    names: tuple[str, ...]
    numbers: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.names and not self.numbers


def parse_query(text: str) -> ParsedQuery:
    """``"Pérez, José 001-234.567"`` -> names ("perez", "jose"), numbers ("001234567",)."""
    names: list[str] = []
    numbers: list[str] = []
    previous_was_number = False
    for chunk in _CHUNKS.split(text.strip()):
        if not chunk:
            continue
        if any(ch.isdigit() for ch in chunk):
            number = normalize_document_number(chunk.lstrip("+"))
            if previous_was_number and numbers:
                numbers[-1] += number  # "+51 912 345 678", "001 234 567": one number
            elif number:
                numbers.append(number)
            previous_was_number = True
        else:
            names.extend(t for t in fold(chunk).split() if t)
            previous_was_number = False
    return ParsedQuery(tuple(dict.fromkeys(names)), tuple(dict.fromkeys(numbers)))


def _fts_names(names: tuple[str, ...]) -> str:
    return " AND ".join(f'search_name : "{t}"*' for t in names)


def _prefix_or_equal(column: str, value: str) -> tuple[str, list[Any]]:
    if len(value) >= MIN_NUMBER_PREFIX:
        return f"{column} >= ? AND {column} < ?", [value, value + "\uffff"]
    return f"{column} = ?", [value]


def _number_clause(number: str) -> tuple[str, list[Any]]:
    """SQL (over ``p``) true when a document or phone of the person matches ``number``.

    Written as ``IN (subquery)`` so SQLite drives the search from the document indexes
    and the phone index instead of scanning every person.
    """
    doc, params = _prefix_or_equal("number_norm", number)
    # "<> ''" lets SQLite use the partial indexes (number_norm and number_key skip empties)
    sql = f"p.id IN (SELECT person_id FROM document WHERE {doc} AND number_norm <> '' AND deleted = 0)"
    if _KEY_PREFIXES.fullmatch(number):
        key_sql, key_params = _prefix_or_equal("number_key", document_number_key(number))
        # only numbers that are digits (after a V/E and leading zeros) compare by their key:
        # passport AB123456 is not the cédula 123456
        sql = (f"({sql} OR p.id IN (SELECT person_id FROM document WHERE {key_sql}"
               " AND number_key <> '' AND ltrim(number_norm, 'VE0') = number_key AND deleted = 0))")
        params += key_params
    phone = normalize_phone(number) if number.isdigit() else ""
    if len(phone) >= MIN_NUMBER_PREFIX:
        sql = f"({sql} OR p.rowid IN (SELECT rowid FROM person_fts WHERE person_fts MATCH ?))"
        params.append(f'search_phones : "{phone}"*')
    return sql, params


def _resembles(names: tuple[str, ...], hit: PersonHit) -> bool:
    """Whether some typed name word is a typo of a word of the person's name."""
    words = fold(hit.full_name).split()
    return any(fuzz.ratio(typed, word) >= _TYPO_SCORE for typed in names for word in words)


_SELECT = """
SELECT p.id, p.given_names, p.paternal_surname, p.maternal_surname, p.sex, p.birth_date,
       p.birth_date_estimated, p.nationality, p.phone, p.casa_id,
       (SELECT d.doc_type || char(31) || d.number FROM document d
         WHERE d.person_id = p.id AND d.deleted = 0
         ORDER BY d.expiry_date IS NULL, d.expiry_date DESC LIMIT 1) AS doc,
       (SELECT max(c.occurred_at) FROM consultation c
         WHERE c.person_id = p.id AND c.deleted = 0) AS last_visit
FROM person p
"""


def search_persons(
    session: Session, text: str, limit: int = DEFAULT_LIMIT, today: dt.date | None = None
) -> list[PersonHit]:
    """Up to ``limit`` persons matching ``text``, best name matches first."""
    session.require(Permission.VIEW_PERSONS)
    query = parse_query(text)
    if query.empty:
        return []
    today = today or dt.date.today()
    hits = _search(session, query, limit, today)
    if not hits and query.names and query.numbers:
        # a correct number with a misspelled name: the number decides, the name must resemble
        by_number = _search(session, ParsedQuery((), query.numbers), limit, today)
        hits = [hit for hit in by_number if _resembles(query.names, hit)]
    return hits


def _search(session: Session, query: ParsedQuery, limit: int, today: dt.date) -> list[PersonHit]:
    """The one search statement: names through FTS, numbers as document/phone filters."""
    where = ["p.deleted = 0"]
    params: list[Any] = []
    order = "p.rowid DESC"
    if query.names:
        sql = (
            _SELECT
            + "JOIN (SELECT rowid AS r, rank FROM person_fts WHERE person_fts MATCH ?"
            " ORDER BY rank LIMIT ?) hits ON hits.r = p.rowid\n"
        )
        # ask FTS for more than ``limit`` when numbers still have to filter the hits
        params += [_fts_names(query.names), limit * (20 if query.numbers else 2)]
        order = "hits.rank"
    else:
        sql = _SELECT
    for number in query.numbers:
        clause, extra = _number_clause(number)
        where.append(clause)
        params += extra
    sql += "WHERE " + " AND ".join(where) + f" ORDER BY {order} LIMIT ?"
    params.append(limit)
    return [_hit(row, today) for row in session.store.conn.execute(sql, params)]


def hit_for_person(session: Session, person_id: str, today: dt.date | None = None) -> PersonHit | None:
    """The same row :func:`search_persons` gives for ``person_id`` (None if missing or deleted)."""
    session.require(Permission.VIEW_PERSONS)
    row = session.store.conn.execute(
        _SELECT + "WHERE p.id = ? AND p.deleted = 0", [person_id]
    ).fetchone()
    return None if row is None else _hit(row, today or dt.date.today())


def _hit(row: Any, today: dt.date) -> PersonHit:
    doc_type, doc_number = (row[10].split("\x1f", 1) if row[10] else (None, None))
    return PersonHit(
        id=row[0],
        given_names=row[1],
        paternal_surname=row[2],
        maternal_surname=row[3],
        sex=row[4],
        age=age_on(row[5], today),
        age_estimated=bool(row[6]),
        nationality=row[7],
        phone=row[8],
        casa_id=row[9],
        document_type=doc_type,
        document_number=doc_number,
        last_visit=row[11],
    )
