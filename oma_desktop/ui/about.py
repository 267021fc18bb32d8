"""Acerca de OMA Desktop: version, data folder, database, casa, and data credits."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from oma_desktop import APP_NAME, __version__
from oma_desktop.i18n import _
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
        _("User interface built with Qt for Python (PySide6), LGPL-3.0 licence."),
    )
    return "<ul style='margin-left: -24px'>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def open_folder(path: Path) -> bool:
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class AboutDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("About {app}").format(app=APP_NAME))
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

        layout = QVBoxLayout(self)
        layout.addWidget(name)
        layout.addWidget(subtitle)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addWidget(credits)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)
        # settle the size constraints before the native window exists, so showing the
        # dialog does not change them afterwards (needless resize round-trips)
        self.ensurePolished()
        layout.activate()
