"""Saying why a replayed change was judged at its arrival (SPEC §6, offline allowance).

A change made offline is judged at the time it happened at the counter (``X-Occurred-At``,
``Actor.occurred_at``) when it reaches the hub within the offline allowance (72 hours by
default, ``Policy.offline_allowance``), and at its arrival otherwise
(``Context.judged_at``). When a time-window rule then refuses it, the plain reason ("This
benefit expired on …") would puzzle the associate who redeemed it while it was valid, so the
refusal also says how late the change arrived and that it was therefore judged at arrival.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from clienteling.engine import rules
from clienteling.engine.errors import RuleRefused
from clienteling.engine.permissions import Actor

# The refusals whose outcome depends on the instant a change is judged at.
TIME_WINDOW_CODES = frozenset({rules.EXPIRED, rules.WINDOW_CLOSED, rules.OUTSIDE_CLAIM_PERIOD,
                               rules.OUTSIDE_TIMEFRAME, rules.OVER_BALANCE, rules.EXHAUSTED})


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f}" if hours >= 10 else f"{hours:.1f}".rstrip("0").rstrip(".")


class JudgedAtArrival(RuleRefused):
    """A time-window refusal of a replayed change judged at its arrival, saying so."""


def judged_late(exc: RuleRefused, actor: Actor | None, now: datetime,
                allowance: timedelta) -> RuleRefused | None:
    """The refusal with the explanation added, when ``exc`` is a time-window refusal of a
    replayed change that was judged at arrival instead of when it happened; else None."""
    if (isinstance(exc, JudgedAtArrival) or exc.code not in TIME_WINDOW_CODES or actor is None
            or actor.occurred_at is None):
        return None
    occurred = actor.occurred_at
    if occurred > now:
        why = (f" This change says it was made at {occurred.isoformat()}, later than the hub's "
               "clock, so it was judged at its arrival.")
    elif now - occurred > allowance:
        why = (f" This change reached the hub {_hours(now - occurred)} hours after it was made, "
               f"more than the {_hours(allowance)}-hour offline allowance, so it was judged at "
               f"its arrival ({now.isoformat()}), not when it was made "
               f"({occurred.isoformat()}).")
    else:
        return None
    return JudgedAtArrival(exc.code, exc.message.rstrip() + why)


@contextmanager
def explaining_lateness(actor: Actor | None, now: datetime, allowance: timedelta) -> Iterator[None]:
    """Re-raise a refusal from the block with ``judged_late``'s explanation, when it applies."""
    try:
        yield
    except RuleRefused as exc:
        late = judged_late(exc, actor, now, allowance)
        if late is None:
            raise
        raise late from exc
