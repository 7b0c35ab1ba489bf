"""Money as :class:`~decimal.Decimal`, never float (SPEC §3.5, §3.6, §4).

- :func:`parse_amount` turns user or wire input into a Decimal with the currency's minor
  units, refusing anything over-precise, negative, zero (unless allowed), absurd or not a
  number, with a :class:`MoneyError` whose message starts with the field name.
- :func:`quantize`, :func:`to_wire` and :func:`format_money` round (half up) and render.
- :func:`apportion` splits an amount across weights by largest remainder so the parts add
  up exactly (§3.6: "cents are apportioned so the parts add up exactly").
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from fractions import Fraction

__all__ = [
    "CURRENCY_SYMBOLS",
    "DEFAULT_CURRENCY",
    "MAX_AMOUNT",
    "MINOR_UNITS",
    "MoneyError",
    "apportion",
    "format_money",
    "minor_units",
    "parse_amount",
    "quantize",
    "to_wire",
]

MINOR_UNITS: dict[str, int] = {"AUD": 2, "USD": 2, "EUR": 2, "NZD": 2, "GBP": 2, "JPY": 0}
DEFAULT_CURRENCY = "AUD"
CURRENCY_SYMBOLS: dict[str, str] = {
    "AUD": "$",
    "USD": "$",
    "NZD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
}
MAX_AMOUNT = Decimal("1000000000000")
"""Anything larger than this (one trillion) is refused as absurd."""

# Plain decimal notation only: no exponents, NaN, Infinity, underscores or thousands separators.
_AMOUNT_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_MAX_TEXT_LENGTH = 64
# Wide enough that no operation on an amount up to MAX_AMOUNT ever rounds or overflows.
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)


class MoneyError(ValueError):
    """A bad amount, weight or currency; the message starts with the field name."""


def minor_units(currency: str) -> int:
    """The number of decimal places of ``currency`` (2 for AUD, 0 for JPY)."""
    try:
        return MINOR_UNITS[currency]
    except (KeyError, TypeError):
        known = ", ".join(MINOR_UNITS)
        raise MoneyError(f"currency: unknown currency {currency!r} (known: {known})") from None


def _exponent(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def _round(value: Decimal, currency: str, field: str) -> Decimal:
    """``value`` rounded half up to the minor units of ``currency``."""
    try:
        return value.quantize(_exponent(currency), context=_CONTEXT)
    except InvalidOperation:  # more digits than the context holds: far beyond MAX_AMOUNT
        raise MoneyError(f"{field}: is too large") from None


def _places_word(places: int) -> str:
    if places == 0:
        return "no decimal places allowed"
    return f"at most {places} decimal place{'s' if places != 1 else ''}"


def _to_decimal(value: object, field: str) -> Decimal:
    """Any accepted input as an exact Decimal (not yet range- or precision-checked)."""
    if value is None:
        raise MoneyError(f"{field}: is required")
    if isinstance(value, bool):
        raise MoneyError(f"{field}: must be a number, not {'true' if value else 'false'}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError(f"{field}: must be a finite number, not {value}")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MoneyError(f"{field}: must be a finite number, not {value!r}")
        # repr is the shortest text that round-trips, so 20.5 -> "20.5" but
        # 0.1 + 0.2 -> "0.30000000000000004", which the precision check then refuses.
        return Decimal(repr(value))
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise MoneyError(f"{field}: is required")
        if len(text) > _MAX_TEXT_LENGTH or _AMOUNT_RE.fullmatch(text) is None:
            shown = text if len(text) <= 30 else text[:27] + "..."
            raise MoneyError(
                f"{field}: not a number: {shown!r} (use digits with an optional decimal point, "
                "e.g. 20.00)"
            )
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex admits only valid text
            raise MoneyError(f"{field}: not a number: {text!r}") from None
    raise MoneyError(f"{field}: must be a number or a decimal string, not {type(value).__name__}")


def parse_amount(
    value: object,
    *,
    currency: str = DEFAULT_CURRENCY,
    field: str = "amount",
    allow_zero: bool = False,
) -> Decimal:
    """Parse an amount of ``currency`` strictly; return it quantized to the minor units.

    Accepts a Decimal, an int, a decimal string (``"20"``, ``"20.5"``, ``"20.00"``) or a float
    whose shortest ``repr`` has no more places than the currency allows (JSON numbers arrive
    as floats). Trailing zeros beyond the minor units are harmless (``"20.500"`` is 20.50).

    Raises :class:`MoneyError` for bool, NaN, Infinity, negative, zero (unless ``allow_zero``),
    over-precise, larger than :data:`MAX_AMOUNT`, or non-numeric input.
    """
    places = minor_units(currency)
    amount = _to_decimal(value, field)
    if amount < 0 and not amount.is_zero():
        raise MoneyError(f"{field}: must not be negative (got {value})")
    if amount > MAX_AMOUNT:
        raise MoneyError(f"{field}: is too large (at most {format_money(MAX_AMOUNT, currency)})")
    quantized = _round(amount, currency, field)
    if quantized != amount:
        raise MoneyError(f"{field}: {_places_word(places)} for {currency}")
    if quantized.is_zero():
        if not allow_zero:
            raise MoneyError(f"{field}: must be greater than zero")
        return quantized.copy_abs()  # never "-0.00"
    return quantized


def quantize(d: Decimal | int, currency: str = DEFAULT_CURRENCY) -> Decimal:
    """Round ``d`` to the currency's minor units, half up (away from zero on a tie)."""
    if isinstance(d, bool) or not isinstance(d, Decimal | int):
        raise MoneyError(f"amount: must be a Decimal, not {type(d).__name__}")
    value = Decimal(d)
    if not value.is_finite():
        raise MoneyError(f"amount: must be a finite number, not {value}")
    result = _round(value, currency, "amount")
    return result.copy_abs() if result.is_zero() else result


