"""An installation's identity: its id, its casa and its mode, written once.

A new data folder gets its identity in ONE transaction: the meta rows and an
``installation`` record (a synchronised entity, so headquarters knows which PC belongs to
which casa). Opening it again with another ``--casa`` or ``--mode`` is refused: changing
the casa of a PC is an administrator's explicit action (``change_casa``), logged like any
other write. Casas and reception accounts are not created here: they are the seeded
headquarters-owned records of ``core/seed.py``, present in every database from migration 3.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.errors import OmaError, ValidationError
from oma_desktop.core.ids import new_id
from oma_desktop.core.seed import HQ_CODE, reception_user_id
from oma_desktop.core.store import Origin, Store
from oma_desktop.i18n import _
from oma_desktop.services.session import Session

SYSTEM_USER = "system"
DEFAULT_USERNAME = "recepcion"
MODES = ("casa", "hq")

log = logging.getLogger(__name__)


class InstallationMismatchError(OmaError):
    """The data folder belongs to another casa or mode than the one asked for."""


class NoInstallationError(OmaError):
    """A new data folder was opened without saying which casa (or headquarters) it is."""


# Scripted set-ups and the test suite only: the casa a NEW data folder gets when the caller
# names none. Nobody's PC sets it, so a real installation never starts as a casa by default
# (issue #12): the first-run assistant, ``setup`` or ``demo`` say which one it is.
NEW_FOLDER_CASA_ENV = "OMA_NEW_FOLDER_CASA"


# Crockford's base32 without I, L, O, U: no letter is misread as a digit on a slip
_STATION_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
STATION_LENGTH = 3


def station_tag(installation_id: str) -> str:
    """The installation's three-character station tag, e.g. ``7KQ``: the last part of the
    referral codes it issues (``CV3-2026-000123-7KQ``), so two PCs of one casa, or a PC
    installed again, never issue the same code. Derived from the installation id (a hash,
    so installations made the same millisecond still differ); headquarters refuses to
    register an installation whose tag another installation already has (issue #10), which
    makes codes unique once consolidated."""
    import hashlib

    value = int.from_bytes(hashlib.sha256(installation_id.encode()).digest()[:4], "big")
    chars = []
    for _i in range(STATION_LENGTH):
        value, digit = divmod(value, 32)
        chars.append(_STATION_ALPHABET[digit])
    return "".join(chars)


def validate_identity(catalogs: Catalogs, casa: str | None, mode: str | None) -> None:
    """Refuse an unknown casa code or mode before anything is written."""
    codes = [c.code for c in catalogs.casas]
    if casa is not None and casa not in codes:
        message = _("There is no casa «{code}». Write one of: {codes} (in capitals).").format(
            code=casa, codes=", ".join(codes))
        raise ValidationError({"casa": message}, message)
    if mode is not None and mode not in MODES:
        message = _("Unknown mode «{mode}». Write casa or hq.").format(mode=mode)
        raise ValidationError({"mode": message}, message)


def ensure_installation(
    store: Store, catalogs: Catalogs, casa: str | None = None, mode: str | None = None
) -> str:
    """Give a new database its identity, or check the one it has; returns the user id."""
    validate_identity(catalogs, casa, mode)
    if not store.installation_id:
        casa, mode = new_identity(catalogs, casa, mode)
        _create_identity(store, casa, mode)
    else:
        _check_identity(store, casa, mode)
        if store.get("installation", store.installation_id) is None:
            _record_installation(store)  # a database from before schema 3
    user_id = store.meta("current_user_id")
    if not user_id or store.get("app_user", user_id) is None:
        user_id = reception_user_id(store.casa_id)
        store.set_meta("current_user_id", user_id)
    return user_id


def new_identity(catalogs: Catalogs, casa: str | None, mode: str | None) -> tuple[str, str]:
    """The (casa, mode) of a new data folder: never a casa nobody chose.

    A casa named (``--casa CV4``, the assistant) is a casa's installation; ``mode="hq"`` is
    headquarters. With neither, only :data:`NEW_FOLDER_CASA_ENV` (tests, scripts) gives a
    casa; otherwise :class:`NoInstallationError` says how to set the folder up."""
    if mode == "hq":
        # headquarters' own casa record «Sede central» (migration 11), never a casa's
        return HQ_CODE, "hq"
    if casa is None:
        casa = os.environ.get(NEW_FOLDER_CASA_ENV) or None
        validate_identity(catalogs, casa, None)
    if casa is None:
        raise NoInstallationError(_(
            "This data folder has no installation yet, and OMA Desktop never chooses a casa"
            " by itself. Open OMA Desktop to follow the setup assistant, or set the folder up"
            " with «oma-desktop --casa CV1 setup casa --enrol FILE --out DIR» (a casa; write"
            " its code), «oma-desktop setup hq --out DIR» (headquarters) or «oma-desktop"
            " demo» (demonstration data)."))
    return casa, "casa"


def _create_identity(store: Store, casa: str, mode: str) -> None:
    installation_id = new_id()
    now = dt.datetime.now().isoformat(timespec="seconds")
    with store.transaction(SYSTEM_USER, origin=Origin(casa, installation_id)) as tx:
        store.set_meta("installation_id", installation_id)
        store.set_meta("casa_id", casa)
        store.set_meta("mode", mode)
        store.set_meta("created_at", now)
        store.set_meta("current_user_id", reception_user_id(casa))
        tx.create(
            "installation",
            {"casa_id": casa, "mode": mode, "created_at": now},
            entity_id=installation_id,
        )
    log.info("new installation %s for casa %s, mode %s", installation_id, casa, mode)


def _record_installation(store: Store) -> None:
    with store.transaction(SYSTEM_USER) as tx:
        tx.create(
            "installation",
            {
                "casa_id": store.casa_id,
                "mode": store.mode,
                "created_at": store.meta("created_at") or dt.datetime.now().isoformat(
                    timespec="seconds"),
            },
            entity_id=store.installation_id,
        )


def _check_identity(store: Store, casa: str | None, mode: str | None) -> None:
    if casa is not None and casa != store.casa_id:
        raise InstallationMismatchError(
            _(
                "This data folder belongs to casa {current}, not {asked}. Open it without "
                "--casa, or choose another data folder. Only an administrator can move this "
                "installation to another casa, with: oma-desktop set-casa {asked} --reason "
                "\"…\"."
            ).format(current=store.casa_id, asked=casa)
        )
    if mode is not None and mode != store.mode:
        raise InstallationMismatchError(
            _(
                "This data folder is a {current} installation, not {asked}. Open it without "
                "--mode, or choose another data folder."
            ).format(current=store.mode, asked=mode)
        )


def change_casa(session: Session, casa: str, reason: str) -> dict[str, object]:
    """Move this installation to another casa: an explicit, logged administrator action.

    Operations written from now on carry the new casa; those already written keep theirs.
    """
    from oma_desktop.services.permissions import Permission

    session.require(Permission.EDIT_CASA_SETTINGS)
    store = session.store
    if store.mode == "hq":
        raise ValidationError({"casa": _(
            "This installation is headquarters: it belongs to no casa. To attend at a casa,"
            " install OMA Desktop there with the setup assistant.")})
    validate_identity(session.catalogs, casa, None)
    if not reason.strip():
        raise ValidationError({"reason": _("Write why this installation changes casa.")})
    if casa == store.casa_id:
        return {}
    previous = store.casa_id
    with session.transaction() as tx:
        changed = tx.update(
            "installation", store.installation_id,
            {"casa_id": casa, "note": reason.strip()},
        )
        store.set_meta("casa_id", casa)
        store.set_meta("current_user_id", reception_user_id(casa))
    log.warning("installation %s moved from casa %s to %s", store.installation_id, previous, casa)
    return changed
