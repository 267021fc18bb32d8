"""The layer rules of docs/architecture.md, checked by machine.

core, sync, printing and services never import PySide6 (statically or at run time), and
core never imports the layers above it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "oma_desktop"
QT_FREE = ("core", "sync", "printing", "services")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", QT_FREE)
def test_qt_free_layers_never_mention_pyside6(layer: str) -> None:
    offenders = [
        f"{path.relative_to(PKG)} imports {name}"
        for path in (PKG / layer).rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] in {"PySide6", "shiboken6", "PyQt5", "PyQt6"}
    ]
    assert offenders == []


def test_core_does_not_import_upper_layers() -> None:
    upper = {"oma_desktop.ui", "oma_desktop.services", "oma_desktop.cli", "oma_desktop.sync",
             "oma_desktop.printing"}
    offenders = [
        f"{path.relative_to(PKG)} imports {name}"
        for path in (PKG / "core").rglob("*.py")
        for name in _imports(path)
        if any(name == u or name.startswith(u + ".") for u in upper)
    ]
    assert offenders == []


def test_importing_every_qt_free_module_loads_no_qt() -> None:
    modules = sorted(
        ".".join(path.relative_to(PKG.parent).with_suffix("").parts)
        for layer in QT_FREE
        for path in (PKG / layer).rglob("*.py")
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m.removesuffix('.__init__'))\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_check_itself_catches_a_leak(tmp_path: Path) -> None:
    bad = tmp_path / "leak.py"
    bad.write_text("from PySide6.QtCore import QObject\n", encoding="utf-8")
    assert "PySide6.QtCore" in _imports(bad)
