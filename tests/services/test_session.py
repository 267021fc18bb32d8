"""The context is the one door for connections; a session carries the acting user."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from oma_desktop.core.actor import Actor
from oma_desktop.services import context as context_module
from oma_desktop.services.casas import update_casa
from oma_desktop.services.context import AppContext, open_context


def test_the_actor_is_the_current_staff_account(ctx: AppContext) -> None:
    row = ctx.session.store.get("app_user", ctx.actor.user_id)
    assert row is not None
    assert ctx.actor == Actor(row["id"], row["role"], row["casa_id"], row["display_name"])
    assert ctx.actor.role == "recepcion" and ctx.actor.casa_id == ctx.session.casa_id == "CV1"


def test_open_session_is_a_new_connection_to_the_same_database_with_the_same_key(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Path, dict[str, Any]]] = []
    real = context_module.open_store

    def recording(path: Path, **kwargs: Any):  # type: ignore[no-untyped-def]
        calls.append((Path(path), kwargs))
        return real(path, **{**kwargs, "key": None})  # no cipher in the test build

    monkeypatch.setattr(context_module, "open_store", recording)
    ctx.key = "clave-de-prueba"
    session = ctx.open_session()
    try:
        assert calls == [(ctx.database, {"key": "clave-de-prueba", "create": False,
                                         "backup_dir": ctx.paths.backups})]
        assert session is not ctx.session and session.store.conn is not ctx.session.store.conn
        assert session.actor == ctx.actor and session.catalogs is ctx.catalogs
        assert session.store.installation_id == ctx.session.store.installation_id
    finally:
        session.close()
    assert ctx.session.store.scalar("SELECT count(*) FROM casa") >= 6  # the GUI's stays open


def test_the_context_keeps_the_key_it_was_opened_with(data_dir: Path) -> None:
    ctx = open_context(data_dir)
    try:
        assert ctx.key is None and ctx.database == data_dir / "oma.sqlite3"
    finally:
        ctx.close()


def test_writes_are_logged_under_the_acting_user_and_reported(ctx: AppContext) -> None:
    reported: list[frozenset[str]] = []
    coordinator = replace(ctx.session, actor=Actor("coord-1", "admin_casa", "CV1"),
                          on_commit=reported.append)
    update_casa(coordinator, "CV2", name="Casa Vecinal Monserrate")
    op = ctx.session.store.one(
        "SELECT user_id FROM change_log WHERE entity = 'casa' AND entity_id = 'CV2'"
        " ORDER BY rowid DESC LIMIT 1")
    assert op is not None and op["user_id"] == "coord-1"
    assert reported == [frozenset({"casa"})]
