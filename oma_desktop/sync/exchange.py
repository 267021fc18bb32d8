"""The two exchanges on the core's operation contract: a casa's sync file to headquarters,
and headquarters' reference file back to a casa.

**Casa → headquarters** (:func:`build_export`, :func:`import_export`): every operation of
the casa's installation that headquarters has not acknowledged, so a lost stick costs
nothing and the next file repeats what was lost. Headquarters checks the file (signature
of a registered, unrevoked installation; hash; schema) before decrypting it, then applies
it in one transaction with its bookkeeping: a file already imported says so and changes
nothing; operations already held are skipped; an operation id held with other content is
quarantined, not applied; a field changed at two installations from the same base is
applied by the fold's deterministic winner and kept, with both values, as a conflict to
review; a gap in the installation's sequence is reported, not blocking.

**Headquarters → casa** (:func:`build_reference`, :func:`import_reference`): the
operations headquarters authored (service directory, casas, staff accounts, person links),
the acknowledgement watermark of the casa's installations, and the key list with
revocations; encrypted to that casa, signed by headquarters, with a version that only
increases (an older or unsigned file is refused).

Everything about the local installation's keys lives in its ``meta`` (never synced).
Qt-free and below the services: the services add permissions, audit, files and progress.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oma_desktop import __version__
from oma_desktop.core import driver
from oma_desktop.core.errors import OmaError
from oma_desktop.core.oplog import OP_COLUMNS, SELECT_OPS, ApplyResult, Operation
from oma_desktop.core.seed import HQ_CODE, SEED_INSTALLATION
from oma_desktop.core.store import Store
from oma_desktop.i18n import _
from oma_desktop.sync.container import (
    MAX_UNCOMPRESSED_BYTES,
    Container,
    open_payload,
    read_container,
    refuse,
    seal_payload,
    write_container,
)
from oma_desktop.sync.keys import PublicKeys, SecretKeys, SyncKeyError, now_iso

SECRET_META = "sync.secret"
HQ_KEYS_META = "sync.hq_keys"  # at a casa: headquarters' key file, trusted at enrolment
ACKED_META = "sync.acked_seq"  # at a casa: what headquarters confirmed it holds
LAST_EXPORT_META = "sync.last_export_sha256"
REFERENCE_VERSION_META = "sync.reference_version"  # last imported (casa) / written (HQ)
REFERENCE_AT_META = "sync.reference_at"
REFERENCE_ISSUED_META = "sync.reference_issued_ms"  # what orders reference files
KEY_LIST_META = "sync.key_list"
KIND_EXPORT = "casa-export"
KIND_REFERENCE = "reference"
_INT_COLUMNS = ("seq", "hlc", "schema_version")


class NotEnrolledError(OmaError):
    """The installation has no sync keys, or no headquarters key yet."""


# --- keys of this installation -----------------------------------------------------------------


def own_keys(store: Store) -> SecretKeys:
    text = store.meta(SECRET_META)
    if not text:
        raise NotEnrolledError(_(
            "This installation has no sync keys yet. At headquarters run «oma-desktop setup"
            " hq»; at a casa, enrol it with headquarters' key file («oma-desktop setup casa»)."))
    return SecretKeys.from_meta(text)


def ensure_own_keys(store: Store) -> SecretKeys:
    """This installation's keys, made the first time (kept in its encrypted database)."""
    text = store.meta(SECRET_META)
    if text:
        return SecretKeys.from_meta(text)
    secret = SecretKeys.generate()
    store.set_meta(SECRET_META, secret.to_meta())
    return secret


def own_public_keys(store: Store, station: str) -> PublicKeys:
    secret = own_keys(store)
    role = "hq" if store.mode == "hq" else "casa"
    return PublicKeys(role, store.installation_id, HQ_CODE if role == "hq" else store.casa_id,
                      station, secret.sign_public, secret.age_recipient,
                      store.meta("created_at") or now_iso())


