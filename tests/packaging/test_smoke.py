"""The smoke test the packaged app runs (``--smoke-test``), here from the source: it passes on a
fresh temporary demo database and leaves nothing behind. (.ci/run runs it on the built app.)"""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

from clienteling import __version__

REPO = Path(__file__).resolve().parents[2]


def test_the_smoke_test_passes_and_leaves_nothing_behind(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(temp), "HOME": str(tmp_path / "home")}
    env.pop("CLIENTELING_DB", None)
    done = subprocess.run([sys.executable, "-m", "clienteling.smoke"], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for step in ("Qt offscreen started", "style sheet and", "demo database created",
                 "main window shown (Melbourne Central)", "signed in as Ava Nguyen",
                 "opened Jane Citizen by her card", f"About: version {__version__}"):
        assert any(step in line for line in lines), f"{step!r} not in {lines}"
    assert lines[-1] == f"smoke test passed: clienteling {__version__}"
    assert list(temp.iterdir()) == []  # the temporary database and log are gone
    assert not (tmp_path / "home").exists()  # nothing in the user's data or log folders


def test_the_desktop_entry_names_the_command_and_an_icon_that_ships() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(REPO / "packaging" / "clienteling.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Name"] == "Clienteling"
    assert desktop["Exec"] == "clienteling" and desktop["Terminal"] == "false"
    assert desktop["Categories"].endswith(";")
    icon = REPO / "clienteling" / "ui" / "resources" / "icons" / f"{desktop['Icon']}.svg"
    assert icon.is_file(), f"the entry's icon {icon} is not in the package"
