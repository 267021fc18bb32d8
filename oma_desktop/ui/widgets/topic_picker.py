"""The topic picker: a filter box over the catalog's topics, grouped under plain headings.

Type part of a topic ("cpp", "salud": accents ignored, word starts only), Enter ticks the
first topic shown, Down goes into the list, Space or Enter tick there, Up from the first
topic goes back to the filter. Used by the consultation form, later by referrals.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QBrush, QKeyEvent, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QLabel, QLineEdit, QTreeView, QVBoxLayout, QWidget

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.text import fold
from oma_desktop.core.vocab import topic_groups
from oma_desktop.i18n import _, current_language
from oma_desktop.ui.fonts import scaled

CODE_ROLE = Qt.ItemDataRole.UserRole + 1
FOLD_ROLE = Qt.ItemDataRole.UserRole + 2
MUTED_COLOR = "#5f6368"


def axis_text(catalogs: Catalogs, code: str) -> str:
    """``Eje: Migración laboral``: the plan's axis of a topic, for tooltips."""
    try:
        name = catalogs.axis(code).label(current_language())
    except KeyError:
        name = code
    return _("Axis: {name}").format(name=name)


class TopicFilterModel(QSortFilterProxyModel):
    """Accent-insensitive word prefixes; a heading stays while a topic under it is shown."""

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
    """Topics under plain headings; Space (or Enter) ticks the current topic."""

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
    """A filter box over a checkable list of topics under plain headings (axis in tooltips)."""

    changed = Signal()

    def __init__(self, catalogs: Catalogs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lang = current_language()
        self.model = QStandardItemModel(self)
        palette_text = self.palette().color(QPalette.ColorRole.WindowText)
        self._catalog_order = {t.code: i for i, t in enumerate(catalogs.topics)}
        font = scaled(self.font(), 1.0, bold=True)
        for heading, topic_codes in topic_groups([t.code for t in catalogs.topics]):
            header = QStandardItem(_(heading))
            header.setFlags(Qt.ItemFlag.NoItemFlags)  # a heading: never selected nor ticked
            header.setData(f"group:{heading}", CODE_ROLE)
            header.setData("", FOLD_ROLE)
            header.setFont(font)
            header.setForeground(QBrush(palette_text))
            axes = dict.fromkeys(axis_text(catalogs, catalogs.topic(c).axis) for c in topic_codes)
            header.setToolTip(_("Municipal capacity plan — {axis}").format(axis="; ".join(axes)))
            header.setData(header.text(), Qt.ItemDataRole.AccessibleTextRole)
            for code in topic_codes:
                topic = catalogs.topic(code)
                item = QStandardItem(topic.label(lang))
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsUserCheckable
                    | Qt.ItemFlag.ItemNeverHasChildren
                )
                item.setCheckState(Qt.CheckState.Unchecked)
                item.setData(topic.code, CODE_ROLE)
                axis = axis_text(catalogs, topic.axis)
                item.setToolTip(axis)
                item.setData(fold(f"{topic.label(lang)} {topic.code} {header.text()} {axis}"), FOLD_ROLE)
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
        ticked = [code for code, item in self._items.items() if item.checkState() == Qt.CheckState.Checked]
        return sorted(ticked, key=self._catalog_order.__getitem__)

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
