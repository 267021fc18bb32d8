"""Headquarters' review of the USB sync (issue #10, point 4): what each casa's files
brought, the conflicts kept for review, and the same person registered at two casas.

* :func:`sync_history`: one line per registered installation (and any other the file
  history names): its last file, when, how many operations, the gaps still open in its
  sequence and the warnings its files carried; :func:`file_log` lists the files themselves
  (both directions, also at a casa).
* :func:`conflicts` / :func:`resolve_conflict`: a field changed at two installations from
  the same base was applied by the fold's deterministic winner and kept, with both values,
  in ``sync_conflict``. Keeping the winner only marks the conflict *revisado*; keeping the
  loser writes the loser's value as a **new logged update** (so it travels back to the
  casas with the reference file) and marks it *revisado* in the same transaction.
* :func:`cross_casa_duplicates`: persons of different casas that the front desk's matching
  (``services.duplicates``) finds probably the same. Nothing merges by itself: a person at
  headquarters says «Es la misma persona» (:func:`merge`: a ``person_link``, logged and
  synchronised) and can undo it (:func:`unmerge`: ``active`` 0 with who and when);
  :func:`person_links` lists a person's links for their page.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from oma_desktop.core.clock import to_datetime
from oma_desktop.core.errors import OmaError, ValidationError
from oma_desktop.core.fields import field_label
from oma_desktop.i18n import _
from oma_desktop.services.duplicates import find_duplicates_many
from oma_desktop.services.permissions import (
    SENSITIVE_PERSON_FIELDS,
    Permission,
    reserved_text,
)
from oma_desktop.services.persons import DocumentInput, PersonInput, age_on
from oma_desktop.services.session import Session

PENDING, REVIEWED = "pendiente", "revisado"
KEEP_WINNER, KEEP_LOSER = "winner", "loser"
EXPORT_KIND = "casa-export"


class NotAtHeadquartersError(OmaError):
    """A review action that only headquarters takes."""


def _invalid(name: str, message: str) -> ValidationError:
    return ValidationError({name: message}, message)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _require_hq(session: Session) -> None:
    if session.store.mode != "hq":
        raise NotAtHeadquartersError(_(
            "Only headquarters reviews what the casas sent. At a casa, export the sync file"
            " and take it to headquarters."))


def casa_name(session: Session, code: str) -> str:
    """«Casa Vecinal 1» for ``CV1`` (the code itself if unknown)."""
    row = session.store.get("casa", code) if code else None
    if row is not None and row.get("name"):
        return str(row["name"])
    for casa in session.catalogs.casas:
        if casa.code == code:
            return casa.name
    return code


# --- history ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncFileRow:
    """One file written or read (``sync_file``)."""

    sha256: str
    direction: str  # import | export
    kind: str  # casa-export | reference
    casa_id: str
    installation_id: str
    from_seq: int | None
    to_seq: int | None
    op_count: int
    applied: int
    skipped: int
    version: int | None
    status: str
    gaps: list[tuple[int, int]]
    warnings: list[str]
    file_name: str
    at: str
    user_id: str | None


@dataclass(frozen=True)
class InstallationHistory:
    """What headquarters received from one installation of a casa."""

    casa_id: str
    casa_name: str
    installation_id: str
    station: str
    fingerprint: str
    revoked_at: str | None
    files: int
    last_file_name: str
    last_file_at: str | None
    last_op_count: int
    operations: int  # the installation's operations held here
    held_seq: int  # operations 1..held_seq are all held
    gaps: list[tuple[int, int]] = field(default_factory=list)  # still missing
    warnings: list[str] = field(default_factory=list)
    conflicts_pending: int = 0

    @property
    def gaps_text(self) -> str:
        return gaps_text(self.gaps)


def gaps_text(gaps: Sequence[tuple[int, int]]) -> str:
    """``5–9, 12`` for the missing ranges; "" when nothing is missing."""
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in gaps)


def _json_list(text: str | None) -> list[Any]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _file_row(row: dict[str, Any]) -> SyncFileRow:
    gaps = [(int(g[0]), int(g[1])) for g in _json_list(row["gaps"])
            if isinstance(g, list) and len(g) == 2]
    return SyncFileRow(
        sha256=row["sha256"], direction=row["direction"], kind=row["kind"],
        casa_id=row["casa_id"], installation_id=row["installation_id"],
        from_seq=row["from_seq"], to_seq=row["to_seq"], op_count=int(row["op_count"]),
        applied=int(row["applied"]), skipped=int(row["skipped"]), version=row["version"],
        status=row["status"], gaps=gaps, warnings=[str(w) for w in _json_list(row["warnings"])],
        file_name=row["file_name"], at=row["at"], user_id=row["user_id"],
    )


def file_log(session: Session, installation_id: str | None = None,
             limit: int = 200) -> list[SyncFileRow]:
    """The files written or read here, newest first (of one installation if given)."""
    session.require(Permission.SYNC)
    where, params = ("WHERE installation_id = ?", [installation_id]) if installation_id else (
        "", [])
    return [_file_row(r) for r in session.store.rows(
        f"SELECT * FROM sync_file {where} ORDER BY at DESC, rowid DESC LIMIT ?",
        [*params, limit])]


def missing_ranges(session: Session, installation_id: str) -> list[tuple[int, int]]:
    """The ranges of ``installation_id``'s sequence not held here (below its highest)."""
    conn = session.store.conn
    rows = conn.execute(
        "SELECT seq FROM change_log c WHERE installation = ? AND NOT EXISTS (SELECT 1 FROM"
        " change_log d WHERE d.installation = c.installation AND d.seq = c.seq + 1)"
        " ORDER BY seq", [installation_id]).fetchall()
    ends = [int(r[0]) for r in rows]
    out: list[tuple[int, int]] = []
    first = conn.execute("SELECT min(seq) FROM change_log WHERE installation = ?",
                         [installation_id]).fetchone()[0]
    if first is not None and int(first) > 1:
        out.append((1, int(first) - 1))
    for end in ends[:-1]:  # the last run ends at the highest seq: nothing missing after it
        nxt = conn.execute("SELECT min(seq) FROM change_log WHERE installation = ? AND seq > ?",
                           [installation_id, end]).fetchone()[0]
        out.append((end + 1, int(nxt) - 1))
    return out


