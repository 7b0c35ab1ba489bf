"""What runs on the network worker for sync: one cycle with the hub (SPEC §6) and keeping
the token an admin entered in Settings.

The ``HubClient`` wraps one ``httpx.Client`` and is thread-confined, so :class:`HubLink` keeps
it here and only the network worker's thread ever calls these functions. Qt-free: the cycle
reports progress through a plain callback that the controller turns into a signal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from clienteling.engine.services import Clienteling
from clienteling.sync.client import HubClient
from clienteling.sync.credentials import TokenStore
from clienteling.sync.cycle import CycleReport, Progress, run_cycle
from clienteling.sync.settings import hub_url

NOT_CONNECTED = "This till is not connected to a hub: an admin connects it in Settings"


@dataclass(frozen=True)
class Outcome:
    """One cycle as the status bar needs it; ``report`` is None when no hub is set up."""

    report: CycleReport | None
    hub_url: str | None


class HubLink:
    """The network worker's connection to the hub: the URL and token it was made for and the
    client, rebuilt when an admin connects the till somewhere else."""

    def __init__(self, store_factory: Callable[[], TokenStore] = TokenStore) -> None:
        self._store_factory = store_factory
        self._store: TokenStore | None = None
        self._client: HubClient | None = None
        self._made_for: tuple[str, str] | None = None

    @property
    def store(self) -> TokenStore:
        if self._store is None:  # keyring may probe its backends: not on the GUI thread
            self._store = self._store_factory()
        return self._store

    def client(self, url: str) -> HubClient | None:
        token = self.store.load(url)
        if token is None:
            self.close()
            return None
        if self._client is None or self._made_for != (url, token):
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
        return Outcome(run_cycle(cl, client, progress=progress, cancel=cancel, force=force), url)

    def save_token(self, url: str, token: str) -> str:
        """Keep the token (keyring or a private file, never the database); says where."""
        self.store.save(url, token)
        self.close()
        return self.store.where
