"""The service directory: institutions the casas refer people to (issue #8, point 1).

Rows are seeded from ``resources/catalogs/institutions.csv`` as headquarters-owned
operations (``core/seed.directory_operations``) and stay frozen; a coordinator's edit is an
ordinary logged update, so a later headquarters revision of the seed folds with it by clock
(field by field, the greater clock wins) instead of conflicting.

The seed carries no topics. Rather than writing them as local updates (which would make
every installation author its own copy of the same change), :data:`DEFAULT_TOPICS` derives
them in code for a row whose ``topics`` list is empty; an edited list replaces them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from oma_desktop.core.errors import ValidationError
from oma_desktop.core.text import fold
from oma_desktop.i18n import _
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session

# Institution code -> topic codes (resources/catalogs/topics.csv), read from the
# "services" column of resources/catalogs/institutions.csv (and its sources): e.g.
# MIGRACIONES "CPP/PTP, Carné de Extranjería, cambio de calidad migratoria", SIS "public
# health insurance", UGEL03 "school enrolment", MTPE "Certificado Único Laboral",
# SUNAFIL "labour inspection", MIMP_CEM "victims of violence", DEMUNA "rights of children".
# Rows the reference marks NOT FOUND (INDECOPI, PLAN_INTERNATIONAL, SAVE_THE_CHILDREN, HIAS
# in Lima) get no topic: nothing is claimed that the source does not say.
DEFAULT_TOPICS: dict[str, tuple[str, ...]] = {
    "MIGRACIONES": ("REG_CPP_PTP", "REG_CARNE_EXTRANJERIA", "REG_CAMBIO_CALIDAD"),
    "ESPACIOS_PROTECCION": ("REG_CARNE_EXTRANJERIA", "ORIENTACION"),
    "CEPR": ("REFUGIO",),
    "DEFENSORIA": ("DISCRIMINACION", "ORIENTACION"),
    "MIMP_CEM": ("VIOLENCIA_GENERO",),
    "DEMUNA": ("PROTECCION_NINEZ",),
    "OMAPED": ("DISCAPACIDAD",),
    "MTPE": ("EMPLEO_COLOCACION", "EMPLEO_CAPACITACION"),
    "SUNAFIL": ("DERECHOS_LABORALES",),
    "SIS": ("SALUD_SIS",),
    "UGEL03": ("EDUCACION_VACANTE",),
    "PNP": ("VIOLENCIA_GENERO", "TRATA"),
    "ACNUR": ("REFUGIO", "ORIENTACION"),
    "SJM": ("REG_CPP_PTP", "REFUGIO", "ALIMENTACION"),
    "VEN_INFORMADO": ("ORIENTACION", "REG_CPP_PTP", "REFUGIO", "EMPRENDIMIENTO"),
    "CARITAS": ("REG_CPP_PTP", "SALUD_SIS", "EDUCACION_VACANTE"),
    "CAPS": ("APOYO_PSICOSOCIAL",),
    "ALDEAS_SOS": ("PROTECCION_NINEZ", "EDUCACION_VACANTE"),
    "OIM": ("REG_CPP_PTP", "ORIENTACION"),
    "VENEACTIVA": ("ORIENTACION", "CONVALIDACION"),
    "UNION_VENEZOLANA": ("ORIENTACION", "APOYO_PSICOSOCIAL", "EMPLEO_COLOCACION"),
    "CEDRO": ("ORIENTACION", "REG_CPP_PTP"),
    "CARE": ("VIOLENCIA_GENERO", "TRATA", "APOYO_PSICOSOCIAL", "EMPRENDIMIENTO"),
}

_COLUMNS = (
    "code", "name", "acronym", "kind", "sector", "topics", "description", "requirements",
    "address", "district_ubigeo", "phone", "hours", "languages", "notes", "source", "active",
)


@dataclass(frozen=True)
class ServiceRow:
    id: str
    code: str
    name: str
    acronym: str
    kind: str
    sector: str
    topics: list[str]
    description: str
    requirements: str
    address: str
    district_ubigeo: str | None
    phone: str
    hours: str
    languages: str
    notes: str
    source: str
    active: bool

    @property
    def label(self) -> str:
        """"SIS — Seguro Integral de Salud" for a choice list."""
        if self.acronym and self.acronym not in ("-", self.name):
            return f"{self.acronym} — {self.name}"
        return self.name


@dataclass
class ServiceInput:
    """What a coordinator edits in the directory."""

    name: str = ""
    code: str = ""
    acronym: str = ""
    kind: str = ""
    sector: str = ""
    topics: list[str] = field(default_factory=list)
    description: str = ""
    requirements: str = ""
    address: str = ""
    district_ubigeo: str | None = None
    phone: str = ""
    hours: str = ""
    languages: str = ""
    notes: str = ""
    source: str = ""
    active: bool = True


def _topics(row: dict[str, Any]) -> list[str]:
    stored = [str(t) for t in json.loads(row["topics"] or "[]")]
    return stored or list(DEFAULT_TOPICS.get(row["code"], ()))


def _row(row: dict[str, Any]) -> ServiceRow:
    return ServiceRow(
        id=row["id"], code=row["code"], name=row["name"], acronym=row["acronym"],
        kind=row["kind"], sector=row["sector"], topics=_topics(row),
        description=row["description"], requirements=row["requirements"],
        address=row["address"], district_ubigeo=row["district_ubigeo"], phone=row["phone"],
        hours=row["hours"], languages=row["languages"], notes=row["notes"],
        source=row["source"], active=bool(row["active"]),
    )


def search_services(
    session: Session,
    text: str = "",
    topic: str | None = None,
    district: str | None = None,
    include_inactive: bool = False,
) -> list[ServiceRow]:
    """Directory rows where every word of ``text`` starts a word of the name, acronym or
    description (accents and case ignored), serving ``topic`` and in ``district``; by name.

    The directory is a few hundred rows at most, so the filtering happens here, which
    lets the default topics (not stored) count like stored ones.
    """
    where = ["deleted = 0"]
    args: list[Any] = []
    if not include_inactive:
        where.append("active = 1")
    if district:
        where.append("district_ubigeo = ?")
        args.append(district)
    rows = [_row(r) for r in session.store.rows(
        f"SELECT id, {', '.join(_COLUMNS)} FROM service WHERE {' AND '.join(where)}", args)]
    words = fold(text).split()
    out = []
    for row in rows:
        if topic and topic not in row.topics:
            continue
        haystack = fold(f"{row.name} {row.acronym} {row.description}").split()
        if all(any(h.startswith(w) for h in haystack) for w in words):
            out.append(row)
    out.sort(key=lambda r: fold(r.name))
    return out


def get_service(session: Session, service_id: str) -> ServiceRow:
    row = session.store.one(
        f"SELECT id, {', '.join(_COLUMNS)} FROM service WHERE id = ?", [service_id])
    if row is None:
        raise KeyError(service_id)
    return _row(row)


def validate_service(session: Session, data: ServiceInput) -> dict[str, str]:
    """Field name -> Spanish message for every problem; empty when it can be saved."""
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = _("Write the name of the institution or service.")
    unknown = [t for t in data.topics if t not in {x.code for x in session.catalogs.topics}]
    if unknown:
        errors["topics"] = _("Unknown topics: {codes}. Choose them from the list.").format(
            codes=", ".join(unknown))
    if data.district_ubigeo:
        try:
            session.catalogs.district(data.district_ubigeo)
        except KeyError:
            errors["district_ubigeo"] = _("Choose the district from the list.")
    return errors


def save_service(session: Session, service_id: str | None, data: ServiceInput) -> str:
    """Create a directory entry (``service_id`` None) or save edits to one; returns its id.

    An edit writes only the fields that changed, as one logged update.
    """
    session.require(Permission.EDIT_DIRECTORY)
    errors = validate_service(session, data)
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))
    values: dict[str, Any] = {
        "code": data.code.strip(), "name": data.name.strip(), "acronym": data.acronym.strip(),
        "kind": data.kind.strip(), "sector": data.sector.strip(),
        "topics": json.dumps(list(dict.fromkeys(data.topics)), ensure_ascii=False),
        "description": data.description.strip(), "requirements": data.requirements.strip(),
        "address": data.address.strip(), "district_ubigeo": data.district_ubigeo or None,
        "phone": data.phone.strip(), "hours": data.hours.strip(),
        "languages": data.languages.strip(), "notes": data.notes.strip(),
        "source": data.source.strip(), "active": int(data.active),
    }
    with session.transaction() as tx:
        if service_id is None:
            return tx.create("service", values)
        current = session.store.get("service", service_id)
        if current is None:
            raise KeyError(service_id)
        if not data.topics and current["topics"] in ("", "[]"):
            values.pop("topics")  # still the default topics: nothing to write
        tx.update("service", service_id, values)
        return service_id


def service_input(row: ServiceRow) -> ServiceInput:
    """The editable form of ``row`` (the default topics shown as its list)."""
    return ServiceInput(
        name=row.name, code=row.code, acronym=row.acronym, kind=row.kind, sector=row.sector,
        topics=list(row.topics), description=row.description, requirements=row.requirements,
        address=row.address, district_ubigeo=row.district_ubigeo, phone=row.phone,
        hours=row.hours, languages=row.languages, notes=row.notes, source=row.source,
        active=row.active,
    )
