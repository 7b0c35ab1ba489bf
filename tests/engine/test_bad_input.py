"""SPEC §4 bad input, as it reaches the engine's services: every kind gets a typed error that
names the field and the problem (or the rule / the unknown id), and the database is unchanged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from clienteling.engine import rules
from clienteling.engine.errors import DomainError, NotFound, RuleRefused, ValidationError
from tests.conftest import World
from tests.engine.support import (
    give_reward,
    issue,
    make_claimable,
    make_definition,
    make_profile,
    make_reward_definition,
    snapshot,
)

UNKNOWN = "00000000-0000-4000-8000-000000000000"
STATURDAY_BLOCK = {  # seed 003's own example spells Saturday this way
    "timezone": "Europe/Copenhagen",
    "timeframe": {"custom": {"Monday": [{"start": "10:00", "end": "14:00"}],
                             "Staturday": [{"start": "10:00", "end": "14:00"}]}},
}


@dataclass
class Scene:
    world: World
    profile_id: str
    definition_id: str
    definition_handle: str
    claimable_handle: str
    benefit_id: str
    reward_definition_id: str
    redemption_id: str


@pytest.fixture
def scene(world: World) -> Scene:
    d = make_definition(world, handle="free-alterations", period=30, is_extendable=True,
                        is_reassignable=True)
    c = make_claimable(world, handle="ten-off")
    rd = make_reward_definition(world, handle="sorry")
    p = make_profile(world, identities=[{"handle": "card", "identifier": "4000123412341234"}])
    b = issue(world, d, p)
    give_reward(world, rd, p, "20.00")
    r = world.cl.rewards.redeem_amount(world.associate, p.id, "1.00")
    return Scene(world, p.id, d.id, d.handle, c.handle, b.id, rd.id, r.id)


def expect(scene: Scene, error: type[DomainError], key: str, call: Callable[[], Any],
           *, mentions: str | None = None) -> DomainError:
    """``call`` raises ``error`` naming ``key`` (a field for a ValidationError, a reason code for
    a RuleRefused, the entity for a NotFound), and changes nothing."""
    before = snapshot(scene.world)
    with pytest.raises(error) as info:
        call()
    exc = info.value
    if isinstance(exc, ValidationError):
        assert key in exc.errors, exc.errors
        assert all(exc.errors[k] for k in exc.errors)
        assert key in str(exc)
    elif isinstance(exc, RuleRefused):
        assert exc.code == key
    elif isinstance(exc, NotFound):
        assert exc.entity == key
    if mentions is not None:
        assert mentions in str(exc), str(exc)
    assert exc.message and "Traceback" not in exc.message
    assert snapshot(scene.world) == before
    return exc


# -- malformed bodies -------------------------------------------------------------------------

NOT_OBJECTS = ["{not json", ["a", "list"], None, 42, b"\xff\xfe"]


def test_malformed_body(scene: Scene) -> None:
    w = scene.world
    cl = w.cl
    calls: list[Callable[[Any], Any]] = [
        lambda body: cl.profiles.create(w.associate, body),
        lambda body: cl.profiles.update(w.associate, scene.profile_id, body),
        lambda body: cl.benefits.issue(w.manager, body),
        lambda body: cl.rewards.issue(w.manager, body),
        lambda body: cl.definitions.create_benefit_definition(w.admin, body),
        lambda body: cl.definitions.update_benefit_definition(w.admin, scene.definition_id, body),
        lambda body: cl.definitions.create_reward_definition(w.admin, body),
        lambda body: cl.definitions.update_reward_definition(w.admin, scene.reward_definition_id, body),
        lambda body: cl.staff.create_store(w.admin, body),
        lambda body: cl.staff.create_staff(w.admin, body),
    ]
    for body in NOT_OBJECTS:
        for call in calls:
            expect(scene, ValidationError, "body", lambda c=call, b=body: c(b), mentions="JSON object")


def test_missing_required_fields_are_each_named(scene: Scene) -> None:
    w = scene.world
    exc = expect(scene, ValidationError, "first_name", lambda: w.cl.profiles.create(w.associate, {}))
    assert isinstance(exc, ValidationError) and set(exc.errors) == {"first_name", "last_name"}
    exc = expect(scene, ValidationError, "name",
                 lambda: w.cl.definitions.create_benefit_definition(w.admin, {}))
    assert isinstance(exc, ValidationError) and {"name", "handle"} <= set(exc.errors)
    expect(scene, ValidationError, "reason", lambda: w.cl.rewards.issue(
        w.manager, {"profile_id": scene.profile_id, "reward_definition_id": scene.reward_definition_id,
                    "value_initial": "5.00"}))


def test_wrongly_typed_fields(scene: Scene) -> None:
    w = scene.world
    cl = w.cl
    expect(scene, ValidationError, "first_name",
           lambda: cl.profiles.create(w.associate, {"first_name": 7, "last_name": "B"}))
    expect(scene, ValidationError, "period", lambda: cl.definitions.create_benefit_definition(
        w.admin, {"name": "X", "handle": "x", "period": "ten"}))
    expect(scene, ValidationError, "period", lambda: cl.definitions.create_benefit_definition(
        w.admin, {"name": "X", "handle": "x", "period": -1}))
    expect(scene, ValidationError, "is_published", lambda: cl.definitions.create_benefit_definition(
        w.admin, {"name": "X", "handle": "x", "is_published": "maybe"}))
    expect(scene, ValidationError, "tags", lambda: cl.definitions.create_benefit_definition(
        w.admin, {"name": "X", "handle": "x", "tags": "demo"}))
    expect(scene, ValidationError, "attributes",
           lambda: cl.profiles.update(w.associate, scene.profile_id, {"attributes": [1]}))
    expect(scene, ValidationError, "gender",
           lambda: cl.profiles.update(w.associate, scene.profile_id, {"gender": "robot"}))
    expect(scene, ValidationError, "email",
           lambda: cl.profiles.update(w.associate, scene.profile_id, {"email": "not-an-email"}))
    expect(scene, ValidationError, "extend_days",
           lambda: cl.benefits.extend(w.manager, scene.benefit_id, days=0))
    expect(scene, ValidationError, "extend_days",
           lambda: cl.benefits.extend(w.manager, scene.benefit_id, days="5"))  # type: ignore[arg-type]
    expect(scene, ValidationError, "extend_days", lambda: cl.benefits.extend(w.manager, scene.benefit_id))


# -- unknown ids ------------------------------------------------------------------------------


def test_unknown_ids(scene: Scene) -> None:
    w = scene.world
    cl = w.cl
    expect(scene, NotFound, "profile", lambda: cl.profiles.update(w.associate, UNKNOWN, {"first_name": "A"}))
    expect(scene, NotFound, "benefit", lambda: cl.benefits.redeem(w.associate, scene.profile_id, UNKNOWN))
    expect(scene, NotFound, "benefit", lambda: cl.benefits.extend(w.manager, UNKNOWN, days=3))
    expect(scene, NotFound, "benefit", lambda: cl.benefits.expire(w.manager, UNKNOWN))
    expect(scene, NotFound, "benefit", lambda: cl.benefits.delete(w.admin, UNKNOWN))
    expect(scene, NotFound, "benefit", lambda: cl.benefits.reassign(w.manager, UNKNOWN, scene.profile_id))
    expect(scene, NotFound, "benefit definition", lambda: cl.benefits.issue(
        w.manager, {"benefit_definition_id": UNKNOWN, "profile_id": scene.profile_id}))
    expect(scene, ValidationError, "profile_id", lambda: cl.benefits.issue(
        w.manager, {"benefit_definition_id": scene.definition_id, "profile_id": UNKNOWN}))
    expect(scene, ValidationError, "profile_id",
           lambda: cl.benefits.reassign(w.manager, scene.benefit_id, UNKNOWN))
    expect(scene, NotFound, "benefit definition",
           lambda: cl.benefits.claim(w.associate, scene.profile_id, "no-such-handle"))
    expect(scene, NotFound, "profile",
           lambda: cl.benefits.claim(w.associate, UNKNOWN, scene.claimable_handle))
    expect(scene, NotFound, "profile", lambda: cl.benefits.claim_and_redeem(
        w.associate, UNKNOWN, scene.claimable_handle))
    expect(scene, NotFound, "benefit definition",
           lambda: cl.benefits.redeem_by_definition(w.associate, scene.profile_id, UNKNOWN))
    expect(scene, NotFound, "profile",
           lambda: cl.benefits.redeem_by_definition(w.associate, UNKNOWN, scene.definition_handle))
    expect(scene, NotFound, "reward definition", lambda: cl.rewards.issue(
        w.manager, {"profile_id": scene.profile_id, "reward_definition_id": UNKNOWN,
                    "value_initial": "5.00", "reason": "x"}))
    expect(scene, ValidationError, "profile_id", lambda: cl.rewards.issue(
        w.manager, {"profile_id": UNKNOWN, "reward_definition_id": scene.reward_definition_id,
                    "value_initial": "5.00", "reason": "x"}))
    expect(scene, NotFound, "profile", lambda: cl.rewards.redeem_amount(w.associate, UNKNOWN, "1.00"))
    expect(scene, NotFound, "redemption", lambda: cl.rewards.void(w.manager, UNKNOWN))
    expect(scene, NotFound, "reward", lambda: cl.rewards.extend(w.manager, UNKNOWN))
    expect(scene, NotFound, "benefit definition",
           lambda: cl.definitions.update_benefit_definition(w.admin, UNKNOWN, {"name": "A"}))
    expect(scene, NotFound, "reward definition",
           lambda: cl.definitions.update_reward_definition(w.admin, UNKNOWN, {"name": "A"}))
    expect(scene, ValidationError, "home_store_id",
           lambda: cl.profiles.create(w.associate, {"first_name": "A", "last_name": "B",
                                                    "home_store_id": UNKNOWN}))
    expect(scene, ValidationError, "store_id", lambda: cl.staff.create_staff(
        w.admin, {"username": "eve", "display_name": "Eve", "role": "associate", "store_id": UNKNOWN,
                  "pin": "1234"}))


def test_reused_ids_are_refused(scene: Scene) -> None:
    w = scene.world
    expect(scene, ValidationError, "id", lambda: w.cl.benefits.issue(
        w.manager, {"benefit_definition_id": scene.definition_id, "profile_id": scene.profile_id,
                    "id": scene.benefit_id}))
    expect(scene, ValidationError, "id", lambda: w.cl.profiles.create(
        w.associate, {"first_name": "A", "last_name": "B", "id": scene.profile_id}))
    expect(scene, ValidationError, "redemption_id", lambda: w.cl.rewards.redeem_amount(
        w.associate, scene.profile_id, "1.00", redemption_id=scene.redemption_id))
    expect(scene, ValidationError, "redemption_id", lambda: w.cl.benefits.redeem(
        w.associate, scene.profile_id, scene.benefit_id, redemption_id=scene.redemption_id))
    expect(scene, ValidationError, "redemption_id", lambda: w.cl.benefits.claim_and_redeem(
        w.associate, scene.profile_id, scene.claimable_handle, redemption_id=scene.redemption_id))
    expect(scene, ValidationError, "benefit_id", lambda: w.cl.benefits.claim(
        w.associate, scene.profile_id, scene.claimable_handle, benefit_id="b" * 37))
    expect(scene, ValidationError, "id", lambda: w.cl.benefits.claim(
        w.associate, scene.profile_id, scene.claimable_handle, benefit_id=scene.benefit_id))
    expect(scene, ValidationError, "reversal_id", lambda: w.cl.rewards.void(
        w.manager, scene.redemption_id, reversal_id=scene.redemption_id))


# -- handles ----------------------------------------------------------------------------------


BAD_HANDLES = ["Free Alterations!", "free alterations", "-lead", "trail-", "ünïcode", "a/b", "x" * 101, ""]


def test_non_url_safe_handle(scene: Scene) -> None:
    w = scene.world
    for handle in BAD_HANDLES:
        expect(scene, ValidationError, "handle", lambda h=handle: w.cl.definitions.create_benefit_definition(
            w.admin, {"name": "Free Alterations", "handle": h}))
        expect(scene, ValidationError, "handle", lambda h=handle: w.cl.definitions.create_reward_definition(
            w.admin, {"name": "Sorry", "handle": h, "type": "bonus"}))
        expect(scene, ValidationError, "handle", lambda h=handle: w.cl.definitions.update_benefit_definition(
            w.admin, scene.definition_id, {"handle": h}))


def test_duplicate_handle(scene: Scene) -> None:
    w = scene.world
    for handle in ("free-alterations", "Free-Alterations"):
        expect(scene, ValidationError, "handle", lambda h=handle: w.cl.definitions.create_benefit_definition(
            w.admin, {"name": "Again", "handle": h}), mentions="already used")
    expect(scene, ValidationError, "handle", lambda: w.cl.definitions.create_reward_definition(
        w.admin, {"name": "Again", "handle": "sorry", "type": "bonus"}), mentions="already used")
    other = make_definition(w, handle="other-one")
    expect(scene, ValidationError, "handle", lambda: w.cl.definitions.update_benefit_definition(
        w.admin, other.id, {"handle": "free-alterations"}))


# -- amounts ----------------------------------------------------------------------------------

BAD_AMOUNTS = ["0.001", -5, 0, "abc", 0.1 + 0.2, True, "-0.01", "0", "1,000.00", "$5", "NaN",
               "Infinity", "1e3", "99999999999999999999"]


def test_bad_amounts(scene: Scene) -> None:
    w = scene.world
    for amount in BAD_AMOUNTS:
        expect(scene, ValidationError, "amount",
               lambda a=amount: w.cl.rewards.redeem_amount(w.associate, scene.profile_id, a))
        expect(scene, ValidationError, "value_initial", lambda a=amount: w.cl.rewards.issue(
            w.admin, {"profile_id": scene.profile_id, "reward_definition_id": scene.reward_definition_id,
                      "value_initial": a, "reason": "x"}))
        expect(scene, ValidationError, "value", lambda a=amount: w.cl.definitions.create_reward_definition(
            w.admin, {"name": "R", "handle": "r-new", "type": "bonus", "value": a}))


def test_amount_over_the_balance(scene: Scene) -> None:
    w = scene.world
    assert w.cl.rewards.balance(scene.profile_id) == 19
    expect(scene, RuleRefused, rules.OVER_BALANCE,
           lambda: w.cl.rewards.redeem_amount(w.associate, scene.profile_id, "19.01"))
    expect(scene, RuleRefused, rules.OVER_BALANCE, lambda: w.cl.rewards.preview(scene.profile_id, "1000"))


# -- timezones, timeframes, conditions, dates ------------------------------------------------

BAD_ZONES = ["Mars/Olympus", "Melbourne", "", "../../etc/passwd", "localtime "]


def test_unknown_timezone(scene: Scene) -> None:
    w = scene.world
    cl = w.cl
    for tz in BAD_ZONES:
        expect(scene, ValidationError, "timezone", lambda z=tz: cl.benefits.issue(
            w.manager, {"benefit_definition_id": scene.definition_id, "profile_id": scene.profile_id,
                        "timezone": z}))
        expect(scene, ValidationError, "timezone", lambda z=tz: cl.rewards.issue(
            w.admin, {"profile_id": scene.profile_id, "reward_definition_id": scene.reward_definition_id,
                      "value_initial": "5", "reason": "x", "timezone": z}))
        expect(scene, ValidationError, "timezone",
               lambda z=tz: cl.staff.create_store(w.admin, {"name": "Mars", "timezone": z}))
        if tz:  # an empty tz given to claim() means "the store's"
            expect(scene, ValidationError, "timezone", lambda z=tz: cl.benefits.claim(
                w.associate, scene.profile_id, scene.claimable_handle, tz=z))
            expect(scene, ValidationError, "timezone", lambda z=tz: cl.benefits.claim_and_redeem(
                w.associate, scene.profile_id, scene.claimable_handle, tz=z))


def test_bad_claim_timeframe_names_staturday(scene: Scene) -> None:
    w = scene.world
    exc = expect(scene, ValidationError, "claim_timeframe", lambda: w.cl.definitions
                 .create_benefit_definition(w.admin, {"name": "10%OFFDEMO", "handle": "10offdemo",
                                                      "claim_timeframe": STATURDAY_BLOCK}),
                 mentions="Staturday")
    assert "Saturday" in str(exc)  # and suggests the fix
    expect(scene, ValidationError, "claim_timeframe", lambda: w.cl.definitions.update_benefit_definition(
        w.admin, scene.definition_id, {"claim_timeframe": STATURDAY_BLOCK}), mentions="Staturday")


BAD_BLOCKS = [
    ({"timezone": "Europe/Copenhagen", "timeframe": {"repeat": [{"start": "14:00", "end": "10:00"}]}},
     "14:00"),
    ({"timezone": "Europe/Copenhagen", "timeframe": {"repeat": [{"start": "25:00", "end": "26:00"}]}},
     "25:00"),
    ({"timezone": "Europe/Kopenhagen", "timeframe": {"repeat": [{"start": "10:00", "end": "12:00"}]}},
     "Europe/Kopenhagen"),
    ({"timeframe": {"repeat": [{"start": "10:00", "end": "12:00"}]}}, "timezone"),
    ({"timezone": "Europe/Copenhagen"}, "timeframe"),
    ({"timezone": "Europe/Copenhagen", "timeframe": {"custom": {"monday": []}}}, "monday"),
]


def test_bad_claim_timeframes(scene: Scene) -> None:
    """T6: end before start, a bad time, an unknown zone, a missing part, a lower-case day."""
    w = scene.world
    for block, mentions in BAD_BLOCKS:
        expect(scene, ValidationError, "claim_timeframe", lambda b=block: w.cl.definitions
               .create_benefit_definition(w.admin, {"name": "X", "handle": "x", "claim_timeframe": b}),
               mentions=mentions)


BAD_RULES = [
    ({"frobnicate": [{"var": "tier"}, "gold"]}, "frobnicate"),
    ({"and": [{"===": ["female", {"var": "gender"}]}, {"sparkle": []}]}, "sparkle"),
    ({"if": [{"var": "tier"}, {"nope": 1}, False]}, "nope"),
    ({"var": [{"==": [1]}, 2, 3, 4]}, None),  # wrong shape
]


def test_invalid_jsonlogic_rule(scene: Scene) -> None:
    w = scene.world
    for rule, mentions in BAD_RULES:
        for field in ("claim_condition", "visibility_condition"):
            expect(scene, ValidationError, field, lambda f=field, r=rule: w.cl.definitions
                   .create_benefit_definition(w.admin, {"name": "X", "handle": "x", f: r}), mentions=mentions)
            expect(scene, ValidationError, field, lambda f=field, r=rule: w.cl.definitions
                   .update_benefit_definition(w.admin, scene.definition_id, {f: r}), mentions=mentions)


BAD_DATES = ["31/12/2025", "yesterday", "2025-13-01", "2025-02-30 10:00:00", "12:00", "0001-01-01",
             20251231]


def test_unreadable_dates(scene: Scene) -> None:
    w = scene.world
    cl = w.cl
    for when in BAD_DATES:
        expect(scene, ValidationError, "issued_at", lambda v=when: cl.benefits.issue(
            w.manager, {"benefit_definition_id": scene.definition_id, "profile_id": scene.profile_id,
                        "issued_at": v}))
        for field in ("claim_period_start_at", "claim_period_end_at", "end_at"):
            expect(scene, ValidationError, field, lambda f=field, v=when: cl.definitions
                   .create_benefit_definition(w.admin, {"name": "X", "handle": "x", f: v}))
        expect(scene, ValidationError, "expires_at",
               lambda v=when: cl.benefits.set_expiry(w.manager, scene.benefit_id, v))
        expect(scene, ValidationError, "extend_date",
               lambda v=when: cl.benefits.extend(w.manager, scene.benefit_id, until=v))
        expect(scene, ValidationError, "birth_date", lambda v=when: cl.profiles.update(
            w.associate, scene.profile_id, {"birth_date": v}))
    exc = expect(scene, ValidationError, "issued_at", lambda: cl.benefits.issue(
        w.manager, {"benefit_definition_id": scene.definition_id, "profile_id": scene.profile_id,
                    "issued_at": "31/12/2025"}), mentions="31/12/2025")
    assert "YYYY-MM-DD" in str(exc)


def test_claim_period_end_before_start(scene: Scene) -> None:
    w = scene.world
    expect(scene, ValidationError, "claim_period_end_at", lambda: w.cl.definitions.create_benefit_definition(
        w.admin, {"name": "X", "handle": "x", "claim_period_start_at": "2026-05-01 00:00:00",
                  "claim_period_end_at": "2026-04-01 00:00:00"}))


# -- scanning ---------------------------------------------------------------------------------


def test_scanned_code_that_matches_nothing(scene: Scene) -> None:
    w = scene.world
    assert w.cl.profiles.find_scan("4000123412341234").profile_id == scene.profile_id
    expect(scene, NotFound, "card or redeem code", lambda: w.cl.profiles.find_scan("9999000011112222"))
    expect(scene, NotFound, "card or redeem code", lambda: w.cl.profiles.find_scan("x" * 5000))
    expect(scene, ValidationError, "code", lambda: w.cl.profiles.find_scan("   "))
    expect(scene, ValidationError, "code", lambda: w.cl.profiles.find_scan(None))  # type: ignore[arg-type]


# -- over-long text ----------------------------------------------------------------------------


def test_over_long_text(scene: Scene) -> None:
    w = scene.world
    cl = w.cl
    expect(scene, ValidationError, "first_name",
           lambda: cl.profiles.create(w.associate, {"first_name": "A" * 101, "last_name": "B"}))
    expect(scene, ValidationError, "name",
           lambda: cl.definitions.create_benefit_definition(w.admin, {"name": "N" * 201, "handle": "x"}))
    expect(scene, ValidationError, "description", lambda: cl.definitions.create_benefit_definition(
        w.admin, {"name": "N", "handle": "x", "description": "d" * 5001}))
    expect(scene, ValidationError, "reason", lambda: cl.rewards.issue(
        w.admin, {"profile_id": scene.profile_id, "reward_definition_id": scene.reward_definition_id,
                  "value_initial": "5", "reason": "r" * 1001}))
    expect(scene, ValidationError, "mobile_phone",
           lambda: cl.profiles.update(w.associate, scene.profile_id, {"mobile_phone": "1" * 40}))
    expect(scene, ValidationError, "transaction_receipt_ref", lambda: cl.rewards.redeem_amount(
        w.associate, scene.profile_id, "1.00", receipt="R" * 129))
    expect(scene, ValidationError, "transaction_receipt_ref", lambda: cl.benefits.redeem(
        w.associate, scene.profile_id, scene.benefit_id, receipt="R" * 129))


def test_profile_update_can_keep_a_card_while_adding_another(world: World) -> None:
    cl = world.cl
    p = cl.profiles.create(world.associate, {"first_name": "Kai", "last_name": "Tran",
                                             "identities": [{"handle": "card", "identifier": "4111"}]})
    cl.profiles.update(world.associate, p.id, {"identities": [
        {"handle": "card", "identifier": "4111"}, {"handle": "card", "identifier": "4112"}]})
    assert sorted(i.identifier for i in cl.profiles.get(p.id).identities) == ["4111", "4112"]
    cl.profiles.update(world.associate, p.id, {"identities": [{"handle": "card", "identifier": "4112"}]})
    assert [i.identifier for i in cl.profiles.get(p.id).identities] == ["4112"]


def test_a_date_must_be_a_real_date(world: World) -> None:
    """SPEC §4: a date in an unreadable format is refused, not read in part."""
    for bad in ("2026-03-02T25:00:00", "31/12/2025", "2026-02-30", "yesterday"):
        with pytest.raises(ValidationError) as err:
            world.cl.profiles.create(world.associate, {"first_name": "A", "last_name": "B",
                                                       "birth_date": bad})
        assert "birth_date" in err.value.errors