def sync_history(session: Session) -> list[InstallationHistory]:
    """One line per installation that sends files here, by casa (see the module doc)."""
    session.require(Permission.SYNC)
    store = session.store
    installations: dict[str, dict[str, Any]] = {}
    for r in store.rows("SELECT installation_id, casa_id, station, fingerprint, revoked_at"
                        " FROM sync_peer ORDER BY casa_id, registered_at"):
        installations[r["installation_id"]] = dict(r)
    for r in store.rows("SELECT DISTINCT installation_id, casa_id FROM sync_file"
                        " WHERE direction = 'import' AND kind = ? AND installation_id <> ''",
                        [EXPORT_KIND]):
        installations.setdefault(r["installation_id"], {
            "installation_id": r["installation_id"], "casa_id": r["casa_id"], "station": "",
            "fingerprint": "", "revoked_at": None})
    pending = {r["installation"]: int(r["n"]) for r in store.rows(
        "SELECT c.installation, count(*) AS n FROM sync_conflict s JOIN change_log c"
        " ON c.op_id IN (s.winner_op_id, s.loser_op_id) WHERE s.status = ?"
        " GROUP BY c.installation", [PENDING])}
    out = []
    for inst_id, peer in installations.items():
        files = [_file_row(r) for r in store.rows(
            "SELECT * FROM sync_file WHERE installation_id = ? AND direction = 'import'"
            " AND kind = ? ORDER BY at DESC, rowid DESC", [inst_id, EXPORT_KIND])]
        last = files[0] if files else None
        counts = store.one("SELECT count(*) AS n, max(seq) AS top FROM change_log"
                           " WHERE installation = ?", [inst_id])
        n = int(counts["n"]) if counts else 0
        gaps = missing_ranges(session, inst_id)
        warnings = list(dict.fromkeys(w for f in files for w in f.warnings))
        out.append(InstallationHistory(
            casa_id=peer["casa_id"], casa_name=casa_name(session, peer["casa_id"]),
            installation_id=inst_id, station=peer["station"] or "",
            fingerprint=peer["fingerprint"] or "", revoked_at=peer["revoked_at"],
            files=len(files), last_file_name=last.file_name if last else "",
            last_file_at=last.at if last else None, last_op_count=last.op_count if last else 0,
            operations=n, held_seq=(gaps[0][0] - 1) if gaps else int(
                counts["top"] or 0) if counts else 0,
            gaps=gaps, warnings=warnings, conflicts_pending=pending.get(inst_id, 0),
        ))
    out.sort(key=lambda h: (h.casa_id, h.installation_id))
    return out


