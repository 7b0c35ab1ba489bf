"""``clienteling connect`` as a person runs it (a separate process, a real hub on loopback):
it checks before saving, says a wrong URL or token in one line, saves URL and token when the
hub takes them, and reconnects a till with a new token without losing waiting changes; then
``clienteling sync`` uses the saved connection (SPEC §6 "Connecting a till", issue 16)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from clienteling.engine.clock import FixedClock
from clienteling.engine.services import Clienteling
from tests.conftest import REPO, T0
from tests.sync.conftest import SyncWorld, closed_port
from tests.sync.not_a_hub import web_server
from tests.sync.support import stock


class Cli:
    """The command with its own config folder (where the token file goes) and no keyring."""

    def __init__(self, tmp: Path) -> None:
        self.config = tmp / "config"
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CONFIG_HOME": str(self.config),
                    "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "clienteling.cli", *args], env=self.env,
                              capture_output=True, text=True, timeout=120, cwd=REPO)

    @property
    def tokens(self) -> Path:
        return self.config / "Clienteling" / "hub-tokens.json"

    def saved_tokens(self) -> dict[str, str]:
        return json.loads(self.tokens.read_text()) if self.tokens.exists() else {}


def hub_url_of(till: Path) -> str | None:
    with Clienteling.open(str(till), mode="till") as cl:
        return cl.sync_state.hub_url()


def test_a_wrong_url_or_token_is_one_line_and_saves_nothing(sync_world: SyncWorld,
                                                             tmp_path: Path) -> None:
    sw, cli = sync_world, Cli(tmp_path)
    till = tmp_path / "till.db"
    with web_server(404) as shop_site:
        cases = {
            "--hub": [closed_port(), "nothing answers at"],
            "--hub ": [shop_site, "not a Clienteling hub"],
            "--token": [sw.url, "refused this token: it is wrong or was revoked"],
            "--token ": [sw.url, "en dash"],
        }
        tokens = {"--token": "clt_nope_nope", "--token ": sw.world.token.replace("_", "\u2013")}
        for option, (url, words) in cases.items():
            done = cli("connect", "--db", str(till), "--hub", url,
                       "--token", tokens.get(option, sw.world.token))
            assert done.returncode == 2, (option, done.stdout, done.stderr)
            line = done.stderr.strip()
            assert len(line.splitlines()) == 1, line
            assert line.startswith(f"clienteling: {option.strip()}: ") and words in line, line
    assert not till.exists() and cli.saved_tokens() == {}


def test_connect_saves_then_sync_uses_it(sync_world: SyncWorld, tmp_path: Path) -> None:
    sw, cli = sync_world, Cli(tmp_path)
    stock(sw)
    till = tmp_path / "till.db"
    done = cli("connect", "--db", str(till), "--hub", sw.url + "/", "--token", sw.world.token)
    assert done.returncode == 0, done.stderr
    assert "Till 1 (till) of Melbourne Central (Australia/Melbourne)" in done.stdout
    assert hub_url_of(till) == sw.url
    assert cli.saved_tokens() == {sw.url: sw.world.token}
    assert stat.S_IMODE(cli.tokens.stat().st_mode) == 0o600

    synced = cli("sync", "--db", str(till), "--verify")
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout.strip().splitlines()[-1])["verified"] is True


def test_reconnect_with_a_new_token_keeps_waiting_changes(sync_world: SyncWorld,
                                                          tmp_path: Path) -> None:
    sw, cli = sync_world, Cli(tmp_path)
    shop = stock(sw)
    till = tmp_path / "till.db"
    assert cli("connect", "--db", str(till), "--hub", sw.url, "--token",
               sw.world.token).returncode == 0
    assert cli("sync", "--db", str(till)).returncode == 0
    with Clienteling.open(str(till), mode="till", clock=FixedClock(T0)) as cl:
        ava = cl.staff.actor(sw.world.staff["associate"])
        cl.benefits.redeem(ava, shop.profile_ids[0], shop.benefit_ids[0])
    # The admin revokes the till's token: sync stops, the change waits.
    old = next(t for t in sw.hub.cl.devices.tokens() if t.name == "Till 1")
    sw.hub.cl.devices.revoke(None, old.id)
    stopped = cli("sync", "--db", str(till))
    assert stopped.returncode == 2 and "clienteling connect" in stopped.stderr, stopped.stderr

    # A token of ANOTHER store is refused for this till, which keeps its connection.
    other = cli("connect", "--db", str(till), "--hub", sw.url, "--token", sw.world.other_token)
    assert other.returncode == 2 and other.stderr.startswith("clienteling: --token: belongs to "
                                                             "a till of another store")
    assert cli.saved_tokens() == {sw.url: sw.world.token}

    new, _ = sw.hub.cl.devices.create_token(None, {"store_id": sw.world.store_id,
                                                   "name": "Till 1 again"})
    done = cli("connect", "--db", str(till), "--hub", sw.url, "--token", new)
    assert done.returncode == 0, done.stderr
    assert "1 change waiting will be sent" in done.stdout
    synced = cli("sync", "--db", str(till), "--verify")
    assert synced.returncode == 0, synced.stderr
    last = json.loads(synced.stdout.strip().splitlines()[-1])
    assert (last["pushed"], last["waiting"], last["verified"]) == (1, 0, True)


def test_sync_with_hub_and_token_saves_nothing(sync_world: SyncWorld, tmp_path: Path) -> None:
    sw, cli = sync_world, Cli(tmp_path)
    till = tmp_path / "till.db"
    done = cli("sync", "--db", str(till), "--hub", sw.url, "--token", sw.world.token)
    assert done.returncode == 0, done.stderr
    assert hub_url_of(till) is None and cli.saved_tokens() == {}
    again = cli("sync", "--db", str(till))
    assert again.returncode == 2 and "clienteling connect" in again.stderr
    assert "nothing is saved" in cli("sync", "--help").stdout
