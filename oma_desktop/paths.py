"""Where things live on disk: bundled resources and the user's data folder.

Qt-free; every other module asks here instead of guessing paths.
"""

from __future__ import annotations

import importlib.resources
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from oma_desktop import APP_ID

DATABASE_NAME = "oma.sqlite3"


def resources_dir() -> Path:
    """The bundled resources (catalogs, translations, demo data).

    In order: the ``OMA_RESOURCES`` override, a frozen bundle, the installed package
    (the wheel ships the top-level ``resources/`` folder as ``oma_desktop/resources``,
    see ``[tool.setuptools]`` in pyproject.toml), and the source tree (a checkout, an
    editable install), where ``resources/`` sits beside the ``oma_desktop`` package.
    """
    override = os.environ.get("OMA_RESOURCES")
    if override:
        return Path(override)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    installed = importlib.resources.files("oma_desktop") / "resources"
    if isinstance(installed, Path) and installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "resources"


def default_data_dir() -> Path:
    """Per-user data folder from platformdirs (``OMA_DATA_DIR`` overrides it)."""
    override = os.environ.get("OMA_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_ID, appauthor=False, roaming=False))


@dataclass(frozen=True)
class DataPaths:
    """The layout of one data folder. See docs/data-folder.md."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / DATABASE_NAME

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def settings(self) -> Path:
        return self.root / "settings.ini"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def ensure(self) -> DataPaths:
        for folder in (self.root, self.backups, self.exports, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        return self
