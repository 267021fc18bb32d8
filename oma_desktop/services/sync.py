"""USB sync use cases (issue #10): enrolment, casa export, headquarters import, reference
data back, on the lead's exchange core (``oma_desktop.sync``).

Each function takes a :class:`Session` first and checks ``Permission.SYNC`` where a person
acts; the screens (``ui/sincronizacion``) and the CLI (``oma-desktop setup``, ``export``,
``import``, ``register-casa``, ``export-reference``, ``import-reference``) call these.

Files reach the stick **atomically** (:func:`write_atomically`): a temporary name in the
target folder, write, flush, fsync, rename to the final name, fsync the folder; then the
file is read back and checked (signature, hash, the same bytes) before anything is noted
in the database. A full stick or one pulled out halfway (any ``OSError``) leaves no file
with the final name and nothing recorded, so the next export carries the same operations.

Key files: headquarters writes ``oma-sede-central.omakey`` (its public keys, to enrol the
casas); a casa writes ``oma-<CASA>-<station>.omakey`` (to be registered at headquarters).
Both sides show the fingerprints to compare by phone or on paper.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from oma_desktop.core.errors import OmaError, ValidationError
from oma_desktop.i18n import _, format_number, ngettext
from oma_desktop.services import audit
from oma_desktop.services.accounts import Vault
from oma_desktop.services.installation import station_tag
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session
from oma_desktop.sync import exchange
from oma_desktop.sync.container import MAX_FILE_BYTES, read_container, refuse
from oma_desktop.sync.exchange import ImportReport, Peer, ReferenceReport
from oma_desktop.sync.keys import MAX_KEY_FILE_BYTES, PublicKeys, SyncKeyError

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]

HQ_KEY_FILE = "oma-sede-central.omakey"
KEY_SUFFIX = ".omakey"
EXPORT_SUFFIX = ".omasync"
REFERENCE_SUFFIX = ".omaref"
STALE_REFERENCE_DAYS = 30
RECOVERY_LABEL = "sede-central"
_STAMP = "%Y%m%d-%H%M%S"
_TEMP_PREFIX = ".oma-parcial-"


class SyncError(OmaError):
    """A sync step refused or failed (Spanish message; nothing was changed)."""


class SyncWriteError(SyncError):
    """A file could not be written to the stick or folder (nothing was recorded)."""


# --- small helpers ---------------------------------------------------------------------------


def station(session: Session) -> str:
    """This installation's station tag (``7KQ``), part of its file names and codes."""
    return station_tag(session.store.installation_id)


def _require_mode(session: Session, mode: str) -> None:
    if session.store.mode == mode:
        return
    if mode == "hq":
        raise SyncError(_(
            "This is done at headquarters, and this installation is a casa's ({casa})."
        ).format(casa=session.casa_id))
    raise SyncError(_("This is done at a casa, and this installation is headquarters."))


def _write_error(exc: OSError, folder: Path) -> SyncWriteError:
    if exc.errno == errno.ENOSPC:
        why = _("the USB stick or disk of {folder} is full. Free space on it or use another"
                " stick.").format(folder=folder)
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = _("the folder {folder} cannot be written (it is read-only or protected)."
                " Choose another folder or unlock the stick.").format(folder=folder)
    elif exc.errno == errno.ENOENT:
        why = _("the folder {folder} does not exist (was the USB stick removed?). Plug it in"
                " again or choose another folder.").format(folder=folder)
    else:
        why = _("the file could not be written in {folder} (was the USB stick removed?)."
                " Plug it in again and repeat.").format(folder=folder)
    return SyncWriteError(_(
        "The file was not written: {why} Nothing was recorded here; the next attempt will"
        " carry the same data.").format(why=why))


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover - NTFS renames are durable
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _free_name(folder: Path, stem: str, suffix: str) -> Path:
    target = folder / f"{stem}{suffix}"
    n = 2
    while target.exists():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target


