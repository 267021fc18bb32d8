"""Build the Windows installer in one command, without ``make`` (docs/instalacion.md §2.3).

From the repository root, with the virtual environment of ``pip install -e .[installer]``:

    .venv\\Scripts\\python installer\\build_windows.py

Steps, each stopping the build with a message that says what to do if it fails:

1. compile the translations (``.po`` → ``.mo``, what ``make translations`` does);
2. PyInstaller: the one-folder build in ``dist\\oma-desktop\\`` (``installer/oma-desktop.spec``);
3. smoke test of the built program: a small demo folder in a temporary folder, then
   ``--smoke-test`` on it (every screen opened offscreen); both must exit with 0;
4. Inno Setup's ``ISCC.exe`` with the program's own version (``/DAppVersion`` and the
   four-number ``/DFileVersion``), which writes
   ``dist\\oma-desktop-<version>-windows-x64-setup.exe``.

``--skip-build`` reuses an existing ``dist\\oma-desktop\\`` (steps 3 and 4 only); ``--no-setup``
stops after the smoke test; ``--iscc PATH`` names the compiler when it is not in the PATH
or in ``Program Files (x86)\\Inno Setup 6``. The test suite runs this script with a stand-in
compiler on the Linux build, so the steps and the arguments are checked on every CI run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from version_info import read_version, version_tuple

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
BUNDLE = DIST / "oma-desktop"
SPEC = ROOT / "installer" / "oma-desktop.spec"
ISS = ROOT / "installer" / "oma-desktop.iss"
LOCALE = ROOT / "resources" / "locale"
SMOKE_PASSWORD = "prueba-instalador-2026"
SMOKE_PERSONS = "30"
ISCC_PLACES = (
    Path(os.environ.get("ProgramFiles(x86)", r"C:\Program Files (x86)")) / "Inno Setup 6"
    / "ISCC.exe",
    Path(os.environ.get("ProgramFiles", r"C:\Program Files")) / "Inno Setup 6" / "ISCC.exe",
    Path(os.environ.get("LOCALAPPDATA", "")) / "Programs" / "Inno Setup 6" / "ISCC.exe",
)


class BuildError(Exception):
    """A step failed; the message says what to do."""


def executable(bundle: Path = BUNDLE) -> Path:
    return bundle / ("oma-desktop.exe" if sys.platform == "win32" else "oma-desktop")


def run(args: Sequence[str | Path], what: str, env: dict[str, str] | None = None,
        cwd: Path = ROOT) -> None:
    print(f"== {what}", flush=True)
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, check=False)
    if done.returncode != 0:
        raise BuildError(f"{what}: failed with exit code {done.returncode} (see above).")


def compile_translations() -> None:
    run([sys.executable, "-m", "babel.messages.frontend", "compile", "--statistics",
         "-D", "oma_desktop", "-d", LOCALE], "Compiling the translations")


def pyinstaller() -> None:
    run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", DIST, "--workpath", ROOT / "build" / "pyinstaller", SPEC],
        "PyInstaller: the one-folder build in dist/oma-desktop")


def smoke_test(bundle: Path = BUNDLE) -> None:
    program = executable(bundle)
    if not program.is_file():
        raise BuildError(f"There is no {program}: build it first (run without --skip-build).")
    # none of this PC's OMA_* settings; run from outside the checkout, so that everything
    # the program reads must come from inside the bundle
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OMA_", "XDG_")) and k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(QT_QPA_PLATFORM="offscreen", OMA_PASSWORD=SMOKE_PASSWORD)
    with tempfile.TemporaryDirectory(prefix="oma-prueba-") as tmp:
        folder = Path(tmp) / "datos"
        env["HOME"] = env["USERPROFILE"] = tmp  # the program's own settings stay in tmp too
        run([program, "--data-dir", folder, "--casa", "CV1", "demo", "--persons", SMOKE_PERSONS,
             "--seed", "1"], "Smoke test 1/2: a demo data folder made by the built program",
            env, Path(tmp))
        run([program, "--data-dir", folder, "--smoke-test"],
            "Smoke test 2/2: every screen of the built program, offscreen", env, Path(tmp))


def find_iscc(given: Path | None) -> Path:
    if given is not None:
        if not given.is_file():
            raise BuildError(f"There is no Inno Setup compiler at {given}.")
        return given
    found = shutil.which("ISCC") or shutil.which("iscc")
    if found:
        return Path(found)
    for place in ISCC_PLACES:
        if place.is_file():
            return place
    raise BuildError("Inno Setup's compiler ISCC.exe was not found. Install Inno Setup 6.3 or"
                     " newer (jrsoftware.org) or pass its path with --iscc.")


def setup(iscc: Path) -> Path:
    version = read_version()
    file_version = ".".join(str(n) for n in version_tuple(version))
    run([iscc, f"/DAppVersion={version}", f"/DFileVersion={file_version}", ISS],
        f"Inno Setup: the installer of version {version}")
    out = DIST / f"oma-desktop-{version}-windows-x64-setup.exe"
    if not out.is_file():
        raise BuildError(f"Inno Setup finished but {out} is missing.")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true",
                        help="reuse dist/oma-desktop (smoke test and installer only)")
    parser.add_argument("--no-setup", action="store_true",
                        help="stop after the smoke test (no Inno Setup)")
    parser.add_argument("--iscc", type=Path, help="path of Inno Setup's ISCC.exe")
    args = parser.parse_args(argv)
    try:
        # the compiler is looked for first: a missing one stops the build before it starts
        iscc = None if args.no_setup else find_iscc(args.iscc)
        if not args.skip_build:
            compile_translations()
            pyinstaller()
        smoke_test()
        if iscc is None:
            print(f"Done: {BUNDLE} passed its smoke test.")
            return 0
        out = setup(iscc)
    except BuildError as exc:
        print(f"BUILD STOPPED: {exc}", file=sys.stderr)
        return 1
    print(f"Done: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
