"""Where the frozen build (``make installer``, PyInstaller one-folder) puts the program, for
the tests that run it: ``dist/oma-desktop/oma-desktop`` (``oma-desktop.exe`` on Windows)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "dist" / "oma-desktop"
EXECUTABLE = BUNDLE / ("oma-desktop.exe" if sys.platform == "win32" else "oma-desktop")


def frozen_executable() -> Path | None:
    """The frozen program if it has been built, else None."""
    return EXECUTABLE if EXECUTABLE.is_file() else None
