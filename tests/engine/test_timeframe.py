"""Claim timeframe (SPEC §3.4, rules T1–T6; seed 003 "Claim timeframe")."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clienteling.engine.timeframe import (
    DAY_NAMES,
    TimeframeError,
    describe,
    is_open,
    problems,
    validate,
)
from tests.engine.support import MEL

CPH = ZoneInfo("Europe/Copenhagen")

# Seed 003's "full example of custom timeframe settings", verbatim (note "Staturday").
SEED_003_EXAMPLE = """
{
   "disable":false,
   "timezone":"Europe/Copenhagen",
   "timeframe":{
      "custom":{
         "Monday":[{"start":"10:00","end":"15:00"},{"start":"16:00","end":"20:00"}],
         "Tuesday":[{"start":"10:00","end":"15:00"},{"start":"16:00","end":"20:00"}],
         "Wednesday":[{"start":"10:00","end":"15:00"},{"start":"16:00","end":"20:00"}],
         "Thursday":[{"start":"10:00","end":"15:00"},{"start":"16:00","end":"20:00"}],
         "Friday":[{"start":"10:00","end":"15:00"},{"start":"16:00","end":"20:00"}],
         "Staturday":[{"start":"10:00","end":"15:00"},{"start":"16:00","end":"20:00"}],
         "Sunday":[{"start":"10:00","end":"15:00"},{"start":"16:00","end":"20:00"}]
      }
   }
}
"""

# 2024-06-03 is a Monday; Copenhagen is on CEST (UTC+2), Melbourne on AEST (UTC+10).
MONDAY = datetime(2024, 6, 3)
SATURDAY = datetime(2024, 6, 8)


def cph(day: datetime, hh: int, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    return day.replace(hour=hh, minute=mm, second=ss, microsecond=us, tzinfo=CPH)


def seed_example() -> dict[str, Any]:
    return json.loads(SEED_003_EXAMPLE)


def corrected_example() -> dict[str, Any]:
    block = seed_example()
    custom = block["timeframe"]["custom"]
    custom["Saturday"] = custom.pop("Staturday")
    return block


def repeat_block(*windows: tuple[str, str], tz: str = "Europe/Copenhagen") -> dict[str, Any]:
    return {
        "timezone": tz,
        "timeframe": {"repeat": [{"start": s, "end": e} for s, e in windows]},
    }


def custom_block(tz: str = "Europe/Copenhagen", **days: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "timezone": tz,
        "timeframe": {
            "custom": {day: [{"start": s, "end": e} for s, e in ws] for day, ws in days.items()}
        },
    }


def refused(block: object) -> TimeframeError:
    with pytest.raises(TimeframeError) as info:
        validate(block)
    assert problems(block) == str(info.value)
    return info.value


# --------------------------------------------------------------------------- T1


@pytest.mark.parametrize(
    "block",
    [
        None,
        {},
        {"disable": True},
        {"disable": None, "timezone": None, "timeframe": None},
    ],
)
def test_t1_empty_or_disabled_block_means_no_check(block: object) -> None:
    """T1: null, {} and disable: true are valid and always open."""
    validate(block)
    assert problems(block) is None
    for hour in (0, 3, 12, 23):
        assert is_open(block, cph(MONDAY, hour)) is True
        assert is_open(block, cph(SATURDAY, hour, 59)) is True
    assert describe(block).startswith("Any time")


def test_t1_disable_true_skips_the_check_but_keeps_the_config() -> None:
    """T1: disable: true turns the check off without deleting the windows."""
    block = repeat_block(("10:00", "11:00"))
    assert is_open(block, cph(MONDAY, 12)) is False
    block["disable"] = True
    validate(block)
    assert is_open(block, cph(MONDAY, 12)) is True
    assert describe(block) == "Any time (claim timeframe disabled)"
    block["disable"] = False
    assert is_open(block, cph(MONDAY, 12)) is False
    assert is_open(block, cph(MONDAY, 10, 30)) is True


def test_t1_disabled_block_parts_are_still_validated() -> None:
    """T1/T6: a disabled block with a bad timeframe is refused, so re-enabling it cannot turn
    on garbage; and since it is flagged invalid it is treated as closed."""
    block = {"disable": True, "timezone": "Mars/Olympus"}
    err = refused(block)
    assert err.path == "timezone"
    assert is_open(block, cph(MONDAY, 12)) is False

    block = {"disable": True, "timezone": "UTC", "timeframe": {"repeat": [{"start": "x"}]}}
    refused(block)
    assert is_open(block, cph(MONDAY, 12)) is False


def test_t1_disabled_block_need_not_have_timezone_or_timeframe() -> None:
    """T1: a disabled block with only a timeframe (or only a timezone) is fine."""
    validate({"disable": True, "timeframe": {"repeat": [{"start": "09:00", "end": "10:00"}]}})
    validate({"disable": True, "timezone": "Europe/Copenhagen"})


def test_t1_disable_must_be_a_boolean() -> None:
    """T1/T6: disable must be true or false."""
    for value in ("true", 1, 0, [], {}):
        block = {"disable": value, **repeat_block(("00:00", "24:00"))}
        err = refused(block)
        assert err.path == "disable"
        assert "true or false" in str(err)
        assert is_open(block, cph(MONDAY, 12)) is False


# --------------------------------------------------------------------------- T2


def test_t2_missing_timezone_is_refused_and_closed() -> None:
    """T2: no timezone in a non-empty, non-disabled block -> refused at save, closed."""
    block = {"timeframe": {"repeat": [{"start": "00:00", "end": "24:00"}]}}
    err = refused(block)
    assert err.path == "timezone"
    assert str(err).startswith("timezone is required")
    assert is_open(block, cph(MONDAY, 12)) is False
    block_null = {"timezone": None, **block}
    assert is_open(block_null, cph(MONDAY, 12)) is False


def test_t2_missing_timeframe_is_refused_and_closed() -> None:
    """T2: no timeframe -> refused at save, closed at evaluation."""
    block = {"timezone": "Europe/Copenhagen"}
    err = refused(block)
    assert err.path == "timeframe"
    assert str(err).startswith("timeframe is required")
    assert is_open(block, cph(MONDAY, 12)) is False
    assert is_open({"timezone": "UTC", "timeframe": None}, cph(MONDAY, 12)) is False


def test_t2_disable_false_alone_is_not_empty() -> None:
    """T2: {"disable": false} is non-empty and not disabled, so it lacks the mandatory parts."""
    block = {"disable": False}
    assert refused(block).path == "timezone"
    assert is_open(block, cph(MONDAY, 12)) is False
    assert describe(block).startswith("Never: the claim timeframe is invalid")


def test_t2_timeframe_without_repeat_or_custom_is_refused() -> None:
    """T2/T6: a timeframe object needs repeat or custom."""
    block = {"timezone": "UTC", "timeframe": {}}
    err = refused(block)
    assert err.path == "timeframe"
    assert "'repeat'" in str(err) and "'custom'" in str(err)
    assert is_open(block, cph(MONDAY, 12)) is False


# --------------------------------------------------------------------------- T3


def test_t3_repeat_applies_every_day() -> None:
    """T3: repeat windows apply Monday to Sunday."""
    block = repeat_block(("09:00", "17:00"))
    validate(block)
    for offset in range(7):
        day = MONDAY + timedelta(days=offset)
        assert is_open(block, cph(day, 9)) is True
        assert is_open(block, cph(day, 16, 59, 59, 999_999)) is True
        assert is_open(block, cph(day, 17)) is False
        assert is_open(block, cph(day, 8, 59)) is False


def test_t3_repeat_wins_over_custom() -> None:
    """T3: when both exist, repeat is used and custom ignored."""
    block = {
        "timezone": "Europe/Copenhagen",
        "timeframe": {
            "repeat": [{"start": "09:00", "end": "10:00"}],
            "custom": {"Monday": [{"start": "00:00", "end": "24:00"}]},
        },
    }
    validate(block)
    assert is_open(block, cph(MONDAY, 12)) is False
    assert is_open(block, cph(MONDAY, 9, 30)) is True
    assert is_open(block, cph(SATURDAY, 9, 30)) is True
    assert describe(block) == "Only daily 09:00–10:00 Europe/Copenhagen time"


def test_t3_ignored_custom_is_still_validated() -> None:
    """T3/T6: custom is validated even when repeat wins, so removing repeat is safe."""
    block = {
        "timezone": "UTC",
        "timeframe": {
            "repeat": [{"start": "09:00", "end": "10:00"}],
            "custom": {"Funday": [{"start": "00:00", "end": "24:00"}]},
        },
    }
    assert refused(block).path == "timeframe.custom.Funday"


def test_t3_empty_repeat_is_refused() -> None:
    """T3/T6: repeat: [] would win over custom and never open, so it is refused."""
    block = {
        "timezone": "UTC",
        "timeframe": {"repeat": [], "custom": {"Monday": [{"start": "09:00", "end": "10:00"}]}},
    }
    err = refused(block)
    assert err.path == "timeframe.repeat"
    assert "no windows" in str(err)
    assert is_open(block, cph(MONDAY, 9, 30)) is False


def test_t3_null_repeat_counts_as_absent() -> None:
    """T3: "repeat": null does not shadow custom."""
    block = {
        "timezone": "Europe/Copenhagen",
        "timeframe": {"repeat": None, "custom": {"Monday": [{"start": "09:00", "end": "10:00"}]}},
    }
    validate(block)
    assert is_open(block, cph(MONDAY, 9, 30)) is True


# --------------------------------------------------------------------------- T4


def test_t4_several_windows_per_day_and_days_without_key_are_closed() -> None:
    """T4: several windows per day; a day without a key has no window."""
    block = custom_block(Monday=[("10:00", "14:00"), ("15:00", "18:00")])
    validate(block)
    assert is_open(block, cph(MONDAY, 10)) is True
    assert is_open(block, cph(MONDAY, 14, 30)) is False
    assert is_open(block, cph(MONDAY, 15)) is True
    assert is_open(block, cph(MONDAY, 18)) is False
    for offset in range(1, 7):
        assert is_open(block, cph(MONDAY + timedelta(days=offset), 11)) is False


def test_t4_day_with_empty_list_has_no_window() -> None:
    """T4: an empty list for a day is the same as no key."""
    block = custom_block(Monday=[("10:00", "14:00")], Tuesday=[])
    validate(block)
    assert is_open(block, cph(MONDAY + timedelta(days=1), 11)) is False


def test_t4_custom_with_no_window_on_any_day_is_refused() -> None:
    """T4/T6: a custom block that could never open is refused."""
    for custom in ({}, {"Monday": []}):
        block = {"timezone": "UTC", "timeframe": {"custom": custom}}
        assert refused(block).path == "timeframe.custom"


def test_t4_t6_seed_003_example_staturday_is_refused() -> None:
    """T4/T6: seed 003's own full example spells 'Staturday'; validate names it."""
    block = seed_example()
    err = refused(block)
    assert err.path == "timeframe.custom.Staturday"
    assert str(err) == "unknown day 'Staturday' in timeframe.custom (did you mean 'Saturday'?)"
    # T6: as received by sync it is treated as closed, even inside an otherwise open window.
    assert is_open(block, cph(MONDAY, 10)) is False
    assert describe(block).startswith("Never: the claim timeframe is invalid (unknown day")


