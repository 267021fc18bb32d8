"""The referral slip: what it says, what it must not say, and that it stays on the paper."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from oma_desktop.printing import slip as slip_module
from oma_desktop.printing.slip import SlipData, write_slips
from tests.printing.conftest import pdf_text, render_png, squash

MM = 72 / 25.4


def sample(code: str = "CV3-2026-000123", **changes: object) -> SlipData:
    data = SlipData(
        code=code,
        casa_name="Casa del Vecino Migrante N.° 3 — Cercado de Lima",
        casa_address="Jr. Conde de Superunda 141, Cercado de Lima",
        casa_phone="(01) 632-1300",
        issued_on="02/12/2026",
        staff_name="Lucía Fernández Quispe",
        priority_label="Urgente (72 h)",
        due_on="05/12/2026",
        person_lines=[("Nombre", "María José Gutiérrez Peña"), ("Teléfono", "987 654 321")],
        service_name="Centro de Salud Conde de la Vega Baja",
        service_address="Jr. Conde de la Vega Baja 650, Cercado de Lima",
        service_hours="Lunes a sábado, 7:30 a 19:30",
        service_phone="(01) 431-1234",
        requirements="Pasaporte o carné de extranjería; recibo de luz o agua.",
        reason="Gestante sin controles prenatales; afiliación al SIS.",
        consent_line="La persona autorizó compartir estos datos con la institución de destino.",
    )
    return dataclasses.replace(data, **changes)  # type: ignore[arg-type]


def test_slip_carries_code_destination_requirements_and_stub(tmp_path: Path) -> None:
    text = pdf_text(write_slips([sample()], tmp_path / "s.pdf"))
    flat = squash(text)
    for expected in ("CV3-2026-000123", "Centro de Salud Conde de la Vega Baja",
                     "Jr. Conde de la Vega Baja 650", "Lunes a sábado, 7:30 a 19:30",
                     "(01) 431-1234", "Pasaporte o carné de extranjería; recibo de luz o agua.",
                     "Lleve:", "Urgente (72 h)", "05/12/2026", "Lucía Fernández Quispe",
                     "Municipalidad Metropolitana de Lima", "Ley N.° 29733",
                     "CONTRARREFERENCIA", "¿Fue atendida?", "Observaciones",
                     "La persona autorizó compartir estos datos"):
        assert squash(expected) in flat, expected
    assert "COPIA" not in text


def test_only_the_person_lines_passed_are_printed_and_the_stub_has_none(tmp_path: Path) -> None:
    # the caller filtered the document number out (no consent to share it)
    text = pdf_text(write_slips([sample()], tmp_path / "s.pdf"))
    assert "Documento" not in text
    assert "Carné de extranjería 001234567" not in text
    # the name is printed once: in the upper part, not on the stub that travels back
    assert squash(text).count(squash("María José Gutiérrez Peña")) == 1


def test_several_slips_one_page_each(tmp_path: Path) -> None:
    codes = ["CV3-2026-000001", "CV3-2026-000002", "CV3-2026-000003"]
    reader = PdfReader(str(write_slips([sample(c) for c in codes], tmp_path / "s.pdf")))
    assert len(reader.pages) == 3
    for page, code in zip(reader.pages, codes, strict=True):
        assert code in page.extract_text()


def test_reprint_says_copy(tmp_path: Path) -> None:
    text = pdf_text(write_slips([sample(copy=True)], tmp_path / "s.pdf"))
    assert "COPIA" in text


def test_a4_is_a_setting_and_a5_the_default(tmp_path: Path) -> None:
    a5 = PdfReader(str(write_slips([sample()], tmp_path / "a5.pdf"))).pages[0].mediabox
    a4 = PdfReader(str(write_slips([sample(paper="A4")], tmp_path / "a4.pdf"))).pages[0].mediabox
    assert (round(float(a5.width) / MM), round(float(a5.height) / MM)) == (148, 210)
    assert (round(float(a4.width) / MM), round(float(a4.height) / MM)) == (210, 297)


def test_every_font_is_embedded(tmp_path: Path) -> None:
    page = PdfReader(str(write_slips([sample()], tmp_path / "s.pdf"))).pages[0]
    fonts = page["/Resources"]["/Font"]
    assert fonts
    for ref in fonts.values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, font["/BaseFont"]


def test_logo_is_drawn_and_a_broken_logo_does_not_stop_printing(tmp_path: Path) -> None:
    import io

    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 30, 30)).save(buffer, format="PNG")
    with_logo = write_slips([sample(logo_png=buffer.getvalue())], tmp_path / "logo.pdf")
    assert "/XObject" in PdfReader(str(with_logo)).pages[0]["/Resources"]
    broken = write_slips([sample(logo_png=b"not a png")], tmp_path / "broken.pdf")
    assert "CV3-2026-000123" in pdf_text(broken)


def test_no_slips_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="boleta"):
        write_slips([], tmp_path / "s.pdf")


# --- layout, on the rendered page ------------------------------------------------------------

DPI = 72


def _ink(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Number of dark pixels in ``box`` (left, top, right, bottom)."""
    return sum(image.crop(box).histogram()[:200])


