"""The admin's reaction dry run at the hub (SPEC RX6): ``POST /api/v3/reactions/dry-run`` with
the editor's unsaved body, answered from the hub's data — every store's customers, not only
this till's copy. Qt-free, on the network worker with its ``HubClient``.

One attempt only: the editor falls back to the till's own data at once when the hub does not
answer, rather than making the admin wait out the sync retries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from clienteling.engine.errors import ValidationError
from clienteling.sync.client import HubClient, HubFailed, error_message

PATH = "/reactions/dry-run"


@dataclass(frozen=True)
class HubDryRun:
    count: int
    sample: tuple[tuple[str, str], ...]  # (profile id, "First Last")
    as_of: datetime


def _as_of(text: Any) -> datetime:
    try:
        at = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise HubFailed(f"The hub's dry run answered an unreadable time {str(text)[:40]!r}.") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def dry_run_at_hub(client: HubClient, staff_id: str, body: dict[str, Any]) -> HubDryRun:
    """The hub's count and sample; bad input is the hub's ``ValidationError`` (422, each field
    named); anything else the hub refuses is ``HubFailed`` in words, and no answer at all is
    ``HubUnreachable`` — the caller then runs it on the till's data."""
    response = client.send("POST", PATH, json=body, headers={"X-Staff-Id": staff_id}, attempts=1)
    if response.status_code == 422:
        try:
            errors = response.json().get("errors") or {}
        except ValueError:
            errors = {}
        if errors:
            raise ValidationError(errors)
    if response.status_code != 200:
        raise HubFailed(f"The hub refused the dry run (HTTP {response.status_code}: "
                        f"{error_message(response)}).")
    try:
        data = response.json()["data"]
        sample = tuple((str(s["profile_id"]), str(s["name"])) for s in data.get("sample") or ())
        return HubDryRun(int(data["count"]), sample, _as_of(data.get("as_of")))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise HubFailed("The hub's answer to the dry run is not the expected JSON.") from None
