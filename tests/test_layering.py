"""The layer rules of docs/architecture.md, checked by machine.

core, sync, printing and services never import PySide6 (statically or at run time), core
never imports the layers above it, screens never touch the store or SQL, and the
import-linter contracts in pyproject.toml hold (and fail on a screen importing the store).
"""

from __future__ import annotations

import ast
import shutil
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


# --- one door to the data: screens never touch the store or SQL -------------------------

UI = PKG / "ui"
DATABASE_ATTRIBUTES = {"store", "conn", "db"}
SQL_WORDS = ("SELECT ", "INSERT ", "UPDATE ")
# screens being moved to services by their owner in the same change (issue #6); must end empty
PENDING_D: set[str] = set()


def _database_access(path: Path) -> list[str]:
    """``.store``/``.conn``/``.db`` attribute uses and SQL string literals in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in DATABASE_ATTRIBUTES:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and any(word in node.value for word in SQL_WORDS)):
            found.append(f"line {node.lineno}: SQL {node.value[:40]!r}")
    return sorted(found)


def test_screens_never_touch_the_store_or_sql() -> None:
    offenders = {
        path.relative_to(UI).as_posix(): hits
        for path in sorted(UI.rglob("*.py"))
        if (hits := _database_access(path))
    }
    assert {name: hits for name, hits in offenders.items() if name not in PENDING_D} == {}
    # an allowed module that has been cleaned must leave the list
    assert set(offenders) >= PENDING_D


def test_the_screen_scan_catches_store_and_sql(tmp_path: Path) -> None:
    bad = tmp_path / "bad_screen.py"
    bad.write_text(
        "def load(ctx):\n"
        "    rows = ctx.session.store.rows('SELECT id FROM person')\n"
        "    return ctx.session.conn, rows\n",
        encoding="utf-8",
    )
    hits = _database_access(bad)
    assert hits == ["line 2: .store", "line 2: SQL 'SELECT id FROM person'", "line 3: .conn"]
    assert _database_access(UI / "about.py") == []


# --- import-linter contracts (pyproject.toml [tool.importlinter]) -----------------------

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
ROOT = PKG.parent


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_the_layer_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


def test_the_contracts_fail_on_a_screen_that_imports_the_store(tmp_path: Path) -> None:
    shutil.copytree(PKG, tmp_path / "oma_desktop", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "oma_desktop" / "ui" / "sneaky_screen.py").write_text(
        "from oma_desktop.core.store import Store\n", encoding="utf-8"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "screens never import the store or a database library (one door: services) BROKEN" in (
        result.stdout
    )
    assert "oma_desktop.ui.sneaky_screen -> oma_desktop.core.store" in result.stdout


def test_the_person_screens_may_not_import_atencion(tmp_path: Path) -> None:
    """The search panel, page base and topic picker live in ui/widgets: no import circle."""
    shutil.copytree(PKG, tmp_path / "oma_desktop", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "oma_desktop" / "ui" / "personas" / "shortcut.py").write_text(
        "from oma_desktop.ui.atencion.page import AttentionPage\n", encoding="utf-8"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "the person screens never import Atención (what both use lives in ui/widgets) BROKEN" in (
        result.stdout
    )
