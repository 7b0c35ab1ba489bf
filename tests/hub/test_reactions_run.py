"""``clienteling hub reactions run [--at TIME]`` and the daily run inside ``hub serve`` (SPEC
3.9 RX4), on SQLite and PostgreSQL: a JSON summary, safe to repeat; a bad ``--at`` is one line
and exit code 2; with several processes on one PostgreSQL database only the one holding the
advisory lock runs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import text

from clienteling.engine.clock import FixedClock
from clienteling.engine.reactions import keys
from clienteling.engine.reactions.daily import DAILY_LOCK
from clienteling.engine.services import Clienteling
from clienteling.hub.daily import daily_runs
from tests.conftest import T0
from tests.hub.test_cli import cli_db, run  # noqa: F401
from tests.internals import database_of


def _birthday_programme(url: str) -> str:
    with Clienteling.open(url, clock=FixedClock(T0), mode="hub") as cl:
        store = cl.staff.create_store(None, {"name": "Sydney", "timezone": "Australia/Sydney"})
        admin = _admin(cl, store.id)
        gift = cl.definitions.create_benefit_definition(admin, {
            "name": "Birthday gift", "handle": "birthday-gift", "period": 30})
        cl.reactions.create(admin, {
            "handle": "birthday", "name": "Birthday", "limit": "once_per_year",
            "trigger": {"type": "birthday", "when": "day"},
            "effect": {"benefit_definition_id": gift.id}})
        return str(cl.profiles.create(admin, {"first_name": "Syd", "last_name": "Ney",
                                              "birth_date": "1990-03-03",
                                              "home_store_id": store.id}).id)


def _admin(cl: Clienteling, store_id: str) -> Any:
    found = [m for m in cl.staff.list_staff(active_only=False) if m.role == "admin"]
    if not found:
        found = [cl.staff.create_staff(None, {"username": "ada", "display_name": "Ada",
                                              "role": "admin", "store_id": store_id,
                                              "pin": "905238"})]
    return cl.staff.actor(found[0].id)


def test_reactions_run_prints_a_summary_and_is_safe_to_repeat(
        cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert run(capsys, "hub", "init", "--db", cli_db)[0] == 0
    _birthday_programme(cli_db)
    # 3 March 01:00 in Sydney while UTC is still on 2 March.
    code, out, err = run(capsys, "hub", "reactions", "run", "--db", cli_db,
                         "--at", "2026-03-02T14:00:00+00:00")
    assert code == 0 and not err, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["issued"] == {"birthday": 1} and summary["ran"] is True
    assert summary["at"] == "2026-03-02T14:00:00+00:00"
    code, out, _ = run(capsys, "hub", "reactions", "run", "--db", cli_db,
                       "--at", "2026-03-03T01:00")  # no offset: UTC; the same local day
    assert code == 0 and json.loads(out.strip().splitlines()[-1])["total"] == 0


def test_at_across_a_year_end_issues_for_the_new_year_once(
        cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    """``--at`` across a year end (issue 17 Proof): 31 Dec 14:00 UTC is already 1 January in
    Sydney, so a 1 January birthday there is the new year's, keyed to it (RX3); the run at
    the same moment again, or later that local day, issues nothing more."""
    assert run(capsys, "hub", "init", "--db", cli_db)[0] == 0
    _birthday_programme(cli_db)
    with Clienteling.open(cli_db, clock=FixedClock(T0), mode="hub") as cl:
        store = next(s for s in cl.staff.stores() if s.name == "Sydney")
        admin = _admin(cl, store.id)
        jan = str(cl.profiles.create(admin, {"first_name": "Jan", "last_name": "Uary",
                                             "birth_date": "1990-01-01",
                                             "home_store_id": store.id}).id)
        reaction = cl.reactions.get("birthday").id
    issued = []
    for at in ("2026-12-31T14:00:00+00:00", "2026-12-31T14:00:00+00:00", "2027-01-01T10:00"):
        code, out, err = run(capsys, "hub", "reactions", "run", "--db", cli_db, "--at", at)
        assert code == 0 and not err, err
        issued.append(json.loads(out.strip().splitlines()[-1])["issued"])
    assert issued == [{"birthday": 1}, {"birthday": 0}, {"birthday": 0}]
    with Clienteling.open(cli_db, mode="hub") as cl:
        assert [b.benefit.id for b in cl.benefits.for_profile(jan)] == [
            keys.instance_id(reaction, jan, "2027")]


@pytest.mark.parametrize("at", ["yesterday", "2026-13-01", ""])
def test_a_bad_at_is_one_line_and_exit_2(tmp_path: Any, capsys: pytest.CaptureFixture[str],
                                         at: str) -> None:
    db = str(tmp_path / "hub.db")
    assert run(capsys, "hub", "init", "--db", db)[0] == 0
    code, out, err = run(capsys, "hub", "reactions", "run", "--db", db, "--at", at)
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and "--at" in err


def test_only_the_process_holding_the_lock_runs_on_postgres(pg_database: str) -> None:
    from tests.hub.conftest import truncate

    truncate(pg_database)
    pid = _birthday_programme(pg_database)
    with Clienteling.open(pg_database, clock=FixedClock(T0), mode="hub") as cl:
        with database_of(cl).writer.connect() as other:  # another hub process's run
            assert other.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                 {"k": DAILY_LOCK}).scalar()
            skipped = cl.reactions.run_daily(None, T0.replace(hour=14))
            assert skipped.ran is False and skipped.total == 0
            other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": DAILY_LOCK})
            other.commit()
        done = cl.reactions.run_daily(None, T0.replace(hour=14))
        assert done.ran and done.issued == {"birthday": 1}
        assert [b.benefit.source for b in cl.benefits.for_profile(pid)] == ["reaction:birthday"]


def test_serve_runs_it_by_itself_then_every_day(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    pid = _birthday_programme(url)
    results: list[Any] = []
    with Clienteling.open(url, clock=FixedClock(T0.replace(hour=14)), mode="hub") as cl:

        async def main() -> None:
            task = asyncio.create_task(daily_runs(cl, every=0.01, on_run=results.append))
            while len(results) < 2:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(asyncio.wait_for(main(), timeout=30))
        assert [r.total for r in results[:2]] == [1, 0]
        assert len(cl.benefits.for_profile(pid)) == 1
