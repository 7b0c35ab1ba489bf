"""Issue 16: ``hub store list``, ``hub staff list [--store]``, ``hub token list`` and ``hub token
revoke`` through the real ``clienteling`` entry point, against a hub made by ``hub init`` /
``store add`` / ``staff add`` / ``token create`` on SQLite and PostgreSQL: an aligned table by
default, ``--json`` (one line, stable keys) for scripts, never a PIN hash or a token's secret;
bad input one line on stderr and exit code 2."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from clienteling.cli import main
from clienteling.hub.transfer.kinds import KINDS
from tests.hub.conftest import serve, truncate

STORE_KEYS = ["id", "name", "timezone"]
STAFF_KEYS = ["id", "username", "display_name", "role", "store_id", "active"]
TOKEN_KEYS = ["id", "name", "store_id", "admin", "created_at", "revoked"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 0 and not err, (argv, out, err)
    return out


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


@dataclass
class Chain:
    db: str
    melbourne: str
    sydney: str
    staff: dict[str, str]  # username -> id
    tokens: dict[str, tuple[str, str]]  # name -> (token id, secret)


def one_line_exit_2(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2, (argv, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in out + err, err
    return err


@pytest.fixture(params=["sqlite", "postgres"])
def chain(request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
          ) -> Chain:
    if request.param == "sqlite":
        db = str(tmp_path / "hub.db")
    else:
        db = request.getfixturevalue("pg_database")
        truncate(db)
    ok(capsys, "hub", "init", "--db", db)
    melbourne = last_line(ok(capsys, "hub", "store", "add", "--db", db, "--name",
                             "Melbourne Central", "--timezone", "Australia/Melbourne"))
    sydney = last_line(ok(capsys, "hub", "store", "add", "--db", db, "--name", "Sydney",
                          "--timezone", "Australia/Sydney"))
    staff = {}
    for username, name, role, pin, store in [
        ("ada", "Ada Admin", "admin", "905238", melbourne),
        ("max", "Max Manager", "manager", "731405", melbourne),
        ("ava", "Ava Associate", "associate", "4821", melbourne),
        ("syd", "Syd Associate", "associate", "5821", sydney),
    ]:
        staff[username] = last_line(ok(capsys, "hub", "staff", "add", "--db", db, "--username",
                                       username, "--name", name, "--role", role, "--pin", pin,
                                       "--store", store))
    ok(capsys, "hub", "staff", "deactivate", "--db", db, "--id", staff["syd"])
    tokens = {}
    for name, store, extra in [("Till 1", melbourne, ()), ("Back office", melbourne, ("--admin",)),
                               ("Sydney till", sydney, ())]:
        out = ok(capsys, "hub", "token", "create", "--db", db, "--store", store, "--name", name,
                 *extra)
        token_id = out.split()[2]  # "Device token <id> for …"
        tokens[name] = (token_id, last_line(out))
    return Chain(db, melbourne, sydney, staff, tokens)


def test_store_list(chain: Chain, capsys: pytest.CaptureFixture[str]) -> None:
    stores = json.loads(ok(capsys, "hub", "store", "list", "--db", chain.db, "--json"))
    assert stores == [
        {"id": chain.melbourne, "name": "Melbourne Central", "timezone": "Australia/Melbourne"},
        {"id": chain.sydney, "name": "Sydney", "timezone": "Australia/Sydney"},
    ]
    table = ok(capsys, "hub", "store", "list", "--db", chain.db).splitlines()
    assert table[0].split() == ["ID", "TIMEZONE", "NAME"]
    assert table[1].split(None, 2) == [chain.melbourne, "Australia/Melbourne", "Melbourne Central"]
    assert table[-1] == "2 stores"
    # aligned: every column starts where its header does
    assert table[1].index("Australia/Melbourne") == table[0].index("TIMEZONE")
    assert table[2].rindex("Sydney") == table[0].index("NAME") == table[1].index("Melbourne Central")


def test_staff_list_all_and_by_store(chain: Chain, capsys: pytest.CaptureFixture[str]) -> None:
    everyone = json.loads(ok(capsys, "hub", "staff", "list", "--db", chain.db, "--json"))
    assert all(list(member) == STAFF_KEYS for member in everyone)
    by_name = {m["username"]: m for m in everyone}
    assert set(by_name) == set(chain.staff)
    assert by_name["max"] == {"id": chain.staff["max"], "username": "max",
                              "display_name": "Max Manager", "role": "manager",
                              "store_id": chain.melbourne, "active": True}
    assert by_name["syd"]["active"] is False and by_name["syd"]["store_id"] == chain.sydney

    sydney = json.loads(ok(capsys, "hub", "staff", "list", "--db", chain.db, "--store",
                           chain.sydney, "--json"))
    assert [m["username"] for m in sydney] == ["syd"]
    melbourne = ok(capsys, "hub", "staff", "list", "--db", chain.db, "--store", chain.melbourne)
    lines = melbourne.splitlines()
    assert lines[0].split() == ["ID", "USERNAME", "ROLE", "STATE", "STORE", "NAME"]
    assert {line.split()[1] for line in lines[1:-1]} == {"ada", "max", "ava"}
    assert lines[-1] == "3 staff members"
    everyone_table = ok(capsys, "hub", "staff", "list", "--db", chain.db)
    [syd_line] = [line for line in everyone_table.splitlines() if " syd " in line]
    assert syd_line.split()[:5] == [chain.staff["syd"], "syd", "associate", "inactive",
                                    chain.sydney]
    for out in (json.dumps(everyone), everyone_table, melbourne):
        assert "argon2" not in out and "pin" not in out.lower()


def test_token_list_and_revoke(chain: Chain, capsys: pytest.CaptureFixture[str]) -> None:
    till_id, till_secret = chain.tokens["Till 1"]
    office_id, office_secret = chain.tokens["Back office"]
    tokens = json.loads(ok(capsys, "hub", "token", "list", "--db", chain.db, "--json"))
    assert all(list(token) == TOKEN_KEYS for token in tokens)
    by_name = {t["name"]: t for t in tokens}
    assert set(by_name) == set(chain.tokens)
    assert by_name["Back office"]["admin"] is True and by_name["Till 1"]["admin"] is False
    assert by_name["Sydney till"]["store_id"] == chain.sydney
    assert not any(t["revoked"] for t in tokens)
    assert by_name["Till 1"]["id"] == till_id
    assert by_name["Till 1"]["created_at"].endswith("+00:00")

    # A running hub that has verified the token refuses it from the next request on, with no
    # restart (docs/security.md; the verification is remembered, the row is read every time).
    live = serve(chain.db if "://" in chain.db else f"sqlite:///{chain.db}")
    try:
        till = live.client(till_secret)
        assert till.get("/staff").status_code == 200
        assert last_line(ok(capsys, "hub", "token", "revoke", "--db", chain.db, "--id",
                            till_id)) == till_id
        assert till.get("/staff").status_code == 401
        assert live.client(office_secret).get("/staff").status_code == 200
    finally:
        live.stop()
    tokens = json.loads(ok(capsys, "hub", "token", "list", "--db", chain.db, "--json"))
    assert {t["name"]: t["revoked"] for t in tokens} == {"Till 1": True, "Back office": False,
                                                          "Sydney till": False}
    table = ok(capsys, "hub", "token", "list", "--db", chain.db)
    lines = table.splitlines()
    assert lines[0].split() == ["ID", "STATE", "KIND", "STORE", "CREATED", "NAME"]
    rows = {line.split()[0]: line.split() for line in lines[1:-1]}
    assert rows[till_id][1:4] == ["revoked", "till", chain.melbourne]
    assert rows[office_id][1:3] == ["active", "admin"]
    assert lines[1].index(chain.melbourne) == lines[0].index("STORE")
    assert lines[-1] == "3 device tokens"
    for out in (table, json.dumps(tokens)):
        assert till_secret not in out and office_secret not in out
        assert "clt_" not in out and "argon2" not in out


def test_bad_input_is_one_line_and_exit_2(chain: Chain, capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    err = one_line_exit_2(capsys, "hub", "staff", "list", "--db", chain.db, "--store", "nowhere")
    assert "--store" in err and "nowhere" in err
    err = one_line_exit_2(capsys, "hub", "token", "revoke", "--db", chain.db, "--id", "no-such")
    assert "no-such" in err
    missing = tmp_path / "typo.db"
    for command in (("store", "list"), ("staff", "list"), ("token", "list"),
                    ("token", "revoke", "--id", "x")):
        err = one_line_exit_2(capsys, "hub", *command, "--db", str(missing))
        assert str(missing) in err and "no such database file" in err
    assert not missing.exists()  # a typo never creates an empty hub
    err = one_line_exit_2(capsys, "hub", "store", "list", "--db", "notadb://x")
    assert "notadb" in err


def test_hub_help_names_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(capsys, "hub", "--help")
    for command in ("init", "store add", "store list", "staff add", "staff pin",
                    "staff deactivate", "staff list", "token create", "token list",
                    "token revoke", "serve"):
        assert f"clienteling hub {command} " in out, command
    for group, commands in (("store", "add, list"), ("staff", "add, pin, deactivate, list"),
                            ("token", "create, list, revoke")):
        assert commands in out, group
    # import and export, with every kind they take (SPEC §7) and --format
    assert "clienteling hub import --db URL --kind KIND FILE [--format csv|jsonl]" in out
    assert "clienteling hub export --db URL --kind KIND --out FILE [--format csv|jsonl]" in out
    named = " ".join(out.split())
    assert [kind for kind in KINDS if f" {kind}," not in named and f" {kind})" not in named] == []
    assert ":func:" not in out  # the help is for the operator, not the code's reader
