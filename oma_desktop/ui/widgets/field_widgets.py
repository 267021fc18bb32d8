"""Widgets from field specifications (``core.fields``): forms are declared, not hand-wired.

:class:`FieldForm` builds the widget of each field of a table, with its caption (and an
Alt+letter mnemonic), its error line and its accessible name; it reads the typed values
(reporting text that is not a date or not in a list in Spanish), shows loaded values,
tells whether anything changed and lists its widgets in form order for the Tab key.

Which widget a kind gets:

========== ===============================================================================
TEXT       QLineEdit (max length and placeholder from the spec)
MULTILINE  QPlainTextEdit, Tab leaves it
DATE       :class:`DateField` (may stay empty)
DATETIME   QDateTimeEdit with a calendar
CODE       :class:`CodeCombo` over the vocabulary (with the spec's "nothing chosen" entry)
CATALOG    :class:`SearchableCombo` (countries, districts); a :class:`CodeCombo` when the
           spec has a "nothing chosen" entry (document types)
CODES      :class:`TopicPicker`
BOOL       QCheckBox
NUMBER     QSpinBox when the spec has a default (always a value), else a digits-only box
REFERENCE  :class:`CodeCombo` over the choices the form is given (casas, staff)
========== ===============================================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from PySide6.QtCore import QDate, QDateTime, QRegularExpression, QTime
from PySide6.QtGui import QFontMetrics, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.fields import (
    STATELESS,
    FieldSpec,
    Kind,
    code_text,
    code_value,
    not_in_list_message,
)
from oma_desktop.core.text import fold
from oma_desktop.i18n import _, countries, current_language
from oma_desktop.ui.widgets.forms import CodeCombo, DateField, FieldErrors, SearchableCombo
from oma_desktop.ui.widgets.topic_picker import TopicPicker

Choices = Sequence[tuple[str, str]]
MIN_DATETIME = dt.datetime(2015, 1, 1)


def bad_date_message() -> str:
    if current_language() == "en":  # the order dates are shown and typed in
        return _("Write a valid date (month/day/year).")
    return _("Write a valid date (day/month/year).")


def datetime_format() -> str:
    return "MM/dd/yyyy HH:mm" if current_language() == "en" else "dd/MM/yyyy HH:mm"


def qdatetime(value: dt.datetime) -> QDateTime:
    """A local QDateTime from a naive datetime (to the minute)."""
    return QDateTime(QDate(value.year, value.month, value.day), QTime(value.hour, value.minute))


def with_mnemonic(text: str, used: set[str]) -> str:
    """``text`` with ``&`` before a letter not in ``used`` (word starts first), marking it used."""
    if "&" in text:
        return text
    starts = [i for i, ch in enumerate(text) if ch.isalpha() and (i == 0 or not text[i - 1].isalnum())]
    others = [i for i, ch in enumerate(text) if ch.isalpha() and i not in starts]
    for i in starts + others:
        ch = text[i].lower()
        if ch.isascii() and ch not in used:
            used.add(ch)
            return f"{text[:i]}&{text[i:]}"
    return text


def mnemonic_letter(text: str) -> str:
    index = text.find("&")
    return text[index + 1].lower() if 0 <= index < len(text) - 1 else ""


def plain(text: str) -> str:
    """Label text without mnemonic marks or the required-field asterisk."""
    return text.replace("&", "").removesuffix(" *").strip()


def catalog_choices(catalogs: Catalogs, catalog: str) -> list[tuple[str, str]]:
    """(code, label) of a catalog, in the order a clerk looks for them."""
    lang = current_language()
    if catalog == "countries":
        return [*countries(), (STATELESS, _("Stateless"))]
    if catalog == "districts":
        def name(d: Any) -> str:  # Callao's districts say so ("La Perla (Callao)")
            callao = d.province == "Callao" and d.name != "Callao"
            return f"{d.name} (Callao)" if callao else str(d.label(lang))

        return sorted(((d.ubigeo, name(d)) for d in catalogs.districts), key=lambda i: fold(i[1]))
    if catalog == "document_types":
        return [(d.code, d.label(lang)) for d in catalogs.document_types]
    raise KeyError(catalog)


def make_widget(spec: FieldSpec, catalogs: Catalogs, choices: Choices = ()) -> QWidget:
    """The widget that edits ``spec`` (see the module docstring); ``choices`` for references."""
    kind = spec.kind
    empty = _(spec.empty_label) if spec.empty_label else None
    if kind is Kind.TEXT:
        edit = QLineEdit()
        if spec.max_length:
            edit.setMaxLength(spec.max_length)
        if spec.placeholder:
            edit.setPlaceholderText(_(spec.placeholder))
        return edit
    if kind is Kind.MULTILINE:
        box = QPlainTextEdit()
        box.setTabChangesFocus(True)
        box.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        line = QFontMetrics(box.font()).lineSpacing()
        box.setMinimumHeight(line * max(spec.lines, 2) + 14)
        return box
    if kind is Kind.DATE:
        return DateField()
    if kind is Kind.DATETIME:
        when = QDateTimeEdit()
        when.setDisplayFormat(datetime_format())
        when.setCalendarPopup(True)
        when.setMinimumDateTime(qdatetime(MIN_DATETIME))
        return when
    if kind is Kind.CODE:
        return CodeCombo([(c, _(t)) for c, t in spec.vocabulary], empty_label=empty)
    if kind is Kind.CATALOG:
        items = catalog_choices(catalogs, spec.catalog)
        return CodeCombo(items, empty_label=empty) if empty else SearchableCombo(items)
    if kind is Kind.CODES:
        return TopicPicker(catalogs)
    if kind is Kind.BOOL:
        return QCheckBox()
    if kind is Kind.NUMBER:
        if spec.default is not None:
            spin = QSpinBox()
            spin.setRange(spec.minimum or 0, spec.maximum if spec.maximum is not None else 999)
            spin.setValue(int(spec.default))
            return spin
        digits = QLineEdit()
        width = len(str(spec.maximum or 999))
        digits.setValidator(QRegularExpressionValidator(QRegularExpression(rf"\d{{0,{width}}}")))
        digits.setMaximumWidth(QFontMetrics(digits.font()).horizontalAdvance("0" * (width + 1)) + 30)
        return digits
    return CodeCombo(choices)  # REFERENCE


def widget_value(spec: FieldSpec, widget: QWidget) -> Any:
    """What the widget holds, as the input dataclasses keep it.

    Raises ValueError with a Spanish message when the typed text cannot be read (not a
    date, not in the list).
    """
    if isinstance(widget, DateField):
        try:
            return widget.value()
        except ValueError:
            raise ValueError(bad_date_message()) from None
    if isinstance(widget, SearchableCombo):
        code = widget.value()
        if widget.currentText().strip() and not code:
            raise ValueError(not_in_list_message(spec))
        return code
    if isinstance(widget, CodeCombo):
        return code_value(spec, widget.value())
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QDateTimeEdit):
        value = cast(dt.datetime, widget.dateTime().toPython())
        return value.replace(second=0, microsecond=0)
    if isinstance(widget, TopicPicker):
        return widget.codes()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QSpinBox):
        return widget.value()
    assert isinstance(widget, QLineEdit)
    if spec.kind is Kind.NUMBER:
        return int(widget.text()) if widget.text().strip() else None
    return widget.text()


def empty_value(spec: FieldSpec) -> Any:
    """The value of a field left empty (what unreadable input counts as)."""
    if spec.kind in (Kind.DATE, Kind.DATETIME, Kind.NUMBER) or spec.integer_codes:
        return None
    if spec.kind is Kind.BOOL:
        return False
    return [] if spec.kind is Kind.CODES else ""


def set_widget_value(spec: FieldSpec, widget: QWidget, value: Any) -> None:
    """Show ``value`` (as :func:`widget_value` returns it) in the widget."""
    if isinstance(widget, DateField):
        widget.set_value(value)
    elif isinstance(widget, SearchableCombo):
        widget.set_value(value or None)
    elif isinstance(widget, CodeCombo):
        widget.set_value(code_text(spec, value))
    elif isinstance(widget, QPlainTextEdit):
        widget.setPlainText(value or "")
    elif isinstance(widget, QDateTimeEdit):
        widget.setDateTime(qdatetime(value or dt.datetime.now()))
    elif isinstance(widget, TopicPicker):
        widget.set_codes(list(value or ()))
    elif isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QSpinBox):
        widget.setValue(spec.default if value is None else int(value))
    else:
        assert isinstance(widget, QLineEdit)
        widget.setText("" if value is None else str(value))


def widget_state(widget: QWidget) -> Any:
    """What is on screen, typed text included, to tell whether anything changed."""
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QDateTimeEdit):
        return widget.dateTime().toString("yyyy-MM-ddTHH:mm")
    if isinstance(widget, TopicPicker):
        return tuple(widget.codes())
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QSpinBox):
        return widget.value()
    assert isinstance(widget, QLineEdit)
    return widget.text()


def on_change(widget: QWidget, slot: Callable[..., object]) -> None:
    """Call ``slot`` whenever the clerk changes the widget."""
    if isinstance(widget, QComboBox):
        widget.currentIndexChanged.connect(slot)
        if widget.isEditable():
            widget.editTextChanged.connect(slot)
    elif isinstance(widget, (QPlainTextEdit, QLineEdit)):
        widget.textChanged.connect(slot)
    elif isinstance(widget, QDateTimeEdit):
        widget.dateTimeChanged.connect(slot)
    elif isinstance(widget, TopicPicker):
        widget.changed.connect(slot)
    elif isinstance(widget, QCheckBox):
        widget.toggled.connect(slot)
    elif isinstance(widget, QSpinBox):
        widget.valueChanged.connect(slot)


def focus_widgets(widget: QWidget) -> list[QWidget]:
    """The widgets the Tab key stops at for a field (a topic picker has two)."""
    if isinstance(widget, TopicPicker):
        return [widget.filter_edit, widget.view]
    return [widget]


class FieldForm:
    """The widgets of some fields of one table, their captions and their error lines.

    ``errors`` is shared with the form, so fields built here and widgets bound by hand
    (rows of documents, a household) show their messages the same way.
    """

    def __init__(
        self,
        table: Iterable[FieldSpec],
        catalogs: Catalogs,
        errors: FieldErrors | None = None,
        choices: Mapping[str, Choices] | None = None,
    ) -> None:
        self.specs = {spec.name: spec for spec in table}
        self.catalogs = catalogs
        self.errors = errors or FieldErrors()
        self.choices = dict(choices or {})
        self.widgets: dict[str, QWidget] = {}
        self.error_labels: dict[str, QLabel] = {}

    def build(self, names: Iterable[str], *, error_lines: bool = True) -> None:
        """Create the widgets of ``names`` and, unless told not to (their errors are shown
        elsewhere), their error lines. Captions come with :meth:`caption`."""
        for name in names:
            spec = self.specs[name]
            widget = make_widget(spec, self.catalogs, self.choices.get(name, ()))
            widget.setAccessibleName(spec.shown_label)
            if spec.default is not None and not isinstance(widget, QSpinBox):
                set_widget_value(spec, widget, spec.default)
            self.widgets[name] = widget
            if error_lines:
                self.error_labels[name] = self.errors.make_label(name, self.error_target(name))

    def __getitem__(self, name: str) -> QWidget:
        return self.widgets[name]

    def error_target(self, name: str) -> QWidget:
        """The widget marked in red for ``name`` (a topic picker marks its list)."""
        widget = self.widgets[name]
        return widget.view if isinstance(widget, TopicPicker) else widget

    def caption(self, name: str, used: set[str], *, mark_required: bool = True) -> QLabel:
        """The label of ``name`` with a mnemonic not in ``used``; its buddy is the field.

        A check box is its own caption: it gets the text, and an empty label is returned.
        """
        spec = self.specs[name]
        widget = self.widgets[name]
        text = with_mnemonic(spec.shown_label, used)
        if mark_required and spec.required:
            text += " *"
        if isinstance(widget, QCheckBox):  # a check box is its own caption
            widget.setText(text)
            return QLabel()
        label = QLabel(text)
        label.setBuddy(widget.filter_edit if isinstance(widget, TopicPicker) else widget)
        return label

    def read(self, names: Iterable[str] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
        """The values of ``names`` (every field built), and what could not be read."""
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for name in self.widgets if names is None else names:
            try:
                values[name] = widget_value(self.specs[name], self.widgets[name])
            except ValueError as exc:
                values[name] = empty_value(self.specs[name])
                problems[name] = str(exc)
        return values, problems

    def load(self, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            if name in self.widgets:
                set_widget_value(self.specs[name], self.widgets[name], value)

    def state(self) -> dict[str, Any]:
        return {name: widget_state(w) for name, w in self.widgets.items()}

    def chain(self, names: Iterable[str] | None = None) -> list[QWidget]:
        """The widgets of ``names`` (every field built, in table order) for the Tab key."""
        order = [n for n in self.specs if n in self.widgets] if names is None else names
        return [w for name in order for w in focus_widgets(self.widgets[name])]

    def on_change(self, slot: Callable[..., object]) -> None:
        for widget in self.widgets.values():
            on_change(widget, slot)
