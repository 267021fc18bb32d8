"""Headquarters' review of the sync (issue #10.4): history per installation, conflicts kept
for review and settled both ways (keeping the loser travels as a new operation), persons of
two casas found probably the same, linked and unlinked (logged, reversible, travelling)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from acting import act_as

from oma_desktop.core.actor import Actor
from oma_desktop.core.errors import PermissionDeniedError, ValidationError
from oma_desktop.services import sync_review as review
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.sync import exchange as ex
from oma_desktop.sync.keys import PublicKeys

TODAY = dt.date(2026, 12, 1)


@dataclass
class Network:
    hq: AppContext
    cv1: AppContext
    cv2: AppContext

    def send(self, casa: AppContext, name: str = "") -> ex.ImportReport:
        """The casa's export imported at headquarters."""
        export = ex.build_export(casa.session.store, _station(casa))
        return ex.import_export(self.hq.session.store, export.data, name or "x.omasync")

    def reference(self, casa: AppContext) -> ex.ReferenceReport:
        data = ex.build_reference(self.hq.session.store, casa.session.casa_id).data
        return ex.import_reference(casa.session.store, data)


def hq_context(folder: Path) -> AppContext:
    """A headquarters folder acting as its own administrator account (not the seeded
    reception account of CV1, which the casa edits too)."""
    context = open_context(folder, mode="hq")
    with context.session.transaction() as tx:
        user = tx.create("app_user", {"username": "sede", "display_name": "Sede central",
                                      "role": "admin_hq", "casa_id": "CV1"})
    actor = Actor(user_id=user, role="admin_hq", casa_id="CV1", display_name="Sede central")
    context.actor = context.session.actor = actor
    return context


def _station(ctx: AppContext) -> str:
    from oma_desktop.services.installation import station_tag

    return station_tag(ctx.session.store.installation_id)


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Network]:
    hq = hq_context(tmp_path / "hq")
    hq_store = hq.session.store
    ex.ensure_own_keys(hq_store)
    hq_file = ex.own_public_keys(hq_store, "").to_file(ex.own_keys(hq_store))
    casas = []
    for casa in ("CV1", "CV2"):
        ctx = act_as(open_context(tmp_path / casa, casa=casa), "coordinacion")
        store = ctx.session.store
        secret = ex.ensure_own_keys(store)
        store.set_meta(ex.HQ_KEYS_META, hq_file.decode())
        ex.register_peer(hq_store, PublicKeys.from_file(
            ex.own_public_keys(store, _station(ctx)).to_file(secret)))
        casas.append(ctx)
    network = Network(hq, *casas)
    yield network
    for ctx in (hq, *casas):
        ctx.close()


def _register(ctx: AppContext, given: str, paternal: str, birth: dt.date | None,
              document: str = "", phone: str = "") -> str:
    docs = [DocumentInput("CE", document)] if document else []
    return register_person(ctx.session, PersonInput(
        given_names=given, paternal_surname=paternal, maternal_surname="Pérez", sex="F",
        birth_date=birth, nationality="VEN", phone=phone, consent_register=True,
        documents=docs), TODAY)


def _conflict(net: Network) -> tuple[str, review.Conflict]:
    """A phone changed at CV1 and at CV2 (which holds a copy of the same person)."""
    cv1, cv2 = net.cv1.session.store, net.cv2.session.store
    pid = _register(net.cv1, "Yusmary", "Rondón", dt.date(1990, 3, 4))
    net.send(net.cv1)
    cv2.apply(cv1.operations(pid))  # as a restored copy of CV1's database would hold it
    with cv1.transaction("u") as tx:
        tx.update("person", pid, {"phone": "911111111"})
    with cv2.transaction("u") as tx:
        tx.update("person", pid, {"phone": "922222222"})
    net.send(net.cv1)
    assert net.send(net.cv2).conflicts == 1
    [conflict] = review.conflicts(net.hq.session)
    return pid, conflict