def test_t4_t5_seed_003_corrected_example() -> None:
    """T4/T5: the corrected seed 003 example is open Monday 10:00 and closed at 15:00 (end
    exclusive) in Copenhagen, and its Saturday windows work."""
    block = corrected_example()
    validate(block)
    assert problems(block) is None
    assert is_open(block, cph(MONDAY, 10)) is True
    assert is_open(block, cph(MONDAY, 9, 59, 59, 999_999)) is False
    assert is_open(block, cph(MONDAY, 14, 59, 59)) is True
    assert is_open(block, cph(MONDAY, 15)) is False
    assert is_open(block, cph(MONDAY, 15, 30)) is False
    assert is_open(block, cph(MONDAY, 16)) is True
    assert is_open(block, cph(MONDAY, 20)) is False
    assert is_open(block, cph(SATURDAY, 10)) is True
    assert is_open(block, cph(SATURDAY, 15)) is False
    assert is_open(block, cph(SATURDAY, 19, 59)) is True
    assert is_open(block, cph(SATURDAY, 20)) is False
    # Same instants given in UTC (CEST is UTC+2).
    assert is_open(block, datetime(2024, 6, 3, 8, 0, tzinfo=UTC)) is True
    assert is_open(block, datetime(2024, 6, 3, 13, 0, tzinfo=UTC)) is False
    assert describe(block) == "Only daily 10:00–15:00, 16:00–20:00 Europe/Copenhagen time"