def hq_keys(store: Store) -> PublicKeys:
    text = store.meta(HQ_KEYS_META)
    if not text:
        raise NotEnrolledError(_(
            "This casa is not enrolled with headquarters yet: enrol it with headquarters' key"
            " file («oma-desktop setup casa --enrol FILE»)."))
    return PublicKeys.from_file(text.encode())


# --- registered installations (headquarters) -------------------------------------------------


@dataclass(frozen=True)
class Peer:
    installation_id: str
    role: str
    casa_id: str
    station: str
    sign_public: bytes
    age_recipient: str
    fingerprint: str
    revoked_at: str | None


def peers(store: Store) -> list[Peer]:
    import base64

    return [
        Peer(r["installation_id"], r["role"], r["casa_id"], r["station"],
             base64.b64decode(r["sign_public"]), r["age_recipient"], r["fingerprint"],
             r["revoked_at"])
        for r in store.rows("SELECT * FROM sync_peer ORDER BY casa_id, registered_at")
    ]


def peer(store: Store, installation_id: str) -> Peer | None:
    return next((p for p in peers(store) if p.installation_id == installation_id), None)


def register_peer(store: Store, keys: PublicKeys) -> Peer:
    """Register a casa's key file at headquarters. Refused: a headquarters key, an
    installation already registered with other keys, a station tag another installation
    of the same casa holds (its referral codes would collide)."""
    import base64

    if keys.role != "casa":
        raise SyncKeyError(_("That is a headquarters key file, not a casa's."))
    known = peer(store, keys.installation_id)
    if known is not None:
        if known.sign_public == keys.sign_public and known.age_recipient == keys.age_recipient:
            return known
        raise SyncKeyError(_(
            "This installation is already registered with other keys. If the casa's PC was"
            " reinstalled, it has a new installation: register its new key file; revoke the"
            " old one if it is lost."))
    clash = store.one(
        "SELECT installation_id FROM sync_peer WHERE casa_id = ? AND station = ?"
        " AND installation_id <> ?", [keys.casa_id, keys.station, keys.installation_id])
    if clash is not None:
        raise SyncKeyError(_(
            "Another installation of casa {casa} already uses the station tag {station}, so"
            " their referral codes could collide. Install the program again on that PC (a new"
            " installation gets another tag) before it issues referrals.").format(
                casa=keys.casa_id, station=keys.station))
    with driver.translating(store.path):
        store.conn.execute(
            "INSERT INTO sync_peer (installation_id, role, casa_id, station, sign_public,"
            " age_recipient, fingerprint, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [keys.installation_id, keys.role, keys.casa_id, keys.station,
             base64.b64encode(keys.sign_public).decode(), keys.age_recipient,
             keys.fingerprint, now_iso()])
    result = peer(store, keys.installation_id)
    assert result is not None
    return result


def revoke_peer(store: Store, installation_id: str, reason: str) -> None:
    store.conn.execute(
        "UPDATE sync_peer SET revoked_at = ?, revoked_reason = ? WHERE installation_id = ?",
        [now_iso(), reason, installation_id])


# --- operations as JSON Lines ------------------------------------------------------------------


