"""«Rutas de atención»: pick a topic, edit its steps, documents and institutions, print it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import PermissionDeniedError, ValidationError
from oma_desktop.i18n import _, current_language
from oma_desktop.services.context import AppContext
from oma_desktop.services.directory import search_services
from oma_desktop.services.handouts import Handout, get_handout, save_handout, write_topic_handout
from oma_desktop.services.permissions import Permission, denied
from oma_desktop.ui.widgets import sheet_export
from oma_desktop.ui.widgets.forms import CodeCombo
from oma_desktop.ui.widgets.person_page import shortcut


class RoutesTab(QWidget):
    """One route per topic; coordinators write it, anyone prints it."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.route: Handout | None = None
        self.printed_path: Path | None = None
        lang = current_language()
        self.topic_combo = CodeCombo([(t.code, t.label(lang)) for t in ctx.catalogs.topics],
                                     empty_label=_("Choose…"))
        self.title_edit = QLineEdit()
        self.steps_edit = QPlainTextEdit()
        self.steps_edit.setPlaceholderText(_("One step per line, in plain words"))
        self.documents_edit = QPlainTextEdit()
        self.documents_edit.setPlaceholderText(_("One document per line"))
        self.places = QListWidget()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.intro = QLabel(_("For each topic, the steps, the documents to bring and the "
                              "institutions, printed on an A4 page the person takes home. "
                              "Choose a topic to see its route or write it."))
        self.intro.setWordWrap(True)
        self.save_button = QPushButton(_("Save route ({key})").format(key="Ctrl+S"))
        self.print_button = QPushButton(_("Print route… ({key})").format(key="Ctrl+P"))
        for button in (self.save_button, self.print_button):
            button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.print_button.clicked.connect(self.print_route)
        self.topic_combo.currentIndexChanged.connect(lambda _i: self.load())

        grid = QGridLayout()
        for row, (text, widget) in enumerate((
            (_("T&opic"), self.topic_combo), (_("T&itle"), self.title_edit),
            (_("&Steps"), self.steps_edit), (_("&Documents to bring"), self.documents_edit),
            (_("I&nstitutions"), self.places),
        )):
            caption = QLabel(text)
            caption.setBuddy(widget)
            grid.addWidget(caption, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(widget, row, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(grid, 1)
        layout.addLayout(buttons)
        self.shortcuts = [shortcut(self, "Ctrl+S", self.save),
                          shortcut(self, "Ctrl+P", self.print_route)]
        self.may_edit = ctx.session.can(Permission.EDIT_HANDOUTS)
        self.save_button.setVisible(self.may_edit)  # everyone prints; coordinators write
        self._set_enabled(False)
        self.message.setText(_("Choose a topic above to see or write its route."))

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.title_edit, self.steps_edit, self.documents_edit, self.places,
                       self.save_button):
            widget.setEnabled(enabled and self.may_edit)
        self.print_button.setEnabled(enabled)

    def load(self) -> None:
        topic = self.topic_combo.value()
        self.message.clear()
        if not topic:
            self.route = None
            self._set_enabled(False)
            self.message.setText(_("Choose a topic above to see or write its route."))
            return
        self.route = get_handout(self.ctx.session, topic)
        self.title_edit.setText(self.route.title)
        self.steps_edit.setPlainText("\n".join(self.route.steps))
        self.documents_edit.setPlainText("\n".join(self.route.documents))
        self.places.clear()
        chosen = set(self.route.service_ids)
        for service in search_services(self.ctx.session):
            item = QListWidgetItem(service.name)
            item.setData(Qt.ItemDataRole.UserRole, service.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if service.id in chosen
                               else Qt.CheckState.Unchecked)
            self.places.addItem(item)
        self._set_enabled(True)
        if not self.may_edit:
            self.message.setText(str(denied(self.ctx.session.actor.role,
                                            Permission.EDIT_HANDOUTS)))

    def _typed(self) -> Handout | None:
        if self.route is None:
            return None
        lines = self.steps_edit.toPlainText().splitlines()
        docs = self.documents_edit.toPlainText().splitlines()
        ids = [str(self.places.item(i).data(Qt.ItemDataRole.UserRole))
               for i in range(self.places.count())
               if self.places.item(i).checkState() == Qt.CheckState.Checked]
        return Handout(self.route.topic, self.title_edit.text(),
                       [s.strip() for s in lines if s.strip()],
                       [d.strip() for d in docs if d.strip()], ids, self.route.id)

    def save(self) -> bool:
        typed = self._typed()
        if typed is None:
            return False
        try:
            typed.id = save_handout(self.ctx.session, typed)
        except PermissionDeniedError as exc:
            self.message.setText(str(exc))
            return False
        except ValidationError as exc:
            self.message.setText(" ".join(exc.fields.values()))
            return False
        self.route = typed
        self.message.setText(_("Route saved."))
        return True

    def print_route(self) -> None:
        from oma_desktop.ui.tasks import run_job

        if self.route is None or (self.may_edit and not self.save()):
            return
        topic = self.route.topic
        path = self.ctx.paths.exports / f"ruta-{topic.lower()}.pdf"

        def done(written: Path) -> None:
            self.printed_path = written
            self.message.setText(_("Route saved in {path}.").format(path=written))
            sheet_export.open_file(written)

        run_job(self, self.ctx,
                lambda session, _progress: write_topic_handout(session, topic, path), done)
