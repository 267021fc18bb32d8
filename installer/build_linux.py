"""Pack the frozen Linux build into ``dist/oma-desktop-<version>-linux-<arch>.tar.gz``.

Run by ``make installer`` after PyInstaller has written ``dist/oma-desktop/``. The archive
holds one folder, ``oma-desktop-<version>-linux-<arch>/``, with:

    oma-desktop/            the program (PyInstaller one-folder build)
    oma-desktop.desktop     the menu entry (install.sh fills in the installed paths)
    oma-desktop.png / .svg  the icon
    install.sh              installs for the current user: ~/.local/opt/oma-desktop and
                            ~/.local/share/applications/oma-desktop.desktop
    LEAME.txt               what to do, in Spanish (docs/instalacion.md has the rest)

Entries are sorted, owned by root and dated by ``SOURCE_DATE_EPOCH`` (else the last
commit), so two builds of the same program give the same archive listing.
"""

from __future__ import annotations

import gzip
import io
import os
import platform
import subprocess
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from version_info import read_version

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
BUNDLE = DIST / "oma-desktop"
ICONS = ROOT / "resources" / "icons"

DESKTOP_ENTRY = """[Desktop Entry]
Type=Application
Version=1.5
Name=OMA Desktop
GenericName=Atención al vecino migrante
Comment=Oficina Municipal de Atención al Vecino Migrante — Municipalidad Metropolitana de Lima
Exec="@PROGRAM@"
Icon=@ICON@
Terminal=false
Categories=Office;
Keywords=OMA;migrante;Casa Vecinal;derivación;
StartupNotify=true
"""

INSTALL_SH = r"""#!/bin/sh
# Instala OMA Desktop para el usuario actual (no necesita sudo):
#   el programa en ~/.local/opt/oma-desktop y la entrada del menú en
#   ~/.local/share/applications/oma-desktop.desktop.
# Para actualizar, ejecute el install.sh de la versión nueva: reemplaza el programa y
# nunca toca la carpeta de datos (~/.local/share/oma-desktop). Al abrirse, la versión
# nueva respalda y migra los datos.
#   ./install.sh               instalar o actualizar
#   ./install.sh --desinstalar quitar el programa y la entrada del menú (los datos quedan)
set -eu

HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
DATA_HOME=${XDG_DATA_HOME:-$HOME/.local/share}
PREFIX=${OMA_PREFIX:-$HOME/.local/opt}
DEST=$PREFIX/oma-desktop
APPS=$DATA_HOME/applications
ENTRY=$APPS/oma-desktop.desktop

refresh_menu() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database "$APPS" >/dev/null 2>&1 || true
    fi
}

if [ "${1:-}" = "--desinstalar" ] || [ "${1:-}" = "--uninstall" ]; then
    rm -rf -- "$DEST"
    rm -f -- "$ENTRY"
    refresh_menu
    echo "OMA Desktop se desinstaló. Sus datos siguen en $DATA_HOME/oma-desktop"
    echo "(o en la carpeta que eligió en el primer inicio): bórrelos a mano solo si ya no los necesita."
    exit 0
fi

if [ ! -x "$HERE/oma-desktop/oma-desktop" ]; then
    echo "No se encontró el programa en $HERE/oma-desktop." >&2
    echo "Descomprima todo el archivo .tar.gz y ejecute install.sh desde esa carpeta." >&2
    exit 1
fi

mkdir -p -- "$PREFIX" "$APPS"
# the new version goes beside the old one first, then takes its place
rm -rf -- "$DEST.nuevo"
cp -R -- "$HERE/oma-desktop" "$DEST.nuevo"
cp -- "$HERE/oma-desktop.png" "$HERE/oma-desktop.svg" "$DEST.nuevo/"
rm -rf -- "$DEST"
mv -- "$DEST.nuevo" "$DEST"

sed -e "s|@PROGRAM@|$DEST/oma-desktop|" -e "s|@ICON@|$DEST/oma-desktop.png|" \
    "$HERE/oma-desktop.desktop" > "$ENTRY.tmp"
chmod 644 "$ENTRY.tmp"
mv -- "$ENTRY.tmp" "$ENTRY"
refresh_menu

echo "OMA Desktop $("$DEST/oma-desktop" --version | sed 's/^OMA Desktop //') instalado en $DEST"
echo "Búsquelo en el menú de aplicaciones como «OMA Desktop», o ejecute: $DEST/oma-desktop"
"""

README = """OMA Desktop {version} para Linux ({arch})

Instalar o actualizar (para el usuario actual, sin sudo):

    ./install.sh

El programa queda en ~/.local/opt/oma-desktop y aparece en el menú como «OMA Desktop».
Los datos están en ~/.local/share/oma-desktop (o en la carpeta elegida en el primer
inicio) y nunca se borran al actualizar ni al desinstalar.

Desinstalar:  ./install.sh --desinstalar

Guía completa para el área de informática: docs/instalacion.md del código fuente.
"""


def source_date_epoch() -> int:
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value:
        return int(value)
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
        return int(out)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return 0


def _normalised(info: tarfile.TarInfo, mtime: int) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = mtime
    if info.isdir() or info.mode & 0o111:
        info.mode = 0o755
    else:
        info.mode = 0o644
    return info


def build_archive(bundle: Path = BUNDLE, out_dir: Path = DIST) -> Path:
    program = bundle / "oma-desktop"
    if not program.is_file():
        raise SystemExit(f"{program} does not exist: run PyInstaller first (make installer)")
    version = read_version()
    arch = platform.machine() or "x86_64"
    top = f"oma-desktop-{version}-linux-{arch}"
    target = out_dir / f"{top}.tar.gz"
    mtime = source_date_epoch()
    extras = {
        "oma-desktop.desktop": (DESKTOP_ENTRY.encode(), 0o644),
        "install.sh": (INSTALL_SH.encode(), 0o755),
        "LEAME.txt": (README.format(version=version, arch=arch).encode(), 0o644),
        "oma-desktop.png": ((ICONS / "oma-desktop-256.png").read_bytes(), 0o644),
        "oma-desktop.svg": ((ICONS / "oma-desktop.svg").read_bytes(), 0o644),
    }
    temp = target.with_name(target.name + ".tmp")
    with temp.open("wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=mtime, compresslevel=6) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        root = tarfile.TarInfo(top)
        root.type = tarfile.DIRTYPE
        tar.addfile(_normalised(root, mtime))
        for name, (data, mode) in sorted(extras.items()):
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            info.mode = mode
            tar.addfile(_normalised(info, mtime), io.BytesIO(data))
        paths = [bundle, *sorted(bundle.rglob("*"))]
        for path in paths:
            relative = path.relative_to(bundle).as_posix()
            arcname = f"{top}/oma-desktop" + ("" if path == bundle else f"/{relative}")
            info = _normalised(tar.gettarinfo(str(path), arcname), mtime)
            if info.isfile():
                with path.open("rb") as fh:
                    tar.addfile(info, fh)
            else:  # folders and the symbolic links PyInstaller makes for shared libraries
                tar.addfile(info)
    os.replace(temp, target)
    return target


def main() -> None:
    target = build_archive()
    size = target.stat().st_size / 1e6
    folder = sum(p.stat().st_size for p in BUNDLE.rglob("*") if p.is_file() and not p.is_symlink())
    print(f"{target.relative_to(ROOT)}: {size:.0f} MB (folder dist/oma-desktop: {folder / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