@pytest.mark.parametrize(
    ("day", "suggestion"),
    [("monday", "Monday"), ("MONDAY", "Monday"), ("Mon", "Monday"), ("Wensday", "Wednesday")],
)
def test_t4_day_names_must_be_capitalised_english(day: str, suggestion: str) -> None:
    """T4: lower-case, abbreviated or misspelt day names are refused with a suggestion."""
    err = refused(custom_block(**{day: [("10:00", "11:00")]}))
    assert err.path == f"timeframe.custom.{day}"
    assert f"unknown day '{day}'" in str(err)
    assert f"did you mean '{suggestion}'" in str(err)


def test_t4_unrecognisable_day_lists_the_valid_names() -> None:
    """T4: without a close match the message lists the day names."""
    err = refused(custom_block(Holiday=[("10:00", "11:00")]))
    assert "Monday, Tuesday" in str(err) and "Sunday" in str(err)


# --------------------------------------------------------------------------- T5


def test_t5_start_inclusive_end_exclusive() -> None:
    """T5: open from start inclusive to end exclusive."""
    block = repeat_block(("10:00", "15:00"))
    assert is_open(block, cph(MONDAY, 10)) is True
    assert is_open(block, cph(MONDAY, 9, 59, 59, 999_999)) is False
    assert is_open(block, cph(MONDAY, 14, 59, 59, 999_999)) is True
    assert is_open(block, cph(MONDAY, 15)) is False