def write_atomically(folder: Path, name: str, data: bytes, *, replace: bool = False) -> Path:
    """Write ``data`` to ``folder/name`` so that the final name holds the whole file or
    nothing: temporary name, write, flush, fsync, rename, fsync of the folder; the file is
    read back and compared. ``replace`` allows overwriting an existing file of that name
    (otherwise a free name ``stem-2.ext`` is chosen). Any ``OSError`` becomes a
    :class:`SyncWriteError` in Spanish, with no file left under the final name."""
    folder = Path(folder)
    stem, suffix = os.path.splitext(name)
    tmp: Path | None = None
    target: Path | None = None

    def clean() -> None:
        for leftover in (tmp, target):
            if leftover is not None:
                with contextlib.suppress(OSError):
                    leftover.unlink(missing_ok=True)

    try:
        folder.mkdir(exist_ok=True)  # not its parents: a stick pulled out is not recreated
        fd, tmp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".tmp", dir=folder)
        tmp = Path(tmp_name)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        final = folder / name if replace else _free_name(folder, stem, suffix)
        os.replace(tmp, final)
        tmp, target = None, final
        _fsync_folder(folder)
        with open(final, "rb") as check:
            written = check.read(len(data) + 1)
        if written != data:
            raise OSError(errno.EIO, "read back differs")
    except OSError as exc:
        clean()
        raise _write_error(exc, folder) from exc
    except BaseException:
        clean()
        raise
    return final


def _read_limited(path: Path, limit: int, too_big: str) -> bytes:
    """The bytes of ``path``, refusing (before reading) a file larger than ``limit``."""
    path = Path(path)
    try:
        if path.stat().st_size > limit:
            raise refuse(too_big)
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise SyncError(_("The file {path} does not exist.").format(path=path)) from None
    except OSError as exc:
        raise SyncError(_(
            "The file {path} could not be read ({reason}). Check the USB stick and try again."
        ).format(path=path, reason=exc.strerror or exc)) from exc
    if len(data) > limit:
        raise refuse(too_big)
    return data


# --- enrolment -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetupResult:
    path: Path  # the public key file written
    fingerprint: str  # this installation's
    hq_fingerprint: str  # headquarters' (the same as ``fingerprint`` at headquarters)
    recovery_sealed: bool = False  # a casa: the database key's recovery copy went to HQ


def setup_hq(session: Session, out_dir: Path) -> SetupResult:
    """Make this (headquarters-mode) installation's keys, once, and write its public
    enrolment file ``oma-sede-central.omakey`` into ``out_dir``. Run again, it writes the
    same keys again. Refused at a casa."""
    session.require(Permission.SYNC)
    if session.store.mode != "hq":
        raise SyncError(_(
            "This data folder is casa {casa}'s installation, so it cannot be headquarters."
            " Headquarters is set up in a new data folder (oma-desktop --data-dir NEW_FOLDER"
            " setup hq).").format(casa=session.casa_id))
    store = session.store
    with session.transaction():
        secret = exchange.ensure_own_keys(store)
    public = exchange.own_public_keys(store, station(session))
    path = write_atomically(Path(out_dir), HQ_KEY_FILE, public.to_file(secret), replace=True)
    log.info("headquarters key file written to %s", path)
    return SetupResult(path, public.fingerprint, public.fingerprint)


def _read_key(path: Path) -> tuple[PublicKeys, bytes]:
    data = _read_limited(Path(path), MAX_KEY_FILE_BYTES, _(
        "it is far larger than a key file."))
    return PublicKeys.from_file(data), data


def read_key_file(path: Path) -> PublicKeys:
    """A key file's public keys, checked (:class:`SyncKeyError` in Spanish)."""
    return _read_key(path)[0]


def casa_key_file_name(session: Session) -> str:
    """The name of this casa PC's public key file: ``oma-<CASA>-<station>.omakey``."""
    return f"oma-{session.casa_id}-{station(session)}{KEY_SUFFIX}"


