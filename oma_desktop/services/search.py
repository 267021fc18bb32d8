"""Find a person as the clerk types: names in any order, document numbers, phones.

Names go through the FTS5 index (``unicode61 remove_diacritics 2``: accent- and
case-insensitive, prefix matching); chunks containing digits are document numbers
(compared without dots, hyphens or spaces) or phone numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from oma_desktop.core.text import fold, normalize_document_number, normalize_phone
from oma_desktop.services.persons import age_on
from oma_desktop.services.session import Session

DEFAULT_LIMIT = 50
MIN_NUMBER_PREFIX = 4
_CHUNKS = re.compile(r"[\s,;]+")


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


def _number_clause(number: str) -> tuple[str, list[Any]]:
    """SQL (over ``p``) true when a document or phone of the person matches ``number``.

    Written as ``IN (subquery)`` so SQLite drives the search from the document index
    and the phone index instead of scanning every person.
    """
    if len(number) >= MIN_NUMBER_PREFIX:
        doc = "number_norm >= ? AND number_norm < ?"
        params: list[Any] = [number, number + "\uffff"]
    else:
        doc = "number_norm = ?"
        params = [number]
    sql = f"p.id IN (SELECT person_id FROM document WHERE {doc} AND deleted = 0)"
    phone = normalize_phone(number) if number.isdigit() else ""
    if len(phone) >= MIN_NUMBER_PREFIX:
        sql = f"({sql} OR p.rowid IN (SELECT rowid FROM person_fts WHERE person_fts MATCH ?))"
        params.append(f'search_phones : "{phone}"*')
    return sql, params


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
    query = parse_query(text)
    if query.empty:
        return []
    today = today or dt.date.today()
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
