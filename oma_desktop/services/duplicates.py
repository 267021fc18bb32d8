"""Likely duplicates of a person being registered, with the reasons a clerk can check.

Nothing merges: the clerk sees the candidates and chooses "es la misma persona" (open
the existing record) or "es otra persona" (save the new one).

Scoring (0-100): the same document number (any type) is nearly decisive; otherwise the
names must be close (two surnames in any order, compound given names, accents and ñ
folded) and the birth date adds evidence when equal, day/month swapped, or one year off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from oma_desktop.core.text import fold, normalize_document_number
from oma_desktop.i18n import _
from oma_desktop.services.persons import PersonInput
from oma_desktop.services.session import Session

THRESHOLD = 60
MAX_CANDIDATES = 300
_PREFIX = 4


@dataclass
class Candidate:
    person_id: str
    full_name: str
    birth_date: str | None
    nationality: str | None
    documents: list[str]
    casa_id: str | None
    score: int
    reasons: list[str] = field(default_factory=list)


def _tokens(*parts: str) -> list[str]:
    return [t for p in parts for t in fold(p).split() if len(t) > 1]


def _fts_query(data: PersonInput) -> str | None:
    surnames = _tokens(data.paternal_surname, data.maternal_surname)
    given = _tokens(data.given_names)
    if not surnames or not given:
        return None

    def any_of(tokens: list[str]) -> str:
        return "(" + " OR ".join(f'"{t[:_PREFIX]}"*' for t in dict.fromkeys(tokens)) + ")"

    # a surname and a given name must share their first letters: tolerant of typos at
    # the end (Gonzales/González) and of surnames in either order
    return f"search_name : ({any_of(surnames)} AND {any_of(given)})"


def name_similarity(a: PersonInput | dict[str, str], b: dict[str, str]) -> int:
    """0-100 similarity of two persons' names, robust to order and compound names."""
    def parts(x: PersonInput | dict[str, str]) -> tuple[str, str]:
        if isinstance(x, PersonInput):
            return fold(x.given_names), fold(f"{x.paternal_surname} {x.maternal_surname}")
        return fold(x["given_names"]), fold(f"{x['paternal_surname']} {x['maternal_surname']}")

    given_a, sur_a = parts(a)
    given_b, sur_b = parts(b)
    given = fuzz.token_set_ratio(given_a, given_b)
    surnames = max(fuzz.token_sort_ratio(sur_a, sur_b), fuzz.token_set_ratio(sur_a, sur_b) - 5)
    return round(0.45 * given + 0.55 * surnames)


def birth_date_relation(a: dt.date | None, b: dt.date | None) -> str | None:
    """``same``, ``swapped`` (day/month), ``year_off`` (±1 year) or None."""
    if a is None or b is None:
        return None
    if a == b:
        return "same"
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return "swapped"
    if (a.month, a.day) == (b.month, b.day) and abs(a.year - b.year) == 1:
        return "year_off"
    return None


def find_duplicates(
    session: Session, data: PersonInput, exclude_id: str | None = None, limit: int = 5
) -> list[Candidate]:
    """The most likely existing persons for ``data``, best first, above the threshold."""
    store = session.store
    ids: dict[int, None] = {}
    query = _fts_query(data)
    if query:
        for (rowid,) in store.conn.execute(
            "SELECT rowid FROM person_fts WHERE person_fts MATCH ? ORDER BY rank LIMIT ?",
            [query, MAX_CANDIDATES],
        ):
            ids[rowid] = None
    doc_numbers = {
        normalize_document_number(d.number)
        for d in data.documents
        if d.doc_type != "NINGUNO" and normalize_document_number(d.number)
    }
    by_doc: dict[str, set[str]] = {}
    for number in doc_numbers:
        for row in store.conn.execute(
            "SELECT p.rowid, d.person_id FROM document d JOIN person p ON p.id = d.person_id"
            " WHERE d.number_norm = ? AND d.deleted = 0",
            [number],
        ):
            ids[row[0]] = None
            by_doc.setdefault(row[1], set()).add(number)
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = store.rows(
        f"SELECT id, given_names, paternal_surname, maternal_surname, birth_date,"
        f" birth_date_estimated, nationality, casa_id FROM person"
        f" WHERE rowid IN ({marks}) AND deleted = 0",
        list(ids),
    )
    birth = data.birth_date
    candidates = []
    for row in rows:
        if row["id"] == exclude_id:
            continue
        reasons: list[str] = []
        names = name_similarity(data, row)
        score = 0.7 * names
        if names >= 85:
            reasons.append(_("Very similar name ({score} %)").format(score=names))
        elif names >= 70:
            reasons.append(_("Similar name ({score} %)").format(score=names))
        other = dt.date.fromisoformat(row["birth_date"]) if row["birth_date"] else None
        relation = birth_date_relation(birth, other) if not row["birth_date_estimated"] else None
        if relation == "same":
            score += 30
            reasons.append(_("Same birth date"))
        elif relation == "swapped":
            score += 22
            reasons.append(_("Birth date with day and month swapped"))
        elif relation == "year_off":
            score += 18
            reasons.append(_("Birth date one year apart"))
        elif birth and other and abs((birth - other).days) > 3 * 365:
            score -= 15
        if row["id"] in by_doc:
            score = max(score, 90) + 10
            reasons.insert(0, _("Same document number ({number})").format(
                number=", ".join(sorted(by_doc[row["id"]]))))
        final = max(0, min(100, round(score)))
        if final >= THRESHOLD:
            candidates.append(Candidate(
                person_id=row["id"],
                full_name=" ".join(
                    p for p in (row["given_names"], row["paternal_surname"], row["maternal_surname"]) if p
                ),
                birth_date=row["birth_date"],
                nationality=row["nationality"],
                documents=[],
                casa_id=row["casa_id"],
                score=final,
                reasons=reasons,
            ))
    candidates.sort(key=lambda c: -c.score)
    top = candidates[:limit]
    for cand in top:
        cand.documents = [
            f"{r['doc_type']} {r['number']}"
            for r in store.rows(
                "SELECT doc_type, number FROM document WHERE person_id = ? AND deleted = 0",
                [cand.person_id],
            )
        ]
    return top
