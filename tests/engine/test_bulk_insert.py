"""``bulk_insert.insert_many`` stores exactly what a Core INSERT stores (issue 16: a hub
import writes its profiles, cards, audit events and change-feed rows through it). The audit
chain (SPEC §2, §9) hashes what is stored and kept digests (SPEC §6 "Verify") fingerprint it,
so the stored text must not drift: compared here as SQLite holds it, value and type."""

from __future__ import annotations

import json
from collections import Counter, OrderedDict
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, create_engine, insert

from clienteling.engine import bulk_insert
from clienteling.engine.bulk_insert import insert_many
from clienteling.engine.db import json_text
from clienteling.engine.models import AuditEvent, Base, ChangeLog, Profile

AT = datetime(2026, 12, 6, 3, 4, 5, 123456, tzinfo=UTC)
PROFILES: Table = Profile.__table__  # type: ignore[assignment]
AUDIT: Table = AuditEvent.__table__  # type: ignore[assignment]
CHANGES: Table = ChangeLog.__table__  # type: ignore[assignment]


def _stored(conn: Connection, table: Table) -> list[tuple[Any, ...]]:
    columns = ", ".join(f"quote({c.name}), typeof({c.name})" for c in table.columns)
    return list(conn.exec_driver_sql(f"SELECT {columns} FROM {table.name} ORDER BY 1"))


def _both(table: Table, rows: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    stored = []
    for write in (lambda c: c.execute(insert(table), rows), lambda c: insert_many(c, table, rows)):
        engine = create_engine("sqlite://")
        Base.metadata.create_all(engine)
        with engine.begin() as conn:
            write(conn)
            stored.append(_stored(conn, table))
        engine.dispose()
    return stored[0], stored[1]


def _profile(n: int, **extra: Any) -> dict[str, Any]:
    row = {c.key: None for c in PROFILES.columns}
    row.update(id=f"p{n}", first_name="Zoë", last_name=f"O'Brien {n}", name_key=f"zoë o'brien {n}",
               last_name_key=f"o'brien {n}", attributes={"vip": True, "note": "“quoted” ✓",
                                                          "n": [1, 2.5, None]},
               lifetime_spend=Decimal("12.30"), created_at=AT, updated_at=AT + timedelta(days=n),
               birth_date=date(1970, 1, n + 1), join_date=None)
    row.update(extra)
    return row


def test_profiles_store_as_core_stores_them() -> None:
    rows = [_profile(0), _profile(1, attributes={}, email="a@b.c",
                                  last_purchase_at=AT.astimezone(timezone(timedelta(hours=11))))]
    core, fast = _both(PROFILES, rows)
    assert fast == core and len(core) == 2


def test_audit_events_store_as_core_stores_them() -> None:
    # None in a JSON column is stored as JSON null (the type's none_as_null=False), not NULL.
    # The same instant object in a run of rows (converted once), then another object for the
    # same instant in another zone, then a later one, then the first again.
    ats = [AT, AT, AT.astimezone(timezone(timedelta(hours=11))), AT + timedelta(seconds=1), AT]
    rows = [{"id": f"e{n}", "at": ats[n], "staff_id": None, "store_id": "s", "action": "profile.create",
             "entity_type": "profile", "entity_id": f"p{n}", "profile_id": f"p{n}",
             "before": None, "after": {"first_name": "Zoë", "tier": None, "n": n}, "meta": None,
             "prev_hash": "0" * 64, "hash": "f" * 64} for n in range(len(ats))]
    core, fast = _both(AUDIT, rows)
    assert fast == core
    assert core[0][18:20] == ("'null'", "text")  # `before`


def test_rows_leaving_out_a_column_with_a_python_default_take_core() -> None:
    # Core fills a left-out column's default in per row; the driver path would store NULL.
    row = _profile(0)
    del row["attributes"]
    engine = create_engine("sqlite://")
    assert bulk_insert._plan(engine.dialect, PROFILES, tuple(row)) is None
    core, fast = _both(PROFILES, [row])
    assert fast == core and "'{}'" in fast[0]


def test_change_rows_leave_out_their_sequence_and_entry() -> None:
    rows = [{"entity_type": "profile", "entity_id": f"p{n}", "op": "upsert", "at": AT}
            for n in range(3)]
    core, fast = _both(CHANGES, rows)
    assert fast == core and [r[0] for r in fast] == ["1", "2", "3"]


def test_no_rows_writes_nothing_and_one_row_is_stored_as_core_stores_it() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        insert_many(conn, CHANGES, [])
        assert _stored(conn, CHANGES) == []
    core, fast = _both(CHANGES, [{"entity_type": "profile", "entity_id": "p", "op": "upsert",
                                  "at": AT}])
    assert fast == core and len(fast) == 1


def test_json_text_is_json_dumps() -> None:
    # A JSON column's stored text must not change with the shortcut (SPEC §2: the audit
    # trail; stored rows compared by text would differ between old and new rows otherwise).
    for value in (None, {}, [], {"a": None}, {"b": 1, "a": [1.5, "é", {}]}, "text", 0, 1e16,
                  OrderedDict(), Counter()):
        assert json_text(value) == json.dumps(value)
