"""Open the data folder as a user of a given role (issue #9's roles: the screens show or
refuse what the role may do)."""

from __future__ import annotations

from pathlib import Path

from oma_desktop.services.context import AppContext, open_context


def open_as(data_dir: Path, role: str, name: str = "Coordinadora") -> AppContext:
    """The context of a new ``role`` user of casa CV1, made the folder's current user."""
    context = open_context(data_dir)
    try:
        with context.session.transaction() as tx:
            user = tx.create("app_user", {"username": role, "display_name": name,
                                          "role": role, "casa_id": "CV1"})
            context.session.store.set_meta("current_user_id", user)
    finally:
        context.close()
    context = open_context(data_dir)
    assert context.actor.role == role
    return context
