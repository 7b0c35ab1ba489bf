"""``clienteling hub …``: set up and run the hub.

    clienteling hub init   --db URL
    clienteling hub store add   --db URL --name NAME --timezone TZ
    clienteling hub store list  --db URL [--json]
    clienteling hub staff add   --db URL --username U --name NAME --role associate|manager|admin
                                --pin PIN --store STORE_ID
    clienteling hub staff pin   --db URL --id STAFF_ID --pin PIN
    clienteling hub staff deactivate --db URL --id STAFF_ID
    clienteling hub staff list  --db URL [--store STORE_ID] [--json]
    clienteling hub token create --db URL --store STORE_ID --name TILL_NAME [--admin]
    clienteling hub token list  --db URL [--json]
    clienteling hub token revoke --db URL --id TOKEN_ID
    clienteling hub import --db URL --kind KIND FILE [--format csv|jsonl] [--as ADMIN]
                           [--dry-run] [--report PATH]
    clienteling hub export --db URL --kind KIND --out FILE [--format csv|jsonl]
    clienteling hub reactions run --db URL [--at TIME]
    clienteling hub serve  --db URL [--host HOST] [--port PORT] [--workers N]
                           [--offline-allowance-hours HOURS]

Each command that adds or changes something prints the new id (or token) as the
last line of its output, so a script can take ``| tail -n1``; an error is one line
on stderr and exit code 2. The ``list`` commands print an aligned table and a count
(the ids first, to pass to the other commands), or with ``--json`` one line: a JSON
array of objects (stores: id, name, timezone; staff: id, username, display_name,
role, store_id, active; tokens: id, name, store_id, admin, created_at, revoked —
never a PIN hash or a token). They read an existing hub database only.
``--db`` defaults to ``$CLIENTELING_HUB_DB``; it is a SQLite path or URL, or
``postgresql+psycopg://user@host/dbname`` (created by ``init`` if missing).
``import`` and ``export`` move a retailer's records in and out as CSV with a header
or JSON Lines (SPEC §7; KIND: stores, staff, profiles, benefit_definitions,
reward_definitions, benefits, rewards, purchases, reactions): an import upserts each
row by its natural key, writes rejected rows (line, field, problem) to a report and
ends with a JSON summary line (exit 1 when a row was rejected).
``reactions run`` issues the day's time-triggered reactions (birthday, join
anniversary, lapsed; docs/reactions.md) and prints a JSON summary; ``serve`` also
runs it by itself once a day.
"""
# This docstring is ``clienteling hub --help``. The top-level ``clienteling`` command calls
# :func:`register`; ``python -m clienteling.hub.cli`` works on its own too.

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from clienteling.engine.db import DatabaseError
from clienteling.engine.errors import DomainError, ValidationError
from clienteling.engine.services import Clienteling, Policy
from clienteling.hub.deployment import (
    DEFAULT_ALLOWANCE_HOURS,
    ENV_ALLOWANCE,
    MAX_ALLOWANCE_HOURS,
)
from clienteling.hub.transfer.command import add_commands as add_transfer_commands

ENV_DB = "CLIENTELING_HUB_DB"
ROLES = ("associate", "manager", "admin")


class CommandError(Exception):
    """A problem to report in one line (exit code 2)."""


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        raise SystemExit(2)


