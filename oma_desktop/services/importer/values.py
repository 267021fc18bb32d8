"""Parsing cell values (dates, ages, sex, countries, districts, documents, topics…)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.text import fold, strip_accents
from oma_desktop.core.vocab import CHANNELS, MIGRATORY_STATUS, SEX, Vocabulary, label
from oma_desktop.services.importer._constants import COUNTRY_SCORE, DISTRICT_SCORE, TOPIC_SCORE

_TIME = r"(?:[ t]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(?:([ap])\.?\s?m\.?)?)?"
_DMY = re.compile(r"(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{4}|\d{2})" + _TIME)
_YMD = re.compile(r"(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})" + _TIME)
_SERIAL = re.compile(r"(\d{5})(?:\.(\d+))?")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def parse_datetime(text: str, today: dt.date | None = None) -> dt.datetime:
    """``dd/mm/yyyy``, ``dd-mm-yyyy``, ``dd/mm/yy``, ``yyyy-mm-dd`` (ISO from Excel), with an
    optional ``hh:mm``; also an Excel serial day number. Raises ``ValueError``."""
    value = text.strip().lower()
    today = today or dt.date.today()
    match = _YMD.fullmatch(value)
    if match:
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    else:
        match = _DMY.fullmatch(value)
        if match:
            day, month, year = int(match[1]), int(match[2]), int(match[3])
            if len(match[3]) == 2:
                year += 2000 if 2000 + year <= today.year else 1900
        else:
            serial = _SERIAL.fullmatch(value)
            if serial and 10000 <= int(serial[1]) <= 80000:
                return (_EXCEL_EPOCH + dt.timedelta(days=float(value))).replace(
                    second=0, microsecond=0
                )
            raise ValueError(text)
    hour = int(match[4]) if match[4] else 0
    minute = int(match[5]) if match[5] else 0
    if match[7] == "p" and hour < 12:
        hour += 12
    elif match[7] == "a" and hour == 12:
        hour = 0
    if year < 1900:
        raise ValueError(text)
    return dt.datetime(year, month, day, hour, minute)


def parse_date(text: str, today: dt.date | None = None) -> dt.date:
    """A date written as in :func:`parse_datetime` (any time is ignored)."""
    return parse_datetime(text, today).date()


_AGE = re.compile(r"(\d{1,3})(?:[.,]0+)?\s*(?:anos?|a\.?|years?)?")
_MONTHS = re.compile(r"\d{1,2}\s*(?:mes|meses|m|months?)\.?")


def parse_age(text: str) -> int:
    """``35``, ``35 años``, ``35.0``; ``6 meses`` is 0. Raises ``ValueError``."""
    value = strip_accents(text).strip().lower()
    if _MONTHS.fullmatch(value):
        return 0
    match = _AGE.fullmatch(value)
    if not match:
        raise ValueError(text)
    return int(match[1])


@dataclass(frozen=True)
class Resolved:
    """A value recognised in a cell; ``approximate`` when matched by similarity only."""

    code: str
    approximate: bool = False


@dataclass(frozen=True)
class TopicResult:
    """The topics of one cell, with what could not be matched."""

    codes: list[str]
    approximate: list[tuple[str, str]]  # (text written, topic code)
    unknown: list[str]
    ambiguous: list[tuple[str, str, str]]  # (text written, code, other code)


YES_WORDS = frozenset({"si", "s", "yes", "y", "x", "1", "true", "verdadero"})
NO_WORDS = frozenset({"no", "n", "0", "false", "falso", "ninguno", "ninguna", "na", "n a", "sin"})
EMPTY_MARKS = frozenset({"", "-", "--", "---", "n a", "na", "nd", "n d", "s d", "sd", "sin dato",
                          "sin datos", "ninguno", "ninguna", "no", "no tiene", "null", "none"})

_SEX_ALIASES = {
    "F": ("f", "fem", "femenino", "femenina", "mujer", "female", "woman", "mujeres"),
    "M": ("m", "masc", "masculino", "hombre", "varon", "male", "man", "h", "hombres"),
    "X": ("x", "no especificado", "no consigna", "no indica", "no precisa", "no registra",
          "nd", "n d", "s d", "sin dato", "not stated", "no sabe", "no responde"),
}
_NATIONALITY_ALIASES = {
    "VE": ("venezolano", "venezolana", "venezolanos", "venezuelan", "ven", "vzla", "venezuela",
           "republica bolivariana de venezuela"),
    "CO": ("colombiano", "colombiana", "colombian", "col"),
    "PE": ("peruano", "peruana", "peruvian", "per", "peruano a"),
    "EC": ("ecuatoriano", "ecuatoriana", "ecuadorian", "ecuadorean", "ecu"),
    "BO": ("boliviano", "boliviana", "bolivian", "bol"),
    "CL": ("chileno", "chilena", "chilean", "chl"),
    "AR": ("argentino", "argentina", "argentine", "argentinian", "arg"),
    "BR": ("brasileno", "brasilena", "brasilero", "brasilera", "brazilian", "bra", "brasil"),
    "PY": ("paraguayo", "paraguaya", "paraguayan", "pry"),
    "UY": ("uruguayo", "uruguaya", "uruguayan", "ury"),
    "HT": ("haitiano", "haitiana", "haitian", "hti"),
    "CU": ("cubano", "cubana", "cuban", "cub"),
    "DO": ("dominicano", "dominicana", "dominican", "dom", "rep dominicana",
           "republica dominicana"),
    "MX": ("mexicano", "mexicana", "mexican", "mex"),
    "PA": ("panameno", "panamena", "panamanian", "pan"),
    "CR": ("costarricense", "costa rican"),
    "NI": ("nicaraguense", "nicaraguan"),
    "HN": ("hondureno", "hondurena", "honduran"),
    "SV": ("salvadoreno", "salvadorena", "salvadoran"),
    "GT": ("guatemalteco", "guatemalteca", "guatemalan"),
    "US": ("estadounidense", "norteamericano", "norteamericana", "american", "usa", "eeuu",
           "ee uu", "e e u u"),
    "ES": ("espanol", "espanola", "spanish", "esp"),
    "CN": ("chino", "china", "chinese", "chn"),
    "XX": ("apatrida", "stateless", "sin nacionalidad"),
}
_DISTRICT_ALIASES = {
    "150101": ("lima", "cercado", "cercado de lima", "lima cercado", "cercado lima",
               "lima centro", "centro de lima"),
    "150103": ("ate vitarte", "vitarte"),
    "150118": ("chosica", "lurigancho"),
    "150120": ("magdalena",),
    "150132": ("sjl", "s j l"),
    "150133": ("sjm", "s j m"),
    "150135": ("smp", "s m p"),
    "150140": ("surco", "santiago de surco"),
    "150142": ("ves", "v e s"),
    "150143": ("vmt", "v m t"),
    "070101": ("callao cercado", "cercado del callao", "cercado de callao"),
    "070103": ("carmen de la legua",),
}
_DOC_ALIASES = {
    "DNI": ("dni", "d n i", "documento nacional de identidad", "libreta electoral"),
    "CE": ("ce", "c e", "carne de extranjeria", "carnet de extranjeria", "carne extranjeria",
           "carnet extranjeria", "extranjeria", "carne", "carnet"),
    "PTP": ("ptp", "permiso temporal de permanencia"),
    "CPP": ("cpp", "carne de permiso temporal de permanencia", "carnet de permiso temporal",
            "carne ptp", "carnet ptp", "carne cpp", "carnet cpp"),
    "CSR": ("csr", "solicitante de refugio", "carne de solicitante de refugio",
            "carnet de solicitante de refugio", "solicitante", "refugio",
            "carne de refugio", "carnet de refugio"),
    "PASAPORTE": ("pasaporte", "pas", "pass", "passport", "pasaporte venezolano"),
    "CEDULA_VE": ("cedula", "cedula venezolana", "cedula de identidad", "cedula de identidad "
                  "venezolana", "ci", "c i", "cedula ve"),
    "OTRO": ("otro", "otros", "other", "salvoconducto"),
    "NINGUNO": ("ninguno", "sin documento", "no tiene", "indocumentado", "indocumentada",
                "none", "s d"),
}
_TOPIC_ALIASES = {
    "REG_CPP_PTP": ("cpp", "ptp", "regularizacion cpp", "regularizacion ptp"),
    "REG_CARNE_EXTRANJERIA": ("carne de extranjeria", "carnet de extranjeria", "ce"),
    "SALUD_SIS": ("salud", "sis"),
    "REFUGIO": ("refugio", "refugiado", "solicitud de asilo", "asilo"),
    "DOC_PASAPORTE": ("pasaporte",),
    "DOC_PARTIDAS": ("apostilla", "partidas", "partida de nacimiento"),
    "APOYO_PSICOSOCIAL": ("psicologico", "apoyo psicologico", "psicologia"),
    "EDUCACION_VACANTE": ("educacion", "vacante", "colegio", "matricula"),
    "ALIMENTACION": ("alimentacion", "alimentos", "canasta", "viveres", "ayuda humanitaria"),
    "VIVIENDA_ALQUILER": ("vivienda", "alquiler", "albergue"),
    "TRANSFERENCIAS": ("bono", "transferencia", "efectivo"),
    "VIOLENCIA_GENERO": ("violencia", "vbg", "violencia familiar"),
    "TRATA": ("trata", "trafico"),
    "ORIENTACION": ("orientacion", "informacion"),
    "EMPADRONAMIENTO": ("empadronamiento", "padron", "registro"),
    "EMPRENDIMIENTO": ("emprendimiento", "negocio"),
    "DISCRIMINACION": ("discriminacion", "xenofobia"),
    "DISCAPACIDAD": ("discapacidad", "conadis"),
    "ADULTOS_MAYORES": ("adulto mayor", "adultos mayores"),
    "CONVALIDACION": ("convalidacion", "revalidacion"),
    "DERECHOS_LABORALES": ("sunafil", "derechos laborales"),
}
_CHANNEL_ALIASES = {
    "presencial": ("presencial", "en persona", "personal", "oficina", "casa vecinal", "in person"),
    "telefono": ("telefono", "telefonica", "telefonico", "llamada", "llamada telefonica", "tel",
                 "celular", "telephone", "phone"),
    "whatsapp": ("whatsapp", "whats app", "wsp", "wasap", "wa"),
    "migraton": ("migraton", "evento", "campana", "feria", "jornada", "event"),
    "otro": ("otro", "otros", "virtual", "correo", "email", "e mail", "facebook", "redes",
             "redes sociales", "videollamada", "zoom", "other"),
}
_STATUS_ALIASES = {
    "regular": ("regular", "con residencia", "residente", "regular con residencia",
                "regularizado", "regularizada"),
    "en_tramite": ("en tramite", "tramite", "en proceso", "regularizacion en tramite",
                   "tramitando"),
    "irregular": ("irregular", "sin papeles", "situacion irregular"),
    "solicitante_refugio": ("solicitante de refugio", "solicitante", "solicitante de asilo",
                            "asylum seeker"),
    "refugiado": ("refugiado", "refugiada", "refugiado reconocido", "refugiada reconocida",
                  "refugiado a reconocido a", "refugee"),
    "nacional": ("nacional", "peruano", "peruana", "peruano a"),
    "desconocido": ("desconocido", "no sabe", "no responde", "no sabe no responde", "ns nr",
                    "nsnr", "sin dato", "sin informacion"),
}


def _vocab_index(vocabulary: Vocabulary, aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for code, msgid in vocabulary:
        index[fold(code)] = code
        index[fold(msgid)] = code
        index[fold(label(vocabulary, code))] = code
    for code, words in aliases.items():
        for word in words:
            index.setdefault(fold(word), code)
    return index


@lru_cache(maxsize=1)
def _country_index() -> tuple[dict[str, str], tuple[str, ...]]:
    """Folded country name/demonym/code -> ISO code, and the names for similarity."""
    from babel import Locale

    index: dict[str, str] = {}
    names: list[str] = []
    for code, words in _NATIONALITY_ALIASES.items():
        for word in words:
            index[fold(word)] = code
    for locale in ("es_PE", "en_US"):
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and code.isalpha():
                key = fold(str(name))
                index.setdefault(key, code)
                names.append(key)
                index.setdefault(fold(code), code)
    return index, tuple(dict.fromkeys(names))


def _split_values(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;,|\n]+", text) if part.strip()]


class ValueParser:
    """Recognises the coded values of a cell against the catalogs and vocabularies."""

    def __init__(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs
        self._sex = _vocab_index(SEX, _SEX_ALIASES)
        self._channels = _vocab_index(CHANNELS, _CHANNEL_ALIASES)
        self._status = _vocab_index(MIGRATORY_STATUS, _STATUS_ALIASES)
        self._countries, self._country_names = _country_index()
        self._districts: dict[str, str] = {}
        for district in catalogs.districts:
            self._districts[district.ubigeo] = district.ubigeo
            for name in (district.name, district.inei_name):
                if name:
                    self._districts[fold(name)] = district.ubigeo
        for ubigeo, words in _DISTRICT_ALIASES.items():
            if ubigeo in {d.ubigeo for d in catalogs.districts}:
                for word in words:
                    self._districts.setdefault(fold(word), ubigeo)
        self._documents: dict[str, str] = {}
        for kind in catalogs.document_types:
            for name in (kind.code, kind.name_es, kind.name_en):
                self._documents[fold(name)] = kind.code
        for code, words in _DOC_ALIASES.items():
            if code in {d.code for d in catalogs.document_types}:
                for word in words:
                    self._documents.setdefault(fold(word), code)
        self._topics: dict[str, str] = {}
        self._topic_names: dict[str, str] = {}
        for topic in catalogs.topics:
            self._topics[fold(topic.code)] = topic.code
            for name in (topic.name_es, topic.name_en):
                self._topics[fold(name)] = topic.code
                self._topic_names[fold(name)] = topic.code
        for code, words in _TOPIC_ALIASES.items():
            if code in {t.code for t in catalogs.topics}:
                for word in words:
                    self._topics.setdefault(fold(word), code)

    def sex(self, text: str) -> str | None:
        key = fold(text)
        return "X" if not key else self._sex.get(key)

    def channel(self, text: str) -> str | None:
        return self._channels.get(fold(text))

    def migratory_status(self, text: str) -> str | None:
        return self._status.get(fold(text))

    def nationality(self, text: str) -> Resolved | None:
        key = fold(text)
        if not key:
            return None
        code = self._countries.get(key) or self._countries.get(fold(re.sub(r"\(.*?\)", "", text)))
        if code:
            return Resolved(code)
        found = process.extractOne(
            key, self._country_names, scorer=fuzz.ratio, score_cutoff=COUNTRY_SCORE
        )
        if found is not None:
            return Resolved(self._countries[found[0]], approximate=True)
        return None

    def district(self, text: str) -> Resolved | None:
        key = fold(text)
        if not key:
            return None
        if key in self._districts:
            return Resolved(self._districts[key])
        # "San Juan de Lurigancho - Lima", "Comas (Lima)": the province is the last resort
        parts = [fold(p) for p in re.split(r"[-,/()]+", text) if fold(p)]
        parts.sort(key=lambda part: part in ("lima", "callao", "peru"))
        for part in parts:
            if part in self._districts:
                return Resolved(self._districts[part])
        names = [k for k in self._districts if not k.isdigit() and len(k) > 4]
        found = process.extractOne(key, names, scorer=fuzz.ratio, score_cutoff=DISTRICT_SCORE)
        if found is not None:
            return Resolved(self._districts[found[0]], approximate=True)
        return None

    def document_type(self, text: str) -> str | None:
        return self._documents.get(fold(text))

    def split_document(self, text: str) -> tuple[str, str]:
        """``CE 001234567`` -> (``CE``, ``001234567``); (``""``, text) without a known prefix."""
        match = re.fullmatch(
            r"\s*([A-Za-zÁÉÍÓÚáéíóúÑñ. ]+?)[\s.:#°º-]+([A-Za-z]{0,3}\d[\w.\- ]*)\s*", text
        )
        if match:
            code = self.document_type(match[1])
            if code:
                return code, match[2].strip()
        return "", text.strip()

    def topic(self, text: str) -> Resolved | tuple[str, str] | None:
        """One topic: exact code/name/alias, or the most similar name above TOPIC_SCORE.

        Returns a pair of codes when two topics are equally similar.
        """
        key = fold(text)
        if not key:
            return None
        if key in self._topics:
            return Resolved(self._topics[key])
        found = process.extract(
            key, list(self._topic_names), scorer=fuzz.WRatio, score_cutoff=TOPIC_SCORE, limit=5
        )
        codes: list[tuple[str, float]] = []
        for name, score, _i in found:
            code = self._topic_names[name]
            if code not in (c for c, _s in codes):
                codes.append((code, score))
        if not codes:
            return None
        if len(codes) > 1 and codes[1][1] >= codes[0][1] - 1:
            return codes[0][0], codes[1][0]
        return Resolved(codes[0][0], approximate=True)

    def topics(self, text: str) -> TopicResult:
        """Several topics separated by ``;`` or ``,``."""
        result = TopicResult([], [], [], [])
        for part in _split_values(text):
            found = self.topic(part)
            if found is None:
                result.unknown.append(part)
            elif isinstance(found, tuple):
                result.ambiguous.append((part, found[0], found[1]))
            else:
                if found.code not in result.codes:
                    result.codes.append(found.code)
                if found.approximate:
                    result.approximate.append((part, found.code))
        return result
