"""Benefit instances: issue, redeem, claim, expire, extend, reassign, delete (SPEC §3.1–3.4).

Limits move only by conditional ``UPDATE … WHERE`` statements whose row count
decides who won (GUIDE principle 5); a failed limit rolls back the whole unit
of work, so nothing is left half-done.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from clienteling.engine import frozen, rules, wire
from clienteling.engine.context import Context, HubCall, UnitOfWork
from clienteling.engine.errors import NotFound, RuleRefused, ValidationError
from clienteling.engine.form import Form, opt, parse_instant, read_ref, zone
from clienteling.engine.frozen import BenefitDefinitionRecord, BenefitRecord, RedemptionTransaction
from clienteling.engine.models import (
    Benefit,
    BenefitDefinition,
    Profile,
    Redemption,
    RedemptionItem,
    new_id,
)
from clienteling.engine.permissions import Action, Actor, require
from clienteling.engine.services.claim_terms import (
    ClaimTerms,
    ClaimTermsCache,
    Counted,
)
from clienteling.engine.services.lookup import definition_by_ref, get_or_not_found
from clienteling.engine.services.profiles import condition_data
from clienteling.engine.services.redemptions import start_redemption
from clienteling.engine.services.updates import rowcount

ZERO = Decimal("0.00")
_KEEP: Any = object()  # "leave this field as it is" (None means "clear it")


def refuse(code: str, message: str | None = None) -> RuleRefused:
    return RuleRefused(code, message or rules.MESSAGES.get(code, code))


@dataclass(frozen=True)
class BenefitItem:
    """An instance with its state at read time (B2)."""

    benefit: BenefitRecord
    state: rules.BenefitState

    @property
    def definition(self) -> BenefitDefinitionRecord:
        return self.benefit.definition


@dataclass(frozen=True)
class ClaimOption:
    """A visible, claimable-type definition and whether this profile can claim it now (C1)."""

    definition: BenefitDefinitionRecord
    claimable: bool
    code: str | None
    message: str | None


@dataclass(frozen=True)
class ClaimChoice:
    """A :class:`ClaimOption` with the definition's cached terms instead of its ORM object:
    what the profile panel lists, without loading every definition on every open (SPEC §8)."""

    terms: ClaimTerms
    claimable: bool
    code: str | None
    message: str | None


@dataclass
class _ProfileHoldings:
    instances: dict[str, list[Benefit]]
    redemptions: dict[str, int]


def _holdings(s: Session, profile_id: str) -> _ProfileHoldings:
    instances: dict[str, list[Benefit]] = defaultdict(list)
    for b in s.scalars(select(Benefit).where(Benefit.profile_id == profile_id)):
        instances[b.benefit_definition_id].append(b)
    counts: dict[str, int] = defaultdict(int)
    benefit_ids = {b.id: b.benefit_definition_id for bs in instances.values() for b in bs}
    if benefit_ids:
        rows = s.execute(
            select(RedemptionItem.item_id, func.sum(RedemptionItem.count))
            .join(Redemption, Redemption.id == RedemptionItem.redemption_id)
            .where(
                Redemption.profile_id == profile_id,
                Redemption.type == "redeem",
                Redemption.reversed_by_id.is_(None),
                RedemptionItem.type == "benefit",
            )
            .group_by(RedemptionItem.item_id)
        )
        for item_id, total in rows:
            if item_id in benefit_ids:
                counts[benefit_ids[item_id]] += int(total or 0)
    return _ProfileHoldings(instances, counts)


def _local(at: datetime, tz: str) -> str:
    z = zone(tz)
    return at.astimezone(z).strftime("%-d %b %Y %H:%M") if z else at.isoformat()


def claim_check(
    terms: ClaimTerms,
    counted: Counted,
    data: dict[str, Any],
    held: list[Benefit],
    redeemed: int,
    at: datetime,
    tz: str,
) -> tuple[str, str] | None:
    """C1: None when claimable at ``at``, else (reason code, message in words)."""
    d = terms
    if not (d.is_claimable and d.is_published and d.is_assignable) or d.is_archived:
        return rules.NOT_CLAIMABLE, rules.MESSAGES[rules.NOT_CLAIMABLE]
    if d.end_at is not None and d.end_at <= at:
        # Claiming now would create an instance that is expired at birth (B1, B2).
        return rules.WINDOW_CLOSED, rules.MESSAGES[rules.WINDOW_CLOSED]
    if not d.claim_condition(data):
        return rules.CONDITION_FAILED, d.condition_in_words
    if d.claim_period_start_at is not None and d.claim_period_start_at > at:
        return rules.OUTSIDE_CLAIM_PERIOD, f"Claim period starts {_local(d.claim_period_start_at, tz)}"
    if d.claim_period_end_at is not None and d.claim_period_end_at <= at:
        return rules.OUTSIDE_CLAIM_PERIOD, f"Claim period ended {_local(d.claim_period_end_at, tz)}"
    if d.timeframe is not None and not d.timeframe.is_open(at):
        if d.timeframe.problem:
            return rules.OUTSIDE_TIMEFRAME, f"Claim timeframe is invalid ({d.timeframe.problem})"
        return rules.OUTSIDE_TIMEFRAME, d.timeframe.describe()
    if (d.max_global_redemptions is not None
            and counted.total_global_redemptions >= d.max_global_redemptions):
        return rules.GLOBAL_LIMIT, rules.MESSAGES[rules.GLOBAL_LIMIT]
    if d.total_allocations is not None and counted.total_issued >= d.total_allocations:
        return rules.ALLOCATIONS_EXHAUSTED, rules.MESSAGES[rules.ALLOCATIONS_EXHAUSTED]
    if d.max_redemptions is not None and redeemed >= d.max_redemptions:
        return rules.MAX_REDEMPTIONS_REACHED, rules.MESSAGES[rules.MAX_REDEMPTIONS_REACHED]
    if held:
        if not d.is_reclaimable:
            return rules.ALREADY_CLAIMED, rules.MESSAGES[rules.ALREADY_CLAIMED]
        if any(rules.benefit_state(b, at).is_redeemable for b in held):
            return rules.ALREADY_CLAIMED, "This customer still holds a usable one"
    return None


def is_visible(terms: ClaimTerms, counted: Counted, data: dict[str, Any]) -> bool:
    """V1."""
    d = terms
    if not d.is_published or d.is_archived:
        return False
    if (d.max_global_redemptions is not None
            and counted.total_global_redemptions >= d.max_global_redemptions):
        return False
    return d.visibility_condition(data)


def _by_id(s: Session, ids: list[str]) -> dict[str, BenefitDefinition]:
    """The ORM objects of ``ids``, for callers that hand whole definitions on (the hub)."""
    found: dict[str, BenefitDefinition] = {}
    for i in range(0, len(ids), 500):  # under any driver's parameter limit
        chunk = ids[i:i + 500]
        found.update((d.id, d) for d in s.scalars(
            select(BenefitDefinition).where(BenefitDefinition.id.in_(chunk))))
    return found


def _code(prefix: str | None) -> str:
    stem = (prefix or "BEN").upper()[:20]
    return f"{stem}-{secrets.token_hex(4).upper()}"


class BenefitService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._terms = ClaimTermsCache()

    # -- reading -------------------------------------------------------------
    def for_profile(self, profile_id: str) -> list[BenefitItem]:
        now = self.ctx.clock.now()
        definitions: dict[str, BenefitDefinitionRecord] = {}
        with self.ctx.reading() as s:
            items = [
                BenefitItem(frozen.benefit(b, definitions), rules.benefit_state(b, now))
                for b in s.scalars(select(Benefit).where(Benefit.profile_id == profile_id))
            ]
        far = datetime.max.replace(tzinfo=now.tzinfo)
        items.sort(key=lambda i: (not i.state.is_redeemable, i.benefit.expires_at or far,
                                  i.definition.name))
        return items

    def get(self, benefit_id: str) -> BenefitItem:
        now = self.ctx.clock.now()
        with self.ctx.reading() as s:
            b = get_or_not_found(s, Benefit, benefit_id, "benefit")
            return BenefitItem(frozen.benefit(b), rules.benefit_state(b, now))

    def visible(self, profile_id: str) -> list[BenefitDefinitionRecord]:
        now = self.ctx.clock.now()
        with self.ctx.reading() as s:
            profile = get_or_not_found(s, Profile, profile_id, "profile")
            data = condition_data(profile, now)
            ids = [t.id for t, counted in self._terms.current(s) if is_visible(t, counted, data)]
            found = _by_id(s, ids)
            return [frozen.benefit_definition(found[i]) for i in ids if i in found]

    def claim_choices(self, profile_id: str, tz: str | None = None) -> list[ClaimChoice]:
        """Every visible claimable definition, with why it is not claimable now when it is not
        (C1, V1): claimable ones first, then by name.

        The definitions' terms come from the cache (parsed once per version, SPEC §8); their
        counters, the profile's holdings and "now" are read on every call."""
        now = self.ctx.clock.now()
        with self.ctx.reading() as s:
            profile = get_or_not_found(s, Profile, profile_id, "profile")
            data = condition_data(profile, now)
            holdings = _holdings(s, profile_id)
            choices = []
            for terms, counted in self._terms.current(s):
                if not terms.is_claimable or not is_visible(terms, counted, data):
                    continue
                refusal = claim_check(
                    terms, counted, data, holdings.instances.get(terms.id, []),
                    holdings.redemptions.get(terms.id, 0), now, tz or "UTC",
                )
                choices.append(
                    ClaimChoice(terms, refusal is None, *(refusal if refusal else (None, None)))
                )
        choices.sort(key=lambda c: (not c.claimable, c.terms.name))
        return choices

    def claim_options(self, profile_id: str, tz: str | None = None) -> list[ClaimOption]:
        """:meth:`claim_choices` with each definition whole (the hub sends them whole)."""
        with self.ctx.snapshot() as s:
            choices = self.claim_choices(profile_id, tz)
            found = _by_id(s, [c.terms.id for c in choices])
            return [ClaimOption(frozen.benefit_definition(found[c.terms.id]), c.claimable,
                                c.code, c.message)
                    for c in choices if c.terms.id in found]

    def claimable(self, profile_id: str) -> list[BenefitDefinitionRecord]:
        return [o.definition for o in self.claim_options(profile_id) if o.claimable]

    # -- issuing (B1) ------------------------------------------------------------
    def issue(self, actor: Actor, data: Any) -> BenefitRecord:
        """Manual issue by a manager or admin."""
        require(actor, Action.ISSUE_BENEFIT)
        form = Form(data)
        definition_id = form.text("benefit_definition_id", required=True, max_len=100)
        profile_id = form.text("profile_id", required=True, max_len=36)
        tz = opt(form.timezone("timezone")) or actor.timezone
        issued_at = opt(form.instant("issued_at", tz))
        benefit_id = opt(form.text("id", max_len=36))
        external_id = opt(form.text("external_id", max_len=128))
        expires_at = form.instant("expires_at", tz) if form.has("expires_at") else _KEEP
        form.done()
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            definition = _definition(s, definition_id, field="benefit_definition_id")
            if s.get(Profile, profile_id) is None:
                raise ValidationError.field("profile_id", f"no profile with id {profile_id}")
            benefit = self._create_instance(
                uow, definition, profile_id, tz,
                issued_at or uow.now, source="issued", benefit_id=benefit_id,
            )
            benefit.external_id = external_id
            if expires_at is not _KEEP:  # an explicit expiry wins over the computed one (B1)
                benefit.expires_at = expires_at
            body = wire.benefit_record(benefit)
            uow.record("benefit.issue", "benefit", benefit.id, profile_id=profile_id, after=body,
                       call=HubCall("POST", "/benefits", {
                           "id": benefit.id, "benefit_definition_id": definition.id,
                           "profile_id": profile_id, "issued_at": wire.iso(benefit.issued_at),
                           "timezone": tz, "external_id": benefit.external_id,
                           **({"expires_at": wire.iso(benefit.expires_at)}
                              if expires_at is not _KEEP else {}),
                       }))
            return frozen.benefit(benefit)

    def _create_instance(
        self,
        uow: UnitOfWork,
        definition: BenefitDefinition,
        profile_id: str,
        tz: str,
        issued_at: datetime,
        *,
        source: str,
        benefit_id: str | None = None,
    ) -> Benefit:
        s = uow.session
        if definition.is_archived:
            raise refuse(rules.ARCHIVED)
        if not definition.is_assignable:
            raise refuse(rules.NOT_ASSIGNABLE)
        if definition.end_at is not None and definition.end_at <= issued_at:
            raise refuse(rules.WINDOW_CLOSED)
        if benefit_id and s.get(Benefit, benefit_id) is not None:
            raise ValidationError.field("id", "a benefit with this id already exists")
        won = rowcount(s.execute(
            update(BenefitDefinition)
            .where(
                BenefitDefinition.id == definition.id,
                or_(
                    BenefitDefinition.total_allocations.is_(None),
                    BenefitDefinition.total_issued < BenefitDefinition.total_allocations,
                ),
            )
            .values(total_issued=BenefitDefinition.total_issued + 1)
            .execution_options(synchronize_session=False)
        ))
        if won != 1:
            raise refuse(rules.ALLOCATIONS_EXHAUSTED)
        uow.touch("benefit_definition", definition.id)
        benefit = Benefit(
            id=benefit_id or new_id(),
            profile_id=profile_id,
            benefit_definition_id=definition.id,
            issued_at=issued_at,
            expires_at=rules.benefit_expiry(issued_at, tz, definition.period, definition.end_at),
            timezone=tz,
            claimed_at=issued_at if source == "claimed" else None,
            redemptions_remaining=definition.max_redemptions,
            redeem_code_pos=_code(definition.redeem_code_pos),
            redeem_code_online=definition.redeem_code_online,
            source=source,
            issued_by_staff_id=uow.actor.staff_id if uow.actor else None,
            created_at=uow.now,
            updated_at=uow.now,
        )
        s.add(benefit)
        s.flush()
        s.refresh(benefit)
        return benefit

    # -- redeeming (B3, B4) ------------------------------------------------------
    def redeem(
        self,
        actor: Actor,
        profile_id: str,
        benefit_id: str,
        *,
        receipt: str | None = None,
        redemption_id: str | None = None,
    ) -> RedemptionTransaction:
        require(actor, Action.REDEEM)
        with self.ctx.transaction(actor) as uow:
            redemption = self.redeem_in(uow, profile_id, benefit_id, receipt, redemption_id,
                                        check_profile=True)
        return frozen.redemption(redemption)

    def redeem_by_definition(
        self, actor: Actor, profile_id: str, definition: str, *, receipt: str | None = None
    ) -> RedemptionTransaction:
        """B4: the profile's redeemable instance with the nearest expiry."""
        require(actor, Action.REDEEM)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            d = _definition(s, definition, field="definition")
            get_or_not_found(s, Profile, profile_id, "profile")
            candidates = list(s.scalars(select(Benefit).where(
                Benefit.profile_id == profile_id, Benefit.benefit_definition_id == d.id)))
            if not candidates:
                raise refuse(rules.EXHAUSTED, "This customer holds no such benefit.")
            states = [(b, rules.benefit_state(b, uow.judged_at)) for b in candidates]
            usable = [b for b, st in states if st.is_redeemable]
            if not usable:
                reasons = {st.reason for _, st in states}
                code = rules.EXPIRED if reasons == {rules.EXPIRED} else (
                    next(iter(reasons)) if len(reasons) == 1 else rules.EXHAUSTED)
                raise refuse(code or rules.EXHAUSTED)
            far = datetime.max.replace(tzinfo=uow.now.tzinfo)
            usable.sort(key=lambda b: (b.expires_at or far, b.issued_at, b.id))
            return frozen.redemption(self.redeem_in(uow, profile_id, usable[0].id, receipt, None))

    def redeem_in(
        self,
        uow: UnitOfWork,
        profile_id: str,
        benefit_id: str,
        receipt: str | None,
        redemption_id: str | None,
        *,
        record_call: bool = True,
        check_profile: bool = False,
    ) -> Redemption:
        """B3 inside an open unit of work (a claim-and-redeem and the counter checkout redeem
        in their own)."""
        s = uow.session
        at = uow.judged_at
        start = start_redemption(uow, receipt, redemption_id)
        conn = start.conn
        # The conditional UPDATEs decide (GUIDE principle 5), without reading the benefit
        # first; only a refusal reads it, to say why. The reason is the one checking its state
        # first would give: the UPDATEs' conditions are the state's, and the rows a refusal
        # reads are those the UPDATEs saw (a refusal rolls the whole unit of work back). The
        # benefit belongs to the profile, so a success shows the profile exists: only a
        # refusal looks for it (``check_profile``: an unknown profile is a 404 first).
        used = conn.execute(_USE_ONE, {"benefit_id": benefit_id, "owner_id": profile_id,
                                       "at": at, "now": uow.now}).first()
        if used is None:
            if check_profile:
                start.require_profile(profile_id)
            raise _why_not_redeemable(s, profile_id, benefit_id, at)
        definition_id = used.benefit_definition_id
        counted = conn.execute(_COUNT_GLOBAL, {"definition_id": definition_id, "at": at}).first()
        if counted is None:
            # The instance was usable, so its definition's window has closed or its global cap
            # is reached; the instance's decrement above rolls back with this refusal.
            end_at = conn.scalar(_DEFINITION_END, {"id": definition_id})
            raise refuse(rules.WINDOW_CLOSED if end_at is not None and end_at <= at
                         else rules.GLOBAL_LIMIT)
        # Copies of these rows already in the session (a checkout read them) stay current,
        # as a refresh would keep them, without the query.
        _set_loaded(s, Benefit, benefit_id, redemptions_remaining=used.redemptions_remaining,
                    updated_at=uow.now)
        _set_loaded(s, BenefitDefinition, definition_id,
                    total_global_redemptions=counted.total_global_redemptions)
        item = RedemptionItem(id=new_id(), redemption_id=start.id, position=0, type="benefit",
                              item_id=benefit_id, value=ZERO, count=1)
        redemption = start.finish(profile_id, ZERO, [item])
        uow.touch("benefit", benefit_id)
        uow.touch("benefit_definition", definition_id)
        call = None
        if record_call:
            call = HubCall("POST", f"/profiles/{profile_id}/benefits/{benefit_id}/redeem", {
                "redemption_id": redemption.id, "location_id": redemption.location_id,
                "transaction_receipt_ref": start.receipt,
            })
        uow.record("benefit.redeem", "redemption", redemption.id, profile_id=profile_id,
                   after=wire.redemption(redemption),
                   meta={"benefit_id": benefit_id,
                         "redemptions_remaining": used.redemptions_remaining},
                   call=call)
        return redemption

    # -- claiming (C2, C3) --------------------------------------------------------
    def claim(self, actor: Actor, profile_id: str, definition: str, *, tz: str | None = None,
              benefit_id: str | None = None) -> BenefitRecord:
        require(actor, Action.REDEEM)
        with self.ctx.transaction(actor) as uow:
            benefit = self._claim(uow, profile_id, definition, tz, benefit_id)
            body = wire.benefit_record(benefit)
            uow.record("benefit.claim", "benefit", benefit.id, profile_id=profile_id, after=body,
                       call=HubCall("POST", f"/profiles/{profile_id}/benefits/claim", {
                           "definition": benefit.definition.handle, "timezone": benefit.timezone,
                           "benefit_id": benefit.id,
                       }))
            return frozen.benefit(benefit)

    def claim_and_redeem(
        self, actor: Actor, profile_id: str, definition: str, *, tz: str | None = None,
        benefit_id: str | None = None, redemption_id: str | None = None,
        receipt: str | None = None,
    ) -> RedemptionTransaction:
        """C3: claim then redeem in one transaction; a failed redeem leaves no instance."""
        require(actor, Action.REDEEM)
        with self.ctx.transaction(actor) as uow:
            benefit = self._claim(uow, profile_id, definition, tz, benefit_id)
            uow.record("benefit.claim", "benefit", benefit.id, profile_id=profile_id,
                       after=wire.benefit_record(benefit))
            redemption = self.redeem_in(uow, profile_id, benefit.id, receipt, redemption_id,
                                      record_call=False)
            uow.send_as(HubCall(
                "POST", f"/profiles/{profile_id}/benefits/claim-redeem", {
                    "definition": benefit.definition.handle, "timezone": benefit.timezone,
                    "benefit_id": benefit.id, "redemption_id": redemption.id,
                    "transaction_receipt_ref": receipt,
                }))
        return frozen.redemption(redemption)

    def _claim(self, uow: UnitOfWork, profile_id: str, definition: str, tz: str | None,
               benefit_id: str | None) -> Benefit:
        s = uow.session
        actor = uow.actor
        benefit_id = read_ref(benefit_id, field="benefit_id")
        tz = tz or (actor.timezone if actor else "UTC")
        if zone(tz) is None:
            raise ValidationError.field("timezone", f"unknown timezone '{tz}'")
        d = _definition(s, definition, field="definition")
        # Lock the profile row (PostgreSQL) so two claims for one customer cannot both pass C1.
        profile = s.scalar(select(Profile).where(Profile.id == profile_id).with_for_update())
        if profile is None:
            raise NotFound("profile", profile_id)
        holdings = _holdings(s, profile_id)
        refusal = claim_check(
            ClaimTerms.of_definition(d), d, condition_data(profile, uow.judged_at),
            holdings.instances.get(d.id, []), holdings.redemptions.get(d.id, 0), uow.judged_at,
            tz,
        )
        if refusal is not None:
            raise RuleRefused(*refusal)
        return self._create_instance(uow, d, profile_id, tz, uow.now, source="claimed",
                                     benefit_id=benefit_id)

    # -- managing (B5, B6) ---------------------------------------------------------
    # Each public method is one transaction; the hub's PUT and bulk extend combine the same
    # steps in one transaction too, so a request is applied whole or not at all.
    def set_expiry(self, actor: Actor, benefit_id: str, expires_at: Any) -> BenefitRecord:
        """B5: the supported way to take a benefit away is an expiry in the past."""
        return self.update(actor, benefit_id, expires_at=expires_at)

    def expire(self, actor: Actor, benefit_id: str) -> BenefitRecord:
        return self.set_expiry(actor, benefit_id, self.ctx.clock.now() - timedelta(seconds=1))

    def reassign(self, actor: Actor, benefit_id: str, to_profile_id: str) -> BenefitRecord:
        """B6: move an instance to another profile, when the definition allows it."""
        return self.update(actor, benefit_id, profile_id=to_profile_id)

    def update(self, actor: Actor, benefit_id: str, *, expires_at: Any = _KEEP,
               profile_id: str | None = None, tz: str | None = None) -> BenefitRecord:
        """Change the expiry (B5) and/or the owner (B6) of one benefit, in one transaction.
        A wall time without an offset is read in ``tz``, else the benefit's own zone."""
        require(actor, Action.MANAGE_INSTANCE)
        with self.ctx.transaction(actor) as uow:
            benefit = get_or_not_found(uow.session, Benefit, benefit_id, "benefit")
            if profile_id is not None and profile_id != benefit.profile_id:
                self._reassign(uow, benefit, profile_id)
            if expires_at is not _KEEP:
                self._set_expiry(uow, benefit, expires_at, tz)
            return frozen.benefit(benefit)

    def extend(self, actor: Actor, benefit_id: str, *, days: int | None = None,
               until: Any = None) -> BenefitRecord:
        """B6: only when the definition is extendable."""
        [benefit] = self.extend_many(actor, [benefit_id], days=days, until=until)
        return benefit

    def extend_many(self, actor: Actor, benefit_ids: list[str], *, profile_id: str | None = None,
                    days: int | None = None, until: Any = None,
                    tz: str | None = None) -> list[BenefitRecord]:
        """B6 for several benefits of one profile: all are extended, or none."""
        require(actor, Action.MANAGE_INSTANCE)
        if days is None and until is None:
            raise ValidationError.field("extend_days", "give extend_days or extend_date")
        if days is not None and (isinstance(days, bool) or not isinstance(days, int)
                                 or not 1 <= days <= 3650):
            raise ValidationError.field("extend_days", "must be a whole number from 1 to 3650")
        with self.ctx.transaction(actor) as uow:
            done = []
            for benefit_id in benefit_ids:
                benefit = get_or_not_found(uow.session, Benefit, benefit_id, "benefit")
                if profile_id is not None and benefit.profile_id != profile_id:
                    raise refuse(rules.WRONG_PROFILE, f"Benefit {benefit_id} belongs to another "
                                 "customer.")
                self._extend(uow, benefit, days, until, tz)
                done.append(benefit)
            return [frozen.benefit(b) for b in done]

    def _set_expiry(self, uow: UnitOfWork, benefit: Benefit, expires_at: Any, tz: str | None) -> None:
        try:
            when = None if expires_at is None else parse_instant(expires_at, tz or benefit.timezone)
        except ValueError as exc:
            raise ValidationError.field("expires_at", str(exc)) from exc
        before = wire.benefit_record(benefit)
        benefit.expires_at = when
        benefit.updated_at = uow.now
        uow.session.flush()
        uow.record("benefit.update", "benefit", benefit.id, profile_id=benefit.profile_id,
                   before=before, after=wire.benefit_record(benefit),
                   call=HubCall("PUT", f"/benefits/{benefit.id}", {"expires_at": wire.iso(when)}))

    def _extend(self, uow: UnitOfWork, benefit: Benefit, days: int | None, until: Any,
                tz: str | None) -> None:
        if not benefit.definition.is_extendable:
            raise refuse(rules.NOT_EXTENDABLE, "This benefit's definition is not extendable.")
        if benefit.expires_at is None:
            # Giving it an expiry would take time away, not add it.
            raise refuse(rules.NOT_EXTENDABLE, "This benefit never expires.")
        before = wire.benefit_record(benefit)
        if until is not None:
            try:
                new_expiry = parse_instant(until, tz or benefit.timezone)
            except ValueError as exc:
                raise ValidationError.field("extend_date", str(exc)) from exc
            if new_expiry <= benefit.expires_at:
                raise ValidationError.field(
                    "extend_date", "must be after the current expiry (to shorten it, change "
                    "the expiry instead)")
        else:
            new_expiry = rules.add_local_days(benefit.expires_at, int(days or 0), benefit.timezone)
        benefit.expires_at = new_expiry
        benefit.updated_at = uow.now
        uow.session.flush()
        uow.record("benefit.extend", "benefit", benefit.id, profile_id=benefit.profile_id,
                   before=before, after=wire.benefit_record(benefit),
                   call=HubCall("POST", "/benefits/extend", {
                       "ids": [benefit.id], "profile_id": benefit.profile_id,
                       "extend_date": wire.iso(new_expiry)}))

    def _reassign(self, uow: UnitOfWork, benefit: Benefit, to_profile_id: str) -> None:
        if not benefit.definition.is_reassignable:
            raise refuse(rules.NOT_REASSIGNABLE)
        if uow.session.get(Profile, to_profile_id) is None:
            raise ValidationError.field("profile_id", f"no profile with id {to_profile_id}")
        before = wire.benefit_record(benefit)
        old_profile = benefit.profile_id
        benefit.profile_id = to_profile_id
        benefit.updated_at = uow.now
        uow.session.flush()
        uow.record("benefit.reassign", "benefit", benefit.id, profile_id=old_profile,
                   before=before, after=wire.benefit_record(benefit),
                   call=HubCall("PUT", f"/benefits/{benefit.id}", {"profile_id": to_profile_id}),
                   refs=[("profile", to_profile_id)])
        uow.profile_ids.add(to_profile_id)

    def delete(self, actor: Actor, benefit_id: str) -> None:
        """B5: admin only; the audit event keeps what was deleted."""
        require(actor, Action.DELETE_BENEFIT)
        with self.ctx.transaction(actor) as uow:
            benefit = get_or_not_found(uow.session, Benefit, benefit_id, "benefit")
            before = wire.benefit_record(benefit)
            profile_id = benefit.profile_id
            uow.session.execute(delete(Benefit).where(Benefit.id == benefit_id))
            uow.record("benefit.delete", "benefit", benefit_id, profile_id=profile_id,
                       before=before, call=HubCall("DELETE", f"/benefits/{benefit_id}"))


