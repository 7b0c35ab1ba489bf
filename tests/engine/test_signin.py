"""SPEC §5 sign-in: argon2 PIN hashes, five wrong PINs lock the account for five minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from clienteling.engine.errors import AuthenticationFailed, PermissionDenied, ValidationError
from clienteling.engine.models import Staff
from tests.conftest import World
from tests.internals import database_of


def test_pin_is_stored_as_a_salted_slow_hash(world: World) -> None:
    with database_of(world.cl).read() as s:
        hashes = list(s.scalars(select(Staff.pin_hash)))
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any("4821" in h for h in hashes)


def test_right_pin_signs_in_with_role_and_store(world: World) -> None:
    actor = world.cl.staff.sign_in("max", "731405")
    assert (actor.username, actor.role.value, actor.store_id) == ("max", "manager", world.store_id)
    assert actor.timezone == "Australia/Melbourne"


def test_five_wrong_pins_lock_the_account_for_five_minutes(world: World) -> None:
    staff = world.cl.staff
    for _ in range(4):
        with pytest.raises(AuthenticationFailed, match="Wrong PIN"):
            staff.sign_in("ava", "0000")
    with pytest.raises(AuthenticationFailed, match="locked"):
        staff.sign_in("ava", "0000")
    # Even the right PIN is refused while locked ...
    with pytest.raises(AuthenticationFailed, match="locked"):
        staff.sign_in("ava", "4821")
    world.clock.advance(timedelta(minutes=4, seconds=59))
    with pytest.raises(AuthenticationFailed, match="locked"):
        staff.sign_in("ava", "4821")
    # ... and accepted once the five minutes are over; the count starts again.
    world.clock.advance(timedelta(seconds=2))
    assert staff.sign_in("ava", "4821").username == "ava"
    with pytest.raises(AuthenticationFailed, match="4 more attempts"):
        staff.sign_in("ava", "1111")


def test_a_lockout_is_per_account(world: World) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            world.cl.staff.sign_in("ava", "0000")
    assert world.cl.staff.sign_in("max", "731405").username == "max"


def test_unknown_user_and_override_by_a_non_manager(world: World) -> None:
    with pytest.raises(AuthenticationFailed):
        world.cl.staff.sign_in("nobody", "1234")
    with pytest.raises(AuthenticationFailed, match="not a manager"):
        world.cl.staff.authorise_override("ava", "4821")
    assert world.cl.staff.authorise_override("max", "731405").role.value == "manager"


def test_only_admins_manage_staff_and_pins_are_checked(world: World) -> None:
    data = {"username": "sam", "display_name": "Sam", "role": "associate",
            "store_id": world.store_id, "pin": "1234"}
    with pytest.raises(PermissionDenied):
        world.cl.staff.create_staff(world.manager, data)
    with pytest.raises(ValidationError) as bad:
        world.cl.staff.create_staff(world.admin, {**data, "pin": "12ab", "role": "boss"})
    assert set(bad.value.errors) == {"pin", "role"}
    with pytest.raises(ValidationError) as taken:
        world.cl.staff.create_staff(world.admin, {**data, "username": "ava"})
    assert "username" in taken.value.errors
    assert world.cl.staff.create_staff(world.admin, data).username == "sam"
