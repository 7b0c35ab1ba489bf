"""Read-only listings: filter, sort and page any list the hub (or a panel) shows.

Nothing here writes. Every list is a windowed query (``LIMIT``/``OFFSET`` plus a
``COUNT``), never a whole table (GUIDE principle 8). Filters and sort keys are
whitelisted per list; anything else is refused with a ``ValidationError`` that
names the query parameter, so a typo is a 422 and never a silent "no filter".

The change feed (SPEC §7) is read here too: ``changes(after, limit)`` returns the
change-log rows after a cursor with the current record of each entity.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, Text, cast, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from clienteling.engine import frozen
from clienteling.engine.context import Context
from clienteling.engine.entities import BY_NAME
from clienteling.engine.errors import ValidationError
from clienteling.engine.form import MAX_INT, parse_instant, zone
from clienteling.engine.frozen import (
    BenefitDefinitionRecord,
    BenefitRecord,
    ProfileRecord,
    RedemptionTransaction,
    RewardDefinitionRecord,
    RewardRecord,
    StaffRecord,
    StoreRecord,
)
from clienteling.engine.models import (
    Benefit,
    BenefitDefinition,
    ChangeLog,
    Identity,
    Profile,
    Redemption,
    Reward,
    RewardDefinition,
    Staff,
    Store,
)
from clienteling.engine.money import MoneyError, parse_amount
from clienteling.engine.services.lookup import get_or_not_found

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 15
MAX_FEED_PAGE = 1000
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nullable")


@dataclass(frozen=True)
class Filter:
    """``filter[field]=value`` or ``filter[field][op]=value``."""

    field: str
    op: str
    value: str


@dataclass(frozen=True)
class ListQuery:
    filters: tuple[Filter, ...] = ()
    sort: tuple[str, ...] = ()
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE
    tags: tuple[str, ...] = ()
    search: str | None = None
    # Times in filters without an offset are wall time here (SPEC §7).
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if not 1 <= self.page <= MAX_INT:
            raise ValidationError.field("page[number]", f"must be between 1 and {MAX_INT}")
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise ValidationError.field("page[size]", f"must be between 1 and {MAX_PAGE_SIZE}")
        if zone(self.timezone) is None:
            raise ValidationError.field("timezone", f"unknown timezone '{self.timezone[:64]}'")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.size))


@dataclass(frozen=True)
class Change:
    """One change-feed row with the entity's current record, frozen (the registry's ``copy``;
    None when it no longer exists)."""

    seq: int
    entity_type: str
    entity_id: str
    op: str
    at: datetime
    record: Any


@dataclass(frozen=True)
class _Field:
    column: Any
    kind: str  # str | int | bool | datetime | date | money


@dataclass(frozen=True)
class _Spec:
    fields: dict[str, _Field]
    sorts: dict[str, Any]
    default_sort: tuple[Any, ...]
    extra: dict[str, Any] = field(default_factory=dict)


def _fields(**kinds: tuple[InstrumentedAttribute[Any], str]) -> dict[str, _Field]:
    return {name: _Field(col, kind) for name, (col, kind) in kinds.items()}


_PROFILES = _Spec(
    fields=_fields(
        id=(Profile.id, "str"), first_name=(Profile.first_name, "str"),
        last_name=(Profile.last_name, "str"), email=(Profile.email_key, "lower"),
        mobile_phone=(Profile.mobile_phone, "str"), gender=(Profile.gender, "str"),
        tier=(Profile.tier, "str"), home_store_id=(Profile.home_store_id, "str"),
        birth_date=(Profile.birth_date, "date"), join_date=(Profile.join_date, "date"),
        created_at=(Profile.created_at, "datetime"), updated_at=(Profile.updated_at, "datetime"),
    ),
    sorts={"first_name": Profile.first_name, "last_name": Profile.last_name,
           "email": Profile.email_key, "join_date": Profile.join_date,
           "created_at": Profile.created_at, "updated_at": Profile.updated_at},
    default_sort=(Profile.name_key, Profile.id),
)

_BENEFIT_DEFINITIONS = _Spec(
    fields=_fields(
        id=(BenefitDefinition.id, "str"), handle=(BenefitDefinition.handle, "str"),
        name=(BenefitDefinition.name, "str"), category=(BenefitDefinition.category, "str"),
        is_claimable=(BenefitDefinition.is_claimable, "bool"),
        is_extendable=(BenefitDefinition.is_extendable, "bool"),
        is_assignable=(BenefitDefinition.is_assignable, "bool"),
        is_reassignable=(BenefitDefinition.is_reassignable, "bool"),
        is_published=(BenefitDefinition.is_published, "bool"),
        is_archived=(BenefitDefinition.is_archived, "bool"),
        is_reclaimable=(BenefitDefinition.is_reclaimable, "bool"),
        period=(BenefitDefinition.period, "int"),
        max_redemptions=(BenefitDefinition.max_redemptions, "int"),
        max_global_redemptions=(BenefitDefinition.max_global_redemptions, "int"),
        total_global_redemptions=(BenefitDefinition.total_global_redemptions, "int"),
        version=(BenefitDefinition.version, "int"),
        end_at=(BenefitDefinition.end_at, "datetime"),
        claim_period_start_at=(BenefitDefinition.claim_period_start_at, "datetime"),
        claim_period_end_at=(BenefitDefinition.claim_period_end_at, "datetime"),
        created_at=(BenefitDefinition.created_at, "datetime"),
        updated_at=(BenefitDefinition.updated_at, "datetime"),
    ),
    sorts={"name": BenefitDefinition.name, "handle": BenefitDefinition.handle,
           "end_at": BenefitDefinition.end_at, "created_at": BenefitDefinition.created_at,
           "updated_at": BenefitDefinition.updated_at},
    default_sort=(BenefitDefinition.name, BenefitDefinition.id),
)

_REWARD_DEFINITIONS = _Spec(
    fields=_fields(
        id=(RewardDefinition.id, "str"), handle=(RewardDefinition.handle, "str"),
        name=(RewardDefinition.name, "str"), type=(RewardDefinition.type, "str"),
        value=(RewardDefinition.value, "money"), max_value=(RewardDefinition.max_value, "money"),
        period=(RewardDefinition.period, "int"),
        is_extendable=(RewardDefinition.is_extendable, "bool"),
        is_published=(RewardDefinition.is_published, "bool"),
        is_archived=(RewardDefinition.is_archived, "bool"),
        version=(RewardDefinition.version, "int"),
        created_at=(RewardDefinition.created_at, "datetime"),
        updated_at=(RewardDefinition.updated_at, "datetime"),
    ),
    sorts={"name": RewardDefinition.name, "handle": RewardDefinition.handle,
           "type": RewardDefinition.type, "created_at": RewardDefinition.created_at,
           "updated_at": RewardDefinition.updated_at},
    default_sort=(RewardDefinition.name, RewardDefinition.id),
)

_BENEFITS = _Spec(
    fields=_fields(
        id=(Benefit.id, "str"), benefit_definition_id=(Benefit.benefit_definition_id, "str"),
        external_id=(Benefit.external_id, "str"), source=(Benefit.source, "str"),
        timezone=(Benefit.timezone, "str"), redeem_code_pos=(Benefit.redeem_code_pos, "str"),
        redemptions_remaining=(Benefit.redemptions_remaining, "int"),
        issued_at=(Benefit.issued_at, "datetime"), expires_at=(Benefit.expires_at, "datetime"),
        claimed_at=(Benefit.claimed_at, "datetime"), created_at=(Benefit.created_at, "datetime"),
        updated_at=(Benefit.updated_at, "datetime"),
    ),
    sorts={"issued_at": Benefit.issued_at, "expires_at": Benefit.expires_at,
           "claimed_at": Benefit.claimed_at, "created_at": Benefit.created_at,
           "updated_at": Benefit.updated_at},
    default_sort=(Benefit.issued_at.desc(), Benefit.id),
)

_REWARDS = _Spec(
    fields=_fields(
        id=(Reward.id, "str"), reward_definition_id=(Reward.reward_definition_id, "str"),
        value_initial=(Reward.value_initial, "money"),
        value_remaining=(Reward.value_remaining, "money"), is_active=(Reward.is_active, "bool"),
        timezone=(Reward.timezone, "str"), issued_at=(Reward.issued_at, "datetime"),
        expires_at=(Reward.expires_at, "datetime"), extended_at=(Reward.extended_at, "datetime"),
        created_at=(Reward.created_at, "datetime"), updated_at=(Reward.updated_at, "datetime"),
    ),
    sorts={"issued_at": Reward.issued_at, "expires_at": Reward.expires_at,
           "value_remaining": Reward.value_remaining, "created_at": Reward.created_at,
           "updated_at": Reward.updated_at},
    default_sort=(Reward.issued_at.desc(), Reward.id),
)

_REDEMPTIONS = _Spec(
    fields=_fields(
        id=(Redemption.id, "str"), profile_id=(Redemption.profile_id, "str"),
        type=(Redemption.type, "str"), location_id=(Redemption.location_id, "str"),
        staff_id=(Redemption.staff_id, "str"),
        transaction_receipt_ref=(Redemption.transaction_receipt_ref, "str"),
        reversal_of_id=(Redemption.reversal_of_id, "str"),
        reversed_by_id=(Redemption.reversed_by_id, "str"), total=(Redemption.total, "money"),
        redeem_at=(Redemption.redeem_at, "datetime"), created_at=(Redemption.created_at, "datetime"),
    ),
    sorts={"redeem_at": Redemption.redeem_at, "created_at": Redemption.created_at,
           "total": Redemption.total},
    default_sort=(Redemption.redeem_at.desc(), Redemption.id),
)

_STAFF = _Spec(
    fields=_fields(
        id=(Staff.id, "str"), username=(Staff.username, "str"), role=(Staff.role, "str"),
        store_id=(Staff.store_id, "str"), is_active=(Staff.is_active, "bool"),
        created_at=(Staff.created_at, "datetime"), updated_at=(Staff.updated_at, "datetime"),
    ),
    sorts={"display_name": Staff.display_name, "username": Staff.username,
           "created_at": Staff.created_at, "updated_at": Staff.updated_at},
    default_sort=(Staff.display_name, Staff.id),
)

_STORES = _Spec(
    fields=_fields(
        id=(Store.id, "str"), name=(Store.name, "str"), timezone=(Store.timezone, "str"),
        created_at=(Store.created_at, "datetime"), updated_at=(Store.updated_at, "datetime"),
    ),
    sorts={"name": Store.name, "created_at": Store.created_at, "updated_at": Store.updated_at},
    default_sort=(Store.name, Store.id),
)

def _param(f: Filter) -> str:
    return f"filter[{f.field}]" if f.op == "eq" else f"filter[{f.field}][{f.op}]"


def _coerce(kind: str, raw: str, name: str, tz: str) -> Any:
    """One filter value of a column's kind, or a ValidationError naming the parameter."""
    text = raw.strip()
    if kind == "str":
        if len(text) > 500:
            raise ValidationError.field(name, "must be at most 500 characters")
        return text
    if kind == "lower":
        return text.lower()[:500]
    if kind == "int":
        if not re.fullmatch(r"-?[0-9]{1,10}", text) or not -MAX_INT <= int(text) <= MAX_INT:
            raise ValidationError.field(name, f"'{text[:40]}' is not a whole number")
        return int(text)
    if kind == "bool":
        lowered = text.lower()
        if lowered not in ("true", "false", "1", "0"):
            raise ValidationError.field(name, "must be true or false (or 1 or 0)")
        return lowered in ("true", "1")
    if kind == "datetime":
        try:
            return parse_instant(text, tz)
        except ValueError as exc:
            raise ValidationError.field(name, str(exc)) from exc
    if kind == "date":
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise ValidationError.field(name, f"'{text[:40]}' is not a date: use YYYY-MM-DD") from exc
    if kind == "money":
        try:
            return parse_amount(text, field=name, allow_zero=True)
        except MoneyError as exc:
            raise ValidationError.field(name, str(exc).removeprefix(f"{name}: ")) from exc
    raise AssertionError(f"unknown filter kind {kind}")  # pragma: no cover - specs are fixed


