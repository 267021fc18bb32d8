"""The day's sheet (Hoy): today's attentions at this casa, counts, export and PDF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader

from oma_desktop.services.consultations import ConsultationInput, link_to_person, record_consultation
from oma_desktop.services.context import AppContext
from oma_desktop.services.export import save_pdf, write_sheets
from oma_desktop.services.persons import PersonInput, register_person
from oma_desktop.services.today import day_export, day_print, day_sheet

DAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 29, 18, 0)  # later than every consultation below


def label(ctx: AppContext, code: str) -> str:
    return ctx.catalogs.topic(code).label("es")


def add_staff(ctx: AppContext, name: str) -> str:
    with ctx.session.transaction() as tx:
        return tx.create("app_user", {"username": name.split()[0].lower(), "display_name": name,
                                      "casa_id": "CV1"})


def person(ctx: AppContext, given: str, surname: str = "Rojas") -> str:
    return register_person(ctx.session, PersonInput(
        given_names=given, paternal_surname=surname, sex="F", nationality="VE",
        consent_register=True), DAY)


def consult(ctx: AppContext, pid: str | None, hour: int, topics: list[str], *, staff: str = "",
            casa: str = "", day: dt.date = DAY, follow: dt.date | None = None) -> str:
    return record_consultation(ctx.session, ConsultationInput(
        person_id=pid, occurred_at=dt.datetime.combine(day, dt.time(hour, 5)), topics=topics,
        staff_user_id=staff, casa_id=casa, summary="x", follow_up_date=follow,
        anon_sex="F" if pid is None else "", anon_age=34 if pid is None else None,
    ), NOW)


@pytest.mark.usefixtures("coordinator")
def test_day_sheet_lists_today_at_this_casa_in_order_with_counts(ctx: AppContext) -> None:
    marta = add_staff(ctx, "Marta Quispe")
    ana, bea = person(ctx, "Ana"), person(ctx, "Bea", "Ñáñez")
    c2 = consult(ctx, ana, 11, ["SALUD_SIS", "REG_CPP_PTP"], staff=marta)
    c1 = consult(ctx, None, 9, ["SALUD_SIS"])
    c3 = consult(ctx, bea, 15, ["REG_CPP_PTP"], staff=marta)
    consult(ctx, ana, 10, ["SALUD_SIS"], day=DAY - dt.timedelta(days=1))  # yesterday
    consult(ctx, bea, 10, ["SALUD_SIS"], casa="CV2")  # another casa
    consult(ctx, bea, 0, ["SALUD_SIS"], day=DAY + dt.timedelta(days=1))  # tomorrow, midnight

    sheet = day_sheet(ctx.session, DAY)
    assert [r.consultation_id for r in sheet.rows] == [c1, c2, c3]
    assert [r.time_text for r in sheet.rows] == ["09:05", "11:05", "15:05"]
    assert [r.person_name for r in sheet.rows] == [
        "Atención anónima (mujer, 34 años)", "Ana Rojas", "Bea Ñáñez"]
    assert sheet.rows[0].anonymous and sheet.anonymous_count == 1
    sis, cpp = label(ctx, "SALUD_SIS"), label(ctx, "REG_CPP_PTP")
    assert sheet.rows[1].topics == f"{sis}, {cpp}"
    assert sheet.by_topic == tuple(sorted([(sis, 2), (cpp, 2)]))
    assert sheet.by_staff == (("Marta Quispe", 2), ("Recepción", 1))
    assert sheet.casa_name == "Casa Vecinal 1"
    assert [r.consultation_id for r in day_sheet(ctx.session, DAY, "CV2").rows] != [c1, c2, c3]
    assert len(day_sheet(ctx.session, DAY, "CV2").rows) == 1


def test_a_linked_walk_in_shows_the_person_on_the_sheet(ctx: AppContext) -> None:
    walk_in = consult(ctx, None, 9, ["SALUD_SIS"])
    ana = person(ctx, "Ana")
    link_to_person(ctx.session, walk_in, ana)
    row = day_sheet(ctx.session, DAY).rows[0]
    assert (row.person_id, row.person_name) == (ana, "Ana Rojas")


@pytest.mark.usefixtures("coordinator")
def test_day_sheet_exports_to_xlsx_and_csv_with_formulas_escaped(
    ctx: AppContext, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    evil = person(ctx, "=HYPERLINK(\"http://x\",\"y\")", "-Lopez")
    consult(ctx, evil, 10, ["SALUD_SIS"])
    sheets = day_export(day_sheet(ctx.session, DAY))

    xlsx = write_sheets(tmp_path / "hoy.xlsx", sheets)
    book = load_workbook(xlsx)
    assert book.sheetnames == ["Atenciones", "Conteos"]
    ws = book["Atenciones"]
    assert ws["A1"].value == "Hoja del día — Casa Vecinal 1 — 27/11/2026"
    assert [c.value for c in ws[4]] == ["Hora", "Persona", "Temas", "Personal", "Canal",
                                        "Seguimiento"]
    name = ws["B5"]
    assert name.value == '=HYPERLINK("http://x","y") -Lopez'
    assert name.data_type == "s" and name.quotePrefix  # text shown as typed, never run
    assert ws["C5"].value == label(ctx, "SALUD_SIS")

    csv_path = write_sheets(tmp_path / "hoy.csv", sheets)
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    text = raw.decode("utf-8-sig")
    assert "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\") -Lopez\"" in text
    assert "Hora,Persona,Temas,Personal,Canal,Seguimiento" in text
    assert f"{label(ctx, 'SALUD_SIS')},1" in text


def test_day_sheet_pdf_has_the_rows_and_counts_in_spanish(ctx: AppContext, tmp_path: Path) -> None:
    marta = add_staff(ctx, "Marta Quispe")
    consult(ctx, person(ctx, "Begoña", "Muñoz"), 10, ["SALUD_SIS"], staff=marta)
    consult(ctx, None, 11, ["REG_CPP_PTP"])
    pdf = save_pdf(tmp_path / "hoy.pdf",
                   day_print(day_sheet(ctx.session, DAY), dt.datetime(2026, 11, 27, 18, 30)))
    reader = PdfReader(pdf)
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in ("Hoja del día — Casa Vecinal 1 — 27/11/2026", "2 atenciones (1 anónima)",
                     "Begoña Muñoz", "Atención anónima (mujer, 34 años)", "Marta Quispe",
                     "Atenciones por tema", "Atenciones por personal",
                     label(ctx, "REG_CPP_PTP"), "Impreso el 27/11/2026 18:30", "Página 1"):
        assert expected in text, expected
    fonts = [page["/Resources"]["/Font"][key].get_object()  # type: ignore[index]
             for page in reader.pages for key in page["/Resources"]["/Font"]]  # type: ignore[index]
    embedded = [f for f in fonts if "/DescendantFonts" in f or "/FontDescriptor" in f]
    descriptors = [(f["/DescendantFonts"][0].get_object() if "/DescendantFonts" in f else f)
                   ["/FontDescriptor"] for f in embedded]
    assert any("/FontFile2" in d for d in descriptors)  # a TrueType font travels in the file


def test_empty_day_prints_and_exports(ctx: AppContext, tmp_path: Path) -> None:
    sheet = day_sheet(ctx.session, DAY)
    assert sheet.rows == () and sheet.by_topic == ()
    pdf = save_pdf(tmp_path / "vacio.pdf", day_print(sheet))
    assert "No hay atenciones registradas este día." in PdfReader(pdf).pages[0].extract_text()
