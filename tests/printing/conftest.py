"""Helpers for the printing tests: PDF text with pypdf, PNG pages with pdftoppm."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def squash(text: str) -> str:
    """Text without whitespace: wrapped lines compare equal to the unwrapped original."""
    return "".join(text.split())


def render_png(pdf: Path, dpi: int, out_dir: Path) -> list[Path]:
    """Each page of ``pdf`` as a PNG (pdftoppm, from poppler-utils)."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed (apt-get install -y poppler-utils): "
                    "the slip cannot be rendered to check its layout")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(out_dir / "page")],
                   check=True, capture_output=True)
    return sorted(out_dir.glob("page-*.png"))