def test_t5_end_of_day_24_00() -> None:
    """T5: 24:00 is allowed as an end and means the end of the day."""
    block = custom_block(Monday=[("20:00", "24:00")])
    validate(block)
    assert is_open(block, cph(MONDAY, 23, 59, 59, 999_999)) is True
    assert is_open(block, cph(MONDAY + timedelta(days=1), 0)) is False  # Tuesday 00:00
    whole_day = custom_block(Monday=[("00:00", "24:00")])
    assert is_open(whole_day, cph(MONDAY, 0)) is True
    assert is_open(whole_day, cph(MONDAY, 23, 59)) is True
    assert is_open(whole_day, cph(MONDAY - timedelta(days=1), 23, 59)) is False  # Sunday


def test_t5_24_00_is_not_a_start() -> None:
    """T5/T6: 24:00 is only allowed as an end."""
    err = refused(repeat_block(("24:00", "24:00")))
    assert err.path == "timeframe.repeat[0].start"


@pytest.mark.parametrize(("start", "end"), [("10:00", "09:00"), ("10:00", "10:00")])
def test_t5_end_must_be_after_start(start: str, end: str) -> None:
    """T5/T6: end ≤ start is refused with both times and the window's path."""
    block = custom_block(Monday=[("08:00", "09:00"), (start, end)])
    err = refused(block)
    assert err.path == "timeframe.custom.Monday[1]"
    assert str(err) == f"end {end} is not after start {start} at timeframe.custom.Monday[1]"
    assert is_open(block, cph(MONDAY, 8, 30)) is False  # T6: whole block closed


def test_t5_weekday_is_taken_in_the_block_timezone_from_another_zone() -> None:
    """T5: an instant given in Melbourne is converted to the block's timezone first; the
    local weekday can differ (Monday 05:00 Melbourne is Sunday 21:00 Copenhagen)."""
    at = datetime(2024, 6, 3, 5, 0, tzinfo=MEL)  # Monday in Melbourne
    assert at.astimezone(CPH).strftime("%A %H:%M") == "Sunday 21:00"
    sunday_evening = custom_block(Sunday=[("20:00", "22:00")])
    monday_morning = custom_block(Monday=[("00:00", "24:00")])
    assert is_open(sunday_evening, at) is True
    assert is_open(monday_morning, at) is False
    # And the other way: a Melbourne block evaluated with a Copenhagen instant.
    mel_block = custom_block(tz="Australia/Melbourne", Tuesday=[("06:00", "07:00")])
    assert is_open(mel_block, cph(MONDAY, 22, 30)) is True  # Tuesday 06:30 in Melbourne
    assert is_open(mel_block, cph(MONDAY, 6, 30)) is False  # Monday 14:30 in Melbourne


