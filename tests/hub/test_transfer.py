"""``clienteling hub import`` / ``hub export`` (SPEC §7 "Bringing a retailer's data in and out",
issue 16), through the real CLI against real hub databases on each backend."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clienteling.cli import main
from clienteling.engine.services import Clienteling
from clienteling.hub.transfer.kinds import kind_named
from clienteling.hub.transfer.run import import_file, terminal_progress
from tests.conftest import REPO
from tests.hub.conftest import LiveHub


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out.strip().splitlines(), err


def summary(lines: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(lines[-1])
    return found


def write(path: Path, text: str) -> Path:
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


STORES = """
id,name,timezone
s-mel,Melbourne Central,Australia/Melbourne
s-syd,Sydney Pitt St,Australia/Sydney
"""
STAFF = """
username,display_name,role,store_id,pin
ada,Ada Admin,admin,s-mel,905238
max,Max Manager,manager,s-mel,731405
ava,Ava Associate,associate,s-mel,4821
"""
# Line 3 has a bad date, line 5 an attributes cell that is not JSON, line 6 another
# customer's card; the rows around them must still be imported.
CUSTOMERS = """
first_name,last_name,email,mobile_phone,birth_date,tier,join_date,home_store_id,card,attributes
Jane,Citizen,jane@example.com,0400 000 001,1990-02-03,gold,2019-05-01,s-mel,4000000000001,"{""vip"": true}"
John,Smith,john@example.com,,1985-13-01,silver,2020-01-01,s-mel,4000000000002,
Kim,Lee,KIM@Example.com,,,,2021-07-09,s-syd,4000000000003,
Lou,Reed,lou@example.com,,,,,s-syd,4000000000004,{bad
Max,Payne,max@example.com,,,,,s-syd,4000000000001,
"""


def set_up(capsys: pytest.CaptureFixture[str], url: str, folder: Path) -> None:
    assert run(capsys, "hub", "init", "--db", url)[0] == 0
    code, lines, err = run(capsys, "hub", "import", "--db", url, "--kind", "stores",
                           str(write(folder / "stores.csv", STORES)))
    assert code == 0, err
    code, lines, err = run(capsys, "hub", "import", "--db", url, "--kind", "staff",
                           str(write(folder / "staff.csv", STAFF)))
    assert code == 0, err
    assert summary(lines)["created"] == 3


def counts(url: str) -> tuple[int, int]:
    with Clienteling.open(url, mode="hub") as cl:
        return cl.profiles.count(), len(cl.staff.stores())


def test_import_upserts_by_natural_key_reports_bad_rows_and_reruns_without_duplicates(
        capsys: pytest.CaptureFixture[str], hub_url: str, tmp_path: Path) -> None:
    set_up(capsys, hub_url, tmp_path)
    source = write(tmp_path / "customers.csv", CUSTOMERS)
    code, lines, _ = run(capsys, "hub", "import", "--db", hub_url, "--kind", "profiles",
                         str(source), "--as", "ada")
    assert code == 1  # rows were rejected: a script notices
    first = summary(lines)
    assert (first["read"], first["created"], first["updated"], first["rejected"]) == (5, 2, 0, 3)
    report = Path(first["report"])
    assert report == tmp_path / "customers.rejected.csv"
    with report.open(encoding="utf-8") as stream:
        rejected = [(int(r["line"]), r["field"], r["problem"]) for r in csv.DictReader(stream)]
    assert [(line, name) for line, name, _ in rejected] == [
        (3, "birth_date"), (5, "attributes"), (6, "identities.0.identifier")]
    assert "1985-13-01" in rejected[0][2] and "belongs to another profile" in rejected[2][2]
    assert counts(hub_url) == (2, 2)

    with Clienteling.open(hub_url, mode="hub") as cl:
        jane = cl.profiles.find_scan("4000000000001").profile_id
        assert jane is not None
        row = cl.profiles.get(jane)
        assert (row.email, row.tier, str(row.join_date), row.home_store_id, row.attributes) == (
            "jane@example.com", "gold", "2019-05-01", "s-mel", {"vip": True})
        kim = cl.profiles.find_scan("4000000000003").profile_id
        assert kim is not None and cl.profiles.get(kim).email == "kim@example.com"

    # The same file again: found by email or card, nothing new, nothing rewritten.
    code, lines, _ = run(capsys, "hub", "import", "--db", hub_url, "--kind", "profiles",
                         str(source), "--as", "ada")
    again = summary(lines)
    assert (again["created"], again["updated"], again["unchanged"], again["rejected"]) == (0, 0, 2, 3)
    assert counts(hub_url) == (2, 2)

    # Fixed rows and one change: the fixed ones are created, the change updates by email.
    fixed = CUSTOMERS.replace("1985-13-01", "1985-12-01").replace("{bad", "").replace(
        "Max,Payne,max@example.com,,,,,s-syd,4000000000001", "Max,Payne,max@example.com,,,,,s-syd,")
    fixed = fixed.replace("Kim,Lee,KIM@Example.com,,", "Kim,Lee,KIM@Example.com,0400 000 003,")
    code, lines, _ = run(capsys, "hub", "import", "--db", hub_url, "--kind", "profiles",
                         str(write(source, fixed)), "--as", "ada")
    third = summary(lines)
    assert code == 0 and third["report"] is None
    assert (third["created"], third["updated"], third["unchanged"]) == (3, 1, 1)
    assert counts(hub_url) == (5, 2)


def test_a_dry_run_checks_every_row_and_changes_nothing(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    set_up(capsys, url, tmp_path)
    code, lines, _ = run(capsys, "hub", "import", "--db", url, "--kind", "profiles", "--dry-run",
                         str(write(tmp_path / "customers.csv", CUSTOMERS)), "--as", "ada")
    result = summary(lines)
    assert code == 1
    assert (result["dry_run"], result["created"], result["rejected"]) == (True, 2, 3)
    assert counts(url) == (0, 2)


def test_json_lines_take_the_api_shape_and_name_the_line_of_a_bad_one(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    set_up(capsys, url, tmp_path)
    source = write(tmp_path / "definitions.jsonl", """
{"name": "Birthday coffee", "handle": "birthday-coffee", "period": 30, "max_redemptions": 1, \
"tags": ["coffee"], "category": "free_product", "claim_condition": {"==": [{"var": "tier"}, "gold"]}}
{"name": "Broken", "handle": "broken", "claim_condition": {"nope": []}}
not json at all
["a list"]
{"name": "Ten off", "handle": "ten-off", "period": 14, "category": "product_discount"}
{"name": "Typo", "handle": "typo", "peroid": 30}
""")
    code, lines, _ = run(capsys, "hub", "import", "--db", url, "--kind", "benefit_definitions",
                         str(source), "--as", "ada", "--report", str(tmp_path / "r.csv"))
    result = summary(lines)
    assert (result["created"], result["rejected"], result["report"]) == (2, 4, str(tmp_path / "r.csv"))
    with (tmp_path / "r.csv").open(encoding="utf-8") as stream:
        rejected = [(int(r["line"]), r["field"], r["problem"]) for r in csv.DictReader(stream)]
    # A misspelt key is named, not dropped (the definition would lose its period).
    assert [(line, name) for line, name, _ in rejected] == [
        (2, "claim_condition"), (3, "line"), (4, "line"), (6, "peroid")]
    assert rejected[-1][2] == "is not a field of benefit_definitions (a misspelling?)"
    with Clienteling.open(url, mode="hub") as cl:
        coffee = cl.definitions.benefit_definition("birthday-coffee")
        assert (coffee.period, coffee.tags, coffee.version) == (30, ["coffee"], 1)

    # The same definition changed: a new version, found by its handle.
    write(source, '{"name": "Birthday coffee", "handle": "birthday-coffee", "period": 45}\n')
    code, lines, _ = run(capsys, "hub", "import", "--db", url, "--kind", "benefit_definitions",
                         str(source), "--as", "ada")
    assert code == 0 and summary(lines)["updated"] == 1
    with Clienteling.open(url, mode="hub") as cl:
        coffee = cl.definitions.benefit_definition("birthday-coffee")
        assert (coffee.period, coffee.version) == (45, 2)


BENEFITS = """
external_id,card,benefit_definition_id,issued_at,expires_at,timezone
old-1,4000000000001,coffee,2026-11-01 09:00:00,2027-01-31 23:59:00,Australia/Melbourne
old-2,4000000000003,coffee,2026-11-02 09:00:00,,Australia/Sydney
old-3,4999999999999,coffee,2026-11-02 09:00:00,,Australia/Sydney
old-4,4000000000001,no-such-benefit,2026-11-02 09:00:00,,Australia/Sydney
"""


def test_opening_benefits_come_in_by_card_and_handle_once(
        capsys: pytest.CaptureFixture[str], hub_url: str, tmp_path: Path) -> None:
    set_up(capsys, hub_url, tmp_path)
    run(capsys, "hub", "import", "--db", hub_url, "--kind", "profiles", "--as", "ada",
        str(write(tmp_path / "customers.csv", CUSTOMERS)))
    run(capsys, "hub", "import", "--db", hub_url, "--kind", "benefit_definitions", "--as", "ada",
        str(write(tmp_path / "defs.jsonl", '{"name": "Coffee", "handle": "coffee", "period": 7}\n')))
    source = write(tmp_path / "benefits.csv", BENEFITS)
    code, lines, _ = run(capsys, "hub", "import", "--db", hub_url, "--kind", "benefits", "--as",
                         "ada", str(source))
    first = summary(lines)
    assert (code, first["created"], first["rejected"]) == (1, 2, 2)
    with Path(first["report"]).open(encoding="utf-8") as stream:
        assert [(int(r["line"]), r["field"]) for r in csv.DictReader(stream)] == [
            (4, "card"), (5, "benefit_definition_id")]
    out = tmp_path / "held.jsonl"
    run(capsys, "hub", "export", "--db", hub_url, "--kind", "benefits", "--out", str(out))
    held = {r["external_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert held.keys() == {"old-1", "old-2"}
    with Clienteling.open(hub_url, mode="hub") as cl:
        assert held["old-1"]["profile_id"] == cl.profiles.find_scan("4000000000001").profile_id
    # The explicit expiry wins over the definition's 7 days (B1), read in Melbourne time;
    # without one, the definition's period counts from the issue (7 days, Sydney's calendar).
    assert held["old-1"]["expires_at"] == "2027-01-31T12:59:00+00:00"
    assert held["old-2"]["expires_at"] == "2026-11-08T22:00:00+00:00"

    code, lines, _ = run(capsys, "hub", "import", "--db", hub_url, "--kind", "benefits", "--as",
                         "ada", str(source))
    again = summary(lines)
    assert (again["created"], again["unchanged"], again["rejected"]) == (0, 2, 2)
    # The same external id for another customer is refused, not issued twice.
    write(source, BENEFITS.replace("old-2,4000000000003", "old-2,4000000000001"))
    code, lines, _ = run(capsys, "hub", "import", "--db", hub_url, "--kind", "benefits", "--as",
                         "ada", str(source))
    third = summary(lines)
    assert (third["created"], third["unchanged"], third["rejected"]) == (0, 1, 3)


REWARDS = """
external_id,card,reward_definition_id,value_initial,issued_at,expires_at,timezone
bal-1,4000000000001,welcome,7.50,2026-10-01 09:00:00,2027-03-31 23:59:00,Australia/Melbourne
bal-2,4000000000003,welcome,10.00,,,Australia/Sydney
bal-3,4000000000003,welcome,10.001,,,Australia/Sydney
bal-4,4000000000003,welcome,25.00,,,Australia/Sydney
"""


def test_opening_reward_balances_come_in_once_with_their_expiry(
        capsys: pytest.CaptureFixture[str], hub_url: str, tmp_path: Path) -> None:
    set_up(capsys, hub_url, tmp_path)
    run(capsys, "hub", "import", "--db", hub_url, "--kind", "profiles", "--as", "ada",
        str(write(tmp_path / "customers.csv", CUSTOMERS)))
    run(capsys, "hub", "import", "--db", hub_url, "--kind", "reward_definitions", "--as", "ada",
        str(write(tmp_path / "defs.csv", "name,handle,type,value,max_value,period\n"
                  "Welcome,welcome,activation,10.00,20.00,90\n")))
    source = write(tmp_path / "balances.csv", REWARDS)
    code, lines, _ = run(capsys, "hub", "import", "--db", hub_url, "--kind", "rewards", "--as",
                         "ada", str(source))
    first = summary(lines)
    assert (code, first["created"], first["rejected"]) == (1, 2, 2)
    with Path(first["report"]).open(encoding="utf-8") as stream:
        rejected = [(int(r["line"]), r["field"], r["problem"]) for r in csv.DictReader(stream)]
    # Over-precise money, and a balance over the definition's maximum (SPEC §4, R1).
    assert [(line, name) for line, name, _ in rejected] == [(4, "value_initial"),
                                                            (5, "value_initial")]
    with Clienteling.open(hub_url, mode="hub") as cl:
        jane = cl.profiles.find_scan("4000000000001").profile_id
        kim = cl.profiles.find_scan("4000000000003").profile_id
        assert jane is not None and kim is not None
        assert str(cl.overview(jane).balance) == "7.50"
        assert str(cl.overview(kim).balance) == "10.00"
    out = tmp_path / "held.jsonl"
    run(capsys, "hub", "export", "--db", hub_url, "--kind", "rewards", "--out", str(out))
    held = {r["external_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert held["bal-1"]["expires_at"] == "2027-03-31T12:59:00+00:00"
    assert held["bal-1"]["issued_at"] == "2026-09-30T23:00:00+00:00"
    code, lines, _ = run(capsys, "hub", "import", "--db", hub_url, "--kind", "rewards", "--as",
                         "ada", str(source))
    again = summary(lines)
    assert (again["created"], again["unchanged"], again["rejected"]) == (0, 2, 2)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_writes_what_import_reads(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         fmt: str) -> None:
    """SPEC §7: every kind exported from one hub, imported into a new one, exported again:
    the same bytes (but for what each hub stamps as its own)."""
    first = f"sqlite:///{tmp_path / 'first.db'}"
    set_up(capsys, first, tmp_path)
    run(capsys, "hub", "import", "--db", first, "--kind", "profiles", "--as", "ada",
        str(write(tmp_path / "customers.csv", CUSTOMERS)))
    run(capsys, "hub", "import", "--db", first, "--kind", "reward_definitions", "--as", "ada",
        str(write(tmp_path / "rewards.csv", """
name,handle,type,value,max_value,period,excluded_categories
Welcome,welcome,activation,10.00,10.00,90,"[""gift_card""]"
Service,service,customer-service,,50.00,30,
""")))
    run(capsys, "hub", "import", "--db", first, "--kind", "benefit_definitions", "--as", "ada",
        str(write(tmp_path / "benefits.jsonl", '{"name": "Coffee", "handle": "coffee", '
                  '"period": 7, "tags": ["drinks"], "claim_timeframe": null}\n')))
    run(capsys, "hub", "import", "--db", first, "--kind", "benefits", "--as", "ada",
        str(write(tmp_path / "opening.csv", BENEFITS)))
    run(capsys, "hub", "import", "--db", first, "--kind", "rewards", "--as", "ada",
        str(write(tmp_path / "balances.csv", REWARDS.replace("welcome", "service"))))
    run(capsys, "hub", "import", "--db", first, "--kind", "purchases", "--as", "ada",
        str(write(tmp_path / "purchases.csv", PURCHASES)))
    run(capsys, "hub", "import", "--db", first, "--kind", "reactions", "--as", "ada",
        str(write(tmp_path / "reactions.jsonl", REACTIONS.replace("welcome", "coffee")
                  .replace("bday", "service"))))
    second = f"sqlite:///{tmp_path / 'second.db'}"
    run(capsys, "hub", "init", "--db", second)
    # Every kind import takes (SPEC §7), in the order a chain brings them in.
    for kind in ("stores", "staff", "benefit_definitions", "reward_definitions", "profiles",
                 "benefits", "rewards", "purchases", "reactions"):
        out = tmp_path / f"{kind}-1.{fmt}"
        code, lines, _ = run(capsys, "hub", "export", "--db", first, "--kind", kind, "--out", str(out))
        assert code == 0 and summary(lines)["written"] > 0
        if kind == "staff":  # an export never carries PINs: staff are made with theirs
            run(capsys, "hub", "import", "--db", second, "--kind", "staff",
                str(write(tmp_path / "staff.csv", STAFF)))
        else:
            admin = () if kind == "stores" else ("--as", "ada")
            code, lines, err = run(capsys, "hub", "import", "--db", second, "--kind", kind,
                                   *admin, str(out))
            assert code == 0, (kind, lines, err)
        again = tmp_path / f"{kind}-2.{fmt}"
        run(capsys, "hub", "export", "--db", second, "--kind", kind, "--out", str(again))
        if kind != "staff":  # staff ids are the new hub's own
            assert _same_hub_free(again) == _same_hub_free(out), kind


def _same_hub_free(path: Path) -> str:
    """An export's text less what each hub stamps as its own: a JSON line's ``staff_id`` (an
    imported purchase is recorded as by the admin importing it, in each hub its own staff
    id; CSV has no such column)."""
    if path.suffix != ".jsonl":
        return path.read_text(encoding="utf-8")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return "\n".join(json.dumps({k: v for k, v in row.items() if k != "staff_id"})
                     for row in rows)


def test_problems_with_the_command_are_one_line_and_exit_2(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    set_up(capsys, url, tmp_path)
    customers = str(write(tmp_path / "customers.csv", CUSTOMERS))
    cases = {
        ("--kind", "profiles", str(tmp_path / "missing.csv"), "--as", "ada"): "no such file",
        ("--kind", "profiles", str(write(tmp_path / "c.txt", "x")), "--as", "ada"): "extension",
        ("--kind", "profiles", customers): "--as",
        ("--kind", "profiles", customers, "--as", "nobody"): "no active staff member",
        ("--kind", "profiles", customers, "--as", "max"): "not an admin",
        ("--kind", "profiles", str(write(tmp_path / "e.csv", "")), "--as", "ada"): "empty",
        # A misspelt column would drop every customer's email without a word: named instead.
        ("--kind", "profiles", str(write(tmp_path / "m.csv", "first_name,last_name,emial\n"
                                         "Jane,Citizen,jane@example.com\n")), "--as", "ada"):
            "line 1: column 'emial' is not a field of profiles",
    }
    for args, words in cases.items():
        code, lines, err = run(capsys, "hub", "import", "--db", url, *args)
        assert code == 2 and lines == [], args
        assert len(err.strip().splitlines()) == 1 and words in err, (args, err)
    assert counts(url) == (0, 2)


def test_imported_customers_reach_a_till_by_the_feed(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        start_hub: Callable[..., LiveHub]) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    set_up(capsys, url, tmp_path)
    live = start_hub(url)
    token, _ = live.hub.cl.devices.create_token(None, {"store_id": "s-mel",
                                                                 "name": "Till 1"})
    till = tmp_path / "till.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def sync() -> None:
        done = subprocess.run([sys.executable, "-m", "clienteling.cli", "sync", "--db", str(till),
                               "--hub", live.base_url, "--token", token], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    sync()  # first sync: staff and stores, no customers yet
    run(capsys, "hub", "import", "--db", url, "--kind", "profiles", "--as", "ada",
        str(write(tmp_path / "customers.csv", CUSTOMERS)))
    sync()  # the imported customers come by the change feed
    with Clienteling.open(str(till)) as cl:
        found = cl.profiles.find_scan("4000000000003")
        assert found.profile_id is not None
        assert cl.profiles.get(found.profile_id).last_name == "Lee"


# Line 3 returns more than its sale, line 4 a card no one has, line 5 a negative sale (a
# return that names no purchase), line 6 a sale with a negative eligible spend.
PURCHASES = """
store_id,receipt_ref,card,occurred_at,total,eligible_spend,returns_purchase_id,lines
s-mel,10023,4000000000001,2026-11-01 09:00:00,182.50,150.00,,"[{""sku"": ""TEE""}]"
s-mel,10024,4000000000001,2026-11-02 09:00:00,-200.00,,{sale},
s-mel,10025,4999999999999,2026-11-02 09:00:00,10.00,,,
s-syd,10023,4000000000003,2026-11-02 09:00:00,-5.00,,,
s-syd,10026,4000000000003,2026-11-02 09:00:00,10.00,-1.00,,
"""


def test_purchases_come_in_by_store_and_receipt_once(
        capsys: pytest.CaptureFixture[str], hub_url: str, tmp_path: Path) -> None:
    set_up(capsys, hub_url, tmp_path)
    run(capsys, "hub", "import", "--db", hub_url, "--kind", "profiles", "--as", "ada",
        str(write(tmp_path / "customers.csv", CUSTOMERS)))
    source = write(tmp_path / "purchases.csv", PURCHASES.replace("{sale}", "nope"))
    code, lines, _ = run(capsys, "hub", "import", "--db", hub_url, "--kind", "purchases", "--as",
                         "ada", str(source))
    first = summary(lines)
    assert (code, first["created"], first["rejected"]) == (1, 1, 4)
    with Path(first["report"]).open(encoding="utf-8") as stream:
        assert [(int(r["line"]), r["field"]) for r in csv.DictReader(stream)] == [
            (3, "returns_purchase_id"), (4, "card"), (5, "total"), (6, "eligible_spend")]
    with Clienteling.open(hub_url, mode="hub") as cl:
        jane = cl.profiles.find_scan("4000000000001").profile_id
        [sale] = cl.purchases.for_profile(jane)
        assert (sale.source, sale.receipt_ref, str(sale.total)) == ("import", "10023", "182.50")
        assert sale.lines == [{"sku": "TEE"}] and sale.staff_id is not None
        assert str(cl.profiles.get(jane).lifetime_spend) == "150.00"
    # Run again: the same receipt at the same store is the same purchase, not a second one.
    code, lines, _ = run(capsys, "hub", "import", "--db", hub_url, "--kind", "purchases", "--as",
                         "ada", str(source))
    again = summary(lines)
    assert (again["created"], again["unchanged"], again["rejected"]) == (0, 1, 4)
    with Clienteling.open(hub_url, mode="hub") as cl:
        assert len(cl.purchases.for_profile(jane)) == 1
        assert str(cl.profiles.get(jane).lifetime_spend) == "150.00"
    out = tmp_path / "held.jsonl"
    run(capsys, "hub", "export", "--db", hub_url, "--kind", "purchases", "--out", str(out))
    [held] = map(json.loads, out.read_text().splitlines())
    assert (held["store_id"], held["receipt_ref"], held["total"]) == ("s-mel", "10023", "182.50")


REACTIONS = """
{"handle": "member-activation", "name": "Member Activation", "trigger": {"type": "joined"}, \
"effect": {"benefit_definition_id": "welcome"}, "limit": "once", "enabled": false}
{"handle": "bad-trigger", "name": "Bad", "trigger": {"type": "wedding"}, \
"effect": {"benefit_definition_id": "welcome"}, "limit": "once"}
{"handle": "bad-effect", "name": "Bad", "trigger": {"type": "joined"}, \
"effect": {"benefit_definition_id": "nope"}, "limit": "once"}
{"handle": "birthday", "name": "Birthday", "trigger": {"type": "birthday", "when": "month"}, \
"effect": {"reward_definition_id": "bday", "value": "10.00"}, "limit": "once_per_year"}
{"handle": "bad-threshold", "name": "Bad", "trigger": {"type": "spend_milestone", \
"threshold": "-500.00"}, "effect": {"benefit_definition_id": "welcome"}, "limit": "every_time"}
{"handle": "bad-cents", "name": "Bad", "trigger": {"type": "spend_milestone", \
"threshold": "500.001"}, "effect": {"benefit_definition_id": "welcome"}, "limit": "every_time"}
{"handle": "bad-value", "name": "Bad", "trigger": {"type": "joined"}, \
"effect": {"reward_definition_id": "bday", "value": "20.01"}, "limit": "once"}
{"handle": "bad-window", "name": "Bad", "trigger": {"type": "joined"}, \
"effect": {"benefit_definition_id": "welcome"}, "limit": "once", \
"active_from": "2026-05-01T00:00:00+00:00", "active_to": "2026-04-01T00:00:00+00:00"}
{"handle": "bad-archived", "name": "Bad", "trigger": {"type": "joined"}, \
"effect": {"benefit_definition_id": "old"}, "limit": "once"}
"""


def test_reactions_come_in_by_handle_once_and_export_as_they_import(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    set_up(capsys, url, tmp_path)
    run(capsys, "hub", "import", "--db", url, "--kind", "benefit_definitions", "--as", "ada",
        str(write(tmp_path / "d.jsonl", '{"name": "Welcome", "handle": "welcome"}\n')))
    run(capsys, "hub", "import", "--db", url, "--kind", "reward_definitions", "--as", "ada",
        str(write(tmp_path / "r.jsonl", '{"name": "Bday", "handle": "bday", "type": "birthday", '
                  '"max_value": "20.00"}\n')))
    run(capsys, "hub", "import", "--db", url, "--kind", "benefit_definitions", "--as", "ada",
        str(write(tmp_path / "o.jsonl", '{"name": "Old", "handle": "old"}\n')))
    with Clienteling.open(url, mode="hub") as cl:  # archived since the file was written
        ada = next(m for m in cl.staff.list_staff() if m.username == "ada")
        cl.definitions.archive_benefit_definition(cl.staff.actor(ada.id),
                                                  cl.definitions.benefit_definition("old").id)
    source = write(tmp_path / "reactions.jsonl", REACTIONS)
    code, lines, _ = run(capsys, "hub", "import", "--db", url, "--kind", "reactions", "--as",
                         "ada", str(source))
    first = summary(lines)
    assert (first["created"], first["rejected"]) == (2, 7)
    # SPEC §4 in the import: each bad line is a row of the report naming its field.
    with Path(first["report"]).open(encoding="utf-8") as stream:
        reported = list(csv.DictReader(stream))
    assert [(int(r["line"]), r["field"]) for r in reported] == [
        (2, "trigger.type"), (3, "effect.benefit_definition_id"), (5, "trigger.threshold"),
        (6, "trigger.threshold"), (7, "effect.value"), (8, "active_to"),
        (9, "effect.benefit_definition_id")]
    assert "archived" in reported[-1]["problem"], reported[-1]
    code, lines, _ = run(capsys, "hub", "import", "--db", url, "--kind", "reactions", "--as",
                         "ada", str(source))
    assert (code, summary(lines)["created"], summary(lines)["unchanged"]) == (1, 0, 2)
    out = tmp_path / "reactions.csv"
    run(capsys, "hub", "export", "--db", url, "--kind", "reactions", "--out", str(out))
    with out.open(encoding="utf-8") as stream:
        rows = {r["handle"]: r for r in csv.DictReader(stream)}
    assert set(rows) == {"member-activation", "birthday"}
    assert json.loads(rows["birthday"]["trigger"]) == {"type": "birthday", "when": "month"}
    with Clienteling.open(url, mode="hub") as cl:
        assert cl.reactions.get("member-activation").enabled is False
    # What export wrote, import reads: nothing changes.
    code, lines, _ = run(capsys, "hub", "import", "--db", url, "--kind", "reactions", "--as",
                         "ada", str(out))
    assert code == 0 and summary(lines)["unchanged"] == 2, lines


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_only(tmp_path: Path) -> None:
    """Issue 16: an import shows its progress on a terminal (one line rewritten in place, on
    stderr so the JSON summary stays stdout's last line), and nothing when redirected."""
    assert terminal_progress(io.StringIO()) is None
    screen = _Terminal()
    show = terminal_progress(screen)
    assert show is not None
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    with Clienteling.open(url, mode="hub") as cl:
        source = write(tmp_path / "stores.csv", "name,timezone\n" + "".join(
            f"Store {n},Australia/Melbourne\n" for n in range(5)))
        done = import_file(cl, cl.transfer, kind_named("stores"), source, "csv", actor=None,
                           chunk_size=2, progress=show)
    assert done.created == 5
    assert screen.getvalue().split("\r")[1:] == [
        "2 rows read: 2 created, 0 updated, 0 rejected",
        "4 rows read: 4 created, 0 updated, 0 rejected",
        "5 rows read: 5 created, 0 updated, 0 rejected"]


def test_format_overrides_the_extension(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    """SPEC §7: the format is told by the extension, or by --format where the file's name
    does not say (a spreadsheet's .txt, a feed's .json)."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    assert run(capsys, "hub", "init", "--db", url)[0] == 0
    source = write(tmp_path / "stores.txt", '{"id": "s-mel", "name": "Melbourne Central", '
                   '"timezone": "Australia/Melbourne"}\n')
    code, lines, _ = run(capsys, "hub", "import", "--db", url, "--kind", "stores", "--format",
                         "jsonl", str(source))
    assert (code, summary(lines)["created"]) == (0, 1)
    out = tmp_path / "stores.dat"
    code, lines, _ = run(capsys, "hub", "export", "--db", url, "--kind", "stores", "--out",
                         str(out), "--format", "csv")
    assert code == 0 and summary(lines)["written"] == 1
    assert out.read_text(encoding="utf-8") == (
        "id,name,timezone\ns-mel,Melbourne Central,Australia/Melbourne\n")
    # Read as CSV, the same JSON line has no header a store has: one line, exit 2.
    code, lines, err = run(capsys, "hub", "import", "--db", url, "--kind", "stores", "--format",
                           "csv", str(source))
    assert code == 2 and lines == [] and "line 1" in err and len(err.strip().splitlines()) == 1


def test_a_new_hub_set_up_from_the_examples_holds_the_five_reactions_switched_off(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Issue 17 "Demo and new hubs": docs/setup.md imports examples/ into a new hub; it then
    holds the five seed reward types as reactions, each switched off (an admin switches on the
    ones the programme wants) and each able to fire once switched on (no ``problem``)."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    set_up(capsys, url, tmp_path)
    examples = REPO / "examples"
    for kind, name in (("benefit_definitions", "benefit_definitions.jsonl"),
                       ("reward_definitions", "reward_definitions.csv"),
                       ("reactions", "reactions.jsonl")):
        code, lines, err = run(capsys, "hub", "import", "--db", url, "--kind", kind, "--as",
                               "ada", str(examples / name))
        assert code == 0 and summary(lines)["rejected"] == 0, (kind, lines, err)
    with Clienteling.open(url, mode="hub") as cl:
        reactions = cl.reactions.list()
        assert {r.trigger["type"] for r in reactions} == {
            "joined", "birthday", "spend_milestone", "join_anniversary", "lapsed"}
        assert [r.enabled for r in reactions] == [False] * 5
        assert [r.problem for r in reactions] == [None] * 5
