"""JsonLogic claim condition evaluations per second on one core: ours and panzi-json-logic
(SPEC §8: at least 200,000; rule C4).

Typical claim conditions (what ``clienteling.bench.dataset_definitions`` gives the data set)
are evaluated against the data a claim check evaluates them on (``condition_data``'s keys)
in a loop on this one thread. Ours is timed as the claim check uses it, a rule compiled
once; panzi-json-logic (the best-kept pure-Python JsonLogic on PyPI) interprets the rule on
each call, as it is meant to be used. The official test suite's agreement is a test
(``tests/engine``), not a number here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from clienteling.bench.run import BenchRun
from clienteling.engine.conditions import compile_rule

#: The data ``condition_data`` gives a rule for one profile.
PROFILE: dict[str, Any] = {
    "id": "9c0e4d53-4a36-4c55-9f6e-2f8f3f5a8f11",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "mobile_phone": "0412 345 678",
    "gender": "female",
    "birth_date": "1990-02-03",
    "age": 35,
    "tier": "gold",
    "join_date": "2019-05-01",
    "home_store_id": "5d2b8c1e-0f7a-4a4e-9a53-1c2d3e4f5a6b",
    "attributes": {"favourite_category": "denim", "vip": True, "stores": ["MEL01", "SYD02"]},
}

#: Typical claim conditions: one to three tests on the profile.
CONDITIONS: tuple[Any, ...] = (
    {"and": [{"===": ["female", {"var": "gender"}]}, {"in": [{"var": "tier"}, ["gold", "platinum"]]}]},
    {"==": [{"var": "tier"}, "gold"]},
    {"and": [{">=": [{"var": "age"}, 18]}, {"<": [{"var": "age"}, 35]}]},
    {"==": [{"var": "attributes.favourite_category"}, "denim"]},
    {"or": [{"in": ["MEL01", {"var": "attributes.stores"}]}, {"!": {"var": "email"}}]},
    {"<=": [18, {"var": "age"}, 65]},
    {"<": [{"var": "join_date"}, "2020-01-01"]},
)


def rounds_for(scale: int) -> int:
    """Passes over every condition per timing: enough for a steady number, less on small sets."""
    return 20_000 if scale >= 100_000 else 4_000


def evals_per_second(apply: Callable[[Any], object], rules: list[Any], rounds: int) -> float:
    """Best of three timings of ``rounds`` passes over ``rules`` (the least disturbed by other
    processes on a shared machine)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(rounds):
            for rule in rules:
                apply(rule)
        best = min(best, time.perf_counter() - started)
    return rounds * len(rules) / best


def _panzi() -> Callable[[Any, Any], Any] | None:
    try:
        from json_logic import jsonLogic  # type: ignore[import-untyped]  # panzi-json-logic
    except ImportError:
        return None
    return jsonLogic  # type: ignore[no-any-return]


def measure(run: BenchRun) -> dict[str, Any]:
    rounds = rounds_for(run.scale)
    compiled = [compile_rule(rule) for rule in CONDITIONS]
    run.progress("conditions: ours (compiled once, as the claim check uses them)")
    data = PROFILE
    ours = evals_per_second(lambda c: c(data), compiled, rounds)
    out: dict[str, Any] = {"condition_evals_per_s": round(ours), "panzi_evals_per_s": None}
    panzi = _panzi()
    if panzi is None:
        run.skipped["panzi_evals_per_s"] = "panzi-json-logic is not installed (pip install panzi-json-logic)"
        return out
    for rule, ours_rule in zip(CONDITIONS, compiled, strict=True):
        if bool(panzi(rule, data)) != bool(ours_rule(data)):
            raise RuntimeError(f"ours and panzi-json-logic disagree on {rule}")
    run.progress("conditions: panzi-json-logic")
    out["panzi_evals_per_s"] = round(evals_per_second(lambda r: panzi(r, data), list(CONDITIONS),
                                                      max(rounds // 10, 1)))
    return out
