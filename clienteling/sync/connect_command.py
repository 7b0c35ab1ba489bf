"""``clienteling connect --db TILL --hub URL --token TOKEN``: check a hub URL and till token
(``sync.connect``) and only then save them — the URL in the till's database, the token in
``TokenStore`` — and say which store the till now belongs to (SPEC §6 "Connecting a till").

Who acts: nobody signs in on a command line, so this is the till's own set-up, like ``hub
token create`` on the hub: the till token the hub's admin created is the authority (the
hub takes it from anyone who holds it). The engine still refuses to switch a till that has
its store's staff to a token of another store. In the app the same change needs a manager
or admin (``Action.CONNECT_TILL``). Reconnecting (a new token, a new URL) keeps the changes
waiting in the outbox; they go to the hub at the next sync with the new token.

On any problem: one line on stderr naming ``--hub`` or ``--token``, exit 2, nothing saved.
"""

from __future__ import annotations

import argparse
from typing import Any

from clienteling.engine.errors import DomainError, ValidationError

OPTION = {"hub_url": "--hub", "token": "--token"}


def register(sub: Any) -> None:
    connect = sub.add_parser(
        "connect", help="connect this till to a hub: checks the URL and token with the hub, "
        "then saves them (a new till, or a new token or URL for one in use)",
        description="Checks the hub URL and till token with the hub first; nothing is saved "
        "unless the hub takes the token. Then `clienteling sync --db TILL` uses this "
        "connection. Changes waiting to be sent are kept.")
    connect.add_argument("--db", help="the till's database URL or file (default: the local "
                         "till database)")
    connect.add_argument("--hub", required=True, help="the hub's URL, e.g. https://hub.example.com")
    connect.add_argument("--token", required=True, help="this till's token, from `clienteling "
                         "hub token create` on the hub")
    connect.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the hub")
    connect.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from clienteling.cli_paths import chosen_database
    from clienteling.engine.services import Clienteling
    from clienteling.sync import state
    from clienteling.sync.connect import ConnectProblem, check_connection
    from clienteling.sync.credentials import TokenStore

    if not 0 < args.timeout <= 600:
        raise DomainError("--timeout must be between 0 and 600 seconds")
    try:
        found = check_connection(args.hub, args.token, timeout=args.timeout)
    except ConnectProblem as exc:
        raise DomainError(f"{OPTION[exc.field_name]}: {exc.problem}") from None
    url = chosen_database(args.db)
    tokens = TokenStore()
    # The token first, so a till never has a saved URL without its token; put back as it was
    # if the database refuses the connection.
    before = tokens.load(found.hub_url)
    tokens.save(found.hub_url, found.token)
    try:
        with Clienteling.open(url, mode="till") as cl:
            state.connect(cl, None, found)
            waiting = cl.outbox.counts()
    except BaseException as exc:
        if before is None:
            tokens.delete(found.hub_url)
        else:
            tokens.save(found.hub_url, before)
        if isinstance(exc, ValidationError) and "token" in exc.errors:
            raise DomainError(f"--token: {exc.errors['token'][0]}") from None
        raise
    print(f"Connected {url} to {found.hub_url}: {found.describe()}.")
    print(f"The token is kept in {tokens.where}.")
    pending = waiting.pending
    if pending:
        print(f"{pending} change{'s' if pending != 1 else ''} waiting will be sent at the next sync.")
    print(f"Next: clienteling sync --db {args.db or url}")
    return 0