def test_t5_dst_spring_forward_day_in_copenhagen() -> None:
    """T5: on 2024-03-31 Copenhagen jumps 02:00 CET -> 03:00 CEST; windows follow local time."""
    day = custom_block(Sunday=[("01:00", "02:00"), ("03:00", "04:00")])
    # 00:30 UTC = 01:30 CET (before the change)
    assert is_open(day, datetime(2024, 3, 31, 0, 30, tzinfo=UTC)) is True
    # 01:00 UTC = 03:00 CEST (the local 02:00–03:00 hour does not exist)
    assert is_open(day, datetime(2024, 3, 31, 1, 0, tzinfo=UTC)) is True
    # 02:00 UTC = 04:00 CEST -> end exclusive
    assert is_open(day, datetime(2024, 3, 31, 2, 0, tzinfo=UTC)) is False
    # A window inside the skipped hour never opens.
    gap = custom_block(Sunday=[("02:00", "03:00")])
    instants = [datetime(2024, 3, 30, 22, tzinfo=UTC) + timedelta(minutes=m) for m in range(360)]
    assert not any(is_open(gap, t) for t in instants)
    # Local 09:00–10:00 is 08:00–09:00 UTC before the change, 07:00–08:00 UTC after it.
    nine = repeat_block(("09:00", "10:00"))
    assert is_open(nine, datetime(2024, 3, 30, 8, 0, tzinfo=UTC)) is True
    assert is_open(nine, datetime(2024, 3, 31, 7, 0, tzinfo=UTC)) is True
    assert is_open(nine, datetime(2024, 3, 31, 8, 0, tzinfo=UTC)) is False


def test_t5_dst_fall_back_day_in_copenhagen() -> None:
    """T5: on 2024-10-27 Copenhagen repeats 02:00–03:00 (CEST then CET); both are open."""
    block = custom_block(Sunday=[("02:00", "03:00")])
    assert is_open(block, datetime(2024, 10, 26, 23, 59, tzinfo=UTC)) is False  # 01:59 CEST
    assert is_open(block, datetime(2024, 10, 27, 0, 30, tzinfo=UTC)) is True  # 02:30 CEST
    assert is_open(block, datetime(2024, 10, 27, 1, 30, tzinfo=UTC)) is True  # 02:30 CET
    assert is_open(block, datetime(2024, 10, 27, 2, 0, tzinfo=UTC)) is False  # 03:00 CET
    # Local 09:00–10:00 is 07:00 UTC on the Saturday (CEST) and 08:00 UTC on the Sunday (CET).
    nine = repeat_block(("09:00", "10:00"))
    assert is_open(nine, datetime(2024, 10, 26, 7, 0, tzinfo=UTC)) is True
    assert is_open(nine, datetime(2024, 10, 27, 7, 0, tzinfo=UTC)) is False
    assert is_open(nine, datetime(2024, 10, 27, 8, 0, tzinfo=UTC)) is True


def test_t5_naive_datetime_is_a_programming_error() -> None:
    """T5: 'now' must be an aware instant; a naive one raises rather than guessing."""
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(corrected_example(), datetime(2024, 6, 3, 10, 0))
    with pytest.raises(ValueError):
        is_open(None, datetime(2024, 6, 3, 10, 0))


# --------------------------------------------------------------------------- T6


@pytest.mark.parametrize(
    "bad", ["25:00", "9:00", "09:60", "0900", "09:00:00", " 09:00", "", "noon", "٠٩:٠٠"]
)
def test_t6_bad_time_is_refused(bad: str) -> None:
    """T6: a bad time is refused naming the value and path."""
    block = repeat_block((bad, "23:00"))
    err = refused(block)
    assert err.path == "timeframe.repeat[0].start"
    assert str(err) == (
        f"bad time {bad!r} at timeframe.repeat[0].start: use HH:MM (00:00–23:59, end may be 24:00)"
    )
    assert is_open(block, cph(MONDAY, 12)) is False


def test_t6_bad_end_time_path() -> None:
    """T6: the path points at the end of the right window."""
    err = refused(custom_block(Friday=[("09:00", "10:00"), ("11:00", "24:01")]))
    assert err.path == "timeframe.custom.Friday[1].end"
    assert "'24:01'" in str(err)


def test_t6_unknown_timezone() -> None:
    """T6: an unknown timezone is refused, with a suggestion when one is close."""
    err = refused(repeat_block(("09:00", "10:00"), tz="Mars/Olympus"))
    assert err.path == "timezone"
    assert str(err) == "unknown timezone 'Mars/Olympus'"
    err = refused(repeat_block(("09:00", "10:00"), tz="europe/copenhagen"))
    assert "did you mean 'Europe/Copenhagen'" in str(err)
    for tz in ("", "Europe", "../etc/passwd", "/etc/localtime", "localtime", "a\x00b", "x" * 300):
        block = repeat_block(("00:00", "24:00"), tz=tz)
        assert refused(block).path == "timezone"
        assert is_open(block, cph(MONDAY, 12)) is False