LONG_NAME = ("Wilmer Alejandro de la Santísima Trinidad Rodríguez Hernández Fernández de Córdova "
             "Gutiérrez Peña Álvarez Quispe Mamani Ñahui Castañeda")[:120]
LONG_ADDRESS = ("Avenida Nicolás de Piérola 1234, interior 5, piso 3, oficina 301, frente al parque "
                "Universitario, ") * 4


@pytest.mark.parametrize("changes", [
    {"person_lines": [("Nombre", LONG_NAME)], "service_address": LONG_ADDRESS[:300]},
    {"person_lines": [("Nombre", LONG_NAME), ("Dirección", LONG_ADDRESS[:300])],
     "service_address": LONG_ADDRESS[:300], "reason": "Motivo muy largo. " * 60,
     "requirements": "Documento, recibo y constancia. " * 20,
     "service_name": "Servicio con un nombre larguísimo " * 5,
     "casa_name": "Casa del Vecino Migrante con un nombre muy largo " * 3,
     "casa_address": LONG_ADDRESS[:300], "staff_name": LONG_NAME,
     "code": "CV3-2026-000123-7KQ"},  # with its station tag: wider than the QRs
], ids=["long-name-and-address", "everything-long"])
def test_long_text_wraps_and_never_leaves_its_box(tmp_path: Path, changes: dict[str, object]) -> None:
    assert len(LONG_NAME) == 120
    data = sample(**changes)
    pdf = write_slips([data], tmp_path / "s.pdf")
    flat = squash(pdf_text(pdf))
    assert squash(LONG_NAME) in flat  # wrapped, not cut
    assert squash(LONG_ADDRESS[:300]) in flat
    (png,) = render_png(pdf, DPI, tmp_path)
    image = Image.open(png).convert("L")
    width, height = image.size
    px = DPI / 25.4  # pixels per mm
    band = round(6 * px)  # the margin is 8 mm: nothing may be printed in its outer 6 mm
    for box in ((0, 0, width, band), (0, height - band, width, height),
                (0, 0, band, height), (width - band, 0, width, height)):
        assert _ink(image, box) == 0, f"ink in the margin {box}"
    # the gap between the body and the cut line stays empty: the body did not run into the stub
    cut_from_bottom = (slip_module.MARGIN + slip_module.STUB_H) / MM
    gap_top = height - round((cut_from_bottom + slip_module.CUT_GAP / MM * 2 - 0.6) * px)
    gap_bottom = height - round((cut_from_bottom + slip_module.CUT_GAP / MM + 1) * px)
    assert gap_bottom > gap_top
    assert _ink(image, (round(16 * px), gap_top, width - round(28 * px), gap_bottom)) == 0


def test_the_layout_check_sees_text_run_off_the_page(tmp_path: Path) -> None:
    """The margin check above can fail: text drawn without wrapping is caught."""
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(tmp_path / "bad.pdf"), pagesize=A5)
    canvas.setFont("Helvetica", 9)
    canvas.drawString(8 * MM, 100 * MM, LONG_NAME)
    canvas.save()
    (png,) = render_png(tmp_path / "bad.pdf", DPI, tmp_path)
    image = Image.open(png).convert("L")
    width, height = image.size
    band = round(6 * DPI / 25.4)
    assert _ink(image, (width - band, 0, width, height)) > 0


def test_qr_codes_decode_to_the_code(tmp_path: Path) -> None:
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg is not installed (apt-get install -y zbar-tools): "
                    "the QR codes cannot be decoded")
    pdf = write_slips([sample("CV3-2026-004567-7KQ")], tmp_path / "s.pdf")
    (png,) = render_png(pdf, 110, tmp_path)
    result = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True,
                            text=True, check=False)
    assert result.stdout.split() == ["CV3-2026-004567-7KQ"] * 2  # slip and stub


def test_notice_cites_the_law_and_its_current_regulation(tmp_path: Path) -> None:
    flat = squash(pdf_text(write_slips([sample()], tmp_path / "s.pdf")))
    for expected in ("Ley N.° 29733 y su Reglamento, D.S. N.° 016-2024-JUS",
                     "titular del banco de datos", "rectificarlos, suprimirlos u oponerse",
                     "salvo que una ley obligue a conservarlos"):
        assert squash(expected) in flat, expected
    assert "003-2013" not in flat  # the regulation D.S. 016-2024-JUS repealed


def test_values_the_directory_does_not_know_print_no_line(tmp_path: Path) -> None:
    # the seeded directory writes "-" or the reference's "not found" where it has no value
    text = pdf_text(write_slips([sample(service_address="-", service_phone="not found",
                                        service_hours="—")], tmp_path / "s.pdf"))
    place = text[text.index("DERIVADA A"):text.index("MOTIVO Y PRIORIDAD")]
    assert "Lleve:" in place  # the section is the one the requirements are printed in
    for label in ("Dirección", "Horario", "Teléfono", "not found", "—"):
        assert label not in place, label
    assert squash("Pasaporte o carné de extranjería") in squash(text)  # what is known stays
