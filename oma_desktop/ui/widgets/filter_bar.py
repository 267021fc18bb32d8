"""The filter bar above the map and the reports (issue #11): a period and who is counted.

Two rows: the period (a quick choice — this month, last month, this year, the last 12
months — or any two dates), the casa and the topic, and «Limpiar filtros»; then the person
filters: nationality, sex, age band, migratory situation and zone of residence. Each combo's
first entry says it selects everything («Todas las nacionalidades»), so no label is needed
beside it. :meth:`FilterBar.report_filter` gives the :class:`ReportFilter` the services
take; ``changed`` is emitted once per change the user makes (a quick period moves both
dates, but ``changed`` comes once).

A casa role starts from its own casa, a headquarters role from every casa (consolidated);
«Limpiar filtros» goes back to that and to every person, and keeps the period. A start
after the end moves the end to the start (and the other way round), so the period is never
inverted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from PySide6.QtCore import QDate, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeyEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from oma_desktop.i18n import N_, _, country_name, date_pattern
from oma_desktop.services.report_choices import Choice, FilterChoices, filter_choices
from oma_desktop.services.report_filter import ReportFilter
from oma_desktop.services.session import Session

CUSTOM = "custom"
# (code, label msgid)
PRESETS: tuple[tuple[str, str], ...] = (
    ("this_month", N_("This month")),
    ("previous_month", N_("Last month")),
    ("this_year", N_("This year")),
    ("last_12_months", N_("Last 12 months")),
    (CUSTOM, N_("Other dates")),
)
FILTER_NAMES = ("casa", "topic", "nationality", "sex", "age_band", "migratory_status", "zone")


def preset_period(code: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The period of a quick choice on ``today`` (both days included)."""
    first = today.replace(day=1)
    if code == "this_month":
        return first, today
    if code == "previous_month":
        end = first - dt.timedelta(days=1)
        return end.replace(day=1), end
    if code == "this_year":
        return today.replace(month=1, day=1), today
    if code == "last_12_months":
        try:
            year_ago = today.replace(year=today.year - 1)
        except ValueError:  # 29 February
            year_ago = today.replace(year=today.year - 1, day=28)
        return year_ago + dt.timedelta(days=1), today
    raise ValueError(f"unknown period {code!r}")


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


class DateBox(QDateEdit):
    """A QDateEdit that takes a date typed whole, separators included: «10/02/2026».

    Qt moves to the next part of the date by itself once a part is complete; a separator
    typed right after that is ignored here (Qt would skip the next part too), and digits
    typed at the start of a part replace it instead of being pushed in front of it.
    """

    SEPARATORS = "/-. "

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        at_start = self._at_part_start()
        if text and text in self.SEPARATORS and at_start:
            event.accept()
            return
        if text.isdigit() and at_start and not self.lineEdit().hasSelectedText():
            self.setSelectedSection(self.currentSection())
        super().keyPressEvent(event)

    def _at_part_start(self) -> bool:
        pattern = self.displayFormat()
        starts = {i for i, ch in enumerate(pattern)
                  if ch.isalpha() and (i == 0 or not pattern[i - 1].isalpha())}
        return self.lineEdit().cursorPosition() in starts - {0}


