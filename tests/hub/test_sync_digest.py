"""``GET /sync/digest`` and the engine's ``first_difference`` (SPEC §7): two copies with the
same records have equal digests — on SQLite and on PostgreSQL alike — and after one change
the walk names the type and the record."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, insert, select, update

from clienteling.demo import create_demo
from clienteling.engine.clock import FixedClock
from clienteling.engine.db import open_database
from clienteling.engine.errors import AuthenticationFailed
from clienteling.engine.models import Base, Staff
from clienteling.engine.services import Clienteling
from clienteling.engine.services.digest import Difference, first_difference
from tests.conftest import T0
from tests.hub.conftest import LiveHub
from tests.hub.support import ok, refused
from tests.internals import database_of

# The tables holding synced records (the journal, tokens and idempotency keys are per copy).
SYNCED = ("stores", "staff", "benefit_definitions", "reward_definitions", "profiles",
          "identities", "benefits", "rewards", "redemptions", "redemption_items", "purchases",
          "reactions")


def _copy_records(source: str, target: str) -> None:
    """Build a second hub with the same records as the first, row for row."""
    open_database(target).dispose()  # migrated
    src, dst = create_engine(source), create_engine(target)
    tables = [t for t in Base.metadata.sorted_tables if t.name in SYNCED]
    assert len(tables) == len(SYNCED)
    with src.connect() as read, dst.begin() as write:
        for table in tables:
            rows = [dict(r) for r in read.execute(select(table)).mappings()]
            if rows:
                write.execute(insert(table), rows)
    src.dispose()
    dst.dispose()


def _source(client: httpx.Client) -> Callable[[str | None, str], dict[str, Any]]:
    def fetch(entity_type: str | None, prefix: str) -> dict[str, Any]:
        params = {} if entity_type is None else {"type": entity_type, "prefix": prefix}
        data: dict[str, Any] = ok(client.get("/sync/digest", params=params))["data"]
        return data
    return fetch


def _token(url: str) -> str:
    with Clienteling.open(url, mode="hub") as cl:
        store = cl.staff.stores()[0]
        token, _ = cl.devices.create_token(None, {"store_id": store.id, "name": "T",
                                                                 "is_admin": True})
    return token


def test_equal_copies_agree_and_one_change_is_found(
    hub_url: str, tmp_path: Path, start_hub: Callable[..., LiveHub]
) -> None:
    first = f"sqlite:///{tmp_path / 'first.db'}"
    create_demo(first, profiles=40, seed=7, clock=FixedClock(T0))
    _copy_records(first, hub_url)
    a = start_hub(first, clock=FixedClock(T0)).client(_token(first))
    b_live = start_hub(hub_url, clock=FixedClock(T0))
    b = b_live.client(_token(hub_url))

    summary = ok(a.get("/sync/digest"))["data"]
    assert summary == ok(b.get("/sync/digest"))["data"]
    assert summary["types"]["profile"]["count"] == 40
    assert all(summary["types"][t]["count"] > 0 for t in ("store", "staff", "benefit", "reward"))
    assert first_difference(_source(a), _source(b)) is None

    profiles = ok(b.get("/profiles", params={"page[size]": 100}))["data"]
    target = profiles[17]["id"]
    admin = next(s for s in ok(b.get("/staff"))["data"] if s["role"] == "admin")
    ok(b.put(f"/profiles/{target}", json={"tier": "platinum"},
             headers={"X-Staff-Id": admin["id"]}))

    found = first_difference(_source(a), _source(b))
    assert isinstance(found, Difference)
    assert (found.entity_type, found.entity_id) == ("profile", target)
    assert found.local is not None and found.remote is not None and found.local != found.remote
    # The engine computes the same over its own copy as the hub answers over HTTP.
    with Clienteling.open(first, mode="hub") as cl:
        assert first_difference(cl.digest.source, _source(a)) is None
        missing = first_difference(cl.digest.source, _source(b))
    assert missing == found


def test_drill_down_and_bad_parameters(tmp_path: Path, start_hub: Callable[..., LiveHub]) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    create_demo(url, profiles=200, seed=3, clock=FixedClock(T0))
    client = start_hub(url, clock=FixedClock(T0)).client(_token(url))
    top = ok(client.get("/sync/digest", params={"type": "benefit"}))["data"]
    assert len(top["buckets"]) == 16 and top["records"] is None
    assert sum(b["count"] for b in top["buckets"]) == top["count"]
    inner = ok(client.get("/sync/digest", params={"type": "benefit", "prefix": "a"}))["data"]
    assert inner["hash"] == top["buckets"][10]["hash"] and inner["count"] <= 64
    assert len(inner["records"]) == inner["count"]
    for params, field in (({"type": "planet"}, "type"), ({"type": "benefit", "prefix": "xyz"},
                          "prefix"), ({"prefix": "a"}, "prefix")):
        body = refused(client.get("/sync/digest", params=params), 422)
        assert field in body["errors"], body


def test_till_local_fields_are_left_out(tmp_path: Path) -> None:
    """A till counts wrong PINs in its own copy (failed_attempts, locked_until): that must
    not make it disagree with the hub, while a synced field of the same row does."""
    url = f"sqlite:///{tmp_path / 'till.db'}"
    create_demo(url, profiles=2, seed=1, clock=FixedClock(T0))
    with Clienteling.open(url, clock=FixedClock(T0)) as cl:
        before = cl.digest.summary()
        for _ in range(6):  # past the lockout threshold: locked_until is set too
            with pytest.raises(AuthenticationFailed):
                cl.staff.sign_in("ava", "0000")
        with database_of(cl).read() as s:
            ava = s.scalars(select(Staff).where(Staff.username == "ava")).one()
            assert ava.failed_attempts > 0 or ava.locked_until is not None
        assert cl.digest.summary() == before
        with database_of(cl).write() as s:
            s.execute(update(Staff).where(Staff.username == "ava").values(display_name="Eva"))
        after = cl.digest.summary()
    assert after["types"]["staff"] != before["types"]["staff"]
    assert {k: v for k, v in after["types"].items() if k != "staff"} == \
        {k: v for k, v in before["types"].items() if k != "staff"}
