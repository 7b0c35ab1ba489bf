#!/usr/bin/env bash
# Build the packaged desktop app: one folder, dist/clienteling/, whose `clienteling` runs
# without Python, and dist/clienteling-VERSION-linux-ARCH.tar.gz of it. The folder also holds
# the desktop entry and the icon (see the README, "The packaged app").
# PyInstaller comes from the project's `package` extra, installed here when it is missing.
# Then: dist/clienteling/clienteling --smoke-test
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python}"
cd "$root"

if ! "$python" -c "import PyInstaller" 2>/dev/null; then
  echo "build: installing PyInstaller (the project's 'package' extra)"
  "$python" -m pip install -q -e '.[package]'
fi
version="$("$python" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
arch="$(uname -m)"

# The checkout's own package, never an installed copy, goes into the bundle; stale bytecode
# of deleted modules must not come along either.
unset PYTHONPATH
find clienteling -name __pycache__ -prune -exec rm -rf {} +
"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$root/dist" --workpath "$root/build/pyinstaller" packaging/clienteling.spec

app="$root/dist/clienteling"
[ -x "$app/clienteling" ] || { echo "build: $app/clienteling was not made" >&2; exit 1; }

# The desktop entry and the icon (the app's own SVG, and a PNG drawn from it by Qt, for
# launchers that take no SVG).
cp packaging/clienteling.desktop "$app/clienteling.desktop"
cp clienteling/ui/resources/icons/clienteling.svg "$app/clienteling.svg"
QT_QPA_PLATFORM=offscreen "$python" - "$app/clienteling.svg" "$app/clienteling.png" <<'PY'
import sys

from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtCore import Qt

app = QGuiApplication(sys.argv[:1])
renderer = QSvgRenderer(sys.argv[1])
if not renderer.isValid():
    sys.exit(f"build: {sys.argv[1]} is not a valid SVG")
image = QImage(256, 256, QImage.Format.Format_ARGB32)
image.fill(Qt.GlobalColor.transparent)
painter = QPainter(image)
renderer.render(painter)
painter.end()
if not image.save(sys.argv[2]):
    sys.exit(f"build: could not write {sys.argv[2]}")
PY
cp packaging/install-desktop-entry.sh "$app/install-desktop-entry.sh"

tarball="$root/dist/clienteling-$version-linux-$arch.tar.gz"
tar -C "$root/dist" -czf "$tarball" clienteling
echo "build: $app/clienteling ($(du -sh "$app" | cut -f1)) and $tarball ($(du -sh "$tarball" | cut -f1))"
