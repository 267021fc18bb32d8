"""Issue #12.1: the Windows installer. No Windows here, so the Inno Setup script is read
and checked against what the rest of the build makes (the spec's output, the icon, the
program's version and name), and ``installer/build_windows.py`` — the one command Windows
developers run — is driven on the Linux build with a stand-in for Inno Setup's compiler."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from frozen_app import frozen_executable

from oma_desktop import __version__

ROOT = Path(__file__).resolve().parents[1]
ISS = ROOT / "installer" / "oma-desktop.iss"
# the identity Windows knows OMA Desktop by: a new version with another AppId would install
# beside the old one instead of upgrading it
APP_ID = "{{F141F0EC-875B-4F1D-BD37-5839B18BDB8E}"

sys.path.insert(0, str(ROOT / "installer"))
from version_info import EXE_NAME  # noqa: E402


def _sections() -> dict[str, list[str]]:
    """The script's [Section] lines without comments and preprocessor directives."""
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for raw in ISS.read_text(encoding="utf-8-sig").splitlines():
        line = raw.strip()
        if not line or line.startswith((";", "#")):
            continue
        match = re.fullmatch(r"\[(\w+)\]", line)
        if match:
            current = match.group(1)
            sections.setdefault(current, [])
            continue
        sections[current].append(line)
    return sections


def _setup() -> dict[str, str]:
    return dict(line.split("=", 1) for line in _sections()["Setup"])


def _entries(section: str) -> list[dict[str, str]]:
    out = []
    for line in _sections()[section]:
        parts = re.findall(r'(\w+):\s*("[^"]*"|[^;]+)', line)
        out.append({k: v.strip().strip('"') for k, v in parts})
    return out


def test_the_app_id_is_fixed_and_the_version_passed_in() -> None:
    setup = _setup()
    assert setup["AppId"] == APP_ID
    assert setup["AppVersion"] == "{#AppVersion}"
    assert setup["VersionInfoVersion"] == "{#FileVersion}"
    text = ISS.read_text(encoding="utf-8-sig")
    assert re.search(r"#ifndef AppVersion\s+#error", text)  # no version, no installer
    assert setup["OutputBaseFilename"] == "oma-desktop-{#AppVersion}-windows-x64-setup"


def test_it_installs_the_spec_output_with_its_icon_and_shortcuts() -> None:
    text = ISS.read_text(encoding="utf-8-sig")
    assert f'#define AppExe "{EXE_NAME}"' in text
    [files] = _entries("Files")
    assert files["Source"] == r"..\dist\oma-desktop\*"  # where PyInstaller puts the build
    assert {"recursesubdirs", "createallsubdirs"} <= set(files["Flags"].split())
    icon = _setup()["SetupIconFile"].replace("\\", "/")
    assert (ISS.parent / icon).resolve().is_file()
    icons = {e["Name"].split("\\")[0]: e for e in _entries("Icons")}
    assert set(icons) == {"{autoprograms}", "{autodesktop}"}
    assert icons["{autodesktop}"]["Tasks"] == "desktopicon"  # the desktop one is a choice
    assert all(e["Filename"] == r"{app}\{#AppExe}" for e in icons.values())
    assert [e["MessagesFile"] for e in _entries("Languages")] == [
        r"compiler:Languages\Spanish.isl"]
    assert _setup()["PrivilegesRequired"] == "admin"


def test_uninstalling_never_touches_the_data_folder() -> None:
    sections = _sections()
    assert sections.get("UninstallDelete", []) == []
    for line in sections.get("InstallDelete", []):
        assert r'Name: "{app}\_internal"' in line  # only the old program files
    assert "localappdata" not in " ".join(sections["Files"] + sections.get("Dirs", [])).lower()


def test_the_windows_build_script_smoke_tests_and_passes_the_version(tmp_path: Path) -> None:
    if frozen_executable() is None:
        pytest.skip("the frozen build (dist/oma-desktop) has not been made: run `make "
                    "installer` (CI does, before `make test`)")
    calls = tmp_path / "iscc-args.txt"
    fake = tmp_path / "ISCC"
    out = ROOT / "dist" / f"oma-desktop-{__version__}-windows-x64-setup.exe"
    fake.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import sys, pathlib
        pathlib.Path({str(calls)!r}).write_text("\\n".join(sys.argv[1:]))
        pathlib.Path({str(out)!r}).write_bytes(b"MZ stand-in")
        """), encoding="utf-8")
    fake.chmod(0o755)
    try:
        done = subprocess.run(
            [sys.executable, ROOT / "installer" / "build_windows.py", "--skip-build",
             "--iscc", fake], capture_output=True, text=True, timeout=900, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Smoke test 2/2" in done.stdout and f"Done: {out}" in done.stdout
        numbers = (__version__.split("+")[0].split(".") + ["0"] * 4)[:4]
        assert calls.read_text().splitlines() == [
            f"/DAppVersion={__version__}", f"/DFileVersion={'.'.join(numbers)}", str(ISS)]
    finally:
        out.unlink(missing_ok=True)


def test_the_windows_build_script_stops_first_with_a_reason_without_the_compiler(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, ROOT / "installer" / "build_windows.py", "--skip-build", "--iscc",
         tmp_path / "no-such" / "ISCC.exe"], capture_output=True, text=True, timeout=900,
        check=False)
    assert done.returncode == 1
    assert "There is no Inno Setup compiler at" in done.stderr
    assert "==" not in done.stdout  # before building anything
