"""Issue 9, defect 3: JsonLogic conditions have a cost bound (SPEC C4, §4, §8).

A rule over the static budget (values, array length, nesting, size) is refused when a
definition is saved, with a message naming the field; a rule within it whose evaluation
takes more than the step budget counts as false and is logged, never a hang. Before the fix
an admin could save ``{"some": [[0]*3000, {"in": [{"var": ""}, [1]*3000]}]}`` (18 KB) and
every claimable list then spent seconds evaluating it.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import pytest
from sqlalchemy import select

from clienteling.engine import conditions
from clienteling.engine.conditions import (
    MAX_ARRAY,
    MAX_DEPTH,
    MAX_NODES,
    STEP_BUDGET,
    BudgetExceeded,
    InvalidRule,
    check,
    evaluate,
    predicate,
    validate,
)
from clienteling.engine.errors import ValidationError
from clienteling.engine.models import BenefitDefinition
from tests.conftest import World
from tests.engine.support import count, make_claimable, make_profile, sql
from tests.internals import context_of

# The rule of the issue: 6,004 values, two arrays of 3,000, 18 KB of JSON.
QUADRATIC = {"some": [[0] * 3000, {"in": [{"var": ""}, [1] * 3000]}]}


def _nested(levels: int) -> Any:
    """``{"!": {"!": … {"var": "tier"}}}`` whose deepest value ("tier") is ``levels`` deep."""
    rule: Any = {"var": "tier"}
    for _ in range(levels - 2):
        rule = {"!": rule}
    return rule


# --- refused at save ----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["claim_condition", "visibility_condition"])
def test_the_issues_rule_is_refused_at_save_naming_the_field(world: World, field: str) -> None:
    before = count(world, BenefitDefinition)
    with pytest.raises(ValidationError) as caught:
        make_claimable(world, **{field: QUADRATIC})
    assert list(caught.value.errors) == [field]
    message = caught.value.errors[field][0]
    assert "3000 items" in message and f"at most {MAX_ARRAY}" in message and "some[0]" in message
    assert count(world, BenefitDefinition) == before


@pytest.mark.parametrize(("rule", "words"), [
    ({"in": [{"var": "n"}, list(range(MAX_ARRAY + 1))]}, f"{MAX_ARRAY + 1} items"),
    ({"or": [{"==": [{"var": "n"}, i]} for i in range(MAX_NODES // 3 + 1)]},
     f"more than {MAX_NODES} values"),
    (_nested(MAX_DEPTH + 1), f"more than {MAX_DEPTH} levels"),
    ({"in": [{"var": "n"}, ["x" * 40_000, "y" * 40_000]]}, "characters of JSON"),
], ids=["array", "nodes", "depth", "size"])
def test_each_static_budget_is_enforced(rule: Any, words: str) -> None:
    with pytest.raises(InvalidRule) as caught:
        validate(rule)
    assert words in str(caught.value)


def test_rules_at_the_static_budget_are_accepted() -> None:
    members = list(range(MAX_ARRAY))
    validate({"in": [{"var": "n"}, members]})
    assert evaluate({"in": [{"var": "n"}, members]}, {"n": MAX_ARRAY - 1}) is True
    validate(_nested(MAX_DEPTH))
    assert evaluate(_nested(MAX_DEPTH), {"tier": "gold"}) is (MAX_DEPTH % 2 == 0)


# --- the step budget at evaluation ----------------------------------------------------------------

# Within the static budget, but quadratic in the data: each item of xs is [value, haystack].
DATA_QUADRATIC = {"some": [{"var": "xs"}, {"in": [{"var": "0"}, {"var": "1"}]}]}


def _pairs(n: int, last: int) -> dict[str, Any]:
    haystack = [1] * (n - 1) + [5]
    return {"xs": [[0, haystack]] * (n - 1) + [[last, haystack]]}


def test_over_the_step_budget_a_rule_counts_as_false_and_is_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    data = _pairs(300, 5)  # true, if evaluated to the end: 300 x 300 comparisons
    caplog.set_level(logging.WARNING, logger=conditions.__name__)
    holds = predicate(DATA_QUADRATIC)

    assert holds(data) is False
    assert holds(data) is False
    budget = [r for r in caplog.records if "budget" in r.getMessage()]
    assert len(budget) == 1, caplog.text  # once per compiled rule, not once per profile
    assert check(DATA_QUADRATIC, data) is False
    with pytest.raises(BudgetExceeded):
        evaluate(DATA_QUADRATIC, data)


def test_within_the_step_budget_loops_evaluate_as_before() -> None:
    assert STEP_BUDGET > 2 * 30 * 30  # well within
    assert evaluate(DATA_QUADRATIC, _pairs(30, 5)) is True
    assert check(DATA_QUADRATIC, _pairs(30, 5)) is True
    assert check(DATA_QUADRATIC, _pairs(30, 0)) is False
    assert evaluate({"map": [{"var": "xs"}, {"*": [{"var": ""}, 2]}]}, {"xs": [1, 2, 3]}) == [2, 4, 6]


def test_a_loop_over_a_large_constant_list_is_charged_by_its_work_not_its_size() -> None:
    """``in`` against 900 constant store codes is one set probe, so looping over a profile's
    200 stores stays well within the budget."""
    codes = [f"S{i:04d}" for i in range(900)]
    rule = {"some": [{"var": "attributes.stores"}, {"in": [{"var": ""}, codes]}]}
    stores = [f"X{i}" for i in range(199)] + ["S0899"]
    assert evaluate(rule, {"attributes": {"stores": stores}}) is True
    assert evaluate(rule, {"attributes": {"stores": stores[:-1]}}) is False


@pytest.mark.parametrize(("rule", "start"), [
    # Each step doubles the accumulator: 2**20 elements or characters after 20 steps.
    ({"reduce": [{"var": "xs"}, {"merge": [{"var": "accumulator"}, {"var": "accumulator"}]},
                 [1]]}, None),
    ({"reduce": [{"var": "xs"}, {"cat": [{"var": "accumulator"}, {"var": "accumulator"}]},
                 "ab"]}, None),
    # A nested list whose printed form doubles each step, then printed by "==".
    ({"==": [{"reduce": [{"var": "xs"}, [{"var": "accumulator"}, {"var": "accumulator"}], 1]},
             "1"]}, None),
], ids=["merge", "cat", "string-of-nested-arrays"])
def test_exponential_growth_is_stopped_by_the_step_budget(rule: Any, start: Any) -> None:
    with pytest.raises(BudgetExceeded):
        evaluate(rule, {"xs": list(range(20))})
    assert check(rule, {"xs": list(range(20))}) is False


def test_repeated_squaring_overflows_to_infinity_as_in_javascript() -> None:
    """JavaScript numbers are doubles: 2 squared 12 times is Infinity there, not a 4,097-bit
    integer (left unbounded, 40 steps of this would never finish)."""
    square = {"reduce": [{"var": "xs"}, {"*": [{"var": "accumulator"}, {"var": "accumulator"}]},
                         2]}
    assert evaluate(square, {"xs": list(range(12))}) == math.inf
    assert evaluate(square, {"xs": list(range(3))}) == 256
    assert evaluate({"+": [2**53, 2**53]}, {}) == 2.0**54


def test_a_constant_list_of_numbers_is_a_set_probe() -> None:
    """``in`` against a constant list keeps JavaScript's strict equality."""
    rule = {"in": [{"var": "n"}, [1, 2.5, "3", 0]]}
    assert [evaluate(rule, {"n": n}) for n in (1, 1.0, 2.5, "3", 3, True, False, None, -0.0,
                                               math.nan, [1], "1")] == [
        True, True, True, True, False, False, False, False, True, False, False, False]


# --- the claimable list ---------------------------------------------------------------------------


def test_a_stored_over_budget_rule_counts_as_false_in_the_claimable_list(world: World) -> None:
    """A rule that reached the database before the bound (or by sync) is not claimable, though
    evaluated to the end (some 9 million comparisons) it would be true."""
    rule = {"some": [[0] * 2999 + [1], {"in": [{"var": ""}, [1] * 3000]}]}
    p = make_profile(world)
    d = make_claimable(world)
    assert d.id in [c.id for c in world.cl.benefits.claimable(p.id)]
    sql(world, "UPDATE benefit_definitions SET claim_condition = :rule, version = version + 1 "
        "WHERE id = :id", rule=json.dumps(rule), id=d.id)
    with context_of(world.cl).reading() as s:
        assert s.scalar(select(BenefitDefinition.claim_condition)
                        .where(BenefitDefinition.id == d.id)) == rule
    assert d.id not in [c.id for c in world.cl.benefits.claimable(p.id)]