def test_t6_other_timezones_are_fine() -> None:
    """T6: UTC and any IANA Area/City name are accepted."""
    for tz in ("UTC", "Australia/Melbourne", "America/Argentina/Buenos_Aires", "Asia/Kolkata"):
        validate(repeat_block(("09:00", "10:00"), tz=tz))


@pytest.mark.parametrize(
    ("block", "path", "words"),
    [
        ([], "", "must be an object or null"),
        ("{}", "", "must be an object or null"),
        ({"timezone": 5, "timeframe": {}}, "timezone", "must be a string"),
        ({"timezone": "UTC", "timeframe": []}, "timeframe", "must be an object"),
        ({"timezone": "UTC", "timeframe": {"repeat": {}}}, "timeframe.repeat", "must be a list"),
        ({"timezone": "UTC", "timeframe": {"repeat": ["09:00"]}}, "timeframe.repeat[0]", "object"),
        (
            {"timezone": "UTC", "timeframe": {"repeat": [{"start": "09:00"}]}},
            "timeframe.repeat[0].end",
            "'end' is required",
        ),
        (
            {"timezone": "UTC", "timeframe": {"repeat": [{"start": 900, "end": "10:00"}]}},
            "timeframe.repeat[0].start",
            "must be a string",
        ),
        ({"timezone": "UTC", "timeframe": {"custom": []}}, "timeframe.custom", "keyed by day"),
        (
            {"timezone": "UTC", "timeframe": {"custom": {"Monday": {"start": "09:00"}}}},
            "timeframe.custom.Monday",
            "must be a list",
        ),
    ],
)
def test_t6_wrong_types_are_refused(block: object, path: str, words: str) -> None:
    """T6: wrong JSON types are refused with the path and the problem in words."""
    err = refused(block)
    assert err.path == path
    assert words in str(err)


def test_t6_unknown_keys_are_refused() -> None:
    """T6: unknown keys (top level, timeframe, window) are refused so typos are not silent."""
    err = refused({"timezon": "UTC", "timeframe": {"repeat": [{"start": "09:00", "end": "10:00"}]}})
    assert err.path == "timezon"
    assert "did you mean 'timezone'" in str(err)
    err = refused({"timezone": "UTC", "timeframe": {"weekly": []}})
    assert err.path == "timeframe.weekly"
    assert "'repeat', 'custom'" in str(err)
    err = refused(
        {"timezone": "UTC", "timeframe": {"repeat": [{"start": "09:00", "end": "10:00", "x": 1}]}}
    )
    assert err.path == "timeframe.repeat[0].x"


def test_t6_error_is_a_value_error_with_path() -> None:
    """T6: TimeframeError is a ValueError carrying a path."""
    err = refused(seed_example())
    assert isinstance(err, ValueError)
    assert err.path == "timeframe.custom.Staturday"


def test_t6_validate_does_not_mutate_the_block() -> None:
    """T6: a bad block arriving by sync is kept as received."""
    block = seed_example()
    before = copy.deepcopy(block)
    problems(block)
    is_open(block, cph(MONDAY, 10))
    describe(block)
    assert block == before


# --------------------------------------------------------------------------- describe


def test_describe_groups_consecutive_days_with_identical_windows() -> None:
    """T4: the UI sentence groups consecutive days with the same windows."""
    weekday = [("16:00", "20:00"), ("10:00", "15:00")]  # order does not matter
    block = custom_block(
        Monday=weekday,
        Tuesday=weekday,
        Wednesday=weekday,
        Thursday=weekday,
        Friday=weekday,
    )
    assert describe(block) == "Only Mon–Fri 10:00–15:00, 16:00–20:00 Europe/Copenhagen time"
    block["timeframe"]["custom"]["Saturday"] = [{"start": "10:00", "end": "14:00"}]
    block["timeframe"]["custom"]["Sunday"] = [{"start": "10:00", "end": "14:00"}]
    assert describe(block) == (
        "Only Mon–Fri 10:00–15:00, 16:00–20:00; Sat–Sun 10:00–14:00 Europe/Copenhagen time"
    )
    del block["timeframe"]["custom"]["Wednesday"]
    assert describe(block) == (
        "Only Mon–Tue 10:00–15:00, 16:00–20:00; Thu–Fri 10:00–15:00, 16:00–20:00; "
        "Sat–Sun 10:00–14:00 Europe/Copenhagen time"
    )


