"""Tests acting with a role (issue #9): the seeded account of a new data folder is
recepción; these give it another role, in the database (so a command run later as a
separate process acts with it too) and in the open context."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from oma_desktop.services.context import AppContext, open_context


def act_as(context: AppContext, role: str) -> AppContext:
    """The context's account gets ``role`` (a logged update) and the context acts with it."""
    actor = replace(context.actor, role=role)
    with context.session.transaction() as tx:
        tx.update("app_user", actor.user_id, {"role": role})
    context.actor = actor
    context.session.actor = actor
    return context


def grant_role(folder: Path, role: str, **kwargs: Any) -> None:
    """The account of the data folder ``folder`` (created if new) gets ``role``."""
    context = open_context(folder, **kwargs)
    try:
        act_as(context, role)
    finally:
        context.close()
