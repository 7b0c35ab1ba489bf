"""The remote door and the outbox's moves on PostgreSQL (SPEC §6, §7): the same bulk upsert
(``INSERT … ON CONFLICT (id) DO UPDATE``, PostgreSQL's dialect) and conditional UPDATEs as on
a till's SQLite file, so an engine opened on PostgreSQL behaves the same."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from clienteling.engine.clock import FixedClock
from clienteling.engine.services import Clienteling
from clienteling.engine.services.outbox import OutboxStateError
from tests.hub.conftest import truncate

pytestmark = pytest.mark.postgres
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
STAMP = "2026-03-01T23:00:00+00:00"


def test_remote_apply_and_outbox_moves_on_postgres(pg_database: str) -> None:
    truncate(pg_database)
    cl = Clienteling.open(pg_database, clock=FixedClock(T0))
    try:
        store = cl.staff.create_store(None, {"name": "S", "timezone": "Australia/Melbourne"})
        entries = []
        for n in range(50):
            pid = str(uuid.uuid4())
            entries.append({"type": "profile", "id": pid, "op": "upsert", "data": {
                "id": pid, "first_name": "Pg", "last_name": f"Person{n}", "email": None,
                "mobile_phone": None, "home_store_id": store.id, "attributes": {},
                "identities": [{"handle": "card", "identifier": f"7{n:012d}"}],
                "created_at": STAMP, "updated_at": STAMP}})
        heard = []
        cl.subscribe(heard.append)
        assert cl.remote.apply(entries, cursor=10).upserted == 50
        renamed = dict(entries[0]["data"], last_name="Renamed",
                       identities=[{"handle": "card", "identifier": "7999"}])
        cl.remote.apply([{"type": "profile", "id": renamed["id"], "op": "upsert",
                          "data": renamed}], cursor=11)
        assert cl.profiles.get(renamed["id"]).last_name == "Renamed"
        assert cl.profiles.find_identity("7999").id == renamed["id"]
        assert cl.profiles.count() == 50 and cl.remote.cursor() == 11
        assert [c.origin for c in heard] == ["remote", "remote"]
        assert cl.outbox.counts().pending == 0  # nothing to send back

        cl.profiles.create(cl.staff.actor(cl.staff.create_staff(None, {
            "username": "pg", "display_name": "Pg", "role": "manager", "store_id": store.id,
            "pin": "246813"}).id), {"first_name": "Local", "last_name": "One"})
        [item] = cl.outbox.claim_next(5)
        assert cl.outbox.claim_next(5) == []
        cl.outbox.mark_done(item.seq, {"ok": True})
        with pytest.raises(OutboxStateError):
            cl.outbox.mark_done(item.seq)
    finally:
        cl.close()
