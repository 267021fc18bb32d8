"""Referrals: consent, codes, lifecycle, outcome from the stub, overdue listing, slip data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from pathlib import Path

import pytest

from oma_desktop.core.errors import ValidationError
from oma_desktop.core.seed import service_id
from oma_desktop.services.context import AppContext
from oma_desktop.services.installation import station_tag
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.services.referrals import (
    ReferralInput,
    change_status,
    create_referral,
    find_by_code,
    get_referral,
    list_referrals,
    normalize_code,
    record_outcome,
    slip_person_lines,
)
from oma_desktop.services.session import Session

NOW = dt.datetime(2026, 11, 27, 10, 30)
SIS = service_id("SIS")


def _person(ctx: AppContext, consent: bool = True, given: str = "María José") -> str:
    return register_person(
        ctx.session,
        PersonInput(given_names=given, paternal_surname="Pérez", sex="F", nationality="VE",
                    phone="987654321", birth_date=dt.date(1990, 1, 2), consent_register=True,
                    consent_refer=consent,
                    documents=[DocumentInput(doc_type="PASAPORTE", number="123456789")]),
        NOW.date(),
    )


def _refer(session: Session, pid: str, **kw: object) -> str:
    data = ReferralInput(person_id=pid, service_id=SIS, reason="Afiliación al SIS")
    return create_referral(session, dataclasses.replace(data, **kw), NOW)  # type: ignore[arg-type]


def test_code_due_date_and_first_event(ctx: AppContext) -> None:
    pid = _person(ctx)
    first = get_referral(ctx.session, _refer(ctx.session, pid, priority="urgente"))
    second = get_referral(ctx.session, _refer(ctx.session, pid, priority="emergencia"))
    third = get_referral(ctx.session, _refer(ctx.session, pid))
    tag = station_tag(ctx.session.store.installation_id)
    assert (first.code, second.code, third.code) == (
        f"CV1-2026-000001-{tag}", f"CV1-2026-000002-{tag}", f"CV1-2026-000003-{tag}")
    assert (first.due_date, second.due_date, third.due_date) == (
        dt.date(2026, 11, 30), dt.date(2026, 11, 28), dt.date(2026, 12, 11))
    assert [(e.status, e.user_name) for e in first.events] == [("emitida", "Recepción")]
    assert get_referral(ctx.session, "cv1 2026 000002").id == second.id


def test_validation_in_spanish(ctx: AppContext) -> None:
    pid = _person(ctx)
    with pytest.raises(ValidationError) as err:
        create_referral(ctx.session, ReferralInput(person_id=pid, service_id="x", reason=" ",
                                                   priority="ya", shared=["religion"]), NOW)
    assert set(err.value.fields) == {"service_id", "reason", "priority", "shared"}
    assert err.value.fields["reason"] == "Escriba el motivo de la derivación."


@pytest.mark.usefixtures("coordinator")
def test_no_consent_blocks_and_override_is_recorded(ctx: AppContext) -> None:
    pid = _person(ctx, consent=False)
    with pytest.raises(ValidationError) as err:
        _refer(ctx.session, pid)
    assert "consent_override" in err.value.fields
    assert ctx.session.store.scalar("SELECT count(*) FROM referral") == 0
    view = get_referral(ctx.session, _refer(
        ctx.session, pid, consent_override="Riesgo de salud, la persona no puede firmar"))
    assert view.consent_override == "Riesgo de salud, la persona no puede firmar"
    assert view.staff_user_id == ctx.session.user_id
    assert view.events[0].feedback.startswith("Derivada sin consentimiento por Recepción")
    # the slip shows the initials and nothing else, whatever "shared" lists
    assert slip_person_lines(ctx.session, view) == [("Nombre", "M. J. P.")]


def test_override_refused_for_a_role_that_cannot_override(ctx: AppContext) -> None:
    pid = _person(ctx, consent=False)
    desk = Session(ctx.session.store, ctx.catalogs,
                        dataclasses.replace(ctx.session.actor, role="recepcion"))
    with pytest.raises(ValidationError) as err:
        _refer(desk, pid, consent_override="urgente")
    assert err.value.fields["consent_override"] == (
        "Solo una coordinadora o un coordinador puede derivar a una persona sin su"
        " consentimiento.")


def test_slip_shows_only_shared_fields(ctx: AppContext) -> None:
    pid = _person(ctx)
    view = get_referral(ctx.session, _refer(ctx.session, pid, shared=["name", "age"]))
    lines = slip_person_lines(ctx.session, view, today=NOW.date())
    assert lines == [("Nombre", "María José Pérez"), ("Edad", "36")]
    everything = get_referral(ctx.session, _refer(
        ctx.session, pid, shared=["name", "document", "phone", "nationality", "age"]))
    values = [v for _l, v in slip_person_lines(ctx.session, everything, NOW.date())]
    assert values == ["María José Pérez", "Pasaporte 123456789", "36", "VE", "987654321"]


def test_lifecycle_transitions_signed_and_dated(ctx: AppContext) -> None:
    pid = _person(ctx)
    rid = _refer(ctx.session, pid)
    change_status(ctx.session, rid, "entregada", now=NOW + dt.timedelta(hours=1))
    with pytest.raises(ValidationError) as err:
        change_status(ctx.session, rid, "emitida")
    assert err.value.fields["status"] == (
        "Una derivación entregada no puede pasar a emitida.")
    code = get_referral(ctx.session, rid).code
    assert record_outcome(ctx.session, f"  {code.lower()} ", "atendida", "Afiliado",
                          NOW + dt.timedelta(days=2)) == rid
    view = get_referral(ctx.session, rid)
    assert view.status == "atendida"
    assert [(e.status, e.at, e.feedback) for e in view.events] == [
        ("emitida", NOW.replace(second=0), ""),
        ("entregada", NOW + dt.timedelta(hours=1), ""),
        ("atendida", NOW + dt.timedelta(days=2), "Afiliado"),
    ]
    with pytest.raises(ValidationError):  # closed: no more changes
        change_status(ctx.session, rid, "cancelada")
    # an issued slip that comes straight back is accepted
    other = _refer(ctx.session, pid)
    record_outcome(ctx.session, get_referral(ctx.session, other).code, "rechazada")
    assert get_referral(ctx.session, other).status == "rechazada"
    with pytest.raises(ValidationError) as unknown:
        record_outcome(ctx.session, "CV9-2026-9", "atendida")
    assert unknown.value.fields["code"] == (
        "Ninguna derivación tiene el código CV9-2026-000009. Compárelo con la boleta.")


def test_normalize_code() -> None:
    assert normalize_code(" cv3-2026-123-7kq ") == "CV3-2026-000123-7KQ"
    assert normalize_code("CV3 2026 123 7OL") == "CV3-2026-000123-701"  # O, L read as 0, 1
    assert normalize_code(" cv3-2026-123 ") == "CV3-2026-000123"
    assert normalize_code("CV3 2026 000123") == "CV3-2026-000123"
    assert normalize_code("abc") == "ABC"
    assert normalize_code("CV3-2026") == "CV3-2026"


def test_overdue_listing(ctx: AppContext) -> None:
    pid = _person(ctx)
    late = _refer(ctx.session, pid, priority="emergencia")  # due 28/11
    done = _refer(ctx.session, pid, priority="emergencia")
    change_status(ctx.session, done, "atendida")
    later = _refer(ctx.session, pid)  # due 11/12
    today = dt.date(2026, 12, 1)
    assert [r.id for r in list_referrals(ctx.session, overdue_only=True, today=today)] == [late]
    assert [r.id for r in list_referrals(ctx.session)] == [late, done, later]
    assert [r.id for r in list_referrals(ctx.session, status="atendida")] == [done]
    rows = list_referrals(ctx.session, person_id=pid, casa_id="CV1")
    assert rows[0].service_name == "SIS" and rows[0].person_name == "María José Pérez"


def test_two_saves_at_once_never_share_a_number(ctx: AppContext) -> None:
    """Two connections (as two windows or a background job) saving at the same moment."""
    pid = _person(ctx)
    sessions = [ctx.open_session() for _ in range(2)]
    start = threading.Barrier(2)
    codes: list[str] = []
    errors: list[BaseException] = []

    def save(session: Session) -> None:
        try:
            start.wait()
            for _n in range(5):
                codes.append(get_referral(session, _refer(session, pid)).code)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in sessions:
        s.close()
    assert errors == []
    tag = station_tag(ctx.session.store.installation_id)
    assert sorted(codes) == [f"CV1-2026-{n:06d}-{tag}" for n in range(1, 11)]


def test_open_referrals_in_seguimiento_and_every_event_in_the_timeline(ctx: AppContext) -> None:
    from oma_desktop.services.followup import (
        DUE_OVERDUE,
        KIND_REFERRAL,
        CallFilter,
        call_list,
        kind_text,
    )
    from oma_desktop.services.timeline import person_timeline

    pid = _person(ctx)
    late = _refer(ctx.session, pid, priority="emergencia")  # due 28/11
    closed = _refer(ctx.session, pid, priority="emergencia")
    record_outcome(ctx.session, get_referral(ctx.session, closed).code, "atendida", "Afiliada",
                   NOW + dt.timedelta(days=1))
    waiting = _refer(ctx.session, pid, priority="urgente")  # due 30/11
    today = dt.date(2026, 11, 29)
    items = [i for i in call_list(ctx.session, today)[0] if i.kind == KIND_REFERRAL]
    tag = station_tag(ctx.session.store.installation_id)
    assert [(i.ref_id, i.detail) for i in items] == [
        (late, f"CV1-2026-000001-{tag} — SIS"), (waiting, f"CV1-2026-000003-{tag} — SIS")]
    assert [kind_text(i, today) for i in items] == [
        "Derivación vencida", "Derivación en espera"]
    overdue = call_list(ctx.session, today, CallFilter(due=DUE_OVERDUE))[0]
    assert [i.ref_id for i in overdue if i.kind == KIND_REFERRAL] == [late]
    titles = [(e.title, e.detail) for e in person_timeline(ctx.session, pid)
              if e.kind == "referral"]
    assert titles[0] == (f"Derivación CV1-2026-000002-{tag} a SIS — atendida", "Afiliada")
    assert (f"Derivación CV1-2026-000001-{tag} a SIS — emitida", "Afiliación al SIS") in titles
    assert len(titles) == 4  # three issued, one attended


def test_cli_lists_referrals_and_writes_a_slip_then_a_copy(
    desk_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from acting import login
    from pypdf import PdfReader

    from oma_desktop.cli import main

    data_dir = desk_folder
    ctx = login(data_dir, "coordinacion")  # printing slips is desk work (issue #9)
    try:
        pid = _person(ctx)
        _refer(ctx.session, pid, shared=["name"])
        done = _refer(ctx.session, pid, priority="urgente")
        change_status(ctx.session, done, "entregada")
        tag = station_tag(ctx.session.store.installation_id)
    finally:
        ctx.close()
    cli = ["--data-dir", str(data_dir), "--user", "coordinacion"]
    assert main([*cli, "referrals", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"CV1-2026-000002-{tag}  entregada     30/11/2026  SIS",
                     f"CV1-2026-000001-{tag}  emitida       11/12/2026  SIS"]
    assert main([*cli, "referrals", "--status", "emitida"]) == 0
    assert [line[:19] for line in capsys.readouterr().out.splitlines()] == [
        f"CV1-2026-000001-{tag}"]

    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    # the default --user admin (administración de casa) is refused, and nothing is printed
    assert main(["--data-dir", str(data_dir), "slip", "cv1-2026-1", "--out", str(first)]) == 2
    assert "no le permite imprimir boletas de derivación" in capsys.readouterr().err
    assert not first.exists()
    assert main([*cli, "slip", "cv1-2026-1", "--out", str(first)]) == 0
    assert main([*cli, "slip", f"cv1-2026-000001-{tag.lower()}", "--out", str(second)]) == 0
    text = " ".join(p.extract_text() for p in PdfReader(first).pages)
    assert f"CV1-2026-000001-{tag}" in text and "María José Pérez" in text
    assert "123456789" not in text and "987654321" not in text  # not shared
    assert "COPIA" not in text
    assert "COPIA" in " ".join(p.extract_text() for p in PdfReader(second).pages)
    assert main([*cli, "slip", "CV1-2026-000099", "--out", str(first)]) == 1
    assert "CV1-2026-000099" in capsys.readouterr().err


def test_demo_has_referrals_in_every_state_with_consistent_events(tmp_path: Path) -> None:
    from oma_desktop.services.context import open_context
    from oma_desktop.services.demo import build_demo
    from oma_desktop.services.referrals import STATUSES

    stats = build_demo(tmp_path / "demo", 400, seed=3, today=NOW.date())
    ctx = open_context(tmp_path / "demo")
    try:
        store = ctx.session.store
        assert stats.referrals == store.scalar("SELECT count(*) FROM referral") > 6
        found = {r["status"] for r in store.rows("SELECT DISTINCT status FROM referral")}
        assert found == {code for code, _label in STATUSES}
        for r in store.rows("SELECT id, status, person_id FROM referral"):
            view = get_referral(ctx.session, r["id"])
            assert view.events[0].status == "emitida"
            assert view.events[-1].status == r["status"]
            assert view.consent_refer
        for casa_year in store.rows("SELECT casa_id, year, count(*) n, max(number) m"
                                    " FROM referral GROUP BY casa_id, year"):
            assert casa_year["n"] == casa_year["m"]  # numbered 1..n, none skipped or reused
    finally:
        ctx.close()


def test_events_in_the_same_minute_keep_the_lifecycle_order(ctx: AppContext) -> None:
    rid = _refer(ctx.session, _person(ctx))
    change_status(ctx.session, rid, "entregada", now=NOW)
    change_status(ctx.session, rid, "no_atendida", now=NOW)
    assert [e.status for e in get_referral(ctx.session, rid).events] == [
        "emitida", "entregada", "no_atendida"]


@pytest.mark.usefixtures("coordinator")
def test_print_several_slips_counts_them_and_withholds_without_consent(
    ctx: AppContext, tmp_path: Path
) -> None:
    from pypdf import PdfReader

    from oma_desktop.services.referrals import print_slips, slip_data

    agreed = _refer(ctx.session, _person(ctx), shared=["name", "phone"])
    overridden = _refer(ctx.session, _person(ctx, consent=False, given="Ana Luisa"),
                        shared=["name", "phone", "document"], consent_override="Emergencia")
    out = print_slips(ctx.session, [agreed, overridden], tmp_path / "slips.pdf")
    pages = [p.extract_text() for p in PdfReader(out).pages]
    assert len(pages) == 2  # one page per slip
    text = " ".join(pages)
    assert "987654321" in text  # shared, with consent
    assert "Ana Luisa" not in text and "A. L. P." in text
    assert "123456789" not in text
    assert [get_referral(ctx.session, r).printed_count for r in (agreed, overridden)] == [1, 1]
    again = slip_data(ctx.session, overridden)
    assert again.copy and again.paper == "A5"
    assert again.consent_line.endswith("Emergencia")
    assert slip_data(ctx.session, agreed, paper="A4").paper == "A4"


def test_two_pcs_of_one_casa_issue_different_codes_and_a_short_code_finds_the_only_one(
    tmp_path: Path,
) -> None:
    """Each PC counts its own numbers and ends its codes with its station tag, so two PCs
    of CV1 (or a PC installed again) never issue the same code; typed without the tag, a
    code is found while only one station issued that number, and the clerk is asked for
    the whole code once two did."""
    from oma_desktop.services.context import open_context

    first, second = open_context(tmp_path / "pc1"), open_context(tmp_path / "pc2")
    try:
        a = get_referral(first.session, _refer(first.session, _person(first)))
        tag_a = station_tag(first.session.store.installation_id)
        assert a.code == f"CV1-2026-000001-{tag_a}"
        assert get_referral(first.session, "cv1-2026-1").id == a.id
        # the second PC's person and referral reach the first one (as headquarters would
        # hand them on); the same number, another station
        pid = _person(second)
        b = get_referral(second.session, _refer(second.session, pid))
        tag_b = station_tag(second.session.store.installation_id)
        assert tag_a != tag_b and b.code == f"CV1-2026-000001-{tag_b}"
        ops = [op for op in second.session.store.operations()
               if op.installation == second.session.store.installation_id]
        first.session.store.apply(ops)
        assert get_referral(first.session, b.code).id == b.id
        assert get_referral(first.session, a.code).id == a.id
        with pytest.raises(ValidationError) as ambiguous:
            find_by_code(first.session, "CV1-2026-1")
        assert "escriba el código completo" in ambiguous.value.fields["code"].lower()
        # the next code of the first PC goes on from its own station's numbers
        c = get_referral(first.session, _refer(first.session, pid))
        assert c.code == f"CV1-2026-000002-{tag_a}"
    finally:
        first.close()
        second.close()


def test_station_tags_are_three_unambiguous_characters() -> None:
    from oma_desktop.core.ids import new_id

    tags = {station_tag(new_id()) for _i in range(2000)}
    assert all(len(t) == 3 and not set(t) & set("ILOU") for t in tags)
    assert len(tags) > 1500  # 32,768 possible tags: 2,000 ids rarely share one
    assert station_tag("0199aa00-0000-7000-8000-000000000001") == station_tag(
        "0199aa00-0000-7000-8000-000000000001")
