"""Peak resident memory of one part's work, not of the whole bench process.

Why not ``resource.getrusage(...).ru_maxrss``: it is the process's peak over its whole life,
and Linux carries it across ``fork`` and ``exec``. In a whole ``clienteling bench`` run the
import's figure was the bench process's earlier peak (1,883 MB, from another part), and a
command started by the bench reported the same 1,883 MB as its own. ``VmHWM`` in
``/proc/<pid>/status`` belongs to the process's memory map (new at ``exec``), and writing 5
to ``/proc/self/clear_refs`` resets it to what is resident now, so a part can measure its
own peak. Where there is no /proc, `peak_kb` gives None and `own_peak_kb` falls back."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_kb(pid: int | str = "self") -> int | None:
    """A process's peak resident memory in KiB (``VmHWM``), or None without /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def reset_peak() -> bool:
    """Make this process's peak what is resident now; False where that cannot be done."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def own_peak_kb() -> int:
    """This process's peak in KiB: ``VmHWM`` (after ``reset_peak``, since then), else
    ``ru_maxrss`` where there is no /proc."""
    return peak_kb() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
