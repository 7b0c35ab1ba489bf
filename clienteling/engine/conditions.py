"""JsonLogic conditions (SPEC rule C4): a compiled evaluator that behaves like json-logic-js.

Benefit and reward definitions carry ``visibility_condition`` and ``claim_condition`` as
JsonLogic rules (jsonlogic.com). ``None`` means "always true". Rules are checked when a
definition is saved (:func:`validate`) and evaluated against a profile's condition data
whenever claimables are listed (:func:`check`), so evaluation sits on a hot path.

Why our own evaluator rather than a package from PyPI:

- ``json-logic`` 0.6.3 (the PyPI package of that name) is broken on Python 3: every rule
  fails with ``TypeError: 'dict_keys' object is not subscriptable`` (it does
  ``tests.keys()[0]``), it uses ``reduce`` without importing it, and it has no ``map``,
  ``filter``, ``reduce``, ``all``, ``none``, ``some``, ``merge``, ``missing`` or ``substr``.
- ``panzi-json-logic`` 1.0.1 works, but evaluates ``{"===": [true, 1]}`` as true (Python's
  ``True == 1``; json-logic-js says false), fails the suite's ``reduce`` whose initial value
  is a rule, and interprets the rule tree anew on every call.
- This module compiles a rule once into a tree of closures specialised at compile time (a
  ``var`` with a constant simple path becomes a direct ``dict.get``, an ``in`` against a
  constant list of strings becomes a frozenset probe, comparisons against constants get
  type-checked fast paths, constant sub-expressions are folded), follows json-logic-js
  2.0.5's semantics including JavaScript's loose equality, number and string conversions,
  and passes all 278 cases of the official shared test suite
  (``shared/reference/jsonlogic-tests.json``). It was also checked against json-logic-js
  2.0.5 itself on some 150,000 randomly generated rules.

Measured (first with the former ``bench/bench_conditions.py``, now part of ``clienteling bench``,
keys ``condition_evals_per_s`` and ``panzi_evals_per_s``) on the 2-core test machine (one core,
pre-compiled, against a 10-key profile dict): the typical claim condition
``{"and":[{"===":["female",{"var":"gender"}]},{"in":[{"var":"tier"},["gold","platinum"]]}]}``
takes 0.20 µs (about 5 million evaluations per second; SPEC §8 asks for 200,000), against
3.8 µs for panzi-json-logic (about 19x slower); over five typical conditions ours takes
0.09-0.68 µs and panzi-json-logic 1.6-4.3 µs. ``evaluate(rule, data)`` without a compiled
rule in hand costs about 4 µs, most of it making the cache key. Suite: ours 278/278,
panzi-json-logic 277/278.

Deliberate differences from json-logic-js: no ``method`` operator and no custom operators
(nothing in a rule can reach Python attributes or JavaScript prototype properties such as
``"abc".at``; only ``length`` of arrays and strings is read, as data); ``log`` returns its
argument without printing; ``and``, ``or`` and ``log`` with no arguments, ``map``,
``filter``, ``reduce``, ``all``, ``none``, ``some`` and ``missing_some`` with fewer than two,
and ``*`` or ``substr`` with none are rejected as wrong shapes, as is a ``var`` path that is a
literal boolean, array or object; ``missing`` does not re-evaluate keys taken from the data
as rules; strings compare by code point rather than UTF-16 code unit; negative zero is zero.

Faithful JavaScript behaviours worth knowing: ``cat`` turns ``null`` into ``""`` (as
``Array.prototype.join`` does), ``true`` into ``"true"`` and ``1.0`` into ``"1"``;
``{"*": ["1"]}`` is ``"1"`` (a single-argument ``reduce`` returns its argument); ``+`` uses
``parseFloat`` (``"12abc"`` is 12) while ``-``, ``/``, ``%`` and comparisons use ``Number()``
(``""`` is 0, ``"12abc"`` is NaN); ``all`` of an empty array is false; operators evaluate
all their arguments, even ones they ignore.

Cost bound (issue 9: an admin could save an 18 KB rule that took seconds per claimable
list). A rule is refused as invalid, when saved and when compiled, if it has more than
``MAX_NODES`` values, an array of more than ``MAX_ARRAY`` items, values nested more than
``MAX_DEPTH`` deep or more than ``MAX_TEXT`` characters of JSON. Without the iterating
operators (``map``, ``filter``, ``reduce``, ``all``, ``none``, ``some``) each node runs once
per evaluation, so that bounds the work; a rule with them is evaluated within a budget of
``STEP_BUDGET`` steps, spent by each iteration (weighted by the size of its rule) and by work
that grows with the values built (``in`` over an array, ``merge``, ``cat``, printing an array,
``missing``). Past it evaluation stops with :class:`BudgetExceeded`, which :func:`predicate`
and :func:`check` count as false and log. Typical claim conditions have no iterating operator
and pay nothing for this. Numbers past 2**53 become doubles as in JavaScript, so repeated
multiplication overflows to Infinity instead of growing a Python integer without end.

Public API: :class:`InvalidRule`, :class:`BudgetExceeded`, :func:`compile_rule`,
:func:`evaluate`, :func:`validate`, :func:`normalise`, :func:`predicate`, :func:`check`,
:func:`truthy`, and the budget constants.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

__all__ = [
    "MAX_ARRAY",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_TEXT",
    "STEP_BUDGET",
    "BudgetExceeded",
    "InvalidRule",
    "check",
    "compile_rule",
    "evaluate",
    "normalise",
    "predicate",
    "truthy",
    "validate",
]

logger = logging.getLogger(__name__)

Evaluator = Callable[[Any], Any]

_CACHE_SIZE: Final = 4096
_INF: Final = math.inf
_NAN: Final = math.nan
_MAX_SAFE: Final = 2**53

# The static budget (checked before compiling). Generous for conditions people write: a
# claim condition is typically 5-20 values; a list of 1,000 postcodes or store codes fits.
MAX_NODES: Final = 2_000
MAX_ARRAY: Final = 1_000
MAX_DEPTH: Final = 32
MAX_TEXT: Final = 64 * 1024
# Steps one evaluation of a rule with an iterating operator may take: a loop over 100 items
# of a 50-value rule is 5,000. A step is roughly one node's work, a fraction of a µs, so a
# rule at the limit costs a few ms per profile instead of seconds.
STEP_BUDGET: Final = 10_000
_LOOP_OPS: Final = frozenset({"map", "filter", "reduce", "all", "none", "some"})


class InvalidRule(ValueError):
    """A JsonLogic rule that cannot be evaluated: unknown operator or wrong shape.

    The message names the problem and where it is, e.g. ``unknown operator 'foo' at and[1]``.
    """

    def __init__(self, problem: str, where: str = "") -> None:
        self.problem = problem
        self.where = where
        super().__init__(f"{problem} at {where or 'the top level'}")


class _Undefined:
    """JavaScript's ``undefined``: an argument an operator was not given."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False


