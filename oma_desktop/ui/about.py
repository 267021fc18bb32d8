"""Acerca de OMA Desktop: version, data folder, database, casa, data credits and, in the
«Licencias» tab, the licences of the bundled components (resources/licenses/THIRD_PARTY.csv,
each row verified against the installed package metadata by tests/ui/test_about_dialog.py)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from oma_desktop import APP_NAME, __version__
from oma_desktop.i18n import _
from oma_desktop.paths import resources_dir
from oma_desktop.services.context import AppContext
from oma_desktop.services.status import installation_facts
from oma_desktop.ui.fonts import scaled

ORGANIZATION = "Municipalidad Metropolitana de Lima"


def mode_label(mode: str) -> str:
    return {"casa": _("Casa vecinal"), "hq": _("Headquarters")}.get(mode, mode)


def credits_html() -> str:
    """Where the bundled reference data comes from, with its licences."""
    items = (
        _("District codes (ubigeo): {source}, MIT licence.").format(
            source="jmcastagnetto/ubigeo-peru-aumentado"),
        _("District boundaries: {first}, MIT/Apache-2.0 licence, and {second}, "
          "MPL-2.0 licence.").format(
            first="joseluisq/peru-geojson-datasets", second="juaneladio/peru-geojson"),
        _("User interface built with Qt for Python (PySide6), LGPL-3.0 licence; the"
          " report charts with Qt Charts, GPL-3.0 licence."),
    )
    return "<ul style='margin-left: -24px'>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def licenses_dir() -> Path:
    """The licence list and texts shipped with the program."""
    return resources_dir() / "licenses"


@dataclass(frozen=True)
class Component:
    """A bundled component: ``package`` is its distribution name ('' for what comes inside
    another package, like Qt inside PySide6), ``licence`` an SPDX expression, ``declared``
    what the package's own metadata says, ``bundled`` 'always' or 'installer' (only in the
    frozen build), ``source`` where the licence was read."""

    package: str
    component: str
    licence: str
    declared: str
    bundled: str
    source: str


def third_party_components(path: Path | None = None) -> list[Component]:
    """The rows of ``THIRD_PARTY.csv`` (empty if the file is missing)."""
    path = path or licenses_dir() / "THIRD_PARTY.csv"
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return [Component(**row) for row in csv.DictReader(fh)]
    except FileNotFoundError:
        return []


ICON_FILES = ("oma-desktop-48.png", "oma-desktop-256.png", "oma-desktop.png")


def app_icon() -> QIcon:
    """The application icon from resources/icons/ (every size there; null if none)."""
    icon = QIcon()
    for name in ICON_FILES:
        path = resources_dir() / "icons" / name
        if path.is_file():
            icon.addFile(str(path))
    return icon


class LicencesTab(QWidget):
    """The bundled components and their licences, one row each."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        components = third_party_components()
        intro = QLabel(" ".join((_(
            "OMA Desktop is built with these components. Each one keeps its own licence;"
            " the full texts of the licences are in the folder {folder} and in each"
            " component's files.").format(folder=licenses_dir()), _(
            "OMA Desktop's own code is under the MIT licence; as it includes Qt Charts"
            " (GPL-3.0), the program as a whole is distributed under the GPL-3.0 licence,"
            " and whoever receives it can ask for its source code."))))
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.intro_label = intro
        table = QTableWidget(len(components), 2)
        table.setHorizontalHeaderLabels([_("Component"), _("Licence")])
        table.setAccessibleName(_("Licences of the bundled components"))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        table.setWordWrap(False)
        for row, component in enumerate(components):
            table.setItem(row, 0, QTableWidgetItem(component.component))
            table.setItem(row, 1, QTableWidgetItem(component.licence))
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table = table
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(table, 1)

    def rows(self) -> list[tuple[str, str]]:
        """What the table shows: (component, licence) per row."""
        def text(row: int, column: int) -> str:
            item = self.table.item(row, column)
            return item.text() if item is not None else ""

        return [(text(r, 0), text(r, 1)) for r in range(self.table.rowCount())]


def open_folder(path: Path) -> bool:
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class AboutDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("About {app}").format(app=APP_NAME))
        icon = app_icon()
        if not icon.isNull():  # the app-wide icon is the application's (ui/app.py)
            self.setWindowIcon(icon)
        self.data_dir = ctx.paths.root

        name = QLabel(APP_NAME)
        name.setFont(scaled(self.font(), 1.8, bold=True))
        # a plain call, not inside an f-string: the string extractor must see it
        office = _("Municipal offices for migrant neighbours")
        subtitle = QLabel(office + "\n" + ORGANIZATION)
        subtitle.setWordWrap(True)
        self.subtitle_label = subtitle

        self.version_label = QLabel(__version__)
        self.folder_edit = QLineEdit(str(self.data_dir))
        self.folder_edit.setReadOnly(True)
        self.folder_edit.setAccessibleName(_("Data folder"))
        self.folder_edit.setCursorPosition(0)
        self.folder_edit.setToolTip(str(self.data_dir))
        self.open_button = QPushButton(_("Open folder"))
        self.open_button.clicked.connect(lambda: open_folder(self.data_dir))
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.open_button)

        facts = installation_facts(ctx.session)
        self.schema_label = QLabel(str(facts.schema_version))
        self.casa_label = QLabel(f"{facts.casa_id} — {facts.casa_name}")
        self.mode_label = QLabel(mode_label(facts.mode))

        form = QFormLayout()
        form.addRow(_("Version:"), self.version_label)
        form.addRow(_("Data folder:"), folder_row)
        form.addRow(_("Database version:"), self.schema_label)
        form.addRow(_("Casa:"), self.casa_label)
        form.addRow(_("Mode:"), self.mode_label)
        for label in (self.version_label, self.schema_label, self.casa_label, self.mode_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        credits = QGroupBox(_("Reference data and credits"))
        self.credits_label = QLabel(credits_html())
        self.credits_label.setWordWrap(True)
        self.credits_label.setTextFormat(Qt.TextFormat.RichText)
        self.credits_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        QVBoxLayout(credits).addWidget(self.credits_label)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)

        general = QWidget()
        general_layout = QVBoxLayout(general)
        general_layout.addLayout(form)
        general_layout.addWidget(credits)
        general_layout.addStretch(1)
        self.licences = LicencesTab()
        self.tabs = QTabWidget()
        self.tabs.addTab(general, _("General"))
        self.tabs.addTab(self.licences, _("Licences"))

        layout = QVBoxLayout(self)
        layout.addWidget(name)
        layout.addWidget(subtitle)
        layout.addSpacing(8)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(620)
        # settle the size constraints before the native window exists, so showing the
        # dialog does not change them afterwards (needless resize round-trips)
        self.ensurePolished()
        layout.activate()
