"""Claim timeframe: the weekly windows in which a claimable benefit may be claimed (SPEC §3.4).

The block comes from seed 003::

    {"disable": bool?, "timezone": "Area/City",
     "timeframe": {"repeat": [{"start": "HH:MM", "end": "HH:MM"}, ...]}
                | {"custom": {"Monday": [{"start": ..., "end": ...}, ...], ...}}}

Rules, as implemented here:

- **T1** ``None`` or ``{}`` means no check (always open); so does ``"disable": true``.
  A JSON ``null`` value counts as an absent key, so a block whose keys are all ``null``
  is the same as ``{}``.
- **T2** A non-empty, non-disabled block without ``timezone`` or ``timeframe`` is refused by
  :func:`validate` and closed for :func:`is_open`.
- **T3** ``repeat`` applies to every day and wins over ``custom`` when both are present.
- **T4** ``custom`` keys are English day names with a capital first letter (``Monday`` …
  ``Sunday``); several windows per day are allowed; a day without a key has no window.
- **T5** A window is open from ``start`` inclusive to ``end`` exclusive, in the block's
  timezone, on the local weekday of the instant converted to that timezone. ``end`` must be
  after ``start``; ``24:00`` is allowed as an end and means the end of the day.
- **T6** A bad block is refused by :func:`validate` with a :class:`TimeframeError` naming the
  problem and its path. At evaluation a bad block never raises: it is closed, and
  :func:`problems` gives the message for the UI to flag it.

Decisions beyond the letter of the SPEC:

- Parts that are present are validated even when ``disable`` is true, so re-enabling a block
  cannot switch on garbage. A disabled block need not have a ``timezone`` or ``timeframe``.
- A block :func:`validate` would refuse is closed even when it says ``disable: true``, so the
  UI's "invalid" flag and the evaluation always agree (``problems(b) is None`` or closed).
- Unknown keys are refused at every level (top level, ``timeframe``, windows), so a typo such
  as ``"timezon"`` cannot silently switch the check off.
- ``repeat: []``, or a ``custom`` with no window on any day, is refused: the benefit could
  never be claimed, which is almost certainly a mistake.
- Timezones must be IANA names known to the tz database (``Europe/Copenhagen``, ``UTC``);
  the machine-dependent ``localtime`` is refused.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

__all__ = [
    "DAY_NAMES",
    "Timeframe",
    "TimeframeError",
    "describe",
    "is_open",
    "parse",
    "problems",
    "validate",
]

DAY_NAMES: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
_DAY_ABBREVIATIONS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_TOP_KEYS: tuple[str, ...] = ("disable", "timezone", "timeframe")
_TIMEFRAME_KEYS: tuple[str, ...] = ("repeat", "custom")
_WINDOW_KEYS: tuple[str, ...] = ("start", "end")

_TIME_RE = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")  # ASCII digits only
_END_OF_DAY = "24:00"
_MINUTES_PER_DAY = 24 * 60
_TIME_HINT = "use HH:MM (00:00–23:59, end may be 24:00)"
_UNUSABLE_ZONES = frozenset({"localtime", "posixrules"})

Window = tuple[int, int]
"""A window as (start, end) in minutes after local midnight; end may be 1440."""


class TimeframeError(ValueError):
    """A claim timeframe block is bad (T6).

    ``path`` locates the problem inside the block, e.g. ``"timeframe.custom.Staturday"`` or
    ``"timeframe.repeat[0].start"``; it is ``""`` when the block itself is not an object.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class _Parsed:
    """A validated, non-empty block."""

    disabled: bool
    zone: ZoneInfo | None
    zone_name: str | None
    repeat: tuple[Window, ...] | None
    custom: tuple[tuple[Window, ...], ...] | None  # indexed by weekday, Monday = 0

    def windows_for(self, weekday: int) -> tuple[Window, ...]:
        """The windows in force on a local weekday (T3: repeat wins over custom)."""
        if self.repeat is not None:
            return self.repeat
        if self.custom is not None:
            return self.custom[weekday]
        return ()


