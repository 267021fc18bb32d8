"""Likely duplicates of a person being registered, with the reasons a clerk can check.

Nothing merges: the clerk sees the candidates and chooses "es la misma persona" (open
the existing record) or "es otra persona" (save the new one); an import sends its
probable duplicates to a coordinator (``services.duplicate_review``).

A warning that fires on most people is no warning, so a similar name alone is not enough
(scores 0-100, :data:`THRESHOLD` to be mentioned):

* the same document number (compared by :func:`core.text.document_number_key`: digits
  without leading zeros, whatever the type or country) is decisive;
* both persons holding a document of the same type with different numbers are different
  persons (twins with one birth date stay two people);
* otherwise the names must be close (two surnames in any order, compound given names,
  accents and ñ folded) AND the birth dates related (equal, day/month swapped, one year
  apart); two known birth dates that are not related rule the candidate out;
* when a birth date is unknown or only estimated (and not contradicting), only the same
  name (:func:`same_names`) is mentioned.

A candidate is *certain* (an import attaches the row without asking) only with the same
document number and a similar name, or the same name and the same birth date (or the same
phone), and no document of the same type with another number.

:func:`find_duplicates` serves one person (the form); :func:`find_duplicates_many` serves
an import: a few set-based queries for the whole list instead of a search per row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from oma_desktop.core.text import document_number_key, fold, normalize_document_number, normalize_phone
from oma_desktop.i18n import _
from oma_desktop.services.permissions import Permission
from oma_desktop.services.persons import PersonInput, age_on
from oma_desktop.services.session import Session

_fold = fold  # cached in core.text

THRESHOLD = 60
MAX_CANDIDATES = 300
# names at least this similar can be the same person when the birth dates agree
NAME_FLOOR = 70
# "the same name": the same given names (accents, case and order aside) and surnames at
# least this similar (a typo) — what a certain match and a name-only mention need
SAME_SURNAMES = 90
_PREFIX = 4
_NO_DOCUMENT = "NINGUNO"


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
    # the same document number (by key)
    same_document: bool = False
    # sure enough to attach without asking: the same document, or a nearly identical name
    # with the same birth date, or the identical name with the same phone
    certain: bool = False


@dataclass(frozen=True)
class _Registered:
    """A registered person as the scoring sees it."""

    rowid: int
    id: str
    given_names: str
    paternal_surname: str
    maternal_surname: str
    birth_date: dt.date | None
    estimated: bool
    sex: str | None
    nationality: str | None
    casa_id: str | None
    phones: frozenset[str]

    @property
    def names(self) -> dict[str, str]:
        return {"given_names": self.given_names, "paternal_surname": self.paternal_surname,
                "maternal_surname": self.maternal_surname}

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_names, self.paternal_surname,
                                    self.maternal_surname) if p)


_COLUMNS = ("rowid, id, given_names, paternal_surname, maternal_surname, birth_date,"
            " birth_date_estimated, sex, nationality, casa_id, phone, whatsapp")


def _registered(row: Sequence[Any]) -> _Registered:
    phones = frozenset(p for p in (normalize_phone(row[10] or ""), normalize_phone(row[11] or ""))
                       if p)
    return _Registered(
        rowid=row[0], id=row[1], given_names=row[2], paternal_surname=row[3],
        maternal_surname=row[4],
        birth_date=dt.date.fromisoformat(row[5][:10]) if row[5] else None,
        estimated=bool(row[6]), sex=row[7], nationality=row[8], casa_id=row[9], phones=phones,
    )


def document_keys(data: PersonInput) -> set[str]:
    """The keys of the person's documents (``NINGUNO`` and empty numbers left out)."""
    return {key for d in data.documents if d.doc_type != _NO_DOCUMENT
            for key in [comparable_key(d.number)] if key}


def comparable_key(number: str) -> str:
    """The key a number is compared by, or "" when it has no digits to compare.

    Numbers made of digits (after a ``V``/``E`` and leading zeros) compare by their key;
    a passport such as ``AB123456`` compares whole, so it never equals the cédula 123456.
    """
    norm = normalize_document_number(number)
    if not any(ch.isdigit() for ch in norm):
        return ""
    key = document_number_key(number)
    return key if norm.lstrip("VE0") == key else norm


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
            return _fold(x.given_names), _fold(f"{x.paternal_surname} {x.maternal_surname}")
        return _fold(x["given_names"]), _fold(f"{x['paternal_surname']} {x['maternal_surname']}")

    given_a, sur_a = parts(a)
    given_b, sur_b = parts(b)
    given = fuzz.token_set_ratio(given_a, given_b)
    surnames = max(fuzz.token_sort_ratio(sur_a, sur_b), fuzz.token_set_ratio(sur_a, sur_b) - 5)
    return round(0.45 * given + 0.55 * surnames)


