"""Found by the convergence test (issue 8): a refused change held back later, unrelated
changes of the same customer until a manager dismissed it (fixed on syncpkg, 26785bb).

Issue 8 says the entries that depend on a refused one ("same unit, or an entity it created")
are parked and unrelated entries behind it go on; SPEC §6: a business rejection "does not
block the entries behind it unless they depend on it". A profile edit does not depend on a
redemption of one of the customer's benefits, though the redemption refers to the customer:
an edit queued before the refusal was parked with it, and one made after it stayed pending,
neither sent nor in Conflicts.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from clienteling.engine.models import Benefit, OutboxEntry
from clienteling.engine.services import Clienteling
from clienteling.sync.client import HubClient
from clienteling.sync.cycle import run_cycle
from tests.hub.conftest import LiveHub, quick_hashes, start_hub  # noqa: F401
from tests.internals import context_of
from tests.sync.soak import TillRun, first_sync, seed_hub


def _refused_redemption(tmp_path: Path, start_hub: Callable[..., LiveHub],  # noqa: F811
                        ) -> tuple[LiveHub, TillRun, str]:
    """A till whose offline redemption of a customer's last use the hub will refuse (another
    till used it first); answers the hub, the till and the customer."""
    hub = seed_hub(f"sqlite:///{tmp_path / 'hub.db'}", profiles=4, tills=1, seed=3)
    live = start_hub(hub.url)
    till = TillRun("till", Clienteling.open(f"sqlite:///{tmp_path / 'till.db'}"),
                   hub.tokens[0], hub.profile_ids, random.Random(3))
    first_sync(till, live.base_url)
    assert till.associate is not None
    pid = hub.profile_ids[0]
    with context_of(live.hub.cl).reading() as s:
        benefit_id = s.scalar(select(Benefit.id).where(
            Benefit.profile_id == pid, Benefit.benefit_definition_id == hub.shared_id))
    assert benefit_id is not None
    live.hub.cl.benefits.redeem(live.hub.cl.staff.sign_in("ada", "905238"), pid, benefit_id)
    till.cl.benefits.redeem(till.associate, pid, benefit_id)
    return live, till, pid


def _sync(live: LiveHub, till: TillRun) -> dict[str, str]:
    with HubClient(live.base_url, till.token) as client:
        for _ in range(3):
            run_cycle(till.cl, client, force=True)
    with context_of(till.cl).reading() as s:
        return dict(s.execute(select(OutboxEntry.entity_type, OutboxEntry.status)).all())


def test_an_edit_made_before_the_refusal_is_not_parked_with_it(
    tmp_path: Path, start_hub: Callable[..., LiveHub],  # noqa: F811
) -> None:
    live, till, pid = _refused_redemption(tmp_path, start_hub)
    try:
        assert till.manager is not None
        till.cl.profiles.update(till.manager, pid, {"tier": "platinum"})
        states = _sync(live, till)
        assert states["redemption"] == "conflict"
        assert states["profile"] == "done", states  # was: "parked"
        assert live.hub.cl.overview(pid).profile.tier == "platinum"
    finally:
        till.cl.close()


def test_an_edit_made_after_the_refusal_is_sent(
    tmp_path: Path, start_hub: Callable[..., LiveHub],  # noqa: F811
) -> None:
    live, till, pid = _refused_redemption(tmp_path, start_hub)
    try:
        assert till.manager is not None
        assert _sync(live, till) == {"redemption": "conflict"}
        till.cl.profiles.update(till.manager, pid, {"tier": "platinum"})
        states = _sync(live, till)
        # Was: "pending" for ever, neither sent nor in Conflicts ("1 change waiting").
        assert states["profile"] == "done", states
        assert live.hub.cl.overview(pid).profile.tier == "platinum"
    finally:
        till.cl.close()
