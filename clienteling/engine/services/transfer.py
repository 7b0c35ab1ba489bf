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
    Reaction,
    Reward,
    RewardDefinition,
    Staff,
    Store,
)
from clienteling.engine.permissions import Actor, Role
from clienteling.engine.services.staff import actor_from

EXPORT_PAGE = 1000
IMPORT_CACHE_KIB = 262_144  # 256 MiB of SQLite page cache while importing (negative: KiB)
_MODELS: dict[str, Any] = {
    "stores": Store,
    "staff": Staff,
    "profiles": Profile,
    "benefit_definitions": BenefitDefinition,
    "reward_definitions": RewardDefinition,
    "benefits": Benefit,
    "purchases": Purchase,
    "rewards": Reward,
    "reactions": Reaction,
}
_RENDER: dict[str, Any] = {
    "stores": wire.store,
    "staff": wire.staff,
    "profiles": wire.profile,
    "benefit_definitions": wire.benefit_definition,
    "reward_definitions": wire.reward_definition,
    "benefits": wire.benefit_record,
    "purchases": wire.purchase,
    "rewards": lambda r: wire.reward(r, embed_definition=False),
    "reactions": wire.reaction,
}


_SLICE = 500  # values per IN (...): under every backend's bound-parameter limit


def _profile_key(body: dict[str, Any]) -> tuple[str, Any] | None:
    """The natural key a profile row is found by, as ``TransferService.find_profile`` uses it:
    ("id", id), ("email", lower-case email) or ("cards", [(handle, identifier), …])."""
    pid, email = body.get("id"), body.get("email")
    if isinstance(pid, str) and pid.strip():
        return "id", pid.strip()
    if isinstance(email, str) and email.strip():
        return "email", email.strip().lower()
    raw = body.get("identities")
    cards = [(str(i.get("handle") or "card"), str(i["identifier"]).strip())
             for i in (raw if isinstance(raw, list) else [])
             if isinstance(i, dict) and isinstance(i.get("identifier"), str | int)]
    return ("cards", cards) if cards else None


def _present(s: Any, column: Any, values: set[Any]) -> set[Any]:
    wanted = list(values)
    found: set[Any] = set()
    for start in range(0, len(wanted), _SLICE):
        found.update(s.scalars(select(column).where(column.in_(wanted[start:start + _SLICE]))))
    return found


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
            conn = uow.session.connection()
            if conn.dialect.name == "sqlite":
                # An import writes far past SQLite's 2 MiB page cache, on random-UUID keys:
                # with it, a million profiles spent as long in the kernel as in Python. A
                # cache setting only: durability is unchanged (as the remote door's).
                conn.exec_driver_sql(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
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

    def find_profile(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """By the first key the row has: its id, else its email (case-insensitive), else its
        cards (SPEC §7). Only that key: a row whose email no one has is a new customer, even
        if its card is someone's (the create then refuses the card, rather than the import
        merging two people)."""
        key = _profile_key(body)
        with self.ctx.reading() as s:
            found = None
            if key is not None and key[0] == "id":
                found = s.get(Profile, key[1])
            elif key is not None and key[0] == "email":
                found = s.scalar(select(Profile).where(Profile.email_key == key[1]).limit(1))
            elif key is not None:
                for handle, identifier in key[1]:
                    owner = s.scalar(select(Identity.profile_id).where(
                        Identity.handle == handle, Identity.identifier == identifier))
                    if owner is not None:
                        found = s.get(Profile, owner)
                        break
            return wire.profile(found) if found is not None else None

    def profiles_found(self, bodies: list[dict[str, Any]]) -> list[bool]:
        """For each row, whether ``find_profile`` would find a profile (by the same first
        key): three queries for a whole chunk, so the rows that are new can be made together."""
        keys = [_profile_key(body) for body in bodies]
        ids = {k[1] for k in keys if k is not None and k[0] == "id"}
        emails = {k[1] for k in keys if k is not None and k[0] == "email"}
        identifiers = {i for k in keys if k is not None and k[0] == "cards" for _, i in k[1]}
        with self.ctx.reading() as s:
            found: dict[str, set[Any]] = {
                "id": _present(s, Profile.id, ids), "email": _present(s, Profile.email_key, emails)}
            wanted = list(identifiers)
            held: set[Any] = set()
            for start in range(0, len(wanted), _SLICE):
                held.update(tuple(r) for r in s.execute(
                    select(Identity.handle, Identity.identifier).where(
                        Identity.identifier.in_(wanted[start:start + _SLICE]))))
        out = []
        for key in keys:
            if key is None:
                out.append(False)
            elif key[0] == "cards":
                out.append(any(card in held for card in key[1]))
            else:
                out.append(key[1] in found[key[0]])
        return out

    def find_definition(self, kind: str, handle: str | None) -> dict[str, Any] | None:
        if not handle:
            return None
        model = _MODELS[kind]
        with self.ctx.reading() as s:
            found = s.scalar(select(model).where(model.handle == handle))
            return _RENDER[kind](found) if found is not None else None

    def find_instance(self, kind: str, external_id: str | None,
                      instance_id: str | None) -> dict[str, Any] | None:
        """An issued benefit or reward by its ``external_id`` (the other system's id, SPEC
        §7), else by its own id (one exported from a hub, which may have none)."""
        model = _MODELS[kind]
        with self.ctx.reading() as s:
            if external_id:
                found = s.scalar(select(model).where(model.external_id == external_id)
                                 .order_by(model.id).limit(1))
            else:
                found = s.get(model, instance_id) if instance_id else None
            return _RENDER[kind](found) if found is not None else None

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

    def definition_id(self, kind: str, ref: str) -> str | None:
        """A benefit or reward definition's id from its id or handle (as the API takes
        either); ``kind`` is ``benefit_definitions`` or ``reward_definitions``."""
        model = _MODELS[kind]
        with self.ctx.reading() as s:
            found: str | None = s.scalar(select(model.id).where(
                (model.id == ref) | (model.handle == ref)).limit(1))
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
