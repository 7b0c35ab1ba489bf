"""Before Qt starts: are the system libraries its platform plugin needs installed?

Qt's wheels carry Qt itself but link against the system's graphics, font and X11/Wayland
libraries. When one is missing, Qt does not say which package to install: QtGui's import
fails with a loader error, or the xcb plugin aborts the process with "Could not load the Qt
platform plugin" and a core dump. So the app looks first, and says in one line which
library is missing and which Debian/Ubuntu and Fedora package provides it (exit status 2).

The list below is what PySide6's ``libQt6Gui`` and its platform plugins link against beyond
glibc and libstdc++ (read with ``ldd`` from the 6.11 wheels); no library here is imported,
so this module is safe to use before Qt and costs a few ``dlopen`` calls on Linux only.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Requirement:
    """A shared library (by its soname) and the packages that install it."""

    soname: str
    debian: str
    fedora: str


def _req(soname: str, debian: str, fedora: str) -> Requirement:
    return Requirement(soname, debian, fedora)


#: What QtGui and every platform plugin (offscreen included) need.
COMMON: tuple[Requirement, ...] = (
    _req("libglib-2.0.so.0", "libglib2.0-0", "glib2"),
    _req("libgthread-2.0.so.0", "libglib2.0-0", "glib2"),
    _req("libdbus-1.so.3", "libdbus-1-3", "dbus-libs"),
    _req("libfreetype.so.6", "libfreetype6", "freetype"),
    _req("libfontconfig.so.1", "libfontconfig1", "fontconfig"),
    _req("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    _req("libxcb.so.1", "libxcb1", "libxcb"),
    _req("libX11.so.6", "libx11-6", "libX11"),
    _req("libGLdispatch.so.0", "libglvnd0", "libglvnd"),
    _req("libGLX.so.0", "libglx0", "libglvnd-glx"),
    _req("libGL.so.1", "libgl1", "libglvnd-glx"),
    _req("libEGL.so.1", "libegl1", "libglvnd-egl"),
)

#: The X11 plugin's own libraries (libxcb-cursor0 is the one most often missing, Qt ≥ 6.5).
XCB: tuple[Requirement, ...] = (
    _req("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    _req("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    _req("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
    _req("libxcb-render.so.0", "libxcb-render0", "libxcb"),
    _req("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
    _req("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    _req("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    _req("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
    _req("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    _req("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    _req("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    _req("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    _req("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    _req("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    _req("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
)

WAYLAND: tuple[Requirement, ...] = (
    _req("libwayland-client.so.0", "libwayland-client0", "libwayland-client"),
    _req("libwayland-cursor.so.0", "libwayland-cursor0", "libwayland-cursor"),
)

#: Per platform plugin, what it needs on top of COMMON; a plugin not named needs only COMMON.
PLATFORMS: dict[str, tuple[Requirement, ...]] = {"xcb": XCB, "wayland": WAYLAND}


def requirements(platform: str) -> tuple[Requirement, ...]:
    return COMMON + PLATFORMS.get(platform, ())


def chosen_platforms(environ: Mapping[str, str]) -> list[str] | None:
    """The plugins Qt will try, in order, as Qt picks them on Linux: ``QT_QPA_PLATFORM``
    (``name[:options];fallback``), else Wayland then X11 in a Wayland session, else X11.
    None when there is no display to show a window on."""
    configured = environ.get("QT_QPA_PLATFORM", "").strip()
    if configured:
        names = [part.split(":", 1)[0].strip() for part in configured.split(";")]
        return [name for name in names if name] or None
    platforms = []
    if environ.get("WAYLAND_DISPLAY"):
        platforms.append("wayland")
    if environ.get("DISPLAY"):
        platforms.append("xcb")
    return platforms or None


def _bundled_folders() -> list[Path]:
    """Where a library may ship beside Qt instead of on the system: the frozen app's own
    folder, and the PySide6 wheel's Qt/lib (located without importing PySide6)."""
    folders: list[Path] = []
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        folders += [Path(frozen), Path(frozen) / "PySide6" / "Qt" / "lib"]
    spec = importlib.util.find_spec("PySide6")
    for location in (spec.submodule_search_locations or []) if spec else []:
        folders.append(Path(location) / "Qt" / "lib")
    return folders


