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

    In order: the ``OMA_RESOURCES`` override, a frozen bundle (PyInstaller; the spec,
    ``installer/oma-desktop.spec``, puts the folder at ``oma_desktop/resources`` inside
    ``sys._MEIPASS``, the wheel's layout), the installed package (the wheel ships the
    top-level ``resources/`` folder as ``oma_desktop/resources``, see ``[tool.setuptools]``
    in pyproject.toml), and the source tree (a checkout, an editable install), where
    ``resources/`` sits beside the ``oma_desktop`` package.
    """
    override = os.environ.get("OMA_RESOURCES")
    if override:
        return Path(override)
    frozen = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and frozen:
        return Path(frozen) / "oma_desktop" / "resources"
    installed = importlib.resources.files("oma_desktop") / "resources"
    if isinstance(installed, Path) and installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "resources"


CONFIG_NAME = "carpeta-de-datos.json"


def default_data_dir() -> Path:
    """The data folder opened when none is given: ``OMA_DATA_DIR``, else the folder chosen
    in the first-run assistant (:func:`chosen_data_dir`), else the per-user data folder
    from platformdirs. ``--data-dir`` on the command line wins over all three."""
    override = os.environ.get("OMA_DATA_DIR")
    if override:
        return Path(override)
    chosen = chosen_data_dir()
    if chosen is not None:
        return chosen
    return platform_data_dir()


def platform_data_dir() -> Path:
    """The per-user data folder of the operating system (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_ID, appauthor=False, roaming=False))


def config_file() -> Path:
    """The per-user file that remembers the data folder chosen in the first-run assistant."""
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_ID, appauthor=False, roaming=False)) / (
        CONFIG_NAME)


def chosen_data_dir() -> Path | None:
    """The data folder saved by :func:`remember_data_dir` (None: none, or unreadable)."""
    import json

    try:
        data = json.loads(config_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    folder = data.get("data_dir") if isinstance(data, dict) else None
    return Path(folder) if isinstance(folder, str) and folder else None


def remember_data_dir(folder: Path | None) -> None:
    """Open ``folder`` from now on when no data folder is given (None: forget the choice,
    back to the per-user data folder). Written whole or not at all."""
    import json

    target = config_file()
    if folder is None:
        target.unlink(missing_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(target.name + ".tmp")
    temp.write_text(json.dumps({"data_dir": str(folder)}, ensure_ascii=False),
                    encoding="utf-8")
    os.replace(temp, target)


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
