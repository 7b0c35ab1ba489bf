"""Qt offscreen for the packaging tests that start it (as tests/ui does)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
