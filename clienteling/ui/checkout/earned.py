"""What a checkout earned from reactions, in the words the associate says out loud (SPEC RX4:
the customer can use it in the same visit): "Earned: $10.00 Spend reward, expires 6 Mar"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from clienteling.ui.common import formatting as fmt


class Earned(Protocol):
    """The engine's ``EarnedRecord``, as far as these words need it."""

    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> Decimal | None: ...
    @property
    def expires_at(self) -> datetime | None: ...


def _short_day(at: datetime, tz: str) -> str:
    return fmt.local(at, tz).strftime("%d %b").lstrip("0")


def earned_item(item: Earned, tz: str) -> str:
    what = f"{fmt.money(item.value)} {item.name}" if item.kind == "reward" and item.value is not None \
        else item.name
    return what + (f", expires {_short_day(item.expires_at, tz)}" if item.expires_at else "")


def earned_words(earned: Sequence[Earned], tz: str) -> str:
    """"Earned: $10.00 Spend reward, expires 6 Mar · Free Coffee", or "" for nothing."""
    if not earned:
        return ""
    return "Earned: " + " · ".join(earned_item(e, tz) for e in earned)


class _Receipt(Protocol):
    @property
    def earned(self) -> Sequence[Earned]: ...


def confirmed_words(receipt: _Receipt | None, tz: str) -> str:
    """The in-place confirmation after a checkout, with what it earned."""
    earned = earned_words(receipt.earned, tz) if receipt is not None else ""
    return "Checkout confirmed" + (f" · {earned}" if earned else "")