# --- conflicts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """A field changed at two installations from the same base (``sync_conflict``)."""

    id: str
    entity: str
    entity_id: str
    field: str
    field_label: str
    record_label: str  # the person's name for a person; else the kind of record and its id
    winner_value: Any
    loser_value: Any
    winner_casa: str
    loser_casa: str
    winner_at: str
    loser_at: str
    detected_at: str
    status: str
    reviewed_by: str | None
    reviewed_at: str | None
    note: str
    withheld: bool = False  # the values are «Reservado» for this role

    @property
    def winner_text(self) -> str:
        return value_text(self.winner_value)

    @property
    def loser_text(self) -> str:
        return value_text(self.loser_value)


def value_text(value: Any) -> str:
    if value is None or value == "":
        return _("(empty)")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def _decode(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _op_origin(session: Session, op_id: str) -> tuple[str, str]:
    row = session.store.one("SELECT casa, hlc FROM change_log WHERE op_id = ?", [op_id])
    if row is None:
        return "", ""
    return str(row["casa"]), to_datetime(int(row["hlc"])).replace(microsecond=0).isoformat()


def _record_label(session: Session, entity: str, entity_id: str) -> str:
    if entity == "person":
        row = session.store.get("person", entity_id)
        if row is not None:
            return " ".join(str(row[k]) for k in ("given_names", "paternal_surname",
                                                   "maternal_surname") if row.get(k))
    return f"{entity} {entity_id[:8]}"


def conflicts(session: Session, status: str | None = PENDING) -> list[Conflict]:
    """The conflicts kept for review (``pendiente``, ``revisado``, or None: all), oldest
    first. Values of reserved person fields read «Reservado» for a role that may not see
    them."""
    session.require(Permission.SYNC)
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    sensitive_ok = session.can(Permission.VIEW_SENSITIVE)
    out = []
    for r in session.store.rows(
            f"SELECT * FROM sync_conflict {where} ORDER BY detected_at, id", params):
        withheld = (r["entity"] == "person" and r["field"] in SENSITIVE_PERSON_FIELDS
                    and not sensitive_ok)
        winner_casa, winner_at = _op_origin(session, r["winner_op_id"])
        loser_casa, loser_at = _op_origin(session, r["loser_op_id"])
        hidden = reserved_text()
        out.append(Conflict(
            id=r["id"], entity=r["entity"], entity_id=r["entity_id"], field=r["field"],
            field_label=field_label(r["field"], r["entity"]),
            record_label=_record_label(session, r["entity"], r["entity_id"]),
            winner_value=hidden if withheld else _decode(r["winner_value"]),
            loser_value=hidden if withheld else _decode(r["loser_value"]),
            winner_casa=winner_casa, loser_casa=loser_casa, winner_at=winner_at,
            loser_at=loser_at, detected_at=r["detected_at"], status=r["status"],
            reviewed_by=r["reviewed_by"], reviewed_at=r["reviewed_at"], note=r["note"] or "",
            withheld=withheld,
        ))
    return out


def resolve_conflict(session: Session, conflict_id: str, keep: str = KEEP_WINNER,
                     note: str = "") -> dict[str, Any]:
    """Settle a conflict: keep the applied winner, or write the loser's value back as a new
    logged update (it travels to the casas); either way the conflict becomes *revisado*,
    in the same transaction. Returns what was written to the record ({} for the winner)."""
    session.require(Permission.SYNC)
    _require_hq(session)
    if keep not in (KEEP_WINNER, KEEP_LOSER):
        raise ValueError(f"keep must be {KEEP_WINNER!r} or {KEEP_LOSER!r}, not {keep!r}")
    store = session.store
    row = store.one("SELECT * FROM sync_conflict WHERE id = ?", [conflict_id])
    if row is None:
        raise _invalid("conflict", _("That conflict no longer exists."))
    if row["status"] != PENDING:
        raise _invalid("conflict", _(
            "That conflict was already reviewed on {date}.").format(
                date=str(row["reviewed_at"] or "")[:10]))
    if (keep == KEEP_LOSER and row["entity"] == "person"
            and row["field"] in SENSITIVE_PERSON_FIELDS
            and not session.can(Permission.VIEW_SENSITIVE)):
        session.require(Permission.VIEW_SENSITIVE)
    written: dict[str, Any] = {}
    with session.transaction() as tx:
        if keep == KEEP_LOSER:
            if store.get(row["entity"], row["entity_id"]) is None:
                raise _invalid("conflict", _(
                    "The record of this conflict is not here any more; keep the applied"
                    " value."))
            written = tx.update(row["entity"], row["entity_id"],
                                {row["field"]: _decode(row["loser_value"])})
        store.conn.execute(
            "UPDATE sync_conflict SET status = ?, reviewed_by = ?, reviewed_at = ?, note = ?"
            " WHERE id = ?", [REVIEWED, session.user_id, _now(), note.strip(), conflict_id])
    return written


# --- the same person at two casas -----------------------------------------------------------


@dataclass(frozen=True)
class PersonBrief:
    id: str
    full_name: str
    casa_id: str
    birth_date: str | None
    documents: list[str]


@dataclass(frozen=True)
class CrossCasaPair:
    """Two persons of different casas the matching finds probably the same."""

    first: PersonBrief
    second: PersonBrief
    score: int
    reasons: list[str]


def _person_input(row: dict[str, Any], docs: list[tuple[str, str]],
                  today: dt.date) -> PersonInput:
    birth = dt.date.fromisoformat(row["birth_date"][:10]) if row["birth_date"] else None
    estimated = bool(row["birth_date_estimated"])
    return PersonInput(
        given_names=row["given_names"] or "", paternal_surname=row["paternal_surname"] or "",
        maternal_surname=row["maternal_surname"] or "", sex=row["sex"] or "",
        birth_date=None if estimated else birth,
        estimated_age=age_on(birth, today) if estimated and birth else None,
        phone=row["phone"] or "", whatsapp=row["whatsapp"] or "",
        documents=[DocumentInput(t, n) for t, n in docs],
    )


def _brief(row: dict[str, Any], docs: list[tuple[str, str]]) -> PersonBrief:
    name = " ".join(str(row[k]) for k in ("given_names", "paternal_surname",
                                           "maternal_surname") if row.get(k))
    return PersonBrief(row["id"], name, row["casa_id"] or "", row["birth_date"],
                       [f"{t} {n}".strip() for t, n in docs])


def _linked_pairs(session: Session) -> set[frozenset[str]]:
    return {frozenset((r["person_id"], r["same_as_id"])) for r in session.store.rows(
        "SELECT person_id, same_as_id FROM person_link WHERE active = 1 AND deleted = 0")}


def cross_casa_duplicates(session: Session, today: dt.date | None = None,
                          limit: int = 500) -> list[CrossCasaPair]:
    """Pairs of persons registered at different casas that the front desk's matching
    says are probably the same, best first; pairs already linked are left out."""
    session.require(Permission.SYNC)
    session.require(Permission.VIEW_PERSONS)
    today = today or dt.date.today()
    store = session.store
    rows = [dict(r) for r in store.rows(
        "SELECT id, given_names, paternal_surname, maternal_surname, sex, birth_date,"
        " birth_date_estimated, phone, whatsapp, casa_id FROM person WHERE deleted = 0"
        " ORDER BY rowid")]
    if len({r["casa_id"] for r in rows}) < 2:
        return []
    docs: dict[str, list[tuple[str, str]]] = {}
    for person_id, doc_type, number in store.conn.execute(
            "SELECT person_id, doc_type, number FROM document WHERE deleted = 0 ORDER BY rowid"):
        docs.setdefault(person_id, []).append((doc_type, number))
    by_id = {r["id"]: r for r in rows}
    found = find_duplicates_many(
        session, [_person_input(r, docs.get(r["id"], []), today) for r in rows],
        today=today, limit=10)
    linked = _linked_pairs(session)
    pairs: dict[frozenset[str], CrossCasaPair] = {}
    for row, candidates in zip(rows, found, strict=True):
        for cand in candidates:
            other = by_id.get(cand.person_id)
            if other is None or other["id"] == row["id"] or other["casa_id"] == row["casa_id"]:
                continue
            key = frozenset((row["id"], other["id"]))
            if key in linked:
                continue
            known = pairs.get(key)
            if known is not None and known.score >= cand.score:
                continue
            first, second = sorted((row, other), key=lambda r: (r["casa_id"] or "", r["id"]))
            pairs[key] = CrossCasaPair(_brief(first, docs.get(first["id"], [])),
                                       _brief(second, docs.get(second["id"], [])),
                                       cand.score, list(cand.reasons))
    return sorted(pairs.values(), key=lambda p: (-p.score, p.first.full_name,
                                                 p.first.id))[:limit]


@dataclass(frozen=True)
class PersonLink:
    id: str
    person_id: str
    same_as_id: str
    other: PersonBrief  # the other person of the link, seen from the one asked about
    active: bool
    made_by: str | None
    made_at: str
    undone_by: str | None
    undone_at: str | None
    note: str


def merge(session: Session, person_id: str, same_as_id: str, note: str = "") -> str:
    """«Es la misma persona»: link two persons of different casas (a logged, synchronised
    ``person_link``; nothing of either record changes). Returns the link's id."""
    session.require(Permission.SYNC)
    _require_hq(session)
    if person_id == same_as_id:
        raise _invalid("same_as_id", _("Choose two different persons."))
    store = session.store
    a, b = store.get("person", person_id), store.get("person", same_as_id)
    if a is None or b is None or a["deleted"] or b["deleted"]:
        raise _invalid("same_as_id", _(
            "One of the two persons is no longer registered here."))
    if frozenset((person_id, same_as_id)) in _linked_pairs(session):
        raise _invalid("same_as_id", _(
            "These two persons are already linked as the same person."))
    with session.transaction() as tx:
        return tx.create("person_link", {
            "person_id": person_id, "same_as_id": same_as_id, "active": 1,
            "made_by": session.user_id, "made_at": _now(), "note": note.strip()})


def unmerge(session: Session, link_id: str) -> None:
    """«Deshacer»: the link stops counting (``active`` 0, who and when); it stays in the
    history and the undoing travels like the link did."""
    session.require(Permission.SYNC)
    _require_hq(session)
    row = session.store.get("person_link", link_id)
    if row is None or row["deleted"]:
        raise _invalid("link", _("That link no longer exists."))
    if not row["active"]:
        raise _invalid("link", _("That link was already undone."))
    with session.transaction() as tx:
        tx.update("person_link", link_id, {"active": 0, "undone_by": session.user_id,
                                           "undone_at": _now()})


def person_links(session: Session, person_id: str,
                 include_undone: bool = False) -> list[PersonLink]:
    """The links of ``person_id`` (either side), newest first, for their page."""
    session.require(Permission.VIEW_PERSONS)
    store = session.store
    out = []
    for r in store.rows(
            "SELECT * FROM person_link WHERE deleted = 0 AND (person_id = ? OR same_as_id = ?)"
            " ORDER BY made_at DESC, id", [person_id, person_id]):
        if not r["active"] and not include_undone:
            continue
        other_id = r["same_as_id"] if r["person_id"] == person_id else r["person_id"]
        other = store.get("person", other_id)
        brief = (_brief(dict(other), []) if other is not None
                 else PersonBrief(other_id, _("(registered at another casa)"), "", None, []))
        out.append(PersonLink(r["id"], r["person_id"], r["same_as_id"], brief,
                              bool(r["active"]), r["made_by"], r["made_at"], r["undone_by"],
                              r["undone_at"], r["note"] or ""))
    return out


@dataclass(frozen=True)
class LinkRow:
    """A link made at headquarters, with both persons (for the review screen)."""

    id: str
    first: PersonBrief
    second: PersonBrief
    active: bool
    made_at: str
    undone_at: str | None
    note: str


def all_links(session: Session, include_undone: bool = False) -> list[LinkRow]:
    """Every «misma persona» link, newest first (undone ones too if asked)."""
    session.require(Permission.SYNC)
    session.require(Permission.VIEW_PERSONS)
    store = session.store
    out = []
    for r in store.rows("SELECT * FROM person_link WHERE deleted = 0"
                        + ("" if include_undone else " AND active = 1")
                        + " ORDER BY made_at DESC, id"):
        briefs = []
        for pid in (r["person_id"], r["same_as_id"]):
            row = store.get("person", pid)
            briefs.append(_brief(dict(row), []) if row is not None else PersonBrief(
                pid, _("(registered at another casa)"), "", None, []))
        out.append(LinkRow(r["id"], briefs[0], briefs[1], bool(r["active"]), r["made_at"],
                           r["undone_at"], r["note"] or ""))
    return out


__all__ = [
    "KEEP_LOSER", "KEEP_WINNER", "PENDING", "REVIEWED", "Conflict", "CrossCasaPair",
    "InstallationHistory", "LinkRow", "NotAtHeadquartersError", "PersonBrief", "PersonLink",
    "SyncFileRow", "all_links", "casa_name", "conflicts", "cross_casa_duplicates", "file_log",
    "gaps_text", "merge", "missing_ranges", "person_links", "resolve_conflict",
    "sync_history", "unmerge", "value_text",
]