def _loads(soname: str, folders: Iterable[Path]) -> str | None:
    """None when ``soname`` loads; else the soname the loader could not find (perhaps one it
    depends on), or ``soname`` itself."""
    for folder in folders:
        if (folder / soname).exists():
            return None
    try:
        ctypes.CDLL(soname)
    except OSError as exc:
        # glibc says "<name>: cannot open shared object file: …" for the first one it lacks.
        first = str(exc).split(":", 1)[0].strip()
        return first if first.startswith("lib") and ".so" in first else soname
    return None


def all_missing(platform: str) -> list[Requirement]:
    """Every library ``platform`` needs that cannot be loaded here (CI installs them before
    building, so the packaged app carries them)."""
    folders = _bundled_folders()
    return [r for r in requirements(platform) if _loads(r.soname, folders) is not None]


def x_display_error(display: str, folders: Iterable[Path] = ()) -> str | None:
    """None when the X server at ``display`` accepts a connection; else why not. Qt's own
    message for an unreachable display blames libxcb-cursor0 and aborts the process."""
    bundled = [folder / "libxcb.so.1" for folder in folders if (folder / "libxcb.so.1").exists()]
    try:
        xcb = ctypes.CDLL(str(bundled[0]) if bundled else "libxcb.so.1")
    except OSError:
        return None  # the library check names the missing libxcb
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        failed = xcb.xcb_connection_has_error(connection)
    finally:
        xcb.xcb_disconnect(connection)
    if not failed:
        return None
    return (f"cannot connect to the X display {display!r} (DISPLAY): is the desktop session "
            "running, and may this user use it?")


@dataclass(frozen=True)
class Missing:
    """Why Qt cannot start, in one line."""

    message: str


def check(environ: Mapping[str, str] | None = None,
          extra: Iterable[Requirement] = ()) -> Missing | None:
    """None when Qt can start here; else what is missing. ``extra`` adds requirements (the
    tests name a library that does not exist). Only Linux is checked: elsewhere the wheels
    carry what Qt needs."""
    if not sys.platform.startswith("linux"):
        return None
    environ = os.environ if environ is None else environ
    platforms = chosen_platforms(environ)
    if platforms is None:
        return Missing("there is no display to show the app on (neither DISPLAY nor WAYLAND_DISPLAY "
                       "is set); start it from the desktop, or set QT_QPA_PLATFORM=offscreen to run "
                       "it without a screen")
    known = {r.soname: r for group in (COMMON, XCB, WAYLAND) for r in group}
    extra = tuple(extra)
    known.update({r.soname: r for r in extra})
    folders = _bundled_folders()
    first_missing: Missing | None = None
    # Qt falls back to the next plugin when one cannot load, so one complete set is enough.
    for platform in platforms:
        for requirement in requirements(platform) + extra:
            lacking = _loads(requirement.soname, folders)
            if lacking is None:
                continue
            needed = known.get(lacking, requirement if lacking == requirement.soname else None)
            if needed is None:
                text = (f"the Qt platform plugin {platform!r} needs {lacking}, which is not installed "
                        f"(it is wanted by {requirement.soname})")
            else:
                text = (f"the Qt platform plugin {platform!r} needs {needed.soname}, which is not "
                        f"installed: install the package {needed.debian} (Debian/Ubuntu) or "
                        f"{needed.fedora} (Fedora)")
            first_missing = first_missing or Missing(text)
            break
        else:
            unreachable = (x_display_error(environ.get("DISPLAY", ""), folders)
                           if platform == "xcb" else None)
            if unreachable is None:
                return None
            first_missing = first_missing or Missing(unreachable)
    return first_missing
