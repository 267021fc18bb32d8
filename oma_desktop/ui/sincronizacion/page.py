"""«Sincronización» (issue #10): the USB exchange between a casa and headquarters.

At a **casa**: the enrolment state with both fingerprints to compare, «Inscribir con la sede
central…», «Exportar a USB…», «Importar datos de referencia…», the last export and the age
of the reference data (with a warning when stale), and the files exchanged.

At **headquarters**: «Crear claves de la sede central», «Registrar casa…», «Importar
archivos…» (several at once, a result per file), «Exportar datos de referencia…», and three
tabs to review: the history per casa, the conflicts (keep the applied value or the other),
and the same person registered at two casas («Es la misma persona» / «Deshacer»).

Everything goes through ``services.sync`` and ``services.sync_review``; file work runs off
the GUI thread (``ui.tasks.run_job``) with a progress dialog.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import _, format_number, ngettext
from oma_desktop.services import sync, sync_review
from oma_desktop.services.context import AppContext
from oma_desktop.services.session import Session
from oma_desktop.sync.exchange import ReferenceReport
from oma_desktop.ui.changes import subscribe
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.models.table_model import RowsTableModel
from oma_desktop.ui.sincronizacion.dialogs import KeyFileDialog, fingerprint_font
from oma_desktop.ui.sincronizacion.models import (
    ConflictsModel,
    FilesModel,
    HistoryModel,
    ImportResultsModel,
    LinksModel,
    PairsModel,
    local_time,
)
from oma_desktop.ui.tasks import Progress, TaskHandle, default_error_handler, run_job

_ERROR_STYLE = "color: #b71c1c;"
_OK_STYLE = "color: #1b5e20;"
_WARN_STYLE = ("QLabel { background: #fff4ce; color: #5c4400; border: 1px solid #e3c66b;"
               " border-radius: 4px; padding: 4px 8px; }")
# records whose change may alter what the page shows
_WATCHED = ("person", "person_link", "document")


def _table(model: RowsTableModel, name: str, accessible: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.setAccessibleName(accessible)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return view


def _selected_row(view: QTableView) -> int:
    rows = view.selectionModel().selectedRows()
    return rows[0].row() if rows else -1


class SyncPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.at_hq = sync.sync_status(ctx.session).mode == "hq"
        self.task: TaskHandle[Any] | None = None
        self.dialog: KeyFileDialog | None = None
        title = QLabel(_("Synchronisation"))
        title.setObjectName("pageTitle")
        title.setFont(scaled(title.font(), 1.6, bold=True))
        self.message = QLabel()
        self.message.setObjectName("sync_message")
        self.message.setWordWrap(True)
        self.message.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addWidget(title)
        if self.at_hq:
            self._build_hq(layout)
        else:
            self._build_casa(layout)
        self.setAccessibleName(_("Synchronisation"))
        subscribe(self, ctx.session, _WATCHED, lambda _changed: self.refresh())
        self.refresh()

    # --- common -------------------------------------------------------------------------

    @property
    def session(self) -> Session:
        return self.ctx.session

    def _say(self, text: str, ok: bool = True) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(_OK_STYLE if ok else _ERROR_STYLE)
        self.message.setVisible(bool(text))

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        if not isinstance(exc, OmaError):
            default_error_handler(self, exc)  # a bug: the error dialog
            return
        self._say(str(exc), ok=False)
        self.refresh()

    def _run(self, work: Callable[[Session, Progress], Any], done: Callable[[Any], None],
             title: str) -> TaskHandle[Any]:
        def finished(result: Any) -> None:
            self.task = None
            done(result)
            self.refresh()
            # the status bar's «Última sincronización»
            refresh_status = getattr(self.window(), "refresh_status", None)
            if callable(refresh_status):
                refresh_status()

        self._say("")
        self.task = run_job(self, self.ctx, work, finished, self._failed, title=title)
        return self.task

    def refresh(self) -> None:
        if self.session.closed:
            return
        if self.at_hq:
            self._refresh_hq()
        else:
            self._refresh_casa()

    # --- casa -------------------------------------------------------------------------------

    def _build_casa(self, layout: QVBoxLayout) -> None:
        enrol = QGroupBox(_("Enrolment with headquarters"))
        grid = QGridLayout(enrol)
        self.state_label = QLabel()
        self.state_label.setObjectName("enrol_state")
        self.state_label.setWordWrap(True)
        self.own_fp_label = QLabel()
        self.own_fp_label.setObjectName("own_fingerprint")
        self.hq_fp_label = QLabel()
        self.hq_fp_label.setObjectName("hq_fingerprint")
        for label in (self.own_fp_label, self.hq_fp_label):
            label.setFont(fingerprint_font(self.font()))
        self.enrol_button = QPushButton(_("&Enrol with headquarters…"))
        self.enrol_button.clicked.connect(lambda: self.open_enrol())
        grid.addWidget(self.state_label, 0, 0, 1, 2)
        grid.addWidget(QLabel(_("This casa's fingerprint:")), 1, 0)
        grid.addWidget(self.own_fp_label, 1, 1)
        grid.addWidget(QLabel(_("Headquarters' fingerprint:")), 2, 0)
        grid.addWidget(self.hq_fp_label, 2, 1)
        grid.addWidget(self.enrol_button, 0, 2, 3, 1)
        grid.setColumnStretch(1, 1)

        send = QGroupBox(_("Exchange with headquarters"))
        box = QGridLayout(send)
        self.pending_label = QLabel()
        self.pending_label.setObjectName("pending_ops")
        self.last_export_label = QLabel()
        self.last_export_label.setObjectName("last_export")
        self.last_reference_label = QLabel()
        self.last_reference_label.setObjectName("last_reference")
        self.stale_label = QLabel()
        self.stale_label.setObjectName("stale_warning")
        self.stale_label.setWordWrap(True)
        self.stale_label.setStyleSheet(_WARN_STYLE)
        self.export_button = QPushButton(_("E&xport to USB…"))
        self.export_button.clicked.connect(lambda: self.export_to_usb())
        self.reference_button = QPushButton(_("&Import reference data…"))
        self.reference_button.clicked.connect(lambda: self.import_reference())
        box.addWidget(self.pending_label, 0, 0)
        box.addWidget(self.last_export_label, 1, 0)
        box.addWidget(self.last_reference_label, 2, 0)
        box.addWidget(self.stale_label, 3, 0, 1, 2)
        box.addWidget(self.export_button, 0, 1)
        box.addWidget(self.reference_button, 1, 1)
        box.setColumnStretch(0, 1)

        self.files_model = FilesModel(self)
        self.files_view = _table(self.files_model, "sync_files", _("Files exchanged"))
        files_title = QLabel(_("Files sent and received"))
        files_title.setFont(scaled(files_title.font(), 1.1, bold=True))
        layout.addWidget(enrol)
        layout.addWidget(send)
        layout.addWidget(self.message)
        layout.addWidget(files_title)
        layout.addWidget(self.files_view, 1)

    def _refresh_casa(self) -> None:
        status = sync.sync_status(self.session)
        enrolled = status.hq_fingerprint is not None
        self.state_label.setText(_(
            "This casa is enrolled with headquarters (PC {station}).").format(
                station=status.station) if enrolled else _(
            "This casa is not enrolled with headquarters yet. Ask headquarters for its key"
            " file (oma-sede-central.omakey) on a USB stick and press «Enrol with"
            " headquarters…»."))
        self.own_fp_label.setText(status.fingerprint or _("(none yet)"))
        self.hq_fp_label.setText(status.hq_fingerprint or _("(none yet)"))
        self.enrol_button.setText(_("&Enrol again…") if enrolled
                                  else _("&Enrol with headquarters…"))
        self.export_button.setEnabled(enrolled)
        self.reference_button.setEnabled(enrolled)
        self.pending_label.setText(ngettext(
            "{n} operation of this PC not yet confirmed by headquarters.",
            "{n} operations of this PC not yet confirmed by headquarters.",
            status.pending_ops).format(n=format_number(status.pending_ops)))
        files = sync_review.file_log(self.session)
        last_export = next((f for f in files if f.direction == "export"), None)
        last_reference = next((f for f in files if f.kind == "reference"
                               and f.direction == "import"), None)
        self.last_export_label.setText(_("Last export: {when}").format(
            when=local_time(last_export.at) if last_export else _("never")))
        self.last_reference_label.setText(_("Last reference data: {when}").format(
            when=_("version {version}, imported {date}").format(
                version=last_reference.version, date=local_time(last_reference.at))
            if last_reference else _("never")))
        self.stale_label.setText(status.warning or "")
        self.stale_label.setVisible(bool(status.warning))
        self.files_model.set_rows(files)

    def open_enrol(self) -> KeyFileDialog:
        dialog = KeyFileDialog("hq", self)
        dialog.accepted.connect(lambda: self._enrol(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _enrol(self, dialog: KeyFileDialog) -> None:
        key, folder = dialog.key_path, dialog.folder
        assert key is not None and folder is not None
        vault = self.ctx.vault

        def work(session: Session, _progress: Progress) -> sync.SetupResult:
            return sync.setup_casa(session, key, folder, vault)

        def done(result: sync.SetupResult) -> None:
            self._say(_(
                "Enrolled. Take the file {name} to headquarters. When headquarters registers"
                " it, read them this casa's fingerprint: {fingerprint}").format(
                    name=result.path.name, fingerprint=result.fingerprint))

        self._run(work, done, _("Enrolling with headquarters"))

    def export_to_usb(self, folder: Path | None = None) -> TaskHandle[Any] | None:
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(
                self, _("USB stick or folder for the sync file"), str(Path.home()))
            if not chosen:
                return None
            folder = Path(chosen)
        target = Path(folder)

        def work(session: Session, progress: Progress) -> sync.ExportResult:
            return sync.export_to(session, target, progress.report)

        def done(result: sync.ExportResult) -> None:
            text = result.summary() + " " + _(
                "Take it to headquarters. If the stick gets lost, nothing is lost: the next"
                " export carries the same data again.")
            self._say(text if not result.warning else f"{text}\n{result.warning}")

        return self._run(work, done, _("Exporting to USB"))

    def import_reference(self, path: Path | None = None) -> TaskHandle[Any] | None:
        if path is None:
            chosen, _filter = QFileDialog.getOpenFileName(
                self, _("Headquarters' reference file"), str(Path.home()),
                _("Reference files (*.omaref)"))
            if not chosen:
                return None
            path = Path(chosen)
        source = Path(path)

        def work(session: Session, _progress: Progress) -> ReferenceReport:
            return sync.import_reference(session, source)

        def done(report: ReferenceReport) -> None:
            self._say(" ".join(sync.reference_lines(report)))

        return self._run(work, done, _("Importing reference data"))

    # --- headquarters -------------------------------------------------------------------------

    def _build_hq(self, layout: QVBoxLayout) -> None:
        keys = QGroupBox(_("Headquarters"))
        row = QGridLayout(keys)
        self.hq_state_label = QLabel()
        self.hq_state_label.setObjectName("hq_state")
        self.hq_state_label.setWordWrap(True)
        self.own_fp_label = QLabel()
        self.own_fp_label.setObjectName("own_fingerprint")
        self.own_fp_label.setFont(fingerprint_font(self.font()))
        self.keys_button = QPushButton(_("&Create headquarters' keys…"))
        self.keys_button.clicked.connect(lambda: self.create_keys())
        self.register_button = QPushButton(_("&Register casa…"))
        self.register_button.clicked.connect(lambda: self.open_register())
        self.import_button = QPushButton(_("&Import files…"))
        self.import_button.clicked.connect(lambda: self.import_files())
        self.export_reference_button = QPushButton(_("E&xport reference data…"))
        self.export_reference_button.clicked.connect(lambda: self.export_reference())
        row.addWidget(self.hq_state_label, 0, 0, 1, 2)
        row.addWidget(QLabel(_("Headquarters' fingerprint:")), 1, 0)
        row.addWidget(self.own_fp_label, 1, 1)
        buttons = QHBoxLayout()
        for button in (self.keys_button, self.register_button, self.import_button,
                       self.export_reference_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        row.addLayout(buttons, 2, 0, 1, 2)
        row.setColumnStretch(1, 1)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("sync_tabs")
        self.history_model = HistoryModel(self)
        self.history_view = _table(self.history_model, "sync_history", _("History per casa"))
        self.tabs.addTab(self.history_view, _("History per casa"))
        self.tabs.addTab(self._build_conflicts(), _("Conflicts to review"))
        self.tabs.addTab(self._build_duplicates(), _("Same person at two casas"))
        self.results_model = ImportResultsModel(self)
        self.results_view = _table(self.results_model, "import_results",
                                   _("Result of the last import"))
        self.tabs.addTab(self.results_view, _("Import result"))
        self.tabs.currentChanged.connect(lambda _i: self._tab_shown())
        self.pairs_loaded = False
        layout.addWidget(keys)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

    def _build_conflicts(self) -> QWidget:
        page = QWidget()
        self.conflicts_model = ConflictsModel(self)
        self.conflicts_view = _table(self.conflicts_model, "sync_conflicts",
                                     _("Conflicts to review"))
        intro = QLabel(_(
            "The same field was changed at two places from the same starting value. The"
            " applied value was chosen by a fixed rule; both are kept. Check with the casas"
            " and keep the right one: the other value is sent back to the casas as a new"
            " change."))
        intro.setWordWrap(True)
        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("conflict_note")
        self.note_edit.setPlaceholderText(_("Note (optional): how it was checked"))
        self.keep_winner_button = QPushButton(_("Keep the &applied value"))
        self.keep_winner_button.clicked.connect(lambda: self.resolve("winner"))
        self.keep_loser_button = QPushButton(_("Keep the &other value"))
        self.keep_loser_button.clicked.connect(lambda: self.resolve("loser"))
        actions = QHBoxLayout()
        actions.addWidget(self.note_edit, 1)
        actions.addWidget(self.keep_winner_button)
        actions.addWidget(self.keep_loser_button)
        box = QVBoxLayout(page)
        box.addWidget(intro)
        box.addWidget(self.conflicts_view, 1)
        box.addLayout(actions)
        self.conflicts_view.selectionModel().selectionChanged.connect(
            lambda *_a: self._update_buttons())
        return page

    def _build_duplicates(self) -> QWidget:
        page = QWidget()
        intro = QLabel(_(
            "Persons registered at two casas whom the front desk's matching finds probably"
            " the same. Nothing is merged by itself: check, then press «This is the same"
            " person». The link goes to the casas with the reference data and can be"
            " undone."))
        intro.setWordWrap(True)
        self.pairs_model = PairsModel(self)
        self.pairs_view = _table(self.pairs_model, "cross_casa_pairs",
                                 _("Same person at two casas"))
        self.link_note_edit = QLineEdit()
        self.link_note_edit.setObjectName("link_note")
        self.link_note_edit.setPlaceholderText(_("Note (optional): how it was checked"))
        self.search_button = QPushButton(_("Search a&gain"))
        self.search_button.clicked.connect(lambda: self.load_pairs())
        self.same_button = QPushButton(_("This is the &same person"))
        self.same_button.clicked.connect(lambda: self.merge_selected())
        pair_actions = QHBoxLayout()
        pair_actions.addWidget(self.link_note_edit, 1)
        pair_actions.addWidget(self.search_button)
        pair_actions.addWidget(self.same_button)
        self.links_model = LinksModel(self)
        self.links_view = _table(self.links_model, "person_links", _("Links made"))
        self.undo_button = QPushButton(_("&Undo"))
        self.undo_button.clicked.connect(lambda: self.unmerge_selected())
        links_title = QLabel(_("Links made"))
        links_title.setFont(scaled(links_title.font(), 1.05, bold=True))
        link_actions = QHBoxLayout()
        link_actions.addWidget(links_title, 1)
        link_actions.addWidget(self.undo_button)
        box = QVBoxLayout(page)
        box.addWidget(intro)
        box.addWidget(self.pairs_view, 2)
        box.addLayout(pair_actions)
        box.addLayout(link_actions)
        box.addWidget(self.links_view, 1)
        for view in (self.pairs_view, self.links_view):
            view.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        return page

    def _refresh_hq(self) -> None:
        status = sync.sync_status(self.session)
        has_keys = status.fingerprint is not None
        casas = len({p.casa_id for p in status.peers if not p.revoked_at})
        self.hq_state_label.setText(ngettext(
            "{n} casa registered.", "{n} casas registered.", casas).format(n=casas)
            if has_keys else _(
            "Headquarters has no keys yet: press «Create headquarters' keys…» and give the"
            " key file to every casa."))
        self.own_fp_label.setText(status.fingerprint or _("(none yet)"))
        self.keys_button.setText(_("Write the &key file again…") if has_keys
                                 else _("&Create headquarters' keys…"))
        for button in (self.register_button, self.import_button,
                       self.export_reference_button):
            button.setEnabled(has_keys)
        self.history_model.set_rows(sync_review.sync_history(self.session))
        self.conflicts_model.set_rows(sync_review.conflicts(self.session))
        self.links_model.set_rows(sync_review.all_links(self.session))
        self.tabs.setTabText(1, _("Conflicts to review ({n})").format(
            n=self.conflicts_model.rowCount()))
        if self.pairs_loaded:
            self.load_pairs()
        self._update_buttons()

    def _update_buttons(self) -> None:
        if not self.at_hq:
            return
        conflict = _selected_row(self.conflicts_view) >= 0
        self.keep_winner_button.setEnabled(conflict)
        self.keep_loser_button.setEnabled(conflict)
        self.same_button.setEnabled(_selected_row(self.pairs_view) >= 0)
        self.undo_button.setEnabled(_selected_row(self.links_view) >= 0)

    def _tab_shown(self) -> None:
        if self.tabs.currentIndex() == 2 and not self.pairs_loaded:
            self.load_pairs()

    def load_pairs(self) -> TaskHandle[Any]:
        """Search for the same person at two casas (off the GUI thread: it reads every
        person)."""
        self.pairs_loaded = True
        self.search_button.setEnabled(False)

        def work(session: Session, _progress: Progress) -> list[sync_review.CrossCasaPair]:
            return sync_review.cross_casa_duplicates(session)

        def done(pairs: list[sync_review.CrossCasaPair]) -> None:
            self.search_button.setEnabled(True)
            self.pairs_model.set_rows(pairs)
            self._update_buttons()

        def failed(exc: BaseException) -> None:
            self.search_button.setEnabled(True)
            self._failed(exc)

        self.pairs_task: TaskHandle[Any] = run_job(self, self.ctx, work, done, failed)
        return self.pairs_task

    def create_keys(self, folder: Path | None = None) -> TaskHandle[Any] | None:
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(
                self, _("USB stick or folder for headquarters' key file"), str(Path.home()))
            if not chosen:
                return None
            folder = Path(chosen)
        target = Path(folder)

        def work(session: Session, _progress: Progress) -> sync.SetupResult:
            return sync.setup_hq(session, target)

        def done(result: sync.SetupResult) -> None:
            self._say(_(
                "Headquarters' key file written: {path}. Give a copy to every casa; when a"
                " casa enrols, read them this fingerprint by phone: {fingerprint}").format(
                    path=result.path, fingerprint=result.fingerprint))

        return self._run(work, done, _("Creating headquarters' keys"))

    def open_register(self) -> KeyFileDialog:
        dialog = KeyFileDialog("casa", self)
        dialog.accepted.connect(lambda: self._register(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _register(self, dialog: KeyFileDialog) -> None:
        key = dialog.key_path
        assert key is not None
        try:
            peer = sync.register_casa(self.session, key)
        except OmaError as exc:
            self._say(str(exc), ok=False)
            return
        self._say(_("Casa {casa}, PC {station} registered (fingerprint {fingerprint}). Its"
                    " files can be imported now.").format(
                        casa=peer.casa_id, station=peer.station, fingerprint=peer.fingerprint))
        self.refresh()

    def import_files(self, paths: Sequence[Path] | None = None) -> TaskHandle[Any] | None:
        if paths is None:
            chosen, _filter = QFileDialog.getOpenFileNames(
                self, _("The casas' sync files"), str(Path.home()),
                _("Sync files (*.omasync)"))
            if not chosen:
                return None
            paths = [Path(p) for p in chosen]
        files = [Path(p) for p in paths]

        def work(session: Session, progress: Progress) -> list[sync.FileImport]:
            return sync.import_files(session, files, progress.report)

        def done(results: list[sync.FileImport]) -> None:
            self.results_model.set_rows(results)
            refused = sum(1 for r in results if not r.ok)
            text = ngettext("{n} file read.", "{n} files read.", len(results)).format(
                n=len(results))
            if refused:
                text += " " + ngettext("{n} was refused: see why in «Import result».",
                                       "{n} were refused: see why in «Import result».",
                                       refused).format(n=refused)
            self._say(text, ok=not refused)
            self.tabs.setCurrentIndex(3)

        return self._run(work, done, _("Importing the casas' files"))

    def export_reference(self, casa: str | None = None,
                         folder: Path | None = None) -> TaskHandle[Any] | None:
        if casa is None:
            codes = sorted({p.casa_id for p in sync.list_peers(self.session)
                            if not p.revoked_at})
            if not codes:
                self._say(_("Register a casa first."), ok=False)
                return None
            chosen, ok = QInputDialog.getItem(self, _("Export reference data"),
                                              _("For casa:"), codes, 0, False)
            if not ok:
                return None
            casa = chosen
        if folder is None:
            picked = QFileDialog.getExistingDirectory(
                self, _("USB stick or folder for the reference file"), str(Path.home()))
            if not picked:
                return None
            folder = Path(picked)
        code, target = casa, Path(folder)

        def work(session: Session, _progress: Progress) -> sync.ReferenceExport:
            return sync.export_reference(session, code, target)

        def done(result: sync.ReferenceExport) -> None:
            self._say(_("Reference file for casa {casa} written: {name} (version {version})."
                        " Take it to the casa.").format(casa=result.casa_id,
                                                         name=result.path.name,
                                                         version=result.version))

        return self._run(work, done, _("Exporting reference data"))

    # --- review actions -------------------------------------------------------------------

    def resolve(self, keep: str) -> bool:
        row = _selected_row(self.conflicts_view)
        conflict = self.conflicts_model.conflict_at(row)
        if conflict is None:
            return False
        try:
            sync_review.resolve_conflict(self.session, conflict.id, keep,
                                         self.note_edit.text())
        except OmaError as exc:
            self._say(str(exc), ok=False)
            return False
        kept = conflict.winner_text if keep == "winner" else conflict.loser_text
        self._say(_("Conflict reviewed: {field} of {record} stays «{value}».").format(
            field=conflict.field_label, record=conflict.record_label, value=kept))
        self.note_edit.clear()
        self.refresh()
        return True

    def merge_selected(self) -> bool:
        pair = self.pairs_model.row_object(_selected_row(self.pairs_view))
        if pair is None:
            return False
        try:
            sync_review.merge(self.session, pair.first.id, pair.second.id,
                              self.link_note_edit.text())
        except OmaError as exc:
            self._say(str(exc), ok=False)
            return False
        self._say(_("Linked: {first} ({a}) and {second} ({b}) are the same person.").format(
            first=pair.first.full_name, a=pair.first.casa_id, second=pair.second.full_name,
            b=pair.second.casa_id))
        self.link_note_edit.clear()
        self.refresh()
        return True

    def unmerge_selected(self) -> bool:
        link = self.links_model.row_object(_selected_row(self.links_view))
        if link is None:
            return False
        try:
            sync_review.unmerge(self.session, link.id)
        except OmaError as exc:
            self._say(str(exc), ok=False)
            return False
        self._say(_("Link undone: {first} and {second} are two persons again.").format(
            first=link.first.full_name, second=link.second.full_name))
        self.refresh()
        return True