class ChoiceCombo(QComboBox):
    """A choice among (code, label), whose first entry («Todas las casas») is None."""

    def __init__(self, all_label: str, name: str, min_chars: int = 14,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.all_label = all_label
        self.setAccessibleName(name)
        self.setToolTip(name)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(min_chars)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.addItem(all_label, None)

    def add_choices(self, choices: Iterable[Choice]) -> None:
        for code, label in choices:
            self.addItem(label, code)
            self.setItemData(self.count() - 1, label, Qt.ItemDataRole.ToolTipRole)

    def add_heading(self, text: str) -> None:
        """A bold line that cannot be chosen (the topic groups)."""
        self.addItem(text, None)
        model = self.model()
        if isinstance(model, QStandardItemModel):
            item: QStandardItem = model.item(self.count() - 1)
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            font = item.font()
            font.setBold(True)
            item.setFont(font)

    def fit_popup(self) -> None:
        """The popup as wide as its longest entry (the combo itself stays narrow)."""
        view = self.view()
        view.setMinimumWidth(view.sizeHintForColumn(0) + 24)

    def value(self) -> str | None:
        data = self.currentData()
        return str(data) if data else None

    def set_value(self, code: str | None, label: str | None = None) -> None:
        """Select ``code`` (None: everything); a code not listed is added (with ``label``)."""
        if code is None:
            self.setCurrentIndex(0)
            return
        index = self.findData(code)
        if index < 0:
            self.add_choices([(code, label or code)])
            index = self.count() - 1
        self.setCurrentIndex(index)


class FilterBar(QWidget):
    """Period, casa, topic and person filters; see the module docstring."""

    changed = Signal()

    def __init__(self, session: Session, *, preset: str = "previous_month",
                 today: Callable[[], dt.date] = dt.date.today,
                 choices: FilterChoices | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._today = today
        self._quiet = 0
        self.choices = choices or filter_choices(session)

        self.preset_combo = QComboBox()
        self.preset_combo.setAccessibleName(_("Period"))
        for code, label in PRESETS:
            self.preset_combo.addItem(_(label), code)
        self.from_edit = self._date_edit(_("Start of the period"))
        self.to_edit = self._date_edit(_("End of the period"))

        c = self.choices
        self.casa_combo = ChoiceCombo(_("All casas (consolidated)"), _("Casa"), 16)
        self.casa_combo.add_choices(c.casas)
        self.topic_combo = ChoiceCombo(_("All topics"), _("Topic"), 18)
        for group in c.topic_groups:
            self.topic_combo.add_heading(group.heading)
            self.topic_combo.add_choices(group.topics)
        self.nationality_combo = ChoiceCombo(_("All nationalities"), _("Nationality"), 15)
        self.nationality_combo.add_choices(c.nationalities)
        self.sex_combo = ChoiceCombo(_("Any sex"), _("Sex"), 9)
        self.sex_combo.add_choices(c.sexes)
        self.age_combo = ChoiceCombo(_("All ages"), _("Age band"), 11)
        self.age_combo.add_choices(c.age_bands)
        self.status_combo = ChoiceCombo(_("Any migratory situation"), _("Migratory situation"), 19)
        self.status_combo.add_choices(c.migratory_statuses)
        self.zone_combo = ChoiceCombo(_("All zones"), _("Zone of residence"), 10)
        self.zone_combo.add_choices(c.zones)
        self.combos: dict[str, ChoiceCombo] = {
            "casa": self.casa_combo, "topic": self.topic_combo,
            "nationality": self.nationality_combo, "sex": self.sex_combo,
            "age_band": self.age_combo, "migratory_status": self.status_combo,
            "zone": self.zone_combo,
        }
        for combo in self.combos.values():
            combo.fit_popup()

        self.clear_button = QPushButton(_("Clear filters"))
        self.clear_button.setToolTip(_("Back to every person and to the casa you start from; "
                                       "the period stays."))
        self.clear_button.clicked.connect(self.clear)

        period_label = QLabel(_("Period:"))
        period_label.setBuddy(self.preset_combo)
        from_label = QLabel(_("from"))
        from_label.setBuddy(self.from_edit)
        to_label = QLabel(_("to"))
        to_label.setBuddy(self.to_edit)
        who_label = QLabel(_("Persons:"))
        who_label.setBuddy(self.nationality_combo)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)
        first = QHBoxLayout()
        for widget in (self.preset_combo, from_label, self.from_edit, to_label, self.to_edit):
            first.addWidget(widget)
        first.addSpacing(12)
        first.addWidget(self.casa_combo, 1)
        first.addWidget(self.topic_combo, 2)
        first.addWidget(self.clear_button)
        second = QHBoxLayout()
        for combo, stretch in ((self.nationality_combo, 2), (self.sex_combo, 1),
                               (self.age_combo, 1), (self.status_combo, 2), (self.zone_combo, 1)):
            second.addWidget(combo, stretch)
        grid.addWidget(period_label, 0, 0)
        grid.addLayout(first, 0, 1)
        grid.addWidget(who_label, 1, 0)
        grid.addLayout(second, 1, 1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

        self.preset_combo.setCurrentIndex(max(self.preset_combo.findData(preset), 0))
        self._apply_preset(preset)
        self.casa_combo.set_value(c.default_casa)

        self.preset_combo.activated.connect(self._preset_chosen)
        self.from_edit.dateChanged.connect(self._from_changed)
        self.to_edit.dateChanged.connect(self._to_changed)
        for combo in self.combos.values():
            combo.currentIndexChanged.connect(self._emit)

    def _date_edit(self, name: str) -> QDateEdit:
        edit = DateBox()
        edit.setMinimumDate(QDate(2000, 1, 1))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat(date_pattern())
        edit.setAccessibleName(name)
        edit.setToolTip(name)
        edit.setKeyboardTracking(False)  # one change when the date is typed, not per digit
        return edit

    # --- reading and setting ---------------------------------------------------------------

    def period(self) -> tuple[dt.date, dt.date]:
        return _pydate(self.from_edit.date()), _pydate(self.to_edit.date())

    def report_filter(self) -> ReportFilter:
        start, end = self.period()
        return ReportFilter(
            start, end, casa_id=self.casa_combo.value(), topic=self.topic_combo.value(),
            nationality=self.nationality_combo.value(), sex=self.sex_combo.value(),
            age_band=self.age_combo.value(), migratory_status=self.status_combo.value(),
            zone=self.zone_combo.value())

    def set_filter(self, flt: ReportFilter) -> None:
        """Show ``flt`` (``changed`` is emitted once)."""
        with self._batch():
            self._set_period(flt.date_from, flt.date_to)
            self._select_preset_of_period()
            values = {"casa": flt.casa_id, "topic": flt.topic, "nationality": flt.nationality,
                      "sex": flt.sex, "age_band": flt.age_band,
                      "migratory_status": flt.migratory_status, "zone": flt.zone}
            for name, combo in self.combos.items():
                code = values[name]
                combo.set_value(code, country_name(code) if name == "nationality" else None)
        self._emit()

    def clear(self) -> None:
        """Every person, the casa the role starts from; the period stays."""
        with self._batch():
            for name, combo in self.combos.items():
                combo.set_value(self.choices.default_casa if name == "casa" else None)
        self._emit()

    def set_period(self, date_from: dt.date, date_to: dt.date) -> None:
        with self._batch():
            self._set_period(date_from, date_to)
            self._select_preset_of_period()
        self._emit()

    def preset(self) -> str:
        return str(self.preset_combo.currentData())

    def choose_preset(self, code: str) -> None:
        """As if the user chose ``code`` in the period list."""
        index = self.preset_combo.findData(code)
        if index < 0:
            raise ValueError(code)
        self.preset_combo.setCurrentIndex(index)
        self._preset_chosen(index)

    # --- internals -----------------------------------------------------------------------

    @contextmanager
    def _batch(self) -> Iterator[None]:
        """Changes made inside emit nothing; the caller emits once afterwards."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def _emit(self) -> None:
        if not self._quiet:
            self.changed.emit()

    def _set_period(self, start: dt.date, end: dt.date) -> None:
        with QSignalBlocker(self.from_edit), QSignalBlocker(self.to_edit):
            self.from_edit.setDate(_qdate(start))
            self.to_edit.setDate(_qdate(end))

    def _apply_preset(self, code: str) -> None:
        if code != CUSTOM:
            self._set_period(*preset_period(code, self._today()))

    def _preset_chosen(self, index: int) -> None:
        code = str(self.preset_combo.itemData(index))
        if code == CUSTOM:
            self.from_edit.setFocus()
            return
        if self.period() != preset_period(code, self._today()):
            self._apply_preset(code)
            self._emit()

    def _select_preset_of_period(self) -> None:
        period, today = self.period(), self._today()
        code = next((c for c, _label in PRESETS
                     if c != CUSTOM and preset_period(c, today) == period), CUSTOM)
        with QSignalBlocker(self.preset_combo):
            self.preset_combo.setCurrentIndex(self.preset_combo.findData(code))

    def _from_changed(self, value: QDate) -> None:
        if value > self.to_edit.date():
            with QSignalBlocker(self.to_edit):
                self.to_edit.setDate(value)
        self._select_preset_of_period()
        self._emit()

    def _to_changed(self, value: QDate) -> None:
        if value < self.from_edit.date():
            with QSignalBlocker(self.from_edit):
                self.from_edit.setDate(value)
        self._select_preset_of_period()
        self._emit()