def _masked(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def _db(args: argparse.Namespace) -> str:
    url = args.db or os.environ.get(ENV_DB)
    if not url:
        raise CommandError(f"give --db URL (or set {ENV_DB})")
    return str(url)


def _create_postgres_database(url: str) -> bool:
    """Create the PostgreSQL database named in ``url`` if it does not exist (hub init)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.get_backend_name().startswith("postgresql") or not parsed.database:
        return False
    name = parsed.database
    engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": name}).scalar()
            if exists:
                return False
            quoted = '"' + name.replace('"', '""') + '"'
            conn.execute(text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        engine.dispose()


def _open(url: str) -> Clienteling:
    return Clienteling.open(url, mode="hub")


def cmd_init(args: argparse.Namespace) -> int:
    url = _db(args)
    created = False
    try:
        cl = _open(url)
    except DatabaseError as first:
        if "does not exist" not in first.message:
            raise
        try:
            created = _create_postgres_database(url)
        except Exception as exc:
            raise CommandError(f"{first.message} (and could not create it: {exc})") from exc
        if not created:
            raise
        cl = _open(url)
    try:
        revision = cl.schema_revision()
        stores = len(cl.staff.stores())
    finally:
        cl.close()
    if created:
        print(f"Created the database {_masked(url)}")
    print(f"Hub database ready (schema {revision}, {stores} store{'s' if stores != 1 else ''})")
    print(_masked(url))
    return 0


def _open_existing(args: argparse.Namespace) -> Clienteling:
    """The hub database for a command that only reads it: a SQLite file that does not exist
    is refused (one line) rather than created empty."""
    from clienteling.cli_paths import existing_database

    return _open(existing_database(_db(args)))


def _utc(value: datetime) -> datetime:
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(UTC)


def _instant(value: datetime) -> str:
    """ISO 8601 in UTC with its offset, as the API writes times."""
    return _utc(value).isoformat()


def _minute(value: datetime) -> str:
    return _utc(value).strftime("%Y-%m-%d %H:%M UTC")


def _listing(args: argparse.Namespace, noun: str, headers: Sequence[str],
             rows: Sequence[tuple[dict[str, Any], Sequence[str]]]) -> None:
    """``--json``: one line, a JSON array of the records; otherwise an aligned table (the
    free-text column last) and a count."""
    if args.json:
        print(json.dumps([record for record, _ in rows], ensure_ascii=False))
        return
    cells = [list(headers), *([str(c) for c in cols] for _, cols in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(headers) - 1)]
    for line in cells:
        print("  ".join([*(c.ljust(w) for c, w in zip(line, widths, strict=False)),
                         line[-1]]).rstrip())
    print(f"{len(rows)} {noun}{'s' if len(rows) != 1 else ''}")


def cmd_store_list(args: argparse.Namespace) -> int:
    with _open_existing(args) as cl:
        stores = cl.staff.stores()
    _listing(args, "store", ("ID", "TIMEZONE", "NAME"), [
        ({"id": st.id, "name": st.name, "timezone": st.timezone}, (st.id, st.timezone, st.name))
        for st in stores])
    return 0


def cmd_staff_list(args: argparse.Namespace) -> int:
    with _open_existing(args) as cl:
        if args.store is not None and args.store not in {st.id for st in cl.staff.stores()}:
            raise CommandError(f"--store: no store with id {args.store} (see 'hub store list')")
        members = [m for m in cl.staff.list_staff(active_only=False)
                   if args.store is None or m.store_id == args.store]
    _listing(args, "staff member", ("ID", "USERNAME", "ROLE", "STATE", "STORE", "NAME"), [
        ({"id": m.id, "username": m.username, "display_name": m.display_name, "role": m.role,
          "store_id": m.store_id, "active": bool(m.is_active)},
         (m.id, m.username, m.role, "active" if m.is_active else "inactive", m.store_id,
          m.display_name))
        for m in members])
    return 0


def cmd_store_add(args: argparse.Namespace) -> int:
    with _open(_db(args)) as cl:
        store = cl.staff.create_store(None, {"name": args.name, "timezone": args.timezone})
    print(f"Added store {store.name} ({store.timezone})")
    print(store.id)
    return 0


def cmd_staff_add(args: argparse.Namespace) -> int:
    with _open(_db(args)) as cl:
        member = cl.staff.create_staff(None, {
            "username": args.username, "display_name": args.name, "role": args.role,
            "store_id": args.store, "pin": args.pin,
        })
    print(f"Added {member.role} {member.display_name} ({member.username})")
    print(member.id)
    return 0


def cmd_staff_pin(args: argparse.Namespace) -> int:
    with _open(_db(args)) as cl:
        member = cl.staff.set_pin(None, args.id, {"pin": args.pin})
    print(f"New PIN set for {member.display_name} ({member.username})")
    print(member.id)
    return 0


def cmd_staff_deactivate(args: argparse.Namespace) -> int:
    with _open(_db(args)) as cl:
        member = cl.staff.deactivate(None, args.id)
    print(f"Deactivated {member.display_name} ({member.username}); a running hub refuses them "
          "from its next request.")
    print(member.id)
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:

    with _open(_db(args)) as cl:
        token, row = cl.devices.create_token(None, {"store_id": args.store,
                                                               "name": args.name,
                                                               "is_admin": args.admin})
    kind = "admin device" if row.is_admin else "till"
    print(f"Device token {row.id} for {kind} '{row.name}'. It is shown only now; the hub keeps "
          "only a hash of it:")
    print(token)
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:

    with _open_existing(args) as cl:
        tokens = cl.devices.tokens()
    _listing(args, "device token", ("ID", "STATE", "KIND", "STORE", "CREATED", "NAME"), [
        ({"id": row.id, "name": row.name, "store_id": row.store_id, "admin": bool(row.is_admin),
          "created_at": _instant(row.created_at), "revoked": not row.is_active},
         (row.id, "active" if row.is_active else "revoked", "admin" if row.is_admin else "till",
          row.store_id, _minute(row.created_at), row.name))
        for row in tokens])
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:

    with _open_existing(args) as cl:
        cl.devices.revoke(None, args.id)
    print("Revoked; a running hub refuses it from its next request.")
    print(args.id)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from clienteling.hub.app import create_app

    url = _db(args)
    if args.workers < 1:
        raise CommandError("--workers must be at least 1")
    if not 0 <= args.port <= 65535:
        # Checked here: uvicorn would print a traceback for it before any message of ours.
        raise CommandError(f"--port must be a port number from 0 to 65535 (got {args.port})")
    hours = args.offline_allowance_hours
    if not 0 < hours <= MAX_ALLOWANCE_HOURS:
        raise CommandError(f"--offline-allowance-hours must be more than 0 and at most "
                           f"{MAX_ALLOWANCE_HOURS:g}")
    policy = Policy(offline_allowance=timedelta(hours=hours))
    # opens and migrates once, and fails here (one line) if it cannot
    app = create_app(url, policy=policy, daily_reactions=True)
    print(f"Clienteling hub on http://{args.host}:{args.port}/api/v3 (database {_masked(url)}, "
          f"{args.workers} worker{'s' if args.workers != 1 else ''}); Ctrl+C stops it", flush=True)
    try:
        if args.workers == 1:
            uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
        else:
            os.environ[ENV_DB] = url
            os.environ[ENV_ALLOWANCE] = repr(hours)
            uvicorn.run("clienteling.hub.app:create_app_from_env", factory=True, host=args.host,
                        port=args.port, workers=args.workers, log_level=args.log_level)
    except KeyboardInterrupt:
        return 0
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise CommandError(f"the server could not start on {args.host}:{args.port} "
                               "(see the log above)") from exc
    return 0


def _at(value: str | None) -> datetime:
    """``--at``: an ISO 8601 time (UTC when it has no offset), or now."""
    if value is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"--at: '{value[:40]}' is not a time; give ISO 8601 such as "
                           "2026-03-02T09:00:00+11:00") from None
    return _utc(parsed)


def cmd_reactions_run(args: argparse.Namespace) -> int:
    """The daily run of the time triggers (SPEC 3.9 RX4), for cron or to catch up."""
    at = _at(args.at)
    with _open_existing(args) as cl:
        result = cl.reactions.run_daily(None, at)
    print(json.dumps({"at": _instant(result.at), "ran": result.ran, "issued": result.issued,
                      "total": result.total, "skipped": result.skipped}, ensure_ascii=False))
    return 0


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run a command; any error becomes one line on stderr and exit code 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except CommandError as exc:
            message = str(exc)
        except ValidationError as exc:
            message = "; ".join(f"--{f.replace('_', '-')}: {' '.join(p)}"
                                for f, p in exc.errors.items())
        except DomainError as exc:
            message = exc.message
        except Exception as exc:  # never a traceback in the operator's face
            message = f"{type(exc).__name__}: {exc}"
        sys.stderr.write(f"clienteling hub: error: {' '.join(message.split())}\n")
        return 2

    run.__name__ = func.__name__
    run.__doc__ = func.__doc__
    return run


def _needs(what: str, choices: str) -> Callable[[argparse.Namespace], int]:
    def missing(_args: argparse.Namespace) -> int:
        sys.stderr.write(f"clienteling {what}: error: choose a command: {choices}\n")
        return 2

    return missing


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help=f"database URL or SQLite path (default ${ENV_DB})")


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="one line for scripts: a JSON array of objects")


def register(subparsers: Any) -> None:
    """Add ``hub`` and its commands to the ``clienteling`` command's subparsers."""
    hub = subparsers.add_parser("hub", help="set up and run the central hub",
                                description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    hub.set_defaults(func=_needs("hub", "init, store, staff, token, import, export, "
                                        "reactions, serve"))
    commands = hub.add_subparsers(dest="hub_command", parser_class=OneLineParser,
                                  metavar="{init,store,staff,token,import,export,reactions,serve}",
                                  title="commands (each has --help)")

    init = commands.add_parser("init", help="create or migrate the hub database (safe to repeat)")
    _db_option(init)
    init.set_defaults(func=_guarded(cmd_init))

    store = commands.add_parser("store", help="stores: add, list")
    store.set_defaults(func=_needs("hub store", "add, list"))
    store_commands = store.add_subparsers(dest="hub_store_command", parser_class=OneLineParser)
    store_add = store_commands.add_parser("add", help="add a store; prints its id")
    _db_option(store_add)
    store_add.add_argument("--name", required=True)
    store_add.add_argument("--timezone", required=True, help="IANA name, e.g. Australia/Melbourne")
    store_add.set_defaults(func=_guarded(cmd_store_add))
    store_list = store_commands.add_parser("list", help="the stores: id, timezone, name")
    _db_option(store_list)
    _json_option(store_list)
    store_list.set_defaults(func=_guarded(cmd_store_list))

    staff = commands.add_parser("staff", help="staff members: add, pin, deactivate, list")
    staff.set_defaults(func=_needs("hub staff", "add, pin, deactivate, list"))
    staff_commands = staff.add_subparsers(dest="hub_staff_command", parser_class=OneLineParser)
    staff_add = staff_commands.add_parser("add", help="add a staff member; prints their id")
    _db_option(staff_add)
    staff_add.add_argument("--username", required=True)
    staff_add.add_argument("--name", required=True, help="display name")
    staff_add.add_argument("--role", required=True, choices=ROLES)
    staff_add.add_argument("--pin", required=True,
                           help="digits: 4 to 8 for an associate, 6 to 8 for a manager or admin")
    staff_add.add_argument("--store", required=True, help="store id")
    staff_add.set_defaults(func=_guarded(cmd_staff_add))
    staff_pin = staff_commands.add_parser("pin", help="set a staff member's PIN; prints their id")
    _db_option(staff_pin)
    staff_pin.add_argument("--id", required=True, help="the staff member's id")
    staff_pin.add_argument("--pin", required=True,
                           help="digits: 4 to 8 for an associate, 6 to 8 for a manager or admin")
    staff_pin.set_defaults(func=_guarded(cmd_staff_pin))
    staff_off = staff_commands.add_parser("deactivate", help="stop a staff member acting "
                                          "anywhere; prints their id")
    _db_option(staff_off)
    staff_off.add_argument("--id", required=True, help="the staff member's id")
    staff_off.set_defaults(func=_guarded(cmd_staff_deactivate))
    staff_list = staff_commands.add_parser("list", help="the staff: id, username, role, "
                                           "active or not, store, name (never PIN hashes)")
    _db_option(staff_list)
    staff_list.add_argument("--store", help="only this store's staff (a store id)")
    _json_option(staff_list)
    staff_list.set_defaults(func=_guarded(cmd_staff_list))

    token = commands.add_parser("token", help="device tokens for tills: create, list, revoke")
    token.set_defaults(func=_needs("hub token", "create, list, revoke"))
    token_commands = token.add_subparsers(dest="hub_token_command", parser_class=OneLineParser)
    token_create = token_commands.add_parser("create", help="a new device token; prints it once")
    _db_option(token_create)
    token_create.add_argument("--store", required=True, help="store id")
    token_create.add_argument("--name", required=True, help="the till's name")
    token_create.add_argument("--admin", action="store_true",
                              help="enrol an admin device (back office): admins may act on it and "
                                   "admin actions are accepted from it; without it, a till")
    token_create.set_defaults(func=_guarded(cmd_token_create))
    token_list = token_commands.add_parser("list", help="the device tokens (never the tokens "
                                           "themselves: ids, state, kind, stores, names)")
    _db_option(token_list)
    _json_option(token_list)
    token_list.set_defaults(func=_guarded(cmd_token_list))
    token_revoke = token_commands.add_parser("revoke", help="stop a till's token working (a lost "
                                             "or stolen till); prints its id")
    _db_option(token_revoke)
    token_revoke.add_argument("--id", required=True, help="the token's id (see 'hub token list')")
    token_revoke.set_defaults(func=_guarded(cmd_token_revoke))

    add_transfer_commands(commands, guarded=_guarded, db_option=_db_option, db=_db,
                          open_hub=_open, command_error=CommandError)

    reactions = commands.add_parser("reactions", help="reactions: run the daily time triggers")
    reactions.set_defaults(func=_needs("hub reactions", "run"))
    reaction_commands = reactions.add_subparsers(dest="hub_reactions_command",
                                                 parser_class=OneLineParser)
    run = reaction_commands.add_parser(
        "run", help="issue today's birthday, join anniversary and lapsed reactions (safe to "
        "repeat: nothing is issued twice); prints a JSON summary")
    _db_option(run)
    run.add_argument("--at", metavar="TIME", help="the time to run for, ISO 8601 (default now; "
                     "UTC without an offset): to catch up after downtime")
    run.set_defaults(func=_guarded(cmd_reactions_run))

    serve = commands.add_parser("serve", help="run the hub (uvicorn)")
    _db_option(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes (each a Python process; use about one per core)")
    serve.add_argument("--offline-allowance-hours", type=float,
                       default=DEFAULT_ALLOWANCE_HOURS, metavar="HOURS",
                       help="a change replayed from a till within this many hours of being made "
                            "is judged at the time it was made, later ones at arrival "
                            f"(default {DEFAULT_ALLOWANCE_HOURS:g})")
    serve.add_argument("--log-level", default="info",
                       choices=("critical", "error", "warning", "info", "debug"))
    serve.set_defaults(func=_guarded(cmd_serve))


def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineParser(prog="clienteling")
    commands = parser.add_subparsers(dest="command", parser_class=OneLineParser)
    register(commands)
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.error("choose a command: hub")
    return int(func(args))


if __name__ == "__main__":
    sys.exit(main())
