"""The running application's context: data folder, open store, catalogs, current user.

The GUI, the CLI and the tests all start here, so an installation is set up the same
way whichever door it comes through.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oma_desktop.core.catalogs import Catalogs, load_catalogs
from oma_desktop.core.ids import new_id
from oma_desktop.core.store import Store, open_store
from oma_desktop.paths import DataPaths

SYSTEM_USER = "system"
DEFAULT_USERNAME = "recepcion"
MODES = ("casa", "hq")


@dataclass
class AppContext:
    paths: DataPaths
    store: Store
    catalogs: Catalogs
    user_id: str
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def user(self) -> dict[str, Any]:
        return self.store.get("app_user", self.user_id) or {"display_name": self.user_id}

    @property
    def casa(self) -> dict[str, Any]:
        return self.store.get("casa", self.store.casa_id) or {
            "id": self.store.casa_id,
            "name": self.store.casa_id,
        }

    @property
    def last_sync(self) -> str | None:
        return self.store.meta("last_sync_at")

    def close(self) -> None:
        self.store.close()


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


def open_context(
    data_dir: Path | str,
    *,
    casa: str | None = None,
    mode: str | None = None,
    key: str | bytes | None = None,
) -> AppContext:
    """Open (creating if needed) the data folder ``data_dir``."""
    paths = DataPaths(Path(data_dir)).ensure()
    catalogs = load_catalogs()
    store = open_store(paths.database, key=key, backup_dir=paths.backups)
    try:
        user_id = ensure_installation(store, catalogs, casa, mode)
    except BaseException:
        store.close()
        raise
    return AppContext(paths=paths, store=store, catalogs=catalogs, user_id=user_id)
