"""``hub import`` of opening balances (rewards, benefits) and of customers keeps the
liability report's totals (migration 0012) equal to a recount from the rows, on SQLite and
PostgreSQL, and liability equal to its brute-force reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from clienteling.engine.services import Clienteling
from tests import reports_support as ref
from tests.engine.test_reports import liability_numbers
from tests.hub.test_transfer import BENEFITS, CUSTOMERS, REWARDS, run, set_up, write


def test_imported_balances_are_in_the_totals(capsys: pytest.CaptureFixture[str], hub_url: str,
                                             tmp_path: Path) -> None:
    set_up(capsys, hub_url, tmp_path)
    run(capsys, "hub", "import", "--db", hub_url, "--kind", "profiles", "--as", "ada",
        str(write(tmp_path / "customers.csv", CUSTOMERS)))
    run(capsys, "hub", "import", "--db", hub_url, "--kind", "reward_definitions", "--as", "ada",
        str(write(tmp_path / "defs.csv", "name,handle,type,value,max_value,period\n"
                  "Welcome,welcome,activation,10.00,20.00,90\n")))
    run(capsys, "hub", "import", "--db", hub_url, "--kind", "benefit_definitions", "--as", "ada",
        str(write(tmp_path / "bdefs.jsonl", '{"name": "Coffee", "handle": "coffee", "period": 7}\n')))
    for kind, body in (("rewards", REWARDS), ("benefits", BENEFITS)):
        code, _, err = run(capsys, "hub", "import", "--db", hub_url, "--kind", kind, "--as",
                           "ada", str(write(tmp_path / f"{kind}.csv", body)))
        assert code in (0, 1), err  # 1: some rows are refused on purpose (bad amounts)
    with Clienteling.open(hub_url, mode="hub") as cl:
        kept = ref.kept_totals(cl)
        assert kept and kept == ref.recounted_totals(cl)
        data = ref.dataset_of(cl)
        assert data.rewards and data.benefits
        admin = cl.staff.actor(next(s.id for s in cl.staff.list_staff() if s.username == "ada"))
        for store in [None, *data.stores]:
            zone = admin.timezone if store is None else data.stores[store]
            report = cl.reports.liability(admin, store_id=store)
            assert liability_numbers(report) == ref.liability(data, store, zone)
