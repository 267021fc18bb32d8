"""What the window's status bar and the About dialog show about this installation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from oma_desktop.services.session import Session
from oma_desktop.services.staff import staff_name


@dataclass(frozen=True)
class InstallationFacts:
    casa_id: str
    casa_name: str
    user_name: str
    mode: str
    schema_version: int
    last_sync: str | None


def installation_facts(session: Session) -> InstallationFacts:
    store = session.store
    casa = store.get("casa", store.casa_id)
    return InstallationFacts(
        casa_id=store.casa_id,
        casa_name=str(casa["name"]) if casa and casa["name"] else store.casa_id,
        user_name=staff_name(session, session.user_id),
        mode=store.mode,
        schema_version=store.schema_version,
        last_sync=_last_sync(session),
    )


def _last_sync(session: Session) -> str | None:
    """When this installation last wrote or read a sync or reference file (local time),
    else the ``last_sync_at`` note of an older installation."""
    at = session.store.scalar("SELECT max(at) FROM sync_file WHERE status = 'ok'")
    if not at:
        return session.store.meta("last_sync_at")
    when = dt.datetime.fromisoformat(str(at))
    if when.tzinfo is not None:
        when = when.astimezone().replace(tzinfo=None)
    return when.isoformat(timespec="seconds")
