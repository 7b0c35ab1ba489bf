"""Reactions: create, edit, archive, dry-run, the daily run (SPEC 3.9 RX1-RX6).

Admins edit reactions like definitions (RX1, SPEC §6): offline on a till too, every edit bumps
``version``, an edit based on a version the store has moved past is a ``VersionConflict``, and
each change is one transaction with its audit event and outbox entry (a till) or change-feed
row (the hub). Firing is in ``engine.reactions``: the event triggers inside the services of
the events (profiles, purchases, checkout), the time triggers in ``engine.reactions.daily``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clienteling.engine import frozen, reaction_shapes, wire
from clienteling.engine.context import Context, HubCall
from clienteling.engine.errors import NotFound, RuleRefused, ValidationError, VersionConflict
from clienteling.engine.form import Form, present
from clienteling.engine.frozen import DailyRunResult, DryRunResult, ReactionRecord
from clienteling.engine.models import (
    Benefit,
    BenefitDefinition,
    Profile,
    Reaction,
    Reward,
    RewardDefinition,
    new_id,
)
from clienteling.engine.money import format_money
from clienteling.engine.permissions import Action, Actor, require
from clienteling.engine.reactions import daily, keys
from clienteling.engine.reactions.fire import home_zone, issue, problem, target

PATH = "/reactions"
_EDITABLE = ("handle", "name", "trigger", "condition", "effect", "limit", "active_from",
             "active_to", "enabled")


def read_reaction(data: Any, tz: str, *, partial: bool) -> dict[str, Any]:
    """The wire body's fields, each checked; a ``ValidationError`` naming every bad field
    (``trigger.threshold``, ``effect.value``, ``limit``, ``active_to``)."""
    form = Form(data, partial=partial)
    values: dict[str, Any] = {
        "handle": form.handle("handle", required=True),
        "name": form.text("name", required=True, max_len=200),
        "condition": form.condition("condition"),
        "active_from": form.instant("active_from", tz),
        "active_to": form.instant("active_to", tz),
        "enabled": form.flag("enabled"),
    }
    for name, check in (("trigger", reaction_shapes.trigger), ("effect", reaction_shapes.effect),
                        ("limit", reaction_shapes.limit)):
        if name not in form.data:
            if not partial:
                form.error(name, "is required")
            continue
        try:
            values[name] = check(form.data[name])
        except reaction_shapes.ShapeError as bad:
            form.error(bad.field, bad.problem)
    start, end = values["active_from"], values["active_to"]
    if present(start) and present(end) and start and end and end <= start:
        form.error("active_to", "must be after active_from")
    form.done()
    out = {k: v for k, v in values.items() if present(v)}
    if out.get("enabled", 0) is None:
        out["enabled"] = True
    return out


def check_effect(s: Session, effect: dict[str, Any]) -> None:
    """The effect's definition exists and is not archived; a reward's value is within the
    definition's maximum and there is one (the effect's or the definition's default)."""
    if "benefit_definition_id" in effect:
        ref = effect["benefit_definition_id"]
        bd = s.get(BenefitDefinition, ref) or s.scalar(
            select(BenefitDefinition).where(BenefitDefinition.handle == ref))
        if bd is None:
            raise ValidationError.field("effect.benefit_definition_id",
                                        f"no benefit definition {ref}")
        if bd.is_archived:
            raise ValidationError.field("effect.benefit_definition_id",
                                        f"benefit definition {bd.name} is archived")
        effect["benefit_definition_id"] = bd.id
        return
    ref = effect["reward_definition_id"]
    rd = s.get(RewardDefinition, ref) or s.scalar(
        select(RewardDefinition).where(RewardDefinition.handle == ref))
    if rd is None:
        raise ValidationError.field("effect.reward_definition_id", f"no reward definition {ref}")
    if rd.is_archived:
        raise ValidationError.field("effect.reward_definition_id",
                                    f"reward definition {rd.name} is archived")
    effect["reward_definition_id"] = rd.id
    value = effect.get("value")
    if value is None and rd.value is None:
        raise ValidationError.field("effect.value", f"is required: {rd.name} has no default value")
    if value is not None and rd.max_value is not None and Decimal(value) > rd.max_value:
        raise ValidationError.field(
            "effect.value", f"must be at most {format_money(rd.max_value)} for {rd.name}")