class BudgetExceeded(RuntimeError):
    """An evaluation took more than :data:`STEP_BUDGET` steps; the rule counts as false."""


class _Steps(threading.local):
    """What is left of the step budget of the evaluation running in this thread.

    Outside a budgeted evaluation it is effectively unlimited, so the helpers that spend
    steps can be shared by every rule (and by constant folding at compile time) while only
    rules with an iterating operator pay for arming it.
    """

    left: int = 2**62


_UNLIMITED: Final = _Steps.left
_steps: Final = _Steps()


def _spend(n: int) -> None:
    left = _steps.left - n
    _steps.left = left
    if left < 0:
        raise BudgetExceeded(f"evaluation took more than {STEP_BUDGET} steps")


def _budgeted(fn: Evaluator) -> Evaluator:
    """``fn`` with a fresh step budget for each evaluation."""

    def within_budget(d: Any) -> Any:
        _steps.left = STEP_BUDGET
        try:
            return fn(d)
        finally:
            _steps.left = _UNLIMITED

    return within_budget


_UNDEF: Final = _Undefined()
_MISSING: Final = object()  # a key that is absent, inside lookups
_NOT_CONST: Final = object()  # a compiled node whose value depends on the data


# ---------------------------------------------------------------------------------------------
# JavaScript value semantics
# ---------------------------------------------------------------------------------------------

_K_UNDEF, _K_NULL, _K_BOOL, _K_NUM, _K_STR, _K_OBJ = range(6)

_JS_WS: Final = (
    " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_DECIMAL_RE: Final = re.compile(
    r"[+-]?(?:[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)\Z"
)
_RADIX_RE: Final = re.compile(r"0(?:([xX])[0-9a-fA-F]+|([oO])[0-7]+|([bB])[01]+)\Z")
_PARSE_FLOAT_RE: Final = re.compile(
    r"[+-]?(?:Infinity|[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)"
)


def _kind(v: Any) -> int:
    if v is None:
        return _K_NULL
    if v is _UNDEF:
        return _K_UNDEF
    if isinstance(v, bool):
        return _K_BOOL
    if isinstance(v, (int, float)):
        return _K_NUM
    if isinstance(v, str):
        return _K_STR
    return _K_OBJ


def _intify(x: float) -> int | float:
    """An integral float within JavaScript's safe range becomes an int (``2.0`` -> ``2``)."""
    if x.is_integer() and -_MAX_SAFE <= x <= _MAX_SAFE:
        return int(x)
    return x


def _num_str(x: int | float) -> str:
    """JavaScript's Number::toString."""
    if isinstance(x, int) and -(10**21) < x < 10**21:
        return str(int(x))
    x = float(x)
    if x != x:
        return "NaN"
    if x in (_INF, -_INF):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    mantissa, _, exp_text = repr(abs(x)).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    digits = (int_part + frac_part).lstrip("0")
    exponent = int(exp_text or 0) + len(int_part) - (len(int_part + frac_part) - len(digits))
    digits = digits.rstrip("0")
    k, n = len(digits), exponent  # value = 0.digits * 10**n
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        e_text = f"e+{e}" if e >= 0 else f"e-{-e}"
        body = (digits if k == 1 else f"{digits[0]}.{digits[1:]}") + e_text
    return sign + body


def _js_str(v: Any) -> str:
    """JavaScript's ``String(v)``."""
    if isinstance(v, str):
        return v
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is _UNDEF:
        return "undefined"
    if isinstance(v, (int, float)):
        return _num_str(v)
    if isinstance(v, (list, tuple)):
        _spend(len(v) + 1)  # nested arrays that share parts can print exponentially long
        return ",".join("" if (e is None or e is _UNDEF) else _js_str(e) for e in v)
    if isinstance(v, Mapping):
        return "[object Object]"
    return str(v)


