"""Which spreadsheet column feeds which field: targets, guessing, options, checks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from oma_desktop.core.text import fold
from oma_desktop.i18n import N_, _


@dataclass(frozen=True)
class TargetField:
    """A field a column can feed. ``label`` is a msgid: show it with ``_()``."""

    key: str
    label: str
    group: Literal["person", "consultation"] = "person"
    # several columns may feed it: their texts are joined
    multiple: bool = False


TARGET_FIELDS: tuple[TargetField, ...] = (
    TargetField("full_name", N_("Full name (surnames and given names)")),
    TargetField("given_names", N_("Given names")),
    TargetField("paternal_surname", N_("Paternal surname")),
    TargetField("maternal_surname", N_("Maternal surname")),
    TargetField("surnames", N_("Both surnames")),
    TargetField("sex", N_("Sex")),
    TargetField("birth_date", N_("Birth date")),
    TargetField("age", N_("Age")),
    TargetField("nationality", N_("Nationality")),
    TargetField("doc_type", N_("Document type")),
    TargetField("doc_number", N_("Document number")),
    TargetField("phone", N_("Phone")),
    TargetField("whatsapp", N_("WhatsApp")),
    TargetField("district", N_("District")),
    TargetField("zone", N_("Zone or sector"), multiple=True),
    TargetField("address_ref", N_("Address or reference"), multiple=True),
    TargetField("arrival_date", N_("Arrival date in Peru")),
    TargetField("migratory_status", N_("Migratory situation")),
    TargetField("notes", N_("Observations"), multiple=True),
    TargetField("consultation_date", N_("Consultation date"), "consultation"),
    TargetField("topic", N_("Consultation topic"), "consultation"),
    TargetField("summary", N_("Consultation summary"), "consultation", multiple=True),
    TargetField("actions", N_("Actions taken"), "consultation", multiple=True),
    TargetField("channel", N_("Channel"), "consultation"),
    TargetField("follow_up_date", N_("Follow-up date"), "consultation"),
)
_TARGETS = {t.key: t for t in TARGET_FIELDS}
CONSULTATION_FIELDS = frozenset(t.key for t in TARGET_FIELDS if t.group == "consultation")

# how a date field is named inside a sentence ("la fecha de nacimiento «…» no es…")
DATE_PHRASES = {
    "birth_date": N_("the birth date"),
    "arrival_date": N_("the arrival date"),
    "consultation_date": N_("the consultation date"),
    "follow_up_date": N_("the follow-up date"),
}


def target_label(key: str) -> str:
    """The translated label of a target field."""
    return _(_TARGETS[key].label)


_NUM = r"(?:n|no|nro|num|numero|number)"
# (pattern on the folded header, ((target, score), ...)): higher scores win conflicts
_HEADER_RULES: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = (
    (r"(apellidos?( y | )nombres?|nombres?( y | )apellidos?|nombres? completos?"
     r"|nombre completo|nombre y apellido|beneficiari[oa]s?|usuari[oa]s?|vecin[oa]s?|persona"
     r"|full name|name)", (("full_name", 90),)),
    (r"(nombres?|primer nombre|nombres? de pila|given names?|first names?)", (("given_names", 95),)),
    (r"(apellido paterno|ap paterno|ape paterno|apell paterno|a paterno|ap pat|apellido pat"
     r"|primer apellido|apellido 1|1er apellido|paterno|paternal surname)",
     (("paternal_surname", 95),)),
    (r"(apellido materno|ap materno|ape materno|apell materno|a materno|ap mat|apellido mat"
     r"|segundo apellido|apellido 2|2do apellido|materno|maternal surname)",
     (("maternal_surname", 95),)),
    (r"(apellidos?|surnames?|last names?)", (("surnames", 90),)),
    (r"(sexo|genero|sexo genero|sex|gender)", (("sex", 95),)),
    (r"(fecha de nacimiento|fecha nacimiento|fecha nac|f nac|fec nac|f nacimiento|fnac|nacimiento"
     r"|fecha de nac|birth date|date of birth|dob)", (("birth_date", 95),)),
    (r"(edad|edad anos|anos|age)", (("age", 95),)),
    (r"(nacionalidad|pais de origen|pais|pais de nacimiento|nationality|country)",
     (("nationality", 95),)),
    (r"(tipo de documento|tipo documento|tipo de doc|tipo doc|t doc|tipo de documento de identidad"
     r"|document type)", (("doc_type", 95),)),
    (f"({_NUM} (de )?documento( de identidad)?|{_NUM} (de )?doc|documento( de identidad)?"
     f"|doc identidad|doc|dni|dni ce|dni ce pasaporte|dni ce ptp|ce|carne|carnet|{_NUM} (de )?dni"
     "|identificacion|document number|id number)", (("doc_number", 95),)),
    (f"(({_NUM} (de )?)?(celular|telefono|tel|telf|cel|movil|telefono celular|telefono movil"
     "|telefono de contacto|contacto)|phone|mobile)", (("phone", 95),)),
    (r"(whatsapp|whats app|wsp|wasap|wa)", (("whatsapp", 95),)),
    (r"(distrito|distrito de residencia|distrito residencia|district)", (("district", 95),)),
    (r"(zona|sector|urbanizacion|asentamiento humano|aa hh|ahh|barrio|zona sector|zone)",
     (("zone", 90),)),
    (r"(direccion|domicilio|referencia|direccion referencia|direccion y referencia"
     r"|direccion o referencia|referencia domiciliaria|address)", (("address_ref", 90),)),
    (r"(fecha de llegada|fecha llegada|f llegada|llegada|llegada al peru|fecha de llegada al peru"
     r"|fecha de ingreso|fecha ingreso|ingreso al peru|fecha de ingreso al peru|arrival date)",
     (("arrival_date", 95),)),
    (r"(situacion migratoria|estatus migratorio|status migratorio|condicion migratoria"
     r"|estado migratorio|calidad migratoria|migratory status)", (("migratory_status", 95),)),
    (r"(observaciones?|obs|notas?|comentarios?|notes?)", (("notes", 90),)),
    (r"(fecha de atencion|fecha atencion|f atencion|fecha de consulta|fecha consulta|fecha"
     r"|fecha de registro|consultation date|date)", (("consultation_date", 90),)),
    (r"(temas?|tema de consulta|tema de la consulta|topics?)", (("topic", 95),)),
    (r"(motivo|motivo de consulta|motivo de la consulta|motivo de atencion|tipo de consulta"
     r"|tipo de atencion|servicio)", (("topic", 85), ("summary", 70))),
    (r"(consulta|detalle|detalle de la consulta|descripcion|resumen|caso|summary)",
     (("summary", 90), ("topic", 60))),
    (r"(acciones?|acciones realizadas|accion realizada|atencion brindada|respuesta|derivacion"
     r"|derivado a|actions?)", (("actions", 90),)),
    (r"(canal|canal de atencion|modalidad|medio|via de atencion|channel)", (("channel", 95),)),
    (r"(seguimiento|fecha de seguimiento|fecha seguimiento|proximo seguimiento|f seguimiento"
     r"|follow up|follow up date)", (("follow_up_date", 90),)),
)
_HEADER_PATTERNS = tuple((re.compile(rf"(?:{p})"), targets) for p, targets in _HEADER_RULES)


def _header_candidates(header: str) -> tuple[tuple[str, int], ...]:
    key = fold(header)
    if not key:
        return ()
    for pattern, targets in _HEADER_PATTERNS:
        if pattern.fullmatch(key):
            return targets
    return ()


def guess_mapping(headers: Sequence[str]) -> dict[int, str]:
    """Column index -> target key for the headers recognised (accents and case ignored).

    A single-valued target goes to the best-matching column only; "Motivo" and "Consulta"
    fall back to the summary when another column already holds the topic.
    """
    options = sorted(
        (
            (-score, index, target)
            for index, header in enumerate(headers)
            for target, score in _header_candidates(header)
        ),
    )
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for _score, index, target in options:
        if index in mapping:
            continue
        if target in taken and not _TARGETS[target].multiple:
            continue
        mapping[index] = target
        taken.add(target)
    surnames = {"paternal_surname", "maternal_surname", "surnames", "full_name"}
    if "given_names" in taken and not surnames & taken:
        # a lone "Nombre" column (singular, no surname column) holds the whole name
        for index, target in mapping.items():
            if target == "given_names" and fold(headers[index]) == "nombre":
                mapping[index] = "full_name"
    return dict(sorted(mapping.items()))



@dataclass
class ImportOptions:
    """Values for cells the list leaves empty (the dialog lets the coordinator choose them)."""

    default_nationality: str = ""
    default_doc_type: str = ""
    default_topic: str = ""
    default_channel: str = "presencial"


def check_mapping(
    headers: Sequence[str], mapping: dict[int, str], options: ImportOptions | None = None
) -> list[str]:
    """Spanish problems that prevent planning with ``mapping`` (empty when it is usable)."""
    options = options or ImportOptions()
    for index, target in mapping.items():
        if target not in _TARGETS:
            raise ValueError(f"unknown import target {target!r}")
        if not 0 <= index < len(headers):
            raise ValueError(f"column {index} out of range")
    problems: list[str] = []
    by_target: dict[str, list[int]] = {}
    for index, target in sorted(mapping.items()):
        by_target.setdefault(target, []).append(index)
    for target, indexes in by_target.items():
        if len(indexes) > 1 and not _TARGETS[target].multiple:
            problems.append(
                _("«{field}» is assigned to more than one column ({columns}); leave only one.").format(
                    field=target_label(target),
                    columns=", ".join(f"«{column_name(headers, i)}»" for i in indexes),
                )
            )
    has_given = "full_name" in by_target or "given_names" in by_target
    has_surname = "full_name" in by_target or any(
        k in by_target for k in ("paternal_surname", "maternal_surname", "surnames")
    )
    if not (has_given and has_surname):
        problems.append(
            _("Assign the column with the names: «{full}», or «{given}» and the surnames.").format(
                full=target_label("full_name"), given=target_label("given_names")
            )
        )
    if CONSULTATION_FIELDS & set(by_target):
        if "consultation_date" not in by_target:
            problems.append(
                _("To import consultations, assign the column with the consultation date.")
            )
        if "topic" not in by_target and not options.default_topic:
            problems.append(
                _("To import consultations, assign the topic column or choose a topic for all rows.")
            )
    return problems


def column_name(headers: Sequence[str], index: int) -> str:
    header = headers[index] if index < len(headers) else ""
    return header or _("column {number}").format(number=index + 1)
