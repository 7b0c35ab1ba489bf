"""Before Qt starts, a missing system library is named with the package that provides it
(issue 11, must show 3): one line, exit status 2, and Qt never loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clienteling.platform_libraries import (
    COMMON,
    XCB,
    Requirement,
    all_missing,
    check,
    chosen_platforms,
    requirements,
)

REPO = Path(__file__).resolve().parents[2]
NOWHERE = Requirement("libclienteling-nowhere.so.7", "libclienteling-nowhere7", "clienteling-nowhere-libs")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check runs on Linux only")


def test_a_library_that_does_not_exist_is_named_with_its_packages() -> None:
    missing = check({"QT_QPA_PLATFORM": "offscreen"}, extra=[NOWHERE])
    assert missing is not None
    assert "\n" not in missing.message
    assert "libclienteling-nowhere.so.7" in missing.message
    assert "libclienteling-nowhere7 (Debian/Ubuntu)" in missing.message
    assert "clienteling-nowhere-libs (Fedora)" in missing.message
    assert "'offscreen'" in missing.message


def test_the_libraries_this_session_runs_qt_on_pass_the_check(qapp: object) -> None:
    # The tests run Qt offscreen, so the check must not refuse what demonstrably works.
    assert qapp is not None
    assert check({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert all_missing("offscreen") == []


def test_the_platform_qt_will_use_is_read_as_qt_reads_it() -> None:
    assert chosen_platforms({"QT_QPA_PLATFORM": "offscreen"}) == ["offscreen"]
    assert chosen_platforms({"QT_QPA_PLATFORM": "wayland:nodecoration;xcb"}) == ["wayland", "xcb"]
    assert chosen_platforms({"DISPLAY": ":0"}) == ["xcb"]
    assert chosen_platforms({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}) == ["wayland", "xcb"]
    assert chosen_platforms({}) is None


def test_the_x11_plugin_needs_libxcb_cursor() -> None:
    # Qt >= 6.5's xcb plugin will not load without it: the library of the issue's report.
    cursor = [r for r in requirements("xcb") if r.soname == "libxcb-cursor.so.0"]
    assert cursor == [Requirement("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor")]
    assert set(COMMON) <= set(requirements("offscreen")) and not set(XCB) & set(requirements("offscreen"))


def test_no_display_is_said_in_words() -> None:
    missing = check({})
    assert missing is not None and "DISPLAY" in missing.message and "QT_QPA_PLATFORM" in missing.message


def _run_app(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen",
           "CLIENTELING_LOG_DIR": str(tmp_path / "logs")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env=env, timeout=120)


def test_the_app_stops_before_qt_with_one_line_and_exit_2(tmp_path: Path) -> None:
    database = tmp_path / "till.db"
    code = f"""
import json, sys
from clienteling import platform_libraries
from clienteling.cli import main
platform_libraries.COMMON += (platform_libraries.Requirement(*{json.dumps(list(NOWHERE.__dict__.values()))}),)
status = main(["app", "--db", {str(database)!r}])
print(json.dumps({{"status": status, "qt": sorted(m for m in sys.modules if m.startswith("PySide6"))}}))
"""
    done = _run_app(tmp_path, code)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"status": 2, "qt": []}, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("clienteling: cannot start: ")
    assert "libclienteling-nowhere.so.7" in lines[0] and "libclienteling-nowhere7" in lines[0]
    assert not database.exists()  # refused before anything was created


def test_the_smoke_test_names_a_missing_library_too(tmp_path: Path) -> None:
    code = f"""
import sys
from clienteling import platform_libraries
from clienteling.smoke import main
platform_libraries.COMMON += (platform_libraries.Requirement(*{list(NOWHERE.__dict__.values())!r}),)
sys.exit(main())
"""
    done = _run_app(tmp_path, code)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("smoke test failed: ")
    assert "libclienteling-nowhere.so.7" in done.stderr


def test_an_x_display_that_does_not_answer_is_said_in_words_not_a_core_dump() -> None:
    # Qt would blame libxcb-cursor0 and abort; no X server listens on display 4093.
    missing = check({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":4093"})
    assert missing is not None
    lacking = all_missing("xcb")
    if lacking:  # this machine lacks an X11 library: that is named first
        assert lacking[0].soname in missing.message and lacking[0].debian in missing.message
    else:
        assert "cannot connect to the X display ':4093'" in missing.message