# B3's statements, built once: they run on every redeem, and a constant statement's cache
# key and compiled form are reused. The conditional UPDATEs decide who won (GUIDE
# principle 5); RETURNING gives back the new counts without another read.
_USE_ONE = (
    update(Benefit)
    .where(
        Benefit.id == bindparam("benefit_id"),
        Benefit.profile_id == bindparam("owner_id"),
        or_(Benefit.redemptions_remaining.is_(None), Benefit.redemptions_remaining > 0),
        or_(Benefit.expires_at.is_(None), Benefit.expires_at > bindparam("at")),
    )
    .values(redemptions_remaining=Benefit.redemptions_remaining - 1, updated_at=bindparam("now"))
    .returning(Benefit.redemptions_remaining, Benefit.benefit_definition_id)
)
_COUNT_GLOBAL = (
    update(BenefitDefinition)
    .where(
        BenefitDefinition.id == bindparam("definition_id"),
        or_(
            BenefitDefinition.max_global_redemptions.is_(None),
            BenefitDefinition.total_global_redemptions < BenefitDefinition.max_global_redemptions,
        ),
        or_(BenefitDefinition.end_at.is_(None), BenefitDefinition.end_at > bindparam("at")),
    )
    .values(total_global_redemptions=BenefitDefinition.total_global_redemptions + 1)
    .returning(BenefitDefinition.total_global_redemptions)
)
_DEFINITION_END = select(BenefitDefinition.end_at).where(BenefitDefinition.id == bindparam("id"))


