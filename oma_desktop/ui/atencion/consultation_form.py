"""The consultation form: what the person asked, what was done, and the follow-up.

New consultations open with the date, casa, staff member and channel already filled in,
and the focus in the topic filter: type part of a topic ("cpp", "salud"), Enter ticks
the first match, Tab goes on to "Qué consultó". Ctrl+S saves, Esc cancels (twice when
something was typed). Errors appear beside their fields and nothing typed is lost.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from PySide6.QtCore import (
    QDate,
    QDateTime,
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
    QTime,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QRegularExpressionValidator,
    QShortcut,
    QShowEvent,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateTimeEdit,
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from oma_desktop import i18n
from oma_desktop.core.errors import OmaError, ValidationError
from oma_desktop.core.text import fold
from oma_desktop.core.vocab import CHANNELS, SEX, field_label
from oma_desktop.i18n import _, current_language
from oma_desktop.services.consultations import (
    Change,
    ConsultationInput,
    history,
    link_to_person,
    load_consultation,
    record_consultation,
    update_consultation,
    validate_consultation,
)
from oma_desktop.services.context import AppContext
from oma_desktop.services.search import hit_for_person
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.models.person_search_model import document_text
from oma_desktop.ui.widgets.forms import INVALID_STYLE, CodeCombo, DateField, FieldErrors, SearchableCombo
from oma_desktop.ui.widgets.person_summary import age_text

CODE_ROLE = Qt.ItemDataRole.UserRole + 1
FOLD_ROLE = Qt.ItemDataRole.UserRole + 2
MIN_DATE = dt.datetime(2015, 1, 1)
_HISTORY_HIDDEN = frozenset({"person_id", "anon_sex", "anon_age", "anon_nationality"})
_NOTE_STYLE = (
    "QLabel { background: #e8f0fe; color: #0b3a82; border: 1px solid #aac4f2;"
    " border-radius: 4px; padding: 6px 10px; }"
)
_WARNING_STYLE = (
    "QLabel { background: #fff4ce; color: #5c4400; border: 1px solid #e3c66b;"
    " border-radius: 4px; padding: 6px 10px; }"
)
MUTED_COLOR = "#5f6368"
_ERROR_STYLE = "color: #b71c1c; font-weight: bold;"


def fix_minimum_size(dialog: QDialog) -> None:
    """Freeze the dialog's minimum size at what its layout needs now.

    Messages shown later (errors, warnings) then never resize the window's limits,
    which some platforms (and the headless test platform) cannot follow.
    """
    layout = dialog.layout()
    if layout is not None:
        layout.activate()
    size = dialog.minimumSizeHint().expandedTo(dialog.minimumSize())
    dialog.setMinimumSize(0, 0)  # Qt marks a minimum as explicit only when it changes
    dialog.setMinimumSize(size)


def datetime_format() -> str:
    return "MM/dd/yyyy HH:mm" if current_language() == "en" else "dd/MM/yyyy HH:mm"


# --------------------------------------------------------------------------- topics


def _qdatetime(value: dt.datetime) -> QDateTime:
    """A local QDateTime from a naive datetime (to the minute)."""
    return QDateTime(
        QDate(value.year, value.month, value.day), QTime(value.hour, value.minute)
    )


class TopicFilterModel(QSortFilterProxyModel):
    """Accent-insensitive word prefixes; an axis heading stays while a topic of it is shown."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []
        self.setRecursiveFilteringEnabled(True)

    def set_words(self, text: str) -> None:
        self.beginFilterChange()
        self._words = fold(text).split()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not self._words:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        words = str(index.data(FOLD_ROLE) or "").split()
        # every typed word starts a word of the topic ("sis" finds SIS, not "crisis")
        return bool(words) and all(any(w.startswith(typed) for w in words) for typed in self._words)


