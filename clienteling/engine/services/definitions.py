"""Benefit and reward definitions: create, edit, archive (admin, also offline; SPEC §2, §6).

Every edit bumps ``version``; an edit that names the version it was based on
and finds the stored one moved on is refused as a ``VersionConflict``, never
silently applied over someone else's change.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clienteling.engine import wire
from clienteling.engine.context import Context, HubCall
from clienteling.engine.errors import NotFound, ValidationError, VersionConflict
from clienteling.engine.form import Form, present
from clienteling.engine.models import BenefitDefinition, RewardDefinition, new_id
from clienteling.engine.permissions import Action, Actor, require

CATEGORIES = ("product_discount", "free_product", "entitlement")
REWARD_TYPES = (
    "activation", "birthday", "spend", "anniversary", "campaign", "customer-service",
    "reactivation", "staff", "bonus", "other",
)
_TEXT_LIMITS = {"long_description": 20_000, "terms_conditions": 20_000, "internal_notes": 5_000,
                "image_url": 1000, "icon": 500, "name": 200}


def _discount(form: Form) -> Any:
    value = form.json_object("discount")
    if not present(value) or value is None:
        return value
    out: dict[str, Any] = {}
    pct = value.get("percent_off")
    if pct is not None:  # a free product needs none: it is 100% off its SKUs
        try:
            percent = Decimal(str(pct))
            if not Decimal(0) < percent <= Decimal(100) or percent != percent.quantize(Decimal("0.01")):
                raise ValueError
            out["percent_off"] = str(percent)
        except (ArithmeticError, ValueError):
            form.error("discount.percent_off", "must be a number above 0 and at most 100")
    for key in ("categories", "skus"):
        items = value.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            form.error(f"discount.{key}", "must be a list of text values")
        else:
            out[key] = items
    full = value.get("full_price_only", False)
    if not isinstance(full, bool):
        form.error("discount.full_price_only", "must be true or false")
    else:
        out["full_price_only"] = full
    return out


def read_benefit_definition(data: Any, tz: str, *, partial: bool) -> dict[str, Any]:
    form = Form(data, partial=partial)
    values: dict[str, Any] = {"name": form.text("name", required=True, max_len=200),
                              "handle": form.handle("handle", required=True)}
    for name in wire.BENEFIT_DEFINITION_TEXT:
        if name not in values and name != "category":
            values[name] = form.text(name, max_len=_TEXT_LIMITS.get(name, 5000))
    for name in wire.BENEFIT_DEFINITION_INTS:
        values[name] = form.integer(name, minimum=-100_000 if "offset" in name else 0)
    for name in wire.BENEFIT_DEFINITION_FLAGS:
        values[name] = form.flag(name)
    values["is_reclaimable"] = form.flag("is_reclaimable")
    for name in wire.BENEFIT_DEFINITION_TIMES:
        values[name] = form.instant(name, tz)
    values["claim_condition"] = form.condition("claim_condition")
    values["visibility_condition"] = form.condition("visibility_condition")
    values["claim_timeframe"] = form.claim_timeframe("claim_timeframe")
    values["tags"] = form.string_list("tags")
    values["category"] = form.choice("category", CATEGORIES)
    values["discount"] = _discount(form)
    start, end = values["claim_period_start_at"], values["claim_period_end_at"]
    if present(start) and present(end) and start and end and end <= start:
        form.error("claim_period_end_at", "must be after claim_period_start_at")
    form.done()
    out = {k: v for k, v in values.items() if present(v)}
    for flag in wire.BENEFIT_DEFINITION_FLAGS:
        if flag in out and out[flag] is None:
            out[flag] = flag == "is_assignable"
    if out.get("tags", 0) is None:
        out["tags"] = []
    if out.get("category", 0) is None:
        out["category"] = "entitlement"
    return out


def read_reward_definition(data: Any, *, partial: bool) -> dict[str, Any]:
    form = Form(data, partial=partial)
    values: dict[str, Any] = {
        "name": form.text("name", required=True, max_len=200),
        "handle": form.handle("handle", required=True),
        "type": form.choice("type", REWARD_TYPES, required=True),
        "description": form.text("description", max_len=5000),
        "value": form.amount("value"),
        "max_value": form.amount("max_value"),
        "period": form.integer("period", maximum=36_500),
        "is_extendable": form.flag("is_extendable"),
        "extend_days": form.integer("extend_days", minimum=1, maximum=3650),
        "excluded_categories": form.string_list("excluded_categories"),
        "is_published": form.flag("is_published"),
        "is_archived": form.flag("is_archived"),
    }
    value, cap = values["value"], values["max_value"]
    if present(value) and present(cap) and value and cap and value > cap:
        form.error("value", "must not be more than max_value")
    form.done()
    out = {k: v for k, v in values.items() if present(v)}
    for flag, default in (("is_extendable", False), ("is_published", True), ("is_archived", False)):
        if flag in out and out[flag] is None:
            out[flag] = default
    if out.get("excluded_categories", 0) is None:
        out["excluded_categories"] = []
    return out


def _handle_taken(s: Session, model: Any, handle: str, own_id: str | None) -> bool:
    clash = s.scalar(select(model.id).where(func.lower(model.handle) == handle.lower()).limit(1))
    return clash is not None and clash != own_id


def _new_id(data: Any, s: Session, model: Any) -> str:
    requested = data.get("id") if isinstance(data, dict) else None
    if requested is None:
        return new_id()
    if not isinstance(requested, str) or not 1 <= len(requested) <= 36:
        raise ValidationError.field("id", "must be a UUID string")
    if s.get(model, requested) is not None:
        raise ValidationError.field("id", "a definition with this id already exists")
    return requested


def _check_version(entity: str, current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise VersionConflict(entity, expected, current)


class DefinitionService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- benefit definitions -------------------------------------------------
    def benefit_definitions(self, *, include_archived: bool = True) -> list[BenefitDefinition]:
        with self.ctx.reading() as s:
            query = select(BenefitDefinition).order_by(BenefitDefinition.name)
            if not include_archived:
                query = query.where(BenefitDefinition.is_archived.is_(False))
            return list(s.scalars(query))

    def benefit_definition(self, ident: str) -> BenefitDefinition:
        """By id or handle."""
        with self.ctx.reading() as s:
            found = s.get(BenefitDefinition, ident) or s.scalar(
                select(BenefitDefinition).where(BenefitDefinition.handle == ident)
            )
            if found is None:
                raise NotFound("benefit definition", ident)
            return found

    def create_benefit_definition(self, actor: Actor, data: Any) -> BenefitDefinition:
        require(actor, Action.EDIT_DEFINITIONS)
        values = read_benefit_definition(data, actor.timezone, partial=False)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            if _handle_taken(s, BenefitDefinition, values["handle"], None):
                raise ValidationError.field("handle", f"'{values['handle']}' is already used")
            definition = BenefitDefinition(
                id=_new_id(data, s, BenefitDefinition), version=1, total_global_redemptions=0,
                total_issued=0, created_at=uow.now, updated_at=uow.now, **values,
            )
            s.add(definition)
            s.flush()
            body = wire.benefit_definition(definition)
            uow.record("benefit_definition.create", "benefit_definition", definition.id,
                       after=body, call=HubCall("POST", "/benefits/definitions", _editable(body)),
                       areas=("definitions",))
        return definition

    def update_benefit_definition(
        self, actor: Actor, ident: str, data: Any, *, expected_version: int | None = None
    ) -> BenefitDefinition:
        require(actor, Action.EDIT_DEFINITIONS)
        values = read_benefit_definition(data, actor.timezone, partial=True)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            definition = s.get(BenefitDefinition, ident)
            if definition is None:
                raise NotFound("benefit definition", ident)
            _check_version("benefit definition", definition.version, expected_version)
            if "handle" in values and _handle_taken(s, BenefitDefinition, values["handle"], ident):
                raise ValidationError.field("handle", f"'{values['handle']}' is already used")
            before = wire.benefit_definition(definition)
            for key, value in values.items():
                setattr(definition, key, value)
            definition.version += 1
            definition.updated_at = uow.now
            s.flush()
            after = wire.benefit_definition(definition)
            changed = {k: after[k] for k in _editable(after) if after[k] != before.get(k)}
            uow.record(
                "benefit_definition.update", "benefit_definition", definition.id,
                before=before, after=after,
                call=HubCall("PUT", f"/benefits/definitions/{definition.id}", changed,
                             {"If-Match": str(definition.version - 1)}),
                areas=("definitions",),
            )
        return definition

    def archive_benefit_definition(
        self, actor: Actor, ident: str, *, expected_version: int | None = None
    ) -> BenefitDefinition:
        return self.update_benefit_definition(
            actor, ident, {"is_archived": True}, expected_version=expected_version
        )

    # -- reward definitions --------------------------------------------------
    def reward_definitions(self, *, include_archived: bool = True) -> list[RewardDefinition]:
        with self.ctx.reading() as s:
            query = select(RewardDefinition).order_by(RewardDefinition.name)
            if not include_archived:
                query = query.where(RewardDefinition.is_archived.is_(False))
            return list(s.scalars(query))

    def reward_definition(self, ident: str) -> RewardDefinition:
        with self.ctx.reading() as s:
            found = s.get(RewardDefinition, ident) or s.scalar(
                select(RewardDefinition).where(RewardDefinition.handle == ident)
            )
            if found is None:
                raise NotFound("reward definition", ident)
            return found

    def create_reward_definition(self, actor: Actor, data: Any) -> RewardDefinition:
        require(actor, Action.EDIT_DEFINITIONS)
        values = read_reward_definition(data, partial=False)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            if _handle_taken(s, RewardDefinition, values["handle"], None):
                raise ValidationError.field("handle", f"'{values['handle']}' is already used")
            definition = RewardDefinition(
                id=_new_id(data, s, RewardDefinition), version=1, created_at=uow.now,
                updated_at=uow.now, **values,
            )
            s.add(definition)
            s.flush()
            body = wire.reward_definition(definition)
            uow.record("reward_definition.create", "reward_definition", definition.id, after=body,
                       call=HubCall("POST", "/rewards/definitions", _editable(body)),
                       areas=("definitions",))
        return definition

    def update_reward_definition(
        self, actor: Actor, ident: str, data: Any, *, expected_version: int | None = None
    ) -> RewardDefinition:
        require(actor, Action.EDIT_DEFINITIONS)
        values = read_reward_definition(data, partial=True)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            definition = s.get(RewardDefinition, ident)
            if definition is None:
                raise NotFound("reward definition", ident)
            _check_version("reward definition", definition.version, expected_version)
            if "handle" in values and _handle_taken(s, RewardDefinition, values["handle"], ident):
                raise ValidationError.field("handle", f"'{values['handle']}' is already used")
            before = wire.reward_definition(definition)
            for key, value in values.items():
                setattr(definition, key, value)
            if definition.value and definition.max_value and definition.value > definition.max_value:
                raise ValidationError.field("value", "must not be more than max_value")
            definition.version += 1
            definition.updated_at = uow.now
            s.flush()
            after = wire.reward_definition(definition)
            changed = {k: after[k] for k in _editable(after) if after[k] != before.get(k)}
            uow.record(
                "reward_definition.update", "reward_definition", definition.id,
                before=before, after=after,
                call=HubCall("PUT", f"/rewards/definitions/{definition.id}", changed,
                             {"If-Match": str(definition.version - 1)}),
                areas=("definitions",),
            )
        return definition

    def archive_reward_definition(
        self, actor: Actor, ident: str, *, expected_version: int | None = None
    ) -> RewardDefinition:
        return self.update_reward_definition(
            actor, ident, {"is_archived": True}, expected_version=expected_version
        )

    # -- deleting (hub: DELETE /benefits/definitions/{id}, /rewards/definitions/{id}) --------
    def delete_benefit_definition(
        self, actor: Actor, ident: str, *, expected_version: int | None = None
    ) -> None:
        """Delete a definition nothing was ever issued from; one in use is archived instead
        (refused with ``in_use``), so no issued benefit loses its definition."""
        from clienteling.engine.models import Benefit

        self._delete(actor, BenefitDefinition, Benefit.benefit_definition_id, "benefit definition",
                     ident, expected_version, "/benefits/definitions")

    def delete_reward_definition(
        self, actor: Actor, ident: str, *, expected_version: int | None = None
    ) -> None:
        from clienteling.engine.models import Reward

        self._delete(actor, RewardDefinition, Reward.reward_definition_id, "reward definition",
                     ident, expected_version, "/rewards/definitions")

    def _delete(self, actor: Actor, model: Any, used_by: Any, entity: str, ident: str,
                expected_version: int | None, path: str) -> None:
        from sqlalchemy import delete

        from clienteling.engine.errors import RuleRefused

        require(actor, Action.EDIT_DEFINITIONS)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            definition = s.get(model, ident)
            if definition is None:
                raise NotFound(entity, ident)
            _check_version(entity, definition.version, expected_version)
            uses = s.scalar(select(func.count()).where(used_by == ident)) or 0
            if uses:
                raise RuleRefused(
                    "in_use", f"This {entity} has been issued {uses} time{'s' if uses != 1 else ''}; "
                    "archive it instead (is_archived: true)")
            body = (wire.benefit_definition(definition) if model is BenefitDefinition
                    else wire.reward_definition(definition))
            s.execute(delete(model).where(model.id == ident))
            kind = "benefit_definition" if model is BenefitDefinition else "reward_definition"
            uow.record(f"{kind}.delete", kind, ident, before=body,
                       call=HubCall("DELETE", f"{path}/{ident}"), areas=("definitions",))


_SERVER_FIELDS = ("total_global_redemptions", "total_issued", "version", "created_at", "updated_at")


def _editable(body: dict[str, Any]) -> dict[str, Any]:
    """A definition's fields an editor sets (counters and stamps belong to the hub)."""
    return {k: v for k, v in body.items() if k not in _SERVER_FIELDS}
