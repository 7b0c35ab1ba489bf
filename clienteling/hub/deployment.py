"""The hub's deployment environment: the programme policy a deployment sets from outside,
the offline allowance (SPEC §6).

``clienteling hub serve --offline-allowance-hours H`` sets it for one worker; with several
workers (``uvicorn --factory``) each reads ``$CLIENTELING_HUB_OFFLINE_ALLOWANCE_HOURS``.
"""

from __future__ import annotations

import os
from datetime import timedelta

from clienteling.engine.context import Policy

ENV_ALLOWANCE = "CLIENTELING_HUB_OFFLINE_ALLOWANCE_HOURS"
DEFAULT_ALLOWANCE_HOURS = Policy().offline_allowance.total_seconds() / 3600
MAX_ALLOWANCE_HOURS = 24.0 * 366


def policy_from_env() -> Policy:
    raw = os.environ.get(ENV_ALLOWANCE, "").strip()
    if not raw:
        return Policy()
    try:
        hours = float(raw)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= MAX_ALLOWANCE_HOURS:
        raise RuntimeError(f"{ENV_ALLOWANCE} must be a number of hours, more than 0 and at most "
                           f"{MAX_ALLOWANCE_HOURS:g} (got {raw[:40]!r})")
    return Policy(offline_allowance=timedelta(hours=hours))
