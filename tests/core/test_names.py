"""Spanish compound names split as a clerk writes them (search box prefill and imports)."""

from __future__ import annotations

import pytest

from oma_desktop.core.names import split_full_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("María de los Ángeles Pérez Quispe", ("María de los Ángeles", "Pérez", "Quispe")),
        ("maria de los angeles perez quispe", ("maria de los angeles", "perez", "quispe")),
        ("María de los Ángeles", ("María de los Ángeles", "", "")),  # no surname made up
        ("maria del carmen rojas", ("maria del carmen", "rojas", "")),
        ("Juan De la Cruz Pérez", ("Juan", "De la Cruz", "Pérez")),
        ("De la Cruz Pérez María", ("María", "De la Cruz", "Pérez")),
        ("José María de la Cruz", ("José María", "de la Cruz", "")),
        ("Carlos Del Castillo Rojas", ("Carlos", "Del Castillo", "Rojas")),
        ("Ana María Del Castillo", ("Ana María", "Del Castillo", "")),
        ("Gómez Del Castillo Ana María", ("Ana María", "Gómez", "Del Castillo")),
        ("Wuilmer Andrés Sánchez Del Castillo", ("Wuilmer Andrés", "Sánchez", "Del Castillo")),
        ("Pérez de la Cruz, María de los Ángeles", ("María de los Ángeles", "Pérez", "de la Cruz")),
        ("DE LA CRUZ PÉREZ María", ("María", "DE LA CRUZ", "PÉREZ")),
        ("José Luis Pérez Quispe", ("José Luis", "Pérez", "Quispe")),
        ("Rojas Pérez Yusleidy Carolina", ("Yusleidy Carolina", "Rojas", "Pérez")),
        ("Kelvin Ramírez", ("Kelvin", "Ramírez", "")),
    ],
)
def test_compound_names_and_surnames_split_whole(text: str, expected: tuple[str, str, str]) -> None:
    assert split_full_name(text) == expected