# --------------------------------------------------------------------------- parsing


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones()) - _UNUSABLE_ZONES


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _suggest(value: str, choices: Sequence[str]) -> str | None:
    """The choice the user most likely meant, or None."""
    lowered = value.strip().lower()
    if not lowered:
        return None
    for choice in choices:
        if choice.lower() == lowered:
            return choice
    if len(lowered) >= 2:
        prefixed = [c for c in choices if c.lower().startswith(lowered)]
        if len(prefixed) == 1:
            return prefixed[0]
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(lowered, list(by_lower), n=1, cutoff=0.75)
    return by_lower[close[0]] if close else None


def _show(value: object) -> str:
    """A value as it would look in JSON-ish text, for messages."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _check_keys(obj: Mapping[Any, Any], allowed: Sequence[str], path: str, what: str) -> None:
    for key in obj:
        if key in allowed:
            continue
        where = f" in {path}" if path else f" in {what}"
        allowed_text = ", ".join(f"'{k}'" for k in allowed)
        hint = _suggest(key, allowed) if isinstance(key, str) else None
        if hint is not None:
            raise TimeframeError(
                f"{path}.{key}" if path else str(key),
                f"unknown key {_show(key)}{where} (did you mean '{hint}'?)",
            )
        raise TimeframeError(
            f"{path}.{key}" if path else str(key),
            f"unknown key {_show(key)}{where}: {what} has only {allowed_text}",
        )


def _parse_time(value: object, path: str, *, is_end: bool) -> int:
    if not isinstance(value, str):
        raise TimeframeError(
            path, f"bad time {_show(value)} at {path}: must be a string; {_TIME_HINT}"
        )
    if is_end and value == _END_OF_DAY:
        return _MINUTES_PER_DAY
    match = _TIME_RE.fullmatch(value)
    if match is None:
        raise TimeframeError(path, f"bad time {_show(value)} at {path}: {_TIME_HINT}")
    return int(match.group(1)) * 60 + int(match.group(2))


def _parse_window(value: object, path: str) -> Window:
    if not isinstance(value, Mapping):
        raise TimeframeError(
            path,
            f"{path} must be an object with 'start' and 'end' times, not {_type_name(value)}",
        )
    _check_keys(value, _WINDOW_KEYS, path, "a window")
    for key in _WINDOW_KEYS:
        if value.get(key) is None:
            raise TimeframeError(f"{path}.{key}", f"'{key}' is required at {path}")
    start = _parse_time(value["start"], f"{path}.start", is_end=False)
    end = _parse_time(value["end"], f"{path}.end", is_end=True)
    if end <= start:
        raise TimeframeError(
            path, f"end {value['end']} is not after start {value['start']} at {path}"
        )
    return (start, end)


def _parse_windows(value: object, path: str) -> tuple[Window, ...]:
    if not isinstance(value, list | tuple):
        raise TimeframeError(
            path, f'{path} must be a list of windows ({{"start", "end"}}), not {_type_name(value)}'
        )
    return tuple(_parse_window(item, f"{path}[{i}]") for i, item in enumerate(value))


def _parse_custom(value: object, path: str) -> tuple[tuple[Window, ...], ...]:
    if not isinstance(value, Mapping):
        raise TimeframeError(
            path, f"{path} must be an object keyed by day name, not {_type_name(value)}"
        )
    days: dict[str, tuple[Window, ...]] = {}
    for key, windows in value.items():
        if key not in DAY_NAMES:
            hint = _suggest(key, DAY_NAMES) if isinstance(key, str) else None
            advice = (
                f" (did you mean '{hint}'?)"
                if hint
                else ": use Monday, Tuesday, Wednesday, Thursday, Friday, Saturday or Sunday"
            )
            raise TimeframeError(f"{path}.{key}", f"unknown day {_show(key)} in {path}{advice}")
        days[key] = () if windows is None else _parse_windows(windows, f"{path}.{key}")
    return tuple(days.get(day, ()) for day in DAY_NAMES)


def _parse_zone(value: object) -> tuple[ZoneInfo, str]:
    if not isinstance(value, str):
        raise TimeframeError(
            "timezone",
            f"timezone must be a string such as 'Europe/Copenhagen', not {_type_name(value)}",
        )
    if value not in _known_zones():
        hint = _suggest(value, sorted(_known_zones())) if len(value) <= 64 else None
        advice = f" (did you mean '{hint}'?)" if hint else ""
        raise TimeframeError("timezone", f"unknown timezone {_show(value)}{advice}")
    return _zone(value), value


def _parse(block: object) -> _Parsed | None:
    """Validate ``block``; None for an empty block (T1), else the parsed form.

    Raises :class:`TimeframeError` for anything bad (T2, T6).
    """
    if block is None:
        return None
    if not isinstance(block, Mapping):
        raise TimeframeError(
            "", f"the claim timeframe must be an object or null, not {_type_name(block)}"
        )
    _check_keys(block, _TOP_KEYS, "", "the claim timeframe")
    disable = block.get("disable")
    zone_value = block.get("timezone")
    frame_value = block.get("timeframe")
    if disable is None and zone_value is None and frame_value is None:
        return None  # T1: {} (or all nulls) means no check
    if disable is not None and not isinstance(disable, bool):
        raise TimeframeError("disable", f"disable must be true or false, not {_show(disable)}")
    disabled = disable is True

    zone: ZoneInfo | None = None
    zone_name: str | None = None
    if zone_value is not None:
        zone, zone_name = _parse_zone(zone_value)
    elif not disabled:
        raise TimeframeError("timezone", "timezone is required (e.g. 'Europe/Copenhagen')")

    repeat: tuple[Window, ...] | None = None
    custom: tuple[tuple[Window, ...], ...] | None = None
    if frame_value is not None:
        if not isinstance(frame_value, Mapping):
            raise TimeframeError(
                "timeframe",
                "timeframe must be an object with 'repeat' or 'custom', "
                f"not {_type_name(frame_value)}",
            )
        _check_keys(frame_value, _TIMEFRAME_KEYS, "timeframe", "timeframe")
        repeat_value = frame_value.get("repeat")
        custom_value = frame_value.get("custom")
        if repeat_value is None and custom_value is None:
            raise TimeframeError(
                "timeframe", "timeframe needs 'repeat' (every day) or 'custom' (per day)"
            )
        if repeat_value is not None:
            repeat = _parse_windows(repeat_value, "timeframe.repeat")
        if custom_value is not None:
            # Validated even when repeat wins (T3), so removing repeat cannot enable garbage.
            custom = _parse_custom(custom_value, "timeframe.custom")
        if repeat is not None and not repeat:
            raise TimeframeError(
                "timeframe.repeat",
                "timeframe.repeat has no windows, and repeat wins over custom, so the "
                "benefit could never be claimed: add a window or remove repeat",
            )
        if repeat is None and custom is not None and not any(custom):
            raise TimeframeError(
                "timeframe.custom",
                "timeframe.custom has no window on any day, so the benefit could never be claimed",
            )
    elif not disabled:
        raise TimeframeError("timeframe", "timeframe is required ('repeat' or 'custom')")

    return _Parsed(disabled, zone, zone_name, repeat, custom)


# --------------------------------------------------------------------------- public API


def validate(block: object) -> None:
    """Refuse a bad claim timeframe block with a :class:`TimeframeError` (T2, T6).

    ``None``, ``{}`` and ``{"disable": true}`` are valid (T1).
    """
    _parse(block)


def problems(block: object) -> str | None:
    """The message :func:`validate` would raise for ``block``, or None when it is fine."""
    return parse(block).problem


def is_open(block: object, at: datetime) -> bool:
    """Whether the claim timeframe ``block`` is open at the aware instant ``at`` (T1–T6).

    Never raises for a bad block: anything :func:`validate` would refuse is closed. Raises
    ``ValueError`` for a naive ``at`` (a programming error, not bad data).
    """
    return parse(block).is_open(at)


@dataclass(frozen=True)
class Timeframe:
    """A block validated once, for callers that ask about it again and again.

    The claimable list asks each definition's block whether it is open now, and for a closed
    one why (its problem) or when it opens (:meth:`describe`). Parsing the block for each
    question cost more than the rest of opening a profile (SPEC §8), so a caller parses a
    block once per definition version with :func:`parse` and keeps this. Only
    :meth:`is_open` depends on the instant, and it is computed on every call.
    """

    parsed: _Parsed | None
    problem: str | None  # what validate would raise (T6); the block is then closed

    def is_open(self, at: datetime) -> bool:
        """As :func:`is_open` for the parsed block."""
        if not isinstance(at, datetime):
            raise TypeError(f"at must be a datetime, not {type(at).__name__}")
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("at must be a timezone-aware datetime")
        if self.problem is not None:
            return False  # T2/T6: bad or incomplete block -> closed
        parsed = self.parsed
        if parsed is None or parsed.disabled:
            return True  # T1
        assert parsed.zone is not None  # guaranteed by _parse for an enabled block
        local = at.astimezone(parsed.zone)
        # Microseconds since local midnight, compared against [start, end) (T5).
        now_us = (((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000
                  + local.microsecond)
        minute_us = 60 * 1_000_000
        return any(
            start * minute_us <= now_us < end * minute_us
            for start, end in parsed.windows_for(local.weekday())
        )

    def describe(self) -> str:
        """As :func:`describe` for the parsed block."""
        if self.problem is not None:
            return f"Never: the claim timeframe is invalid ({self.problem})"
        return _describe(self.parsed)


def parse(block: object) -> Timeframe:
    """``block`` validated once (T1–T6). Never raises: a bad block gives a closed
    :class:`Timeframe` whose ``problem`` says what is wrong."""
    try:
        return Timeframe(_parse(block), None)
    except TimeframeError as exc:
        return Timeframe(None, exc.message)


def _fmt_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _fmt_windows(windows: Sequence[Window]) -> str:
    return ", ".join(f"{_fmt_time(s)}–{_fmt_time(e)}" for s, e in sorted(set(windows)))


def describe(block: object) -> str:
    """A short sentence for the UI saying when the benefit may be claimed.

    e.g. ``Only Mon–Fri 10:00–15:00, 16:00–20:00 Europe/Copenhagen time`` or
    ``Only daily 09:00–17:00 Australia/Melbourne time``.
    """
    return parse(block).describe()


def _describe(parsed: _Parsed | None) -> str:
    if parsed is None:
        return "Any time (no claim timeframe)"
    if parsed.disabled:
        return "Any time (claim timeframe disabled)"
    suffix = f" {parsed.zone_name} time"
    if parsed.repeat is not None:
        return f"Only daily {_fmt_windows(parsed.repeat)}{suffix}"
    assert parsed.custom is not None
    per_day = [tuple(sorted(set(w))) for w in parsed.custom]
    if all(day == per_day[0] for day in per_day):
        return f"Only daily {_fmt_windows(per_day[0])}{suffix}"
    groups: list[tuple[int, int, tuple[Window, ...]]] = []  # (first day, last day, windows)
    for index, windows in enumerate(per_day):
        if not windows:
            continue
        if groups and groups[-1][1] == index - 1 and groups[-1][2] == windows:
            first, _, same = groups[-1]
            groups[-1] = (first, index, same)
        else:
            groups.append((index, index, windows))
    parts = []
    for first, last, windows in groups:
        days = (
            _DAY_ABBREVIATIONS[first]
            if first == last
            else f"{_DAY_ABBREVIATIONS[first]}–{_DAY_ABBREVIATIONS[last]}"
        )
        parts.append(f"{days} {_fmt_windows(windows)}")
    return f"Only {'; '.join(parts)}{suffix}"
