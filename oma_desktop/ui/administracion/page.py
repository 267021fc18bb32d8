"""Administración (Ctrl+8): the casa's name, address, phone, email, hours, logo and the
paper its referral slips are printed on. Saved with ``casas.update_casa_settings`` (one
logged update, so headquarters receives it); the slip reads them when it is printed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import PermissionDeniedError, ValidationError
from oma_desktop.i18n import _
from oma_desktop.services import casas
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import Permission, denied
from oma_desktop.ui.administracion.tabs import add_admin_tabs
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.widgets.forms import CodeCombo, FieldErrors
from oma_desktop.ui.widgets.person_page import shortcut

LOGO_PREVIEW = 96
_LINES = ("name", "address", "phone", "email", "hours")


class AdministrationPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.logo = b""
        self.errors = FieldErrors()
        title = QLabel(_("Casa details"))
        title.setFont(scaled(title.font(), 1.3, bold=True))
        intro = QLabel(_("What the referral slips and the printed sheets show about the casa. "
                         "Changes are recorded with your name and reach headquarters with the "
                         "next synchronisation."))
        intro.setWordWrap(True)
        self.casa_combo = CodeCombo(casas.casa_choices(ctx.session))
        self.casa_combo.set_value(ctx.session.casa_id)
        self.casa_combo.setAccessibleName(_("Casa"))
        self.casa_combo.currentIndexChanged.connect(lambda _i: self.load())
        labels = {"name": _("&Name *"), "address": _("&Address"), "phone": _("&Phone"),
                  "email": _("&Email"), "hours": _("&Opening hours")}
        self.edits = {key: QLineEdit() for key in _LINES}
        self.edits["hours"].setPlaceholderText(_("e.g. Mon–Fri 8:30–17:00, Sat 9:00–13:00"))
        self.paper_combo = CodeCombo([("A5", _("A5 (half a sheet, default)")),
                                      ("A4", _("A4 (whole sheet)"))])
        self.paper_combo.setAccessibleName(_("Slip paper"))
        self.logo_label = QLabel()
        self.logo_label.setFixedSize(LOGO_PREVIEW * 2, LOGO_PREVIEW)
        self.logo_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_label.setStyleSheet("border: 1px dashed #888; background: white;")
        self.choose_logo_button = QPushButton(_("Choose logo (PNG)…"))
        self.remove_logo_button = QPushButton(_("Remove logo"))
        self.choose_logo_button.clicked.connect(lambda: self.choose_logo())
        self.remove_logo_button.clicked.connect(lambda: self.set_logo(b""))
        logo_buttons = QVBoxLayout()
        logo_buttons.addWidget(self.choose_logo_button)
        logo_buttons.addWidget(self.remove_logo_button)
        logo_buttons.addStretch(1)
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo_label)
        logo_row.addLayout(logo_buttons)
        logo_row.addStretch(1)
        logo_box = QWidget()
        logo_box.setLayout(logo_row)
        logo_row.setContentsMargins(0, 0, 0, 0)

        form = QFormLayout()
        form.addRow(_("Casa"), self.casa_combo)
        for key in _LINES:
            form.addRow(labels[key], self.errors.with_label(key, self.edits[key]))
        form.addRow(_("Logo"), self.errors.with_label("logo_png", logo_box))
        form.addRow(_("Slip &paper"), self.errors.with_label("slip_paper", self.paper_combo))
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            label = item.widget() if item is not None else None
            if label is not None:
                # room for the last letter: with a mnemonic, Qt measures «Teléfono» a pixel
                # short and clipped its «o»
                label.setMinimumWidth(label.sizeHint().width() + 3)
        box = QGroupBox()
        box.setLayout(form)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.save_button = QPushButton(_("Save ({key})").format(key="Ctrl+S"))
        self.save_button.setFont(scaled(self.save_button.font(), 1.0, bold=True))
        self.save_button.clicked.connect(self.save)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.save_button)
        content = QWidget()
        content.setMaximumWidth(900)
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(title)
        column.addWidget(intro)
        column.addWidget(box)
        column.addLayout(buttons)
        casa_tab = QWidget()  # the first tab; issue #9's tabs follow (administracion/tabs.py)
        layout = QVBoxLayout(casa_tab)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addWidget(content)
        self.backups_button = QPushButton(_("&Backups…"))  # ui/respaldo: a window of its own
        self.backups_button.setObjectName("backups_button")
        self.backups_button.clicked.connect(lambda: self.open_backups())
        layout.addWidget(self.backups_button, 0, Qt.AlignmentFlag.AlignLeft)
        # the first-run assistant again (backup folder, enrolment with headquarters)
        from oma_desktop.services import first_run

        self.setup_button = QPushButton(_("Setup &assistant…"))
        self.setup_button.setObjectName("setup_button")
        self.setup_button.setToolTip(_(
            "Change the backup folder or enrol the casa with headquarters' key file. The "
            "casa and the mode of the installation cannot be changed here."))
        self.setup_button.clicked.connect(lambda: self.open_setup_assistant())
        self.setup_button.setVisible(first_run.is_administrator(ctx))
        self.setup_assistant: QWidget | None = None
        layout.addWidget(self.setup_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self.tabs = add_admin_tabs(self, ctx, casa_tab, _("Casa details"))
        if ctx.session.can(Permission.MANAGE_USERS):  # «Cuentas de usuario»
            from oma_desktop.ui.administracion.users_tab import UsersTab

            self.users_tab = UsersTab(ctx)
            self.tabs.addTab(self.users_tab, _("User accounts"))
        self.save_shortcut = shortcut(self, "Ctrl+S", self.save)
        self.may_edit = ctx.session.can(Permission.EDIT_CASA_SETTINGS)
        self.load()
        if not self.may_edit:  # seen by everyone, changed by the casa's administrator
            for edit in self.edits.values():
                edit.setReadOnly(True)
            for widget in (self.paper_combo, self.choose_logo_button, self.save_button):
                widget.setEnabled(False)
            self._say(str(denied(ctx.session.actor.role, Permission.EDIT_CASA_SETTINGS)),
                      ok=False)

    def open_setup_assistant(self) -> QWidget | None:
        """The setup assistant for an existing folder (administrators only)."""
        from oma_desktop.ui.primer_inicio.wizard import open_setup_assistant

        self.setup_assistant = open_setup_assistant(self, self.ctx)
        return self.setup_assistant

    def open_backups(self) -> QWidget:
        from oma_desktop.ui.respaldo import BackupsDialog

        dialog = BackupsDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def load(self) -> None:
        code = self.casa_combo.value()
        if not code:
            return
        data = casas.casa_settings(self.ctx.session, code)
        for key, edit in self.edits.items():
            edit.setText(str(getattr(data, key)))
        self.paper_combo.set_value(data.slip_paper)
        self.set_logo(data.logo_png)
        self.errors.clear()
        self.message.clear()

    def set_logo(self, png: bytes) -> None:
        self.logo = png
        image = QImage.fromData(png) if png.startswith(b"\x89PNG") else QImage()
        if image.isNull():
            self.logo_label.setPixmap(QPixmap())
            self.logo_label.setText(_("No logo") if not png else _("Not a PNG image"))
        else:
            self.logo_label.setPixmap(QPixmap.fromImage(image).scaled(
                self.logo_label.size(), Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
        self.remove_logo_button.setEnabled(bool(png) and getattr(self, "may_edit", True))

    def choose_logo(self, path: Path | None = None) -> bool:
        if path is None:
            chosen, _filter = QFileDialog.getOpenFileName(
                self, _("Choose logo"), str(Path.home()), _("PNG images (*.png)"))
            if not chosen:
                return False
            path = Path(chosen)
        try:
            self.set_logo(path.read_bytes())
        except OSError as exc:
            self._say(_("The file could not be read: {error}").format(
                error=exc.strerror or exc), ok=False)
            return False
        return True

    def collect(self) -> casas.CasaSettings:
        return casas.CasaSettings(
            code=self.casa_combo.value(), logo_png=self.logo,
            slip_paper=self.paper_combo.value() or "A5",
            **{key: edit.text() for key, edit in self.edits.items()})

    def _say(self, text: str, ok: bool) -> None:
        self.message.setStyleSheet("color: #1b5e20;" if ok else "color: #b71c1c;")
        self.message.setText(text)

    def save(self) -> bool:
        try:
            changed = casas.update_casa_settings(self.ctx.session, self.collect())
        except PermissionDeniedError as exc:
            self._say(str(exc), ok=False)
            return False
        except ValidationError as exc:
            self.errors.show(exc.fields)
            self._say(_("Check the marked fields."), ok=False)
            return False
        self.errors.clear()
        self._say(_("Casa details saved.") if changed else _("Nothing changed."), ok=True)
        return True
