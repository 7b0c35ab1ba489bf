"""Finding a customer on the engine worker: a scanned card or redeem code.

(The search list's pages are read by its model, :mod:`clienteling.ui.search.model`.)"""

from __future__ import annotations

from clienteling.engine.services import Clienteling, ScanResult


def find_scan(cl: Clienteling, code: str) -> ScanResult:
    """The profile (and benefit, for a redeem code) a scanned code belongs to."""
    return cl.profiles.find_scan(code)
