"""``oma-desktop report`` (issue #11, point 8): the file written in each format, its figures
against the database, the audit entry, and Spanish refusals for bad arguments."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from oma_desktop.cli import main
from oma_desktop.services.accounts import ADMIN_USERNAME, PASSWORD_ENV, Credentials
from oma_desktop.services.context import open_context

FROM, TO = "2025-12-01", "2026-12-02"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from acting import TEST_PASSWORD

    data = tmp_path_factory.mktemp("cli-report") / "datos"
    os.environ[PASSWORD_ENV] = TEST_PASSWORD
    assert main(["--data-dir", str(data), "demo", "--persons", "80", "--seed", "4"]) == 0
    return data


def _consultations(folder: Path, casa: str | None = None) -> int:
    ctx = open_context(folder, credentials=Credentials(ADMIN_USERNAME, os.environ[PASSWORD_ENV]))
    try:
        return int(ctx.session.store.scalar(
            "SELECT count(*) FROM consultation WHERE deleted = 0 AND occurred_at >= ?"
            " AND occurred_at < ? AND (? IS NULL OR casa_id = ?)",
            [FROM, (dt.date.fromisoformat(TO) + dt.timedelta(days=1)).isoformat(), casa, casa]))
    finally:
        ctx.close()


def _exports(folder: Path) -> list[str]:
    ctx = open_context(folder, credentials=Credentials(ADMIN_USERNAME, os.environ[PASSWORD_ENV]))
    try:
        return [str(r["detail"]) for r in ctx.session.store.rows(
            "SELECT detail FROM audit_entry WHERE action = 'export' ORDER BY at")]
    finally:
        ctx.close()


def _run(folder: Path, *args: str) -> int:
    return main(["--data-dir", str(folder), "report", "--from", FROM, "--to", TO, *args])


def test_xlsx_holds_the_figures_of_the_database(folder: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "reporte.xlsx"
    assert _run(folder, "--casa", "CV1", "--format", "xlsx", "--out", str(out)) == 0
    assert f"Reporte escrito en {out}" in capsys.readouterr().out
    book = load_workbook(out)
    found = [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
             if row and row[0] == "Atenciones"]
    assert found and found[0][1] == _consultations(folder, "CV1") > 0
    assert any("Reporte general de atención" in d for d in _exports(folder))


def test_csv_and_pdf_from_the_file_name(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "reporte.csv"
    assert _run(folder, "--out", str(out)) == 0
    text = out.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))  # long format: one figure per line
    summary = [r for r in rows if r["Clave del cuadro"] == "summary" and r["Fila"] == "Atenciones"]
    assert [r["Valor"] for r in summary] == [str(_consultations(folder))]
    pdf = tmp_path / "reporte.pdf"
    assert _run(folder, "--out", str(pdf)) == 0
    reader = PdfReader(pdf)
    assert "Reporte general de atención" in reader.pages[0].extract_text()


@pytest.mark.parametrize("args, message", [
    (["--casa", "CV9", "--out", "x.xlsx"], "No existe la casa CV9"),
    (["--zone", "Lima Oeste", "--out", "x.xlsx"], "No existe la zona Lima Oeste"),
    (["--out", "x.txt"], "Indique el formato con --format pdf, xlsx o csv"),
])
def test_bad_arguments_are_refused_in_spanish(folder: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              args: list[str], message: str) -> None:
    args = [a if a not in ("x.xlsx", "x.txt") else str(tmp_path / a) for a in args]
    assert _run(folder, *args) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_a_date_that_is_not_one(folder: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--data-dir", str(folder), "report", "--from", "31/02/2026", "--to", TO,
              "--out", str(tmp_path / "r.pdf")])
    assert exit_.value.code == 2
    assert "«31/02/2026» no es una fecha" in capsys.readouterr().err