class TopicFilterEdit(QLineEdit):
    """Down goes into the list; Enter ticks the first topic shown."""

    go_down = Signal()
    enter_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down:
            self.go_down.emit()
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.enter_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class TopicTree(QTreeView):
    """Topics grouped by axis; Space (or Enter) ticks the current topic."""

    back_to_filter = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and index.isValid():
            model = self.model()
            checked = index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked.value
            model.setData(
                index,
                (Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked).value,
                Qt.ItemDataRole.CheckStateRole,
            )
            event.accept()
            return
        if event.key() == Qt.Key.Key_Up and self.indexAbove(index) == QModelIndex():
            self.back_to_filter.emit()
            event.accept()
            return
        if event.key() == Qt.Key.Key_Up:
            above = self.indexAbove(index)
            while above.isValid() and not (above.flags() & Qt.ItemFlag.ItemIsEnabled):
                above = self.indexAbove(above)
            if not above.isValid():
                self.back_to_filter.emit()
                event.accept()
                return
        super().keyPressEvent(event)


class TopicPicker(QWidget):
    """A filter box over a checkable list of topics grouped by the six axes."""

    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lang = current_language()
        self.model = QStandardItemModel(self)
        palette_text = self.palette().color(QPalette.ColorRole.WindowText)
        for axis in ctx.catalogs.axes:
            topics = ctx.catalogs.topics_for_axis(axis.code)
            if not topics:
                continue
            header = QStandardItem(axis.label(lang))
            header.setFlags(Qt.ItemFlag.NoItemFlags)  # a heading: never selected nor ticked
            header.setData(f"axis:{axis.code}", CODE_ROLE)
            header.setData("", FOLD_ROLE)
            font = scaled(self.font(), 1.0, bold=True)
            header.setFont(font)
            header.setForeground(QBrush(palette_text))
            header.setData(
                _("Axis: {name}").format(name=axis.label(lang)), Qt.ItemDataRole.AccessibleTextRole
            )
            for topic in topics:
                item = QStandardItem(topic.label(lang))
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsUserCheckable
                    | Qt.ItemFlag.ItemNeverHasChildren
                )
                item.setCheckState(Qt.CheckState.Unchecked)
                item.setData(topic.code, CODE_ROLE)
                item.setData(
                    fold(f"{topic.label(lang)} {topic.code} {axis.label(lang)}"), FOLD_ROLE
                )
                header.appendRow(item)
            self.model.appendRow(header)
        self._items: dict[str, QStandardItem] = {}
        for row in range(self.model.rowCount()):
            header = self.model.item(row)
            for child in range(header.rowCount()):
                item = header.child(child)
                self._items[str(item.data(CODE_ROLE))] = item
        self.model.itemChanged.connect(self._on_item_changed)

        self.proxy = TopicFilterModel(self)
        self.proxy.setSourceModel(self.model)

        self.filter_edit = TopicFilterEdit()
        self.filter_edit.setObjectName("topicFilter")
        self.filter_edit.setPlaceholderText(_("Filter topics: type part of the name, Enter ticks it"))
        self.filter_edit.setAccessibleName(_("Filter topics"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._on_filter)
        self.filter_edit.go_down.connect(self.focus_list)
        self.filter_edit.enter_pressed.connect(self.tick_first_shown)

        self.view = TopicTree()
        self.view.setObjectName("topicList")
        self.view.setAccessibleName(_("Topics"))
        self.view.setModel(self.proxy)
        self.view.setHeaderHidden(True)
        self.view.setRootIsDecorated(False)
        self.view.setItemsExpandable(False)
        self.view.setIndentation(14)
        self.view.setUniformRowHeights(True)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.back_to_filter.connect(self._back_to_filter)
        self.view.expandAll()

        self.chosen_label = QLabel()
        self.chosen_label.setObjectName("chosenTopics")
        self.chosen_label.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.chosen_label)
        self._update_chosen()

    # --- values ---------------------------------------------------------------------

    def codes(self) -> list[str]:
        """Ticked topic codes, in catalog order."""
        return [code for code, item in self._items.items() if item.checkState() == Qt.CheckState.Checked]

    def set_codes(self, codes: list[str]) -> None:
        wanted = set(codes)
        self.model.blockSignals(True)
        for code, item in self._items.items():
            item.setCheckState(Qt.CheckState.Checked if code in wanted else Qt.CheckState.Unchecked)
        self.model.blockSignals(False)
        self.view.viewport().update()
        self._update_chosen()

    def set_checked(self, code: str, checked: bool = True) -> None:
        self._items[code].setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def visible_codes(self) -> list[str]:
        codes = []
        for row in range(self.proxy.rowCount()):
            parent = self.proxy.index(row, 0)
            for child in range(self.proxy.rowCount(parent)):
                codes.append(str(self.proxy.index(child, 0, parent).data(CODE_ROLE)))
        return codes

    def scroll_to_first_checked(self) -> None:
        codes = self.codes()
        if codes:
            source = self._items[codes[0]].index()
            self.view.scrollTo(
                self.proxy.mapFromSource(source), QAbstractItemView.ScrollHint.PositionAtCenter
            )

    def label_of(self, code: str) -> str:
        item = self._items.get(code)
        return item.text() if item else code

    # --- behaviour ------------------------------------------------------------------

    def _on_filter(self, text: str) -> None:
        self.proxy.set_words(text)
        self.view.expandAll()

    def _first_topic_index(self) -> QModelIndex:
        for row in range(self.proxy.rowCount()):
            parent = self.proxy.index(row, 0)
            if self.proxy.rowCount(parent):
                return self.proxy.index(0, 0, parent)
        return QModelIndex()

    def focus_list(self) -> None:
        current = self.view.currentIndex()
        if not current.isValid() or not (current.flags() & Qt.ItemFlag.ItemIsEnabled):
            current = self._first_topic_index()
        if current.isValid():
            self.view.setCurrentIndex(current)
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def _back_to_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.filter_edit.selectAll()

    def tick_first_shown(self) -> None:
        index = self._first_topic_index()
        if not index.isValid():
            return
        self.set_checked(str(index.data(CODE_ROLE)), True)
        self.filter_edit.selectAll()

    def _on_item_changed(self, _item: QStandardItem) -> None:
        self._update_chosen()
        self.changed.emit()

    def _update_chosen(self) -> None:
        codes = self.codes()
        if codes:
            self.chosen_label.setText(
                _("Chosen: {topics}").format(topics="; ".join(self.label_of(c) for c in codes))
            )
            self.chosen_label.setStyleSheet("")
        else:
            self.chosen_label.setText(_("No topic chosen yet."))
            self.chosen_label.setStyleSheet(f"color: {MUTED_COLOR};")


