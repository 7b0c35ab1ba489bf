"""Start-up (SPEC §8): a till without a hub shows its window and runs its first sync cycle
(which finds no hub) without importing the sync stack — the cycle, the HTTP client (httpx),
the wire models (pydantic), the keyring. Run in a fresh interpreter, whose modules are the
app's alone. That the stack still loads and syncs once a hub is set is what the sync tests
(test_sync_cycles, test_sync_first_run, test_sync_connect) show."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: the checkout under test, first on the child's path (as PYTHONPATH puts it on ours)
ROOT = Path(__file__).resolve().parents[2]
SYNC_STACK = ("clienteling.sync.cycle", "clienteling.sync.client", "clienteling.sync.wire",
              "clienteling.sync.credentials", "httpx", "keyring", "pydantic")

SCRIPT = """
import json, sys
from PySide6.QtCore import QEventLoop, QTimer
from clienteling.ui.app import ensure_application
from clienteling.ui.main_window import MainWindow

app = ensure_application()
window = MainWindow.create(sys.argv[1])
window.show()
loop = QEventLoop()
window.sync.finished.connect(lambda _outcome: loop.quit())
deadline = QTimer(singleShot=True)
deadline.timeout.connect(loop.quit)
if window.sync.last is None:
    deadline.start(60_000)
    loop.exec()
outcome = window.sync.last
loaded = [name for name in json.loads(sys.argv[2]) if name in sys.modules]
print(json.dumps({"cycled": outcome is not None,
                  "hub": None if outcome is None else outcome.hub_url, "loaded": loaded}))
window.close()
"""


def test_a_till_without_a_hub_starts_and_cycles_without_the_sync_stack(
        demo_url: str, tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               CLIENTELING_LOG_DIR=str(tmp_path / "logs"),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-c", SCRIPT, demo_url, json.dumps(SYNC_STACK)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"cycled": True, "hub": None, "loaded": []}
