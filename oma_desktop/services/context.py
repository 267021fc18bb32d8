"""The running application's context: data folder, open store, catalogs, current user.

The GUI, the CLI and the tests all start here, so an installation is set up the same
way whichever door it comes through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oma_desktop.core.catalogs import Catalogs, load_catalogs
from oma_desktop.core.store import Store, open_store
from oma_desktop.paths import DataPaths
from oma_desktop.services.installation import (  # noqa: F401  (re-exported)
    DEFAULT_USERNAME,
    MODES,
    SYSTEM_USER,
    ensure_installation,
)


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
