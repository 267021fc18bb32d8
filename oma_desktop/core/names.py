"""Spanish-language personal names: particles, surname order, capitalisation.

Shared by the spreadsheet import (one "Apellidos y nombres" cell) and the person form
(what the clerk typed in the search box).
"""

from __future__ import annotations

from oma_desktop.core.text import fold

PARTICLES = frozenset({"de", "del", "la", "las", "los", "da", "das", "do", "dos", "di", "van",
                        "von", "san", "santa", "y", "mc", "e"})


# Frequent given names of Venezuela, Peru and Colombia: they tell the order of a full name
# written without comma or capitals ("José Luis Pérez Quispe" / "Pérez Quispe José Luis").
# Names that are also common surnames (Martín, Cruz, Santos...) are left out.
GIVEN_NAMES_TEXT = """
abraham adriana alberto alejandra alejandro alexander alexandra ana andrea andres angel angela
angelica anderson antonio beatriz camila carla carlos carmen carolina catalina cesar christian
claudia cristian daniel daniela david dayana diana diego edgar eduardo elena elias elizabeth
emmanuel enrique ernesto fernanda fernando francisco freddy gabriel gabriela genesis gerardo
gloria greisy guillermo gustavo hector hugo ignacio isabel ivan javier jessica jesus jhon
jhonny joaquin johan johana john jorge jose josue juan juana julio karla katherine kevin laura
leonardo liliana lorena lucia luis luisa manuel maria mariana maribel mario marisol marta
martha maryori mateo matias miguel milagros moises monica natalia nathaly nelson nicolas omar
orlando oscar pablo paola patricia pedro rafael ramon raul ricardo richard roberto rodrigo
ronald rosa ruben samuel sandra santiago sebastian sergio silvia sofia teresa valentina
veronica victor wilmer william wilson yelitza yenny yessica yohana yordi yorman yuleisy yuliana
yusmary
angeles pilar rosario mercedes dolores lourdes fatima consuelo socorro luz milagro
"""
GIVEN_NAMES = frozenset(GIVEN_NAMES_TEXT.split())


def name_groups(text: str) -> list[str]:
    """Words with their leading particles: ``de la Cruz`` stays one surname."""
    groups: list[str] = []
    pending: list[str] = []
    for word in text.split():
        if fold(word) in PARTICLES:
            pending.append(word)
            continue
        groups.append(" ".join([*pending, word]))
        pending = []
    if pending:
        if groups:
            groups[-1] = " ".join([groups[-1], *pending])
        else:
            groups.append(" ".join(pending))
    return groups


def is_caps(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) > 1 and all(c.isupper() for c in letters)


def surnames_of(groups: list[str]) -> tuple[str, str]:
    if not groups:
        return "", ""
    return groups[0], " ".join(groups[1:])


def split_full_name(text: str, surnames_first: bool | None = None) -> tuple[str, str, str]:
    """(given names, paternal surname, maternal surname) from a single name cell.

    ``PÉREZ QUISPE, José Luis`` (comma: surnames first), ``José Luis PÉREZ QUISPE`` or
    ``PÉREZ QUISPE José Luis`` (capitals mark the surnames), then a frequent given name at
    one end (``José Luis Pérez Quispe`` / ``Pérez Quispe José Luis``), and last the column
    header: ``surnames_first`` ("Apellidos y nombres") or given names first (the default).
    Two words are a given name and a surname; particles stay with their word (``de la Cruz``).
    """
    text = " ".join(text.replace("\u00a0", " ").split())
    if not text:
        return "", "", ""
    if "," in text:
        # "SURNAMES, Given names" whatever the column header says
        left, right = (part.strip() for part in text.split(",", 1))
        if left and right:
            paternal, maternal = surnames_of(name_groups(left))
            return right, paternal, maternal
        text = left or right
    words = text.split()
    caps = [is_caps(w) or fold(w) in PARTICLES for w in words]
    # particles alone ("De la Cruz") are not capitals: at least one word in capitals
    mixed = any(is_caps(w) for w in words) and not all(caps)
    if mixed:
        # capitals at one end only: they are the surnames
        lead = 0
        while lead < len(words) and caps[lead]:
            lead += 1
        trail = 0
        while trail < len(words) and caps[len(words) - 1 - trail]:
            trail += 1
        if lead and not any(caps[lead:]):
            paternal, maternal = surnames_of(name_groups(" ".join(words[:lead])))
            return " ".join(words[lead:]), paternal, maternal
        if trail and not any(caps[: len(words) - trail]):
            paternal, maternal = surnames_of(name_groups(" ".join(words[len(words) - trail :])))
            return " ".join(words[: len(words) - trail]), paternal, maternal
    groups = name_groups(text)
    if len(groups) == 1:
        return groups[0], "", ""
    first_given = fold(words[0]) in GIVEN_NAMES
    last_given = fold(words[-1]) in GIVEN_NAMES
    if first_given != last_given:
        surnames_first = last_given
    if surnames_first:
        given, surnames = _given_run(groups[::-1])
        given, surnames = given[::-1], surnames[::-1]
    else:
        given, surnames = _given_run(groups)
    paternal, maternal = surnames_of(surnames)
    return " ".join(given), paternal, maternal


def _is_given(group: str) -> bool:
    """``María``, ``de los Ángeles``, ``del Carmen``: a frequent given name, particles aside."""
    return fold(group.split()[-1]) in GIVEN_NAMES


def _given_run(groups: list[str]) -> tuple[list[str], list[str]]:
    """Split ``groups`` (given names first) into given names and at most two surnames.

    Frequent given names at the start are all given names (``José María | de la Cruz``,
    ``María | de los Ángeles | Pérez``); otherwise the last two groups are the surnames
    and a single other group the given name (``Juan | de la Cruz | Pérez``).
    """
    run = 0
    while run < len(groups) and _is_given(groups[run]):
        run += 1
    cut = max(run, len(groups) - 2, 1)
    if run == len(groups):
        cut = len(groups)  # only given names were typed: no surname is made up
    return groups[:cut], groups[cut:]


def nice_case(text: str, *, first_capital: bool = True) -> str:
    """``DE LA CRUZ`` or ``de la cruz`` -> ``de la Cruz``; mixed-case text is kept as typed."""
    if not (is_caps(text) or (text == text.lower() and any(c.isalpha() for c in text))):
        return text
    words = []
    for i, word in enumerate(text.lower().split()):
        if fold(word) in PARTICLES and (i > 0 or not first_capital):
            words.append(word)
        else:
            words.append("-".join(p[:1].upper() + p[1:] for p in word.split("-")))
    return " ".join(words)
