"""The liability report's running totals (``report_totals``), kept by SQL triggers.

Why triggers: reward dollars and benefit uses change on many paths (issue, redeem, void,
extend, expire, reassign, delete, sync apply, hub import, claims, bulk creation). A trigger on
``rewards``, ``benefits`` and ``profiles.home_store_id`` keeps the totals right on every one
of them, in the writing transaction, without any service knowing (docs/reports.md, Speed).

On PostgreSQL the triggers append each change to ``report_total_deltas`` instead, because
the totals rows are shared by every writer of a store and, updated in place, concurrent
redeems deadlocked on them (8 threads: 232 of 320 refused); the reports add the deltas in
and :func:`fold` them into the totals first.

What is kept: for each kind (``r`` reward dollars in cents, ``b`` benefit uses), each
customer's home store (``''`` for none) and each definition, the instances that still count
— a reward active with dollars left, a benefit with uses left or no use limit — summed by the
UTC **day** and the UTC **month** their ``expires_at`` falls in (grain ``d`` / ``m``), or
``n`` (bucket ``''``) for no expiry. Each instance is in one ``d`` row and one ``m`` row.
UTC buckets, because every zone's local midnight is some UTC instant: a report in any zone
adds up whole UTC months and days and reads only the part-days at its edges from the rows
(``services/reports/totals.py``). Time passing (expiry) writes nothing; the reader starts at
"now".

The migration that makes the table (0012) calls :func:`install`. SQLite drops a table's
triggers when the table is rebuilt (Alembic's batch mode copies it), so **a later migration
that rebuilds rewards, benefits or profiles must call** :func:`install` **again**
(``tests/engine/test_report_totals.py`` checks every trigger exists at head).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

TABLE = "report_totals"
#: Set (a ``settings`` key) while a till's first sync writes without the triggers: the totals
#: are recounted on its last page, and liability refuses until then rather than be wrong.
DEFERRED_SETTING = "sync.deferred_report_totals"
NOT_READY = ("Liability is ready when this till's first sync has finished: its totals are "
             "counted once all the customers' rewards and benefits have arrived.")
#: The three bucket grains: a UTC day (``YYYY-MM-DD``), a UTC month (``YYYY-MM``), no expiry.
DAY, MONTH, NONE = "d", "m", "n"
REWARD, BENEFIT = "r", "b"

_KINDS = {
    # kind: (table, definition column, counts?, amount, unlimited, columns a change moves it on)
    REWARD: ("rewards", "reward_definition_id",
             "{x}.is_active AND {x}.value_remaining > 0", "{x}.value_remaining", "0",
             ("is_active", "value_remaining", "expires_at", "profile_id", "reward_definition_id")),
    BENEFIT: ("benefits", "benefit_definition_id",
              "({x}.redemptions_remaining IS NULL OR {x}.redemptions_remaining > 0)",
              "coalesce({x}.redemptions_remaining, 0)",
              "CASE WHEN {x}.redemptions_remaining IS NULL THEN 1 ELSE 0 END",
              ("redemptions_remaining", "expires_at", "profile_id", "benefit_definition_id")),
}
_GRAINS = "(SELECT 'd' AS grain UNION ALL SELECT 'm' UNION ALL SELECT 'n')"
_UPSERT = (" ON CONFLICT (kind, grain, bucket, store_id, definition_id) DO UPDATE SET "
           "n = report_totals.n + excluded.n, amount = report_totals.amount + excluded.amount, "
           "unlimited = report_totals.unlimited + excluded.unlimited")
_INSERT = f"INSERT INTO {TABLE} (kind, grain, bucket, store_id, definition_id, n, amount, unlimited) "
DELTAS = "report_total_deltas"
_APPEND = f"INSERT INTO {DELTAS} (kind, grain, bucket, store_id, definition_id, n, amount, unlimited) "


def _write(dialect: str) -> tuple[str, str]:
    """How a trigger writes a change: SQLite updates the totals in place (its writers take
    turns anyway); PostgreSQL appends it to the deltas, because rows every writer of a store
    shares, updated in place and locked to commit, deadlocked concurrent redeems."""
    return (_INSERT, _UPSERT) if dialect == "sqlite" else (_APPEND, "")


def _bucket(dialect: str, instant: str) -> str:
    if dialect == "sqlite":  # naive UTC text, 'YYYY-MM-DD HH:MM:SS.ffffff'
        day, month = f"substr({instant}, 1, 10)", f"substr({instant}, 1, 7)"
    else:
        utc = f"({instant} AT TIME ZONE 'UTC')"
        day, month = f"to_char({utc}, 'YYYY-MM-DD')", f"to_char({utc}, 'YYYY-MM')"
    return f"CASE g.grain WHEN 'd' THEN {day} WHEN 'm' THEN {month} ELSE '' END"


def _one_row(dialect: str, kind: str, row: str, sign: int) -> str:
    """Add (``sign`` 1) or take away (-1) one instance's part: ``row`` is NEW or OLD."""
    _, definition, counts, amount, unlimited, _ = _KINDS[kind]
    into, upsert = _write(dialect)
    return (f"{into}SELECT '{kind}', g.grain, {_bucket(dialect, f'{row}.expires_at')}, "
            f"coalesce((SELECT p.home_store_id FROM profiles p WHERE p.id = {row}.profile_id), ''), "
            f"{row}.{definition}, {sign}, {sign} * {amount.format(x=row)}, "
            f"{sign} * {unlimited.format(x=row)} FROM {_GRAINS} AS g "
            f"WHERE (g.grain = 'n') = ({row}.expires_at IS NULL) AND {counts.format(x=row)}"
            f"{upsert}")