def setup_casa(session: Session, enrol_file: Path, out_dir: Path,
               vault: Vault | None = None) -> SetupResult:
    """Enrol this casa with headquarters' key file ``enrol_file``: keep it (trusted from now
    on), make the casa's keys, seal the database key's recovery copy to headquarters (when
    ``vault``, the open folder's :attr:`AppContext.vault`, is given) and write the casa's
    key file ``oma-<CASA>-<station>.omakey`` into ``out_dir``. A casa that already worked
    keeps its data (its whole history goes in its first export). Enrolling again with the
    same headquarters writes the key file again; another headquarters is refused."""
    session.require(Permission.SYNC)
    _require_mode(session, "casa")
    hq, raw = _read_key(Path(enrol_file))
    if hq.role != "hq":
        raise SyncKeyError(_(
            "That is a casa's key file, not headquarters'. Use the file headquarters wrote"
            " with «oma-desktop setup hq» ({name}).").format(name=HQ_KEY_FILE))
    store = session.store
    current = store.meta(exchange.HQ_KEYS_META)
    if current:
        known = PublicKeys.from_file(current.encode())
        if (known.installation_id, known.sign_public) != (hq.installation_id, hq.sign_public):
            raise SyncKeyError(_(
                "This casa is already enrolled with another headquarters (fingerprint"
                " {fingerprint}). Ask headquarters before changing it.").format(
                    fingerprint=known.fingerprint))
    with session.transaction():
        secret = exchange.ensure_own_keys(store)
        store.set_meta(exchange.HQ_KEYS_META, raw.decode("utf-8"))
    sealed = False
    if vault is not None:
        vault.keyring.seal_recovery(vault.key, [hq.age_recipient], RECOVERY_LABEL)
        sealed = True
    public = exchange.own_public_keys(store, station(session))
    path = write_atomically(Path(out_dir), casa_key_file_name(session), public.to_file(secret),
                            replace=True)
    log.info("casa %s enrolled with headquarters %s", session.casa_id, hq.installation_id)
    return SetupResult(path, public.fingerprint, hq.fingerprint, sealed)


def own_fingerprint(session: Session) -> str | None:
    """This installation's key fingerprint (None before ``setup``)."""
    try:
        return exchange.own_public_keys(session.store, station(session)).fingerprint
    except exchange.NotEnrolledError:
        return None


def hq_fingerprint(session: Session) -> str | None:
    """At a casa: the fingerprint of the headquarters it is enrolled with (None: not yet)."""
    try:
        return exchange.hq_keys(session.store).fingerprint
    except exchange.NotEnrolledError:
        return None


def register_casa(session: Session, key_file: Path) -> Peer:
    """Headquarters registers a casa's key file; registering the same file again changes
    nothing. Refused: a headquarters key file, an unknown casa, the same installation with
    other keys, a station tag another PC of that casa holds."""
    session.require(Permission.SYNC)
    _require_mode(session, "hq")
    keys = read_key_file(Path(key_file))
    if keys.role == "casa" and keys.casa_id not in {c.code for c in session.catalogs.casas}:
        raise SyncKeyError(_("The key file names a casa that does not exist here ({casa}).")
                           .format(casa=keys.casa_id))
    known = exchange.peer(session.store, keys.installation_id)
    with session.transaction() as tx:
        peer = exchange.register_peer(session.store, keys)
        if known is None:
            audit.record_in(session, tx, "sync_register", detail=_(
                "{casa}, PC {station}, fingerprint {fingerprint}").format(
                    casa=peer.casa_id, station=peer.station, fingerprint=peer.fingerprint))
    return peer


def list_peers(session: Session) -> list[Peer]:
    """The installations registered at headquarters (revoked ones included)."""
    session.require(Permission.SYNC)
    return exchange.peers(session.store)


def revoke(session: Session, installation_id: str, reason: str) -> Peer:
    """Headquarters revokes an installation's key (a lost or stolen PC or stick): its files
    are refused from now on, and the next reference files tell every casa."""
    session.require(Permission.SYNC)
    _require_mode(session, "hq")
    if not reason.strip():
        message = _("Write why the key is revoked (for example: «PC robada»).")
        raise ValidationError({"reason": message}, message)
    peer = exchange.peer(session.store, installation_id)
    if peer is None:
        raise SyncError(_("No installation {id} is registered here.").format(id=installation_id))
    with session.transaction() as tx:
        exchange.revoke_peer(session.store, installation_id, reason.strip())
        audit.record_in(session, tx, "sync_revoke", detail=_(
            "{casa}, PC {station}: {reason}").format(casa=peer.casa_id, station=peer.station,
                                                     reason=reason.strip()))
    revoked = exchange.peer(session.store, installation_id)
    assert revoked is not None
    return revoked