def op_line(op: Operation) -> bytes:
    return (json.dumps(dict(zip(OP_COLUMNS, op.as_row(), strict=True)), ensure_ascii=False,
                       sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def op_from_record(record: dict[str, Any], number: int) -> Operation:
    """An operation from one JSON Lines record: exactly the change log's columns, typed."""
    bad = refuse(_("operation {n} of its content is not valid.").format(n=number))
    if set(record) != set(OP_COLUMNS):
        raise bad
    for name in OP_COLUMNS:
        value = record[name]
        if name in _INT_COLUMNS:
            if not isinstance(value, int) or isinstance(value, bool):
                raise bad
        elif name == "base_op_id":
            if value is not None and not isinstance(value, str):
                raise bad
        elif not isinstance(value, str):
            raise bad
    op = Operation(**record)
    try:
        values = op.values()
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deep
        raise bad from None
    if not isinstance(values, dict):
        raise bad
    return op


# --- checks on received operations ----------------------------------------------------------------

# an operation may be at most this far ahead of the receiver's clock (PCs' clocks drift; a
# clock at "the end of time" would stop every later save: the clock never runs backwards)
MAX_CLOCK_AHEAD_MS = 7 * 24 * 3600 * 1000
# what only headquarters writes: a casa's file never carries them
HQ_ONLY_ENTITIES = frozenset({"person_link"})
# what a casa's file may change only for itself
OWN_ONLY_ENTITIES = {"casa": "casa", "installation": "installation"}


def check_received(store: Store, ops: list[Operation], *, sender_casa: str | None = None,
                   sender_installation: str | None = None) -> None:
    """Refuse, in Spanish and before anything is written, operations this database cannot
    take: an unknown kind of record or field, a newer schema, a clock far in the future,
    or (for a casa's file) a record only headquarters writes."""
    from oma_desktop.core.clock import pack, wall_ms
    from oma_desktop.core.oplog import Folder, OperationError, check_operation

    columns = Folder(store.conn).columns
    limit = pack(wall_ms() + MAX_CLOCK_AHEAD_MS)
    for number, op in enumerate(ops, 1):
        try:
            check_operation(op, store.schema_version, columns)
        except OperationError:
            raise refuse(_(
                "operation {n} names a kind of record or a field this version of OMA Desktop"
                " does not know (it may come from a newer version).").format(n=number)) from None
        if op.hlc > limit or op.hlc < 0:
            raise refuse(_(
                "operation {n} is dated more than a week in the future. Check the date and"
                " time of the PC that wrote it, then export again.").format(n=number))
        if sender_casa is None:
            continue
        if op.entity in HQ_ONLY_ENTITIES:
            raise refuse(_("it holds changes only headquarters may make."))
        own = {"casa": sender_casa, "installation": sender_installation}.get(
            OWN_ONLY_ENTITIES.get(op.entity, ""))
        if op.entity in OWN_ONLY_ENTITIES and op.entity_id != own:
            raise refuse(_("it holds changes to another casa's settings."))


def apply_received(store: Store, ops: list[Operation], **kw: Any) -> ApplyResult:
    """``store.apply`` with every expected failure refused in Spanish (nothing written):
    the disk conditions as the driver words them, anything else as damaged content."""
    from oma_desktop.core.oplog import OperationError

    try:
        return store.apply(ops, **kw)
    except OperationError:
        raise refuse(_("its operations contradict what this database holds.")) from None
    except (driver.Error, OverflowError, TypeError, ValueError) as exc:
        translated = (driver.translate_error(exc, store.path)
                      if isinstance(exc, driver.Error) else None)
        if translated is not None and not isinstance(exc, driver.IntegrityError):
            raise translated from exc  # a full disk, a locked or read-only file
        raise refuse(_(
            "some of its operations hold values that cannot be stored (the content is"
            " damaged).")) from exc


# --- casa → headquarters -----------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    data: bytes
    manifest: dict[str, Any]

    @property
    def op_count(self) -> int:
        return int(self.manifest["op_count"])


def build_export(store: Store, station: str,
                 progress: Callable[[int, int], None] | None = None) -> ExportFile:
    """The casa's sync file: its operations headquarters has not acknowledged."""
    secret, hq = own_keys(store), hq_keys(store)
    acked = int(store.meta(ACKED_META) or 0)
    cursor = store.conn.execute(
        f"{SELECT_OPS} WHERE installation = ? AND seq > ? ORDER BY seq",
        [store.installation_id, acked])
    lines: list[bytes] = []
    first = last = None
    total = int(store.scalar(
        "SELECT count(*) FROM change_log WHERE installation = ? AND seq > ?",
        [store.installation_id, acked]))
    for row in cursor:
        op = Operation.from_row(row)
        first = op.seq if first is None else first
        last = op.seq
        lines.append(op_line(op))
        if progress is not None and len(lines) % 5000 == 0:
            progress(len(lines), total)
    payload, size = seal_payload(lines, [hq.age_recipient])
    manifest = {
        "kind": KIND_EXPORT, "casa": store.casa_id, "installation": store.installation_id,
        "station": station, "from_seq": first, "to_seq": last, "op_count": len(lines),
        "acked_seq": acked, "schema_version": store.schema_version, "created_at": now_iso(),
        "signer": own_public_keys(store, station).fingerprint, "recipient": hq.fingerprint,
        "previous_sha256": store.meta(LAST_EXPORT_META) or "", "uncompressed_size": size,
        "app_version": __version__,
    }
    return ExportFile(write_container(manifest, payload, secret), manifest)


@dataclass
class ImportReport:
    sha256: str
    casa_id: str = ""
    installation_id: str = ""
    already_imported: bool = False
    op_count: int = 0
    applied: int = 0
    skipped: int = 0
    gaps: list[tuple[int, int]] = field(default_factory=list)
    conflicts: int = 0
    quarantined: int = 0
    warnings: list[str] = field(default_factory=list)


def contiguous_seq(store: Store, installation_id: str) -> int:
    """The greatest n such that operations 1..n of ``installation_id`` are all held."""
    row = store.one(
        "SELECT count(*) AS n, max(seq) AS top FROM change_log WHERE installation = ?",
        [installation_id])
    if row is None or not row["n"]:
        return 0
    if int(row["n"]) == int(row["top"]):
        return int(row["top"])
    first_gap = store.scalar(
        "SELECT min(seq) + 1 FROM change_log c WHERE installation = ? AND NOT EXISTS ("
        " SELECT 1 FROM change_log d WHERE d.installation = c.installation AND d.seq = c.seq + 1)",
        [installation_id])
    held_one = store.scalar(
        "SELECT 1 FROM change_log WHERE installation = ? AND seq = 1", [installation_id])
    return int(first_gap) - 1 if held_one else 0


def _signer_of_export(store: Store) -> Callable[[dict[str, Any]], bytes]:
    def signer(manifest: dict[str, Any]) -> bytes:
        if manifest.get("kind") != KIND_EXPORT:
            raise refuse(_("it is not a casa's sync file."))
        sender = peer(store, str(manifest.get("installation")))
        if sender is None:
            raise refuse(_(
                "it comes from an installation that is not registered here. Register the"
                " casa's key file first («oma-desktop register-casa»)."))
        if sender.revoked_at:
            raise refuse(_("it was signed with a key that was revoked on {date}.").format(
                date=sender.revoked_at[:10]))
        if manifest.get("casa") != sender.casa_id:
            raise refuse(_("it says it comes from another casa than the one registered."))
        return sender.sign_public
    return signer


def already_imported(store: Store, sha256: str, direction: str = "import") -> bool:
    return store.one("SELECT 1 FROM sync_file WHERE sha256 = ? AND direction = ?"
                     " AND status = 'ok'", [sha256, direction]) is not None


def import_export(store: Store, data: bytes, file_name: str = "", user_id: str = "",
                  progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import a casa's sync file at headquarters (see the module docstring)."""
    secret = own_keys(store)
    container = read_container(data, _signer_of_export(store))
    report = ImportReport(container.sha256)
    manifest = container.manifest
    report.casa_id, report.installation_id = str(manifest["casa"]), str(manifest["installation"])
    if already_imported(store, container.sha256):
        report.already_imported = True
        return report
    schema = manifest.get("schema_version")
    if not isinstance(schema, int) or schema > store.schema_version:
        raise refuse(_(
            "it was written by a newer version of OMA Desktop (schema {theirs}; this one"
            " knows up to {ours}). Install the newer version at headquarters first.").format(
                theirs=schema, ours=store.schema_version))
    ops = _ops_of(container, secret)
    if len(ops) != manifest.get("op_count"):
        raise refuse(_("it holds another number of operations than it says."))
    for op in ops:
        if op.installation != report.installation_id or op.casa != report.casa_id:
            raise refuse(_("it holds operations of another installation than its sender."))
        if op.schema_version > store.schema_version:
            raise refuse(_("it holds operations of a newer version of OMA Desktop."))
    check_received(store, ops, sender_casa=report.casa_id,
                   sender_installation=report.installation_id)
    report.op_count = len(ops)
    held = contiguous_seq(store, report.installation_id)
    seqs = sorted(op.seq for op in ops)
    if seqs and seqs[0] > held + 1:
        report.gaps.append((held + 1, seqs[0] - 1))
    for a, b in itertools.pairwise(seqs):
        if b > a + 1:
            report.gaps.append((a + 1, b - 1))

    def bookkeeping(conn: driver.Connection, result: ApplyResult) -> None:
        at = now_iso()
        for conflict in result.conflicts:
            conn.execute(
                "INSERT OR IGNORE INTO sync_conflict (id, entity, entity_id, field, base_op_id,"
                " winner_op_id, loser_op_id, winner_value, loser_value, detected_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [conflict.key, conflict.entity, conflict.entity_id, conflict.field,
                 conflict.base_op_id, conflict.winner.op_id, conflict.loser.op_id,
                 json.dumps(conflict.value(conflict.winner), ensure_ascii=False),
                 json.dumps(conflict.value(conflict.loser), ensure_ascii=False), at])
        for op, reason in result.quarantined:
            conn.execute(
                "INSERT OR IGNORE INTO sync_quarantine (op_id, file_sha256, operation, reason,"
                " at) VALUES (?, ?, ?, ?, ?)",
                [op.op_id, container.sha256, op_line(op).decode(), reason, at])
        _record_file(conn, container, "import", status="ok", applied=result.applied,
                     skipped=result.skipped, op_count=len(ops), gaps=report.gaps,
                     warnings=report.warnings, file_name=file_name, user_id=user_id)

    # a record may refer to one that has not arrived yet: in a missing range, or in another
    # casa's file still on its way (files arrive in any order); accepted, and listed by
    # `check` until what it refers to arrives
    result = apply_received(store, ops, quarantine=True, detect_conflicts=True,
                            before_commit=bookkeeping, foreign_keys=False)
    report.applied, report.skipped = result.applied, result.skipped
    report.conflicts, report.quarantined = len(result.conflicts), len(result.quarantined)
    return report


def _payload_limit(manifest: dict[str, Any]) -> int:
    """How many bytes the payload may inflate to: what the manifest says (0 if it says
    nothing usable), refused beyond what any payload may hold, before decompressing."""
    limit = manifest.get("uncompressed_size")
    limit = limit if isinstance(limit, int) and limit >= 0 else 0
    if limit > MAX_UNCOMPRESSED_BYTES:
        raise refuse(_("its description is damaged."))
    return limit + 1


def _ops_of(container: Container, secret: SecretKeys) -> list[Operation]:
    limit = _payload_limit(container.manifest)
    return [op_from_record(record, n) for n, record in
            enumerate(open_payload(container.payload, secret.age_identity, limit), 1)]


def _record_file(conn: driver.Connection, container: Container, direction: str, *,
                 status: str, applied: int = 0, skipped: int = 0, op_count: int = 0,
                 gaps: list[tuple[int, int]] | None = None, warnings: list[str] | None = None,
                 file_name: str = "", user_id: str = "", version: int | None = None) -> None:
    m = container.manifest
    conn.execute(
        "INSERT OR REPLACE INTO sync_file (sha256, direction, kind, casa_id, installation_id,"
        " from_seq, to_seq, op_count, applied, skipped, version, status, gaps, warnings,"
        " file_name, at, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [container.sha256, direction, str(m.get("kind", "")), str(m.get("casa", "")),
         str(m.get("installation", "")), m.get("from_seq"), m.get("to_seq"), op_count,
         applied, skipped, version, status,
         json.dumps(gaps or []), json.dumps(warnings or [], ensure_ascii=False), file_name,
         now_iso(), user_id or None])


def record_export(store: Store, export: ExportFile, file_name: str, user_id: str) -> None:
    """Note, once the file is safely on the stick, that it was exported."""
    import hashlib

    container = Container(export.manifest, b"", hashlib.sha256(export.data).hexdigest())
    _record_file(store.conn, container, "export", status="ok", op_count=export.op_count,
                 file_name=file_name, user_id=user_id)
    store.set_meta(LAST_EXPORT_META, container.sha256)


# --- headquarters → casa ------------------------------------------------------------------------


def build_reference(store: Store, casa_id: str) -> ExportFile:
    """Headquarters' reference file for ``casa_id``'s registered installations."""
    secret = own_keys(store)
    targets = [p for p in peers(store) if p.casa_id == casa_id and not p.revoked_at]
    if not targets:
        raise NotEnrolledError(_("No installation of casa {casa} is registered here.").format(
            casa=casa_id))
    import time

    version = int(store.meta(REFERENCE_VERSION_META) or 0) + 1  # the number people read
    # what the casas compare: at least the time in milliseconds, so it still increases
    # after headquarters is restored from a backup (its counter would go back)
    issued = max(int(store.meta(REFERENCE_ISSUED_META) or 0) + 1, int(time.time() * 1000))
    lines = [op_line(op) for op in _reference_ops(store, casa_id)]
    for target in targets:
        lines.append(_record("ack", installation=target.installation_id,
                             seq=contiguous_seq(store, target.installation_id)))
    for p in peers(store):
        lines.append(_record("key", installation=p.installation_id, casa=p.casa_id,
                             fingerprint=p.fingerprint, revoked_at=p.revoked_at or ""))
    payload, size = seal_payload(lines, [t.age_recipient for t in targets])
    manifest = {
        "kind": KIND_REFERENCE, "casa": casa_id, "installation": store.installation_id,
        "targets": [t.installation_id for t in targets], "version": version,
        "issued_ms": issued,
        "schema_version": store.schema_version, "created_at": now_iso(),
        "signer": fingerprint_of(secret), "uncompressed_size": size, "app_version": __version__,
    }
    store.set_meta(REFERENCE_VERSION_META, str(version))
    store.set_meta(REFERENCE_ISSUED_META, str(issued))
    return ExportFile(write_container(manifest, payload, secret), manifest)


def fingerprint_of(secret: SecretKeys) -> str:
    from oma_desktop.sync.keys import fingerprint

    return fingerprint(secret.sign_public, secret.age_recipient)


def _record(kind: str, **values: Any) -> bytes:
    return (json.dumps({"record": kind, **values}, ensure_ascii=False, sort_keys=True,
                       separators=(",", ":")) + "\n").encode("utf-8")


# what headquarters sends back to every casa: reference data
REFERENCE_ENTITIES = ("service", "route_handout", "casa", "app_user", "person_link",
                      "organisation")
# what stays at headquarters: its own audit log, incidents and rights requests
HQ_PRIVATE_ENTITIES = ("audit_entry", "security_incident", "rights_request", "installation")


def _reference_ops(store: Store, casa_id: str) -> list[Operation]:
    """What headquarters authored for the casa ``casa_id``: directory and route edits,
    casas, staff accounts, person links; and its changes (a conflict resolved) to records
    that casa holds (it created or changed them), never to another casa's persons."""
    shared = ", ".join("?" for _e in REFERENCE_ENTITIES)
    private = ", ".join("?" for _e in HQ_PRIVATE_ENTITIES)
    rows = store.conn.execute(
        f"{SELECT_OPS} AS o WHERE installation = ? AND (entity IN ({shared}) OR ("
        f" entity NOT IN ({private}) AND EXISTS (SELECT 1 FROM change_log c"
        "  WHERE c.entity_id = o.entity_id AND c.entity = o.entity AND c.casa = ?"
        # the casa's own operations, not headquarters' (filed under the first casa's code
        # before migration 11): a record headquarters made stays there
        "  AND c.installation <> o.installation)))"
        " ORDER BY seq",
        [store.installation_id, *REFERENCE_ENTITIES, *HQ_PRIVATE_ENTITIES, casa_id])
    return [Operation.from_row(r) for r in rows]


@dataclass
class ReferenceReport:
    sha256: str
    version: int = 0
    applied: int = 0
    skipped: int = 0
    acked_seq: int = 0
    revoked: list[str] = field(default_factory=list)


def import_reference(store: Store, data: bytes, file_name: str = "",
                     user_id: str = "") -> ReferenceReport:
    """Import headquarters' reference file at a casa (see the module docstring)."""
    secret, hq = own_keys(store), hq_keys(store)

    def signer(manifest: dict[str, Any]) -> bytes:
        if manifest.get("kind") != KIND_REFERENCE:
            raise refuse(_("it is not a reference file from headquarters."))
        if manifest.get("installation") != hq.installation_id:
            raise refuse(_("it was not written by the headquarters this casa is enrolled with."))
        return hq.sign_public

    container = read_container(data, signer)
    manifest = container.manifest
    report = ReferenceReport(container.sha256)
    if store.installation_id not in (manifest.get("targets") or []):
        raise refuse(_("it was written for another casa or another PC."))
    version = manifest.get("version")
    issued = manifest.get("issued_ms", version)
    current = int(store.meta(REFERENCE_VERSION_META) or 0)
    if (not isinstance(version, int) or not isinstance(issued, int)
            or issued <= int(store.meta(REFERENCE_ISSUED_META) or 0)):
        raise refuse(_(
            "it is older than the reference data this casa already has (version {theirs};"
            " this casa has version {ours}). Ask headquarters for the latest file.").format(
                theirs=version, ours=current))
    schema = manifest.get("schema_version")
    if not isinstance(schema, int) or schema > store.schema_version:
        raise refuse(_("it was written by a newer version of OMA Desktop; install it here."))
    ops: list[Operation] = []
    acked = int(store.meta(ACKED_META) or 0)
    keys: list[dict[str, Any]] = []
    allowed = {hq.installation_id, SEED_INSTALLATION}
    records = open_payload(container.payload, secret.age_identity, _payload_limit(manifest))
    for number, record in enumerate(records, 1):
        kind = record.pop("record", None)
        if kind is None:
            op = op_from_record(record, number)
            if op.installation not in allowed:
                raise refuse(_("it holds operations headquarters did not write."))
            ops.append(op)
        elif kind == "ack" and record.get("installation") == store.installation_id:
            seq = record.get("seq")
            if not isinstance(seq, int) or seq < 0:
                raise refuse(_("operation {n} of its content is not valid.").format(n=number))
            # headquarters' word, even when lower than before: restored from a backup, it
            # lost operations, and this casa's next file carries them again (an older
            # reference file is refused above, so this is headquarters' latest state)
            acked = seq
        elif kind == "key":
            keys.append(record)
        elif kind != "ack":
            raise refuse(_("operation {n} of its content is not valid.").format(n=number))
    report.version, report.acked_seq = version, acked
    report.revoked = [str(k.get("installation")) for k in keys if k.get("revoked_at")]
    if store.installation_id in report.revoked:
        raise refuse(_(
            "headquarters revoked this installation's key. Ask headquarters what to do."))

    def bookkeeping(conn: driver.Connection, result: ApplyResult) -> None:
        _record_file(conn, container, "import", status="ok", applied=result.applied,
                     skipped=result.skipped, op_count=len(ops), file_name=file_name,
                     user_id=user_id, version=version)
        for key, value in ((ACKED_META, str(acked)), (REFERENCE_VERSION_META, str(version)),
                           (REFERENCE_ISSUED_META, str(issued)),
                           (REFERENCE_AT_META, str(manifest.get("created_at") or now_iso())),
                           (KEY_LIST_META, json.dumps(keys, ensure_ascii=False))):
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key)"
                         " DO UPDATE SET value = excluded.value", [key, value])

    check_received(store, ops)
    result = apply_received(store, ops, before_commit=bookkeeping)
    report.applied, report.skipped = result.applied, result.skipped
    return report


def reference_age_days(store: Store, today: dt.date | None = None) -> int | None:
    """Days since the last reference data was written at headquarters (None: never)."""
    at = store.meta(REFERENCE_AT_META)
    if not at:
        return None
    return ((today or dt.date.today()) - dt.date.fromisoformat(at[:10])).days
