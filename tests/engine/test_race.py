"""Two tills on one SQLite file race for the last use of a benefit and for the same reward
dollars (SPEC §9 races, GUIDE principle 5): two OS processes, each with its own
``Clienteling.open(path)``, released at the same moment by a barrier, round after round.
Exactly one wins each round; the limit is never exceeded."""

from __future__ import annotations

import multiprocessing
import queue
import time
from typing import Any

from sqlalchemy import select

from clienteling.engine import audit, rules
from clienteling.engine.models import Redemption
from tests.conftest import World
from tests.engine.support import (
    D,
    benefit_row,
    definition_row,
    give_reward,
    issue,
    make_definition,
    make_profile,
    make_reward_definition,
)
from tests.internals import context_of

ROUNDS = 10
TIMEOUT = 120


def _till(url: str, staff_id: str, jobs: list[tuple[str, str, str]], barrier: Any, results: Any) -> None:
    """One till process: for each job, wait for the other till, then redeem at the same moment."""
    from clienteling.engine.errors import RuleRefused
    from clienteling.engine.services import Clienteling

    cl = Clienteling.open(url)
    try:
        actor = cl.staff.actor(staff_id)
        for kind, profile_id, target in jobs:
            barrier.wait(timeout=TIMEOUT)
            try:
                if kind == "benefit":
                    cl.benefits.redeem(actor, profile_id, target)
                else:
                    cl.rewards.redeem_amount(actor, profile_id, "15.00")
                results.put((kind, target, "ok", staff_id))
            except RuleRefused as exc:
                results.put((kind, target, exc.code, None))
            except Exception as exc:  # reported, so the test shows it instead of hanging
                results.put((kind, target, f"{type(exc).__name__}: {exc}", None))
    finally:
        cl.close()


def _race(world: World, jobs: list[tuple[str, str, str]]) -> list[tuple[str, str, str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    path = world.url.removeprefix("sqlite:///")
    tills = [
        ctx.Process(target=_till, args=(path, actor.staff_id, jobs, barrier, results), daemon=True)
        for actor in (world.associate, world.manager)
    ]
    for till in tills:
        till.start()
    out: list[tuple[str, str, str, Any]] = []
    deadline = time.monotonic() + TIMEOUT
    try:
        while len(out) < 2 * len(jobs):
            try:
                out.append(results.get(timeout=0.5))
            except queue.Empty:
                if time.monotonic() > deadline or not all(till.is_alive() for till in tills):
                    raise AssertionError(
                        f"the tills stopped answering after {len(out)} results "
                        f"(exit codes {[till.exitcode for till in tills]}): {out}") from None
    finally:
        for till in tills:
            till.join(timeout=TIMEOUT)
            if till.is_alive():
                till.terminate()
    assert [till.exitcode for till in tills] == [0, 0]
    return out


def test_race_two_processes_last_use_of_a_benefit_and_the_same_reward_dollars(world: World) -> None:
    """must-show 3: per round, one benefit with redemptions_remaining=1 and one profile with a
    20.00 balance; both tills redeem the last use and 15.00 at once."""
    d = make_definition(world, max_redemptions=1, max_global_redemptions=ROUNDS)
    rd = make_reward_definition(world)
    jobs: list[tuple[str, str, str]] = []
    for _ in range(ROUNDS):
        p = make_profile(world)
        b = issue(world, d, p)
        assert b.redemptions_remaining == 1
        jobs.append(("benefit", p.id, b.id))
        q = make_profile(world)
        give_reward(world, rd, q, "20.00")
        jobs.append(("reward", q.id, q.id))

    results = _race(world, jobs)

    for kind, profile_id, target in jobs:
        outcomes = sorted(code for k, t, code, _ in results if (k, t) == (kind, target))
        loser = rules.EXHAUSTED if kind == "benefit" else rules.OVER_BALANCE
        assert outcomes == sorted(["ok", loser]), (kind, outcomes)
        if kind == "benefit":
            stored = benefit_row(world, target)
            assert stored is not None and stored.redemptions_remaining == 0
            with context_of(world.cl).reading() as s:
                rows = [r for r in s.scalars(select(Redemption).where(Redemption.profile_id == profile_id))
                        if any(i.item_id == target for i in r.items)]
            assert len(rows) == 1
        else:
            assert world.cl.rewards.balance(profile_id) == D("5.00")
            assert len(world.cl.rewards.redemptions(profile_id)) == 1
    assert definition_row(world, d.id).total_global_redemptions == ROUNDS
    with context_of(world.cl).reading() as s:
        report = audit.verify_chain(s)
    assert report.ok, str(report)  # two writers never forked the hash chain
