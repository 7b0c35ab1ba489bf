"""SPEC 3.9 out of the box: the five seed reward types are example reactions — switched on in
the demo (a new customer gets the welcome coffee at once; this month's birthdays have their
reward) and switched off in a new hub's examples (examples/reactions.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import extract, select

from clienteling.demo import create_demo
from clienteling.engine.clock import FixedClock
from clienteling.engine.models import Profile, Reward
from clienteling.engine.services import Clienteling
from tests.conftest import REPO, T0
from tests.internals import context_of

FIVE = {"joined", "birthday", "spend_milestone", "join_anniversary", "lapsed"}


def test_the_demo_switches_the_five_on_and_they_fire(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    create_demo(url, profiles=100, clock=FixedClock(T0))
    with Clienteling.open(url, clock=FixedClock(T0)) as cl:
        reactions = cl.reactions.list()
        assert {r.trigger["type"] for r in reactions} == FIVE
        assert all(r.enabled and r.problem is None for r in reactions)
        ava = cl.staff.sign_in("ava", "4821")
        new = cl.profiles.create(ava, {"first_name": "New", "last_name": "Customer"})
        assert [(b.definition.name, b.benefit.source, b.state.is_redeemable)
                for b in cl.benefits.for_profile(new.id)] == [
            ("Welcome Coffee", "reaction:member-activation", True)]
        with context_of(cl).reading() as s:
            march = set(s.scalars(select(Profile.id).where(
                extract("month", Profile.birth_date) == 3)))
            birthday = list(s.scalars(select(Reward.profile_id).where(
                Reward.source == "reaction:birthday")))
        assert march and sorted(birthday) == sorted(march)  # one each, this month's only


def test_a_new_hubs_examples_come_switched_off() -> None:
    lines = (REPO / "examples" / "reactions.jsonl").read_text(encoding="utf-8").splitlines()
    examples = [json.loads(line) for line in lines if line.strip()]
    assert {e["trigger"]["type"] for e in examples} == FIVE
    assert all(e["enabled"] is False for e in examples)
