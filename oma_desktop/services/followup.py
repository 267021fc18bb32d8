"""The Seguimiento queue: follow-ups due and migratory documents about to expire."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from oma_desktop.services.session import Session

# Documents whose expiry the office follows (permits and foreigner ID cards).
FOLLOWED_DOCUMENTS = ("CPP", "PTP", "CE", "CSR")
EXPIRY_WINDOWS = (30, 60)
RECENTLY_EXPIRED_DAYS = 30
FOLLOW_UP_AHEAD_DAYS = 7


@dataclass(frozen=True)
class QueueItem:
    kind: str  # "follow_up" | "document" (| "referral" once referrals exist)
    due: dt.date
    person_id: str
    person_name: str
    phone: str
    ref_id: str
    detail: str  # topic codes for follow-ups, "TYPE NUMBER" for documents

    def days_left(self, today: dt.date) -> int:
        return (self.due - today).days


def _name(row: dict[str, object]) -> str:
    return " ".join(
        str(row[k]) for k in ("given_names", "paternal_surname", "maternal_surname") if row[k]
    )


def follow_ups_due(
    session: Session, today: dt.date, ahead_days: int = FOLLOW_UP_AHEAD_DAYS, limit: int = 1000
) -> list[QueueItem]:
    """Pending follow-ups that are overdue or due within ``ahead_days``."""
    rows = session.store.rows(
        "SELECT c.id, c.follow_up_date, c.topics, p.id AS person_id, p.given_names,"
        " p.paternal_surname, p.maternal_surname, p.phone"
        " FROM consultation c JOIN person p ON p.id = c.person_id"
        " WHERE c.follow_up_date IS NOT NULL AND c.follow_up_done = 0 AND c.deleted = 0"
        " AND p.deleted = 0 AND c.follow_up_date <= ?"
        " ORDER BY c.follow_up_date LIMIT ?",
        [(today + dt.timedelta(days=ahead_days)).isoformat(), limit],
    )
    return [
        QueueItem(
            kind="follow_up",
            due=dt.date.fromisoformat(r["follow_up_date"]),
            person_id=r["person_id"],
            person_name=_name(r),
            phone=r["phone"],
            ref_id=r["id"],
            detail=r["topics"],
        )
        for r in rows
    ]


def expiring_documents(
    session: Session, today: dt.date, within_days: int = 60, limit: int = 1000
) -> list[QueueItem]:
    """Followed documents expiring within ``within_days`` or expired in the last month."""
    marks = ",".join("?" * len(FOLLOWED_DOCUMENTS))
    rows = session.store.rows(
        "SELECT d.id, d.doc_type, d.number, d.expiry_date, p.id AS person_id, p.given_names,"
        " p.paternal_surname, p.maternal_surname, p.phone"
        " FROM document d JOIN person p ON p.id = d.person_id"
        f" WHERE d.expiry_date BETWEEN ? AND ? AND d.doc_type IN ({marks})"
        " AND d.deleted = 0 AND p.deleted = 0 ORDER BY d.expiry_date LIMIT ?",
        [
            (today - dt.timedelta(days=RECENTLY_EXPIRED_DAYS)).isoformat(),
            (today + dt.timedelta(days=within_days)).isoformat(),
            *FOLLOWED_DOCUMENTS,
            limit,
        ],
    )
    return [
        QueueItem(
            kind="document",
            due=dt.date.fromisoformat(r["expiry_date"]),
            person_id=r["person_id"],
            person_name=_name(r),
            phone=r["phone"],
            ref_id=r["id"],
            detail=f"{r['doc_type']} {r['number']}",
        )
        for r in rows
    ]


def queue(session: Session, today: dt.date, within_days: int = 60) -> list[QueueItem]:
    """Everything the office should act on, soonest first."""
    items = follow_ups_due(session, today) + expiring_documents(session, today, within_days)
    return sorted(items, key=lambda i: (i.due, i.kind, i.person_name))
