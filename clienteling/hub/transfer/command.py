"""``clienteling hub import`` and ``hub export`` (SPEC §7, issue 16).

    clienteling hub import --db URL --kind KIND FILE [--format csv|jsonl] [--as ADMIN]
                           [--dry-run] [--report PATH]
    clienteling hub export --db URL --kind KIND --out FILE [--format csv|jsonl]

The last line of an import is its JSON summary (``read``, ``created``, ``updated``,
``unchanged``, ``rejected``, ``report``); of an export ``{kind, written, out}``. A problem with
the command or the file as a whole is one line on stderr and exit 2; a bad row is not: it is
reported and the import goes on (exit 1 when any row was rejected, so a script notices).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clienteling.engine.services import Clienteling
from clienteling.hub.transfer.files import FORMATS, FileProblem, format_of
from clienteling.hub.transfer.kinds import KINDS, kind_named
from clienteling.hub.transfer.run import (
    export_file,
    import_file,
    report_path_for,
    terminal_progress,
)

Command = Callable[[argparse.Namespace], int]


def _kinds_help() -> str:
    return "; ".join(f"{name}: {kind.describe}" for name, kind in KINDS.items())


def add_commands(commands: Any, *, guarded: Callable[[Command], Command],
                 db_option: Callable[[argparse.ArgumentParser], None],
                 db: Callable[[argparse.Namespace], str],
                 open_hub: Callable[[str], Clienteling],
                 command_error: type[Exception]) -> None:
    """Add ``import`` and ``export`` to ``clienteling hub``'s commands. The CLI's own helpers
    come in as arguments, so this module never imports ``hub.cli`` (which imports it)."""

    def cmd_import(args: argparse.Namespace) -> int:
        kind = kind_named(args.kind)
        source = Path(args.file)
        if not source.is_file():
            raise command_error(f"{args.file}: no such file")
        try:
            fmt = format_of(source, args.format)
        except FileProblem as exc:
            raise command_error(str(exc)) from None
        cl = open_hub(db(args))
        try:
            transfer = cl.transfer
            actor = None
            if args.as_username:
                actor = transfer.importer(args.as_username)
            elif kind.needs_admin:
                raise command_error(f"--as: name an admin's username: {kind.name} are made by "
                                    "an admin, and the import is audited as theirs")
            progress = terminal_progress()
            try:
                summary = import_file(cl, transfer, kind, source, fmt, actor=actor,
                                      dry_run=args.dry_run,
                                      report=Path(args.report) if args.report else None,
                                      progress=progress)
            except FileProblem as exc:
                raise command_error(f"{source.name}: {exc}") from None
            if progress is not None:
                sys.stderr.write("\n")
        finally:
            cl.close()
        print(summary.json(), flush=True)
        return 1 if summary.rejected else 0

    def cmd_export(args: argparse.Namespace) -> int:
        kind = kind_named(args.kind)
        try:
            fmt = format_of(args.out, args.format)
        except FileProblem as exc:
            raise command_error(str(exc)) from None
        out = Path(args.out)
        if not out.parent.is_dir():
            raise command_error(f"--out: the folder {out.parent} does not exist")
        cl = open_hub(db(args))
        try:
            done = export_file(cl.transfer, kind, out, fmt)
        finally:
            cl.close()
        print(done.json(), flush=True)
        return 0

    importer = commands.add_parser(
        "import", help="import stores, staff, customers, definitions, opening balances, purchases or "
        "reactions from CSV or JSON Lines",
        description=f"Upserts each row by its natural key ({_kinds_help()}). Rejected rows go "
                    "to a report (line, field, problem); the last line is a JSON summary.")
    db_option(importer)
    importer.add_argument("--kind", required=True, choices=list(KINDS))
    importer.add_argument("file", metavar="FILE", help="a .csv (with a header) or .jsonl file")
    importer.add_argument("--format", choices=FORMATS, help="instead of the file's extension")
    importer.add_argument("--as", dest="as_username", metavar="ADMIN",
                          help="the admin the import is audited as (needed for profiles and "
                               "definitions)")
    importer.add_argument("--dry-run", action="store_true",
                          help="check every row and report, but change nothing")
    importer.add_argument("--report", metavar="PATH",
                          help=f"where rejected rows go (default: beside FILE, e.g. "
                               f"{report_path_for('customers.csv')})")
    importer.set_defaults(func=guarded(cmd_import))

    exporter = commands.add_parser("export", help="export a kind of record in the form import "
                                   "reads")
    db_option(exporter)
    exporter.add_argument("--kind", required=True, choices=list(KINDS))
    exporter.add_argument("--out", required=True, metavar="FILE", help="a .csv or .jsonl file")
    exporter.add_argument("--format", choices=FORMATS, help="instead of the file's extension")
    exporter.set_defaults(func=guarded(cmd_export))
