"""SPEC rule C4: JsonLogic conditions (clienteling.engine.conditions)."""

from __future__ import annotations

import copy
import json
import logging
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clienteling.engine.conditions import (
    InvalidRule,
    check,
    compile_rule,
    evaluate,
    normalise,
    truthy,
    validate,
)

# The official suite, carried by the project (tests/data/README.md says where it comes from).
SUITE_PATH = Path(__file__).resolve().parents[1] / "data" / "jsonlogic-tests.json"
SUITE_SIZE = 278


def _load_suite() -> list[tuple[Any, Any, Any]]:
    if not SUITE_PATH.is_file():
        return []
    entries = json.loads(SUITE_PATH.read_text(encoding="utf-8"))
    return [(e[0], e[1], e[2]) for e in entries if not isinstance(e, str)]


SUITE = _load_suite()


def js_same(actual: Any, expected: Any) -> bool:
    """Strict equality as the suite means it: ``True`` is not ``1``, but ``2.0`` is ``2``."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, (int, float)) and isinstance(expected, (int, float)):
        both_nan = math.isnan(actual) and math.isnan(expected)
        return bool(actual == expected or both_nan)
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(
            js_same(a, e) for a, e in zip(actual, expected, strict=True)
        )
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(js_same(actual[k], expected[k]) for k in actual)
    return type(actual) is type(expected) and actual == expected


# --- the official shared suite ----------------------------------------------------------------


def test_c4_reference_suite_has_all_278_cases() -> None:
    assert SUITE_PATH.is_file(), f"reference suite not found at {SUITE_PATH}"
    assert len(SUITE) == SUITE_SIZE


@pytest.mark.parametrize(
    ("rule", "data", "expected"),
    SUITE,
    ids=[f"case{i:03d}" for i in range(len(SUITE))],
)
def test_c4_reference_suite(rule: Any, data: Any, expected: Any) -> None:
    rule_before = copy.deepcopy(rule)
    result = evaluate(rule, data)
    assert js_same(result, expected), f"{json.dumps(rule)} on {json.dumps(data)}: {result!r}"
    assert rule == rule_before  # evaluation never alters the rule


def test_js_same_helper_is_strict_about_booleans() -> None:
    assert not js_same(True, 1)
    assert not js_same(1, True)
    assert js_same(2.0, 2)
    assert not js_same([1, True], [1, 1])
    assert not js_same("1", 1)


# --- strict equality ---------------------------------------------------------------------------


def test_c4_strict_equality_distinguishes_true_from_one() -> None:
    assert evaluate({"===": [True, 1]}, {}) is False
    assert evaluate({"===": [1, True]}, {}) is False
    assert evaluate({"!==": [True, 1]}, {}) is True
    assert evaluate({"===": [False, 0]}, {}) is False
    assert evaluate({"===": [{"var": "flag"}, 1]}, {"flag": True}) is False
    assert evaluate({"===": [1, {"var": "flag"}]}, {"flag": True}) is False
    assert evaluate({"===": [{"var": "flag"}, True]}, {"flag": True}) is True
    # loose equality coerces, as JavaScript does
    assert evaluate({"==": [True, 1]}, {}) is True
    assert evaluate({"==": [{"var": "flag"}, "1"]}, {"flag": True}) is True
    # numbers are numbers whatever their Python type
    assert evaluate({"===": [1, 1.0]}, {}) is True
    assert evaluate({"===": [{"var": "n"}, 2]}, {"n": 2.0}) is True


def test_c4_loose_equality_follows_javascript() -> None:
    assert evaluate({"==": [None, None]}, {}) is True
    assert evaluate({"==": [None, 0]}, {}) is False
    assert evaluate({"==": [None, False]}, {}) is False
    assert evaluate({"==": ["", 0]}, {}) is True
    assert evaluate({"==": [" 12 ", 12]}, {}) is True
    assert evaluate({"==": ["0x1A", 26]}, {}) is True
    assert evaluate({"==": [[1], 1]}, {}) is True
    assert evaluate({"==": [[1, 2], "1,2"]}, {}) is True
    assert evaluate({"==": ["abc", float("nan")]}, {}) is False
    assert evaluate({"!=": [{"var": "tier"}, "gold"]}, {"tier": "silver"}) is True


# --- Omneo's shorthand -------------------------------------------------------------------------


def test_c4_shorthand_is_expanded() -> None:
    shorthand = {"rule": "tier", "value": "gold"}
    assert normalise(shorthand) == {"==": [{"var": "tier"}, "gold"]}
    assert shorthand == {"rule": "tier", "value": "gold"}  # not modified
    assert normalise(None) is None
    assert evaluate(shorthand, {"tier": "gold"}) is True
    assert evaluate(shorthand, {"tier": "silver"}) is False
    assert check(shorthand, {"tier": "gold"}) is True
    assert check(shorthand, {"tier": "silver"}) is False
    assert check(shorthand, {}) is False
    validate(shorthand)


def test_c4_shorthand_inside_logical_operators() -> None:
    rule = {"and": [{"rule": "tier", "value": "gold"}, {"!": {"rule": "gender", "value": "male"}}]}
    assert check(rule, {"tier": "gold", "gender": "female"}) is True
    assert check(rule, {"tier": "gold", "gender": "male"}) is False
    assert check(rule, {"tier": "silver", "gender": "female"}) is False


def test_c4_other_two_key_objects_are_data() -> None:
    literal = {"rule": 1, "value": 2}  # "rule" is not a field name: not the shorthand
    assert normalise(literal) is literal
    assert evaluate({"a": 1, "b": 2}, None) == {"a": 1, "b": 2}
    assert evaluate({}, None) == {}


def test_c4_none_rule_means_always_true() -> None:
    assert check(None, {}) is True
    assert check(None, None) is True
    validate(None)
    assert evaluate(None, {}) is None  # a non-rule passes through, as in the suite


# --- invalid rules -----------------------------------------------------------------------------


def test_c4_unknown_operator_is_rejected() -> None:
    with pytest.raises(InvalidRule, match=r"unknown operator 'foo' at the top level"):
        validate({"foo": [1, 2]})
    with pytest.raises(InvalidRule, match=r"unknown operator 'foo' at and\[1\]"):
        evaluate({"and": [True, {"foo": 1}]}, {})


def test_c4_unknown_operator_nested_deep_is_located() -> None:
    rule = {
        "and": [
            {"==": [{"var": "tier"}, "gold"]},
            {"or": [{"!!": [{"bogus": [{"var": "x"}]}]}, {"in": [{"var": "y"}, [1, 2]]}]},
        ]
    }
    with pytest.raises(InvalidRule) as info:
        compile_rule(rule)
    message = str(info.value)
    assert "'bogus'" in message
    assert "and[1].or[0].!![0]" in message


def test_c4_invalid_rule_is_a_value_error() -> None:
    assert issubclass(InvalidRule, ValueError)


def test_c4_var_path_must_be_a_string_or_number() -> None:
    with pytest.raises(InvalidRule, match=r"'var' path must be a string or a number, not an object"):
        validate({"var": {"a": 1, "b": 2}})
    with pytest.raises(InvalidRule, match=r"'var'.*not an array"):
        validate({"var": [["a"]]})
    with pytest.raises(InvalidRule, match=r"'var'.*at and\[0\]"):
        validate({"and": [{"var": {}}, True]})
    validate({"var": 1})
    validate({"var": "a.b"})
    validate({"var": ["a", {"missing": "b"}]})
    validate({"var": {"cat": ["a", ".b"]}})  # a computed path is fine


def test_c4_single_argument_without_a_list_is_accepted() -> None:
    # json-logic-js wraps a non-list argument in a list
    for rule in ({"!": True}, {"var": "a"}, {"missing": "a"}, {"cat": "x"}, {"merge": 1}):
        validate(rule)
    assert evaluate({"!": {"var": "a"}}, {"a": 0}) is True


def test_c4_wrong_number_of_arguments_is_rejected() -> None:
    with pytest.raises(InvalidRule, match=r"'map' needs at least 2 arguments"):
        validate({"map": {"var": "items"}})
    with pytest.raises(InvalidRule, match=r"'missing_some' needs at least 2 arguments"):
        validate({"missing_some": [1]})
    with pytest.raises(InvalidRule, match=r"'and' needs at least 1 argument \("):
        validate({"and": []})
    with pytest.raises(InvalidRule, match=r"'\*' needs"):
        validate({"*": []})


def test_c4_method_and_host_objects_are_unreachable() -> None:
    with pytest.raises(InvalidRule, match="'method'"):
        validate({"method": ["abc", "upper"]})
    assert evaluate({"var": "__class__"}, {"a": 1}) is None
    assert evaluate({"var": "upper"}, "abc") is None
    assert evaluate({"var": "a.__dict__"}, {"a": {"b": 1}}) is None
    assert evaluate({"var": "length"}, "abc") == 3  # as in JavaScript


def test_c4_non_json_rule_is_rejected() -> None:
    with pytest.raises(InvalidRule, match="not JSON"):
        validate({"in": [{"var": "tier"}, {"gold", "silver"}]})


def test_c4_deeply_nested_rule_is_rejected_not_crashed() -> None:
    rule: Any = True
    for _ in range(5000):
        rule = {"!": [rule]}
    with pytest.raises(InvalidRule, match="nested too deeply"):
        validate(rule)


# --- check: the engine's safe form ------------------------------------------------------------


def test_c4_check_counts_an_invalid_rule_as_false_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="clienteling.engine.conditions"):
        assert check({"and": [True, {"nope": 1}]}, {"tier": "gold"}) is False
    records = [r for r in caplog.records if r.name == "clienteling.engine.conditions"]
    assert records, "an invalid rule must be logged"
    assert records[0].levelno == logging.WARNING
    assert "unknown operator 'nope' at and[1]" in records[0].getMessage()


def test_c4_check_counts_an_evaluation_error_as_false_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rule = {"missing_some": [1, {"var": "keys"}]}  # json-logic-js throws on null keys
    assert evaluate(rule, {"keys": ["a"]}) == ["a"]
    with pytest.raises(TypeError):
        evaluate(rule, {"keys": None})
    with caplog.at_level(logging.WARNING, logger="clienteling.engine.conditions"):
        assert check(rule, {"keys": None}) is False
    assert any("failed while evaluating" in r.getMessage() for r in caplog.records)


def test_c4_check_uses_jsonlogic_truthiness() -> None:
    assert check({"var": "x"}, {"x": []}) is False
    assert check({"var": "x"}, {"x": [0]}) is True
    assert check({"var": "x"}, {"x": "0"}) is True
    assert check({"var": "x"}, {"x": ""}) is False
    assert check({"var": "x"}, {"x": 0}) is False
    assert check({"var": "x"}, {"x": {}}) is True
    assert check({"missing": ["email"]}, {"email": "a@b.c"}) is False


def test_truthy_follows_jsonlogic() -> None:
    falsy = [[], 0, 0.0, "", None, False, float("nan")]
    truthy_values = [[0], 1, -1, 0.5, "0", "a", True, {}, {"a": 1}, float("inf")]
    assert [truthy(v) for v in falsy] == [False] * len(falsy)
    assert [truthy(v) for v in truthy_values] == [True] * len(truthy_values)


# --- typical claim conditions ------------------------------------------------------------------

PROFILE = {
    "gender": "female",
    "tier": "gold",
    "email": "ada@example.com",
    "birth_date": "1990-02-03",
    "age": 35,
    "first_name": "Ada",
    "last_name": "Lovelace",
    "mobile": "+61400000000",
    "postcode": "3000",
    "attributes": {"vip": True, "stores": ["MEL01", "SYD02"], "visits": 12},
}


def test_c4_typical_claim_conditions() -> None:
    rule = {
        "and": [
            {"===": ["female", {"var": "gender"}]},
            {"in": [{"var": "tier"}, ["gold", "platinum"]]},
        ]
    }
    fn = compile_rule(rule)
    assert fn(PROFILE) is True
    assert fn({**PROFILE, "tier": "silver"}) is False
    assert fn({**PROFILE, "gender": "male"}) is False
    assert fn({}) is False
    assert fn(None) is False
    assert check({">=": [{"var": "age"}, 18]}, PROFILE) is True
    assert check({"<=": [18, {"var": "age"}, 30]}, PROFILE) is False
    assert check({"in": ["MEL01", {"var": "attributes.stores"}]}, PROFILE) is True
    assert check({"==": [{"var": "attributes.stores.1"}, "SYD02"]}, PROFILE) is True
    assert check({">": [{"var": ["attributes.visits", 0]}, 10]}, PROFILE) is True
    assert check({"var": "attributes.vip"}, PROFILE) is True
    assert check({"in": ["@example.com", {"var": "email"}]}, PROFILE) is True
    assert check({"==": [{"substr": [{"var": "birth_date"}, 5, 2]}, "02"]}, PROFILE) is True


def test_c4_compiled_rules_are_cached_by_canonical_json() -> None:
    rule_a = {"and": [{"var": "x"}, {"==": [{"var": "y"}, 1]}]}
    rule_b = json.loads(json.dumps(rule_a))
    assert compile_rule(rule_a) is compile_rule(rule_b)


def test_c4_results_are_fresh_values() -> None:
    rule = {"merge": [[1, 2], [3]]}
    first = evaluate(rule, {})
    first.append(99)
    assert evaluate(rule, {}) == [1, 2, 3]
    literal = {"if": [{"var": "x"}, ["a"], []]}
    got = evaluate(literal, {"x": True})
    got.append("b")
    assert evaluate(literal, {"x": True}) == ["a"]


def test_c4_javascript_conversions() -> None:
    assert evaluate({"cat": [1.0, True, None, 2.5, [1, 2]]}, {}) == "1true2.51,2"
    assert evaluate({"cat": [1e21, 1e-7, 0.1]}, {}) == "1e+211e-70.1"
    assert js_same(evaluate({"+": ["3.5", 1]}, {}), 4.5)
    assert js_same(evaluate({"+": "12abc"}, {}), 12)  # parseFloat
    assert js_same(evaluate({"-": ["5", "2"]}, {}), 3)
    assert js_same(evaluate({"*": ["1"]}, {}), "1")  # single-argument reduce
    assert js_same(evaluate({"/": [1, 0]}, {}), math.inf)
    assert math.isnan(evaluate({"%": [1, 0]}, {}))
    assert js_same(evaluate({"%": [-7, 2]}, {}), -1)
    assert evaluate({"<": ["10", "9"]}, {}) is True  # both strings: compared as strings
    assert evaluate({"<": ["10", 9]}, {}) is False
    assert evaluate({"max": ["3", 2, True]}, {}) == 3
    assert evaluate({"in": [1, "a1"]}, {}) is True
    assert evaluate({"in": [1, [True]]}, {}) is False


# --- robustness ---------------------------------------------------------------------------------

OPERATORS = [
    "var", "missing", "missing_some", "if", "?:", "and", "or", "!", "!!", "==", "!=", "===",
    "!==", "<", "<=", ">", ">=", "in", "map", "filter", "reduce", "all", "none", "some",
    "merge", "cat", "substr", "+", "*", "-", "/", "%", "max", "min", "log", "method", "foo",
]  # fmt: skip

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6)
    | st.sampled_from(["", "0", "a", "a.b", "x.0", "1", "length", "current", "accumulator"])
)


def _rule_children(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(OPERATORS), children, min_size=1, max_size=1)
        | st.dictionaries(st.sampled_from(OPERATORS), st.lists(children, max_size=4), min_size=1, max_size=1)
        | st.dictionaries(st.text(max_size=3), children, max_size=3)
    )


json_rules = st.recursive(json_scalars, _rule_children, max_leaves=25)
json_data = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["a", "b", "x", "0", "1", "current", "items"]) | st.text(max_size=3),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(rule=json_rules, data=json_data)
def test_c4_check_never_raises(rule: Any, data: Any) -> None:
    result = check(rule, data)
    assert result is True or result is False
