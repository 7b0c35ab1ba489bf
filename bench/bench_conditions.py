"""Benchmark JsonLogic claim conditions: our compiled evaluator vs panzi-json-logic.

Run: ``python bench/bench_conditions.py [--number N]``

Times typical claim conditions against a 10-key profile dict on one core with ``timeit``,
prints µs per evaluation and evaluations per second for each implementation, reports how
many of the 278 cases of the official JsonLogic suite (``shared/reference/
jsonlogic-tests.json`` beside the repository) each passes, and ends with one JSON line:
``{"ours_us": ..., "panzi_us": ..., "ours_evals_per_sec": ..., ...}``. SPEC §8 asks for at
least 200,000 claim condition evaluations per second.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from clienteling.engine.conditions import compile_rule, evaluate  # noqa: E402

SUITE_PATH = REPO_ROOT.parent / "shared" / "reference" / "jsonlogic-tests.json"

PROFILE: dict[str, Any] = {
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

CONDITIONS: dict[str, Any] = {
    "gender_and_tier": {
        "and": [
            {"===": ["female", {"var": "gender"}]},
            {"in": [{"var": "tier"}, ["gold", "platinum"]]},
        ]
    },
    "tier_shorthand": {"==": [{"var": "tier"}, "gold"]},
    "adult_vip": {"and": [{">=": [{"var": "age"}, 18]}, {"==": [{"var": "attributes.vip"}, True]}]},
    "store_or_no_email": {"or": [{"in": ["MEL01", {"var": "attributes.stores"}]}, {"!": {"var": "email"}}]},
    "age_between": {"<=": [18, {"var": "age"}, 65]},
}


def js_same(actual: Any, expected: Any) -> bool:
    """Strict equality as the suite means it: ``True`` is not ``1``, but ``2.0`` is ``2``."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, (int, float)) and isinstance(expected, (int, float)):
        return bool(actual == expected or (math.isnan(actual) and math.isnan(expected)))
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(
            js_same(a, e) for a, e in zip(actual, expected, strict=True)
        )
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(js_same(actual[k], expected[k]) for k in actual)
    return type(actual) is type(expected) and actual == expected


def load_suite() -> list[tuple[Any, Any, Any]]:
    if not SUITE_PATH.is_file():
        return []
    entries = json.loads(SUITE_PATH.read_text(encoding="utf-8"))
    return [(e[0], e[1], e[2]) for e in entries if not isinstance(e, str)]


def suite_passes(apply: Callable[[Any, Any], Any], suite: list[tuple[Any, Any, Any]]) -> int:
    passed = 0
    for rule, data, expected in suite:
        try:
            if js_same(apply(rule, data), expected):
                passed += 1
        except Exception:  # a crash is a failed case
            pass
    return passed


def time_per_eval(fn: Callable[[], Any], number: int, repeat: int = 5) -> float:
    """Best-of-``repeat`` seconds per call."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def load_panzi() -> Callable[[Any, Any], Any] | None:
    try:
        from json_logic import jsonLogic  # panzi-json-logic's import name
    except ImportError:
        return None
    return jsonLogic  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=100_000, help="calls per timing round")
    args = parser.parse_args(argv)
    number: int = args.number

    panzi = load_panzi()
    if panzi is None:
        print("panzi-json-logic is not importable (pip install panzi-json-logic); ours only")

    ours_times: list[float] = []
    panzi_times: list[float] = []
    print(f"{'condition':<20} {'ours µs':>9} {'ours evals/s':>13} {'panzi µs':>9} {'ratio':>6}")
    for name, rule in CONDITIONS.items():
        compiled = compile_rule(rule)
        ours = time_per_eval(lambda c=compiled: c(PROFILE), number)
        ours_times.append(ours)
        line = f"{name:<20} {ours * 1e6:>9.3f} {1 / ours:>13,.0f}"
        if panzi is not None:
            if bool(panzi(rule, PROFILE)) != bool(compiled(PROFILE)):
                print(f"  note: results differ for {name}")
            theirs = time_per_eval(lambda r=rule, p=panzi: p(r, PROFILE), max(number // 10, 1))
            panzi_times.append(theirs)
            line += f" {theirs * 1e6:>9.3f} {theirs / ours:>5.1f}x"
        print(line)

    ours_mean = sum(ours_times) / len(ours_times)
    typical = ours_times[0]
    uncompiled = time_per_eval(lambda: evaluate(CONDITIONS["gender_and_tier"], PROFILE), max(number // 10, 1))
    print(f"ours, evaluate() with cache lookup (gender_and_tier): {uncompiled * 1e6:.3f} µs")

    suite = load_suite()
    ours_suite = suite_passes(evaluate, suite)
    print(f"suite: ours passes {ours_suite}/{len(suite)}")
    panzi_suite: int | None = None
    panzi_mean: float | None = None
    if panzi is not None:
        panzi_suite = suite_passes(panzi, suite)
        panzi_mean = sum(panzi_times) / len(panzi_times)
        print(f"suite: panzi-json-logic passes {panzi_suite}/{len(suite)}")
        strict = panzi({"===": [True, 1]}, None)
        print(f'panzi-json-logic {{"===": [true, 1]}} -> {strict!r} (json-logic-js: false)')

    summary = {
        "ours_us": round(typical * 1e6, 3),
        "panzi_us": round(panzi_times[0] * 1e6, 3) if panzi_times else None,
        "ours_evals_per_sec": round(1 / typical),
        "ours_mean_us": round(ours_mean * 1e6, 3),
        "panzi_mean_us": round(panzi_mean * 1e6, 3) if panzi_mean is not None else None,
        "ours_evaluate_uncompiled_us": round(uncompiled * 1e6, 3),
        "ours_suite_passed": ours_suite,
        "panzi_suite_passed": panzi_suite,
        "suite_cases": len(suite),
        "profile_keys": len(PROFILE),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
