"""``clienteling hub …``: init (twice), store add, staff add, token create, serve — each prints
the new id or token as its last line; errors are one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from clienteling.hub import cli
from tests.hub.conftest import truncate


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Through ``register`` on a parser of our own, as the top-level ``clienteling`` does."""
    parser = argparse.ArgumentParser(prog="clienteling")
    cli.register(parser.add_subparsers(dest="command"))
    try:
        args = parser.parse_args(list(argv))
        code = int(args.func(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


@pytest.fixture(params=["sqlite", "postgres"])
def cli_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "hub.db")
    url: str = request.getfixturevalue("pg_database")
    truncate(url)
    return url


def test_init_store_staff_token_each_print_the_new_id_last(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):  # init is safe to repeat
        code, out, err = run(capsys, "hub", "init", "--db", cli_db)
        assert code == 0 and not err and "ready" in out
    code, out, _ = run(capsys, "hub", "store", "add", "--db", cli_db, "--name", "Melbourne",
                       "--timezone", "Australia/Melbourne")
    store = last_line(out)
    assert code == 0 and len(store) == 36
    code, out, _ = run(capsys, "hub", "staff", "add", "--db", cli_db, "--username", "ada",
                       "--name", "Ada", "--role", "admin", "--pin", "905238", "--store", store)
    staff = last_line(out)
    assert code == 0 and len(staff) == 36
    code, out, _ = run(capsys, "hub", "token", "create", "--db", cli_db, "--store", store,
                       "--name", "Till 1")
    till_token = last_line(out)
    assert code == 0 and till_token.startswith("clt_") and "for till 'Till 1'" in out
    # An admin acts only on a device enrolled with the admin capability (issue 9).
    code, out, _ = run(capsys, "hub", "token", "create", "--db", cli_db, "--store", store,
                       "--name", "Back office", "--admin")
    token = last_line(out)
    assert code == 0 and token.startswith("clt_") and "for admin device 'Back office'" in out

    from tests.hub.conftest import serve

    live = serve(cli_db if "://" in cli_db else f"sqlite:///{cli_db}")
    try:
        client = live.client(token, staff)
        assert client.get("/staff").json()["data"][0]["username"] == "ada"
        assert client.post("/profiles", json={"first_name": "A", "last_name": "B"}).status_code == 201
        assert live.client("clt_" + token[4:-1] + "x").get("/staff").status_code == 401
        at_till = live.client(till_token, staff).post("/profiles", json={"first_name": "A"})
        assert at_till.status_code == 403 and at_till.json()["code"] == "admin_device_required"
    finally:
        live.stop()

    code, out, _ = run(capsys, "hub", "token", "list", "--db", cli_db)
    [token_id] = [line.split()[0] for line in out.splitlines() if "Back office" in line]
    assert code == 0 and "active" in out and token not in out  # the secret is never shown again
    assert any("admin" in line for line in out.splitlines() if "Back office" in line)
    code, out, _ = run(capsys, "hub", "token", "revoke", "--db", cli_db, "--id", token_id)
    assert code == 0 and last_line(out) == token_id
    live = serve(cli_db if "://" in cli_db else f"sqlite:///{cli_db}")
    try:
        assert live.client(token, staff).get("/staff").status_code == 401
    finally:
        live.stop()
    code, _, err = run(capsys, "hub", "token", "revoke", "--db", cli_db, "--id", "no-such-token")
    assert code == 2 and "no-such-token" in err


def test_errors_are_one_line_on_stderr_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "hub.db")
    run(capsys, "hub", "init", "--db", db)
    cases = [
        ("hub", "store", "add", "--db", db, "--name", "X", "--timezone", "Mars/Olympus"),
        ("hub", "staff", "add", "--db", db, "--username", "bo", "--name", "Bo", "--role",
         "manager", "--pin", "12", "--store", "nowhere"),
        ("hub", "staff", "add", "--db", db, "--username", "bo", "--name", "Bo", "--role", "boss",
         "--pin", "1234", "--store", "x"),
        ("hub", "token", "create", "--db", db, "--store", "nowhere", "--name", "T"),
        ("hub", "init", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none"),
        ("hub", "init", "--db", "notadb://x"),
        ("hub", "store", "add", "--db", db),
        ("hub",),
        ("hub", "store"),
    ]
    monkeypatch.delenv(cli.ENV_DB, raising=False)
    cases.append(("hub", "init"))
    for argv in cases:
        code, out, err = run(capsys, *argv)
        assert code == 2, (argv, out, err)
        assert len(err.strip().splitlines()) == 1 and "error" in err, (argv, err)
        assert "Traceback" not in err + out
    code, _, err = run(capsys, "hub", "store", "add", "--db", db, "--name", "X", "--timezone",
                       "Mars/Olympus")
    assert "timezone" in err and "Mars/Olympus" in err


def test_staff_pins_follow_the_policy_by_role(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 9: a manager's (and an admin's) PIN has 6 to 8 digits, an associate's 4 to 8."""
    db = str(tmp_path / "hub.db")
    run(capsys, "hub", "init", "--db", db)
    _, out, _ = run(capsys, "hub", "store", "add", "--db", db, "--name", "X", "--timezone",
                    "Australia/Melbourne")
    store = last_line(out)
    code, _, err = run(capsys, "hub", "staff", "add", "--db", db, "--username", "max", "--name",
                       "Max", "--role", "manager", "--pin", "7314", "--store", store)
    assert code == 2 and "--pin: must be 6 to 8 digits for a manager" in err
    code, out, _ = run(capsys, "hub", "staff", "add", "--db", db, "--username", "ava", "--name",
                       "Ava", "--role", "associate", "--pin", "4821", "--store", store)
    assert code == 0
    ava = last_line(out)
    code, _, err = run(capsys, "hub", "staff", "pin", "--db", db, "--id", ava, "--pin", "12")
    assert code == 2 and "--pin: must be 4 to 8 digits for an associate" in err
    code, out, _ = run(capsys, "hub", "staff", "pin", "--db", db, "--id", ava, "--pin", "5821")
    assert code == 0 and last_line(out) == ava
    code, out, _ = run(capsys, "hub", "staff", "deactivate", "--db", db, "--id", ava)
    assert code == 0 and last_line(out) == ava


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_runs_the_hub_with_uvicorn(tmp_path: Path) -> None:
    db = str(tmp_path / "hub.db")
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    main = [sys.executable, "-m", "clienteling.hub.cli", "hub"]
    subprocess.run([*main, "init", "--db", db], check=True, capture_output=True, env=env)
    proc = subprocess.Popen([*main, "serve", "--db", db, "--port", str(port), "--log-level",
                             "warning"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v3/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the hub did not come up"
                time.sleep(0.1)
        assert response.status_code == 200 and response.json()["data"]["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/api/v3/profiles").status_code == 401
    finally:
        proc.terminate()
        proc.wait(10)
    # Port in use: one line, exit code 2.
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        result = subprocess.run([*main, "serve", "--db", db, "--port", str(taken), "--log-level",
                                 "critical"], capture_output=True, text=True, env=env, timeout=30)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("clienteling hub: error:")
