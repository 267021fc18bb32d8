"""The frozen program's entry point: the same as the ``oma-desktop`` console script
(``oma_desktop.cli:main``), for PyInstaller, which needs a script rather than an entry point.
"""

from __future__ import annotations

import os
import sys


def _streams_for_windowed_build() -> None:
    """A Windows build without a console starts with ``sys.stdout``/``sys.stderr`` set to
    None: ``--version``, ``--help`` or a command's output would raise instead of printing.
    Send them to the null device; the log in the data folder still records every error."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


def run() -> int:
    _streams_for_windowed_build()
    from oma_desktop.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
