"""Realistic sample documents: used by the bench (slip_ms) and to render the images in
docs/screenshots/ (13-boleta-derivacion.png, 14-constancia.png)::

    python -m tests.printing.samples OUT_DIR    # writes the PDFs, then pdftoppm -r 110 -png
"""

from __future__ import annotations

import sys
from pathlib import Path

from oma_desktop.printing.certificate import CertificateData, write_certificate
from oma_desktop.printing.handout import HandoutData, write_handout
from oma_desktop.printing.letterhead import Place
from oma_desktop.printing.slip import SlipData, write_slips

CASA = {"casa_name": "Casa del Vecino Migrante N.° 3 — Cercado de Lima",
        "casa_address": "Jr. Conde de Superunda 141, Cercado de Lima",
        "casa_phone": "(01) 632-1300 anexo 4512"}
HEALTH_CENTRE = Place("Centro de Salud Conde de la Vega Baja",
                      "Jr. Conde de la Vega Baja 650, Cercado de Lima (frente al parque)",
                      "Lunes a sábado, 7:30 a 19:30", "(01) 431-1234")


def sample_slip(code: str = "CV3-2026-000123-7KQ") -> SlipData:
    return SlipData(
        code=code, **CASA, issued_on="02/12/2026", staff_name="Lucía Fernández Quispe",
        priority_label="Urgente (72 h)", due_on="05/12/2026",
        person_lines=[("Nombre", "María José Gutiérrez Peña"),
                      ("Documento", "Carné de extranjería 001234567"),
                      ("Teléfono", "987 654 321")],
        service_name=HEALTH_CENTRE.name + " — Afiliación al SIS y control prenatal",
        service_address=HEALTH_CENTRE.address, service_hours=HEALTH_CENTRE.hours,
        service_phone=HEALTH_CENTRE.phone,
        requirements="Documento de identidad (pasaporte, CPP o carné de extranjería), esta "
                     "boleta y un recibo de luz o agua de su domicilio.",
        reason="Gestante de 24 semanas sin controles prenatales; necesita afiliarse al SIS y "
               "su primera cita de control.",
        consent_line="La persona autorizó compartir estos datos con la institución de destino.")


def sample_certificate() -> CertificateData:
    return CertificateData(
        person_name="María José Gutiérrez Peña", issued_on="2 de diciembre de 2026", **CASA,
        casa_hours="Lunes a viernes, 8:30 a 17:00", staff_name="Lucía Fernández Quispe",
        topics=["Salud: afiliación al SIS durante el embarazo",
                "Documentación: renovación del Carné de Permiso Temporal de Permanencia (CPP)"],
        done="Se revisaron sus documentos, se le explicó cómo afiliarse al SIS y se emitió la "
             "derivación CV3-2026-000123-7KQ al centro de salud.",
        next_steps=["Acuda al centro de salud antes del 05/12/2026 con su documento de identidad "
                    "y la boleta de derivación.",
                    "Pida la afiliación al SIS en la oficina de seguros del centro de salud.",
                    "Cuando la atiendan, traiga a la OMA la parte de abajo de la boleta "
                    "(contrarreferencia)."],
        places=[HEALTH_CENTRE])


def sample_handout() -> HandoutData:
    return HandoutData(
        title="Afiliarse al SIS", **CASA, updated_on="01/12/2026",
        intro="El Seguro Integral de Salud (SIS) atiende gratis a gestantes y a niñas y niños "
              "menores de 5 años, aunque no tengan carné de extranjería.",
        steps=["Vaya al establecimiento de salud más cercano a su casa.",
               "En admisión, pida la afiliación al SIS.",
               "Muestre su documento de identidad.",
               "Guarde el comprobante de afiliación y llévelo a cada cita."],
        documents=["Documento de identidad (pasaporte, CPP, carné de extranjería o cédula).",
                   "Recibo de luz o agua de su domicilio."],
        places=[HEALTH_CENTRE])


def main(out: Path) -> None:
    from oma_desktop import i18n

    i18n.setup("es")
    out.mkdir(parents=True, exist_ok=True)
    write_slips([sample_slip()], out / "boleta.pdf")
    write_certificate(sample_certificate(), out / "constancia.pdf")
    write_handout(sample_handout(), out / "ruta.pdf")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