def _condition(spec_field: _Field, f: Filter, tz: str) -> Any:
    column, name = spec_field.column, _param(f)
    if f.op == "nullable":
        wants_null = _coerce("bool", f.value, name, tz)
        return column.is_(None) if wants_null else column.is_not(None)
    if f.op == "in":
        parts = [p for p in f.value.split(",") if p.strip()]
        if not parts or len(parts) > 100:
            raise ValidationError.field(name, "must be 1 to 100 comma-separated values")
        return column.in_([_coerce(spec_field.kind, p, name, tz) for p in parts])
    value = _coerce(spec_field.kind, f.value, name, tz)
    if spec_field.kind == "bool" and f.op not in ("eq", "ne"):
        raise ValidationError.field(name, "a true/false field takes only eq or ne")
    comparisons: dict[str, Callable[[], Any]] = {
        "eq": lambda: column == value,
        "ne": lambda: or_(column != value, column.is_(None)),
        "gt": lambda: column > value,
        "gte": lambda: column >= value,
        "lt": lambda: column < value,
        "lte": lambda: column <= value,
    }
    return comparisons[f.op]()


def _apply(query: Select[Any], spec: _Spec, q: ListQuery, *, skip: Sequence[str] = ()) -> Select[Any]:
    for f in q.filters:
        if f.field in skip:
            continue
        if f.op not in OPERATORS:
            raise ValidationError.field(
                _param(f), f"unknown operator '{f.op[:20]}': use one of {', '.join(OPERATORS)}")
        special = spec.extra.get(f.field)
        if special is not None:
            query = query.where(special(f, q))
            continue
        spec_field = spec.fields.get(f.field)
        if spec_field is None:
            allowed = ", ".join(sorted([*spec.fields, *spec.extra]))
            raise ValidationError.field(
                _param(f), f"cannot filter on '{f.field[:40]}' here; filterable: {allowed}")
        query = query.where(_condition(spec_field, f, q.timezone))
    return query


