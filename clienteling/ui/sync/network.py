"""What runs on the network worker for sync: one cycle with the hub (SPEC §6) and keeping
the till token a manager entered under Hub connection… (:mod:`clienteling.ui.sync.connect_dialog`).

The ``HubClient`` wraps one ``httpx.Client`` and is thread-confined, so :class:`HubLink` keeps
it here and only the network worker's thread ever calls these functions. Qt-free: the cycle
reports progress through a plain callback that the controller turns into a signal.

The sync stack (the cycle, the HTTP client with httpx, the wire models with pydantic, the
keyring) is imported here on its first use — the first cycle of a till with a hub, or a token
saved — never at start-up: about a third of the app's imports, for a till that may have no
hub at all (SPEC §8, start-up).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clienteling.engine.services import Clienteling
from clienteling.sync.progress import Progress
from clienteling.sync.state import hub_url

if TYPE_CHECKING:
    from clienteling.sync.client import HubClient
    from clienteling.sync.credentials import TokenStore
    from clienteling.sync.cycle import CycleReport
    from clienteling.sync.hub_reports import Report
    from clienteling.sync.reaction_dry_run import HubDryRun

NOT_CONNECTED = "This till is not connected to a hub: a manager connects it under Hub connection…"


@dataclass(frozen=True)
class Outcome:
    """One cycle as the status bar needs it; ``report`` is None when no hub is set up."""

    report: CycleReport | None
    hub_url: str | None


class HubLink:
    """The network worker's connection to the hub: the URL and token it was made for and the
    client, rebuilt when a manager connects the till somewhere else."""

    def __init__(self, store_factory: Callable[[], TokenStore] | None = None) -> None:
        self._store_factory = store_factory
        self._store: TokenStore | None = None
        self._client: HubClient | None = None
        self._made_for: tuple[str, str] | None = None

    @property
    def store(self) -> TokenStore:
        if self._store is None:  # keyring may probe its backends: not on the GUI thread
            if self._store_factory is None:
                from clienteling.sync.credentials import TokenStore

                self._store = TokenStore()
            else:
                self._store = self._store_factory()
        return self._store

    def client(self, url: str) -> HubClient | None:
        token = self.store.load(url)
        if token is None:
            self.close()
            return None
        if self._client is None or self._made_for != (url, token):
            from clienteling.sync.client import HubClient

            self.close()
            self._client = HubClient(url, token)
            self._made_for = (url, token)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
        self._made_for = None

    def cycle(self, cl: Clienteling, progress: Callable[[Progress], None],
              cancel: threading.Event, *, force: bool = False) -> Outcome:
        """One push-then-pull cycle, or no report when the till has no hub or token yet."""
        url = hub_url(cl)
        client = self.client(url) if url else None
        if client is None:
            return Outcome(None, url)
        from clienteling.sync.cycle import run_cycle

        return Outcome(run_cycle(cl, client, progress=progress, cancel=cancel, force=force), url)

    def dry_run_reaction(self, cl: Clienteling, staff_id: str, body: dict[str, Any]) -> HubDryRun | None:
        """A reaction's dry run at the hub (SPEC RX6), or None when the till has no hub or
        token; raises what ``dry_run_at_hub`` raises."""
        url = hub_url(cl)
        client = self.client(url) if url else None
        if client is None:
            return None
        from clienteling.sync.reaction_dry_run import dry_run_at_hub

        return dry_run_at_hub(client, staff_id, body)

    def report(self, cl: Clienteling, staff_id: str, kind: str,
               params: dict[str, str]) -> Report | None:
        """An admin's chain report from the hub (issue 18), or None when the till has no hub or
        token; raises what ``report_at_hub`` raises."""
        url = hub_url(cl)
        client = self.client(url) if url else None
        if client is None:
            return None
        from clienteling.sync.hub_reports import report_at_hub

        return report_at_hub(client, staff_id, kind, params)

    def save_token(self, url: str, token: str) -> str:
        """Keep the token (keyring or a private file, never the database); says where."""
        self.store.save(url, token)
        self.close()
        return self.store.where
