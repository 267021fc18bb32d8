"""Before registering someone new: "¿es alguien que ya está registrado?".

Lists the likely duplicates found by ``services.duplicates.find_duplicates`` beside what
the clerk typed, with the reasons and the score, and lets the clerk decide. Nothing is
merged: "Es la misma persona" opens the existing record with the typed values offered as
changes to accept (``same_person_dialog``),
"Es otra persona" registers the new one, "Volver al formulario" goes back with the form
intact.

The dialog does not block its caller: open it with ``open()`` and read ``choice`` (and
``chosen_person_id``) when ``finished`` is emitted.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.i18n import _, country_name, format_date, ngettext
from oma_desktop.services.casas import casa_names
from oma_desktop.services.context import AppContext
from oma_desktop.services.duplicates import Candidate
from oma_desktop.services.history import document_label
from oma_desktop.services.persons import PersonInput

SAME = "same"
OTHER = "other"
BACK = "back"


def _candidate_document(catalogs: Catalogs, text: str) -> str:
    doc_type, _sep, number = text.partition(" ")
    return document_label(catalogs, doc_type, number)


def typed_summary(catalogs: Catalogs, data: PersonInput) -> str:
    """One line with what the clerk typed: name · birth date or age · nationality · documents."""
    name = " ".join(
        p.strip() for p in (data.given_names, data.paternal_surname, data.maternal_surname) if p.strip()
    )
    parts = [name]
    if data.birth_date is not None:
        parts.append(format_date(data.birth_date))
    elif data.estimated_age is not None:
        parts.append(
            ngettext("about {n} year old", "about {n} years old", data.estimated_age).format(
                n=data.estimated_age
            )
        )
    if data.nationality:
        parts.append(country_name(data.nationality))
    parts += [
        document_label(catalogs, d.doc_type, d.number) for d in data.documents if d.number.strip()
    ]
    return " · ".join(p for p in parts if p)


class DuplicatesDialog(QDialog):
    """Likely duplicates with three answers; ``choice`` is ``SAME``, ``OTHER`` or ``BACK``."""

    COLUMNS = 7

    def __init__(
        self,
        ctx: AppContext,
        candidates: Sequence[Candidate],
        data: PersonInput,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.candidates = list(candidates)
        self.choice = BACK
        self.chosen_person_id: str | None = None
        self.setWindowTitle(_("Is this person already registered?"))

        count = len(self.candidates)
        intro = QLabel(ngettext(
            "There is already {n} registered person who looks like the one you are "
            "registering. Compare the details before saving: records are never merged "
            "automatically.",
            "There are already {n} registered people who look like the one you are "
            "registering. Compare the details before saving: records are never merged "
            "automatically.",
            count,
        ).format(n=count))
        intro.setWordWrap(True)
        self.typed_label = QLabel(
            _("You typed: {summary}").format(summary=typed_summary(ctx.catalogs, data))
        )
        self.typed_label.setWordWrap(True)
        self.typed_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.typed_label.font()
        font.setBold(True)
        self.typed_label.setFont(font)

        self.table = self._build_table()

        self.same_button = QPushButton(_("It is the &same person"))
        self.same_button.setToolTip(_(
            "Uses the selected record; next you choose which typed details to save in it."
        ))
        self.other_button = QPushButton(_("It is &another person: register"))
        self.other_button.setToolTip(_("Registers the person you typed as a new record."))
        self.back_button = QPushButton(_("&Back to the form"))
        self.back_button.setToolTip(_("Nothing is saved; the form keeps what you typed."))
        for button in (self.same_button, self.other_button, self.back_button):
            button.setAccessibleName(button.text().replace("&", ""))
        self.same_button.setDefault(True)
        self.same_button.clicked.connect(self.choose_same)
        self.other_button.clicked.connect(self.choose_other)
        self.back_button.clicked.connect(self.reject)
        self.help_label = QLabel(_(
            "“It is the same person” uses the selected record, then shows what you typed "
            "so you choose what to save in it."
        ))
        self.help_label.setWordWrap(True)
        self.help_label.setStyleSheet("color: #555555;")

        buttons = QHBoxLayout()
        buttons.addWidget(self.same_button)
        buttons.addWidget(self.other_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.typed_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.help_label)
        layout.addLayout(buttons)
        self.setMinimumSize(760, 360)
        self.resize(1060, 440)
        if self.candidates:
            self.table.selectRow(0)
        self.table.setFocus()
        self._update_buttons()
        # settle the size constraints before the native window exists (no resize round-trips)
        self.ensurePolished()
        layout.activate()

    def _build_table(self) -> QTableWidget:
        headers = [
            _("Name"), _("Birth date"), _("Nationality"), _("Documents"), _("Casa vecinal"),
            _("Match"), _("Why it looks the same"),
        ]
        table = QTableWidget(len(self.candidates), len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.setAccessibleName(_("Registered people who look alike"))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setTabKeyNavigation(False)
        table.setWordWrap(True)
        table.verticalHeader().setVisible(False)
        casas = casa_names(self.ctx.session)
        for row, cand in enumerate(self.candidates):
            values = [
                cand.full_name,
                format_date(cand.birth_date),
                country_name(cand.nationality),
                "\n".join(_candidate_document(self.ctx.catalogs, d) for d in cand.documents),
                casas.get(cand.casa_id or "", cand.casa_id or ""),
                f"{cand.score} %",
                "\n".join(cand.reasons),
            ]
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                if column == 0:
                    item.setData(Qt.ItemDataRole.UserRole, cand.person_id)
                if column == 5:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                table.setItem(row, column, item)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        widths = (180, 0, 100, 170, 100, 0)
        for column, width in enumerate(widths):
            bold = header.font()
            bold.setBold(True)
            hint = QFontMetrics(bold).horizontalAdvance(headers[column]) + 24
            table.setColumnWidth(column, max(width, hint))
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        table.resizeRowsToContents()
        table.itemSelectionChanged.connect(self._update_buttons)
        table.itemDoubleClicked.connect(lambda _item: self.choose_same())
        return table

    def selected_person_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def select_candidate(self, person_id: str) -> None:
        for row, cand in enumerate(self.candidates):
            if cand.person_id == person_id:
                self.table.selectRow(row)
                return
        raise KeyError(person_id)

    def _update_buttons(self) -> None:
        self.same_button.setEnabled(self.selected_person_id() is not None)

    def choose_same(self) -> None:
        person_id = self.selected_person_id()
        if person_id is None:
            return
        self.choice, self.chosen_person_id = SAME, person_id
        self.accept()

    def choose_other(self) -> None:
        self.choice, self.chosen_person_id = OTHER, None
        self.accept()

    def reject(self) -> None:
        self.choice, self.chosen_person_id = BACK, None
        super().reject()
