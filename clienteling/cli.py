"""The ``clienteling`` command: the app (default), demo data, audit checks and the hub.

Every failure a person can cause (a bad URL, a locked database, a wrong option)
is printed as one line on standard error with exit status 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from clienteling import __version__
from clienteling.engine.errors import DomainError

log = logging.getLogger("clienteling")


def _cmd_app(args: argparse.Namespace) -> int:
    # Before Qt loads: a missing system library is named with its package, not a core dump.
    from clienteling.platform_libraries import check

    missing = check()
    if missing is not None:
        raise DomainError(f"cannot start: {missing.message}")
    from clienteling.cli_paths import chosen_database

    url = chosen_database(args.db)
    from clienteling.ui.app import run

    return run(url)


def _cmd_demo(args: argparse.Namespace) -> int:
    from clienteling.cli_paths import chosen_database
    from clienteling.demo import create_demo
    from clienteling.engine.services import Clienteling

    if args.profiles < 1 or args.profiles > 5_000_000:
        raise DomainError("--profiles must be between 1 and 5,000,000")
    url = chosen_database(args.db)
    with Clienteling.open(url) as cl:
        existing = cl.staff.list_staff(active_only=False)
    if existing:
        raise DomainError(f"{url} already has data; demo data goes into a new, empty database")
    create_demo(url, profiles=args.profiles, seed=args.seed)
    print(f"Demo data with {args.profiles} profiles written to {url}")
    print("Sign in as ava (associate, PIN 4821), max (manager, 731405) or ada (admin, 905238).")
    print(url)
    return 0


def _cmd_audit_verify(args: argparse.Namespace) -> int:
    from clienteling.cli_paths import existing_database
    from clienteling.engine.audit import verify_chain
    from clienteling.engine.db import current_revision, open_database

    url = existing_database(args.db)
    db = open_database(url, migrate_schema=False)
    try:
        if current_revision(db) is None:
            raise DomainError(f"--db {args.db}: not a Clienteling database (it has no schema "
                              "version, so no audit trail)")
        with db.read() as session:
            report = verify_chain(session)
    finally:
        db.dispose()
    print(report)
    return 0 if report.ok else 1


def _cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from clienteling.cli_paths import existing_database
    from clienteling.engine.backup import backup

    url = existing_database(args.db)
    if args.keep < 1:
        raise DomainError("--keep must be at least 1")
    made = backup(url, to=Path(args.to).expanduser() if args.to else None, keep=args.keep)
    print(f"Backed up {url} (SQLite online backup); the newest {args.keep} backups are kept")
    print(made)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clienteling",
        description="Clienteling: customer benefits and rewards at the store counter.",
    )
    parser.add_argument("--version", action="version", version=f"clienteling {__version__}")
    parser.add_argument("--db", help="database URL or file for the app (default: CLIENTELING_DB "
                        "or the user data folder)")
    parser.set_defaults(func=_cmd_app)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    app = sub.add_parser("app", help="open the desktop app at the sign-in screen (the default)")
    app.add_argument("--db", default=argparse.SUPPRESS,
                     help="database URL or file (default: the local till database)")
    app.set_defaults(func=_cmd_app)

    demo = sub.add_parser("demo", help="create a database filled with demo data")
    demo.add_argument("--db", help="database URL or file (default: the local till database)")
    demo.add_argument("--profiles", type=int, default=2000, help="how many profiles (default 2000)")
    demo.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
    demo.set_defaults(func=_cmd_demo)

    audit = sub.add_parser("audit", help="audit trail checks")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="COMMAND", required=True)
    verify = audit_sub.add_parser("verify", help="walk the hash chain and name the first broken link")
    verify.add_argument("--db", required=True, help="database URL or file")
    verify.set_defaults(func=_cmd_audit_verify)

    backup = sub.add_parser("backup", help="copy a till's database (SQLite online backup), "
                            "keeping the newest few; prints the copy's path")
    backup.add_argument("--db", required=True, help="database URL or file")
    backup.add_argument("--to", help="folder for the copy (default: 'backups' beside the database)")
    backup.add_argument("--keep", type=int, default=5, help="how many backups to keep (default 5)")
    backup.set_defaults(func=_cmd_backup)

    from clienteling.hub.cli import register as register_hub

    register_hub(sub)
    from clienteling.sync.command import register as register_sync
    from clienteling.sync.connect_command import register as register_connect

    register_connect(sub)
    register_sync(sub)
    from clienteling.bench.command import register as register_bench

    register_bench(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from clienteling.logfile import console_handler

    logging.basicConfig(level=logging.WARNING, handlers=[console_handler()])
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Any = args.func
    try:
        return int(func(args) or 0)
    except DomainError as exc:
        print(f"clienteling: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: a crash report in the log file, one line on the screen
        from clienteling.logfile import report_crash

        report = report_crash(exc)
        where = f" (crash report in {report})" if report else ""
        print(f"clienteling: unexpected error: {exc.__class__.__name__}: {exc}{where}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