# --- casa → headquarters -----------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    path: Path
    op_count: int
    from_seq: int | None
    to_seq: int | None
    sha256: str
    warning: str | None = None  # stale reference data (see :func:`reference_warning`)

    def summary(self) -> str:
        if not self.op_count:
            return _("File written: {name}. It carries no new operations (headquarters already"
                     " has everything).").format(name=self.path.name)
        return ngettext(
            "File written and verified: {name}, with {n} operation for headquarters.",
            "File written and verified: {name}, with {n} operations for headquarters.",
            self.op_count).format(name=self.path.name, n=format_number(self.op_count))


def _now_stamp() -> str:
    return dt.datetime.now().strftime(_STAMP)


def export_to(session: Session, out_dir: Path, progress: Progress | None = None) -> ExportResult:
    """Write this casa's sync file into ``out_dir`` (the USB stick): every operation
    headquarters has not acknowledged, checked after writing; only then is the export
    recorded (file history, audit). A failed write records nothing."""
    session.require(Permission.SYNC)
    _require_mode(session, "casa")
    store = session.store
    label = _("Preparing the sync file")
    own = exchange.own_public_keys(store, station(session))

    def step(done: int, total: int) -> None:
        if progress is not None:
            progress(done, max(total, 1) * 2, label)

    export = exchange.build_export(store, own.station, step)
    if progress is not None:
        progress(1, 2, _("Writing the file"))
    name = f"oma-{session.casa_id}-{own.station}-{_now_stamp()}{EXPORT_SUFFIX}"
    path = write_atomically(Path(out_dir), name, export.data)
    try:
        _verify_own_file(path, export.data, own)
        with session.transaction() as tx:
            exchange.record_export(store, export, path.name, session.user_id)
            audit.record_in(session, tx, "export", detail=ngettext(
                "sync file for headquarters: {n} operation ({name})",
                "sync file for headquarters: {n} operations ({name})",
                export.op_count).format(n=export.op_count, name=path.name))
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        raise
    if progress is not None:
        progress(2, 2, _("Writing the file"))
    m = export.manifest
    return ExportResult(path, export.op_count, m.get("from_seq"), m.get("to_seq"),
                        hashlib.sha256(export.data).hexdigest(), reference_warning(session))


def _verify_own_file(path: Path, data: bytes, own: PublicKeys) -> None:
    """Read the written file back: the same bytes, a valid signature by this installation
    and the payload's hash (the payload itself is encrypted to headquarters)."""
    try:
        with open(path, "rb") as handle:
            written = handle.read(len(data) + 1)
    except OSError as exc:
        raise _write_error(exc, path.parent) from exc
    if written != data:
        raise _write_error(OSError(errno.EIO, "differs"), path.parent)
    container = read_container(written, lambda _manifest: own.sign_public)
    if container.manifest.get("installation") != own.installation_id:
        raise _write_error(OSError(errno.EIO, "differs"), path.parent)


