"""The constancia de atención and the route handout: their content reaches the PDF."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from oma_desktop.printing.certificate import CertificateData, write_certificate
from oma_desktop.printing.handout import HandoutData, write_handout
from oma_desktop.printing.letterhead import Place
from tests.printing.conftest import pdf_text, squash
from tests.printing.samples import sample_handout

MM = 72 / 25.4
SIS = Place("Centro de Salud Conde de la Vega Baja", "Jr. Conde de la Vega Baja 650",
            "Lunes a sábado, 7:30 a 19:30", "(01) 431-1234")


def test_certificate_says_who_what_next_and_where(tmp_path: Path) -> None:
    data = CertificateData(
        person_name="María José Gutiérrez Peña", issued_on="2 de diciembre de 2026",
        casa_name="Casa del Vecino Migrante N.° 3", casa_address="Jr. Conde de Superunda 141",
        casa_phone="(01) 632-1300", casa_hours="Lunes a viernes, 8:30 a 17:00",
        staff_name="Lucía Fernández Quispe", topics=["Salud: afiliación al SIS"],
        done="Se emitió la derivación CV3-2026-000123.",
        next_steps=["Acuda al centro de salud antes del 05/12/2026."], places=[SIS])
    flat = squash(pdf_text(write_certificate(data, tmp_path / "c.pdf")))
    for expected in ("CONSTANCIA DE ATENCIÓN", "María José Gutiérrez Peña recibió atención en "
                     "Casa del Vecino Migrante N.° 3 el 2 de diciembre de 2026",
                     "LO QUE CONSULTÓ", "Salud: afiliación al SIS", "CV3-2026-000123",
                     "PRÓXIMOS PASOS", "Acuda al centro de salud antes del 05/12/2026.",
                     "A DÓNDE IR", "Jr. Conde de la Vega Baja 650", "Lunes a sábado, 7:30 a 19:30",
                     "Lunes a viernes, 8:30 a 17:00", "Atendió: Lucía Fernández Quispe",
                     "Municipalidad Metropolitana de Lima"):
        assert squash(expected) in flat, expected


def test_certificate_without_optional_parts_leaves_their_headings_out(tmp_path: Path) -> None:
    data = CertificateData(person_name="Ana Pérez", issued_on="02/12/2026")
    text = pdf_text(write_certificate(data, tmp_path / "c.pdf"))
    assert "Ana Pérez" in text
    assert "PRÓXIMOS PASOS" not in text
    assert "A DÓNDE IR" not in text


def test_handout_is_a4_with_numbered_steps_documents_and_institutions(tmp_path: Path) -> None:
    data = HandoutData(title="Afiliarse al SIS", steps=["Vaya al centro de salud.",
                                                        "Pida la afiliación al SIS."],
                       documents=["Documento de identidad.", "Recibo de luz o agua."],
                       places=[SIS], updated_on="01/12/2026")
    pdf = write_handout(data, tmp_path / "h.pdf")
    page = PdfReader(str(pdf)).pages[0]
    assert (round(float(page.mediabox.width) / MM), round(float(page.mediabox.height) / MM)) \
        == (210, 297)
    flat = squash(pdf_text(pdf))
    for expected in ("Ruta de atención: Afiliarse al SIS", "PASO A PASO", "1.Vaya al centro de salud.",
                     "2.Pida la afiliación al SIS.", "DOCUMENTOS QUE DEBE LLEVAR",
                     "Recibo de luz o agua.", "Centro de Salud Conde de la Vega Baja",
                     "(01) 431-1234", "Información revisada el 01/12/2026."):
        assert squash(expected) in flat, expected


def test_long_certificate_stays_inside_the_margins(tmp_path: Path) -> None:
    from PIL import Image

    from tests.printing.conftest import render_png

    long_name = "Wilmer Alejandro de la Santísima Trinidad Rodríguez Hernández " * 2
    data = CertificateData(person_name=long_name, issued_on="02/12/2026",
                           casa_name="Casa " * 30, casa_address="Avenida muy larga 123, " * 12,
                           topics=["Tema larguísimo " * 20], done="Se hizo mucho. " * 40,
                           places=[Place("Institución " * 12, "Dirección larga 45, " * 15)])
    pdf = write_certificate(data, tmp_path / "c.pdf")
    assert squash(long_name) in squash(pdf_text(pdf))
    dpi = 72
    band = round(9 * dpi / 25.4)  # the margin is 12 mm
    for png in render_png(pdf, dpi, tmp_path):
        image = Image.open(png).convert("L")
        width, height = image.size
        for box in ((0, 0, width, band), (0, height - band, width, height),
                    (0, 0, band, height), (width - band, 0, width, height)):
            assert sum(image.crop(box).histogram()[:200]) == 0, f"ink in the margin {box}"


def test_a_casa_logo_heads_the_certificate_and_the_handout(tmp_path: Path) -> None:
    """The letterhead's logo (it once raised TypeError for every casa with a logo)."""
    import io
    from dataclasses import replace

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (60, 30), (20, 90, 160)).save(buffer, format="PNG")
    logo = buffer.getvalue()
    certificate = write_certificate(replace(
        CertificateData(person_name="Ana Pérez", issued_on="02/12/2026"), logo_png=logo),
        tmp_path / "c.pdf")
    handout = write_handout(replace(sample_handout(), logo_png=logo), tmp_path / "h.pdf")
    for pdf in (certificate, handout):
        assert "/XObject" in PdfReader(str(pdf)).pages[0]["/Resources"]
