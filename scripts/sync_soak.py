"""The long run of issue 8's must-show 3: three tills, a real hub and a fault-injecting proxy.

    PYTHONPATH=$PWD python scripts/sync_soak.py --changes 20000 [--seed 8] [--profiles 900]

The same scenario as ``tests/sync/test_convergence_faults.py`` (which runs 2,000 changes in
CI): the tills redeem, claim, issue and edit locally while syncing through the proxy, then
sync without faults until quiet; the run fails (exit 1, with the assertion) unless every
change was applied on the hub exactly once or refused into Conflicts, no limit was broken
and all four digests are equal. Prints the proxy's fault counts and the accounting.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hub.conftest import LiveHub, serve
from tests.sync.soak import run_soak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sync_soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--profiles", type=int, default=900,
                        help="customers on the hub, split between the three tills")
    parser.add_argument("--seconds", type=float, default=3600,
                        help="give up when the tills' work takes longer than this")
    args = parser.parse_args(argv)
    if args.changes < 3 or args.profiles < 3:
        parser.error("--changes and --profiles must be at least 3")
    started: list[LiveHub] = []

    def start(url: str) -> LiveHub:
        live = serve(url)
        started.append(live)
        return live

    with tempfile.TemporaryDirectory(prefix="sync-soak-") as folder:
        try:
            result = run_soak(Path(folder), changes=args.changes, seed=args.seed,
                              profiles=args.profiles, serve=start, seconds=args.seconds)
        except AssertionError as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 1
        finally:
            for live in started:
                live.stop()
    acc = result.accounting
    print(json.dumps({
        "changes": acc.changes, "applied_once": acc.applied, "refused": acc.refused,
        "parked": acc.parked, "conflict_codes": dict(acc.conflict_codes),
        "proxy": dict(result.proxy_counts), "settle_rounds": result.settle_rounds,
        "shared_benefit": {"redeemed": result.shared[0], "global_count": result.shared[1]},
        "digests_equal": result.digests_equal, "verified": result.verified,
        "seconds": round(result.seconds, 1),
    }, indent=2))
    return 0 if result.digests_equal and all(result.verified) else 1


if __name__ == "__main__":
    sys.exit(main())
