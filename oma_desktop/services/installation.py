"""An installation's identity (installation id, casa, mode) and its reference records."""

from __future__ import annotations

import datetime as dt

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.ids import new_id
from oma_desktop.core.store import Store

SYSTEM_USER = "system"
DEFAULT_USERNAME = "recepcion"
MODES = ("casa", "hq")


def ensure_installation(
    store: Store, catalogs: Catalogs, casa: str | None = None, mode: str | None = None
) -> str:
    """Give a new database its identity and reference data; returns the current user id."""
    if not store.installation_id:
        store.set_meta("installation_id", new_id())
        store.set_meta("casa_id", casa or catalogs.casas[0].code)
        store.set_meta("mode", mode or "casa")
        store.set_meta("created_at", dt.datetime.now().isoformat(timespec="seconds"))
    else:
        if casa:
            store.set_meta("casa_id", casa)
        if mode:
            store.set_meta("mode", mode)
    if store.scalar("SELECT count(*) FROM casa") == 0:
        with store.transaction(SYSTEM_USER) as tx:
            tx.create_many(
                "casa",
                ({"id": c.code, "name": c.name, "address": c.address} for c in catalogs.casas),
            )
    user_id = store.meta("current_user_id")
    if not user_id or store.get("app_user", user_id) is None:
        existing = store.scalar(
            "SELECT id FROM app_user WHERE username = ? AND deleted = 0", [DEFAULT_USERNAME]
        )
        if existing:
            user_id = str(existing)
        else:
            with store.transaction(SYSTEM_USER) as tx:
                user_id = tx.create(
                    "app_user",
                    {
                        "username": DEFAULT_USERNAME,
                        "display_name": "Recepción",
                        "role": "recepcion",
                        "casa_id": store.casa_id,
                    },
                )
        store.set_meta("current_user_id", user_id)
    return user_id
