"""What the report filters offer (issue #11): the choices of the filter bar above the map and
the reports, and the casa a role starts from.

Codes are those :class:`~oma_desktop.services.report_filter.ReportFilter` takes; labels are
translated. Each person dimension ends with «Sin dato» (``sin_dato``: the records without
the datum), except the zone, which only districts of Lima and Callao have.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from oma_desktop.core.disaggregation import AGE_BANDS, UNKNOWN, UNKNOWN_LABEL
from oma_desktop.core.geo import zone_names
from oma_desktop.core.vocab import MIGRATORY_STATUS, SEX, topic_groups
from oma_desktop.i18n import _, country_name, current_language
from oma_desktop.services.casas import casa_choices
from oma_desktop.services.permissions import ROLES, Permission
from oma_desktop.services.session import Session

Choice = tuple[str, str]  # (code, translated label)


@dataclass(frozen=True)
class TopicGroup:
    heading: str  # translated
    topics: tuple[Choice, ...]


@dataclass(frozen=True)
class FilterChoices:
    casas: tuple[Choice, ...]
    default_casa: str | None  # the casa a casa role starts from; None: consolidated
    topic_groups: tuple[TopicGroup, ...]
    nationalities: tuple[Choice, ...]  # the most frequent first
    sexes: tuple[Choice, ...]
    age_bands: tuple[Choice, ...]
    migratory_statuses: tuple[Choice, ...]
    zones: tuple[Choice, ...]

    @property
    def topics(self) -> tuple[Choice, ...]:
        return tuple(t for group in self.topic_groups for t in group.topics)


def default_casa(session: Session) -> str | None:
    """The acting user's casa for a casa role (recepción, coordinación, administración de
    casa), None (every casa, consolidated) for a headquarters role."""
    modes = {r.code: r.mode for r in ROLES}
    mode = modes.get(session.actor.role, session.store.mode)
    return (session.actor.casa_id or session.casa_id) if mode == "casa" else None


def nationality_choices(session: Session) -> tuple[Choice, ...]:
    """The nationalities of the registered persons, the most frequent first, then «Sin
    dato». Anonymous walk-ins are not read (a scan of every consultation: about half a
    second at headquarters with a million); their nationalities are those of the persons
    registered in practice."""
    counts: Counter[str] = Counter()
    for row in session.store.rows(
            "SELECT nationality AS code, count(*) AS n FROM person WHERE deleted = 0"
            " AND nationality IS NOT NULL AND nationality != '' GROUP BY nationality"):
        counts[str(row["code"])] += int(row["n"])
    ordered = sorted(counts, key=lambda code: (-counts[code], country_name(code)))
    return (*((code, country_name(code)) for code in ordered), (UNKNOWN, _(UNKNOWN_LABEL)))


def filter_choices(session: Session) -> FilterChoices:
    """Everything the filter bar lists, for the acting user."""
    session.require(Permission.VIEW_REPORTS)
    catalogs = session.catalogs
    lang = current_language()
    own = default_casa(session)
    casas = casa_choices(session, *([own] if own else []))
    labels = {t.code: t.label(lang) for t in catalogs.topics}
    groups = tuple(
        TopicGroup(_(heading), tuple((code, labels[code]) for code in members))
        for heading, members in topic_groups([t.code for t in catalogs.topics]))
    unknown = (UNKNOWN, _(UNKNOWN_LABEL))
    return FilterChoices(
        casas=tuple(casas),
        default_casa=own,
        topic_groups=groups,
        nationalities=nationality_choices(session),
        sexes=(*((code, _(text)) for code, text in SEX), unknown),
        age_bands=(*((code, _(text)) for code, text, _low, _high in AGE_BANDS), unknown),
        migratory_statuses=(*((code, _(text)) for code, text in MIGRATORY_STATUS), unknown),
        zones=tuple((zone, zone) for zone in zone_names(data_dir=Path(session.store.path).parent)),
    )
