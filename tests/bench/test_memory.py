"""``bench.memory``: a part's own peak memory, not the bench process's lifetime peak (which
made a whole run report 1,883 MB for both the import and ``sync --verify``), and a child's
own peak, not the one Linux carries over from its parent."""

from __future__ import annotations

import subprocess
import sys

import pytest

from clienteling.bench.memory import peak_kb, reset_peak

MB = 1024


def test_reset_peak_forgets_memory_given_back() -> None:
    if peak_kb() is None or not reset_peak():
        pytest.skip("no /proc/self/status or clear_refs here")
    before = peak_kb()  # what is resident now (a whole test session holds hundreds of MB)
    assert before is not None
    big = bytearray(300 * MB * 1024)  # resident: every page written
    big[::4096] = b"x" * len(big[::4096])
    assert peak_kb() >= before + 290 * MB  # type: ignore[operator]
    del big
    assert reset_peak()
    assert peak_kb() < before + 100 * MB  # type: ignore[operator]


def test_a_child_reports_its_own_peak_not_its_parents() -> None:
    if peak_kb() is None:
        pytest.skip("no /proc/self/status here")
    big = bytearray(300 * MB * 1024)
    big[::4096] = b"x" * len(big[::4096])
    done = subprocess.run([sys.executable, "-c", "from clienteling.bench.memory import "
                           "own_peak_kb; print(own_peak_kb())"],
                          capture_output=True, text=True, check=True)
    del big
    assert int(done.stdout.strip()) < 200 * MB