def _many_rows(dialect: str, kind: str, *, store: str, sign: int, where: str) -> str:
    """Add or take away the parts of every instance ``where`` picks (alias ``x``), counted
    under ``store`` (an SQL expression; ``p`` is the instance's profile)."""
    table, definition, counts, amount, unlimited, _ = _KINDS[kind]
    into, upsert = _write(dialect)
    return (f"{into}SELECT '{kind}', g.grain, {_bucket(dialect, 'x.expires_at')}, {store}, "
            f"x.{definition}, {sign} * count(*), {sign} * sum({amount.format(x='x')}), "
            f"{sign} * sum({unlimited.format(x='x')}) "
            f"FROM {table} x LEFT JOIN profiles p ON p.id = x.profile_id "
            f"JOIN {_GRAINS} AS g ON (g.grain = 'n') = (x.expires_at IS NULL) "
            f"WHERE {counts.format(x='x')} AND {where} "
            f"GROUP BY g.grain, {_bucket(dialect, 'x.expires_at')}, {store}, x.{definition}"
            f"{upsert}")


def rebuild_statements(dialect: str) -> list[str]:
    """Recount every total from the rows (the migration's fill, the bench's bulk load): one
    pass over each table for the days and no-expiry rows, then the months from the days."""
    out = [f"DELETE FROM {TABLE}", f"DELETE FROM {DELTAS}"]
    for kind, (table, definition, counts, amount, unlimited, _) in _KINDS.items():
        day = _bucket(dialect, "x.expires_at").replace("g.grain", "CASE WHEN x.expires_at IS "
                                                                 "NULL THEN 'n' ELSE 'd' END")
        grain = "CASE WHEN x.expires_at IS NULL THEN 'n' ELSE 'd' END"
        store = "coalesce(p.home_store_id, '')"
        out.append(f"{_INSERT}SELECT '{kind}', {grain}, {day}, {store}, x.{definition}, "
                   f"count(*), sum({amount.format(x='x')}), sum({unlimited.format(x='x')}) "
                   f"FROM {table} x LEFT JOIN profiles p ON p.id = x.profile_id "
                   f"WHERE {counts.format(x='x')} "
                   f"GROUP BY {grain}, {day}, {store}, x.{definition}{_UPSERT}")
    out.append(f"{_INSERT}SELECT kind, 'm', substr(bucket, 1, 7), store_id, definition_id, "
               f"sum(n), sum(amount), sum(unlimited) FROM {TABLE} WHERE grain = 'd' "
               f"GROUP BY kind, substr(bucket, 1, 7), store_id, definition_id{_UPSERT}")
    return out


def _moved_home(dialect: str) -> list[str]:
    """A customer whose home store changes takes their instances' totals along."""
    out = []
    for kind in _KINDS:
        out.append(_many_rows(dialect, kind, store="coalesce(OLD.home_store_id, '')", sign=-1,
                              where="x.profile_id = OLD.id"))
        out.append(_many_rows(dialect, kind, store="coalesce(NEW.home_store_id, '')", sign=1,
                              where="x.profile_id = NEW.id"))
    return out


def _changed(columns: tuple[str, ...], dialect: str) -> str:
    op = "IS NOT" if dialect == "sqlite" else "IS DISTINCT FROM"
    return " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in columns)


def trigger_names() -> list[str]:
    names = []
    for kind in _KINDS:
        table = _KINDS[kind][0]
        names += [f"report_totals_{table}_insert", f"report_totals_{table}_delete",
                  f"report_totals_{table}_update"]
    return [*names, "report_totals_profiles_home"]