def same_names(a: PersonInput, b: dict[str, str]) -> bool:
    """The same given names (folded, in any order) and surnames differing at most by a typo.

    Twins "Ana María" and "Ana Marta" do not have the same names, however similar.
    """
    if _given_key(a.given_names) != _given_key(b["given_names"]):
        return False
    sur_a = _fold(f"{a.paternal_surname} {a.maternal_surname}")
    sur_b = _fold(f"{b['paternal_surname']} {b['maternal_surname']}")
    return bool(sur_a) and fuzz.token_sort_ratio(sur_a, sur_b) >= SAME_SURNAMES


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


def related_dates(birth: dt.date) -> list[dt.date]:
    """Every birth date :func:`birth_date_relation` relates to ``birth`` (itself included)."""
    out = [birth]
    if birth.day <= 12 and birth.day != birth.month:
        out.append(dt.date(birth.year, birth.day, birth.month))
    for year in (birth.year - 1, birth.year + 1):
        with contextlib.suppress(ValueError):  # 29 February
            out.append(birth.replace(year=year))
    return out


class _Incoming:
    """What the scoring needs from the person being registered, computed once."""

    def __init__(self, data: PersonInput, today: dt.date) -> None:
        self.data = data
        self.keys = document_keys(data)
        self.doc_types = {d.doc_type: comparable_key(d.number) for d in data.documents
                          if d.doc_type != _NO_DOCUMENT and comparable_key(d.number)}
        self.age = (age_on(data.birth_date, today) if data.birth_date is not None
                    else data.estimated_age)
        self.phones = {normalize_phone(p) for p in (data.phone, data.whatsapp) if p} - {""}
        self.name_key = " ".join(fold(f"{data.given_names} {data.paternal_surname} "
                                      f"{data.maternal_surname}").split())
        self.prefixes = _surname_prefixes(data.paternal_surname, data.maternal_surname)
        self.today = today


def _score(new: _Incoming, reg: _Registered, shared: bool) -> Candidate | None:
    """The candidate ``reg`` is for ``new`` (None when it is not one)."""
    data = new.data
    reasons: list[str] = []
    names = name_similarity(data, reg.names)
    relation = None if reg.estimated else birth_date_relation(data.birth_date, reg.birth_date)
    certain = False
    if shared:
        score = 100.0
        certain = names >= NAME_FLOOR
    else:
        if names < NAME_FLOOR:
            return None
        same = same_names(data, reg.names)
        if relation == "same":
            score = 0.7 * names + 30
            certain = same
        elif relation == "swapped":
            score = 0.7 * names + 22
        elif relation == "year_off":
            score = 0.7 * names + 18
        elif data.birth_date is not None and reg.birth_date is not None and not reg.estimated:
            return None  # two known birth dates that are not related: two persons
        else:
            other_age = age_on(reg.birth_date, new.today)
            if new.age is not None and other_age is not None and abs(new.age - other_age) > 2:
                return None
            if not same:
                return None
            score = 0.7 * names
        if data.sex in ("F", "M") and reg.sex in ("F", "M") and data.sex != reg.sex:
            score -= 20
            certain = False
        if new.phones & reg.phones:
            score += 10
            reasons.append(_("Same phone number"))
            if same and relation in (None, "same"):
                certain = True
    if names >= 85:
        reasons.insert(0, _("Very similar name ({score} %)").format(score=names))
    elif names >= NAME_FLOOR:
        reasons.insert(0, _("Similar name ({score} %)").format(score=names))
    if relation == "same":
        reasons.append(_("Same birth date"))
    elif relation == "swapped":
        reasons.append(_("Birth date with day and month swapped"))
    elif relation == "year_off":
        reasons.append(_("Birth date one year apart"))
    final = max(0, min(100, round(score)))
    if final < THRESHOLD:
        return None
    return Candidate(
        person_id=reg.id, full_name=reg.full_name,
        birth_date=reg.birth_date.isoformat() if reg.birth_date else None,
        nationality=reg.nationality, documents=[], casa_id=reg.casa_id, score=final,
        reasons=reasons, same_document=shared, certain=certain,
    )


