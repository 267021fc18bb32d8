"""Form building blocks: optional date fields, code combos, accent-insensitive pickers,
the per-field error display every form uses, the foot of a form dialog (message, Cancel,
Save on Ctrl+S) and :func:`submit`, which calls the service and marks what it refuses.

Invalid input is marked beside its field with a Spanish message; the form keeps all
that was typed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, QStringListModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import OmaError, ValidationError
from oma_desktop.core.text import fold
from oma_desktop.i18n import _, current_language

_DATE_SPLIT = re.compile(r"[/\-. ]+")
INVALID_PROPERTY = "invalid"
INVALID_STYLE = (
    "*[invalid=\"true\"] { border: 2px solid #c62828; border-radius: 3px; background: #fff5f5; }"
)


def parse_date(text: str) -> dt.date | None:
    """``27/11/2026``, ``27-11-26``, ``27112026`` or ISO ``2026-11-27``; None if empty.

    Raises ValueError when the text is not a real date.
    """
    text = text.strip()
    if not text or text.replace("/", "").replace("_", "").strip() == "":
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return dt.date.fromisoformat(text)
    parts = _DATE_SPLIT.split(text)
    if len(parts) == 1 and len(parts[0]) == 8 and parts[0].isdigit():
        parts = [parts[0][:2], parts[0][2:4], parts[0][4:]]
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(text)
    first, second, year = (int(p) for p in parts)
    day, month = (second, first) if current_language() == "en" else (first, second)
    if year < 100:
        year += 2000 if year <= dt.date.today().year % 100 else 1900
    return dt.date(year, month, day)


def format_date_field(value: dt.date | None) -> str:
    if value is None:
        return ""
    return value.strftime("%m/%d/%Y" if current_language() == "en" else "%d/%m/%Y")


def date_placeholder() -> str:
    """How to type a date, in the order dates are shown (``dd/mm/aaaa``; ``mm/dd/yyyy`` in English)."""
    return _("mm/dd/yyyy") if current_language() == "en" else _("dd/mm/yyyy")


class DateField(QLineEdit):
    """A date that may be left empty; typed in the order the app shows dates (day/month/year
    in Spanish, month/day/year in English), as :func:`format_date_field` writes it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(date_placeholder())
        self.setMaxLength(10)
        self.setClearButtonEnabled(True)

    def value(self) -> dt.date | None:
        """The date, None when empty; raises ValueError when what was typed is no date."""
        return parse_date(self.text())

    def set_value(self, value: dt.date | None) -> None:
        self.setText(format_date_field(value))

    def is_valid(self) -> bool:
        try:
            self.value()
        except ValueError:
            return False
        return True


