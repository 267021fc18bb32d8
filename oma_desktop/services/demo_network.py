"""A whole demo network (``oma-desktop demo-network DIR``, issue #10): six casa folders and
one headquarters folder that have exchanged sync files over several rounds, so a newcomer
sees the whole flow.

``DIR/sede-central`` is a headquarters installation; ``DIR/CV1`` … ``DIR/CV6`` are casas,
each with its own small demo (only its own casa's records, logged as that PC's work). All
are encrypted with the same account and password (the demo's), and every role gets its demo
account. Each folder's ``usb/`` subfolder stands for the stick: the files it wrote there
(key files, sync files, reference files) stay for the newcomer to look at.

Rounds: every casa exports → headquarters imports them all → headquarters writes each casa's
reference file → the casas import it → the casas work a little more (new persons, an edited
phone, a consultation; headquarters edits the directory) → the next round.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import _
from oma_desktop.services import sync
from oma_desktop.services.accounts import Credentials, demo_accounts
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.demo import build_demo
from oma_desktop.services.installation import SYSTEM_USER
from oma_desktop.services.session import Session

Progress = Callable[[int, int, str], None]
HQ_FOLDER = "sede-central"
STICK = "usb"


@dataclass
class NetworkStats:
    folders: list[Path] = field(default_factory=list)
    persons: dict[str, int] = field(default_factory=dict)  # casa -> persons it registered
    files: int = 0  # sync and reference files exchanged
    applied: int = 0  # operations applied at headquarters
    hq_persons: int = 0


def build_demo_network(
    root: Path,
    persons: int,
    credentials: Credentials,
    *,
    rounds: int = 3,
    seed: int = 1,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> NetworkStats:
    """Build the network in the new folder ``root``; ``persons`` per casa."""
    root = Path(root)
    if rounds < 1:
        raise OmaError(_("The number of rounds must be at least 1."))
    if root.exists() and any(root.iterdir()):
        raise OmaError(_(
            "The folder {folder} is not empty. The demo network is built in a new, empty"
            " folder: choose another one.").format(folder=root))
    stats = NetworkStats()
    hq_dir = root / HQ_FOLDER
    hq = open_context(hq_dir, mode="hq", credentials=credentials,
                      program=_("the demo-network builder"))
    contexts: dict[str, AppContext] = {}
    try:
        casas = [c.code for c in hq.catalogs.casas]
        steps = len(casas) * (1 + rounds) + rounds
        done = 0

        def tick(label: str) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(min(done, steps), steps, label)

        if hq.vault is not None:
            demo_accounts(hq.session.store, hq.vault, credentials.password, SYSTEM_USER)
        hq_stick = _stick(hq_dir)
        enrol = sync.setup_hq(hq.session, hq_stick).path
        stats.folders.append(hq_dir)
        for number, casa in enumerate(casas):
            folder = root / casa
            made = build_demo(folder, persons, seed=seed + number, casa=casa, only_casa=True,
                              today=today, credentials=credentials)
            ctx = open_context(folder, credentials=credentials,
                               program=_("the demo-network builder"))
            contexts[casa] = ctx
            key = sync.setup_casa(ctx.session, enrol, _stick(folder), vault=ctx.vault).path
            sync.register_casa(hq.session, key)
            stats.folders.append(folder)
            stats.persons[casa] = made.persons
            tick(_("Casa {casa} ready").format(casa=casa))
        rng = random.Random(seed)
        for round_ in range(1, rounds + 1):
            if round_ > 1:
                for casa, ctx in contexts.items():
                    stats.persons[casa] += _more_work(ctx.session, rng, round_)
                _headquarters_work(hq.session, round_)
            files = [sync.export_to(ctx.session, _stick(folder_of(ctx))).path
                     for ctx in contexts.values()]
            for item in sync.import_files(hq.session, files):
                if not item.ok:  # pragma: no cover - the builder's own files
                    raise OmaError(item.error or "")
                assert item.report is not None
                stats.applied += item.report.applied
            tick(_("Round {n}: headquarters imported the casas' files").format(n=round_))
            for casa, ctx in contexts.items():
                ref = sync.export_reference(hq.session, casa, hq_stick)
                sync.import_reference(ctx.session, ref.path)
                tick(_("Round {n}: casa {casa} received its reference data").format(
                    n=round_, casa=casa))
            stats.files += 2 * len(files)
        stats.hq_persons = int(hq.session.store.scalar(
            "SELECT count(*) FROM person WHERE deleted = 0") or 0)
        return stats
    finally:
        for ctx in contexts.values():
            ctx.close()
        hq.close()


def folder_of(ctx: AppContext) -> Path:
    return ctx.paths.root


def _stick(folder: Path) -> Path:
    stick = folder / STICK
    stick.mkdir(parents=True, exist_ok=True)
    return stick


_NAMES = (("María José", "Rondón", "F"), ("Luis Alberto", "Pérez", "M"),
          ("Yusmary", "González", "F"), ("Carlos", "Mendoza", "M"),
          ("Daniela", "Rivas", "F"), ("José Gregorio", "Silva", "M"))


def _more_work(session: Session, rng: random.Random, round_: int) -> int:
    """A day's work at a casa between two rounds: two new persons with a consultation each,
    and a phone number corrected. Returns the persons registered."""
    store = session.store
    now = dt.datetime.now().replace(microsecond=0)
    existing = store.scalar("SELECT id FROM person WHERE deleted = 0 ORDER BY created_at, id"
                            " LIMIT 1 OFFSET ?", [round_])
    made = 0
    with session.transaction() as tx:
        for _n in range(2):
            given, surname, sex = _NAMES[rng.randrange(len(_NAMES))]
            person = tx.create("person", {
                "casa_id": session.casa_id, "given_names": given, "paternal_surname": surname,
                "sex": sex, "nationality": "VE", "phone": f"9{rng.randrange(10**7, 10**8)}",
                "consent_register": 1, "consent_date": now.date().isoformat(),
                "consent_recorded_by": session.user_id, "created_at": now.isoformat(),
            })
            tx.create("consultation", {
                "person_id": person, "casa_id": session.casa_id,
                "staff_user_id": session.user_id, "occurred_at": now.isoformat(
                    timespec="minutes"), "channel": "presencial",
                "topics": '["ORIENTACION"]', "summary": "Consulta de orientación general",
                "actions": "Se brindó orientación", "outcome": "Orientada",
            })
            made += 1
        if existing:
            tx.update("person", str(existing), {"phone": f"9{rng.randrange(10**7, 10**8)}"})
    return made


def _headquarters_work(session: Session, round_: int) -> None:
    """Headquarters keeps the directory up to date: the first service's hours change."""
    service = session.store.scalar("SELECT id FROM service ORDER BY id LIMIT 1")
    if service is None:
        return
    with session.transaction() as tx:
        tx.update("service", str(service), {
            "hours": f"Lunes a viernes de 8:30 a 16:30 (actualizado, ronda {round_})"})
