"""Issue #12.2: the frozen program (``make installer``: PyInstaller one-folder build in
``dist/oma-desktop/``) runs on its own: a missing resource or hidden import fails here.

CI builds the bundle first (``.ci/run``: ``make installer`` then ``make test``); without a
bundle the tests that run it are skipped, saying how to build it. The program runs as a
separate process with a temporary home, no ``OMA_*`` overrides and no access to this
checkout's ``resources/``: everything it reads must come from inside the bundle.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import types
from pathlib import Path

import openpyxl
import pypdf
import pytest
from acting import TEST_PASSWORD, login
from babel.messages.pofile import read_po
from frozen_app import BUNDLE, frozen_executable

from oma_desktop import APP_NAME, __version__
from oma_desktop.i18n import _

ROOT = Path(__file__).resolve().parents[1]
# where installer/oma-desktop.spec puts resources/ (oma_desktop.paths.resources_dir())
BUNDLED_RESOURCES = BUNDLE / "_internal" / "oma_desktop" / "resources"
DEMO_PERSONS = 30
REBUILD = "the bundle is older than the sources: rebuild it with `make installer`"


def _program() -> Path:
    executable = frozen_executable()
    if executable is None:
        pytest.skip("the frozen build (dist/oma-desktop/oma-desktop) has not been made: "
                    "run `make installer` (CI does, before `make test`)")
    return executable


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OMA_", "XDG_")) and k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", OMA_PASSWORD=TEST_PASSWORD,
               COLUMNS="400")
    return env


def _run(home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    # from a folder outside the checkout, so that nothing can come from the sources
    return subprocess.run([str(_program()), *map(str, args)], capture_output=True, text=True,
                          env=_env(home), cwd=home, timeout=600, check=False)


@pytest.fixture(scope="module")
def frozen_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _program()
    return tmp_path_factory.mktemp("frozen-home")


@pytest.fixture(scope="module")
def frozen_demo(frozen_home: Path) -> Path:
    """A data folder made by the frozen program itself: ``demo --persons 30 --seed 1``."""
    folder = frozen_home / "datos"
    done = _run(frozen_home, "--data-dir", folder, "demo", "--persons", str(DEMO_PERSONS),
                "--seed", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


def test_the_frozen_program_says_its_version(frozen_home: Path) -> None:
    done = _run(frozen_home, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{APP_NAME} {__version__}"


def test_the_frozen_program_passes_its_smoke_test_on_a_demo_folder(
    frozen_home: Path, frozen_demo: Path
) -> None:
    done = _run(frozen_home, "--data-dir", frozen_demo, "--smoke-test")
    assert done.returncode == 0, done.stdout + done.stderr
    # it read its resources from inside the bundle, not from this checkout
    logs = "\n".join(p.read_text(encoding="utf-8") for p in (frozen_demo / "logs").glob("*.log*"))
    used = re.findall(r"command gui, language es, resources (.+)", logs)
    assert used, logs
    assert {Path(u.strip()) for u in used} == {BUNDLED_RESOURCES}


def test_the_frozen_program_speaks_spanish_from_its_compiled_catalog(frozen_home: Path) -> None:
    done = _run(frozen_home, "--lang", "es", "--help")
    assert done.returncode == 0, done.stderr
    po = ROOT / "resources" / "locale" / "es" / "LC_MESSAGES" / "oma_desktop.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale="es")
    msgid = "fill the data folder with realistic synthetic data"
    spanish = catalog[msgid].string
    assert isinstance(spanish, str) and spanish and spanish != msgid
    assert spanish in done.stdout
    assert msgid not in done.stdout


def test_the_frozen_program_writes_reports_with_the_embedded_fonts_and_excel(
    frozen_home: Path, frozen_demo: Path
) -> None:
    outputs = {}
    for fmt in ("pdf", "xlsx"):
        out = frozen_home / f"reporte.{fmt}"
        done = _run(frozen_home, "--data-dir", frozen_demo, "report", "--from", "2000-01-01",
                    "--to", "2100-12-31", "--out", out)
        assert done.returncode == 0, done.stdout + done.stderr
        outputs[fmt] = out

    ctx = login(frozen_demo)
    try:
        consultations = ctx.session.store.conn.execute(
            "SELECT count(*) FROM consultation WHERE deleted = 0").fetchone()[0]
    finally:
        ctx.close()
    assert consultations > 0

    workbook = openpyxl.load_workbook(outputs["xlsx"], read_only=True)
    try:
        figures = {row[0]: row[1] for ws in workbook.worksheets
                   for row in ws.iter_rows(values_only=True) if len(row) >= 2}
    finally:
        workbook.close()
    assert figures[_("Consultations")] == consultations

    reader = pypdf.PdfReader(outputs["pdf"])
    assert len(reader.pages) >= 1
    fonts = set()
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        assert isinstance(resources, pypdf.generic.DictionaryObject)
        for font in resources.get("/Font", {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    # printing/sheets.py embeds reportlab's Vera fonts (from reportlab/fonts in the bundle)
    assert fonts and all("BitstreamVeraSans" in font for font in fonts), fonts


def test_the_bundle_holds_every_resource_and_the_fonts() -> None:
    _program()
    for name in ("catalogs/topics.csv", "catalogs/casas.csv", "locale/es/LC_MESSAGES/oma_desktop.mo",
                 "locale/en/LC_MESSAGES/oma_desktop.mo", "help/guia-usuario.md",
                 "icons/oma-desktop-256.png", "icons/oma-desktop-48.png"):
        assert (BUNDLED_RESOURCES / name).is_file(), f"{name} missing from the bundle"
    assert list((BUNDLED_RESOURCES / "geo").glob("*.geojson"))
    source = ROOT / "resources"
    expected = {p.relative_to(source) for p in source.rglob("*")
                if p.is_file() and p.suffix not in (".po", ".pot") and "__pycache__" not in p.parts}
    bundled = {p.relative_to(BUNDLED_RESOURCES) for p in BUNDLED_RESOURCES.rglob("*") if p.is_file()}
    assert not expected - bundled, f"{sorted(map(str, expected - bundled))}: {REBUILD}"
    assert not {p for p in bundled if p.suffix in (".po", ".pot")}
    internal = BUNDLE / "_internal"
    for font in ("Vera.ttf", "VeraBd.ttf"):
        assert (internal / "reportlab" / "fonts" / font).is_file()
    # Qt's Spanish catalog for the standard buttons (ui/qt_i18n.py)
    assert list(internal.glob("PySide6/Qt/translations/qtbase_es.qm"))
    # the unused Qt modules stay out
    assert not list(internal.rglob("*Qt6WebEngine*"))
    assert not list(internal.rglob("*Qt6Quick*"))


def test_the_linux_archive_installs_for_the_user_and_uninstalls_keeping_the_data(
    tmp_path: Path,
) -> None:
    _program()
    arch = os.uname().machine
    archive = ROOT / "dist" / f"oma-desktop-{__version__}-linux-{arch}.tar.gz"
    if not archive.is_file():
        pytest.skip(f"{archive.name} has not been made: run `make installer`")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        top = f"oma-desktop-{__version__}-linux-{arch}"
        for name in ("install.sh", "oma-desktop.desktop", "oma-desktop.png",
                     "oma-desktop/oma-desktop"):
            assert f"{top}/{name}" in names
        tar.extractall(tmp_path / "x", filter="tar")
    home = tmp_path / "home"
    data = home / ".local" / "share" / "oma-desktop"
    data.mkdir(parents=True)
    (data / "oma.sqlite3").write_bytes(b"the clerk's records")
    env = _env(home)
    install = tmp_path / "x" / top / "install.sh"

    done = subprocess.run(["sh", str(install)], capture_output=True, text=True, env=env,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    entry = (home / ".local" / "share" / "applications" / "oma-desktop.desktop").read_text()
    program = re.search(r'^Exec="([^"]+)"$', entry, re.MULTILINE)
    icon = re.search(r"^Icon=(.+)$", entry, re.MULTILINE)
    assert program and icon, entry
    assert Path(program.group(1)) == home / ".local" / "opt" / "oma-desktop" / "oma-desktop"
    assert Path(icon.group(1)).is_file()
    version = subprocess.run([program.group(1), "--version"], capture_output=True, text=True,
                             env=env, timeout=600, check=False)
    assert version.stdout.strip() == f"{APP_NAME} {__version__}"

    done = subprocess.run(["sh", str(install), "--desinstalar"], capture_output=True, text=True,
                          env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert not (home / ".local" / "opt" / "oma-desktop").exists()
    assert not (home / ".local" / "share" / "applications" / "oma-desktop.desktop").exists()
    assert (data / "oma.sqlite3").read_bytes() == b"the clerk's records"


def test_the_windows_version_resource_is_what_pyinstaller_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """installer/version_info.py writes PyInstaller's text form of the version resource;
    PyInstaller reads it back on Windows only, so it is parsed here the way it will be."""
    pytest.importorskip("PyInstaller", reason="the installer extra: pip install -e .[installer]")
    import PyInstaller.compat

    # versioninfo imports Windows-only helpers at the top; parsing needs neither
    monkeypatch.setitem(sys.modules, "pefile", types.ModuleType("pefile"))
    monkeypatch.setattr(PyInstaller.compat, "win32api", None, raising=False)
    monkeypatch.delitem(sys.modules, "PyInstaller.utils.win32.versioninfo", raising=False)
    from PyInstaller.utils.win32 import versioninfo

    monkeypatch.syspath_prepend(str(ROOT / "installer"))
    monkeypatch.delitem(sys.modules, "version_info", raising=False)
    import version_info

    assert version_info.read_version() == __version__
    path = version_info.write_version_file(tmp_path / "version_info.txt")
    info = versioninfo.load_version_info_from_text_file(str(path))
    assert isinstance(info, versioninfo.VSVersionInfo)
    numbers = [int(n) for n in __version__.split(".")[:3]]
    numbers += [0] * (4 - len(numbers))
    assert info.ffi.fileVersionMS == (numbers[0] << 16) | numbers[1]
    assert info.ffi.fileVersionLS == (numbers[2] << 16) | numbers[3]
    strings = {s.name: s.val for table in info.kids[0].kids for s in table.kids}
    assert strings["ProductVersion"] == __version__
    assert strings["OriginalFilename"] == "oma-desktop.exe"