def _by_ref(s: Session, ident: str) -> Reaction:
    found = s.get(Reaction, ident) or s.scalar(select(Reaction).where(Reaction.handle == ident))
    if found is None:
        raise NotFound("reaction", ident)
    return found


def _handle_taken(s: Session, handle: str, own_id: str | None) -> bool:
    clash = s.scalar(select(Reaction.id).where(func.lower(Reaction.handle) == handle.lower())
                     .limit(1))
    return clash is not None and clash != own_id


def editable(body: dict[str, Any]) -> dict[str, Any]:
    """The fields an editor sets (with ``id`` on create): the outbox body."""
    return {k: body[k] for k in ("id", *_EDITABLE) if k in body}


class ReactionService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- reading ---------------------------------------------------------------------------
    def list(self, *, include_archived: bool = True) -> list[ReactionRecord]:
        with self.ctx.reading() as s:
            query = select(Reaction).order_by(Reaction.name, Reaction.handle)
            if not include_archived:
                query = query.where(Reaction.archived.is_(False))
            return [self._record(s, r) for r in s.scalars(query)]

    def get(self, ident: str) -> ReactionRecord:
        """By id or handle."""
        with self.ctx.reading() as s:
            return self._record(s, _by_ref(s, ident))

    @staticmethod
    def _record(s: Session, r: Reaction) -> ReactionRecord:
        return frozen.reaction(r, problem(s, r) if r.enabled and not r.archived else None)

    # -- editing (admin) -------------------------------------------------------------------
    def create(self, actor: Actor, data: Any) -> ReactionRecord:
        require(actor, Action.EDIT_DEFINITIONS)
        values = read_reaction(data, actor.timezone, partial=False)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            if _handle_taken(s, values["handle"], None):
                raise ValidationError.field("handle", f"'{values['handle']}' is already used")
            check_effect(s, values["effect"])
            reaction = Reaction(id=self._new_id(s, data), version=1, archived=False,
                                created_at=uow.now, updated_at=uow.now, **values)
            s.add(reaction)
            s.flush()
            body = wire.reaction(reaction)
            uow.record("reaction.create", "reaction", reaction.id, after=body,
                       call=HubCall("POST", PATH, editable(body)))
            return self._record(s, reaction)

    def update(self, actor: Actor, ident: str, data: Any,
               expected_version: int | None = None) -> ReactionRecord:
        require(actor, Action.EDIT_DEFINITIONS)
        values = read_reaction(data, actor.timezone, partial=True)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            reaction = _by_ref(s, ident)
            if expected_version is not None and expected_version != reaction.version:
                raise VersionConflict("reaction", expected_version, reaction.version)
            if "handle" in values and _handle_taken(s, values["handle"], reaction.id):
                raise ValidationError.field("handle", f"'{values['handle']}' is already used")
            if "effect" in values:
                check_effect(s, values["effect"])
            start = values.get("active_from", reaction.active_from)
            end = values.get("active_to", reaction.active_to)
            if start is not None and end is not None and end <= start:
                raise ValidationError.field("active_to", "must be after active_from")
            before = wire.reaction(reaction)
            for key, value in values.items():
                setattr(reaction, key, value)
            return self._bump(uow, reaction, before, "reaction.update", "PUT")

    def archive(self, actor: Actor, ident: str,
                expected_version: int | None = None) -> ReactionRecord:
        """Archived, it never fires again and leaves the editor's list of live reactions; what
        it issued stays (its instances name it by handle in their source)."""
        require(actor, Action.EDIT_DEFINITIONS)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            reaction = _by_ref(s, ident)
            if expected_version is not None and expected_version != reaction.version:
                raise VersionConflict("reaction", expected_version, reaction.version)
            before = wire.reaction(reaction)
            reaction.archived = True
            return self._bump(uow, reaction, before, "reaction.archive", "DELETE")

    def _bump(self, uow: Any, reaction: Reaction, before: dict[str, Any], action: str,
              method: str) -> ReactionRecord:
        reaction.version += 1
        reaction.updated_at = uow.now
        uow.session.flush()
        after = wire.reaction(reaction)
        headers = {"If-Match": str(reaction.version - 1)}
        if method == "PUT":
            changed = {k: after[k] for k in _EDITABLE if after[k] != before.get(k)}
            call = HubCall("PUT", f"{PATH}/{reaction.id}", changed, headers)
        else:
            call = HubCall("DELETE", f"{PATH}/{reaction.id}", None, headers)
        uow.record(action, "reaction", reaction.id, before=before, after=after, call=call)
        return self._record(uow.session, reaction)

    @staticmethod
    def _new_id(s: Session, data: Any) -> str:
        requested = data.get("id") if isinstance(data, dict) else None
        if requested is None:
            return new_id()
        if not isinstance(requested, str) or not 1 <= len(requested) <= 36:
            raise ValidationError.field("id", "must be a UUID string")
        if s.get(Reaction, requested) is not None:
            raise ValidationError.field("id", "a reaction with this id already exists")
        return requested

    # -- what a till's reaction issued, repeated on the hub (RX4) ---------------------------
    def accept_issue(self, actor: Actor, reaction_id: str, data: Any) -> tuple[Any, bool]:
        """A till's reaction issued an instance at its counter; its outbox repeats it here.

        The id must be the one the reaction derives for the profile and period (RX3). When
        this store already holds it (the hub fired the same reaction as it applied the same
        event) nothing happens: ``(record, False)``, a success, not a conflict. Otherwise the
        instance is issued as the till issued it (the customer may have used it already):
        ``(record, True)``."""
        require(actor, Action.SEND_REACTION_ISSUE)
        form = Form(data)
        ident = form.text("id", required=True, max_len=36)
        profile_id = form.text("profile_id", required=True, max_len=36)
        period = form.text("period", required=True, max_len=200)
        tz = form.timezone("timezone")
        issued_at = form.instant("issued_at", "UTC")
        form.done()
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            reaction = s.get(Reaction, reaction_id)
            if reaction is None:
                raise NotFound("reaction", reaction_id)
            profile = s.get(Profile, profile_id)
            if profile is None:
                raise ValidationError.field("profile_id", f"no profile with id {profile_id}")
            if ident != keys.instance_id(reaction.id, profile_id, period):
                raise ValidationError.field(
                    "id", "is not the id this reaction derives for this profile and period")
            held = s.get(Benefit, ident) or s.get(Reward, ident)
            if held is not None:
                return _instance_wire(held, uow.now), False
            tgt = target(s, reaction)
            if tgt is None:
                raise RuleRefused("archived", problem(s, reaction) or
                                  "This reaction's definition cannot be issued.")
            at = issued_at if present(issued_at) and issued_at else uow.judged_at
            zone = tz if present(tz) and tz else home_zone(s, profile)
            issue(uow, reaction, tgt, profile_id, period, at, zone)
            s.flush()
            held = s.get(Benefit, ident) or s.get(Reward, ident)
            return _instance_wire(held, uow.now), True

    # -- dry run (RX6) and the daily run (RX4) ----------------------------------------------
    def dry_run(self, actor: Actor, data_or_ident: dict[str, Any] | str) -> DryRunResult:
        """How many profiles it would fire for now, with a sample; nothing is issued. Works
        on an unsaved body too (checked as ``create`` checks it)."""
        require(actor, Action.EDIT_DEFINITIONS)
        now = self.ctx.clock.now()
        with self.ctx.reading() as s:
            if isinstance(data_or_ident, str):
                reaction = _by_ref(s, data_or_ident)
            else:
                values = read_reaction(data_or_ident, actor.timezone, partial=False)
                check_effect(s, values["effect"])
                reaction = Reaction(id="dry-run", version=1, archived=False, created_at=now,
                                    updated_at=now, **values)
            return daily.dry_run(s, reaction, now)

    def run_daily(self, actor: Actor | None, at: datetime, *, batch_size: int = daily.BATCH,
                  after_batch: Callable[[int], None] | None = None) -> DailyRunResult:
        """The time triggers (birthday, join anniversary, lapsed) for the day ``at`` falls on
        in each profile's home store's timezone (RX2, RX4). Safe to run again: what was
        issued has its derived id and is not issued again (RX3)."""
        if self.ctx.mode != "hub":
            raise RuleRefused("hub_only", "The daily run of reactions runs on the hub.")
        return daily.run(self.ctx, actor, at, batch_size=batch_size, after_batch=after_batch)


def _instance_wire(row: Any, now: datetime) -> dict[str, Any]:
    if isinstance(row, Benefit):
        return wire.benefit(row, now, embed_definition=False)
    return wire.reward(row, now, embed_definition=False)
