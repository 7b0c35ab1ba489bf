"""SIGKILL soak on a till file (SPEC §9, issue 9): kill the till process at random points of
its work N times (default 500) and check the file after each kill (see
tests/reliability/sigkill.py). CI runs 30 of these in tests/reliability/test_sigkill.py.

    PYTHONPATH=$PWD python scripts/sigkill_soak.py [--kills N] [--seed S] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability.sigkill import check, kill_once, prepare


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", help="folder for the till file (default: a temporary one)")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="sigkill-"))
    folder.mkdir(parents=True, exist_ok=True)
    till = prepare(folder / "till.db")
    rng = random.Random(args.seed)
    started, reported = time.monotonic(), 0
    rows: dict[str, int] = {}
    for kill in range(1, args.kills + 1):
        reported += kill_once(till, rng)
        rows = check(till)
        if kill % 25 == 0 or kill == args.kills:
            print(f"{kill} kills, {reported} changes reported, rows {rows}, "
                  f"{time.monotonic() - started:.0f} s", flush=True)
    print(f"OK: {args.kills} SIGKILLs, the till file is whole ({till.path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
