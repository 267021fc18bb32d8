"""The Seguimiento call list: follow-ups due and migratory documents about to expire.

Each item is someone to call. Marking it done records a ``follow_up_call`` (result and
note, who called and when) in the same transaction as its effect:

* ``contactado`` / ``resuelto``: the item is closed (``consultation.follow_up_done = 1``);
* ``no_contesta``: the item stays on the list, optionally with a new date (the
  consultation's ``follow_up_date`` moves to it, so the list stays an indexed query);
* ``numero_equivocado``: the item is closed and the person's phone is flagged as wrong
  until it is changed (:func:`wrong_phone_persons` compares the call with the phone's
  last change in the log, so no schema change is needed and correcting the number clears
  the flag).

A document item has no "done" column: a closing call on the document closes it, a
"no contesta" with a date moves it to that date.

Anonymous quick consultations with a follow-up date are listed too ("Atención anónima"):
they can be reopened and linked to a person.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from oma_desktop.core.errors import ValidationError
from oma_desktop.i18n import N_, _, format_date, format_datetime
from oma_desktop.services.history import changes, topic_names
from oma_desktop.services.permissions import Permission, is_sensitive_consultation, reserved_text
from oma_desktop.services.session import Session
from oma_desktop.services.today import anonymous_text

# Documents whose expiry the office follows (permits and foreigner ID cards).
FOLLOWED_DOCUMENTS = ("CPP", "PTP", "CE", "CSR")
EXPIRY_WINDOWS = (30, 60)
RECENTLY_EXPIRED_DAYS = 30
FOLLOW_UP_AHEAD_DAYS = 7

KIND_FOLLOW_UP = "follow_up"
KIND_DOCUMENT = "document"
KIND_REFERRAL = "referral"  # a referral waiting for the institution's answer (issue #8)

RESULT_CONTACTED = "contactado"
RESULT_NO_ANSWER = "no_contesta"
RESULT_WRONG_NUMBER = "numero_equivocado"
RESULT_RESOLVED = "resuelto"
CALL_RESULTS: tuple[tuple[str, str], ...] = (
    (RESULT_CONTACTED, N_("Contacted")),
    (RESULT_NO_ANSWER, N_("No answer")),
    (RESULT_WRONG_NUMBER, N_("Wrong number")),
    (RESULT_RESOLVED, N_("Resolved")),
)
CLOSING_RESULTS = frozenset({RESULT_CONTACTED, RESULT_RESOLVED, RESULT_WRONG_NUMBER})

DUE_ALL = "all"  # overdue and the next FOLLOW_UP_AHEAD_DAYS days (documents: their window)
DUE_TODAY = "today"  # due today, and overdue ones (they are due today too)
DUE_WEEK = "week"  # overdue, today and the next six days
DUE_OVERDUE = "overdue"  # before today
DUE_FILTERS = (DUE_ALL, DUE_TODAY, DUE_WEEK, DUE_OVERDUE)
ALL_CASAS = "*"


def result_label(code: str) -> str:
    return next((_(text) for c, text in CALL_RESULTS if c == code), code)


@dataclass(frozen=True)
class QueueItem:
    kind: str  # "follow_up" | "document" | "referral"
    due: dt.date
    person_id: str  # "" for an anonymous quick consultation
    person_name: str
    phone: str
    ref_id: str  # consultation, document or referral id
    detail: str  # topic codes (JSON) for follow-ups, "TYPE NUMBER" for documents,
    # "CODE — SERVICE" for referrals
    casa_id: str = ""
    staff_user_id: str = ""
    staff_name: str = ""
    attempts: int = 0  # calls without an answer so far
    last_call: str = ""  # "02/12/2026 10:15 — No contesta: ..." of the latest call
    last_result: str = ""  # the latest call's result code
    wrong_phone: bool = False
    withheld: bool = False  # a follow-up on a sensitive topic the role may not read

    def days_left(self, today: dt.date) -> int:
        return (self.due - today).days

    @property
    def anonymous(self) -> bool:
        return self.kind == KIND_FOLLOW_UP and not self.person_id


@dataclass(frozen=True)
class CallFilter:
    """What the call list shows: a casa (``ALL_CASAS`` for every one; this casa when
    empty), one staff member (follow-ups they attended) or all, and a due window."""

    casa_id: str = ""
    staff_user_id: str = ""
    due: str = DUE_ALL
    kinds: frozenset[str] = frozenset({KIND_FOLLOW_UP, KIND_DOCUMENT, KIND_REFERRAL})
    within_days: int = 60  # documents expiring within this many days (window "all")


@dataclass(frozen=True)
class CallRecord:
    id: str
    called_at: dt.datetime
    result: str
    note: str
    next_date: dt.date | None
    staff_name: str
    consultation_id: str | None
    document_id: str | None


@dataclass(frozen=True)
class RecordedCall:
    """What :func:`record_call` did, so it can be undone."""

    call_id: str
    item: QueueItem
    result: str
    previous_due: dt.date | None  # the consultation's follow-up date before the call


def _name(row: dict[str, Any]) -> str:
    return " ".join(
        str(row[k]) for k in ("given_names", "paternal_surname", "maternal_surname") if row[k]
    )


def _upper_bound(today: dt.date, due: str, ahead_days: int) -> dt.date:
    if due in (DUE_TODAY,):
        return today
    if due == DUE_OVERDUE:
        return today - dt.timedelta(days=1)
    if due == DUE_WEEK:
        return today + dt.timedelta(days=6)
    return today + dt.timedelta(days=ahead_days)


def _scope(session: Session, flt: CallFilter, alias: str, where: list[str],
           args: list[Any]) -> None:
    """Add the filter's casa (this casa unless told otherwise) and staff conditions for the
    table ``alias`` (a consultation or a referral: both carry casa_id and staff_user_id)."""
    casa = flt.casa_id or session.casa_id
    if casa != ALL_CASAS:
        where.append(f"{alias}.casa_id = ?")
        args.append(casa)
    if flt.staff_user_id:
        where.append(f"{alias}.staff_user_id = ?")
        args.append(flt.staff_user_id)


def follow_ups_due(
    session: Session,
    today: dt.date,
    ahead_days: int = FOLLOW_UP_AHEAD_DAYS,
    limit: int = 1000,
    flt: CallFilter | None = None,
) -> list[QueueItem]:
    """Pending follow-ups (anonymous ones too) that are overdue or due within the window."""
    session.require(Permission.VIEW_PERSONS)
    flt = flt or CallFilter(casa_id=ALL_CASAS)
    where = ["c.follow_up_date IS NOT NULL", "c.follow_up_done = 0", "c.deleted = 0",
             "(p.id IS NULL OR p.deleted = 0)", "c.follow_up_date <= ?"]
    args: list[Any] = [_upper_bound(today, flt.due, ahead_days).isoformat()]
    _scope(session, flt, "c", where, args)
    hidden = not session.can(Permission.VIEW_SENSITIVE)
    rows = session.store.rows(
        "SELECT c.id, c.follow_up_date, c.topics, c.casa_id, c.staff_user_id, c.anon_sex,"
        " c.anon_age, p.id AS person_id, p.given_names, p.paternal_surname,"
        " p.maternal_surname, p.phone, u.display_name"
        " FROM consultation c LEFT JOIN person p ON p.id = c.person_id"
        " LEFT JOIN app_user u ON u.id = c.staff_user_id"
        f" WHERE {' AND '.join(where)} ORDER BY c.follow_up_date LIMIT ?",
        [*args, limit],
    )
    return [
        QueueItem(
            kind=KIND_FOLLOW_UP,
            due=dt.date.fromisoformat(r["follow_up_date"]),
            person_id=r["person_id"] or "",
            person_name=_name(r) if r["person_id"] else anonymous_text(r["anon_sex"], r["anon_age"]),
            phone=r["phone"] or "",
            ref_id=r["id"],
            detail="[]" if hidden and _sensitive(session, r["topics"]) else r["topics"],
            withheld=hidden and _sensitive(session, r["topics"]),
            casa_id=r["casa_id"],
            staff_user_id=r["staff_user_id"] or "",
            staff_name=r["display_name"] or r["staff_user_id"] or "",
        )
        for r in rows
    ]


def expiring_documents(
    session: Session,
    today: dt.date,
    within_days: int = 60,
    limit: int = 1000,
    flt: CallFilter | None = None,
) -> list[QueueItem]:
    """Followed documents expiring within ``within_days`` or expired in the last month,
    without a closing call; a "no contesta" with a date moves the item to that date."""
    session.require(Permission.VIEW_PERSONS)
    flt = flt or CallFilter(casa_id=ALL_CASAS)
    marks = ",".join("?" * len(FOLLOWED_DOCUMENTS))
    where = [f"d.expiry_date BETWEEN ? AND ? AND d.doc_type IN ({marks})",
             "d.deleted = 0", "p.deleted = 0"]
    args: list[Any] = [
        (today - dt.timedelta(days=RECENTLY_EXPIRED_DAYS)).isoformat(),
        (today + dt.timedelta(days=within_days)).isoformat(),
        *FOLLOWED_DOCUMENTS,
    ]
    casa = flt.casa_id or session.casa_id
    if casa != ALL_CASAS:
        where.append("p.casa_id = ?")
        args.append(casa)
    where.append(
        "NOT EXISTS (SELECT 1 FROM follow_up_call f WHERE f.document_id = d.id"
        f" AND f.deleted = 0 AND f.result IN ({','.join('?' * len(CLOSING_RESULTS))}))"
    )
    args += sorted(CLOSING_RESULTS)
    rows = session.store.rows(
        "SELECT d.id, d.doc_type, d.number, d.expiry_date, p.id AS person_id, p.casa_id,"
        " p.given_names, p.paternal_surname, p.maternal_surname, p.phone,"
        " (SELECT f.next_date FROM follow_up_call f WHERE f.document_id = d.id"
        "  AND f.deleted = 0 ORDER BY f.called_at DESC, f.id DESC LIMIT 1) AS next_date"
        " FROM document d JOIN person p ON p.id = d.person_id"
        f" WHERE {' AND '.join(where)} ORDER BY d.expiry_date LIMIT ?",
        [*args, limit],
    )
    items = []
    bound = _upper_bound(today, flt.due, within_days)
    for r in rows:
        due = dt.date.fromisoformat(r["next_date"] or r["expiry_date"])
        if due > bound:
            continue
        items.append(QueueItem(
            kind=KIND_DOCUMENT,
            due=due,
            person_id=r["person_id"],
            person_name=_name(r),
            phone=r["phone"],
            ref_id=r["id"],
            detail=f"{r['doc_type']} {r['number']}",
            casa_id=r["casa_id"] or "",
        ))
    return items


def referrals_due(
    session: Session,
    today: dt.date,
    ahead_days: int = FOLLOW_UP_AHEAD_DAYS,
    limit: int = 1000,
    flt: CallFilter | None = None,
) -> list[QueueItem]:
    """Referrals still waiting for an outcome (emitida, entregada) that are overdue or
    due within the window: someone should ask the person whether they were attended."""
    session.require(Permission.VIEW_PERSONS)
    flt = flt or CallFilter(casa_id=ALL_CASAS)
    where = ["r.status IN ('emitida', 'entregada')", "r.deleted = 0", "p.deleted = 0",
             "r.due_date <= ?"]
    args: list[Any] = [_upper_bound(today, flt.due, ahead_days).isoformat()]
    _scope(session, flt, "r", where, args)
    rows = session.store.rows(
        "SELECT r.id, r.code, r.due_date, r.casa_id, r.staff_user_id, p.id AS person_id,"
        " p.given_names, p.paternal_surname, p.maternal_surname, p.phone, s.name, s.acronym,"
        " u.display_name FROM referral r JOIN person p ON p.id = r.person_id"
        " JOIN service s ON s.id = r.service_id LEFT JOIN app_user u ON u.id = r.staff_user_id"
        f" WHERE {' AND '.join(where)} ORDER BY r.due_date LIMIT ?",
        [*args, limit],
    )
    return [
        QueueItem(
            kind=KIND_REFERRAL,
            due=dt.date.fromisoformat(r["due_date"]),
            person_id=r["person_id"],
            person_name=_name(r),
            phone=r["phone"],
            ref_id=r["id"],
            detail=f"{r['code']} — {r['acronym'] if r['acronym'] not in ('', '-') else r['name']}",
            casa_id=r["casa_id"],
            staff_user_id=r["staff_user_id"] or "",
            staff_name=r["display_name"] or r["staff_user_id"] or "",
        )
        for r in rows
    ]


def _with_calls(session: Session, items: list[QueueItem]) -> list[QueueItem]:
    """Each item with its unanswered attempts, its latest call and the wrong-phone flag."""
    if not items:
        return items
    refs = [i.ref_id for i in items]
    calls: dict[str, list[dict[str, Any]]] = {}
    for chunk in range(0, len(refs), 500):
        part = refs[chunk:chunk + 500]
        marks = ",".join("?" * len(part))
        for r in session.store.rows(
            "SELECT coalesce(consultation_id, document_id) AS ref, called_at, result, note"
            f" FROM follow_up_call WHERE deleted = 0 AND (consultation_id IN ({marks})"
            f" OR document_id IN ({marks})) ORDER BY called_at, id",
            [*part, *part],
        ):
            calls.setdefault(r["ref"], []).append(r)
    wrong = wrong_phone_persons(session, {i.person_id for i in items if i.person_id})
    out = []
    for item in items:
        mine = calls.get(item.ref_id, [])
        last, last_result = "", ""
        if mine:
            c = mine[-1]
            last_result = c["result"]
            last = f"{format_datetime(c['called_at'])} — {result_label(c['result'])}"
            if c["note"]:
                last += f": {c['note']}"
        out.append(replace(
            item,
            attempts=sum(1 for c in mine if c["result"] == RESULT_NO_ANSWER),
            last_call=last,
            last_result=last_result,
            wrong_phone=item.person_id in wrong,
        ))
    return out


def urgency_key(item: QueueItem) -> tuple[Any, ...]:
    """Soonest (most overdue) first; at the same date follow-ups, then referrals, then
    documents; then the ones tried least, then by name."""
    order = {KIND_FOLLOW_UP: 0, KIND_REFERRAL: 1}.get(item.kind, 2)
    return (item.due, order, item.attempts, item.person_name.casefold())


def call_list(
    session: Session, today: dt.date, flt: CallFilter | None = None, limit: int = 1000
) -> tuple[list[QueueItem], bool]:
    """The call list for ``flt``, most urgent first, at most ``limit`` rows; and whether
    more exist."""
    session.require(Permission.VIEW_PERSONS)
    flt = flt or CallFilter()
    items: list[QueueItem] = []
    if KIND_FOLLOW_UP in flt.kinds:
        items += follow_ups_due(session, today, limit=limit + 1, flt=flt)
    if KIND_DOCUMENT in flt.kinds and not flt.staff_user_id:  # documents have no staff
        items += expiring_documents(session, today, flt.within_days, limit=limit + 1, flt=flt)
    if KIND_REFERRAL in flt.kinds:
        items += referrals_due(session, today, limit=limit + 1, flt=flt)
    if flt.due == DUE_OVERDUE:
        items = [i for i in items if i.due < today]
    items.sort(key=urgency_key)
    more = len(items) > limit
    return sorted(_with_calls(session, items[:limit]), key=urgency_key), more


def queue(session: Session, today: dt.date, within_days: int = 60) -> list[QueueItem]:
    """Everything every casa should act on, soonest first."""
    flt = CallFilter(casa_id=ALL_CASAS, within_days=within_days)
    return call_list(session, today, flt)[0]


# --- recording calls -------------------------------------------------------------------


def record_call(
    session: Session,
    item: QueueItem,
    result: str,
    note: str = "",
    next_date: dt.date | None = None,
    now: dt.datetime | None = None,
) -> RecordedCall:
    """Record a call on ``item`` and its effect on the list (see the module docstring)."""
    session.require(Permission.RECORD_CONSULTATION)
    if result not in {code for code, _label in CALL_RESULTS}:
        raise ValidationError({"result": _("Choose the result of the call.")})
    now = (now or dt.datetime.now()).replace(second=0, microsecond=0)
    if next_date is not None and result != RESULT_NO_ANSWER:
        next_date = None  # only an unanswered call is tried again
    if next_date is not None and next_date < now.date():
        raise ValidationError({"next_date": _(
            "The new date is in the past. Choose today or a later day.")})
    previous_due: dt.date | None = None
    with session.transaction() as tx:
        consultation_id = item.ref_id if item.kind == KIND_FOLLOW_UP else None
        call_id = tx.create("follow_up_call", {
            "casa_id": session.casa_id,
            "person_id": item.person_id or None,
            "consultation_id": consultation_id,
            "document_id": item.ref_id if item.kind == KIND_DOCUMENT else None,
            "staff_user_id": session.user_id,
            "called_at": now.isoformat(timespec="minutes"),
            "result": result,
            "note": note.strip(),
            "next_date": next_date,
        })
        if consultation_id is not None:
            previous_due = item.due
            if result in CLOSING_RESULTS:
                tx.update("consultation", consultation_id, {"follow_up_done": 1})
            elif next_date is not None:
                tx.update("consultation", consultation_id, {"follow_up_date": next_date})
    return RecordedCall(call_id, item, result, previous_due)


def undo_call(session: Session, recorded: RecordedCall) -> None:
    """Take back a call recorded by mistake: the item is as it was before."""
    session.require(Permission.RECORD_CONSULTATION)
    with session.transaction() as tx:
        tx.tombstone("follow_up_call", recorded.call_id)
        if recorded.item.kind == KIND_FOLLOW_UP:
            tx.update("consultation", recorded.item.ref_id, {
                "follow_up_done": 0, "follow_up_date": recorded.previous_due})


def calls_for_person(session: Session, person_id: str) -> list[CallRecord]:
    """Every call made to ``person_id`` (about a follow-up or a document), newest first,
    including calls about an anonymous attention later linked to them."""
    session.require(Permission.VIEW_PERSONS)
    rows = session.store.rows(
        "SELECT f.id, f.called_at, f.result, f.note, f.next_date, f.consultation_id,"
        " f.document_id, coalesce(u.display_name, f.staff_user_id, '') AS staff"
        " FROM follow_up_call f LEFT JOIN app_user u ON u.id = f.staff_user_id"
        " WHERE f.deleted = 0 AND (f.person_id = ? OR f.consultation_id IN"
        "  (SELECT id FROM consultation WHERE person_id = ?))"  # a walk-in linked later
        " ORDER BY f.called_at DESC, f.id DESC",
        [person_id, person_id],
    )
    return [
        CallRecord(
            id=r["id"],
            called_at=dt.datetime.fromisoformat(r["called_at"]),
            result=r["result"],
            note=r["note"],
            next_date=dt.date.fromisoformat(r["next_date"]) if r["next_date"] else None,
            staff_name=r["staff"],
            consultation_id=r["consultation_id"],
            document_id=r["document_id"],
        )
        for r in rows
    ]


def wrong_phone_persons(session: Session, person_ids: Iterable[str]) -> set[str]:
    """The persons whose phone was reported wrong by a call and not changed since
    (both moments read from the change log's clock, so they compare exactly)."""
    session.require(Permission.VIEW_PERSONS)
    ids = list(person_ids)
    latest: dict[str, str] = {}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        marks = ",".join("?" * len(part))
        for r in session.store.rows(
            "SELECT person_id, id FROM follow_up_call"
            f" WHERE result = ? AND deleted = 0 AND person_id IN ({marks})"
            " ORDER BY called_at, id",
            [RESULT_WRONG_NUMBER, *part],
        ):
            latest[r["person_id"]] = r["id"]
    flagged = set()
    for person_id, call_id in latest.items():
        logged = [c.when for c in changes(session, [call_id]) if c.kind == "create"]
        changed = [c.when for c in changes(session, [person_id])
                   if c.entity == "person" and "phone" in c.fields and c.kind != "create"]
        if logged and (not changed or max(changed) < logged[0]):
            flagged.add(person_id)
    return flagged


def staff_filter_choices(session: Session) -> list[tuple[str, str]]:
    """(user id, name) of the active staff for the call list's filter; a name two accounts
    share (every casa has a "Recepción") says which casa it belongs to."""
    rows = session.store.rows(
        "SELECT u.id, u.display_name, coalesce(c.name, u.casa_id, '') AS casa FROM app_user u"
        " LEFT JOIN casa c ON c.id = u.casa_id WHERE u.deleted = 0 AND u.active = 1"
        " ORDER BY u.display_name, casa"
    )
    seen: dict[str, int] = {}
    for r in rows:
        seen[r["display_name"]] = seen.get(r["display_name"], 0) + 1
    return [
        (str(r["id"]), f"{r['display_name']} ({r['casa']})"
         if seen[r["display_name"]] > 1 and r["casa"] else str(r["display_name"]))
        for r in rows
    ]


# --- export and printing -----------------------------------------------------------------


def _sensitive(session: Session, topics: str) -> bool:
    return is_sensitive_consultation(session.catalogs, json.loads(topics or "[]"))


def item_detail(session: Session, item: QueueItem) -> str:
    if item.withheld:
        return reserved_text()
    if item.kind == KIND_FOLLOW_UP:
        try:
            return topic_names(session.catalogs, item.detail)
        except ValueError:
            return item.detail
    return item.detail


def kind_text(item: QueueItem, today: dt.date) -> str:
    if item.kind == KIND_FOLLOW_UP:
        return _("Follow-up")
    if item.kind == KIND_REFERRAL:
        return _("Overdue referral") if item.days_left(today) < 0 else _(
            "Referral awaiting outcome")
    return _("Expired document") if item.days_left(today) < 0 else _("Document about to expire")


def phone_text(item: QueueItem) -> str:
    if item.wrong_phone:
        return _("{phone} (wrong number)").format(phone=item.phone) if item.phone else _(
            "(wrong number)")
    return item.phone


def call_rows(session: Session, items: Sequence[QueueItem], today: dt.date) -> list[tuple[str, ...]]:
    """The call list as text rows: date, type, person, phone, detail, staff, last call."""
    return [
        (format_date(i.due), kind_text(i, today), i.person_name, phone_text(i),
         item_detail(session, i), i.staff_name, i.last_call)
        for i in items
    ]


def call_headers() -> tuple[str, ...]:
    return (_("Date"), _("Type"), _("Person"), _("Phone"), _("Detail"), _("Staff"),
            _("Last call"))
