"""``clienteling --smoke-test`` (the packaged app) and ``python -m clienteling.smoke``: does this
build start on this machine?

Offscreen, on a fresh demo database in a temporary folder (nothing of the user's is read or
written): the main window with its style sheet and icons, signing in, opening Jane Citizen by
her card, the About dialog. Exit 0 when all of it worked; otherwise one line naming the step
and the reason, exit 2 for a missing system library and 1 for anything else.

Qt-free until the system libraries are checked, so a missing one is named rather than
aborting the process.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from clienteling import __version__
from clienteling.platform_libraries import check


def main() -> int:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    missing = check()
    if missing is not None:
        print(f"smoke test failed: {missing.message}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="clienteling-smoke-") as folder:
        # The log goes to the temporary folder too: a smoke test leaves nothing behind.
        os.environ["CLIENTELING_LOG_DIR"] = str(Path(folder) / "logs")
        from clienteling.ui.smoke import SmokeFailed, exercise

        try:
            for line in exercise(Path(folder) / "till.db"):
                print(f"smoke test: {line}", flush=True)
        except SmokeFailed as exc:
            print(f"smoke test failed: {exc}", file=sys.stderr)
            return 1
    print(f"smoke test passed: clienteling {__version__}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