# --------------------------------------------------------------------------- the dialog


def _plain_text(lines: int) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setTabChangesFocus(True)
    edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    height = QFontMetrics(edit.font()).lineSpacing() * lines + 14
    edit.setMinimumHeight(height)
    edit.setMaximumHeight(height + QFontMetrics(edit.font()).lineSpacing() * 2)
    return edit


def describe_change(change: Change) -> str:
    """``"27/11/2026 15:30 — Recepción: changed What was asked, Topics"``."""
    when = i18n.format_datetime(change.when)
    if change.kind == "create":
        what = _("created the consultation")
    elif change.kind == "link":
        what = _("linked it to a registered person")
    elif change.kind == "tombstone":
        what = _("deleted it")
    else:
        names = [field_label(f) for f in change.fields if f not in _HISTORY_HIDDEN]
        what = _("changed {fields}").format(fields=", ".join(names)) if names else _("changed it")
    return _("{when} — {user}: {what}").format(when=when, user=change.user, what=what)


class ConsultationDialog(QDialog):
    """Record a new consultation, or edit one (with its history)."""

    saved = Signal(str)  # consultation id
    linked = Signal(str)  # person id an anonymous consultation was linked to

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        person_id: str | None = None,
        consultation_id: str | None = None,
        anonymous: bool = False,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.consultation_id = consultation_id
        self.result_consultation_id: str | None = None
        self._discard_armed = False
        self._loaded: ConsultationInput | None = None
        if consultation_id is not None:
            self._loaded = load_consultation(ctx.session, consultation_id)
            person_id = self._loaded.person_id
        elif anonymous:
            person_id = None
        self.person_id: str | None = person_id
        self.anonymous = person_id is None  # a consultation without a person is anonymous
        self.link_dialog: QDialog | None = None

        self.setObjectName("consultationDialog")
        self.setWindowTitle(self._title())
        self.setSizeGripEnabled(True)
        self.setStyleSheet(INVALID_STYLE)
        self.errors = FieldErrors()

        self._build()
        self._fill()
        self._initial = self._snapshot()
        self._connect_changes()
        fix_minimum_size(self)
        self.resize(1000, 660)

    # --- building -------------------------------------------------------------------

    def _title(self) -> str:
        if self.consultation_id is not None:
            return _("Edit consultation")
        return _("Quick consultation") if self.anonymous else _("New consultation")

    def _build(self) -> None:
        ctx = self.ctx
        # who
        self.person_label = QLabel()
        self.person_label.setObjectName("consultationPerson")
        self.person_label.setFont(scaled(self.font(), 1.25, bold=True))
        self.person_label.setWordWrap(True)
        self.person_facts_label = QLabel()
        self.person_facts_label.setWordWrap(True)
        self.anonymous_note = QLabel(_("Quick consultation: no personal data is recorded."))
        self.anonymous_note.setObjectName("anonymousNote")
        self.anonymous_note.setStyleSheet(_NOTE_STYLE)
        self.anonymous_note.setWordWrap(True)

        self.anon_sex_combo = CodeCombo([(c, _(t)) for c, t in SEX], empty_label="—")
        self.anon_sex_combo.setAccessibleName(field_label("anon_sex"))
        self.anon_age_edit = QLineEdit()
        self.anon_age_edit.setAccessibleName(field_label("anon_age"))
        self.anon_age_edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,3}"), self))
        self.anon_age_edit.setMaximumWidth(QFontMetrics(self.font()).horizontalAdvance("0000") + 30)
        self.anon_nationality_combo = SearchableCombo([("XX", _("Stateless")), *i18n.countries()])
        self.anon_nationality_combo.setAccessibleName(field_label("anon_nationality"))
        self.anon_nationality_combo.setMinimumWidth(220)
        self.anon_box = QWidget()
        anon = QGridLayout(self.anon_box)
        anon.setContentsMargins(0, 0, 0, 0)
        for col, (key, widget) in enumerate(
            (("anon_sex", self.anon_sex_combo), ("anon_age", self.anon_age_edit),
             ("anon_nationality", self.anon_nationality_combo))
        ):
            caption = QLabel(field_label(key))
            caption.setBuddy(widget)
            anon.addWidget(caption, 0, col)
            anon.addWidget(widget, 1, col)
            anon.addWidget(self.errors.make_label(key, widget), 2, col)
        anon.setColumnStretch(3, 1)

        # topics
        self.topics = TopicPicker(ctx)
        self.topic_filter = self.topics.filter_edit
        self.topic_view = self.topics.view
        topics_caption = QLabel(_("Topics (at least one) *"))
        topics_caption.setFont(scaled(self.font(), 1.0, bold=True))
        topics_caption.setBuddy(self.topic_filter)
        self.topics_error = self.errors.make_label("topics", self.topic_view)

        # what happened
        self.summary_edit = _plain_text(3)
        self.summary_edit.setObjectName("summary")
        self.actions_edit = _plain_text(3)
        self.actions_edit.setObjectName("actions")
        self.outcome_edit = _plain_text(2)
        self.outcome_edit.setObjectName("outcome")
        self.follow_up_edit = DateField()
        self.follow_up_edit.setObjectName("followUp")
        self.follow_up_edit.setMaximumWidth(160)

        # when, where, who, how
        self.date_edit = QDateTimeEdit()
        self.date_edit.setObjectName("occurredAt")
        self.date_edit.setDisplayFormat(datetime_format())
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setMinimumDateTime(_qdatetime(MIN_DATE))
        self.casa_combo = CodeCombo(self._casas())
        self.staff_combo = CodeCombo(self._staff())
        self.channel_combo = CodeCombo([(c, _(t)) for c, t in CHANNELS])

        left = QVBoxLayout()
        left.addWidget(topics_caption)
        left.addWidget(self.topics, 1)
        left.addWidget(self.topics_error)

        right = QGridLayout()
        right.setVerticalSpacing(2)
        row = 0
        for key, widget in (
            ("summary", self.summary_edit),
            ("actions", self.actions_edit),
            ("outcome", self.outcome_edit),
        ):
            caption = QLabel(field_label(key))
            caption.setBuddy(widget)
            widget.setAccessibleName(field_label(key))
            right.addWidget(caption, row, 0)
            right.addWidget(widget, row + 1, 0)
            right.addWidget(self.errors.make_label(key, widget), row + 2, 0)
            row += 3
        follow = QHBoxLayout()
        follow_caption = QLabel(field_label("follow_up_date"))
        follow_caption.setBuddy(self.follow_up_edit)
        self.follow_up_edit.setAccessibleName(field_label("follow_up_date"))
        follow.setSpacing(8)
        follow.addWidget(follow_caption)
        follow.addWidget(self.follow_up_edit)
        follow_hint = QLabel(_("(optional: when to call the person back)"))
        follow_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        follow.addWidget(follow_hint, 1)
        right.addLayout(follow, row, 0)
        right.addWidget(self.errors.make_label("follow_up_date", self.follow_up_edit), row + 1, 0)
        right.setRowStretch(row + 2, 1)

        details = QGroupBox(_("Consultation details"))
        grid = QGridLayout(details)
        for col, (key, widget) in enumerate(
            (("occurred_at", self.date_edit), ("channel", self.channel_combo),
             ("casa_id", self.casa_combo), ("staff_user_id", self.staff_combo))
        ):
            caption = QLabel(field_label(key))
            caption.setBuddy(widget)
            widget.setAccessibleName(field_label(key))
            grid.addWidget(caption, 0, col)
            grid.addWidget(widget, 1, col)
            grid.addWidget(self.errors.make_label(key, widget), 2, col)
            grid.setColumnStretch(col, 1)

        columns = QHBoxLayout()
        columns.addLayout(left, 4)
        columns.addSpacing(12)
        columns.addLayout(right, 5)

        # history (edit mode) and linking (anonymous, edit mode)
        self.history_box = QGroupBox(_("History"))
        self.history_list = QListWidget()
        self.history_list.setObjectName("consultationHistory")
        self.history_list.setAccessibleName(_("History of changes"))
        self.history_list.setMaximumHeight(QFontMetrics(self.font()).lineSpacing() * 4 + 12)
        QVBoxLayout(self.history_box).addWidget(self.history_list)
        self.link_button = QPushButton(_("Link to a person…"))
        self.link_button.setToolTip(
            _("This walk-in turned out to be a registered person: attach the consultation to them.")
        )
        self.link_button.setAutoDefault(False)
        self.link_button.clicked.connect(self.open_link_dialog)

        # bottom line
        self.message_label = QLabel()
        self.message_label.setObjectName("formMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setVisible(False)
        self.cancel_button = QPushButton(_("Cancel ({key})").format(key="Esc"))
        self.save_button = QPushButton(_("Save ({key})").format(key="Ctrl+S"))
        self.save_button.setFont(scaled(self.font(), 1.0, bold=True))
        for button in (self.cancel_button, self.save_button):
            button.setAutoDefault(False)  # Enter in a field must never save by accident
        self.cancel_button.clicked.connect(self.reject)
        self.save_button.clicked.connect(self.save)
        buttons = QHBoxLayout()
        buttons.addWidget(self.link_button)
        buttons.addWidget(self.message_label, 1)
        buttons.addStretch(0)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.person_label)
        layout.addWidget(self.person_facts_label)
        layout.addWidget(self.anonymous_note)
        layout.addWidget(self.anon_box)
        layout.addLayout(columns, 1)
        layout.addWidget(details)
        layout.addWidget(self.history_box)
        layout.addLayout(buttons)

        self.save_shortcut = QShortcut(QKeySequence("Ctrl+S"), self)
        self.save_shortcut.activated.connect(self.save)

        order: list[QWidget] = [
            self.anon_sex_combo, self.anon_age_edit, self.anon_nationality_combo,
            self.topic_filter, self.topic_view, self.summary_edit, self.actions_edit,
            self.outcome_edit, self.follow_up_edit, self.date_edit, self.channel_combo,
            self.casa_combo, self.staff_combo, self.history_list, self.link_button,
            self.cancel_button, self.save_button,
        ]
        for first, second in itertools.pairwise(order):
            self.setTabOrder(first, second)

    def _casas(self) -> list[tuple[str, str]]:
        rows = self.ctx.session.store.rows("SELECT id, name FROM casa WHERE deleted = 0 ORDER BY id")
        items = [(r["id"], r["name"]) for r in rows]
        known = {code for code, _name in items}
        for code in (self.ctx.session.store.casa_id, self._loaded.casa_id if self._loaded else ""):
            if code and code not in known:
                items.append((code, code))
                known.add(code)
        return items

    def _staff(self) -> list[tuple[str, str]]:
        rows = self.ctx.session.store.rows(
            "SELECT id, display_name FROM app_user WHERE deleted = 0 AND active = 1"
            " ORDER BY display_name"
        )
        items = [(r["id"], r["display_name"]) for r in rows]
        known = {code for code, _name in items}
        wanted = self._loaded.staff_user_id if self._loaded else self.ctx.user_id
        if wanted and wanted not in known:
            row = self.ctx.session.store.get("app_user", wanted)
            items.append((wanted, row["display_name"] if row else wanted))
        return items

    def _fill(self) -> None:
        self._show_person()
        data = self._loaded
        editing = data is not None
        self.history_box.setVisible(editing)
        self.link_button.setVisible(editing and self.anonymous)
        if data is None:
            now = dt.datetime.now().replace(second=0, microsecond=0)
            self.date_edit.setDateTime(_qdatetime(now))
            self.casa_combo.set_value(self.ctx.session.store.casa_id)
            self.staff_combo.set_value(self.ctx.user_id)
            self.channel_combo.set_value("presencial")
        else:
            assert self.consultation_id is not None
            self.date_edit.setDateTime(_qdatetime(data.occurred_at or dt.datetime.now()))
            self.casa_combo.set_value(data.casa_id)
            self.staff_combo.set_value(data.staff_user_id)
            self.channel_combo.set_value(data.channel)
            self.topics.set_codes(data.topics)
            self.summary_edit.setPlainText(data.summary)
            self.actions_edit.setPlainText(data.actions)
            self.outcome_edit.setPlainText(data.outcome)
            self.follow_up_edit.set_value(data.follow_up_date)
            self.anon_sex_combo.set_value(data.anon_sex)
            self.anon_age_edit.setText("" if data.anon_age is None else str(data.anon_age))
            self.anon_nationality_combo.set_value(data.anon_nationality or None)
            self._fill_history()
        first = self.anon_sex_combo if self.anonymous and not editing else self.topic_filter
        first.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_person(self) -> None:
        self.anonymous_note.setVisible(self.anonymous)
        self.anon_box.setVisible(self.anonymous)
        self.person_label.setVisible(not self.anonymous)
        self.person_facts_label.setVisible(not self.anonymous)
        self.setWindowTitle(self._title())
        if self.anonymous or self.person_id is None:
            return
        hit = hit_for_person(self.ctx.session, self.person_id)
        if hit is None:
            self.person_label.setText(_("Person not found"))
            self.person_facts_label.clear()
            return
        self.person_label.setText(_("Consultation of {name}").format(name=hit.full_name))
        facts = [
            age_text(hit.age, hit.age_estimated),
            i18n.country_name(hit.nationality),
            document_text(hit, self.ctx.catalogs),
            hit.phone,
        ]
        self.person_facts_label.setText(" · ".join(f for f in facts if f))

    def _fill_history(self) -> None:
        self.history_list.clear()
        if self.consultation_id is None:
            return
        for change in history(self.ctx.session, self.consultation_id):
            self.history_list.addItem(describe_change(change))

    def _connect_changes(self) -> None:
        for edit in (self.summary_edit, self.actions_edit, self.outcome_edit):
            edit.textChanged.connect(self._on_changed)
        for line in (self.follow_up_edit, self.anon_age_edit):
            line.textChanged.connect(self._on_changed)
        for combo in (self.casa_combo, self.staff_combo, self.channel_combo, self.anon_sex_combo):
            combo.currentIndexChanged.connect(self._on_changed)
        self.anon_nationality_combo.editTextChanged.connect(self._on_changed)
        self.date_edit.dateTimeChanged.connect(self._on_changed)
        self.topics.changed.connect(self._on_changed)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            # the view has its size only now: bring the ticked topics into sight
            QTimer.singleShot(0, self.topics.scroll_to_first_checked)

    # --- values ---------------------------------------------------------------------

    def _snapshot(self) -> dict[str, object]:
        """What the clerk can change, to tell whether anything was typed."""
        return {
            "occurred_at": self.date_edit.dateTime().toString(Qt.DateFormat.ISODate),
            "casa_id": self.casa_combo.value(),
            "staff_user_id": self.staff_combo.value(),
            "channel": self.channel_combo.value(),
            "topics": tuple(self.topics.codes()),
            "summary": self.summary_edit.toPlainText(),
            "actions": self.actions_edit.toPlainText(),
            "outcome": self.outcome_edit.toPlainText(),
            "follow_up_date": self.follow_up_edit.text().strip(),
            "anon_sex": self.anon_sex_combo.value(),
            "anon_age": self.anon_age_edit.text().strip(),
            "anon_nationality": self.anon_nationality_combo.currentText().strip(),
        }

    def is_dirty(self) -> bool:
        return self._snapshot() != self._initial

    def collect(self) -> tuple[ConsultationInput, dict[str, str]]:
        """The form as a ``ConsultationInput``, plus errors found while reading it."""
        errors: dict[str, str] = {}
        follow_up: dt.date | None = None
        try:
            follow_up = self.follow_up_edit.value()
        except ValueError:
            errors["follow_up_date"] = _("Write a valid date (dd/mm/yyyy).")
        occurred = self.date_edit.dateTime().toPython()
        assert isinstance(occurred, dt.datetime)
        data = ConsultationInput(
            person_id=self.person_id,
            occurred_at=occurred.replace(second=0, microsecond=0),
            casa_id=self.casa_combo.value(),
            staff_user_id=self.staff_combo.value(),
            channel=self.channel_combo.value(),
            topics=self.topics.codes(),
            summary=self.summary_edit.toPlainText(),
            actions=self.actions_edit.toPlainText(),
            outcome=self.outcome_edit.toPlainText(),
            follow_up_date=follow_up,
        )
        if self.anonymous:
            data.anon_sex = self.anon_sex_combo.value()
            age = self.anon_age_edit.text().strip()
            data.anon_age = int(age) if age else None
            data.anon_nationality = self.anon_nationality_combo.value()
            if self.anon_nationality_combo.currentText().strip() and not data.anon_nationality:
                errors["anon_nationality"] = _("Choose a country from the list.")
        return data, errors

    # --- saving ---------------------------------------------------------------------

    def save(self) -> bool:
        """Ctrl+S: validate, then record or update; on error mark the fields and keep all."""
        data, errors = self.collect()
        errors = {**validate_consultation(data, self.ctx.catalogs), **errors}
        if not errors:
            try:
                if self.consultation_id is None:
                    self.result_consultation_id = record_consultation(
                        self.ctx.session, data
                    )
                else:
                    update_consultation(
                        self.ctx.session, self.consultation_id, data
                    )
                    self.result_consultation_id = self.consultation_id
            except ValidationError as exc:
                errors = exc.fields
            except OmaError as exc:
                self._show_message(str(exc), error=True)
                return False
        if errors:
            self._show_errors(errors)
            return False
        self.errors.clear()
        self._initial = self._snapshot()
        assert self.result_consultation_id is not None
        self.saved.emit(self.result_consultation_id)
        self.accept()
        return True

    def _show_errors(self, errors: dict[str, str]) -> None:
        unbound = self.errors.show(errors)
        extra = [errors[k] for k in unbound]
        self._show_message(" ".join([_("Check the marked fields."), *extra]), error=True)
        widget = self.errors.first_invalid(errors)
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_message(self, text: str, error: bool = False, warning: bool = False) -> None:
        self.message_label.setStyleSheet(_ERROR_STYLE if error else _WARNING_STYLE if warning else "")
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    # --- cancelling -----------------------------------------------------------------

    def _on_changed(self, *_args: object) -> None:
        if self._discard_armed:
            self._discard_armed = False
            self._show_message("")

    def reject(self) -> None:
        """Esc: close at once if nothing changed; otherwise warn first, close on the second Esc."""
        if self.is_dirty() and not self._discard_armed:
            self._discard_armed = True
            self._show_message(
                _("There are unsaved changes. Press Esc again to discard them, or Ctrl+S to save."),
                warning=True,
            )
            return
        super().reject()

    # --- linking an anonymous consultation ------------------------------------------

    def open_link_dialog(self) -> QDialog | None:
        if not self.anonymous or self.consultation_id is None:
            return None
        dialog = PersonPickerDialog(self.ctx, self)
        self.link_dialog = dialog

        def done(result: int) -> None:
            self.link_dialog = None
            self.activateWindow()  # back to the form, ready for Ctrl+S
            if result == QDialog.DialogCode.Accepted and dialog.person_id:
                self.link_to(dialog.person_id)
                self.summary_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            dialog.deleteLater()

        dialog.finished.connect(done)
        dialog.open()
        return dialog

    def link_to(self, person_id: str) -> None:
        """Attach this anonymous consultation to ``person_id`` (saved at once)."""
        assert self.consultation_id is not None
        link_to_person(self.ctx.session, self.consultation_id, person_id)
        self.person_id = person_id
        self.anonymous = False
        self.link_button.setVisible(False)
        self.anon_sex_combo.set_value("")
        self.anon_age_edit.clear()
        self.anon_nationality_combo.set_value(None)
        now = self._snapshot()  # the cleared walk-in fields are not unsaved changes
        self._initial.update({k: now[k] for k in ("anon_sex", "anon_age", "anon_nationality")})
        self._show_person()
        self._fill_history()
        self.result_consultation_id = self.consultation_id
        self._show_message(_("Consultation linked to the person."))
        self.linked.emit(person_id)


