"""Money as Decimal (SPEC §3.5 R1, §3.6 apportioning, §4 bad amounts)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clienteling.engine.money import (
    DEFAULT_CURRENCY,
    MAX_AMOUNT,
    MINOR_UNITS,
    MoneyError,
    apportion,
    format_money,
    minor_units,
    parse_amount,
    quantize,
    to_wire,
)

D = Decimal


def test_constants() -> None:
    assert DEFAULT_CURRENCY == "AUD"
    assert MINOR_UNITS == {"AUD": 2, "USD": 2, "EUR": 2, "NZD": 2, "GBP": 2, "JPY": 0}
    assert minor_units("JPY") == 0
    with pytest.raises(MoneyError, match=r"^currency: unknown currency 'XYZ'"):
        minor_units("XYZ")


# --------------------------------------------------------------------------- parse_amount


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("20.00"), D("20.00")),
        (D("20"), D("20.00")),
        (20, D("20.00")),
        ("20.00", D("20.00")),
        ("20", D("20.00")),
        ("20.5", D("20.50")),
        (" 20.5 ", D("20.50")),
        ("+7", D("7.00")),
        ("0.01", D("0.01")),
        (".5", D("0.50")),
        ("20.500", D("20.50")),  # trailing zeros are not extra precision
        (20.5, D("20.50")),
        (20.0, D("20.00")),
        (0.1, D("0.10")),
        (19.99, D("19.99")),
        (1e12, D("1000000000000.00")),
        (MAX_AMOUNT, MAX_AMOUNT),
    ],
)
def test_parse_amount_accepts(value: object, expected: Decimal) -> None:
    result = parse_amount(value)
    assert result == expected
    assert isinstance(result, Decimal)
    assert result.as_tuple().exponent == -2  # always quantized to the minor units


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (20.555, "amount: at most 2 decimal places for AUD"),
        (0.1 + 0.2, "amount: at most 2 decimal places for AUD"),
        ("20.001", "amount: at most 2 decimal places for AUD"),
        (D("0.005"), "amount: at most 2 decimal places for AUD"),
        (0, "amount: must be greater than zero"),
        ("0.00", "amount: must be greater than zero"),
        (D("-0"), "amount: must be greater than zero"),
        (0.0, "amount: must be greater than zero"),
        (-5, "amount: must not be negative"),
        ("-0.01", "amount: must not be negative"),
        (-20.5, "amount: must not be negative"),
        (True, "amount: must be a number, not true"),
        (False, "amount: must be a number, not false"),
        (float("nan"), "amount: must be a finite number"),
        (float("inf"), "amount: must be a finite number"),
        (float("-inf"), "amount: must be a finite number"),
        (D("NaN"), "amount: must be a finite number"),
        (D("sNaN"), "amount: must be a finite number"),
        (D("Infinity"), "amount: must be a finite number"),
        ("NaN", "amount: not a number"),
        ("Infinity", "amount: not a number"),
        ("1e3", "amount: not a number"),
        ("1_000", "amount: not a number"),
        ("1,234.50", "amount: not a number"),
        ("$5", "amount: not a number"),
        ("abc", "amount: not a number"),
        ("٥", "amount: not a number"),  # non-ASCII digit
        ("1" * 100, "amount: not a number"),
        ("", "amount: is required"),
        (None, "amount: is required"),
        ([], "amount: must be a number or a decimal string"),
        (MAX_AMOUNT + D("0.01"), "amount: is too large"),
        (10**13, "amount: is too large"),
        (1e300, "amount: is too large"),
        (D("1E+999999"), "amount: is too large"),
        (D("1E-999999"), "amount: at most 2 decimal places for AUD"),
    ],
)
def test_parse_amount_refuses(value: object, message: str) -> None:
    with pytest.raises(MoneyError) as info:
        parse_amount(value)
    assert str(info.value).startswith(message)
    assert isinstance(info.value, ValueError)


def test_parse_amount_message_names_the_field() -> None:
    with pytest.raises(MoneyError, match=r"^value: must be greater than zero$"):
        parse_amount("0", field="value")
    with pytest.raises(MoneyError, match=r"^price: at most 2 decimal places for EUR$"):
        parse_amount("1.234", field="price", currency="EUR")


def test_parse_amount_allow_zero() -> None:
    assert parse_amount("0", allow_zero=True) == D("0.00")
    assert str(parse_amount(D("-0.00"), allow_zero=True)) == "0.00"
    with pytest.raises(MoneyError, match="must not be negative"):
        parse_amount("-1", allow_zero=True)


def test_parse_amount_jpy_has_no_minor_units() -> None:
    assert parse_amount("1500", currency="JPY") == D("1500")
    assert parse_amount(1500.0, currency="JPY") == D("1500")
    assert parse_amount("1500.00", currency="JPY").as_tuple().exponent == 0
    with pytest.raises(MoneyError, match=r"^amount: no decimal places allowed for JPY$"):
        parse_amount("20.5", currency="JPY")


def test_parse_amount_unknown_currency() -> None:
    with pytest.raises(MoneyError, match=r"^currency: unknown currency"):
        parse_amount("1", currency="BTC")


@given(cents=st.integers(min_value=1, max_value=10**14))
def test_parse_amount_round_trips_wire_text(cents: int) -> None:
    """Any amount up to MAX with 2 places survives to_wire -> parse_amount unchanged."""
    amount = D(cents).scaleb(-2)
    if amount > MAX_AMOUNT:
        with pytest.raises(MoneyError):
            parse_amount(to_wire(amount))
    else:
        assert parse_amount(to_wire(amount)) == amount


@given(value=st.floats(min_value=0.01, max_value=1e6))
def test_parse_amount_float_accepted_only_when_exact_to_cents(value: float) -> None:
    """A JSON float is accepted exactly when its shortest repr has at most 2 places."""
    text = repr(value)
    exact = Decimal(text) == Decimal(text).quantize(D("0.01"))
    if exact:
        assert parse_amount(value) == Decimal(text)
    else:
        with pytest.raises(MoneyError, match="at most 2 decimal places"):
            parse_amount(value)


# --------------------------------------------------------------------------- rendering


def test_quantize_rounds_half_up() -> None:
    assert quantize(D("0.005")) == D("0.01")
    assert quantize(D("0.004")) == D("0.00")
    assert quantize(D("2.675")) == D("2.68")
    assert quantize(D("-0.005")) == D("-0.01")  # half away from zero
    assert quantize(D("1.5"), "JPY") == D("2")
    assert quantize(D("2.5"), "JPY") == D("3")
    assert quantize(7) == D("7.00")
    assert str(quantize(D("-0.001"))) == "0.00"  # no negative zero


def test_quantize_refuses_floats_and_non_finite() -> None:
    with pytest.raises(MoneyError):
        quantize(1.5)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        quantize(D("NaN"))


def test_to_wire() -> None:
    assert to_wire(D("20")) == "20.00"
    assert to_wire(D("20.5")) == "20.50"
    assert to_wire(D("0")) == "0.00"
    assert to_wire(D("1E+3")) == "1000.00"
    assert to_wire(D("-5")) == "-5.00"
    assert to_wire(D("1234.5"), "JPY") == "1235"
    assert to_wire(D("1E+3"), "JPY") == "1000"


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (D("1234.5"), "AUD", "$1,234.50"),
        (D("0"), "AUD", "$0.00"),
        (D("-5"), "AUD", "-$5.00"),
        (D("1000000"), "USD", "$1,000,000.00"),
        (D("3"), "NZD", "$3.00"),
        (D("3.1"), "EUR", "€3.10"),
        (D("99.99"), "GBP", "£99.99"),
        (D("1234.5"), "JPY", "¥1,235"),
        (D("-1234"), "JPY", "-¥1,234"),
    ],
)
def test_format_money(amount: Decimal, currency: str, text: str) -> None:
    assert format_money(amount, currency) == text


# --------------------------------------------------------------------------- apportion


def test_apportion_ties_are_deterministic() -> None:
    """0.10 over three equal weights: the spare cent goes to the lowest index."""
    assert apportion(D("0.10"), [D(1), D(1), D(1)]) == [D("0.04"), D("0.03"), D("0.03")]
    assert apportion(D("0.02"), [D(1), D(1), D(1)]) == [D("0.01"), D("0.01"), D("0.00")]


def test_apportion_ties_prefer_the_larger_weight() -> None:
    """Equal remainders: the larger weight wins, then the lower index."""
    # 0.05 over [1, 3]: exact shares 1.25 and 3.75 cents -> remainders .25 vs .75
    assert apportion(D("0.05"), [D(1), D(3)]) == [D("0.01"), D("0.04")]
    # 0.03 over [1, 1, 2, 2]: shares .5, .5, 1, 1 cents; remainders tie at .5
    assert apportion(D("0.03"), [D(1), D(1), D(2), D(2)]) == [
        D("0.01"),
        D("0.00"),
        D("0.01"),
        D("0.01"),
    ]
    # 0.01 over [2, 3] -> shares .4 and .6: largest remainder
    assert apportion(D("0.01"), [D(2), D(3)]) == [D("0.00"), D("0.01")]
    # weights 1 and 3 with 0.02: shares .5 and 1.5, both remainder .5 -> larger weight
    assert apportion(D("0.02"), [D(1), D(3)]) == [D("0.00"), D("0.02")]


def test_apportion_proportional_example() -> None:
    parts = apportion(D("10.00"), [D("19.99"), D("5.01"), D("75.00")])
    assert sum(parts) == D("10.00")
    assert parts == [D("2.00"), D("0.50"), D("7.50")]


def test_apportion_zero_weights_get_zero() -> None:
    parts = apportion(D("10.00"), [D(0), D("30"), D(0), D("10")])
    assert parts == [D("0.00"), D("7.50"), D("0.00"), D("2.50")]


def test_apportion_zero_total() -> None:
    assert apportion(D("0"), [D(1), D(2)]) == [D("0.00"), D("0.00")]
    assert apportion(D("0.00"), [D(0), D(0)]) == [D("0.00"), D("0.00")]
    assert apportion(D("0"), []) == []


def test_apportion_refusals() -> None:
    with pytest.raises(MoneyError, match=r"^weights: cannot apportion \$5\.00"):
        apportion(D("5.00"), [D(0), D(0)])
    with pytest.raises(MoneyError, match=r"^weights: "):
        apportion(D("5.00"), [])
    with pytest.raises(MoneyError, match=r"^weights\[1\]: must not be negative"):
        apportion(D("5.00"), [D(1), D(-1)])
    with pytest.raises(MoneyError, match=r"^weights\[0\]: must be a Decimal"):
        apportion(D("5.00"), [1.5])  # type: ignore[list-item]
    with pytest.raises(MoneyError, match=r"^weights\[0\]: must be a finite number"):
        apportion(D("5.00"), [D("NaN")])
    with pytest.raises(MoneyError, match=r"^total: at most 2 decimal places for AUD"):
        apportion(D("5.001"), [D(1)])
    with pytest.raises(MoneyError, match=r"^total: must be a Decimal"):
        apportion(5.0, [D(1)])  # type: ignore[arg-type]


def test_apportion_negative_total_mirrors_positive() -> None:
    assert apportion(D("-0.10"), [D(1), D(1), D(1)]) == [D("-0.04"), D("-0.03"), D("-0.03")]


def test_apportion_jpy() -> None:
    assert apportion(D("100"), [D(1), D(1), D(1)], "JPY") == [D("34"), D("33"), D("33")]
    with pytest.raises(MoneyError):
        apportion(D("100.5"), [D(1)], "JPY")


_weights = st.lists(
    st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=30,
)


@settings(max_examples=300)
@given(cents=st.integers(min_value=-(10**12), max_value=10**12), weights=_weights)
def test_apportion_sums_exactly_and_is_proportional(cents: int, weights: list[Decimal]) -> None:
    """Parts add up exactly to the total; each is within one cent of its exact share; zero
    weights get zero; the result is deterministic."""
    total = D(cents).scaleb(-2)
    weight_sum = sum(weights, D(0))
    if weight_sum == 0 and cents != 0:
        with pytest.raises(MoneyError):
            apportion(total, weights)
        return
    parts = apportion(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts, D(0)) == total
    assert all(p.as_tuple().exponent == -2 for p in parts)
    for part, weight in zip(parts, weights, strict=True):
        if weight == 0:
            assert part == 0
        else:
            exact = Fraction(total) * Fraction(weight) / Fraction(weight_sum)
            assert abs(Fraction(part) - exact) < Fraction(1, 100)
    assert apportion(total, weights) == parts


@given(cents=st.integers(min_value=0, max_value=10**9), weights=_weights)
def test_apportion_parts_have_the_sign_of_the_total(cents: int, weights: list[Decimal]) -> None:
    total = D(cents).scaleb(-2)
    if sum(weights) == 0 and cents:
        return
    assert all(p >= 0 for p in apportion(total, weights))
    assert apportion(-total, weights) == [-p if p else p for p in apportion(total, weights)]
