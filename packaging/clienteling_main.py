"""The packaged app's entry point: ``clienteling --smoke-test`` checks the build on this
machine (clienteling/smoke.py); anything else is the ``clienteling`` command as installed
from the wheel (clienteling/cli.py)."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    if sys.argv[1:] == ["--smoke-test"]:
        from clienteling.smoke import main
    else:
        from clienteling.cli import main
    sys.exit(main())
