"""Closed vocabularies stored as short codes; labels are msgids translated at display.

Codes are what the database and the sync files hold, so they never change once
released; add new codes, don't rename old ones.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from oma_desktop.i18n import N_, _, current_language

if TYPE_CHECKING:
    from oma_desktop.core.catalogs import Catalogs, DocumentType

Vocabulary = tuple[tuple[str, str], ...]

SEX: Vocabulary = (
    ("F", N_("Woman")),
    ("M", N_("Man")),
    ("X", N_("Not stated")),
)

MIGRATORY_STATUS: Vocabulary = (
    ("regular", N_("Regular (residence granted)")),
    ("en_tramite", N_("Regularisation in progress")),
    ("irregular", N_("Irregular")),
    ("solicitante_refugio", N_("Asylum seeker")),
    ("refugiado", N_("Recognised refugee")),
    ("nacional", N_("Peruvian national")),
    ("desconocido", N_("Does not know / no answer")),
)

REGULARIZATION_STAGE: Vocabulary = (
    ("ninguno", N_("Nothing started")),
    ("cita", N_("Appointment at Migraciones")),
    ("presentado", N_("Application filed")),
    ("observado", N_("Application with observations")),
    ("aprobado", N_("Approved, card pending")),
    ("carne", N_("Card received")),
    ("vencido", N_("Document expired, to renew")),
)

# Washington Group short set: domains and the four answer levels.
WG_DOMAINS: Vocabulary = (
    ("wg_seeing", N_("Seeing, even with glasses")),
    ("wg_hearing", N_("Hearing, even with a hearing aid")),
    ("wg_walking", N_("Walking or climbing steps")),
    ("wg_cognition", N_("Remembering or concentrating")),
    ("wg_selfcare", N_("Self-care (washing, dressing)")),
    ("wg_communication", N_("Communicating in their usual language")),
)
WG_LEVELS: Vocabulary = (
    ("0", N_("No difficulty")),
    ("1", N_("Some difficulty")),
    ("2", N_("A lot of difficulty")),
    ("3", N_("Cannot do at all")),
)
# WG recommended cut-off: a lot of difficulty or cannot do in any domain.
WG_DISABILITY_LEVEL = 2

VULNERABILITIES: Vocabulary = (
    ("vuln_pregnant", N_("Pregnant")),
    ("vuln_older_adult", N_("Older adult")),
    ("vuln_unaccompanied_child", N_("Unaccompanied or separated child")),
    ("vuln_violence_survivor", N_("Survivor of violence")),
    ("vuln_trafficking", N_("Trafficking")),
    ("vuln_homeless", N_("Homeless")),
    ("vuln_chronic_illness", N_("Chronic illness")),
)

CHANNELS: Vocabulary = (
    ("presencial", N_("In person")),
    ("telefono", N_("Telephone")),
    ("whatsapp", N_("WhatsApp")),
    ("migraton", N_("Migratón or other event")),
    ("otro", N_("Other")),
)

RELATIONSHIPS: Vocabulary = (
    ("jefe_hogar", N_("Head of household")),
    ("conyuge", N_("Spouse or partner")),
    ("hijo", N_("Son or daughter")),
    ("padre_madre", N_("Father or mother")),
    ("hermano", N_("Brother or sister")),
    ("otro", N_("Other relative or non-relative")),
)


# The capacity plan's six axes are how headquarters reports; a clerk looking for a topic
# thinks of what the person came for. Topic lists are grouped under these plain headings
# (the axis of each topic is shown in a tooltip); a topic added to the catalog later and not
# listed here goes under "Other topics".
TOPIC_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("papers", N_("Guidance and papers"), (
        "ORIENTACION", "EMPADRONAMIENTO", "REG_CPP_PTP", "REG_CARNE_EXTRANJERIA",
        "REG_CAMBIO_CALIDAD", "REFUGIO", "DOC_PASAPORTE", "DOC_PARTIDAS")),
    ("services", N_("Health, school and housing"), (
        "SALUD_SIS", "APOYO_PSICOSOCIAL", "EDUCACION_VACANTE", "CONVALIDACION",
        "VIVIENDA_ALQUILER")),
    ("work", N_("Work and employment"), (
        "EMPLEO_CAPACITACION", "EMPLEO_COLOCACION", "DERECHOS_LABORALES", "EMPRENDIMIENTO")),
    ("aid", N_("Humanitarian aid and protection"), (
        "ALIMENTACION", "TRANSFERENCIAS", "VIOLENCIA_GENERO", "PROTECCION_NINEZ", "TRATA",
        "DISCRIMINACION", "DISCAPACIDAD", "ADULTOS_MAYORES")),
)
OTHER_TOPICS = N_("Other topics")


def topic_groups(topic_codes: list[str]) -> list[tuple[str, list[str]]]:
    """(heading msgid, codes) in the desk's order; codes of no group last, under Other topics."""
    known = set(topic_codes)
    groups = [(heading, [c for c in members if c in known]) for _k, heading, members in TOPIC_GROUPS]
    grouped = {c for _h, members in groups for c in members}
    groups.append((OTHER_TOPICS, [c for c in topic_codes if c not in grouped]))
    return [(heading, members) for heading, members in groups if members]


def label(vocabulary: Vocabulary, code: str | None) -> str:
    """The translated label of ``code``, or the code itself if unknown."""
    if code is None or code == "":
        return ""
    for value, text in vocabulary:
        if value == code:
            return _(text)
    return code


def codes(vocabulary: Vocabulary) -> tuple[str, ...]:
    return tuple(code for code, _text in vocabulary)


# document types whose code is not what a clerk would write in a narrow column
_SHORT_DOCUMENT_LABELS = {"CEDULA_VE": N_("Venezuelan ID")}


def document_short_label(code: str | None, catalogs: Catalogs | None = None) -> str:
    """``DNI``, ``CE``, ``PTP``…; a short word for the document types without an acronym."""
    if not code:
        return ""
    if code in _SHORT_DOCUMENT_LABELS:
        return _(_SHORT_DOCUMENT_LABELS[code])
    if len(code) <= 3:  # an acronym (DNI, CE, PTP, CPP, CSR); OTRO is a word
        return code
    if catalogs is not None:
        try:
            return catalogs.document_type(code).label(current_language())
        except KeyError:
            pass
    return code.capitalize()


def document_format_message(kind: DocumentType) -> str:
    """What a number of ``kind`` looks like, said as a clerk checks it: ``Un DNI tiene 8 dígitos``.

    Read from the catalog's pattern (``\\d{8}``, ``[A-Z0-9]{1,12}``); any other pattern falls
    back to naming the document.
    """
    short = kind.code if kind.is_acronym else kind.label(current_language()).lower()
    digits = re.fullmatch(r"\\d\{(\d+)\}", kind.number_pattern)
    if digits:
        return _("A {document} has {n} digits; check the number.").format(
            document=short, n=int(digits.group(1)))
    upto = re.fullmatch(r"\[A-Z0-9\]\{1,(\d+)\}", kind.number_pattern)
    if upto:
        return _("A {document} has at most {n} letters and digits; check the number.").format(
            document=short, n=int(upto.group(1)))
    return _("The number does not have the format of a {document}.").format(document=short)