def _to_primitive(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return _js_str(v)
    if isinstance(v, Mapping):
        return "[object Object]"
    return v


def _str_to_number(s: str) -> int | float:
    t = s.strip(_JS_WS)
    if not t:
        return 0
    if _DECIMAL_RE.match(t):
        return _intify(float(t))
    if t in ("Infinity", "+Infinity"):
        return _INF
    if t == "-Infinity":
        return -_INF
    m = _RADIX_RE.match(t)
    if m:
        base = 16 if m.group(1) else 8 if m.group(2) else 2
        return int(t[2:], base)
    return _NAN


def _to_number(v: Any) -> int | float:
    """JavaScript's ``Number(v)``."""
    cls = v.__class__
    if cls is int or cls is float:
        return v  # type: ignore[no-any-return]
    if v is None:
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    if isinstance(v, str):
        return _str_to_number(v)
    if isinstance(v, (list, tuple)):
        return _str_to_number(_js_str(v))
    return _NAN  # undefined, objects, anything else


def _parse_float(v: Any) -> int | float:
    """JavaScript's ``parseFloat(v)``: the longest numeric prefix of ``String(v)``."""
    cls = v.__class__
    if cls is int or cls is float:
        return v  # type: ignore[no-any-return]
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    m = _PARSE_FLOAT_RE.match(_js_str(v).lstrip(_JS_WS))
    if m is None:
        return _NAN
    text = m.group()
    if text.endswith("Infinity"):
        return -_INF if text.startswith("-") else _INF
    return _intify(float(text))


def _to_integer(v: Any) -> float:
    """JavaScript's ToIntegerOrInfinity."""
    n = _to_number(v)
    if n != n:
        return 0
    if n in (_INF, -_INF):
        return float(n)
    return float(math.trunc(n))


def truthy(value: Any) -> bool:
    """JsonLogic truthiness: JavaScript's, except that an empty array is false.

    ``[]``, ``0``, ``NaN``, ``""``, ``null`` and ``false`` are false; ``"0"`` and ``{}`` true.
    """
    cls = value.__class__
    if cls is bool:
        return value  # type: ignore[no-any-return]
    if cls is float:
        return value == value and value != 0.0  # type: ignore[no-any-return]
    if cls is dict or isinstance(value, Mapping):
        return True
    if isinstance(value, float):
        return value == value and value != 0.0
    return bool(value)


def _strict_eq(a: Any, b: Any) -> bool:
    """JavaScript's ``a === b`` (``true !== 1``; arrays and objects by identity)."""
    ca = a.__class__
    if ca is b.__class__ and (ca is str or ca is int or ca is bool or ca is float):
        return a == b  # type: ignore[no-any-return]
    ka = _kind(a)
    if ka != _kind(b):
        return False
    if ka == _K_OBJ:
        return a is b
    if ka <= _K_NULL:
        return True
    return a == b  # type: ignore[no-any-return]


def _loose_eq(a: Any, b: Any) -> bool:
    """JavaScript's ``a == b`` (IsLooselyEqual)."""
    ka, kb = _kind(a), _kind(b)
    if ka == kb:
        return _strict_eq(a, b)
    if ka <= _K_NULL or kb <= _K_NULL:
        return ka <= _K_NULL and kb <= _K_NULL
    if ka == _K_BOOL:
        return _loose_eq(int(a), b)
    if kb == _K_BOOL:
        return _loose_eq(a, int(b))
    if ka == _K_NUM and kb == _K_STR:
        return a == _str_to_number(b)  # type: ignore[no-any-return]
    if ka == _K_STR and kb == _K_NUM:
        return _str_to_number(a) == b  # type: ignore[no-any-return]
    if ka == _K_OBJ:
        return _loose_eq(_to_primitive(a), b)
    if kb == _K_OBJ:
        return _loose_eq(a, _to_primitive(b))
    return False


def _lt(a: Any, b: Any) -> bool:
    """JavaScript's ``a < b``."""
    ca, cb = a.__class__, b.__class__
    if (ca is int or ca is float) and (cb is int or cb is float):
        return a < b  # type: ignore[no-any-return]
    a, b = _to_primitive(a), _to_primitive(b)
    if isinstance(a, str) and isinstance(b, str):
        return a < b
    return _to_number(a) < _to_number(b)


def _le(a: Any, b: Any) -> bool:
    """JavaScript's ``a <= b`` (false when either side is NaN)."""
    ca, cb = a.__class__, b.__class__
    if (ca is int or ca is float) and (cb is int or cb is float):
        return a <= b  # type: ignore[no-any-return]
    a, b = _to_primitive(a), _to_primitive(b)
    if isinstance(a, str) and isinstance(b, str):
        return a <= b
    return _to_number(a) <= _to_number(b)


def _js_plus(a: Any, b: Any) -> Any:
    """JavaScript's binary ``+``: concatenation when either side is a string."""
    a, b = _to_primitive(a), _to_primitive(b)
    if isinstance(a, str) or isinstance(b, str):
        return _js_str(a) + _js_str(b)
    return _arith(_to_number(a) + _to_number(b))


def _arith(x: int | float) -> int | float:
    if x.__class__ is float:
        return _intify(x)
    if -_MAX_SAFE <= x <= _MAX_SAFE:
        return x
    # Past 2**53 JavaScript has only doubles; a Python int would grow without bound.
    try:
        return float(x)
    except OverflowError:
        return _INF if x > 0 else -_INF


def _div(a: Any, b: Any) -> int | float:
    x, y = _to_number(a), _to_number(b)
    if y == 0:
        if x != x or x == 0 or y != y:
            return _NAN
        return math.copysign(_INF, x) * math.copysign(1.0, y)
    return _arith(x / y)


def _mod(a: Any, b: Any) -> int | float:
    x, y = _to_number(a), _to_number(b)
    if x.__class__ is int and y.__class__ is int:
        if y == 0:
            return _NAN
        r = abs(x) % abs(y)
        return -r if x < 0 else r
    x, y = float(x), float(y)
    if y == 0 or x != x or y != y or x in (_INF, -_INF):
        return _NAN
    if y in (_INF, -_INF):
        return _arith(x)
    return _arith(math.fmod(x, y))


def _sub(a: Any, b: Any) -> int | float:
    return _arith(_to_number(a) - _to_number(b))


def _neg(a: Any) -> int | float:
    return _arith(-_to_number(a))


def _plus(values: list[Any]) -> int | float:
    total: int | float = 0
    for v in values:
        total = total + _parse_float(v)
    return _arith(total)


def _times(values: list[Any]) -> Any:
    if len(values) == 1:
        return values[0]  # Array.prototype.reduce without an initial value
    acc: Any = values[0]
    for v in values[1:]:
        acc = _parse_float(acc) * _parse_float(v)
    return _arith(acc)


def _max(values: list[Any]) -> int | float:
    nums = [_to_number(v) for v in values]
    if not nums:
        return -_INF
    if any(n != n for n in nums):
        return _NAN
    return max(nums)


def _min(values: list[Any]) -> int | float:
    nums = [_to_number(v) for v in values]
    if not nums:
        return _INF
    if any(n != n for n in nums):
        return _NAN
    return min(nums)


def _cat(values: list[Any]) -> str:
    text = "".join(
        v if v.__class__ is str else "" if (v is None or v is _UNDEF) else _js_str(v) for v in values
    )
    _spend(len(text) >> 6)  # a reduce can double a string each step
    return text


def _js_substr(s: str, start: Any, length: Any) -> str:
    """JavaScript's ``String.prototype.substr``."""
    size = len(s)
    first = _to_integer(start)
    if first == -_INF:
        first = 0
    elif first < 0:
        first = max(size + first, 0)
    else:
        first = min(first, size)
    count = size if length is _UNDEF else min(max(_to_integer(length), 0), size)
    end = min(first + count, size)
    return s[int(first) : int(end)] if end > first else ""


def _substr(source: Any, start: Any, length: Any) -> str:
    s = _js_str(source)
    if _lt(length, 0):
        temp = _js_substr(s, start, _UNDEF)
        return _js_substr(temp, 0, _js_plus(len(temp), length))
    return _js_substr(s, start, length)


def _js_in(a: Any, b: Any) -> bool:
    if isinstance(b, str):
        return b != "" and _js_str(a) in b
    if isinstance(b, (list, tuple)):
        _spend(len(b))
        return any(_strict_eq(a, e) for e in b)
    return False


def _merge(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, (list, tuple)):
            out.extend(v)
        else:
            out.append(v)
    _spend(len(out))  # a reduce can double an array each step
    return out


def _step(data: Any, prop: str) -> Any:
    """``data[prop]`` as JavaScript would read it from JSON data; ``_MISSING`` if undefined."""
    if isinstance(data, Mapping):
        return data.get(prop, _MISSING)
    if isinstance(data, (list, tuple, str)):
        if prop.isdigit() and prop.isascii() and (prop == "0" or prop[0] != "0"):
            i = int(prop)
            return data[i] if i < len(data) else _MISSING
        if prop == "length":
            return len(data)
    return _MISSING


def _lookup(data: Any, parts: list[str], default: Any) -> Any:
    for prop in parts:
        if data is None or data is _UNDEF:
            return default
        data = data.get(prop, _MISSING) if data.__class__ is dict else _step(data, prop)
        if data is _MISSING:
            return default
    return data


def _var(data: Any, path: Any, default: Any) -> Any:
    """The ``var`` operator with evaluated arguments."""
    if default is _UNDEF:
        default = None
    if path is None or path is _UNDEF or (isinstance(path, str) and path == ""):
        return data
    return _lookup(data, _js_str(path).split("."), default)


def _missing(data: Any, values: Sequence[Any]) -> list[Any]:
    keys = values[0] if values and isinstance(values[0], (list, tuple)) else values
    _spend(len(keys))
    out = []
    for key in keys:
        if isinstance(key, (list, tuple)):  # {"var": [path, default]}
            value = _var(data, key[0] if key else _UNDEF, key[1] if len(key) > 1 else None)
        else:
            value = _var(data, key, None)
        if value is None or (isinstance(value, str) and value == ""):
            out.append(key)
    return out


def _missing_some(data: Any, need: Any, options: Any) -> list[Any]:
    if options is None or options is _UNDEF:
        raise TypeError("'missing_some' needs an array of keys, got null")  # as JavaScript
    are_missing = _missing(data, options if isinstance(options, (list, tuple)) else [options])
    size = len(options) if isinstance(options, (list, tuple, str)) else _NAN
    if _le(need, size - len(are_missing)):
        return []
    return are_missing


# ---------------------------------------------------------------------------------------------
# Compiler
# ---------------------------------------------------------------------------------------------


def _size(rule: Any) -> int:
    """How many values ``rule`` has (a constant array or object is copied per run)."""
    n, stack = 0, [rule]
    while stack:
        value = stack.pop()
        n += 1
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
    return n


class _Node:
    """A compiled sub-rule: its evaluator, its value when constant, whether it yields a bool,
    and the steps one run of it costs (without the iterations it charges for itself)."""

    __slots__ = ("boolean", "const", "cost", "fn")

    def __init__(self, fn: Evaluator, const: Any = _NOT_CONST, boolean: bool = False,
                 cost: int | None = None) -> None:
        self.fn = fn
        self.const = const
        self.boolean = boolean
        self.cost = cost

    @property
    def is_const(self) -> bool:
        return self.const is not _NOT_CONST


def _const_node(value: Any) -> _Node:
    if isinstance(value, (list, dict)):
        # Fresh copies per evaluation, as JavaScript builds a new literal each time; the
        # compile-time value stays private to the compiled tree.
        def fn(_d: Any, _v: Any = value, _copy: Callable[[Any], Any] = copy.deepcopy) -> Any:
            return _copy(_v)

        return _Node(fn, value, cost=_size(value))

    def const_fn(_d: Any, _v: Any = value) -> Any:
        return _v

    return _Node(const_fn, value, isinstance(value, bool), cost=1)


_BOOLEAN_OPS: Final = frozenset(
    {"==", "===", "!=", "!==", ">", ">=", "<", "<=", "!", "!!", "in", "all", "none", "some"}
)
_DATA_OPS: Final = frozenset({"var", "missing", "missing_some"})
# operator -> (least number of arguments, what they are)
_MIN_ARGS: Final[dict[str, tuple[int, str]]] = {
    "map": (2, "an array and a rule"),
    "filter": (2, "an array and a rule"),
    "all": (2, "an array and a rule"),
    "none": (2, "an array and a rule"),
    "some": (2, "an array and a rule"),
    "reduce": (2, "an array, a rule and an optional initial value"),
    "missing_some": (2, "a count and an array of keys"),
    "*": (1, "one or more numbers"),
    "and": (1, "one or more values"),
    "or": (1, "one or more values"),
    "log": (1, "a value"),
    "substr": (1, "a string, a start and an optional length"),
}


def _arg_where(where: str, op: str, i: int) -> str:
    return f"{where}.{op}[{i}]" if where else f"{op}[{i}]"


def _compile(rule: Any, where: str) -> _Node:
    if isinstance(rule, list):
        nodes = [_compile(item, f"{where}[{i}]") for i, item in enumerate(rule)]
        if all(n.is_const for n in nodes):
            return _const_node([n.const for n in nodes])
        fns = tuple(n.fn for n in nodes)

        def array_fn(d: Any) -> list[Any]:
            return [f(d) for f in fns]

        return _Node(array_fn, cost=1 + sum(_cost(n) for n in nodes))
    if isinstance(rule, dict):
        if len(rule) != 1:
            return _const_node(rule)  # not logic: data, returned as is
        ((op, raw),) = rule.items()
        return _compile_op(op, raw, where)
    if rule is None or isinstance(rule, (bool, int, float, str)):
        return _const_node(rule)
    raise InvalidRule(f"unsupported value of type {type(rule).__name__}", where)


def _compile_op(op: str, raw: Any, where: str) -> _Node:
    builder = _BUILDERS.get(op)
    if builder is None:
        if op == "method":
            raise InvalidRule("operator 'method' is not supported", where)
        raise InvalidRule(f"unknown operator {op!r}", where)
    raw_args = raw if isinstance(raw, list) else [raw]
    least = _MIN_ARGS.get(op)
    if least is not None and len(raw_args) < least[0]:
        noun = "argument" if least[0] == 1 else "arguments"
        raise InvalidRule(f"{op!r} needs at least {least[0]} {noun} ({least[1]}), got {len(raw_args)}", where)
    nodes = [_compile(arg, _arg_where(where, op, i)) for i, arg in enumerate(raw_args)]
    node = builder(nodes, raw_args, where)
    used = _EAGER_ARITY.get(op)
    if used is not None and len(nodes) > used:
        node = _with_extra_args(node, nodes[used:])
    if node.cost is None:
        node.cost = 1 + sum(_cost(n) for n in nodes)
    if op not in _DATA_OPS and not node.is_const and all(n.is_const for n in nodes):
        try:
            value = node.fn(None)
        except Exception:  # leave it to evaluation time, where it is caught and logged
            return node
        return _const_node(value)
    return node


Builder = Callable[[list[_Node], list[Any], str], _Node]

# Operators that take a fixed number of arguments but, like json-logic-js, still evaluate any
# extra ones (which can only matter when evaluating them fails).
_EAGER_ARITY: Final[dict[str, int]] = {
    "var": 2,
    "missing_some": 2,
    "!": 1,
    "!!": 1,
    "log": 1,
    "==": 2,
    "!=": 2,
    "===": 2,
    "!==": 2,
    ">": 2,
    ">=": 2,
    "<": 3,
    "<=": 3,
    "in": 2,
    "-": 2,
    "/": 2,
    "%": 2,
    "substr": 3,
}


def _with_extra_args(node: _Node, extra: list[_Node]) -> _Node:
    extra_fns = tuple(n.fn for n in extra if not n.is_const)
    if not extra_fns:
        return node
    inner = node.fn

    def evaluate_extra_too(d: Any) -> Any:
        result = inner(d)
        for f in extra_fns:
            f(d)
        return result

    return _Node(evaluate_extra_too, boolean=node.boolean)


def _cost(node: _Node) -> int:
    return 1 if node.cost is None else node.cost


def _arg(nodes: list[_Node], i: int) -> _Node:
    return nodes[i] if i < len(nodes) else _const_node(_UNDEF)


def _fns(nodes: list[_Node]) -> tuple[Evaluator, ...]:
    return tuple(n.fn for n in nodes)


# --- data access ------------------------------------------------------------------------------


def _build_var(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    if not nodes:
        return _Node(lambda d: d)
    path_node = nodes[0]
    default_node = _arg(nodes, 1)
    if not path_node.is_const:
        path_fn, default_fn = path_node.fn, default_node.fn

        def dynamic_var(d: Any) -> Any:
            return _var(d, path_fn(d), default_fn(d))

        return _Node(dynamic_var)

    path = path_node.const
    if isinstance(path, (bool, list, dict)):
        kind = {bool: "a boolean", list: "an array", dict: "an object"}[type(path)]
        raise InvalidRule(f"'var' path must be a string or a number, not {kind}", where)
    if path is None or path == "":
        if default_node.is_const:
            return _Node(lambda d: d)
        unused_default = default_node.fn

        def whole_data(d: Any) -> Any:
            unused_default(d)  # evaluated all the same, as json-logic-js does
            return d

        return _Node(whole_data)
    parts = _js_str(path).split(".")

    if default_node.is_const:
        default = None if default_node.const is _UNDEF else default_node.const
        if isinstance(default, (list, dict)):
            default_fn = default_node.fn

            def var_mutable_default(d: Any) -> Any:
                value = _lookup(d, parts, _MISSING)
                return default_fn(d) if value is _MISSING else value

            return _Node(var_mutable_default)
        if len(parts) == 1:
            key = parts[0]
            if default is None:

                def var_key(d: Any) -> Any:
                    if d.__class__ is dict:
                        return d.get(key)
                    return _lookup(d, parts, None)

                return _Node(var_key)

            def var_key_default(d: Any) -> Any:
                if d.__class__ is dict:
                    return d.get(key, default)
                return _lookup(d, parts, default)

            return _Node(var_key_default)

        def var_path(d: Any) -> Any:
            return _lookup(d, parts, default)

        return _Node(var_path)

    default_fn = default_node.fn

    def var_dynamic_default(d: Any) -> Any:
        default = default_fn(d)  # evaluated even when unused, as json-logic-js does
        value = _lookup(d, parts, _MISSING)
        return default if value is _MISSING else value

    return _Node(var_dynamic_default)


def _build_missing(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    fns = _fns(nodes)

    def missing_fn(d: Any) -> list[Any]:
        return _missing(d, [f(d) for f in fns])

    return _Node(missing_fn)


def _build_missing_some(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    need_fn, options_fn = nodes[0].fn, nodes[1].fn

    def missing_some_fn(d: Any) -> list[Any]:
        return _missing_some(d, need_fn(d), options_fn(d))

    return _Node(missing_some_fn)


# --- logic ------------------------------------------------------------------------------------


def _build_if(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    if not nodes:
        return _const_node(None)
    if len(nodes) == 1:
        return nodes[0]
    boolean = all(n.boolean for n in nodes[1::2]) and len(nodes) % 2 == 1 and nodes[-1].boolean
    if len(nodes) <= 3:
        cond = nodes[0].fn
        cond_is_bool = nodes[0].boolean
        then = nodes[1].fn
        other = nodes[2].fn if len(nodes) == 3 else _const_node(None).fn

        if cond_is_bool:

            def if_bool(d: Any) -> Any:
                return then(d) if cond(d) else other(d)

            return _Node(if_bool, boolean=boolean)

        def if3(d: Any) -> Any:
            return then(d) if truthy(cond(d)) else other(d)

        return _Node(if3, boolean=boolean)

    pairs = tuple((nodes[i].fn, nodes[i + 1].fn) for i in range(0, len(nodes) - 1, 2))
    last = nodes[-1].fn if len(nodes) % 2 == 1 else _const_node(None).fn

    def if_chain(d: Any) -> Any:
        for cond_fn, then_fn in pairs:
            if truthy(cond_fn(d)):
                return then_fn(d)
        return last(d)

    return _Node(if_chain, boolean=boolean)


def _build_and(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    if len(nodes) == 1:
        return nodes[0]
    boolean = all(n.boolean for n in nodes)
    fns = _fns(nodes)
    if boolean and len(fns) == 2:
        a, b = fns

        def and2_bool(d: Any) -> Any:
            return a(d) and b(d)

        return _Node(and2_bool, boolean=True)
    if boolean:

        def and_bool(d: Any) -> Any:
            return all(f(d) for f in fns)

        return _Node(and_bool, boolean=True)

    def and_fn(d: Any) -> Any:
        value = None
        for f in fns:
            value = f(d)
            if not truthy(value):
                return value
        return value

    return _Node(and_fn)


def _build_or(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    if len(nodes) == 1:
        return nodes[0]
    boolean = all(n.boolean for n in nodes)
    fns = _fns(nodes)
    if boolean and len(fns) == 2:
        a, b = fns

        def or2_bool(d: Any) -> Any:
            return a(d) or b(d)

        return _Node(or2_bool, boolean=True)
    if boolean:

        def or_bool(d: Any) -> Any:
            return any(f(d) for f in fns)

        return _Node(or_bool, boolean=True)

    def or_fn(d: Any) -> Any:
        value = None
        for f in fns:
            value = f(d)
            if truthy(value):
                return value
        return value

    return _Node(or_fn)


def _build_not(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    a = _arg(nodes, 0)
    fn = a.fn
    if a.boolean:
        return _Node(lambda d: not fn(d), boolean=True)
    return _Node(lambda d: not truthy(fn(d)), boolean=True)


def _build_not_not(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    a = _arg(nodes, 0)
    fn = a.fn
    if a.boolean:
        return a
    return _Node(lambda d: truthy(fn(d)), boolean=True)


# --- comparison -------------------------------------------------------------------------------


def _strict_eq_node(nodes: list[_Node]) -> Evaluator:
    a, b = _arg(nodes, 0), _arg(nodes, 1)
    if b.is_const and not a.is_const:
        a, b = b, a
    if a.is_const and not b.is_const:
        c, fn = a.const, b.fn
        if isinstance(c, str):
            return lambda d: isinstance(x := fn(d), str) and x == c
        if c.__class__ is int or c.__class__ is float:
            return lambda d: (
                x == c if (x := fn(d)).__class__ is int or x.__class__ is float else _strict_eq(x, c)
            )
        if c is None:
            return lambda d: fn(d) is None
        if isinstance(c, bool):
            return lambda d: fn(d) is c
    fa, fb = a.fn, b.fn
    return lambda d: _strict_eq(fa(d), fb(d))


def _loose_eq_node(nodes: list[_Node]) -> Evaluator:
    a, b = _arg(nodes, 0), _arg(nodes, 1)
    if b.is_const and not a.is_const:
        a, b = b, a
    if a.is_const and not b.is_const:
        c, fn = a.const, b.fn
        if isinstance(c, str):
            return lambda d: x == c if (x := fn(d)).__class__ is str else _loose_eq(x, c)
        if isinstance(c, bool):
            return lambda d: x is c if (x := fn(d)).__class__ is bool else _loose_eq(x, c)
        if c.__class__ is int or c.__class__ is float:
            return lambda d: (
                x == c if (x := fn(d)).__class__ is int or x.__class__ is float else _loose_eq(x, c)
            )
    fa, fb = a.fn, b.fn
    return lambda d: _loose_eq(fa(d), fb(d))


def _build_strict_eq(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    return _Node(_strict_eq_node(nodes), boolean=True)


def _build_strict_ne(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    fn = _strict_eq_node(nodes)
    return _Node(lambda d: not fn(d), boolean=True)


def _build_loose_eq(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    return _Node(_loose_eq_node(nodes), boolean=True)


def _build_loose_ne(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    fn = _loose_eq_node(nodes)
    return _Node(lambda d: not fn(d), boolean=True)


def _relation(compare: Callable[[Any, Any], bool], swap: bool) -> Builder:
    def build(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
        fa, fb = _arg(nodes, 0).fn, _arg(nodes, 1).fn
        if swap:  # a > b is b < a
            fa, fb = fb, fa
        return _Node(lambda d: compare(fa(d), fb(d)), boolean=True)

    return build


def _between(compare: Callable[[Any, Any], bool]) -> Builder:
    def build(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
        if len(nodes) < 3:
            return _relation(compare, False)(nodes, raw, where)
        fa, fb, fc = nodes[0].fn, nodes[1].fn, nodes[2].fn

        def between(d: Any) -> bool:
            a, b, c = fa(d), fb(d), fc(d)
            return compare(a, b) and compare(b, c)

        return _Node(between, boolean=True)

    return build


def _build_in(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    a, b = _arg(nodes, 0), _arg(nodes, 1)
    fa = a.fn
    if b.is_const and isinstance(b.const, list) and all(isinstance(e, str) for e in b.const):
        members, haystack = frozenset(b.const), tuple(b.const)
        return _Node(
            lambda d: x in members if (x := fa(d)).__class__ is str else _js_in(x, haystack),
            boolean=True, cost=1 + _cost(a),
        )
    if b.is_const and isinstance(b.const, list) and all(
            e.__class__ in (str, int, float) for e in b.const):
        # Strict equality of strings and numbers is what a set tests (1 and 1.0 hash alike;
        # NaN is left out, as NaN === NaN is false); no copy of the list per evaluation.
        strings = frozenset(e for e in b.const if e.__class__ is str)
        numbers = frozenset(e for e in b.const if e.__class__ is not str and e == e)
        haystack = tuple(b.const)

        def in_constants(d: Any) -> bool:
            x = fa(d)
            cls = x.__class__
            if cls is str:
                return x in strings
            if cls is int or cls is float:
                return x in numbers
            return _js_in(x, haystack)

        return _Node(in_constants, boolean=True, cost=1 + _cost(a))
    fb = b.fn
    return _Node(lambda d: _js_in(fa(d), fb(d)), boolean=True)


# --- arrays -----------------------------------------------------------------------------------


def _loop_parts(nodes: list[_Node], raw: list[Any]) -> tuple[Evaluator, Evaluator, int]:
    """The items, the rule run per item and what one run costs. Constant items are not
    copied where they cannot escape (``all``, ``none`` and ``some`` answer a bool)."""
    return nodes[0].fn, nodes[1].fn, _cost(nodes[1])


def _shared_items(node: _Node) -> Evaluator:
    if not node.is_const:
        return node.fn
    items = node.const
    return lambda _d: items


def _build_map(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    items_fn, logic, weight = _loop_parts(nodes, raw)

    def map_fn(d: Any) -> list[Any]:
        items = items_fn(d)
        if not isinstance(items, (list, tuple)):
            return []
        _spend(len(items) * weight)
        return [logic(x) for x in items]

    return _Node(map_fn)


def _build_filter(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    items_fn, logic, weight = _loop_parts(nodes, raw)

    def filter_fn(d: Any) -> list[Any]:
        items = items_fn(d)
        if not isinstance(items, (list, tuple)):
            return []
        _spend(len(items) * weight)
        return [x for x in items if truthy(logic(x))]

    return _Node(filter_fn)


def _build_reduce(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    items_fn, logic, weight = _loop_parts(nodes, raw)
    initial_fn = nodes[2].fn if len(nodes) > 2 else _const_node(None).fn

    def reduce_fn(d: Any) -> Any:
        items = items_fn(d)
        accumulator = initial_fn(d)
        if not isinstance(items, (list, tuple)):
            return accumulator
        _spend(len(items) * weight)
        for current in items:
            accumulator = logic({"current": current, "accumulator": accumulator})
        return accumulator

    return _Node(reduce_fn)


def _build_all(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    _, logic, weight = _loop_parts(nodes, raw)
    items_fn = _shared_items(nodes[0])

    def all_fn(d: Any) -> bool:
        items = items_fn(d)
        if not isinstance(items, (list, tuple)) or not items:
            return False
        _spend(len(items) * weight)
        return all(truthy(logic(x)) for x in items)

    return _Node(all_fn, boolean=True)


def _build_none(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    _, logic, weight = _loop_parts(nodes, raw)
    items_fn = _shared_items(nodes[0])

    def none_fn(d: Any) -> bool:
        items = items_fn(d)
        if not isinstance(items, (list, tuple)) or not items:
            return True
        _spend(len(items) * weight)
        return not any(truthy(logic(x)) for x in items)

    return _Node(none_fn, boolean=True)


def _build_some(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    _, logic, weight = _loop_parts(nodes, raw)
    items_fn = _shared_items(nodes[0])

    def some_fn(d: Any) -> bool:
        items = items_fn(d)
        if not isinstance(items, (list, tuple)) or not items:
            return False
        _spend(len(items) * weight)
        return any(truthy(logic(x)) for x in items)

    return _Node(some_fn, boolean=True)


# --- plain functions of evaluated arguments ---------------------------------------------------


def _variadic(func: Callable[[list[Any]], Any]) -> Builder:
    def build(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
        fns = _fns(nodes)
        return _Node(lambda d: func([f(d) for f in fns]))

    return build


def _binary(func: Callable[[Any, Any], Any]) -> Builder:
    def build(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
        fa, fb = _arg(nodes, 0).fn, _arg(nodes, 1).fn
        return _Node(lambda d: func(fa(d), fb(d)))

    return build


def _build_minus(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    if len(nodes) < 2:
        fa = _arg(nodes, 0).fn
        return _Node(lambda d: _neg(fa(d)))
    return _binary(_sub)(nodes, raw, where)


def _build_substr(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    fs, fa, fb = nodes[0].fn, _arg(nodes, 1).fn, _arg(nodes, 2).fn
    return _Node(lambda d: _substr(fs(d), fa(d), fb(d)))


def _build_log(nodes: list[_Node], raw: list[Any], where: str) -> _Node:
    return nodes[0]  # json-logic-js prints it; we only pass it through


_BUILDERS: Final[dict[str, Builder]] = {
    "var": _build_var,
    "missing": _build_missing,
    "missing_some": _build_missing_some,
    "if": _build_if,
    "?:": _build_if,
    "and": _build_and,
    "or": _build_or,
    "!": _build_not,
    "!!": _build_not_not,
    "==": _build_loose_eq,
    "!=": _build_loose_ne,
    "===": _build_strict_eq,
    "!==": _build_strict_ne,
    "<": _between(_lt),
    "<=": _between(_le),
    ">": _relation(_lt, True),
    ">=": _relation(_le, True),
    "in": _build_in,
    "map": _build_map,
    "filter": _build_filter,
    "reduce": _build_reduce,
    "all": _build_all,
    "none": _build_none,
    "some": _build_some,
    "merge": _variadic(_merge),
    "cat": _variadic(_cat),
    "substr": _build_substr,
    "+": _variadic(_plus),
    "*": _variadic(_times),
    "-": _build_minus,
    "/": _binary(_div),
    "%": _binary(_mod),
    "max": _variadic(_max),
    "min": _variadic(_min),
    "log": _build_log,
}

assert all(op in _BUILDERS for op in _BOOLEAN_OPS | _DATA_OPS | set(_MIN_ARGS))


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------

_SHORTHAND_KEYS: Final = frozenset({"rule", "value"})
_LOGICAL_OPS: Final = frozenset({"and", "or", "!", "!!"})


def normalise(rule: Any) -> Any:
    """Expand Omneo's shorthand ``{"rule": "tier", "value": "gold"}`` to JsonLogic.

    It becomes ``{"==": [{"var": "tier"}, "gold"]}``. The shorthand is also expanded inside
    the arguments of ``and``, ``or``, ``!`` and ``!!`` (where a two-key object could only
    ever be a constant, always-true value). ``None`` stays ``None`` ("always true").
    The argument is not modified.
    """
    if isinstance(rule, dict):
        if rule.keys() == _SHORTHAND_KEYS and isinstance(rule["rule"], str):
            return {"==": [{"var": rule["rule"]}, rule["value"]]}
        if len(rule) == 1:
            ((op, args),) = rule.items()
            if op in _LOGICAL_OPS:
                if isinstance(args, list):
                    return {op: [normalise(a) for a in args]}
                return {op: normalise(args)}
    return rule


def _measure(rule: Any) -> bool:
    """Check the static budget (InvalidRule naming the first place over it, in document
    order); whether ``rule`` iterates."""
    nodes, iterates = 0, False
    stack: list[tuple[Any, int, str]] = [(rule, 1, "")]
    while stack:
        value, depth, where = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise InvalidRule(f"the rule is too large: more than {MAX_NODES} values "
                              "(operators, arguments and constants)")
        if depth > MAX_DEPTH:
            raise InvalidRule(f"the rule is nested more than {MAX_DEPTH} levels deep", where)
        if isinstance(value, dict) and len(value) == 1:
            ((op, args),) = value.items()
            iterates = iterates or op in _LOOP_OPS
            if not isinstance(args, list):
                stack.append((args, depth + 1, _arg_where(where, op, 0)))
                continue
            if len(args) > MAX_ARRAY:
                raise InvalidRule(f"{op!r} has {len(args)} arguments (at most {MAX_ARRAY})",
                                  where)
            stack.extend(reversed([(a, depth + 1, _arg_where(where, op, i))
                                   for i, a in enumerate(args)]))
        elif isinstance(value, dict):
            stack.extend(reversed([(v, depth + 1, f"{where}.{k}" if where else str(k))
                                   for k, v in value.items()]))
        elif isinstance(value, list):
            if len(value) > MAX_ARRAY:
                raise InvalidRule(f"an array of {len(value)} items (at most {MAX_ARRAY})", where)
            stack.extend(reversed([(v, depth + 1, f"{where}[{i}]") for i, v in enumerate(value)]))
    return iterates


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _compile_text(text: str) -> Evaluator:
    if len(text) > MAX_TEXT:
        raise InvalidRule(f"the rule is too large: {len(text):,} characters of JSON "
                          f"(at most {MAX_TEXT:,})")
    rule = json.loads(text)
    iterates = _measure(rule)
    fn = _compile(rule, "").fn
    return _budgeted(fn) if iterates else fn


def _canonical(rule: Any) -> str:
    try:
        return json.dumps(rule, sort_keys=True, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise InvalidRule(f"not JSON ({exc})") from None


def compile_rule(rule: Any) -> Evaluator:
    """Validate ``rule`` and compile it once into an evaluator ``data -> value``.

    Compiled evaluators are cached by the rule's canonical JSON text (bounded LRU).
    Raises :class:`InvalidRule` for an unknown operator or a wrong shape.
    """
    try:
        return _compile_text(_canonical(normalise(rule)))
    except RecursionError:
        raise InvalidRule("the rule is nested too deeply") from None


def evaluate(rule: Any, data: Any) -> Any:
    """Evaluate ``rule`` against ``data`` exactly as json-logic-js 2.0.5 would.

    Raises :class:`InvalidRule` for an invalid rule (including one over the static budget)
    and :class:`BudgetExceeded` when evaluating takes more than :data:`STEP_BUDGET` steps.
    """
    return compile_rule(rule)(data)


def validate(rule: Any) -> None:
    """Raise :class:`InvalidRule` unless ``rule`` is a valid condition (``None`` is valid)."""
    compile_rule(rule)


def predicate(rule: Any) -> Callable[[Any], bool]:
    """``rule`` compiled once into a ``data -> bool`` that never raises (see :func:`check`).

    For callers that evaluate one rule many times (a definition's claim condition against
    every profile): no cache lookup per evaluation.
    """
    if rule is None:
        return _always_true
    try:
        fn = compile_rule(rule)
    except InvalidRule as exc:
        logger.warning("invalid condition rule counted as false: %s; rule=%.500r", exc, rule)
        return _always_false

    over_budget_logged = False

    def holds(data: Any) -> bool:
        nonlocal over_budget_logged
        try:
            return truthy(fn(data))
        except BudgetExceeded as exc:
            # Once per compiled rule: a claimable list evaluates it for profile after profile.
            if not over_budget_logged:
                over_budget_logged = True
                logger.warning("condition rule over its evaluation budget, counted as false "
                               "(logged once for this rule): %s; rule=%.500r", exc, rule)
            return False
        except Exception as exc:
            logger.warning(
                "condition rule failed while evaluating, counted as false: %s: %s; rule=%.500r",
                type(exc).__name__, exc, rule,
            )
            return False

    return holds


def _always_true(_data: Any) -> bool:
    return True


def _always_false(_data: Any) -> bool:
    return False


def check(rule: Any, data: Any) -> bool:
    """Whether the condition ``rule`` holds for ``data``; never raises.

    ``None`` is always true. An invalid rule, or an error while evaluating, counts as false
    and is logged as a warning.
    """
    return predicate(rule)(data)
