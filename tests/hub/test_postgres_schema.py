"""The engine's schema on PostgreSQL: JSON columns, BIGINT sequence numbers, money as BIGINT
cents and instants as ``timestamptz`` — and values that survive the round trip exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import psycopg
from sqlalchemy.engine import make_url

from clienteling.engine.clock import FixedClock
from clienteling.engine.services import Clienteling
from tests.hub.conftest import _conninfo, truncate


def test_columns_have_the_intended_postgres_types(pg_database: str) -> None:
    wanted = {
        ("change_log", "seq"): "bigint",
        ("audit_events", "seq"): "bigint",
        ("rewards", "value_remaining"): "bigint",
        ("reward_definitions", "max_value"): "bigint",
        ("redemptions", "total"): "bigint",
        ("benefits", "expires_at"): "timestamp with time zone",
        ("benefit_definitions", "claim_period_start_at"): "timestamp with time zone",
        ("benefit_definitions", "tags"): "json",
        ("benefit_definitions", "claim_timeframe"): "json",
        ("profiles", "attributes"): "json",
        ("idempotency_records", "response"): "json",
    }
    with psycopg.connect(**_conninfo(make_url(pg_database))) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public'").fetchall()
        found = {(t, c): d for t, c, d in rows}
        default = conn.execute(
            "SELECT column_default FROM information_schema.columns "
            "WHERE table_name = 'change_log' AND column_name = 'seq'").fetchone()
    assert {k: found.get(k) for k in wanted} == wanted
    assert default is not None and "nextval" in str(default[0])


def test_money_times_and_json_round_trip_exactly(pg_database: str) -> None:
    truncate(pg_database)
    clock = FixedClock(datetime(2026, 3, 2, tzinfo=UTC))
    cl = Clienteling.open(pg_database, clock=clock, mode="hub")
    try:
        store = cl.staff.create_store(None, {"name": "S", "timezone": "Australia/Melbourne"})
        admin = cl.staff.actor(cl.staff.create_staff(None, {
            "username": "ada", "display_name": "Ada", "role": "admin", "store_id": store.id,
            "pin": "905238"}).id)
        p = cl.profiles.create(admin, {"first_name": "A", "last_name": "B",
                                       "attributes": {"nested": {"list": [1, 2.5, "ü", None]}}})
        assert cl.profiles.get(p.id).attributes == {"nested": {"list": [1, 2.5, "ü", None]}}
        rd = cl.definitions.create_reward_definition(admin, {
            "name": "R", "handle": "r", "type": "bonus", "value": "999999999.99"})
        r = cl.rewards.issue(admin, {"profile_id": p.id, "reward_definition_id": rd.id,
                                     "value_initial": "0.07", "reason": "x"})
        assert cl.rewards.balance(p.id) == Decimal("0.07")
        assert cl.definitions.reward_definition(rd.id).value == Decimal("999999999.99")
        d = cl.definitions.create_benefit_definition(admin, {
            "name": "D", "handle": "d", "end_at": "2026-04-05 02:30:00", "tags": ["a", 'q"uote']})
        stored = cl.definitions.benefit_definition(d.id)
        # 02:30 on the DST change in Melbourne (the first, daylight-time one) kept as UTC
        assert stored.end_at == datetime(2026, 4, 4, 15, 30, tzinfo=UTC)
        assert stored.tags == ["a", 'q"uote']
        assert cl.rewards.for_profile(p.id)[0].issued_at == clock.now() == r.issued_at
    finally:
        cl.close()
