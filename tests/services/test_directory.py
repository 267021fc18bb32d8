"""The service directory: seeded rows, default topics, search and coordinator edits."""

from __future__ import annotations

import pytest

from oma_desktop.core.errors import ValidationError
from oma_desktop.core.seed import SEED_INSTALLATION, service_id
from oma_desktop.services.context import AppContext
from oma_desktop.services.directory import (
    DEFAULT_TOPICS,
    ServiceInput,
    get_service,
    save_service,
    search_services,
    service_input,
)


def test_every_default_topic_is_a_catalog_topic_and_a_seeded_code(ctx: AppContext) -> None:
    topics = {t.code for t in ctx.catalogs.topics}
    seeded = {i.code for i in ctx.catalogs.institutions}
    for code, codes in DEFAULT_TOPICS.items():
        assert code in seeded
        assert set(codes) <= topics


def test_search_is_accent_insensitive_and_filters_by_topic(ctx: AppContext) -> None:
    names = [r.code for r in search_services(ctx.session, "defensoria del pueblo")]
    assert names == ["DEFENSORIA"]  # stored as "Defensoría del Pueblo"
    sis = [r.code for r in search_services(ctx.session, topic="SALUD_SIS")]
    assert "SIS" in sis and "MIGRACIONES" not in sis
    assert [r.code for r in search_services(ctx.session, "seguro integral")] == ["SIS"]
    assert search_services(ctx.session, "seguro integral", topic="REFUGIO") == []


@pytest.mark.usefixtures("coordinator")
def test_edit_is_a_logged_update_and_stored_topics_replace_the_defaults(ctx: AppContext) -> None:
    sid = service_id("SIS")
    data = service_input(get_service(ctx.session, sid))
    assert data.topics == ["SALUD_SIS"]
    data.topics = ["APOYO_PSICOSOCIAL"]
    data.phone = "113"
    data.district_ubigeo = "150140"  # Santiago de Surco: no seeded entry is there
    assert save_service(ctx.session, sid, data) == sid
    row = get_service(ctx.session, sid)
    assert (row.phone, row.topics) == ("113", ["APOYO_PSICOSOCIAL"])
    assert [r.code for r in search_services(ctx.session, topic="SALUD_SIS")].count("SIS") == 0
    assert [r.code for r in search_services(ctx.session, district="150140")] == ["SIS"]
    ops = ctx.session.store.rows(
        "SELECT kind, fields, installation FROM change_log WHERE entity = 'service'"
        " AND entity_id = ? ORDER BY hlc", [sid])
    # the seed's two revisions, then the coordinator's edit
    assert [(o["kind"], o["installation"] == SEED_INSTALLATION) for o in ops] == [
        ("create", True), ("update", True), ("update", False)]
    assert '"phone":"113"' in ops[-1]["fields"].replace(" ", "")


@pytest.mark.usefixtures("coordinator")
def test_create_inactive_hidden_and_validation_in_spanish(ctx: AppContext) -> None:
    with pytest.raises(ValidationError) as err:
        save_service(ctx.session, None, ServiceInput(name=" ", topics=["NOPE"]))
    assert err.value.fields["name"] == "Escriba el nombre de la institución o del servicio."
    assert "NOPE" in err.value.fields["topics"]
    new = save_service(ctx.session, None, ServiceInput(name="Comedor Popular Santa Rosa",
                                                      topics=["ALIMENTACION"], active=False))
    assert search_services(ctx.session, "comedor") == []
    assert [r.id for r in search_services(ctx.session, "comedor", include_inactive=True)] == [new]