def _order(spec: _Spec, q: ListQuery) -> list[Any]:
    if not q.sort:
        return list(spec.default_sort)
    order: list[Any] = []
    for key in q.sort:
        name = key[1:] if key.startswith("-") else key
        column = spec.sorts.get(name)
        if column is None:
            raise ValidationError.field(
                "sort", f"cannot sort by '{name[:40]}'; sortable: {', '.join(sorted(spec.sorts))}")
        order.append(column.desc() if key.startswith("-") else column.asc())
    # A unique tie-breaker keeps pages stable.
    order.extend(spec.default_sort)
    return order


def _tags_match(tags: Sequence[str]) -> Any:
    """Definitions carrying any of ``tags``, on SQLite and PostgreSQL alike.

    Tags are a JSON list stored as text by the same serialiser on both, so a tag is
    present exactly when its JSON string literal (quotes included) occurs in the text.
    """
    text_column = cast(BenefitDefinition.tags, Text)
    clauses = []
    for tag in tags:
        literal = json.dumps(tag)
        escaped = literal.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(text_column.like(f"%{escaped}%", escape="\\"))
    return or_(*clauses) if clauses else false()


def _page(s: Session, query: Select[Any], order: list[Any], q: ListQuery,
          copy: Callable[[Any], T]) -> Page[T]:
    """One page of ``query``, each row copied into its frozen record while the read is open
    (the hub renders records, never ORM objects: issue 15)."""
    total = int(s.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    rows = s.scalars(query.order_by(*order).limit(q.size).offset(q.offset)).unique()
    return Page([copy(row) for row in rows], total, q.page, q.size)


def _prefix(column: Any, prefix: str) -> Any:
    return (column >= prefix) & (column < prefix + "\U0010ffff")


def _search(term: str) -> Any:
    """The desktop's one-box search (name, email, phone or card), as a WHERE clause."""
    q = " ".join(term.strip().lower().split())[:200]
    digits = re.sub(r"[\s+()-]", "", q)
    if digits.isdigit() and len(digits) >= 3:
        card_ids = select(Identity.profile_id).where(Identity.identifier == digits)
        return or_(Profile.id.in_(card_ids), _prefix(Profile.phone_key, digits))
    if "@" in q:
        return _prefix(Profile.email_key, q)
    if " " in q:
        return _prefix(Profile.name_key, q)
    return or_(_prefix(Profile.name_key, q), _prefix(Profile.last_name_key, q))


def _identity_filter(f: Filter, q: ListQuery) -> Any:
    if f.op not in ("eq", "in"):
        raise ValidationError.field(_param(f), "takes only eq or in")
    values = [v.strip() for v in f.value.split(",")] if f.op == "in" else [f.value.strip()]
    return Profile.id.in_(select(Identity.profile_id).where(Identity.identifier.in_(values)))


_PROFILES.extra["identities.identifier"] = _identity_filter


class ListingService:
    """Paged, filtered, sorted reads for the hub's list endpoints (read-only), as frozen
    records (``engine.frozen``)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _list(self, model: Any, spec: _Spec, q: ListQuery, copy: Callable[[Any], T],
              *where: Any) -> Page[T]:
        with self.ctx.reading() as s:
            query = _apply(select(model).where(*where), spec, q)
            return _page(s, query, _order(spec, q), q, copy)

    # -- profiles -----------------------------------------------------------------
    def profiles(self, q: ListQuery) -> Page[ProfileRecord]:
        where = []
        if q.search is not None and q.search.strip():
            where.append(_search(q.search))
        return self._list(Profile, _PROFILES, q, frozen.profile, *where)

    def _require_profile(self, s: Session, profile_id: str) -> None:
        get_or_not_found(s, Profile, profile_id, "profile")

    # -- definitions ----------------------------------------------------------------
    def benefit_definitions(self, q: ListQuery) -> Page[BenefitDefinitionRecord]:
        where = [_tags_match(q.tags)] if q.tags else []
        return self._list(BenefitDefinition, _BENEFIT_DEFINITIONS, q, frozen.benefit_definition,
                          *where)

    def reward_definitions(self, q: ListQuery) -> Page[RewardDefinitionRecord]:
        return self._list(RewardDefinition, _REWARD_DEFINITIONS, q, frozen.reward_definition)

    # -- instances -------------------------------------------------------------------
    def profile_benefits(self, profile_id: str, q: ListQuery, *, redeemable_only: bool = False,
                         now: datetime | None = None) -> Page[BenefitRecord]:
        """A profile's benefits; ``redeemable_only`` keeps those B2 says are redeemable now."""
        now = now or self.ctx.clock.now()
        with self.ctx.reading() as s:
            self._require_profile(s, profile_id)
            query = select(Benefit).join(
                BenefitDefinition, BenefitDefinition.id == Benefit.benefit_definition_id
            ).where(Benefit.profile_id == profile_id)
            if q.tags:
                query = query.where(_tags_match(q.tags))
            if redeemable_only:
                query = query.where(
                    or_(Benefit.expires_at.is_(None), Benefit.expires_at > now),
                    or_(Benefit.redemptions_remaining.is_(None), Benefit.redemptions_remaining > 0),
                    or_(BenefitDefinition.end_at.is_(None), BenefitDefinition.end_at > now),
                    or_(BenefitDefinition.max_global_redemptions.is_(None),
                        BenefitDefinition.total_global_redemptions
                        < BenefitDefinition.max_global_redemptions),
                )
            query = _apply(query, _BENEFITS, q)
            definitions: dict[str, BenefitDefinitionRecord] = {}  # one copy per definition
            return _page(s, query, _order(_BENEFITS, q), q,
                         lambda row: frozen.benefit(row, definitions))

    def profile_rewards(self, profile_id: str, q: ListQuery) -> Page[RewardRecord]:
        with self.ctx.reading() as s:
            self._require_profile(s, profile_id)
            query = _apply(select(Reward).where(Reward.profile_id == profile_id), _REWARDS, q)
            return _page(s, query, _order(_REWARDS, q), q, frozen.reward)

    def redemptions(self, q: ListQuery, *,
                    profile_id: str | None = None) -> Page[RedemptionTransaction]:
        with self.ctx.reading() as s:
            query = select(Redemption)
            if profile_id is not None:
                self._require_profile(s, profile_id)
                query = query.where(Redemption.profile_id == profile_id)
            query = _apply(query, _REDEMPTIONS, q)
            return _page(s, query, _order(_REDEMPTIONS, q), q, frozen.redemption)

    def reward(self, reward_id: str) -> RewardRecord:
        with self.ctx.reading() as s:
            return frozen.reward(get_or_not_found(s, Reward, reward_id, "reward"))

    # -- people and places ---------------------------------------------------------------
    def staff(self, q: ListQuery) -> Page[StaffRecord]:
        return self._list(Staff, _STAFF, q, frozen.staff)

    def stores(self, q: ListQuery) -> Page[StoreRecord]:
        return self._list(Store, _STORES, q, frozen.store)

    # -- change feed ---------------------------------------------------------------------
    def changes(self, after: int, limit: int) -> tuple[list[Change], bool]:
        """Change-log rows with ``seq > after`` in order, each with its entity's current record.

        Returns the rows and whether more follow. Seq order is commit order (the
        writers' journal lock, see ``context.JOURNAL_LOCK``), so a reader that
        advances its cursor to the last seq it saw never skips a later commit.
        """
        if not 0 <= after <= 2**62:
            raise ValidationError.field("after", "must be a whole number of at least 0")
        if not 1 <= limit <= MAX_FEED_PAGE:
            raise ValidationError.field("limit", f"must be between 1 and {MAX_FEED_PAGE}")
        with self.ctx.reading() as s:
            rows = list(s.scalars(
                select(ChangeLog).where(ChangeLog.seq > after).order_by(ChangeLog.seq).limit(limit + 1)
            ))
            has_more = len(rows) > limit
            rows = rows[:limit]
            wanted: dict[str, set[str]] = defaultdict(set)
            for row in rows:
                # The registry's types: a change to anything else carries no record.
                if row.entity_type in BY_NAME:
                    wanted[row.entity_type].add(row.entity_id)
            found: dict[tuple[str, str], Any] = {}
            for entity_type, ids in wanted.items():
                model: Any = BY_NAME[entity_type].model  # every synced model has an id
                copy = BY_NAME[entity_type].copy
                id_list = sorted(ids)
                for start in range(0, len(id_list), 500):
                    chunk = id_list[start:start + 500]
                    for record in s.scalars(select(model).where(model.id.in_(chunk))).unique():
                        found[(entity_type, record.id)] = copy(record)
            return [
                Change(row.seq, row.entity_type, row.entity_id, row.op, row.at,
                       found.get((row.entity_type, row.entity_id)))
                for row in rows
            ], has_more

    def last_seq(self) -> int:
        with self.ctx.reading() as s:
            return int(s.scalar(select(func.max(ChangeLog.seq))) or 0)


__all__ = ["Change", "Filter", "ListQuery", "ListingService", "Page"]