def test_history_per_installation_counts_files_operations_and_open_gaps(net: Network) -> None:
    session = net.hq.session
    _register(net.cv1, "Ana", "Quispe", dt.date(1988, 1, 2))
    net.send(net.cv1, "cv1-a.omasync")
    lines = {h.casa_id: h for h in review.sync_history(session)}
    assert set(lines) == {"CV1", "CV2"}
    cv1 = lines["CV1"]
    own_ops = net.cv1.session.store.scalar(
        "SELECT count(*) FROM change_log WHERE installation = ?",
        [net.cv1.session.store.installation_id])
    assert (cv1.files, cv1.last_file_name, cv1.operations, cv1.gaps) == (
        1, "cv1-a.omasync", own_ops, [])
    assert cv1.held_seq == own_ops and cv1.casa_name == "Casa Vecinal 1"
    assert (lines["CV2"].files, lines["CV2"].last_file_at) == (0, None)
    assert [f.file_name for f in review.file_log(session)] == ["cv1-a.omasync"]


def test_history_shows_the_gap_until_a_later_file_fills_it(net: Network) -> None:
    session = net.hq.session
    cv1 = net.cv1.session.store
    _register(net.cv1, "Ana", "Quispe", dt.date(1988, 1, 2))
    own_ops = cv1.scalar("SELECT count(*) FROM change_log WHERE installation = ?",
                         [cv1.installation_id])
    # the casa believes headquarters holds its first two operations (headquarters went
    # back to an older backup): its file starts at the third
    cv1.set_meta(ex.ACKED_META, "2")
    assert net.send(net.cv1, "tarde.omasync").gaps == [(1, 2)]
    line = next(h for h in review.sync_history(session) if h.casa_id == "CV1")
    assert (line.gaps, line.gaps_text, line.held_seq) == ([(1, 2)], "1–2", 0)
    assert line.operations == own_ops - 2
    [entry] = review.file_log(session, cv1.installation_id)
    assert entry.gaps == [(1, 2)]
    cv1.set_meta(ex.ACKED_META, "0")
    net.send(net.cv1, "completo.omasync")
    line = next(h for h in review.sync_history(session) if h.casa_id == "CV1")
    assert (line.gaps, line.held_seq, line.files, line.last_file_name) == (
        [], own_ops, 2, "completo.omasync")


def test_keeping_the_winner_only_marks_the_conflict_reviewed(net: Network) -> None:
    pid, conflict = _conflict(net)
    session = net.hq.session
    store = session.store
    applied = store.get("person", pid)["phone"]
    assert applied == conflict.winner_value
    ops_before = store.scalar("SELECT count(*) FROM change_log")
    assert review.resolve_conflict(session, conflict.id, review.KEEP_WINNER, "Confirmado") == {}
    assert store.scalar("SELECT count(*) FROM change_log") == ops_before
    assert review.conflicts(session) == []
    [done] = review.conflicts(session, review.REVIEWED)
    assert (done.note, done.reviewed_by) == ("Confirmado", session.user_id)
    with pytest.raises(ValidationError, match="ya fue revisado"):
        review.resolve_conflict(session, conflict.id, review.KEEP_LOSER)


def test_keeping_the_loser_writes_it_as_a_new_operation_that_travels_to_the_casa(
    net: Network,
) -> None:
    pid, conflict = _conflict(net)
    session = net.hq.session
    store = session.store
    assert conflict.loser_value != conflict.winner_value
    written = review.resolve_conflict(session, conflict.id, review.KEEP_LOSER, "Llamamos")
    assert written == {"phone": conflict.loser_value}
    assert store.get("person", pid)["phone"] == conflict.loser_value
    op = store.one("SELECT * FROM change_log WHERE op_id = ?",
                   [store.get("person", pid)["last_op_id"]])
    assert (op["installation"], op["user_id"], op["kind"]) == (
        store.installation_id, session.user_id, "update")
    assert review.conflicts(session, review.REVIEWED)[0].note == "Llamamos"
    # headquarters' operation goes back in the reference file: both casas end with it
    for casa in (net.cv1, net.cv2):
        net.reference(casa)
        assert casa.session.store.get("person", pid)["phone"] == conflict.loser_value