def _sqlite_triggers() -> list[str]:
    out = []
    for kind, (table, _, _, _, _, columns) in _KINDS.items():
        name = f"report_totals_{table}"
        out.append(f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN "
                   f"{_one_row('sqlite', kind, 'NEW', 1)}; END")
        out.append(f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN "
                   f"{_one_row('sqlite', kind, 'OLD', -1)}; END")
        out.append(f"CREATE TRIGGER {name}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
                   f"WHEN {_changed(columns, 'sqlite')} BEGIN "
                   f"{_one_row('sqlite', kind, 'OLD', -1)}; {_one_row('sqlite', kind, 'NEW', 1)}; END")
    moved = "; ".join(_moved_home("sqlite"))
    out.append("CREATE TRIGGER report_totals_profiles_home AFTER UPDATE OF home_store_id ON "
               "profiles WHEN OLD.home_store_id IS NOT NEW.home_store_id BEGIN "
               f"{moved}; END")
    return out


def _pg_function(name: str, body: list[str]) -> str:
    statements = " ".join(f"{s};" for s in body)
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {statements} RETURN NULL; END $$")


def _postgresql_triggers() -> list[str]:
    out = []
    for kind, (table, _, _, _, _, columns) in _KINDS.items():
        name = f"report_totals_{table}"
        for suffix, body in (("insert", [_one_row("postgresql", kind, "NEW", 1)]),
                             ("delete", [_one_row("postgresql", kind, "OLD", -1)]),
                             ("update", [_one_row("postgresql", kind, "OLD", -1),
                                         _one_row("postgresql", kind, "NEW", 1)])):
            out.append(_pg_function(f"{name}_{suffix}", body))
        out.append(f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} FOR EACH ROW "
                   f"EXECUTE FUNCTION {name}_insert()")
        out.append(f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} FOR EACH ROW "
                   f"EXECUTE FUNCTION {name}_delete()")
        out.append(f"CREATE TRIGGER {name}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
                   f"FOR EACH ROW WHEN ({_changed(columns, 'postgresql')}) "
                   f"EXECUTE FUNCTION {name}_update()")
    out.append(_pg_function("report_totals_profiles_home", _moved_home("postgresql")))
    out.append("CREATE TRIGGER report_totals_profiles_home AFTER UPDATE OF home_store_id ON "
               "profiles FOR EACH ROW WHEN (OLD.home_store_id IS DISTINCT FROM NEW.home_store_id) "
               "EXECUTE FUNCTION report_totals_profiles_home()")
    return out


def create_trigger_statements(dialect: str) -> list[str]:
    return _sqlite_triggers() if dialect == "sqlite" else _postgresql_triggers()


def drop_trigger_statements(dialect: str) -> list[str]:
    out = []
    for name in trigger_names():
        table = "profiles" if name.endswith("profiles_home") else name.split("_")[2]
        if dialect == "sqlite":
            out.append(f"DROP TRIGGER IF EXISTS {name}")
        else:
            out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            out.append(f"DROP FUNCTION IF EXISTS {name}()")
    return out


#: Folds take turns (a transaction-scoped advisory lock): two folding at once would upsert
#: the same totals rows in different orders. Writers never touch the totals on PostgreSQL.
_FOLD_LOCK = 0x7265706F7274  # "report"


def fold(conn: Connection) -> None:
    """PostgreSQL: move the deltas committed so far into the totals (their own transaction,
    the caller's). A delta committed after this one's snapshot stays for the next fold, and
    the reports add in whatever is left, so they are exact either way."""
    if conn.dialect.name == "sqlite":
        return
    conn.execute(text(f"SELECT pg_advisory_xact_lock({_FOLD_LOCK})"))
    conn.execute(text(
        f"WITH moved AS (DELETE FROM {DELTAS} RETURNING kind, grain, bucket, store_id, "
        "definition_id, n, amount, unlimited) "
        f"{_INSERT}SELECT kind, grain, bucket, store_id, definition_id, sum(n), sum(amount), "
        "sum(unlimited) FROM moved GROUP BY kind, grain, bucket, store_id, definition_id"
        f"{_UPSERT}"))


def installed(conn: Connection) -> bool:
    """Whether the triggers are there (SQLite; a PostgreSQL till does not exist)."""
    found = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                                 "AND name LIKE 'report_totals_%'").scalar()
    return bool(found)


def install(conn: Connection) -> None:
    """(Re)create the triggers and recount every total, in the caller's transaction."""
    dialect = conn.dialect.name
    for statement in [*drop_trigger_statements(dialect), *create_trigger_statements(dialect),
                      *rebuild_statements(dialect)]:
        conn.execute(text(statement))


def uninstall(conn: Connection) -> None:
    for statement in drop_trigger_statements(conn.dialect.name):
        conn.execute(text(statement))
