"""Reports as Excel and CSV, and their partner version (issue #11, points 3 and 7).

Documents are built by hand (every case of suppression and escaping) and from a demo's real
general report; the files are read back with openpyxl and the csv module and every figure
compared with the document's, and the document's headline figures with counts made here
from the demo's rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from acting import act_as
from reporting_helpers import DEMO_TODAY

from oma_desktop.core.errors import OmaError
from oma_desktop.services.context import open_context
from oma_desktop.services.report_export import (
    COMPLEMENT,
    NotForPartnersError,
    escape_cell,
    long_header,
    numbered_tables,
    partner_view,
    sheet_name,
    write_csv,
    write_xlsx,
)
from oma_desktop.services.report_filter import ReportFilter
from oma_desktop.services.report_model import (
    SUPPRESSED,
    Column,
    ReportDocument,
    Section,
    Table,
    count_rows,
)
from oma_desktop.services.reports import build_report

TODAY = DEMO_TODAY  # the demo fixture's (tests/conftest.py)
RISKY = '=HYPERLINK("http://example.com","clic")'
HEADER_ROW = 4  # the table sheets' header row


def _table(key: str, title: str, counts: dict[str, int], *, chart: Any = None,
           label: str = "Categoría") -> Table:
    rows, total = count_rows([(k, k) for k in counts], counts)
    return Table(key, title, [Column("category", label, "text"), Column("count", "Personas"),
                              Column("percent", "%", "percent")], rows, total, chart=chart)


def hand_doc() -> ReportDocument:
    """Small cells of every kind, a cross-table with a total column, formula-like text."""
    by_age = _table("by_age_band", "Personas por grupo de edad",
                    {"0 a 5": 0, "6 a 11": 3, "12 a 17": 12, "18 a 59": 140, "60 o más": 9},
                    chart="bar")
    by_sex = _table("by_sex", "Personas por sexo", {"Mujer": 90, "Hombre": 70, "Otro": 4},
                    chart="pie")
    by_topic = _table("by_topic", "Atenciones por tema",
                      {RISKY: 7, "-Trabajo": 1, "+Salud": 2, "@Vivienda": 30,
                       "  =Educación": 25, "Regularización": 48}, chart="hbar")
    cross = Table("age_by_sex", "Personas por grupo de edad y sexo",
                  [Column("category", "Grupo de edad", "text"), Column("f", "Mujeres"),
                   Column("m", "Hombres"), Column("total", "Total")],
                  [["6 a 11", 2, 1, 3], ["12 a 17", 8, 4, 12], ["18 a 59", 70, 70, 140],
                   ["60 o más", 5, 4, 9]], ["Total", 85, 79, 164], chart="bar",
                  chart_columns=("f", "m"))
    referrals = Table("referrals", "Derivaciones por destino [CEM]: casos/atendidos?",
                      [Column("category", "Destino", "text"), Column("issued", "Emitidas"),
                       Column("attended", "Atendidas"), Column("share", "Atendidas (%)",
                                                                "percent"),
                       Column("days", "Mediana de días", "days")],
                      [["Centro de Salud", 40, 31, 77.5, 6.0], ["Migraciones", 25, 12, 48.0, 14.5],
                       ["Ministerio de Trabajo", 3, 2, 66.7, 9.0]],
                      ["Total", 68, 45, 66.2, 7.0], note="Entre las que tienen resultado.")
    return ReportDocument(
        "general", "Reporte general de atención", dt.date(2026, 11, 1), dt.date(2026, 11, 30),
        "Casa Vecinal 3", ["Nacionalidad: Venezuela", f"Tema: {RISKY}"],
        [Section("Personas atendidas", [by_age, by_sex, cross]),
         Section("Atenciones", [by_topic]), Section("Derivaciones", [referrals])],
        ["Edades al último día del periodo."], generated_at=dt.datetime(2026, 12, 1, 9, 30))


def _is_small(value: Any) -> bool:
    return isinstance(value, int) and 1 <= value <= 4


def _hidden(value: Any) -> bool:
    return value in (SUPPRESSED, COMPLEMENT)


# --- escaping -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+51 987", "-2", "@SUM(A1)", "\tx", "\rx", "  =cmd",
                                  " \t@x", RISKY])
def test_formula_like_text_gets_an_apostrophe(text: str) -> None:
    assert escape_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Ana María", "18 a 59 años", "1-2", "a=b", "", 5, 2.5, 0, -3,
                                   None])
def test_other_values_are_unchanged(value: Any) -> None:
    assert escape_cell(value) == value
    assert type(escape_cell(value)) is type(value)


# --- the partner version --------------------------------------------------------------------


def test_partner_view_suppresses_cells_of_one_to_four() -> None:
    doc = hand_doc()
    out = partner_view(doc)
    assert out.for_partners and not doc.for_partners
    assert any("<5" in note for note in out.notes)
    for original, shown in zip(doc.tables(), out.tables(), strict=True):
        counts = [i for i, c in enumerate(original.columns) if c.kind == "count"]
        percents = [i for i, c in enumerate(original.columns) if c.kind == "percent"]
        for before, after in zip(original.rows, shown.rows, strict=True):
            for i in counts:
                if _is_small(before[i]):
                    assert after[i] == SUPPRESSED
                elif after[i] != COMPLEMENT:
                    assert after[i] == before[i]  # 0 and 5 or more are kept
            if any(_hidden(after[i]) for i in counts):
                assert all(after[i] == "" for i in percents)
            else:
                assert [after[i] for i in percents] == [before[i] for i in percents]
            # no figure of 1..4 is left anywhere
            assert not any(_is_small(after[i]) for i in counts)
    # the document given was not touched
    assert hand_doc().table("by_sex").rows == doc.table("by_sex").rows


def test_zero_and_five_or_more_stay() -> None:
    out = partner_view(hand_doc())
    age = out.table("by_age_band")
    assert age.value("0 a 5", "count") == 0
    assert age.value("12 a 17", "count") == 12
    assert age.value("18 a 59", "count") == 140
    assert age.value("18 a 59", "percent") == 85.4


def test_a_single_small_cell_is_not_left_recoverable_from_the_total() -> None:
    doc = hand_doc()
    out = partner_view(doc)
    # by_age_band: only «6 a 11» (3) is small; the smallest other non-zero cell (9) goes too
    age = out.table("by_age_band")
    assert age.value("6 a 11", "count") == SUPPRESSED
    assert age.value("60 o más", "count") == COMPLEMENT
    assert age.value("60 o más", "percent") == ""
    assert "«*»" in age.note
    assert any("«*»" in note for note in out.notes)
    # the total is kept: counted, not summed from what is shown
    assert age.total == doc.table("by_age_band").total
    # every column and every row of the cross-table (its «Total» column is the sum of the
    # others) has none or at least two hidden cells
    cross = out.table("age_by_sex")
    for i in (1, 2, 3):
        assert sum(_hidden(r[i]) for r in cross.rows) != 1
    for row in cross.rows:
        assert sum(_hidden(v) for v in row[1:3]) != 1
    # referrals: issued 3 and attended 2 are both small; each column then needs a second
    ref = out.table("referrals")
    assert ref.value("Ministerio de Trabajo", "issued") == SUPPRESSED
    assert ref.value("Ministerio de Trabajo", "share") == ""
    assert ref.value("Migraciones", "issued") == COMPLEMENT
    assert ref.value("Migraciones", "attended") == COMPLEMENT
    assert ref.value("Migraciones", "days") == 14.5  # not a count of people


def test_a_small_total_is_suppressed() -> None:
    table = _table("few", "Pocas", {"A": 2, "B": 1})
    doc = ReportDocument("general", "T", TODAY, TODAY, "Casa", sections=[Section("S", [table])])
    out = partner_view(doc).table("few")
    assert out.total == ["", SUPPRESSED, ""]
    assert [r[1] for r in out.rows] == [SUPPRESSED, SUPPRESSED]


def test_documents_with_names_are_refused_for_partners() -> None:
    followup = ReportDocument(
        "seguimiento", "Mapeo y seguimiento", TODAY, TODAY, "Casa Vecinal 1", personal=True,
        sections=[Section("Personas", [Table("persons", "Personas", [
            Column("name", "Nombre", "text"), Column("district", "Distrito", "text")],
            [["Ana Pérez", "Ate"]])])])
    with pytest.raises(NotForPartnersError, match="socios") as caught:
        partner_view(followup)
    assert isinstance(caught.value, OmaError)
    # a document that forgets to say it is personal is refused by its columns
    followup.personal = False
    with pytest.raises(NotForPartnersError):
        partner_view(followup)


# --- Excel ----------------------------------------------------------------------------------


def _sheet_rows(ws: Any) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]


def _check_workbook(doc: ReportDocument, path: Path) -> openpyxl.Workbook:
    """Every table's header and figures in the workbook equal the document's."""
    wb = openpyxl.load_workbook(path)
    names = wb.sheetnames
    tables = list(numbered_tables(doc))
    assert len(names) == 1 + len(tables)
    assert len({n.casefold() for n in names}) == len(names)
    for name, (number, _section, table) in zip(names[1:], tables, strict=True):
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\")
        assert name.startswith(number + " ")
        ws = wb[name]
        assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
        header = [c.value for c in ws[HEADER_ROW]][:len(table.columns)]
        assert header == [escape_cell(c.label) for c in table.columns]
        assert all(c.font.bold for c in ws[HEADER_ROW][:len(table.columns)])
        rows = _sheet_rows(ws)
        for expected, got in zip(table.rows, rows, strict=False):
            for column, want, cell in zip(table.columns, expected, got, strict=False):
                if column.kind == "text":
                    assert cell == (escape_cell(want) if want not in ("", None) else None)
                elif want in ("", None):
                    assert cell is None
                else:
                    assert cell == want, (table.key, expected[0], column.key)
        if table.total is not None:
            got_total = rows[len(table.rows)]
            assert got_total[0] == (table.total[0] or "Total")
            assert got_total[1:len(table.columns)] == [
                None if v in ("", None) else v for v in table.total[1:]]
            assert ws.cell(HEADER_ROW + len(table.rows) + 1, 2).font.bold
        assert len(ws._charts) == (1 if table.chart and table.rows else 0), table.key
    return wb


def test_xlsx_holds_every_figure_as_a_number(tmp_path: Path) -> None:
    doc = hand_doc()
    path = write_xlsx(doc, tmp_path / "reporte.xlsx")
    wb = _check_workbook(doc, path)
    cover = [c for row in wb.worksheets[0].iter_rows(values_only=True) for c in row if c]
    for text in ("Reporte general de atención", "Casa Vecinal 3", "del 01/11/2026 al 30/11/2026",
                 "Ámbito", "Período", "Filtros", "Generado el", "Contenido",
                 "Edades al último día del periodo."):
        assert text in cover, text
    assert "Para socios: celdas menores a 5 suprimidas" not in cover
    age = wb[wb.sheetnames[1]]
    assert age.cell(HEADER_ROW + 1, 2).data_type == "n"
    assert age.cell(HEADER_ROW + 1, 3).number_format == '0.0"%"'
    # the category rows add up to the total
    rows = _sheet_rows(age)[:5]
    assert sum(r[1] for r in rows) == age.cell(HEADER_ROW + 6, 2).value == 164


def test_formula_like_text_stays_text_in_xlsx(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(write_xlsx(hand_doc(), tmp_path / "r.xlsx"))
    topics = wb[next(n for n in wb.sheetnames if n.startswith("2.1 "))]
    cells = {c.value: c for c in topics["A"] if c.value}
    for text in (RISKY, "-Trabajo", "+Salud", "@Vivienda", "  =Educación"):
        cell = cells["'" + text]
        assert cell.data_type == "s" and cell.value.startswith("'")
    assert "Regularización" in cells  # ordinary text untouched
    cover = [c for row in wb.worksheets[0].iter_rows() for c in row if c.value]
    assert all(c.data_type == "s" for c in cover if isinstance(c.value, str))
    assert f"Nacionalidad: Venezuela; Tema: {RISKY}" in [c.value for c in cover]


def test_sheet_names_are_valid_and_unique() -> None:
    used: set[str] = set()
    long = "Derivaciones por destino [CEM]: casos/atendidos? y *más*"
    first, second = sheet_name(long, used), sheet_name(long, used)
    for name in (first, second):
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\")
    assert first.casefold() != second.casefold()


def test_xlsx_for_partners_has_no_small_figure(tmp_path: Path) -> None:
    out = partner_view(hand_doc())
    wb = _check_workbook(out, write_xlsx(out, tmp_path / "socios.xlsx"))
    cover = [c for row in wb.worksheets[0].iter_rows(values_only=True) for c in row if c]
    assert "Para socios: celdas menores a 5 suprimidas" in cover
    for ws in wb.worksheets[1:]:
        values = [v for row in _sheet_rows(ws) for v in row[1:]]
        assert not any(_is_small(v) for v in values), ws.title
        assert SUPPRESSED in values, ws.title  # every table of hand_doc has a small cell
    by_sex = wb[wb.sheetnames[2]]
    assert [r[1] for r in _sheet_rows(by_sex)[:3]] == [90, COMPLEMENT, SUPPRESSED]


def test_a_failed_write_leaves_the_old_file(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from oma_desktop.services import report_export

    path = tmp_path / "reporte.xlsx"
    path.write_bytes(b"old report")

    def broken(doc: ReportDocument) -> Any:
        raise RuntimeError("disk went away")

    monkeypatch.setattr(report_export, "_build_workbook", broken)
    with pytest.raises(RuntimeError):
        write_xlsx(hand_doc(), path)
    assert path.read_bytes() == b"old report"
    assert [p.name for p in tmp_path.iterdir()] == ["reporte.xlsx"]


def test_an_unwritable_destination_is_reported_in_spanish(tmp_path: Path) -> None:
    missing = tmp_path / "no-existe" / "reporte.csv"
    with pytest.raises(OmaError, match="no existe"):
        write_csv(hand_doc(), missing)
    assert not missing.parent.exists()


# --- CSV ------------------------------------------------------------------------------------


def _read_csv(path: Path) -> list[list[str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the accents right
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _csv_text(value: Any) -> str:
    return "" if value is None else str(escape_cell(value))


def test_csv_of_one_table_is_that_table(tmp_path: Path) -> None:
    table = hand_doc().table("by_topic")
    doc = ReportDocument("5w", "5W", TODAY, TODAY, "Consolidado",
                         sections=[Section("5W", [table])])
    rows = _read_csv(write_csv(doc, tmp_path / "5w.csv"))
    assert rows[0] == ["Categoría", "Personas", "%"]
    assert rows[1:-1] == [[_csv_text(v) for v in r] for r in table.rows]
    assert table.total is not None
    assert rows[-1] == ["Total", str(table.total[1]), "100.0"]
    assert ["'" + RISKY, "7", str(table.value(RISKY, "percent"))] in rows


def test_csv_of_one_table_of_several(tmp_path: Path) -> None:
    doc = hand_doc()
    rows = _read_csv(write_csv(doc, tmp_path / "edad.csv", table="by_age_band"))
    table = doc.table("by_age_band")
    assert rows[0] == ["Categoría", "Personas", "%"]
    assert rows[1:-1] == [[_csv_text(v) for v in r] for r in table.rows]
    assert rows[-1][0] == "Total"


def test_csv_of_several_tables_is_one_figure_per_line(tmp_path: Path) -> None:
    doc = partner_view(hand_doc())
    rows = _read_csv(write_csv(doc, tmp_path / "reporte.csv"))
    assert rows[0] == long_header() == [
        "Informe", "Ámbito", "Inicio del periodo", "Fin del periodo", "Filtros", "Sección",
        "Cuadro", "Clave del cuadro", "N.° de fila", "Fila", "Columna", "Tipo", "Valor"]
    lines = rows[1:]
    assert {tuple(r[:5]) for r in lines} == {(
        "Reporte general de atención", "Casa Vecinal 3", "2026-11-01", "2026-11-30",
        f"Nacionalidad: Venezuela; Tema: {RISKY}")}
    got = {(r[7], r[8], r[10]): (r[9], r[11], r[12]) for r in lines}
    expected = 0
    for _number, _section, table in numbered_tables(doc):
        total = [("", table.total)] if table.total is not None else []
        for n, row in [*((str(n), r) for n, r in enumerate(table.rows, start=1)), *total]:
            label = row[0] or "Total"
            for column, value in zip(table.columns[1:], row[1:], strict=True):
                shown_label, kind, shown = got[(table.key, n, column.label)]
                assert shown_label == _csv_text(label)
                assert shown == _csv_text(value), (table.key, label, column.key)
                assert kind == {"count": "conteo", "percent": "porcentaje",
                                "days": "días"}[column.kind]
                expected += 1
    assert len(lines) == expected
    assert got[("by_age_band", "2", "Personas")] == ("6 a 11", "conteo", "<5")


# --- the real general report ----------------------------------------------------------------


def test_the_general_report_in_excel_and_csv(demo: Path, tmp_path: Path) -> None:
    ctx = act_as(open_context(demo), "coordinacion")
    try:
        start, end = dt.date(2026, 6, 1), dt.date(2026, 11, 30)
        doc = build_report(ctx.session, "general", ReportFilter(start, end))
        rows = [r for r in ctx.session.store.rows("SELECT * FROM consultation WHERE deleted = 0")
                if start.isoformat() <= r["occurred_at"][:10] <= end.isoformat()]
    finally:
        ctx.close()
    # counted here from the demo's rows
    consultations = len(rows)
    attended = {r["person_id"] for r in rows if r["person_id"]}
    walk_ins = sum(1 for r in rows if not r["person_id"])
    topics = Counter(t for r in rows for t in json.loads(r["topics"]))
    assert consultations > 50

    wb = _check_workbook(doc, write_xlsx(doc, tmp_path / "general.xlsx"))
    sheets = dict(zip((t.key for _n, _s, t in numbered_tables(doc)), wb.sheetnames[1:],
                      strict=True))
    summary = {r[0]: r[1] for r in _sheet_rows(wb[sheets["summary"]]) if r[0]}
    assert summary["Atenciones"] == consultations
    assert summary["Personas atendidas"] == len(attended) + walk_ins
    by_topic = {r[0]: r[1] for r in _sheet_rows(wb[sheets["by_topic"]])}
    assert sum(v for k, v in by_topic.items() if k != "Total") == sum(topics.values())
    # the category rows of each disaggregation add up to its total, in the sheet
    for key in ("by_age_band", "by_sex", "by_nationality", "by_migratory_status",
                "by_disability", "attended_new"):
        values = _sheet_rows(wb[sheets[key]])
        body, total = values[:-1], values[-1]
        assert total[0] == "Total"
        assert sum(r[1] for r in body if r[1] is not None) == total[1] == \
            len(attended) + walk_ins, key

    lines = _read_csv(write_csv(doc, tmp_path / "general.csv"))[1:]
    got = {(r[7], r[8], r[10]): (r[9], r[12]) for r in lines}
    assert ("Atenciones", str(consultations)) in [
        v for k, v in got.items() if k[0] == "summary" and k[2] == "Número"]
    for _number, _section, table in numbered_tables(doc):
        for n, row in enumerate(table.rows, start=1):
            for column, value in zip(table.columns[1:], row[1:], strict=True):
                assert got[(table.key, str(n), column.label)] == (_csv_text(row[0]),
                                                                   _csv_text(value))

    # the partner version: no figure of 1..4 in any count column, totals unchanged
    partner = partner_view(doc)
    wb = _check_workbook(partner, write_xlsx(partner, tmp_path / "socios.xlsx"))
    for _number, _section, table in numbered_tables(partner):
        counts = [i for i, c in enumerate(table.columns) if c.kind == "count"]
        for row in _sheet_rows(wb[sheets[table.key]])[:len(table.rows)]:
            assert not any(_is_small(row[i]) for i in counts), table.key
    assert partner.table("summary").value("Atenciones", "count") == consultations
