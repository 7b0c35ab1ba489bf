"""The PIN policy by role (issue 9, docs/security.md): associates 4–8 digits, managers and
admins 6–8, held when staff are created and when a PIN is changed, with a message naming the
field; and deactivating a staff member."""

from __future__ import annotations

import pytest

from clienteling.engine.errors import AuthenticationFailed, PermissionDenied, ValidationError
from tests.conftest import World


def _new(world: World, role: str, pin: str, username: str = "eve") -> object:
    return world.cl.staff.create_staff(world.admin, {
        "username": username, "display_name": "Eve", "role": role, "store_id": world.store_id,
        "pin": pin})


@pytest.mark.parametrize(("role", "shortest"), [("associate", 4), ("manager", 6), ("admin", 6)])
def test_each_role_has_its_shortest_pin(world: World, role: str, shortest: int) -> None:
    with pytest.raises(ValidationError) as bad:
        _new(world, role, "7" * (shortest - 1))
    assert set(bad.value.errors) == {"pin"}
    assert f"must be {shortest} to 8 digits for a" in bad.value.errors["pin"][0]
    assert role in bad.value.errors["pin"][0]
    with pytest.raises(ValidationError):
        _new(world, role, "7" * 9)
    _new(world, role, "7" * shortest)
    assert world.cl.staff.sign_in("eve", "7" * shortest).role.value == role


def test_a_changed_pin_is_held_to_the_policy_and_only_staff_themselves_or_admins_change_it(
    world: World,
) -> None:
    staff = world.cl.staff
    manager = world.manager
    before = staff.get_staff(manager.staff_id).pin_hash
    with pytest.raises(ValidationError) as bad:
        staff.set_pin(manager, manager.staff_id, {"pin": "2468"})
    assert "pin" in bad.value.errors and "manager" in bad.value.errors["pin"][0]
    assert staff.get_staff(manager.staff_id).pin_hash == before  # nothing changed
    with pytest.raises(PermissionDenied):
        staff.set_pin(world.associate, manager.staff_id, {"pin": "246802"})
    staff.set_pin(manager, manager.staff_id, {"pin": "246802"})
    assert staff.sign_in("max", "246802").username == "max"
    with pytest.raises(AuthenticationFailed):
        staff.sign_in("max", "731405")
    staff.set_pin(world.admin, world.associate.staff_id, {"pin": "1357"})
    assert staff.sign_in("ava", "1357").username == "ava"


def test_a_deactivated_staff_member_can_no_longer_sign_in_or_act(world: World) -> None:
    staff = world.cl.staff
    with pytest.raises(PermissionDenied):
        staff.deactivate(world.manager, world.associate.staff_id)
    staff.deactivate(world.admin, world.associate.staff_id)
    with pytest.raises(AuthenticationFailed):
        staff.sign_in("ava", "4821")
    with pytest.raises(AuthenticationFailed):
        staff.actor(world.associate.staff_id)
    assert "ava" not in {s.username for s in staff.list_staff()}
