"""The six casas vecinales: names and addresses are configurable (no public source gives
them), and every change is logged so headquarters can distribute it."""

from __future__ import annotations

from oma_desktop.core.errors import ValidationError
from oma_desktop.i18n import _
from oma_desktop.services.session import Session


def list_casas(session: Session) -> list[dict[str, object]]:
    return session.store.rows("SELECT id, name, address, active FROM casa WHERE deleted = 0 ORDER BY id")


def casa_names(session: Session) -> dict[str, str]:
    """Code -> name of every casa ever known (old records may name a retired one)."""
    return {str(r["id"]): str(r["name"]) for r in session.store.rows("SELECT id, name FROM casa")}


def casa_choices(session: Session, *also: str) -> list[tuple[str, str]]:
    """(code, name) of the active casas for a choice list, plus this installation's casa
    and any code in ``also`` (the one a record being edited names) even if not listed."""
    items = [(str(r["id"]), str(r["name"])) for r in list_casas(session)]
    known = {code for code, _name in items}
    for code in (session.casa_id, *also):
        if code and code not in known:
            items.append((code, code))
            known.add(code)
    return items


def update_casa(
    session: Session, code: str, name: str | None = None, address: str | None = None
) -> dict[str, object]:
    """Rename a casa or set its address; returns what changed."""
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