class CodeCombo(QComboBox):
    """A non-editable choice among (code, label) pairs; ``value()`` is the code or ''."""

    def __init__(
        self,
        items: Iterable[tuple[str, str]],
        empty_label: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if empty_label is not None:
            self.addItem(empty_label, "")
        for code, text in items:
            self.addItem(text, code)

    def value(self) -> str:
        data = self.currentData()
        return str(data) if data else ""

    def set_value(self, code: str | None) -> None:
        index = self.findData(code or "")
        self.setCurrentIndex(max(index, 0))


class SearchableCombo(QComboBox):
    """An editable combo whose completer ignores accents and case ("brena" finds Breña).

    ``value()`` is the chosen code, or '' when the text does not name an item.
    """

    value_changed = Signal(str)

    def __init__(
        self, items: Sequence[tuple[str, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self._items = list(items)
        model = QStandardItemModel(self)
        for code, text in self._items:
            item = QStandardItem(text)
            item.setData(code, Qt.ItemDataRole.UserRole)
            item.setData(fold(text), Qt.ItemDataRole.UserRole + 1)
            model.appendRow(item)
        self.setModel(model)
        self._proxy = QSortFilterProxyModel(self)
        self._proxy.setSourceModel(model)
        self._proxy.setFilterRole(Qt.ItemDataRole.UserRole + 1)
        completer = QCompleter(self._proxy, self)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompleter(completer)
        self._completer = completer
        line = self.lineEdit()
        assert line is not None  # editable combos always have one
        line.textEdited.connect(self._filter)
        completer.activated[QModelIndex].connect(self._chosen)  # type: ignore[index]
        self.setCurrentIndex(-1)
        self.currentIndexChanged.connect(lambda _i: self.value_changed.emit(self.value()))

    def _filter(self, text: str) -> None:
        self._proxy.setFilterFixedString(fold(text))
        if text:
            self._completer.complete()

    def _chosen(self, index: QModelIndex) -> None:
        source = self._proxy.mapToSource(index)
        self.setCurrentIndex(source.row())

    def value(self) -> str:
        text = fold(self.currentText())
        if not text:
            return ""
        index = self.currentIndex()
        if index >= 0 and fold(self.itemText(index)) == text:
            return str(self.itemData(index) or "")
        for code, label in self._items:
            if fold(label) == text:
                return code
        return ""

    def set_value(self, code: str | None) -> None:
        index = self.findData(code) if code else -1
        self.setCurrentIndex(index)
        if index < 0:
            self.setEditText("")


class FieldErrors:
    """Shows validation messages beside their fields and marks the fields in red."""

    def __init__(self) -> None:
        self._fields: dict[str, tuple[QWidget, QLabel]] = {}

    def bind(self, key: str, widget: QWidget, label: QLabel) -> None:
        label.setWordWrap(True)
        label.setStyleSheet("color: #b71c1c;")
        label.setVisible(False)
        label.setAccessibleName(_("Error message"))
        self._fields[key] = (widget, label)

    def make_label(self, key: str, widget: QWidget) -> QLabel:
        label = QLabel()
        self.bind(key, widget, label)
        return label

    def with_label(self, key: str, widget: QWidget) -> QWidget:
        """``widget`` with its error line under it, as one widget for a form row."""
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(widget)
        lay.addWidget(self.make_label(key, widget))
        return box

    def clear(self) -> None:
        for widget, label in self._fields.values():
            _set_invalid(widget, False)
            widget.setAccessibleDescription("")
            label.clear()
            label.setVisible(False)

    def show(self, errors: dict[str, str]) -> list[str]:
        """Mark every bound field in ``errors``; returns the keys with no field bound."""
        self.clear()
        unbound = []
        for key, message in errors.items():
            if key not in self._fields:
                unbound.append(key)
                continue
            widget, label = self._fields[key]
            _set_invalid(widget, True)
            widget.setAccessibleDescription(message)
            label.setText(message)
            label.setVisible(True)
        return unbound

    def first_invalid(self, errors: dict[str, str]) -> QWidget | None:
        for key in self._fields:
            if key in errors:
                return self._fields[key][0]
        return None

    def message(self, key: str) -> str:
        entry = self._fields.get(key)
        return entry[1].text() if entry and entry[1].isVisible() else ""

    def is_marked(self, key: str) -> bool:
        entry = self._fields.get(key)
        return bool(entry and entry[0].property(INVALID_PROPERTY))

    def refuse(self, exc: ValidationError) -> str:
        """Mark the fields ``exc`` names and put the cursor in the first; returns the message
        for beside the buttons: «Check the marked fields.» and, one a line, what the service
        said of anything this form has no field for (an event deleted meanwhile)."""
        unbound = self.show(exc.fields)
        first = self.first_invalid(exc.fields)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)
        return "\n".join([_("Check the marked fields."), *(exc.fields[k] for k in unbound)])


def submit(action: Callable[[], object], errors: FieldErrors, say: Callable[[str], None]) -> bool:
    """Run ``action`` (the form's one service call); True when it went through.

    What the service refuses stays on the form with everything typed: a ``ValidationError``
    is marked beside its fields (:meth:`FieldErrors.refuse`), any other ``OmaError`` (a
    permission refused, a locked database) is said with ``say``.
    """
    try:
        action()
    except ValidationError as exc:
        say(errors.refuse(exc))
        return False
    except OmaError as exc:
        say(str(exc))
        return False
    return True


class SaveBar(QHBoxLayout):
    """The foot of a form dialog: the message (in red) on the left, then Cancel (Esc) and
    Save (Ctrl+S, from anywhere in the dialog). ``read_only``: Close (Esc), no Save."""

    def __init__(self, dialog: QDialog, save: Callable[[], object],
                 read_only: bool = False) -> None:
        super().__init__()
        self.message = QLabel()
        self.message.setStyleSheet("color: #b71c1c;")
        self.message.setWordWrap(True)
        self.save_button = QPushButton(_("Save ({key})").format(key="Ctrl+S"))
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(lambda: save())
        if read_only:  # hidden, never shown: shown without a parent it would be a window
            self.save_button.setVisible(False)
        self.cancel_button = QPushButton(_("Close ({key})").format(key="Esc") if read_only
                                         else _("Cancel ({key})").format(key="Esc"))
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(dialog.reject)
        self.addWidget(self.message, 1)
        self.addWidget(self.cancel_button)
        self.addWidget(self.save_button)
        QShortcut(QKeySequence("Ctrl+S"), dialog).activated.connect(lambda: save())


def _set_invalid(widget: QWidget, invalid: bool) -> None:
    widget.setProperty(INVALID_PROPERTY, invalid)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def string_list_model(values: Iterable[str]) -> QStringListModel:
    return QStringListModel(list(values))
