"""Benefit and reward definitions: create, edit, archive (admin, also offline; SPEC §2, §6).

Every edit bumps ``version``; an edit that names the version it was based on
and finds the stored one moved on is refused as a ``VersionConflict``, never
silently applied over someone else's change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from clienteling.engine import frozen, wire
from clienteling.engine.context import Context, HubCall
from clienteling.engine.errors import RuleRefused, ValidationError, VersionConflict
from clienteling.engine.form import Form, present
from clienteling.engine.frozen import BenefitDefinitionRecord, RewardDefinitionRecord
from clienteling.engine.models import Benefit, BenefitDefinition, Reward, RewardDefinition, new_id
from clienteling.engine.permissions import Action, Actor, require
from clienteling.engine.services.lookup import definition_by_ref, get_or_not_found

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


_D = TypeVar("_D", BenefitDefinition, RewardDefinition)


@dataclass(frozen=True)
class _Kind(Generic[_D]):
    """What differs between benefit and reward definitions; the life cycle is the same."""

    model: type[_D]
    entity: str  # in messages: "benefit definition"
    name: str  # in audit actions and the change feed: "benefit_definition"
    path: str  # the hub's collection path
    to_wire: Callable[[_D], dict[str, Any]]
    read: Callable[[Any, str, bool], dict[str, Any]]
    used_by: Any  # the instance column that points at a definition
    counters: tuple[str, ...] = ()


def _check_reward_values(definition: Any) -> None:
    if definition.value and definition.max_value and definition.value > definition.max_value:
        raise ValidationError.field("value", "must not be more than max_value")


BENEFIT = _Kind(BenefitDefinition, "benefit definition", "benefit_definition", "/benefits/definitions",
                wire.benefit_definition,
                lambda data, tz, partial: read_benefit_definition(data, tz, partial=partial),
                Benefit.benefit_definition_id, ("total_global_redemptions", "total_issued"))
REWARD = _Kind(RewardDefinition, "reward definition", "reward_definition", "/rewards/definitions",
               wire.reward_definition,
               lambda data, _tz, partial: read_reward_definition(data, partial=partial),
               Reward.reward_definition_id)


class DefinitionService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- benefit definitions -------------------------------------------------
    def benefit_definitions(self, *, include_archived: bool = True) -> list[BenefitDefinitionRecord]:
        return [frozen.benefit_definition(d) for d in self._list(BENEFIT, include_archived)]

    def benefit_definition(self, ident: str) -> BenefitDefinitionRecord:
        """By id or handle."""
        return frozen.benefit_definition(self._get(BENEFIT, ident))

    def create_benefit_definition(self, actor: Actor, data: Any) -> BenefitDefinitionRecord:
        return frozen.benefit_definition(self._create(BENEFIT, actor, data))

    def update_benefit_definition(
        self, actor: Actor, ident: str, data: Any, *, expected_version: int | None = None
    ) -> BenefitDefinitionRecord:
        return frozen.benefit_definition(self._update(BENEFIT, actor, ident, data, expected_version))

    def archive_benefit_definition(
        self, actor: Actor, ident: str, *, expected_version: int | None = None
    ) -> BenefitDefinitionRecord:
        return frozen.benefit_definition(
            self._update(BENEFIT, actor, ident, {"is_archived": True}, expected_version))

    def delete_benefit_definition(
        self, actor: Actor, ident: str, *, expected_version: int | None = None
    ) -> None:
        """Delete a definition nothing was ever issued from; one in use is refused with
        ``in_use`` (archive it instead), so no issued benefit loses its definition."""
        self._delete(BENEFIT, actor, ident, expected_version)

    # -- reward definitions --------------------------------------------------
    def reward_definitions(self, *, include_archived: bool = True) -> list[RewardDefinitionRecord]:
        return [frozen.reward_definition(d) for d in self._list(REWARD, include_archived)]

    def reward_definition(self, ident: str) -> RewardDefinitionRecord:
        """By id or handle."""
        return frozen.reward_definition(self._get(REWARD, ident))

    def create_reward_definition(self, actor: Actor, data: Any) -> RewardDefinitionRecord:
        return frozen.reward_definition(self._create(REWARD, actor, data))

    def update_reward_definition(
        self, actor: Actor, ident: str, data: Any, *, expected_version: int | None = None
    ) -> RewardDefinitionRecord:
        return frozen.reward_definition(self._update(REWARD, actor, ident, data, expected_version))

    def archive_reward_definition(
        self, actor: Actor, ident: str, *, expected_version: int | None = None
    ) -> RewardDefinitionRecord:
        return frozen.reward_definition(
            self._update(REWARD, actor, ident, {"is_archived": True}, expected_version))

    def delete_reward_definition(
        self, actor: Actor, ident: str, *, expected_version: int | None = None
    ) -> None:
        self._delete(REWARD, actor, ident, expected_version)

    # -- the shared life cycle -------------------------------------------------
    def _list(self, kind: _Kind[_D], include_archived: bool) -> list[_D]:
        with self.ctx.reading() as s:
            query = select(kind.model).order_by(kind.model.name)
            if not include_archived:
                query = query.where(kind.model.is_archived.is_(False))
            return list(s.scalars(query))

    def _get(self, kind: _Kind[_D], ident: str) -> _D:
        with self.ctx.reading() as s:
            return definition_by_ref(s, kind.model, ident, kind.entity)

    def _create(self, kind: _Kind[_D], actor: Actor, data: Any) -> _D:
        require(actor, Action.EDIT_DEFINITIONS)
        values = kind.read(data, actor.timezone, False)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            if _handle_taken(s, kind.model, values["handle"], None):
                raise ValidationError.field("handle", f"'{values['handle']}' is already used")
            definition = kind.model(
                id=_new_id(data, s, kind.model), version=1, created_at=uow.now, updated_at=uow.now,
                **{name: 0 for name in kind.counters}, **values,
            )
            s.add(definition)
            s.flush()
            body = kind.to_wire(definition)
            uow.record(f"{kind.name}.create", kind.name, definition.id, after=body,
                       call=HubCall("POST", kind.path, _editable(body)))
        return definition

    def _update(self, kind: _Kind[_D], actor: Actor, ident: str, data: Any,
                expected_version: int | None) -> _D:
        require(actor, Action.EDIT_DEFINITIONS)
        values = kind.read(data, actor.timezone, True)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            definition = get_or_not_found(s, kind.model, ident, kind.entity)
            _check_version(kind.entity, definition.version, expected_version)
            if "handle" in values and _handle_taken(s, kind.model, values["handle"], ident):
                raise ValidationError.field("handle", f"'{values['handle']}' is already used")
            before = kind.to_wire(definition)
            for key, value in values.items():
                setattr(definition, key, value)
            if kind is REWARD:
                _check_reward_values(definition)
            definition.version += 1
            definition.updated_at = uow.now
            s.flush()
            after = kind.to_wire(definition)
            changed = {k: after[k] for k in _editable(after) if after[k] != before.get(k)}
            uow.record(f"{kind.name}.update", kind.name, definition.id, before=before, after=after,
                       call=HubCall("PUT", f"{kind.path}/{definition.id}", changed,
                                    {"If-Match": str(definition.version - 1)}))
        return definition

    def _delete(self, kind: _Kind[_D], actor: Actor, ident: str, expected_version: int | None) -> None:
        require(actor, Action.EDIT_DEFINITIONS)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            definition = get_or_not_found(s, kind.model, ident, kind.entity)
            _check_version(kind.entity, definition.version, expected_version)
            uses = s.scalar(select(func.count()).where(kind.used_by == ident)) or 0
            if uses:
                raise RuleRefused(
                    "in_use", f"This {kind.entity} has been issued {uses} time{'s' if uses != 1 else ''}; "
                    "archive it instead (is_archived: true)")
            body = kind.to_wire(definition)
            s.execute(delete(kind.model).where(kind.model.id == ident))
            uow.record(f"{kind.name}.delete", kind.name, ident, before=body,
                       call=HubCall("DELETE", f"{kind.path}/{ident}"))


_SERVER_FIELDS = ("total_global_redemptions", "total_issued", "version", "created_at", "updated_at")


def _editable(body: dict[str, Any]) -> dict[str, Any]:
    """A definition's fields an editor sets (counters and stamps belong to the hub)."""
    return {k: v for k, v in body.items() if k not in _SERVER_FIELDS}