def test_describe_repeat_and_single_day() -> None:
    """T3/T5: repeat reads as daily; 24:00 is shown as is."""
    melbourne = repeat_block(("09:00", "17:00"), tz="Australia/Melbourne")
    assert describe(melbourne) == "Only daily 09:00–17:00 Australia/Melbourne time"
    assert describe(custom_block(Sunday=[("20:00", "24:00")])) == (
        "Only Sun 20:00–24:00 Europe/Copenhagen time"
    )


# --------------------------------------------------------------------------- properties

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["09:00", "24:00", "23:59", "00:00", "25:00", "UTC", "Europe/Copenhagen"])
)
_json = st.recursive(
    _json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
_times = st.sampled_from(["00:00", "09:00", "10:00", "15:00", "23:59", "24:00", "9:00", "25:00"])
_window = st.fixed_dictionaries({"start": _times, "end": _times}) | _json
_windows = st.lists(_window, max_size=3) | _json
_day_keys = st.sampled_from([*DAY_NAMES, "Staturday", "monday", "Mon"]) | st.text(max_size=8)
_timeframe = (
    st.fixed_dictionaries(
        {},
        optional={"repeat": _windows, "custom": st.dictionaries(_day_keys, _windows, max_size=4)},
    )
    | _json
)
_blocks = (
    st.fixed_dictionaries(
        {},
        optional={
            "disable": st.booleans() | _json,
            "timezone": st.sampled_from(
                ["Europe/Copenhagen", "Australia/Melbourne", "UTC", "Mars/Olympus", "Europe"]
            )
            | _json,
            "timeframe": _timeframe,
        },
    )
    | _json
)
_instants = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, CPH, MEL, ZoneInfo("America/New_York")]),
)


@settings(max_examples=400, deadline=None)
@given(block=_blocks, at=_instants)
def test_t6_is_open_never_raises_for_any_json_block(block: object, at: datetime) -> None:
    """T6: evaluation of any JSON-ish block never raises; invalid means closed."""
    result = is_open(block, at)
    assert isinstance(result, bool)
    problem = problems(block)
    assert problem is None or isinstance(problem, str)
    if problem is not None:
        assert result is False
        with pytest.raises(TimeframeError):
            validate(block)
    else:
        validate(block)
    assert isinstance(describe(block), str)


@settings(max_examples=200, deadline=None)
@given(
    start=st.integers(min_value=0, max_value=24 * 60 - 1),
    length=st.integers(min_value=1, max_value=24 * 60),
    at=_instants,
)
def test_t5_repeat_window_matches_local_clock(start: int, length: int, at: datetime) -> None:
    """T5: a repeat window is open exactly when the local clock is in [start, end)."""
    end = min(start + length, 24 * 60)
    fmt = f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"
    block = repeat_block(fmt)
    local = at.astimezone(CPH)
    minute = local.hour * 60 + local.minute
    assert is_open(block, at) is (start <= minute < end)


@st.composite
def _valid_custom(draw: st.DrawFn) -> dict[str, list[tuple[int, int]]]:
    days: dict[str, list[tuple[int, int]]] = {}
    for day in draw(st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=7, unique=True)):
        windows = []
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            start = draw(st.integers(min_value=0, max_value=24 * 60 - 1))
            end = draw(st.integers(min_value=start + 1, max_value=24 * 60))
            windows.append((start, end))
        days[day] = windows
    return days


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@settings(max_examples=200, deadline=None)
@given(days=_valid_custom(), at=_instants, tz=st.sampled_from(["Europe/Copenhagen", "UTC"]))
def test_t4_t5_custom_matches_local_weekday_and_clock(
    days: dict[str, list[tuple[int, int]]], at: datetime, tz: str
) -> None:
    """T4/T5: a valid custom block is open exactly when the local weekday has a window
    containing the local clock."""
    block = custom_block(
        tz=tz, **{d: [(_hhmm(s), _hhmm(e)) for s, e in w] for d, w in days.items()}
    )
    validate(block)
    local = at.astimezone(ZoneInfo(tz))
    minute = local.hour * 60 + local.minute
    expected = any(s <= minute < e for s, e in days.get(DAY_NAMES[local.weekday()], []))
    assert is_open(block, at) is expected
