"""Models of one open profile: its benefits, what it can claim, its rewards and its history.

These lists are small by nature (one customer's records), so each is a plain row model
reloaded when the engine says the area changed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from clienteling.engine.money import format_money
from clienteling.engine.records import BenefitRow, ClaimRow, RewardRow, TimelineRow
from clienteling.ui.common import formatting as fmt
from clienteling.ui.common.rows_model import RIGHT, Column, RowsModel


class _Clocked:
    """Rows read relative to "now" and the store's timezone."""

    tz: str = "UTC"
    now: datetime = datetime.now(UTC)

    def set_context(self, now: datetime, tz: str) -> None:
        self.now = now
        self.tz = tz


class BenefitsModel(RowsModel[BenefitRow], _Clocked):
    """The profile's benefit instances: redeemable first, used up and expired greyed last."""

    def __init__(self, parent: Any = None) -> None:
        columns = [
            Column[BenefitRow]("Benefit", lambda r: r.name, tooltip=self._tip, bold=True),
            Column[BenefitRow]("Left", lambda r: r.left_text, tooltip=self._tip),
            Column[BenefitRow]("Expires", lambda r: fmt.expiry(r.expires_at, self.now, self.tz),
                               tooltip=self._tip),
            Column[BenefitRow]("Status", self._status, tooltip=self._tip),
        ]
        super().__init__(columns, key=lambda r: r.id, parent=parent)

    def set_rows(self, rows: Any) -> None:
        # Usable first, then by expiry, as the engine sorts them; keep that order stable.
        super().set_rows(sorted(rows, key=lambda r: not r.redeemable))

    @staticmethod
    def _status(r: BenefitRow) -> str:
        return r.status

    def _tip(self, r: BenefitRow) -> str | None:
        lines = []
        if not r.redeemable and r.reason_text:
            lines.append(r.reason_text)
        if r.description:
            lines.append(r.description)
        lines.append(f"Issued {fmt.day(r.issued_at, self.tz)}"
                     + (" (claimed)" if r.source == "claimed" else ""))
        if r.code_pos:
            lines.append(f"Code {r.code_pos}")
        if r.pending:
            lines.append("Not yet confirmed by the hub (pending sync)")
        return "\n".join(lines)

    def is_muted(self, row: BenefitRow) -> bool:
        return not row.redeemable

    def badge(self, row: BenefitRow) -> str | None:
        return "pending sync" if row.pending else None


class ClaimableModel(RowsModel[ClaimRow]):
    """Definitions the profile can claim now; the ones it cannot come last, "Not available",
    with the reason in words."""

    def __init__(self, parent: Any = None) -> None:
        columns = [
            Column[ClaimRow]("Benefit", lambda r: r.name, tooltip=self._tip, bold=True),
            Column[ClaimRow]("Availability",
                             lambda r: "Claim now" if r.claimable else "Not available",
                             tooltip=self._tip),
            Column[ClaimRow]("Details", self._details, tooltip=self._tip),
        ]
        super().__init__(columns, key=lambda r: r.definition_id, parent=parent)

    def set_rows(self, rows: Any) -> None:
        super().set_rows(sorted(rows, key=lambda r: (not r.claimable, r.name.lower())))

    @staticmethod
    def _details(r: ClaimRow) -> str:
        if not r.claimable:
            return r.message or "Not claimable now"
        return r.description or ""

    @staticmethod
    def _tip(r: ClaimRow) -> str | None:
        if not r.claimable:
            return f"Not available: {r.message or 'not claimable now'}"
        return r.description or "Claimable now"

    def is_muted(self, row: ClaimRow) -> bool:
        return not row.claimable


class RewardsModel(RowsModel[RewardRow], _Clocked):
    """The profile's rewards: money right-aligned with its currency."""

    def __init__(self, parent: Any = None) -> None:
        columns = [
            Column[RewardRow]("Reward", lambda r: r.name, tooltip=self._tip, bold=True),
            Column[RewardRow]("Remaining", lambda r: format_money(r.remaining), align=RIGHT,
                              tooltip=self._tip),
            Column[RewardRow]("Issued for", lambda r: format_money(r.initial), align=RIGHT,
                              tooltip=self._tip),
            Column[RewardRow]("Expires", lambda r: fmt.expiry(r.expires_at, self.now, self.tz),
                              tooltip=self._tip),
            Column[RewardRow]("Status", lambda r: r.status, tooltip=self._tip),
        ]
        super().__init__(columns, key=lambda r: r.id, parent=parent)

    def _tip(self, r: RewardRow) -> str | None:
        lines = [f"Issued {fmt.day(r.issued_at, self.tz)}"]
        if r.reason:
            lines.append(f"Reason: {r.reason}")
        if not r.live:
            lines.append("Spent in full" if r.remaining <= 0 else "Expired: no longer counts "
                         "towards the balance")
        if r.pending:
            lines.append("Not yet confirmed by the hub (pending sync)")
        return "\n".join(lines)

    def is_muted(self, row: RewardRow) -> bool:
        return not row.live

    def badge(self, row: RewardRow) -> str | None:
        return "pending sync" if row.pending else None


class HistoryModel(RowsModel[TimelineRow], _Clocked):
    """Redemptions and audit events for this customer, newest first."""

    badge_column = 1

    def __init__(self, parent: Any = None) -> None:
        columns = [
            Column[TimelineRow]("When", lambda r: fmt.day_time(r.at, self.tz)),
            Column[TimelineRow]("What", lambda r: r.text, tooltip=lambda r: r.text),
            Column[TimelineRow]("Amount", lambda r: r.amount_text, align=RIGHT),
            Column[TimelineRow]("Staff", lambda r: r.staff),
        ]
        super().__init__(columns, key=lambda r: f"{r.at.isoformat()}|{r.text}", parent=parent)

    def is_muted(self, row: TimelineRow) -> bool:
        return row.voided

    def badge(self, row: TimelineRow) -> str | None:
        return "pending sync" if row.pending else None
