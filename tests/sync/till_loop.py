"""A till process for the SIGKILL test: ``python -m tests.sync.till_loop --db URL --hub URL
--token T [--cycles N]`` runs sync cycles like ``clienteling sync`` does, printing one line
when it starts a cycle and one per progress report, flushed, so the test knows the process is
pushing when it kills it.

Our own loop rather than the ``clienteling sync`` command: the test needs a line the moment
the cycle starts (after the imports, which take most of a process's first second) to time its
kill from, whatever progress the pusher reports.
"""

from __future__ import annotations

import argparse
import json
import sys

from clienteling.engine.services import Clienteling
from clienteling.sync.client import HubClient
from clienteling.sync.cycle import Progress, run_cycle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="till_loop")
    parser.add_argument("--db", required=True)
    parser.add_argument("--hub", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--cycles", type=int, default=1)
    args = parser.parse_args(argv)

    def progress(p: Progress) -> None:
        print(f"progress {p.phase} {p.done} {p.total}", flush=True)

    with Clienteling.open(args.db) as cl:
        client = HubClient(args.hub, args.token)
        try:
            for n in range(args.cycles):
                print(f"cycle {n}", flush=True)
                report = run_cycle(cl, client, progress=progress)
                print("report " + json.dumps({"pushed": report.pushed, "waiting": report.waiting,
                                              "error": report.error}), flush=True)
        finally:
            client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
