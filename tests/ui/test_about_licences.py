"""Issue #12.5: About lists the bundled components with their licences (the «Licencias»
tab), read from resources/licenses/THIRD_PARTY.csv; the list covers every runtime
dependency of pyproject.toml and what they pull in, and what each row says its package
declares is what the installed package's metadata says."""

from __future__ import annotations

import csv
import importlib.metadata as metadata
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from oma_desktop.services.context import AppContext
from oma_desktop.ui.about import AboutDialog
from oma_desktop.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
LIST = ROOT / "resources" / "licenses" / "THIRD_PARTY.csv"


def _listed() -> list[dict[str, str]]:
    with LIST.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _key(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _runtime_closure() -> set[str]:
    """The runtime dependencies of pyproject.toml and everything they require, installed."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pending = [Requirement(r).name for r in config["project"]["dependencies"]]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if _key(name) in seen:
            continue
        seen.add(_key(name))
        for text in metadata.requires(name) or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                pending.append(req.name)
    return seen


def _declared(name: str) -> set[str]:
    """Every way the installed package states its licence ('' when it states none)."""
    md = metadata.metadata(name)
    said = {*(md.get_all("License-Expression") or []), *(md.get_all("License") or [])}
    said |= {c for c in md.get_all("Classifier") or [] if c.startswith("License ::")}
    return said - {""} or {""}


def test_every_runtime_dependency_is_listed_with_a_licence() -> None:
    rows = _listed()
    listed = {_key(r["package"]) for r in rows if r["package"]}
    missing = _runtime_closure() - listed
    assert not missing, f"add {sorted(missing)} to {LIST.relative_to(ROOT)}"
    assert all(r["licence"] and r["component"] and r["source"] for r in rows)
    assert {r["bundled"] for r in rows} <= {"always", "installer"}


def test_each_row_says_what_its_installed_package_declares() -> None:
    checked = 0
    for row in _listed():
        if not row["package"]:
            continue
        try:
            declared = _declared(row["package"])
        except metadata.PackageNotFoundError:
            assert row["bundled"] == "installer", row["package"]  # the build tool only
            continue
        assert row["declared"] in declared, (row["package"], declared)
        checked += 1
    assert checked >= len(_runtime_closure())


def test_the_lgpl_texts_ship_beside_the_list() -> None:
    lgpl = (LIST.parent / "LGPL-3.0.txt").read_text(encoding="utf-8")
    gpl = (LIST.parent / "GPL-3.0.txt").read_text(encoding="utf-8")
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in lgpl and "Version 3" in lgpl
    assert "GNU GENERAL PUBLIC LICENSE" in gpl and "Version 3" in gpl


@pytest.fixture
def about(qtbot: QtBot, ctx: AppContext) -> Iterator[AboutDialog]:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    (help_menu,) = [a.menu() for a in window.menuBar().actions() if a.text() == "Ay&uda"]
    assert isinstance(help_menu, QMenu)
    (entry,) = [a for a in help_menu.actions() if a.text() == "&Acerca de OMA Desktop"]
    entry.trigger()
    dialog = window.findChild(AboutDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    yield dialog
    dialog.reject()


def test_about_shows_the_licences_of_the_components(qtbot: QtBot, about: AboutDialog) -> None:
    tabs = about.tabs
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["General", "Licencias"]
    bar = tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton,  # type: ignore[no-untyped-call]
                     pos=bar.tabRect(1).center())
    assert tabs.currentWidget() is about.licences
    table = about.licences.table
    headers = [table.horizontalHeaderItem(c) for c in range(2)]
    assert [h.text() if h else "" for h in headers] == ["Componente", "Licencia"]
    assert about.licences.rows() == [(r["component"], r["licence"]) for r in _listed()]
    shown = dict(about.licences.rows())
    assert shown["Qt for Python (PySide6)"] == "LGPL-3.0-only"
    assert shown["ReportLab"] == "BSD-3-Clause"
    assert shown["sqlite-utils"] == "Apache-2.0"
    assert shown["platformdirs"] == "MIT"
    assert "carpeta" in about.licences.intro_label.text()
    assert str(LIST.parent) in about.licences.intro_label.text()
    # the licence the program as a whole goes under, because of Qt Charts
    assert "en su conjunto se distribuye bajo la licencia GPL-3.0" in (
        about.licences.intro_label.text())
