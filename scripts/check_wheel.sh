#!/usr/bin/env bash
# The wheel installs and runs: build it from a copy of the source, check it carries the style
# sheet and the icons (package data of clienteling.ui), install it into a fresh venv, and start
# the app's own QApplication offscreen from a temporary folder so the installed copy (not this
# checkout) is what gets imported. Exits non-zero on any failure. Called from .ci/run.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python}"
work="$(mktemp -d "${TMPDIR:-/tmp}/clienteling-wheel.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# The checkout must not leak in: not through PYTHONPATH, not through the current folder.
unset PYTHONPATH
cd "$work"

# Build from a copy, so the build's own build/ and *.egg-info stay out of the checkout.
mkdir src
cp -R "$here/pyproject.toml" "$here/README.md" "$here/clienteling" src/
find src -name __pycache__ -prune -exec rm -rf {} +
"$python" -m pip wheel ./src --no-deps -q -w dist
wheel="$(ls dist/clienteling-*.whl)"
echo "check_wheel: built $(basename "$wheel")"

# What the app loads at run time must be in the wheel; pyproject names only files that exist.
"$python" - "$wheel" "$here" <<'PY'
import sys
import zipfile
from pathlib import Path

wheel, source = sys.argv[1], Path(sys.argv[2])
names = set(zipfile.ZipFile(wheel).namelist())
wanted = ["clienteling/ui/resources/style.qss", "clienteling/py.typed",
          "clienteling/engine/migrations/env.py"]
icons = sorted(p.relative_to(source).as_posix()
               for p in (source / "clienteling/ui/resources/icons").glob("*.svg"))
wanted += icons
wanted += sorted(p.relative_to(source).as_posix()
                 for p in (source / "clienteling/engine/migrations/versions").glob("*.py"))
missing = [name for name in wanted if name not in names]
if not icons or missing:
    sys.exit(f"check_wheel: the wheel lacks {missing or 'icons'}")
# Every package-data pattern must name something (a stale name hides a file nobody ships).
import tomllib

declared = tomllib.loads((source / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
stale = [f"{package}: {pattern}" for package, patterns in declared.items() for pattern in patterns
         if not any((source / package.replace(".", "/")).glob(pattern))]
if stale:
    sys.exit(f"check_wheel: pyproject.toml's package-data names files that do not exist: {stale}")
print(f"check_wheel: the wheel has the style sheet, {len(icons)} icons and the migrations")
PY

# A fresh venv; PySide6 and the other dependencies come from the system's site-packages so
# nothing is downloaded again, but the clienteling package must be the wheel's.
"$python" -m venv --system-site-packages venv
venv/bin/python -m pip install -q --no-deps --force-reinstall "$wheel"
QT_QPA_PLATFORM=offscreen CLIENTELING_THEME=light venv/bin/python - "$here" <<'PY'
import sys
from pathlib import Path

import clienteling
from clienteling.ui.common import theme
from clienteling.ui.app import ensure_application

source = Path(sys.argv[1]).resolve()
installed = Path(clienteling.__file__).resolve()
if installed.is_relative_to(source) or not installed.is_relative_to(Path(sys.prefix).resolve()):
    sys.exit(f"check_wheel: imported {installed}, not the installed wheel in {sys.prefix}")
app = ensure_application(["clienteling"])
sheet = app.styleSheet()
if not sheet.strip() or theme.LIGHT["accent"] not in sheet:
    sys.exit("check_wheel: the style sheet is empty or not filled in")
folder = theme.icon_folder()
if not (folder / "check-white.svg").is_file() or folder.as_posix() not in sheet:
    sys.exit(f"check_wheel: the style sheet's icons are not at {folder}")
for name in ("search", "lock", "user", "alert", "scan"):
    if theme.icon(name).isNull() or theme.icon_pixmap(name).isNull():
        sys.exit(f"check_wheel: the icon {name!r} did not load")
print(f"check_wheel: the installed app ({installed.parent}) starts with its style and icons")
PY
