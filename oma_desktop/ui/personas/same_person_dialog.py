""""Es la misma persona": the typed values offered as changes to the registered record.

Opened by the person form after the clerk recognises an existing person in the duplicates
check. One line per typed value the record lacks or has otherwise (current value → typed
value, a new document, a household member), each with a check box; values the record did
not have come ticked, replacements do not. "Guardar los marcados" writes exactly the
ticked ones in one transaction (``services.same_person.accept_changes``); "Usar la ficha
sin cambios" saves nothing. ``saved`` tells the form what happened, so it never says
"Persona guardada" when nothing was.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
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

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import _
from oma_desktop.services.context import AppContext
from oma_desktop.services.households import HouseholdChanges
from oma_desktop.services.persons import PersonInput
from oma_desktop.services.same_person import OfferedChange, accept_changes, offered_changes
from oma_desktop.ui.widgets.field_widgets import plain

KEY_ROLE = Qt.ItemDataRole.UserRole


class SamePersonDialog(QDialog):
    """Tick the typed values to keep in the existing record; ``saved`` is how many were."""

    def __init__(
        self, ctx: AppContext, person_id: str, name: str, typed: PersonInput,
        household: HouseholdChanges | None = None, parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.person_id = person_id
        self.typed = typed
        self.household = household or HouseholdChanges()
        self.saved: int | None = None  # None: went back to the form
        self.offers: list[OfferedChange] = offered_changes(ctx.session, person_id, typed,
                                                           self.household)
        self.setWindowTitle(_("Same person: update the registered record"))
        if self.offers:
            text = _("The registered record of {name} is used. Tick what you typed that should "
                     "be saved in it; what is not ticked is not saved. Details the record did "
                     "not have are already ticked.").format(name=name)
        else:
            text = _("What you typed matches the registered record of {name}: there is "
                     "nothing to update.").format(name=name)
        self.intro = QLabel(text)
        self.intro.setWordWrap(True)
        self.table = self._build_table()
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b71c1c;")
        self.error_label.setVisible(False)

        self.save_button = QPushButton(_("&Save the ticked changes"))
        self.keep_button = QPushButton(_("&Use the record unchanged"))
        self.back_button = QPushButton(_("&Back to the form"))
        self.save_button.setToolTip(_("Saves only the ticked lines in the registered record."))
        self.keep_button.setToolTip(_("Nothing is saved; the registered record is used as it is."))
        self.back_button.setToolTip(_("Nothing is saved; the form keeps what you typed."))
        for button in (self.save_button, self.keep_button, self.back_button):
            button.setAccessibleName(plain(button.text()))
        self.save_button.setVisible(bool(self.offers))
        (self.save_button if self.offers else self.keep_button).setDefault(True)
        self.save_button.clicked.connect(self.save_ticked)
        self.keep_button.clicked.connect(self.keep_unchanged)
        self.back_button.clicked.connect(self.reject)

        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.keep_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        self.table.setVisible(bool(self.offers))
        self.setMinimumSize(720, 300 if self.offers else 160)
        self.resize(960, 460 if self.offers else 180)
        (self.table if self.offers else self.keep_button).setFocus()
        self.ensurePolished()
        layout.activate()

    def _build_table(self) -> QTableWidget:
        headers = [_("Detail"), _("In the record"), _("You typed")]
        table = QTableWidget(len(self.offers), len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.setAccessibleName(_("Typed details to save in the record"))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setTabKeyNavigation(False)
        table.verticalHeader().setVisible(False)
        for row, offer in enumerate(self.offers):
            first = QTableWidgetItem(offer.label)
            first.setFlags(first.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            fills = not offer.current or offer.current == _("(empty)")
            first.setCheckState(Qt.CheckState.Checked if fills else Qt.CheckState.Unchecked)
            first.setData(KEY_ROLE, offer.key)
            current = QTableWidgetItem(offer.current or "—")
            typed = QTableWidgetItem(offer.typed)
            for item in (current, typed):
                item.setToolTip(item.text())
            table.setItem(row, 0, first)
            table.setItem(row, 1, current)
            table.setItem(row, 2, typed)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        if self.offers:
            table.selectRow(0)
        return table

    def ticked(self) -> list[str]:
        keys = []
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                keys.append(str(item.data(KEY_ROLE)))
        return keys

    def set_ticked(self, keys: Sequence[str]) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None:
                on = str(item.data(KEY_ROLE)) in keys
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def save_ticked(self) -> None:
        """Write the ticked lines in one transaction; on a refusal say why and stay."""
        try:
            self.saved = accept_changes(self.ctx.session, self.person_id, self.typed,
                                        self.ticked(), self.household)
        except OmaError as exc:
            self.error_label.setText(_("Nothing was saved: {reason}").format(reason=exc))
            self.error_label.setVisible(True)
            return
        self.accept()

    def keep_unchanged(self) -> None:
        self.saved = 0
        self.accept()

    def reject(self) -> None:
        self.saved = None
        super().reject()