@dataclass
class FileImport:
    """One file of an import at headquarters: its report, or why it was refused."""

    path: Path
    report: ImportReport | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def lines(self) -> list[str]:
        """What the CLI prints and the screen lists for this file (Spanish)."""
        name = self.path.name
        if self.error is not None:
            return [_("{name}: REFUSED. {reason}").format(name=name, reason=self.error)]
        r = self.report
        assert r is not None
        if r.already_imported:
            return [_("{name} (casa {casa}): already imported; nothing changed.").format(
                name=name, casa=r.casa_id)]
        lines = [_("{name} (casa {casa}): {applied} operations applied, {skipped} already held"
                   " (skipped).").format(name=name, casa=r.casa_id,
                                         applied=format_number(r.applied),
                                         skipped=format_number(r.skipped))]
        ranges = ", ".join(f"{a}–{b}" if a != b else str(a) for a, b in r.gaps)
        lines.append("  " + _("Gaps: {gaps}. Conflicts to review: {conflicts}. Quarantined:"
                              " {quarantined}.").format(
            gaps=ranges or _("none"), conflicts=format_number(r.conflicts),
            quarantined=format_number(r.quarantined)))
        if r.gaps:
            lines.append("  " + _(
                "Gaps: operations {ranges} of this PC have not arrived yet (an earlier file is"
                " missing); they will come in its next file.").format(ranges=ranges))
        lines.extend("  " + w for w in r.warnings)
        return lines


def _import_detail(name: str, report: ImportReport) -> str:
    return _("sync file of casa {casa}: {applied} applied, {skipped} skipped, {conflicts}"
             " conflicts, {quarantined} quarantined ({name})").format(
                 casa=report.casa_id, applied=report.applied, skipped=report.skipped,
                 conflicts=report.conflicts, quarantined=report.quarantined, name=name)


def import_files(session: Session, paths: Iterable[Path],
                 progress: Progress | None = None) -> list[FileImport]:
    """Import casas' sync files at headquarters, one transaction each, in the order given
    (any order gives the same database). A file already imported says so and changes
    nothing; a refused file does not stop the others. A backup of the database is made
    before the first file that is not already imported."""
    from oma_desktop.services.backup import Reason, make_backup

    session.require(Permission.SYNC)
    _require_mode(session, "hq")
    files = [Path(p) for p in paths]
    results: list[FileImport] = []
    backed_up = False
    for number, path in enumerate(files):
        if progress is not None:
            progress(number, len(files), _("Importing {name}").format(name=path.name))
        item = FileImport(path)
        results.append(item)
        try:
            data = _read_limited(path, MAX_FILE_BYTES, _(
                "it is larger than any sync file can be."))
            sha = hashlib.sha256(data).hexdigest()
            if not backed_up and not exchange.already_imported(session.store, sha):
                make_backup(session, Reason.BEFORE_IMPORT)
                backed_up = True
            report = exchange.import_export(session.store, data, path.name, session.user_id)
            item.report = report
            if not report.already_imported:
                audit.record(session, "import", detail=_import_detail(path.name, report))
        except OmaError as exc:  # refused in Spanish (the file's transaction rolled back)
            item.error = str(exc)
            log.warning("sync file %s refused: %s", path, exc)
        except Exception:  # a defect must not stop the other files; it is logged in full
            log.exception("sync file %s could not be imported", path)
            item.error = _(
                "It could not be imported because of an internal error, and nothing was"
                " changed. The other files are imported; send the log of the logs folder to"
                " technical support.")
    if progress is not None:
        progress(len(files), len(files), _("Import finished"))
    return results


# --- headquarters → casa -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceExport:
    path: Path
    casa_id: str
    version: int
    op_count: int


def export_reference(session: Session, casa: str, out_dir: Path) -> ReferenceExport:
    """Headquarters writes the reference file for ``casa`` into ``out_dir``: its directory,
    catalogs and accounts, what it acknowledges of each of the casa's PCs, the key list
    with revocations; encrypted to that casa, with a version that only increases."""
    session.require(Permission.SYNC)
    _require_mode(session, "hq")
    codes = [c.code for c in session.catalogs.casas]
    if casa not in codes:
        message = _("There is no casa «{code}». Write one of: {codes} (in capitals).").format(
            code=casa, codes=", ".join(codes))
        raise ValidationError({"casa": message}, message)
    ref = exchange.build_reference(session.store, casa)
    version = int(ref.manifest["version"])
    name = f"oma-sede-central-{casa}-v{version}-{_now_stamp()}{REFERENCE_SUFFIX}"
    path = write_atomically(Path(out_dir), name, ref.data)
    try:
        own = exchange.own_public_keys(session.store, station(session))
        container = read_container(path.read_bytes(), lambda _m: own.sign_public)
        if container.manifest.get("version") != version:
            raise _write_error(OSError(errno.EIO, "differs"), path.parent)
        audit.record(session, "export", detail=_(
            "reference file for casa {casa}, version {version} ({name})").format(
                casa=casa, version=version, name=path.name))
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        raise
    return ReferenceExport(path, casa, version, int(ref.manifest.get("op_count") or 0))