def to_wire(d: Decimal | int, currency: str = DEFAULT_CURRENCY) -> str:
    """The amount as plain decimal text for JSON and the database, e.g. ``"20.00"``."""
    return format(quantize(d, currency), "f")


def format_money(d: Decimal | int, currency: str = DEFAULT_CURRENCY) -> str:
    """The amount for people: ``$1,234.50``, ``-$5.00``, ``€3.00``, ``¥1,235``."""
    value = quantize(d, currency)
    places = minor_units(currency)
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{format(value.copy_abs(), f',.{places}f')}"


def apportion(
    total: Decimal | int,
    weights: Sequence[Decimal | int],
    currency: str = DEFAULT_CURRENCY,
) -> list[Decimal]:
    """Split ``total`` across ``weights`` in proportion, in whole minor units.

    Largest-remainder method: every part first gets the floor of its exact share, then the
    leftover units go one each to the parts with the largest remainders; ties go to the
    larger weight, then the lower index, so the result is deterministic. The parts always
    sum exactly to ``total``, each is within one minor unit of its exact share, and a zero
    weight always gets zero. A negative total is split like its absolute value, negated.

    Raises :class:`MoneyError` if ``total`` has more places than the currency allows, a weight
    is negative or not a number, or a non-zero total has no positive weight to go to.
    """
    places = minor_units(currency)
    if isinstance(total, bool) or not isinstance(total, Decimal | int):
        raise MoneyError(f"total: must be a Decimal, not {type(total).__name__}")
    total_d = Decimal(total)
    if not total_d.is_finite():
        raise MoneyError(f"total: must be a finite number, not {total_d}")
    if _round(total_d, currency, "total") != total_d:
        raise MoneyError(f"total: {_places_word(places)} for {currency}")

    exact_weights: list[Fraction] = []
    for index, weight in enumerate(weights):
        if isinstance(weight, bool) or not isinstance(weight, Decimal | int):
            raise MoneyError(f"weights[{index}]: must be a Decimal, not {type(weight).__name__}")
        if isinstance(weight, Decimal) and not weight.is_finite():
            raise MoneyError(f"weights[{index}]: must be a finite number, not {weight}")
        if weight < 0:
            raise MoneyError(f"weights[{index}]: must not be negative (got {weight})")
        exact_weights.append(Fraction(weight))

    zero = Decimal(0).quantize(_exponent(currency))
    if total_d.is_zero():
        return [zero for _ in exact_weights]
    weight_sum = sum(exact_weights, Fraction(0))
    if weight_sum == 0:
        raise MoneyError(
            f"weights: cannot apportion {format_money(total_d, currency)} when every weight is zero"
        )

    negative = total_d < 0
    units = int(total_d.copy_abs().scaleb(places))  # exact: total_d has at most `places`
    shares = [units * w / weight_sum for w in exact_weights]
    parts = [math.floor(share) for share in shares]
    leftover = units - sum(parts)
    # Sum of remainders == leftover and each is < 1, so at least leftover + 1 of them are
    # positive when leftover > 0: zero weights (remainder 0) never receive a unit.
    order = sorted(
        range(len(shares)),
        key=lambda i: (-(shares[i] - parts[i]), -exact_weights[i], i),
    )
    for i in order[:leftover]:
        parts[i] += 1

    exponent = _exponent(currency)
    result = []
    for part in parts:
        amount = Decimal(-part if negative else part).scaleb(-places).quantize(exponent)
        result.append(amount.copy_abs() if amount.is_zero() else amount)
    return result
