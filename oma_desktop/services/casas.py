"""The six casas vecinales: names and addresses are configurable (no public source gives
them), and every change is logged so headquarters can distribute it."""

from __future__ import annotations

from oma_desktop.core.errors import ValidationError
from oma_desktop.i18n import _
from oma_desktop.services.session import Session


def list_casas(session: Session) -> list[dict[str, object]]:
    return session.store.rows("SELECT id, name, address, active FROM casa WHERE deleted = 0 ORDER BY id")


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
    with store.transaction(session.user_id) as tx:
        return tx.update("casa", code, changes)
