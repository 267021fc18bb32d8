"""Staff accounts as the screens need them: names for choice lists and histories."""

from __future__ import annotations

from oma_desktop.services.session import Session


def staff_choices(session: Session, *also: str) -> list[tuple[str, str]]:
    """(user id, display name) of the active staff, by name, plus any id in ``also``
    (the staff member a record being edited names) even if no longer active."""
    rows = session.store.rows(
        "SELECT id, display_name FROM app_user WHERE deleted = 0 AND active = 1 ORDER BY display_name"
    )
    items = [(str(r["id"]), str(r["display_name"])) for r in rows]
    known = {code for code, _name in items}
    for user_id in also:
        if user_id and user_id not in known:
            items.append((user_id, staff_name(session, user_id)))
            known.add(user_id)
    return items


def staff_name(session: Session, user_id: str) -> str:
    """The display name of ``user_id`` (the id itself if the account is unknown)."""
    row = session.store.get("app_user", user_id)
    return str(row["display_name"]) if row and row["display_name"] else user_id