def test_resolving_needs_the_sync_permission(net: Network) -> None:
    _pid, conflict = _conflict(net)
    act_as(net.hq, "analista")
    with pytest.raises(PermissionDeniedError):
        review.resolve_conflict(net.hq.session, conflict.id, review.KEEP_LOSER)
    with pytest.raises(PermissionDeniedError):
        review.conflicts(net.hq.session)


def test_duplicates_across_casas_are_found_and_linked_reversibly(net: Network) -> None:
    session = net.hq.session
    a = _register(net.cv1, "María José", "Gonzales", dt.date(1985, 6, 7), "001234567")
    b = _register(net.cv2, "Maria Jose", "González", dt.date(1985, 6, 7), "1234567")
    _register(net.cv2, "Pedro", "Ramírez", dt.date(1970, 2, 2))
    same_casa = _register(net.cv1, "Maria Jose", "Gonzales", dt.date(1985, 6, 7))
    net.send(net.cv1)
    net.send(net.cv2)
    pairs = review.cross_casa_duplicates(session, today=TODAY)
    found = {frozenset((p.first.id, p.second.id)) for p in pairs}
    assert frozenset((a, b)) in found
    assert frozenset((a, same_casa)) not in found  # one casa's own duplicates are its own
    assert all(p.first.casa_id != p.second.casa_id for p in pairs)
    pair = next(p for p in pairs if {p.first.id, p.second.id} == {a, b})
    assert pair.score == 100 and any("documento" in r for r in pair.reasons)

    link = review.merge(session, a, b, "Mismo carné")
    store = session.store
    op = store.one("SELECT * FROM change_log WHERE entity = 'person_link' AND entity_id = ?",
                   [link])
    assert (op["kind"], op["installation"]) == ("create", store.installation_id)
    assert frozenset((a, b)) not in {frozenset((p.first.id, p.second.id))
                                     for p in review.cross_casa_duplicates(session, today=TODAY)}
    [seen] = review.person_links(session, b)
    assert (seen.other.id, seen.other.casa_id, seen.note) == (a, "CV1", "Mismo carné")
    with pytest.raises(ValidationError, match="ya están vinculadas"):
        review.merge(session, b, a)
    # the link travels back to the casas with the reference file
    net.reference(net.cv1)
    assert net.cv1.session.store.get("person_link", link)["active"] == 1
    assert [lk.id for lk in review.person_links(net.cv1.session, a)] == [link]

    review.unmerge(session, link)
    row = store.get("person_link", link)
    assert (row["active"], row["undone_by"]) == (0, session.user_id) and row["undone_at"]
    assert review.person_links(session, a) == []
    assert [lk.active for lk in review.person_links(session, a, include_undone=True)] == [False]
    assert frozenset((a, b)) in {frozenset((p.first.id, p.second.id))
                                 for p in review.cross_casa_duplicates(session, today=TODAY)}
    with pytest.raises(ValidationError, match="ya fue deshecho"):
        review.unmerge(session, link)
    net.reference(net.cv1)
    assert net.cv1.session.store.get("person_link", link)["active"] == 0
    # and it can be made again
    assert review.merge(session, b, a) != link


def test_only_headquarters_links_persons(net: Network) -> None:
    a = _register(net.cv1, "Ana", "Quispe", dt.date(1988, 1, 2))
    b = _register(net.cv1, "Luz", "Mamani", dt.date(1990, 1, 2))
    with pytest.raises(review.NotAtHeadquartersError, match="sede central"):
        review.merge(net.cv1.session, a, b)
