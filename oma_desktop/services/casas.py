"""The six casas vecinales: names and addresses are configurable (no public source gives
them), and every change is logged so headquarters can distribute it."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from oma_desktop.core.errors import ValidationError
from oma_desktop.core.seed import HQ_CODE
from oma_desktop.i18n import _
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session


def list_casas(session: Session) -> list[dict[str, object]]:
    """The casas vecinales (not headquarters' own record ``HQ``), by code."""
    return session.store.rows(
        "SELECT id, name, address, active FROM casa WHERE deleted = 0 AND id <> ? ORDER BY id",
        [HQ_CODE])


def casa_names(session: Session) -> dict[str, str]:
    """Code -> name of every casa ever known (old records may name a retired one)."""
    return {str(r["id"]): str(r["name"]) for r in session.store.rows("SELECT id, name FROM casa")}


def casa_choices(session: Session, *also: str) -> list[tuple[str, str]]:
    """(code, name) of the active casas for a choice list, plus this installation's casa
    and any code in ``also`` (the one a record being edited names) even if not listed."""
    items = [(str(r["id"]), str(r["name"])) for r in list_casas(session)]
    known = {code for code, _name in items}
    names: dict[str, str] | None = None
    for code in (session.casa_id, *also):
        if code and code not in known:
            names = casa_names(session) if names is None else names
            items.append((code, names.get(code, code)))
            known.add(code)
    return items


def update_casa(
    session: Session, code: str, name: str | None = None, address: str | None = None
) -> dict[str, object]:
    """Rename a casa or set its address; returns what changed."""
    session.require(Permission.EDIT_CASA_SETTINGS)
    store = session.store
    if store.get("casa", code) is None:
        codes = ", ".join(str(c["id"]) for c in list_casas(session))
        raise ValidationError(
            {"code": _("There is no casa {code}. Known casas: {codes}.").format(code=code, codes=codes)}
        )
    changes: dict[str, object] = {}
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": _("Write the name of the casa.")})
        changes["name"] = name.strip()
    if address is not None:
        changes["address"] = address.strip()
    with session.transaction() as tx:
        return tx.update("casa", code, changes)


# --- the casa's contact and slip settings (issue #8, Administración) ---------------------

SLIP_PAPERS = ("A5", "A4")
LOGO_MAX_BYTES = 512 * 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class CasaSettings:
    """What Administración edits for one casa; ``logo_png`` is the PNG's bytes (or b"")."""

    code: str
    name: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    hours: str = ""
    logo_png: bytes = b""
    slip_paper: str = "A5"


def casa_settings(session: Session, code: str) -> CasaSettings:
    row = session.store.get("casa", code)
    if row is None:
        raise KeyError(code)
    logo = str(row.get("logo_png") or "")
    return CasaSettings(
        code=code, name=str(row["name"]), address=str(row.get("address") or ""),
        phone=str(row.get("phone") or ""), email=str(row.get("email") or ""),
        hours=str(row.get("hours") or ""),
        logo_png=base64.b64decode(logo) if logo else b"",
        slip_paper=str(row.get("slip_paper") or "A5"),
    )


def validate_casa_settings(data: CasaSettings) -> dict[str, str]:
    """Field -> Spanish message for every problem; empty when it can be saved."""
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = _("Write the name of the casa.")
    email = data.email.strip()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        errors["email"] = _("The email address looks wrong: write it like nombre@munlima.gob.pe.")
    if data.slip_paper not in SLIP_PAPERS:
        errors["slip_paper"] = _("Choose the slip paper: A5 or A4.")
    if data.logo_png:
        if not data.logo_png.startswith(_PNG_SIGNATURE):
            errors["logo_png"] = _("The logo must be a PNG image. Save it as PNG and choose it "
                                   "again.")
        elif len(data.logo_png) > LOGO_MAX_BYTES:
            errors["logo_png"] = _("The logo is too large ({size} KB; at most {max} KB). Use a "
                                   "smaller image.").format(size=len(data.logo_png) // 1024,
                                                            max=LOGO_MAX_BYTES // 1024)
    return errors


def update_casa_settings(session: Session, data: CasaSettings) -> dict[str, object]:
    """Save the casa's details (one logged update of the fields that changed); returns
    what changed."""
    session.require(Permission.EDIT_CASA_SETTINGS)
    current = session.store.get("casa", data.code)
    if current is None:
        codes = ", ".join(str(c["id"]) for c in list_casas(session))
        raise ValidationError({"code": _("There is no casa {code}. Known casas: {codes}.").format(
            code=data.code, codes=codes)})
    errors = validate_casa_settings(data)
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))
    values: dict[str, object] = {
        "name": data.name.strip(), "address": data.address.strip(),
        "phone": data.phone.strip(), "email": data.email.strip(), "hours": data.hours.strip(),
        "logo_png": base64.b64encode(data.logo_png).decode("ascii") if data.logo_png else "",
        "slip_paper": data.slip_paper,
    }
    changes = {k: v for k, v in values.items() if current.get(k) != v}
    if not changes:
        return {}
    with session.transaction() as tx:
        tx.update("casa", data.code, changes)
    return changes
