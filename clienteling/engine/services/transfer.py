"""The engine's side of importing and exporting a retailer's data (SPEC §7, issue 16).

Writes go through the ordinary services (``profiles.create``, ``definitions.update_…``), so an
imported row is checked by exactly the rules the API applies and reaches tills by the change
feed like any other change. What this adds is what those services do not need one record at
a time:

- ``chunk(actor)``: one transaction for many rows (a shared unit of work the services join),
  with a savepoint per row, so a rejected row changes nothing and the rows around it commit;
- ``find_…``: the natural keys an import upserts by (SPEC §7: a profile by id, else email,
  else card; a definition by handle; a store by id, else name; staff by username), answered
  as the record's wire form so the import can tell an unchanged row from a changed one;
- ``pages(kind)``: every record of a kind in id order, by keyset, for an export that streams.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clienteling.engine import wire
from clienteling.engine.context import Context, UnitOfWork
from clienteling.engine.errors import ValidationError
from clienteling.engine.models import (
    Benefit,
    BenefitDefinition,
    Identity,
    Profile,
    Purchase,
    RewardDefinition,
    Staff,
    Store,
)
from clienteling.engine.permissions import Actor, Role
from clienteling.engine.services.staff import actor_from

EXPORT_PAGE = 1000
_MODELS: dict[str, Any] = {
    "stores": Store,
    "staff": Staff,
    "profiles": Profile,
    "benefit_definitions": BenefitDefinition,
    "reward_definitions": RewardDefinition,
    "benefits": Benefit,
    "purchases": Purchase,
}
_RENDER: dict[str, Any] = {
    "stores": wire.store,
    "staff": wire.staff,
    "profiles": wire.profile,
    "benefit_definitions": wire.benefit_definition,
    "reward_definitions": wire.reward_definition,
    "benefits": wire.benefit_record,
    "purchases": wire.purchase,
}


@dataclass
class Chunk:
    """One transaction over many rows; ``row()`` is a savepoint around one of them."""

    uow: UnitOfWork

    @contextmanager
    def row(self) -> Iterator[None]:
        """Everything one row does, or nothing: its SQL rolls back to the savepoint and the
        journal entries it recorded (audit, change feed, areas) are taken back with it."""
        uow = self.uow
        marks = (len(uow.records), len(uow.touched), set(uow.areas), set(uow.profile_ids))
        savepoint = uow.session.begin_nested()
        try:
            yield
            savepoint.commit()
        except BaseException:
            savepoint.rollback()
            del uow.records[marks[0]:]
            del uow.touched[marks[1]:]
            uow.areas, uow.profile_ids = marks[2], marks[3]
            raise


class TransferService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def importer(self, username: str) -> Actor:
        """The admin an import is audited as (``--as``): active, and an admin."""
        with self.ctx.reading() as s:
            member = s.scalar(select(Staff).where(Staff.username == username))
            if member is None or not member.is_active:
                raise ValidationError.field("as", f"no active staff member '{username[:64]}'")
            if member.role != Role.ADMIN.value:
                raise ValidationError.field("as", f"{member.display_name} is not an admin: an "
                                            "import is made by an admin")
            return actor_from(member)

    @contextmanager
    def chunk(self, actor: Actor | None) -> Iterator[Chunk]:
        with self.ctx.transaction(actor, shared=True) as uow:
            yield Chunk(uow)

    # -- natural keys ------------------------------------------------------------
    def find_store(self, store_id: str | None, name: str | None) -> dict[str, Any] | None:
        with self.ctx.reading() as s:
            found = s.get(Store, store_id) if store_id else None
            if found is None and name and not store_id:
                found = s.scalar(select(Store).where(Store.name == name).order_by(Store.id).limit(1))
            return wire.store(found) if found is not None else None

    def find_staff(self, username: str | None) -> dict[str, Any] | None:
        if not username:
            return None
        with self.ctx.reading() as s:
            found = s.scalar(select(Staff).where(Staff.username == username))
            return wire.staff(found) if found is not None else None

    def find_profile(self, profile_id: str | None, email: str | None,
                     cards: list[tuple[str, str]]) -> dict[str, Any] | None:
        """By the first key the row has: its id, else its email (case-insensitive), else its
        card (SPEC §7). Only that key: a row whose email no one has is a new customer, even
        if its card is someone's (the create then refuses the card, rather than the import
        merging two people)."""
        with self.ctx.reading() as s:
            if profile_id:
                found = s.get(Profile, profile_id)
            elif email:
                found = s.scalar(select(Profile).where(
                    Profile.email_key == email.strip().lower()).limit(1))
            else:
                found = None
                for handle, identifier in cards:
                    owner = s.scalar(select(Identity.profile_id).where(
                        Identity.handle == handle, Identity.identifier == identifier))
                    if owner is not None:
                        found = s.get(Profile, owner)
                        break
            return wire.profile(found) if found is not None else None

    def find_definition(self, kind: str, handle: str | None) -> dict[str, Any] | None:
        if not handle:
            return None
        model = _MODELS[kind]
        with self.ctx.reading() as s:
            found = s.scalar(select(model).where(model.handle == handle))
            return _RENDER[kind](found) if found is not None else None

    def find_benefit(self, external_id: str | None, benefit_id: str | None) -> dict[str, Any] | None:
        """An issued benefit by its ``external_id`` (the other system's id, SPEC §7), else by
        its own id (a benefit exported from a hub, which may have none)."""
        with self.ctx.reading() as s:
            if external_id:
                found = s.scalar(select(Benefit).where(Benefit.external_id == external_id)
                                 .order_by(Benefit.id).limit(1))
            else:
                found = s.get(Benefit, benefit_id) if benefit_id else None
            return wire.benefit_record(found) if found is not None else None

    def find_purchase(self, store_id: str | None, receipt_ref: str | None) -> dict[str, Any] | None:
        """A purchase by its natural key, the receipt at its store (SPEC P4)."""
        if not store_id or not receipt_ref:
            return None
        with self.ctx.reading() as s:
            found = s.scalar(select(Purchase).where(Purchase.store_id == store_id,
                                                    Purchase.receipt_ref == receipt_ref))
            return wire.purchase(found) if found is not None else None

    def profile_with_card(self, card: str) -> str | None:
        """The id of the profile holding loyalty card ``card``, if any."""
        with self.ctx.reading() as s:
            found: str | None = s.scalar(select(Identity.profile_id).where(
                Identity.handle == "card", Identity.identifier == card.strip()))
            return found

    def benefit_definition_id(self, ref: str) -> str | None:
        """A benefit definition's id from its id or handle (as the API takes either)."""
        with self.ctx.reading() as s:
            found: str | None = s.scalar(select(BenefitDefinition.id).where(
                (BenefitDefinition.id == ref) | (BenefitDefinition.handle == ref)).limit(1))
            return found

    # -- export ----------------------------------------------------------------
    def identity_handles(self) -> list[str]:
        """Every identity handle in use, so a CSV export can name its columns up front."""
        with self.ctx.reading() as s:
            return sorted(s.scalars(select(Identity.handle).distinct()))

    def pages(self, kind: str, size: int = EXPORT_PAGE) -> Iterator[list[dict[str, Any]]]:
        """Every record of ``kind`` in its wire form, ``size`` at a time, in id order (a
        keyset: each page reads after the last id, so the millionth row costs the first's)."""
        model = _MODELS[kind]
        render = _RENDER[kind]
        last: str | None = None
        while True:
            with self.ctx.reading() as s:
                query = select(model).order_by(model.id).limit(size)
                if kind == "profiles":
                    query = query.options(selectinload(Profile.identities))
                if last is not None:
                    query = query.where(model.id > last)
                found = list(s.scalars(query))
                page = [render(r) for r in found]
            if not page:
                return
            yield page
            last = page[-1]["id"]
            if len(page) < size:
                return