def _why_not_redeemable(s: Session, profile_id: str, benefit_id: str, at: datetime) -> Exception:
    """Why B3 refuses this benefit: unknown, another customer's, or its state's reason."""
    benefit = s.get(Benefit, benefit_id)
    if benefit is None:
        return NotFound("benefit", benefit_id)
    if benefit.profile_id != profile_id:
        return refuse(rules.WRONG_PROFILE)
    reason = rules.benefit_state(benefit, at).reason or rules.EXHAUSTED
    if reason == rules.EXPIRED and benefit.expires_at is not None:
        # The date, so a refusal judged at a replayed change's arrival explains itself.
        local = benefit.expires_at.astimezone(zone(benefit.timezone) or UTC)
        return refuse(reason, f"This benefit expired on {local:%d %b %Y at %H:%M} "
                      f"({benefit.timezone}).")
    return refuse(reason)


def _set_loaded(s: Session, model: type[Any], ident: str, **values: Any) -> None:
    """Set the values a statement just wrote on the session's copy of a row, if it has one."""
    loaded = s.identity_map.get(identity_key(model, ident))
    if loaded is not None:
        for name, value in values.items():
            set_committed_value(loaded, name, value)


def _definition(s: Session, ident: Any, *, field: str) -> BenefitDefinition:
    if not isinstance(ident, str) or not ident:
        raise ValidationError.field(field, "must be a benefit definition id or handle")
    return definition_by_ref(s, BenefitDefinition, ident, "benefit definition")

