"""The till process the SIGKILL loop kills (tests/reliability/test_sigkill.py,
scripts/sigkill_soak.py): it serves customers at the counter in a loop on one till file —
new profile, issue a reward, redeem reward dollars, claim a benefit, redeem it — and prints
``ok`` after each committed change, so the parent can kill it at a random point of the next.

    python -m tests.reliability.till_worker DB_URL REWARD_DEFINITION_ID BENEFIT_HANDLE
"""

from __future__ import annotations

import sys
from decimal import Decimal

from clienteling.engine.services import Clienteling


def main(url: str, reward_definition_id: str, benefit_handle: str) -> None:
    cl = Clienteling.open(url)
    staff = {s.username: cl.staff.actor(s.id) for s in cl.staff.list_staff()}
    ava, max_ = staff["ava"], staff["max"]
    out = sys.stdout
    n = 0
    while True:
        n += 1
        profile = cl.profiles.create(ava, {"first_name": "Kill", "last_name": f"Loop{n}"})
        out.write("ok profile\n")
        out.flush()
        cl.rewards.issue(max_, {"profile_id": profile.id, "reward_definition_id": reward_definition_id,
                                "value_initial": "10.00", "reason": "sigkill loop"})
        out.write("ok issue\n")
        out.flush()
        cl.rewards.redeem_amount(ava, profile.id, Decimal("3.00"))
        out.write("ok redeem-amount\n")
        out.flush()
        benefit = cl.benefits.claim(ava, profile.id, benefit_handle)
        out.write("ok claim\n")
        out.flush()
        cl.benefits.redeem(ava, profile.id, benefit.id)
        out.write("ok redeem\n")
        out.flush()


if __name__ == "__main__":
    main(*sys.argv[1:4])