class PersonPickerDialog(QDialog):
    """Find a registered person; Enter (or "Choose") picks the selected row."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from oma_desktop.ui.atencion.page import PersonSearchPanel

        self.person_id: str | None = None
        self.setWindowTitle(_("Link to a person"))
        self.panel = PersonSearchPanel(ctx, self, limit=30, picking=True)
        self.search_edit = self.panel.search_edit
        self.panel.person_chosen.connect(self._choose)
        self.panel.current_person_changed.connect(self._on_current)
        hint = QLabel(_("Search the person, choose them with ↓ and press Enter."))
        hint.setWordWrap(True)
        self.choose_button = QPushButton(_("Choose"))
        self.choose_button.setAutoDefault(False)
        self.choose_button.setEnabled(False)
        self.choose_button.clicked.connect(lambda: self._choose(self.panel.current_person_id() or ""))
        cancel = QPushButton(_("Cancel ({key})").format(key="Esc"))
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.choose_button)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.panel, 1)
        layout.addLayout(buttons)
        self.panel.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        fix_minimum_size(self)
        self.resize(860, 460)
        self.search_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_current(self, person_id: object) -> None:
        self.choose_button.setEnabled(bool(person_id))

    def _choose(self, person_id: str) -> None:
        if person_id:
            self.person_id = person_id
            self.accept()