def import_reference(session: Session, path: Path) -> ReferenceReport:
    """A casa imports headquarters' reference file (signed by the headquarters it enrolled
    with, for this PC, newer than the one it has); all or nothing."""
    session.require(Permission.SYNC)
    _require_mode(session, "casa")
    path = Path(path)
    data = _read_limited(path, MAX_FILE_BYTES, _("it is larger than any sync file can be."))
    report = exchange.import_reference(session.store, data, path.name, session.user_id)
    audit.record(session, "import", detail=_(
        "reference file from headquarters, version {version}: {applied} operations applied"
        " ({name})").format(version=report.version, applied=report.applied, name=path.name))
    return report


def reference_lines(report: ReferenceReport) -> list[str]:
    """What the CLI prints and the screen shows after a reference import (Spanish)."""
    lines = [_("Reference data version {version} imported: {applied} changes applied,"
               " {skipped} already held.").format(
                   version=report.version, applied=format_number(report.applied),
                   skipped=format_number(report.skipped))]
    lines.append(_("Headquarters confirms it holds this PC's operations up to number"
                   " {seq}.").format(seq=format_number(report.acked_seq)))
    if report.revoked:
        lines.append(ngettext("{n} installation's key is revoked.",
                              "{n} installations' keys are revoked.",
                              len(report.revoked)).format(n=len(report.revoked)))
    return lines


def reference_warning(session: Session, today: dt.date | None = None) -> str | None:
    """At an enrolled casa: a Spanish warning when its reference data from headquarters is
    older than :data:`STALE_REFERENCE_DAYS` days or never came; None otherwise."""
    store = session.store
    if store.mode != "casa" or not store.meta(exchange.HQ_KEYS_META):
        return None
    days = exchange.reference_age_days(store, today)
    if days is None:
        return _("This casa has not received reference data from headquarters yet: import"
                 " headquarters' reference file when it arrives.")
    if days > STALE_REFERENCE_DAYS:
        return ngettext(
            "The reference data from headquarters is {n} day old: ask headquarters for a"
            " new reference file.",
            "The reference data from headquarters is {n} days old: ask headquarters for a"
            " new reference file.", days).format(n=days)
    return None


@dataclass(frozen=True)
class SyncStatus:
    """What the sync screen shows on top (no permission needed: no personal data)."""

    mode: str
    station: str
    fingerprint: str | None
    hq_fingerprint: str | None
    pending_ops: int  # a casa: operations headquarters has not acknowledged
    acked_seq: int
    peers: list[Peer] = field(default_factory=list)
    warning: str | None = None


def sync_status(session: Session) -> SyncStatus:
    store = session.store
    acked = int(store.meta(exchange.ACKED_META) or 0)
    pending = int(store.scalar(
        "SELECT count(*) FROM change_log WHERE installation = ? AND seq > ?",
        [store.installation_id, acked]) or 0)
    return SyncStatus(
        store.mode, station(session), own_fingerprint(session),
        hq_fingerprint(session) if store.mode == "casa" else own_fingerprint(session),
        pending, acked, exchange.peers(store) if store.mode == "hq" else [],
        reference_warning(session))


__all__ = [
    "EXPORT_SUFFIX", "HQ_KEY_FILE", "REFERENCE_SUFFIX", "ExportResult", "FileImport",
    "ReferenceExport", "SetupResult", "SyncError", "SyncStatus", "SyncWriteError",
    "export_reference", "export_to", "hq_fingerprint", "import_files", "import_reference",
    "list_peers", "own_fingerprint", "read_key_file", "reference_lines", "reference_warning",
    "register_casa", "revoke", "setup_casa", "setup_hq", "station", "sync_status",
    "write_atomically",
]