def _documents_of(session: Session, person_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """person id -> [(doc_type, number)] of their documents, in one query."""
    out: dict[str, list[tuple[str, str]]] = {}
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return out
    for person_id, doc_type, number in session.store.conn.execute(
        "SELECT person_id, doc_type, number FROM document WHERE deleted = 0 AND person_id IN"
        " (SELECT value FROM json_each(?)) ORDER BY rowid",
        [json.dumps(ids)],
    ):
        out.setdefault(person_id, []).append((doc_type, number))
    return out


def _by_keys(session: Session, keys: set[str], since: int = 0) -> dict[str, set[str]]:
    """key -> ids of the registered persons holding a document with that key."""
    out: dict[str, set[str]] = {}
    if not keys:
        return out
    # a key stands for numbers of digits (number_key) or a whole number (number_norm)
    for person_id, number in session.store.conn.execute(
        "SELECT d.person_id, d.number FROM document d JOIN person p ON p.id = d.person_id"
        " WHERE d.deleted = 0 AND p.deleted = 0 AND d.rowid > ? AND"
        " ((d.number_key <> '' AND d.number_key IN (SELECT value FROM json_each(?)))"
        "  OR (d.number_norm <> '' AND d.number_norm IN (SELECT value FROM json_each(?))))",
        [since, json.dumps(sorted(keys)), json.dumps(sorted(keys))],
    ):
        key = comparable_key(number)
        if key in keys:
            out.setdefault(key, set()).add(person_id)
    return out


def _finish(session: Session, new: _Incoming, found: list[Candidate],
            docs: dict[str, list[tuple[str, str]]], limit: int) -> list[Candidate]:
    """Drop candidates holding a different document of the same type; describe the rest."""
    kept = []
    for cand in found:
        theirs = docs.get(cand.person_id, [])
        if not cand.same_document and any(
            doc_type in new.doc_types and comparable_key(number) != new.doc_types[doc_type]
            for doc_type, number in theirs
        ):
            continue  # the same kind of document with another number: another person
        if not cand.same_document and new.keys and any(comparable_key(n) for _t, n in theirs):
            # both hold documents and share none: maybe the same person with another
            # document, never certain (an import never attaches a row to a person whose
            # document number differs)
            cand.certain = False
        if cand.same_document:
            shared = sorted({normalize_document_number(n) for _t, n in theirs
                             if comparable_key(n) in new.keys})
            cand.reasons.insert(0, _("Same document number ({number})").format(
                number=", ".join(shared)))
        kept.append(cand)
    kept.sort(key=lambda c: (-c.score, c.person_id))
    top = kept[:limit]
    for cand in top:
        cand.documents = [f"{t} {n}" for t, n in docs.get(cand.person_id, [])]
    return top


def _load(session: Session, ids: Iterable[str]) -> dict[str, _Registered]:
    """The registered persons ``ids`` (deleted ones left out), in one query."""
    return {reg.id: reg for reg in map(_registered, session.store.conn.execute(
        f"SELECT {_COLUMNS} FROM person WHERE deleted = 0 AND id IN"
        " (SELECT value FROM json_each(?))", [json.dumps(sorted(set(ids)))]))}


@functools.lru_cache(maxsize=1 << 17)
def _given_key(given: str) -> str:
    return " ".join(sorted(_fold(given).split()))


@functools.lru_cache(maxsize=1 << 16)
def _prefixes(surname: str) -> tuple[str, ...]:
    """The first three letters of each word of a surname (folded), the bucket keys."""
    return tuple(dict.fromkeys(t[:3] for t in _fold(surname).split() if len(t) > 1))


def _surname_prefixes(paternal: str, maternal: str) -> frozenset[str]:
    return frozenset(_prefixes(paternal) + _prefixes(maternal))


def _ids_for_one(session: Session, new: _Incoming, since: int) -> set[str]:
    """The form: the persons the names find (full-text, best first), and among all those
    the names find, the ones with a related birth date."""
    query = _fts_query(new.data)
    if not query:
        return set()
    conn = session.store.conn
    ids = {pid for (pid,) in conn.execute(
        "SELECT p.id FROM (SELECT rowid AS r FROM person_fts WHERE person_fts MATCH ?"
        " ORDER BY rank LIMIT ?) hits JOIN person p ON p.rowid = hits.r WHERE p.rowid > ?",
        [query, MAX_CANDIDATES, since])}
    if new.data.birth_date is not None:
        dates = [d.isoformat() for d in related_dates(new.data.birth_date)]
        ids |= {pid for (pid,) in conn.execute(
            "SELECT id FROM person WHERE rowid > ? AND birth_date IN"
            " (SELECT value FROM json_each(?)) AND rowid IN"
            " (SELECT rowid FROM person_fts WHERE person_fts MATCH ?)",
            [since, json.dumps(dates), query])}
    return ids


def _ids_for_many(session: Session, incoming: Sequence[_Incoming], since: int) -> list[set[str]]:
    """An import: one pass over the registered persons for the whole list.

    Each registered person the list may concern is put in a bucket keyed by (exact birth
    date, surname prefix) or (given names, surname prefix); each row then looks only at
    the buckets of its related dates and of its own given names, so the work grows with
    the matches, not with the list times the database.
    """
    # (related date -> the surname prefixes of the rows born then), the given names asked
    want_by_day: dict[str, set[str]] = {}
    for n in incoming:
        if n.data.birth_date is not None:
            for d in related_dates(n.data.birth_date):
                want_by_day.setdefault(d.isoformat(), set()).update(n.prefixes)
    # given names -> surname prefixes: of every row (for registered persons without an
    # exact birth date) and of the rows without one (for those with one)
    any_birth: dict[str, set[str]] = {}
    no_birth: dict[str, set[str]] = {}
    for n in incoming:
        key = _given_key(n.data.given_names)
        any_birth.setdefault(key, set()).update(n.prefixes)
        if n.data.birth_date is None:
            no_birth.setdefault(key, set()).update(n.prefixes)
    Names = tuple[str, dict[str, str]]
    by_date: dict[tuple[str, str], list[Names]] = {}
    # given-name buckets: persons without an exact birth date, and (for rows without one)
    # persons with one
    undated: dict[tuple[str, str], list[Names]] = {}
    dated: dict[tuple[str, str], list[Names]] = {}
    for pid, given, paternal, maternal, birth, estimated in session.store.conn.execute(
        "SELECT id, given_names, paternal_surname, maternal_surname, birth_date,"
        " birth_date_estimated FROM person WHERE deleted = 0 AND rowid > ?", [since]
    ):
        if birth and not estimated:
            day = birth[:10]
            wanted = want_by_day.get(day)
            if wanted is not None:
                for prefix in _prefixes(paternal) + _prefixes(maternal):
                    if prefix not in wanted:
                        continue
                    by_date.setdefault((day, prefix), []).append((pid, {
                        "given_names": given, "paternal_surname": paternal,
                        "maternal_surname": maternal}))
            if not no_birth:
                continue
            bucket, asked = dated, no_birth
        else:
            bucket, asked = undated, any_birth
        given_key = _given_key(given)
        prefixes = asked.get(given_key)
        if prefixes is not None:
            for prefix in _prefixes(paternal) + _prefixes(maternal):
                if prefix not in prefixes:
                    continue
                bucket.setdefault((given_key, prefix), []).append((pid, {
                    "given_names": given, "paternal_surname": paternal,
                    "maternal_surname": maternal}))
    out = []
    for new in incoming:
        found: dict[str, dict[str, str]] = {}
        birth = new.data.birth_date
        given_key = _given_key(new.data.given_names)
        for prefix in new.prefixes:
            if birth is not None:
                for day in related_dates(birth):
                    found.update(by_date.get((day.isoformat(), prefix), ()))
            else:
                found.update(dated.get((given_key, prefix), ()))
            # the same given names: mentioned when a birth date is unknown on one side
            found.update(undated.get((given_key, prefix), ()))
        # the names decide here, before anything else of the person is read
        out.append({pid for pid, names in found.items()
                    if name_similarity(new.data, names) >= NAME_FLOOR})
    return out


def find_duplicates(
    session: Session, data: PersonInput, exclude_id: str | None = None, limit: int = 5,
    today: dt.date | None = None,
) -> list[Candidate]:
    """The most likely existing persons for ``data``, best first, above the threshold."""
    return find_duplicates_many(session, [data], today=today, exclude_id=exclude_id,
                                limit=limit)[0]


def find_duplicates_many(
    session: Session, people: Sequence[PersonInput], *, today: dt.date | None = None,
    exclude_id: str | None = None, limit: int = 5, since: tuple[int, int] = (0, 0),
) -> list[list[Candidate]]:
    """:func:`find_duplicates` for every person of a list, with set-based queries.

    ``since`` = (person rowid, document rowid): only records written after them are
    considered — an import repeats its check inside the saving transaction against what
    was registered since it was planned.
    """
    session.require(Permission.VIEW_PERSONS)
    today = today or dt.date.today()
    incoming = [_Incoming(p, today) for p in people]
    by_key = _by_keys(session, set().union(*(n.keys for n in incoming)), since[1])
    if len(incoming) == 1:
        ids_per_row = [_ids_for_one(session, incoming[0], since[0])]
    else:
        ids_per_row = _ids_for_many(session, incoming, since[0])
    shared_per_row = [{pid for key in new.keys for pid in by_key.get(key, ())}
                      for new in incoming]
    pool = _load(session, (pid for ids, shared in zip(ids_per_row, shared_per_row, strict=True)
                           for pid in ids | shared if pid != exclude_id))
    scored_all: list[list[Candidate]] = []
    for new, ids, shared_ids in zip(incoming, ids_per_row, shared_per_row, strict=True):
        scored = []
        for pid in ids | shared_ids:
            reg = pool.get(pid)
            if reg is None:
                continue
            cand = _score(new, reg, pid in shared_ids)
            if cand is not None:
                scored.append(cand)
        scored_all.append(scored)
    docs = _documents_of(session, (c.person_id for s in scored_all for c in s))
    return [_finish(session, new, scored, docs, limit)
            for new, scored in zip(incoming, scored_all, strict=True)]
