"""Rows-v2: a first sync's snapshot as column-ordered rows in the till's storage form
(SPEC §7; SPEC §8: first sync ≥ 50,000 rows/s and within 3× of raw SQLite).

A snapshot page in this format carries, per synced type, its column names once and then one
list per record, each value already in the form a till's SQLite file stores:

- instants as UTC text ``YYYY-MM-DD HH:MM:SS.ffffff`` (what SQLAlchemy's SQLite ``DATETIME``
  writes), dates as ``YYYY-MM-DD``;
- money as whole cents (what ``types.Money`` stores);
- booleans, whole numbers, text and JSON values as they are.

A profile's identities (``profile_id``, ``handle``, ``identifier``) and a redemption's items
(``redemption_id``, ``position``, ``type``, ``item_id``, ``value`` in cents, ``count``) come
as a child block of their parent's block, in the same page. Columns a till keeps for itself
(``SyncedType.till``) are not sent; child rows get the till's derived ids (``wire_in.child_id``).
Every type, its columns, children and the rules that differ from what a column's type implies
come from the registry (``engine.entities``).

Why: checking and converting each record field by field (``wire_in``) was most of what a
till spent on a first sync (docs/performance.md). Here every column of a block is checked
at once with C-level calls (the set of value types, the longest text, one compiled pattern
mapped over the instants), and only a column that fails is walked value by value to name the
first bad record. The rules are ``wire_in``'s (same lengths, required fields, ranges, zones,
choices), so what the feed would refuse, this refuses too: ``check_block`` raises
``ValidationError`` naming the type, the record's id and the field (SPEC: a bad synced record
is refused with its field named, and nothing changes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Integer, String, Table, Text

from clienteling.engine.entities import BY_NAME, ENTITIES, RuleOverrides
from clienteling.engine.form import MAX_INT, zone
from clienteling.engine.types import Money, UTCDateTime
from clienteling.engine.wire_in import refusal

FORMAT = "rows-v2"

INSTANT_TEXT = "YYYY-MM-DD HH:MM:SS.ffffff"
INSTANT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_MAX_CENTS = 10**14  # wire_in's bound on an amount (under 1e12), in cents
_TEXT_MAX = 100_000  # a Text column, as wire_in reads one
_NoneType = type(None)


def columns(entity_type: str) -> list[str]:
    """The columns a block of ``entity_type`` carries, ``id`` first."""
    return BY_NAME[entity_type].columns


def child_columns(entity_type: str) -> list[str]:
    """A child block's columns: its table's, without its own id (the till derives it)."""
    children = BY_NAME[entity_type].children
    assert children is not None, f"{entity_type} has no child rows"
    return children.columns


@dataclass(frozen=True)
class Rule:
    """What one column may hold (``wire_in``'s rule for the same field)."""

    kind: str  # text, int, flag, instant, day, cents, zone, choice, json, object, list
    nullable: bool
    size: int = 0  # text: the longest allowed
    nonblank: bool = False  # text: required means not blank, as wire_in's req_text
    low: int = 0  # int: the smallest allowed; cents: below zero for a signed amount
    options: tuple[str, ...] = ()  # choice


def _rule(overrides: RuleOverrides, column: Any) -> Rule:
    kind_of = column.type
    nullable = bool(column.nullable)
    rule: dict[str, Any] = {"nullable": nullable}
    if isinstance(kind_of, UTCDateTime):
        rule["kind"] = "instant"
    elif isinstance(kind_of, Money):
        rule["kind"] = "cents"
    elif isinstance(kind_of, Boolean):
        rule["kind"] = "flag"
    elif isinstance(kind_of, Integer):
        rule["kind"] = "int"
        # Notification offsets may point back in time; counts and periods may not be negative.
        rule["low"] = -MAX_INT if "offset" in column.name else 0
    elif isinstance(kind_of, Date):
        rule["kind"] = "day"
    elif isinstance(kind_of, JSON):
        rule["kind"] = "json"
    elif isinstance(kind_of, String | Text):
        rule["kind"] = "text"
        rule["size"] = kind_of.length or _TEXT_MAX
        rule["nonblank"] = not nullable
    else:  # pragma: no cover - a new column type needs a rule before it can be synced
        raise TypeError(f"no rows-v2 rule for {column.name} ({kind_of!r})")
    # Where wire_in's rule is not the one the column's type implies (the registry's).
    rule.update(overrides.get(column.name, {}))
    return Rule(**rule)


def _rules(table: Table, names: Iterable[str], overrides: RuleOverrides) -> dict[str, Rule]:
    return {name: _rule(overrides, table.c[name]) for name in names}


RULES: dict[str, dict[str, Rule]] = {
    kind.name: _rules(kind.table, [n for n in kind.columns if n != "id"], kind.rules)
    for kind in ENTITIES
}
CHILD_RULES: dict[str, dict[str, Rule]] = {
    kind.name: _rules(kind.children.table, kind.children.columns, kind.children.rules)
    for kind in ENTITIES if kind.children is not None
}


def _problem(rule: Rule, value: Any) -> str | None:
    """What is wrong with one value, in wire_in's words (None: nothing)."""
    if value is None:
        return None if rule.nullable else "is required"
    kind = rule.kind
    if kind == "text":
        if type(value) is not str:
            return "must be text"
        if rule.nonblank and not value.strip():
            return "must not be empty"
        if len(value) > rule.size:
            return f"must be at most {rule.size} characters"
    elif kind == "int":
        if type(value) is not int:
            return "must be a whole number"
        if not rule.low <= value <= MAX_INT:
            return f"must be from {rule.low} to {MAX_INT}"
    elif kind == "flag":
        if type(value) is not bool:
            return "must be true or false"
    elif kind == "instant":
        if type(value) is not str or not INSTANT.fullmatch(value):
            return f"must be a UTC time as {INSTANT_TEXT}"
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return f"'{value[:40]}' is not a time"
    elif kind == "day":
        if type(value) is not str or not _DAY.fullmatch(value):
            return "must be a date (YYYY-MM-DD)"
        try:
            date.fromisoformat(value)
        except ValueError:
            return "must be a date (YYYY-MM-DD)"
    elif kind == "cents":
        if type(value) is not int:
            return "must be an amount in whole cents"
        if not (rule.low if rule.low < 0 else 0) <= value < _MAX_CENTS:
            return "must be zero or more"
    elif kind == "zone":
        if zone(value) is None:
            return f"unknown timezone '{str(value)[:64]}'"
    elif kind == "choice":
        if value not in rule.options:
            return f"must be one of {', '.join(rule.options)}"
    elif kind == "object":
        if type(value) is not dict:
            return "must be an object"
    elif kind == "list" and type(value) is not list:
        return "must be a list"
    return None


def _types(rule: Rule, *allowed: type) -> set[type]:
    return {*allowed, _NoneType} if rule.nullable else set(allowed)


def _fine(rule: Rule, values: Sequence[Any]) -> bool:
    """The whole column at once; False sends it to the value-by-value walk (which names the
    first bad value, or finds none: this only has to be right when it says True)."""
    kind = rule.kind
    if kind == "json":
        return rule.nullable or None not in values
    present = values
    kinds = set(map(type, values))
    if _NoneType in kinds:
        if not rule.nullable:
            return False
        present = [v for v in values if v is not None]
    if kind == "text":
        return (kinds <= _types(rule, str) and max(map(len, present), default=0) <= rule.size
                and (not rule.nonblank or all(map(str.strip, present))))
    if kind == "int":
        return kinds <= _types(rule, int) and (
            not present or (min(present) >= rule.low and max(present) <= MAX_INT))
    if kind == "cents":
        return kinds <= _types(rule, int) and (
            not present or (min(present) >= min(rule.low, 0) and max(present) < _MAX_CENTS))
    if kind == "flag":
        return kinds <= _types(rule, bool)
    if kind in ("instant", "day"):
        if not kinds <= _types(rule, str):
            return False
        pattern, parse = (INSTANT, datetime.fromisoformat) if kind == "instant" else (
            _DAY, date.fromisoformat)
        if not all(map(pattern.fullmatch, present)):
            return False
        try:
            for _ in map(parse, present):  # ranges: no 31 February
                pass
        except ValueError:
            return False
        return True
    if kind == "zone":
        return kinds <= {str} and all(zone(v) is not None for v in set(present))
    if kind == "choice":
        return kinds <= {str} and set(present) <= set(rule.options)
    if kind == "object":
        return kinds <= _types(rule, dict)
    if kind == "list":
        return kinds <= _types(rule, list)
    return False  # pragma: no cover - every kind is handled above


@dataclass(frozen=True)
class Block:
    """One type's records of a rows-v2 page, as received (unchecked)."""

    type: str
    columns: list[str]
    rows: list[list[Any]]
    child_columns: list[str] | None = None
    child_rows: list[list[Any]] | None = None


@dataclass(frozen=True)
class Checked:
    """A checked block: its ids and, per column, the values to store (JSON values still to
    be serialised by the column's type); children likewise, with their derived ids."""

    type: str
    ids: Sequence[str]
    values: dict[str, Sequence[Any]]
    children: dict[str, Sequence[Any]] | None


def _check_columns(entity_type: str, rules: dict[str, Rule], names: list[str],
                   rows: list[list[Any]], ident_of: Callable[[int], Any],
                   field: Callable[[int, str], str]) -> dict[str, Sequence[Any]]:
    width = len(names)
    if rows and set(map(len, rows)) != {width}:
        n = next(i for i, row in enumerate(rows) if len(row) != width)
        raise refusal(entity_type, ident_of(n), field(n, "columns"),
                      f"has {len(rows[n])} values for {width} columns")
    # Tuples straight from the transposition: the door only reads them.
    values: dict[str, Any] = dict(zip(names, zip(*rows, strict=True), strict=True)) if rows else {
        name: () for name in names}
    out: dict[str, Sequence[Any]] = {}
    for name, rule in rules.items():
        column = values.get(name)
        if column is None:
            if not rule.nullable and rows:
                raise refusal(entity_type, ident_of(0), field(0, name), "is required")
            column = [None] * len(rows)
        elif not _fine(rule, column):
            for n, value in enumerate(column):
                problem = _problem(rule, value)
                if problem is not None:
                    raise refusal(entity_type, ident_of(n), field(n, name), problem)
        out[name] = column
    return out


def check_block(block: Block) -> Checked:
    """The block's values to store, every column checked against ``wire_in``'s rules.

    Raises ``ValidationError`` naming the type, the first bad record's id and the field."""
    kind = block.type
    if kind not in RULES:
        raise refusal(str(kind)[:40], "?", "type", "is not a synced entity type")
    names = block.columns
    if len(set(names)) != len(names) or "id" not in names:
        raise refusal(kind, "?", "columns", "must name each column once, id among them")
    position = names.index("id")
    rows = block.rows
    found: list[Any] = [row[position] if len(row) > position else None for row in rows]
    if found and (set(map(type, found)) - {str} or min(map(len, found)) < 1
                  or max(map(len, found)) > 36):
        n = next(n for n, i in enumerate(found)
                 if not isinstance(i, str) or not 1 <= len(i) <= 36)
        raise refusal(kind, "?", "id", f"must be an id of 1 to 36 characters (row {n})")
    ids: list[str] = found
    values = _check_columns(kind, RULES[kind], names, rows, ids.__getitem__,
                            lambda _n, name: name)
    children: dict[str, Sequence[Any]] | None = None
    if kind in CHILD_RULES:
        children = _check_children(kind, block, set(ids))
    values["id"] = ids
    return Checked(kind, ids, values, children)


def _check_children(kind: str, block: Block, parents: set[str]) -> dict[str, Sequence[Any]]:
    declared = BY_NAME[kind].children
    assert declared is not None  # only called for a type with child rows
    key, label = declared.parent_key, declared.label
    names = block.child_columns or declared.columns
    rows = block.child_rows or []
    if len(set(names)) != len(names) or key not in names:
        raise refusal(kind, "?", "children", f"must name each column once, {key} among them")
    at = names.index(key)
    owners = [row[at] if len(row) > at else None for row in rows]
    for n, owner in enumerate(owners):
        if type(owner) is not str or owner not in parents:
            raise refusal(kind, str(owner)[:36], f"children[{n}].{key}",
                          "is not a record of this page")
    return _check_columns(kind, CHILD_RULES[kind], names, rows, owners.__getitem__,
                          lambda n, name: f"{label}[{n}].{name}")


def python_value(rule_kind: str, value: Any) -> Any:
    """A stored-form value as the model's Python type (for a database whose driver does not
    take SQLite's storage form; a till's own file never needs this)."""
    if value is None:
        return None
    if rule_kind == "instant":
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if rule_kind == "day":
        return date.fromisoformat(value)
    if rule_kind == "cents":
        return Decimal(value) / 100
    return value
