"""``clienteling sync --db URL --hub URL --token TOKEN [--verify] [--detail]``: one headless
sync cycle. Progress lines first; the LAST line is one JSON object (pushed, pulled,
conflicts, waiting, online, error, and with --verify: verified, first_difference). Exit 0
when the cycle ran (conflicts included), 1 when --verify found a difference, 2 with one line
on stderr for bad input, an unreachable hub or a rejected token."""

from __future__ import annotations

import argparse
import json
from typing import Any

from clienteling.engine.errors import DomainError


def register(sub: Any) -> None:
    sync = sub.add_parser(
        "sync", help="sync this till with its hub once (push, then pull)",
        description="Syncs with the hub saved by `clienteling connect` (connect first: it "
        "checks the URL and token and saves them). --hub and --token override it for one run "
        "and save nothing.")
    sync.add_argument("--db", help="the till's database URL or file (default: the local till "
                      "database)")
    sync.add_argument("--hub", help="the hub's URL (default: the one saved by `clienteling "
                      "connect`); for this run only, nothing is saved")
    sync.add_argument("--token", help="this till's token (default: the one `clienteling connect` "
                      "kept for that hub); for this run only, nothing is saved")
    sync.add_argument("--verify", action="store_true",
                      help="afterwards compare this till's digest with the hub's")
    sync.add_argument("--detail", action="store_true",
                      help="with --verify, name the first record that differs")
    sync.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    sync.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from clienteling.cli_paths import chosen_database
    from clienteling.engine.services import Clienteling
    from clienteling.sync import state
    from clienteling.sync.client import HubClient, SyncError
    from clienteling.sync.credentials import TokenStore
    from clienteling.sync.cycle import run_cycle
    from clienteling.sync.progress import Progress
    from clienteling.sync.verify import verify

    if args.detail and not args.verify:
        raise DomainError("--detail needs --verify")
    if not 0 < args.timeout <= 600:
        raise DomainError("--timeout must be between 0 and 600 seconds")
    url = chosen_database(args.db)
    cl = Clienteling.open(url, mode="till")
    try:
        hub = args.hub or state.hub_url(cl)
        if not hub:
            raise DomainError("--hub is required: this till is not connected to a hub yet "
                              "(clienteling connect --hub URL --token TOKEN saves one)")
        try:
            hub = state.check_hub_url(hub)
        except DomainError as exc:
            raise DomainError(f"--hub {hub}: {_first_problem(exc)}") from None
        token = args.token if args.token is not None else TokenStore().load(hub)
        if not token or not token.strip():
            raise DomainError(f"--token is required: no token is kept for {hub}")
        from clienteling.sync.connect import ConnectProblem, check_token_text

        try:
            token = check_token_text(token)
        except ConnectProblem as exc:  # an en dash pasted from a document, say (issue 19)
            raise DomainError(f"--token {exc.problem}") from None

        def show(p: Progress) -> None:
            total = f"/{p.total}" if p.total is not None else ""
            print(f"{p.phase}: {p.done}{total}", flush=True)

        with HubClient(hub, token, timeout=args.timeout) as client:
            report = run_cycle(cl, client, progress=show, force=True)
            if report.token_rejected or (not report.online and report.error):
                raise DomainError(report.error or "sync failed")
            out: dict[str, Any] = {"pushed": report.pushed, "pulled": report.pulled,
                                   "conflicts": report.conflicts, "waiting": report.waiting,
                                   "online": report.online, "error": report.error}
            code = 0
            if args.verify and report.error is None:
                try:
                    checked = verify(cl, client, detail=args.detail)
                except SyncError as exc:
                    # A hub that times out, refuses or fails while answering the digest is
                    # a hub problem said in one line, not a crash (issue 19).
                    raise DomainError(f"--verify: {exc}") from None
                out["verified"] = checked.equal
                if not checked.equal:
                    out["first_difference"] = {"type": checked.first_type,
                                               "id": checked.first_id}
                    code = 1
            elif args.verify:
                out["verified"] = False
                code = 1
        print(json.dumps(out), flush=True)
        return code
    finally:
        cl.close()


def _first_problem(exc: DomainError) -> str:
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict):
        for problems in errors.values():
            if problems:
                return str(problems[0])
    return str(exc)
