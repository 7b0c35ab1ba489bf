"""One permission table (issue 15, SPEC §3.7): every "may this person do X here" the engine
decides is an ``Action`` looked up in ``permissions.ALLOWED`` — the table the menus and
handlers ask too — not a role compared in a service. Each test changes one row of the table
and sees the engine's answer change with it; a service that kept its own copy of the rule
would answer as before and fail here."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clienteling.engine import rules
from clienteling.engine.errors import AuthenticationFailed, PermissionDenied, ValidationError
from clienteling.engine.permissions import ALLOWED, Action, Role
from tests.conftest import World
from tests.engine.support import make_profile, make_reward_definition, refused

EVERYONE = frozenset(Role)
NOBODY: frozenset[Role] = frozenset()


def test_whose_pin_authorises_an_override_is_the_tables(world: World,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """SPEC §5 manager override: managers and admins by default (``AUTHORISE_OVERRIDE``)."""
    with pytest.raises(AuthenticationFailed):
        world.cl.staff.authorise_override("ava", "4821")
    assert world.cl.staff.authorise_override("max", "731405").role is Role.MANAGER
    monkeypatch.setitem(ALLOWED, Action.AUTHORISE_OVERRIDE, EVERYONE)
    assert world.cl.staff.authorise_override("ava", "4821").role is Role.ASSOCIATE
    monkeypatch.setitem(ALLOWED, Action.AUTHORISE_OVERRIDE, frozenset({Role.ADMIN}))
    with pytest.raises(AuthenticationFailed):
        world.cl.staff.authorise_override("max", "731405")


def test_who_issues_above_the_managers_cap_is_the_tables(world: World,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """SPEC R2: a manager's single issue is capped, an admin's is not
    (``ISSUE_REWARD_UNCAPPED``, which the issue-reward dialog asks too)."""
    d = make_reward_definition(world)
    p = make_profile(world)
    data = {"profile_id": p.id, "reward_definition_id": d.id, "value_initial": "100.01",
            "reason": "parcel arrived late"}
    refused(world, rules.OVER_CAP, world.cl.rewards.issue, world.manager, data)
    monkeypatch.setitem(ALLOWED, Action.ISSUE_REWARD_UNCAPPED, frozenset({Role.MANAGER, Role.ADMIN}))
    assert world.cl.rewards.issue(world.manager, data).value_initial == Decimal("100.01")
    monkeypatch.setitem(ALLOWED, Action.ISSUE_REWARD_UNCAPPED, NOBODY)
    refused(world, rules.OVER_CAP, world.cl.rewards.issue, world.admin, data)


def test_who_records_a_purchase_at_another_store_is_the_tables(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """SPEC 3.8: staff record purchases at their own store; only an admin names another
    (``RECORD_PURCHASE_ANY_STORE``)."""
    other = world.cl.staff.create_store(None, {"name": "Chadstone",
                                               "timezone": "Australia/Melbourne"})
    p = make_profile(world)

    def sale(receipt: str) -> dict[str, str]:
        return {"receipt_ref": receipt, "total": "10.00", "store_id": other.id}

    with pytest.raises(PermissionDenied) as denied:
        world.cl.purchases.record(world.manager, p.id, sale("1"))
    assert str(denied.value) == ("A staff member with role 'manager' may not record a purchase "
                                 "at another store")
    monkeypatch.setitem(ALLOWED, Action.RECORD_PURCHASE_ANY_STORE, EVERYONE)
    assert world.cl.purchases.record(world.associate, p.id, sale("2")).store_id == other.id
    monkeypatch.setitem(ALLOWED, Action.RECORD_PURCHASE_ANY_STORE, NOBODY)
    with pytest.raises(PermissionDenied):
        world.cl.purchases.record(world.admin, p.id, sale("3"))


def test_who_connects_a_till_with_another_stores_token_is_the_tables(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """SPEC §6 "Connecting a till": a manager only with their own store's till token
    (``CONNECT_TILL_ANY_STORE``). Allowed by the table, the manager passes that question and
    meets the next one: this till already serves the manager's store."""
    state = world.cl.sync_state

    def connect() -> str:
        with pytest.raises(ValidationError) as wrong:
            state.connect(world.manager, "https://hub.example", store_id="another-store",
                          device="Till 9")
        return " ".join(wrong.value.errors["token"])

    assert connect() == ("belongs to a till of another store: ask the hub's admin for a token "
                         "for this store")
    monkeypatch.setitem(ALLOWED, Action.CONNECT_TILL_ANY_STORE, EVERYONE)
    assert connect().startswith("belongs to a till of another store than the one this till "
                                "serves")
    assert state.hub_url() is None
