"""The welcome page's "Try it with demo data", on the engine worker."""

from __future__ import annotations

from clienteling.engine.services import Clienteling
from clienteling.ui.operations.sync import Readiness, till_readiness

#: As many as `clienteling.ui.app.DEMO_PROFILES` (app.py keeps its own: it imports no engine at start).
DEMO_PROFILES = 2000


def make_demo(cl: Clienteling) -> Readiness:
    """Fill this new till with a demo store; returns its readiness (ready, not connected)."""
    from clienteling.demo import create_demo  # the demo generator only when asked for

    create_demo(cl.database_url, profiles=DEMO_PROFILES, clock=cl.clock)
    return till_readiness(cl)
