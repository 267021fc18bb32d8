"""The key-file check of the enrolment: choose the other side's ``.omakey``, read its
fingerprint aloud by phone, tick that it matches, (at a casa) choose where to write this
casa's own key file. Nothing is written until «Inscribir» / «Registrar»."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import _
from oma_desktop.services import sync
from oma_desktop.sync.keys import PublicKeys
from oma_desktop.ui.fonts import scaled

_ERROR_STYLE = "color: #b71c1c;"


def fingerprint_font(base: QFont) -> QFont:
    font = QFont("monospace")
    font.setStyleHint(QFont.StyleHint.TypeWriter)
    font.setPointSizeF(base.pointSizeF() * 1.35)
    font.setBold(True)
    return font


class KeyFileDialog(QDialog):
    """``expect`` "hq": a casa enrols with headquarters' key file (and writes its own into
    a folder); "casa": headquarters registers a casa's key file."""

    def __init__(self, expect: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.expect = expect
        self.keys: PublicKeys | None = None
        self.key_path: Path | None = None
        self.folder: Path | None = None
        at_casa = expect == "hq"
        self.setWindowTitle(_("Enrol with headquarters") if at_casa else _("Register a casa"))
        intro = QLabel(_(
            "Choose the key file headquarters gave you (oma-sede-central.omakey). Then call"
            " headquarters and ask them to read their fingerprint aloud: it must match the"
            " one below, group by group.") if at_casa else _(
            "Choose the key file the casa sent (oma-CV…omakey). Then call the casa's"
            " coordinator and ask them to read their fingerprint aloud: it must match the"
            " one below, group by group."))
        intro.setWordWrap(True)
        self.key_label = QLabel(_("No file chosen"))
        self.key_label.setWordWrap(True)
        self.key_button = QPushButton(_("Choose &file…"))
        self.key_button.clicked.connect(lambda: self.choose_key())
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_label, 1)
        key_row.addWidget(self.key_button)
        self.who_label = QLabel()
        self.who_label.setWordWrap(True)
        self.fingerprint_label = QLabel("—")
        self.fingerprint_label.setObjectName("fingerprint")
        self.fingerprint_label.setFont(fingerprint_font(self.font()))
        # eight groups of four, always whole (never cut or wrapped)
        self.fingerprint_label.setMinimumWidth(
            QFontMetrics(self.fingerprint_label.font()).horizontalAdvance("0000 " * 8))
        self.fingerprint_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label = QLabel()
        self.error_label.setStyleSheet(_ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.confirm_check = QCheckBox(
            _("Headquarters read me this same fingerprint by phone") if at_casa
            else _("The casa read me this same fingerprint by phone"))
        self.confirm_check.toggled.connect(lambda _on: self._update())
        form = QFormLayout()
        form.addRow(_("Key file:"), key_row)
        form.addRow(_("From:"), self.who_label)
        form.addRow(_("Fingerprint:"), self.fingerprint_label)
        self.folder_label = QLabel(_("No folder chosen"))
        self.folder_label.setWordWrap(True)
        self.folder_button = QPushButton(_("Choose f&older…"))
        self.folder_button.clicked.connect(lambda: self.choose_folder())
        if at_casa:
            folder_row = QHBoxLayout()
            folder_row.addWidget(self.folder_label, 1)
            folder_row.addWidget(self.folder_button)
            form.addRow(_("Save this casa's key file in:"), folder_row)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("&Enrol") if at_casa else _("&Register"))
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText(_("Cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        title = QLabel(self.windowTitle())
        title.setFont(scaled(title.font(), 1.2, bold=True))
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.confirm_check)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(720)
        self._update()

    def choose_key(self, path: Path | None = None) -> bool:
        if path is None:
            chosen, _filter = QFileDialog.getOpenFileName(
                self, _("Choose the key file"), str(Path.home()),
                _("OMA Desktop key files (*.omakey)"))
            if not chosen:
                return False
            path = Path(chosen)
        self.key_path = Path(path)
        self.key_label.setText(str(path))
        self.keys = None
        self.confirm_check.setChecked(False)
        try:
            keys = sync.read_key_file(self.key_path)
            if keys.role != self.expect:
                raise OmaError(_(
                    "That is a casa's key file, not headquarters'. Choose the file"
                    " headquarters gave you.") if self.expect == "hq" else _(
                    "That is headquarters' key file, not a casa's. Choose the file the casa"
                    " sent."))
        except OmaError as exc:
            self.fingerprint_label.setText("—")
            self.who_label.setText("")
            self.error_label.setText(str(exc))
            self.error_label.show()
            self._update()
            return False
        self.keys = keys
        self.error_label.hide()
        self.fingerprint_label.setText(keys.fingerprint)
        self.who_label.setText(_("Headquarters") if keys.role == "hq" else _(
            "Casa {casa}, PC {station}").format(casa=keys.casa_id, station=keys.station))
        self._update()
        return True

    def choose_folder(self, folder: Path | None = None) -> bool:
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(
                self, _("Folder or USB stick for this casa's key file"), str(Path.home()))
            if not chosen:
                return False
            folder = Path(chosen)
        self.folder = Path(folder)
        self.folder_label.setText(str(folder))
        self._update()
        return True

    def _update(self) -> None:
        ready = self.keys is not None and self.confirm_check.isChecked() and (
            self.expect != "hq" or self.folder is not None)
        self.confirm_check.setEnabled(self.keys is not None)
        self.ok_button.setEnabled(ready)
