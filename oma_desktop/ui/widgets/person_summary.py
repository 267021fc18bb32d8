"""One person at a glance: who they are, documents, contact, household and timeline.

Used beside the search results on the Atención and Personas pages. It reads the
database only in :meth:`PersonSummary.show_person`.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFormLayout,
    QFrame,
    QLabel,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from oma_desktop import i18n
from oma_desktop.core.fields import field_label
from oma_desktop.core.vocab import (
    MIGRATORY_STATUS,
    REGULARIZATION_STAGE,
    RELATIONSHIPS,
    SEX,
    VULNERABILITIES,
    WG_DISABILITY_LEVEL,
    WG_DOMAINS,
    codes,
    document_short_label,
    label,
)
from oma_desktop.i18n import _, ngettext
from oma_desktop.services.cards import DocumentLine, PersonCard, person_card
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import Permission, reserved_text
from oma_desktop.services.persons import age_on
from oma_desktop.services.sync_review import casa_name, person_links
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.models.timeline_model import (
    DATE_TEXT_ROLE,
    DETAIL_ROLE,
    KIND_ROLE,
    REF_ID_ROLE,
    TITLE_ROLE,
    USER_ROLE,
    TimelineModel,
)

EXPIRED_COLOR = "#b71c1c"
MUTED_COLOR = "#5f6368"
SOON_COLOR = "#8a5a00"
EXPIRY_WARNING_DAYS = 60
_PAD = 6


def age_text(age: int | None, estimated: bool) -> str:
    if age is None:
        return ""
    text = ngettext("{n} year", "{n} years", age).format(n=age)
    return _("about {age}").format(age=text) if estimated else text


class TimelineDelegate(QStyledItemDelegate):
    """Date and title in bold on the first line, then the detail and who did it."""

    def _lines(self, index: QModelIndex | QPersistentModelIndex) -> tuple[str, str, str]:
        head = f"{index.data(DATE_TEXT_ROLE)} · {index.data(TITLE_ROLE)}"
        return head, str(index.data(DETAIL_ROLE) or ""), str(index.data(USER_ROLE) or "")

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        head, detail, user = self._lines(index)
        width = max(option.rect.width(), 200) - 2 * _PAD
        bold = scaled(option.font, 1.0, bold=True)
        fm_bold, fm = QFontMetrics(bold), QFontMetrics(option.font)
        flags = int(Qt.TextFlag.TextWordWrap)
        height = fm_bold.boundingRect(0, 0, width, 10_000, flags, head).height()
        if detail:
            height += fm.boundingRect(0, 0, width, 10_000, flags, detail).height()
        if user:
            height += fm.height()
        return QSize(width, height + 2 * _PAD)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        head, detail, user = self._lines(index)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.save()
        rect = opt.rect.adjusted(_PAD, _PAD, -_PAD, -_PAD)
        flags = int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        bold = scaled(opt.font, 1.0, bold=True)
        painter.setFont(bold)
        painter.setPen(opt.palette.color(role))
        used = painter.boundingRect(rect, flags, head)
        painter.drawText(rect, flags, head)
        rect.setTop(used.bottom() + 1)
        painter.setFont(opt.font)
        if detail:
            used = painter.boundingRect(rect, flags, detail)
            painter.drawText(rect, flags, detail)
            rect.setTop(used.bottom() + 1)
        if user:
            if not selected:
                painter.setPen(opt.palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(rect, flags, user)
        painter.restore()


class PersonSummary(QWidget):
    """Name, age, nationality, documents, phone, district, household and timeline."""

    person_activated = Signal(str)  # a household member's link was followed
    consultation_activated = Signal(str)  # a consultation of the timeline was opened

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, extended: bool = False
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.extended = extended
        self._person_id: str | None = None
        self._household_ids: list[str] = []

        self.empty_label = QLabel(_("Choose a person to see their details and consultations."))
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        self.name_label = QLabel()
        self.name_label.setObjectName("summaryName")
        self.name_label.setFont(scaled(self.font(), 1.35, bold=True))
        self.name_label.setWordWrap(True)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts_label = QLabel()
        self.facts_label.setWordWrap(True)

        self.documents_label = self._value_label()
        self.contact_label = self._value_label()
        self.district_label = self._value_label()
        self.household_label = self._value_label()
        self.household_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
            | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.household_label.linkActivated.connect(self._on_link)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        form.addRow(_("Documents:"), self.documents_label)
        form.addRow(_("Phone:"), self.contact_label)
        form.addRow(_("District:"), self.district_label)
        form.addRow(_("Household:"), self.household_label)
        # «misma persona» links headquarters made with records of other casas (issue #10)
        self.links_label = self._value_label()
        self.links_label.setObjectName("same_person_links")
        self.links_label.setTextInteractionFlags(self.household_label.textInteractionFlags())
        self.links_label.linkActivated.connect(self._on_link)
        form.addRow(_("Same person:"), self.links_label)
        self.situation_label = self._value_label()
        self.needs_label = self._value_label()
        self.consent_label = self._value_label()
        self.notes_label = self._value_label()
        if extended:
            form.addRow(_("Situation:"), self.situation_label)
            form.addRow(_("Needs:"), self.needs_label)
            form.addRow(_("Consent:"), self.consent_label)
            form.addRow(_("Notes:"), self.notes_label)
        self.form = form

        self.timeline_title = QLabel(_("History"))
        self.timeline_title.setFont(scaled(self.font(), 1.1, bold=True))
        self.timeline_model = TimelineModel(self)
        self.timeline_view = QListView()
        self.timeline_view.setObjectName("timeline")
        self.timeline_view.setAccessibleName(_("History of the person"))
        self.timeline_view.setModel(self.timeline_model)
        self.timeline_view.setItemDelegate(TimelineDelegate(self.timeline_view))
        self.timeline_view.setWordWrap(True)
        self.timeline_view.setUniformItemSizes(False)
        self.timeline_view.setResizeMode(QListView.ResizeMode.Adjust)
        self.timeline_view.setAlternatingRowColors(True)
        self.timeline_view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.timeline_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.timeline_view.activated.connect(self._on_timeline_activated)
        self.timeline_hint = QLabel(_("Double-click a consultation (or press Enter) to open it."))
        self.timeline_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.timeline_hint.setWordWrap(True)

        self.details = QWidget()
        details_layout = QVBoxLayout(self.details)
        details_layout.setContentsMargins(0, 0, 0, 0)
        details_layout.setSpacing(6)
        details_layout.addWidget(self.name_label)
        details_layout.addWidget(self.facts_label)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        details_layout.addWidget(line)
        details_layout.addLayout(form)
        details_layout.addSpacing(4)
        details_layout.addWidget(self.timeline_title)
        details_layout.addWidget(self.timeline_view, 1)
        details_layout.addWidget(self.timeline_hint)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(self.details, 1)
        self.details.setVisible(False)

    @staticmethod
    def _value_label() -> QLabel:
        value = QLabel()
        value.setWordWrap(True)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        value.setTextFormat(Qt.TextFormat.RichText)
        return value

    # --- content ------------------------------------------------------------------

    def person_id(self) -> str | None:
        return self._person_id

    def clear(self) -> None:
        self._person_id = None
        self.timeline_model.set_entries([])
        self.details.setVisible(False)
        self.empty_label.setVisible(True)

    def refresh(self) -> None:
        if self._person_id:
            self.show_person(self._person_id)

    def show_person(self, person_id: str | None, today: dt.date | None = None) -> bool:
        """Show ``person_id`` (clear when None or not found); returns whether shown."""
        if not person_id:
            self.clear()
            return False
        card = person_card(self.ctx.session, person_id)
        if card is None:
            self.clear()
            return False
        today = today or dt.date.today()
        row = card.fields
        self._person_id = person_id
        self._household_ids = [m.person_id for m in card.others if m.person_id]
        self.name_label.setText(card.full_name)
        self.setAccessibleName(card.full_name)
        facts = [
            age_text(age_on(row["birth_date"], today), bool(row["birth_date_estimated"])),
            label(SEX, row["sex"]),
            i18n.country_name(row["nationality"]),
        ]
        self.facts_label.setText(" · ".join(f for f in facts if f))
        self.documents_label.setText(self._documents_html(card.documents, today))
        self.contact_label.setText(self._contact_html(row))
        self.district_label.setText(self._district_html(row))
        self.household_label.setText(self._household_html(card, today))
        links = self._links_html(person_id)
        self.links_label.setText(links)
        self.form.setRowVisible(self.links_label, bool(links))
        if self.extended:
            self._fill_extended(row, card.withheld)
        self.timeline_model.set_entries(card.timeline)
        self.empty_label.setVisible(False)
        self.details.setVisible(True)
        return True

    def _documents_html(self, documents: list[DocumentLine], today: dt.date) -> str:
        items = []
        for doc in documents:
            text = html.escape(
                f"{document_short_label(doc.doc_type, self.ctx.catalogs)} {doc.number}".strip()
            )
            date = doc.expiry_date
            if date:
                when = i18n.format_date(date)
                if date < today:
                    text += " — <span style='color:{c}'><b>{t}</b></span>".format(
                        c=EXPIRED_COLOR, t=html.escape(_("expired on {date}").format(date=when))
                    )
                elif (date - today).days <= EXPIRY_WARNING_DAYS:
                    text += " — <span style='color:{c}'>{t}</span>".format(
                        c=SOON_COLOR, t=html.escape(_("expires {date}").format(date=when))
                    )
                else:
                    text += " — " + html.escape(_("expires {date}").format(date=when))
            items.append(text)
        return "<br>".join(items) if items else html.escape(_("No documents"))

    @staticmethod
    def _contact_html(row: Mapping[str, Any]) -> str:
        phone, whatsapp = str(row["phone"] or ""), str(row["whatsapp"] or "")
        parts = [html.escape(phone)] if phone else []
        if whatsapp and whatsapp != phone:
            parts.append(html.escape(_("WhatsApp {number}").format(number=whatsapp)))
        elif whatsapp:
            parts[-1] += " " + html.escape(_("(also WhatsApp)"))
        return " · ".join(parts) if parts else "—"

    def _district_html(self, row: Mapping[str, Any]) -> str:
        ubigeo = str(row["district_ubigeo"] or "")
        name = ""
        if ubigeo:
            try:
                name = self.ctx.catalogs.district(ubigeo).name
            except KeyError:
                name = ubigeo
        zone = str(row["zone"] or "")
        text = ", ".join(x for x in (name, zone) if x)
        return html.escape(text) if text else "—"

    def _household_html(self, card: PersonCard, today: dt.date) -> str:
        if not card.household_id:
            return html.escape(_("No household registered"))
        others = card.others
        if not others:
            return html.escape(_("Lives alone (no other members registered)"))
        lines = [
            "<span style='color:{}'>{}</span>".format(
                MUTED_COLOR,
                html.escape(_("Relationship to the head of household:"))
            )
        ]
        for m in others:
            extra = [label(RELATIONSHIPS, m.relationship)]
            age = age_on(m.birth_date, today)
            if age is not None:
                years = ngettext("{n} year", "{n} years", age).format(n=age)
                extra.append(f"~{years}" if m.birth_date_estimated else years)
            if m.person_id is None:  # recorded inline: no record of their own to open
                extra.append(_("no own record"))
                name = html.escape(m.full_name)
            else:
                name = f"<a href='person:{html.escape(m.person_id)}'>{html.escape(m.full_name)}</a>"
            lines.append(f"{name} ({html.escape(', '.join(e for e in extra if e))})")
        return "<br>".join(lines)

    def _links_html(self, person_id: str) -> str:
        """The records of other casas headquarters linked as this same person."""
        if not self.ctx.session.can(Permission.VIEW_PERSONS):
            return ""
        lines = []
        for link in person_links(self.ctx.session, person_id):
            other = link.other
            if other.casa_id:  # held here (at headquarters, or a casa's own two records)
                name = html.escape(other.full_name)
                casa = html.escape(casa_name(self.ctx.session, other.casa_id))
                who = f"<a href='person:{html.escape(other.id)}'>{name}</a> ({casa})"
            else:
                who = html.escape(_("a record of another casa"))
            when = _("linked by headquarters on {date}").format(
                date=i18n.format_date(link.made_at))
            lines.append(f"{who} <span style='color:{MUTED_COLOR}'>{html.escape(when)}</span>")
        return "<br>".join(lines)

    def _fill_extended(self, row: Mapping[str, Any], withheld: frozenset[str] = frozenset()) -> None:
        """``withheld``: fields the role may not see (``PersonCard.withheld``), «Reservado»."""
        situation = [label(MIGRATORY_STATUS, row["migratory_status"]) or _("Not recorded"),
                     label(REGULARIZATION_STAGE, row["regularization_stage"])]
        if row["arrival_date"]:
            situation.append(_("in Peru since {date}").format(date=i18n.format_date(row["arrival_date"])))
        self.situation_label.setText(html.escape(" · ".join(s for s in situation if s)) or "—")
        needs = [label(VULNERABILITIES, code) for code in codes(VULNERABILITIES) if row[code]]
        if any((row[code] or 0) >= WG_DISABILITY_LEVEL for code in codes(WG_DOMAINS)):
            needs.append(_("Disability (Washington Group)"))
        self.needs_label.setText(html.escape(", ".join(needs)) if needs else "—")
        if withheld & set(codes(VULNERABILITIES)):
            self.needs_label.setText(html.escape(reserved_text()))
        consent = [
            field_label(name) for name in ("consent_register", "consent_refer", "consent_contact")
            if row[name]
        ]
        self.consent_label.setText(html.escape(", ".join(consent)) if consent else "—")
        notes = reserved_text() if "notes" in withheld else str(row["notes"] or "")
        self.notes_label.setText(html.escape(notes).replace("\n", "<br>") if notes else "—")

    def household_member_ids(self) -> list[str]:
        """The other members of the shown person's household (as last shown)."""
        return list(self._household_ids) if self._person_id else []

    # --- signals ------------------------------------------------------------------

    def _on_link(self, link: str) -> None:
        kind, _sep, value = link.partition(":")
        if kind == "person" and value:
            self.person_activated.emit(value)

    def _on_timeline_activated(self, index: QModelIndex) -> None:
        if index.data(KIND_ROLE) == "consultation":
            self.consultation_activated.emit(str(index.data(REF_ID_ROLE)))
