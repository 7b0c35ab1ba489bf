"""Each kind of record an import takes (SPEC §7): its columns, how a row becomes the API body
the services check, the natural key it is found by, and how it is created or changed.

Columns (CSV) and keys (JSON Lines) are the API's field names. In CSV, a field that holds a
list or an object (a profile's ``attributes``, a definition's ``tags`` or ``claim_condition``)
is that JSON in its cell; a profile's loyalty card is the column ``card`` and any other
identity ``identity:<handle>``. An empty cell is a field left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import orjson

from clienteling.engine.errors import ValidationError
from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.engine.services.transfer import TransferService
from clienteling.hub.transfer.files import cell

Outcome = Literal["created", "updated", "unchanged"]
# Fields the hub stamps: an import neither sets them nor counts them as a change.
_STAMPS = frozenset({"created_at", "updated_at", "version", "total_global_redemptions",
                     "total_issued", "lifetime_spend", "last_purchase_at"})
CARD = "card"
IDENTITY_PREFIX = "identity:"


class Unchanged(Exception):
    """Raised inside a row's savepoint when an update changed nothing, to take it back (no
    audit event, no change-feed row, no new definition version for a re-run import)."""


def _json_cells(values: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    """CSV cells of list or object fields parsed as JSON (a bad one named by its column)."""
    out = dict(values)
    for name in names & values.keys():
        value = values[name]
        if isinstance(value, str):
            try:
                out[name] = orjson.loads(value)
            except orjson.JSONDecodeError:
                raise ValidationError.field(name, "must be JSON (a list or an object)") from None
    return out


def _without_stamps(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in _STAMPS}


@dataclass(frozen=True)
class Kind:
    """One kind of record: ``name`` as ``--kind`` takes it."""

    name: str
    columns: tuple[str, ...]  # what an export writes, in order (CSV header)
    json_fields: frozenset[str] = frozenset()
    needs_admin: bool = True  # made by an admin (--as); stores and staff may be the deployment's
    describe: str = ""
    _find: Callable[[TransferService, dict[str, Any]], dict[str, Any] | None] = field(
        default=lambda _t, _b: None, repr=False)
    _create: Callable[[Clienteling, Actor | None, dict[str, Any]], Any] = field(
        default=lambda _c, _a, _b: None, repr=False)
    _update: Callable[[Clienteling, Actor | None, dict[str, Any], dict[str, Any]], Any] | None = field(
        default=None, repr=False)
    # Without ``_update``: the fields that must match an existing record for the row to be
    # ``unchanged`` (any other difference is refused: that kind is not changed by an import).
    compare: tuple[str, ...] = ()
    # Columns an import reads that an export does not write (a customer by ``card``, a
    # definition by handle, what a hub stamps as its own).
    also_accepts: frozenset[str] = frozenset()
    # Turns references a person writes (a card, a definition's handle) into ids, with the
    # database at hand, before the record is found or made.
    _resolve: Callable[[TransferService, dict[str, Any]], dict[str, Any]] | None = field(
        default=None, repr=False)
    # Where records of this kind can be made many at a time (``create_many``): whether each
    # row's record exists already, and the maker, answering a record or an error per row.
    _found_many: Callable[[TransferService, list[dict[str, Any]]], list[bool]] | None = field(
        default=None, repr=False)
    _create_many: Callable[[Clienteling, Actor | None, list[dict[str, Any]]],
                           list[Any]] | None = field(default=None, repr=False)

    @property
    def in_bulk(self) -> bool:
        return self._found_many is not None and self._create_many is not None

    def found_many(self, transfer: TransferService, bodies: list[dict[str, Any]]) -> list[bool]:
        assert self._found_many is not None
        return self._found_many(transfer, bodies)

    def create_many(self, cl: Clienteling, actor: Actor | None,
                    bodies: list[dict[str, Any]]) -> list[Any]:
        """One result per body, in order: the new record, or the ``DomainError`` refusing it."""
        assert self._create_many is not None
        return self._create_many(cl, actor, bodies)

    def unknown_fields(self, names: Iterable[str]) -> list[str]:
        """The names that are no field of this kind. Such a field would be dropped without a
        word (the API ignores fields it does not know), so a misspelt ``emial`` would lose
        every customer's email: an import names it instead."""
        known = self._known
        return [n for n in names if n not in known
                and not (self.name == "profiles" and n.startswith(IDENTITY_PREFIX))]

    @cached_property
    def _known(self) -> frozenset[str]:
        return frozenset({*self.columns, *self.json_fields, *_STAMPS, *self.also_accepts})

    def unknown_columns(self, names: list[str]) -> str | None:
        """Why a CSV header will not do (see ``unknown_fields``), or None."""
        unknown = self.unknown_fields(names)
        if not unknown:
            return None
        listed = ", ".join(repr(n[:60]) for n in unknown[:5])
        return (f"{'column' if len(unknown) == 1 else 'columns'} {listed} "
                f"{'is' if len(unknown) == 1 else 'are'} not a field of {self.name} (a "
                f"misspelling?); its columns: {', '.join(self.columns)}")

    def body(self, values: dict[str, Any]) -> dict[str, Any]:
        """A row's values as the API body (JSON cells parsed; cards as identities)."""
        body = _json_cells(values, self.json_fields)
        if self.name == "profiles":
            body = _identities(body)
        return body

    def upsert(self, cl: Clienteling, transfer: TransferService, actor: Actor | None,
               body: dict[str, Any]) -> Outcome:
        """Create the record, or change the one its natural key finds. Call inside a row's
        savepoint: an unchanged record raises ``Unchanged`` after its update is made, so the
        savepoint takes the update back."""
        if self._resolve is not None:
            body = self._resolve(transfer, body)
        current = self._find(transfer, body)
        if current is None:
            self._create(cl, actor, body)
            return "created"
        if self._update is None:
            differing = [k for k in self.compare
                         if k in body and cell(current.get(k)) != cell(body[k])]
            if differing:
                raise ValidationError.field(
                    differing[0], f"differs from the existing record's ({current[differing[0]]!r}); "
                    f"an import does not change existing {self.name}")
            return "unchanged"
        self._update(cl, actor, current, body)
        after = self._find(transfer, {**body, "id": current["id"]})
        if after is not None and _without_stamps(after) == _without_stamps(current):
            raise Unchanged
        return "updated"

    def export_row(self, record: dict[str, Any], identity_handles: list[str]) -> dict[str, Any]:
        """A record in the import's shape: no stamps, a profile's cards as columns."""
        row = _without_stamps(record)
        if self.name in ("benefits", "rewards"):
            return {k: row.get(k) for k in self.columns}
        if self.name == "staff":
            row.pop("pin_hash", None)
        if self.name == "profiles":
            cards = {i["handle"]: i["identifier"] for i in row.pop("identities", [])}
            if CARD in cards:
                row[CARD] = cards.pop(CARD)
            for handle in identity_handles:
                if handle != CARD and handle in cards:
                    row[IDENTITY_PREFIX + handle] = cards[handle]
        return row

    def export_columns(self, identity_handles: list[str]) -> list[str]:
        extra = [IDENTITY_PREFIX + h for h in identity_handles if h != CARD]
        return [*self.columns, *extra] if self.name == "profiles" else list(self.columns)


def _identities(body: dict[str, Any]) -> dict[str, Any]:
    """``card`` and ``identity:<handle>`` as the API's ``identities`` (SPEC §7)."""
    out = {k: v for k, v in body.items() if k != CARD and not k.startswith(IDENTITY_PREFIX)}
    found: list[dict[str, Any]] = []
    if CARD in body:
        found.append({"handle": CARD, "identifier": body[CARD]})
    found += [{"handle": k[len(IDENTITY_PREFIX):], "identifier": v}
              for k, v in body.items() if k.startswith(IDENTITY_PREFIX)]
    if found:
        given = out.get("identities")
        if given is not None and not isinstance(given, list):
            raise ValidationError.field("identities", "must be a list of {handle, identifier}")
        out["identities"] = [*(given or []), *found]
    return out


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _profile_update(cl: Clienteling, actor: Actor | None, current: dict[str, Any],
                    body: dict[str, Any]) -> None:
    assert actor is not None
    data = {k: v for k, v in body.items() if k != "id"}
    if "identities" in data:
        # A card from the other system joins the cards the customer already has here (one
        # added at a till stays), rather than replacing them.
        have = {(i["handle"], i["identifier"]) for i in current["identities"]}
        extra = [i for i in data["identities"]
                 if isinstance(i, dict) and (str(i.get("handle") or CARD),
                                             str(i.get("identifier", "")).strip()) not in have]
        data["identities"] = [*current["identities"], *extra]
    cl.profiles.update(actor, current["id"], data)


_PROFILE_COLUMNS = ("id", "first_name", "last_name", "email", "mobile_phone", "gender",
                    "birth_date", "tier", "join_date", "home_store_id", "attributes", CARD)
_BENEFIT_DEFINITION_JSON = frozenset({"tags", "claim_condition", "visibility_condition",
                                      "claim_timeframe", "discount"})


KINDS: dict[str, Kind] = {}


def _register(kind: Kind) -> None:
    KINDS[kind.name] = kind


_register(Kind(
    "stores", ("id", "name", "timezone"), needs_admin=False, compare=("name", "timezone"),
    describe="stores, found by id, else by name",
    _find=lambda t, b: t.find_store(_text(b, "id"), _text(b, "name")),
    _create=lambda cl, actor, b: cl.staff.create_store(actor, b),
))
_register(Kind(
    "staff", ("id", "username", "display_name", "role", "store_id", "is_active", "pin"),
    needs_admin=False, describe="staff, found by username (a new one needs a pin)",
    compare=("display_name", "role", "store_id"),
    _find=lambda t, b: t.find_staff(_text(b, "username")),
    _create=lambda cl, actor, b: cl.staff.create_staff(
        actor, {k: v for k, v in b.items() if k not in ("id", "is_active")}),
))
_register(Kind(
    "profiles", _PROFILE_COLUMNS, json_fields=frozenset({"attributes", "identities"}),
    describe="customer profiles, found by id, else email, else card",
    _find=lambda t, b: t.find_profile(b),
    _found_many=lambda t, bodies: t.profiles_found(bodies),
    _create_many=lambda cl, actor, bodies: cl.profiles.create_many(actor, bodies),  # type: ignore[arg-type]
    _create=lambda cl, actor, b: cl.profiles.create(actor, b),  # type: ignore[arg-type]
    _update=_profile_update,
))


def _definition_kind(name: str, columns: tuple[str, ...], json_fields: frozenset[str],
                     create: str, update: str) -> Kind:
    def _create(cl: Clienteling, actor: Actor | None, body: dict[str, Any]) -> Any:
        return getattr(cl.definitions, create)(actor, body)

    def _update(cl: Clienteling, actor: Actor | None, current: dict[str, Any],
                body: dict[str, Any]) -> Any:
        data = {k: v for k, v in body.items() if k not in ("id", *_STAMPS)}
        return getattr(cl.definitions, update)(actor, current["id"], data)

    return Kind(name, columns, json_fields=json_fields,
                describe=f"{name.replace('_', ' ')}, found by handle",
                _find=lambda t, b: t.find_definition(name, _text(b, "handle")),
                _create=_create, _update=_update)


def _columns_of(render: Callable[[Any], dict[str, Any]]) -> tuple[str, ...]:
    """A definition's import columns: its wire fields (in wire order) less the hub's stamps."""
    return tuple(k for k in render(_Blank()) if k not in _STAMPS)


class _Blank:
    """Stands in for a record so the wire renderer itself names a definition's fields (every
    attribute None): the columns cannot drift from what the API sends."""

    def __getattr__(self, name: str) -> Any:
        return None


def _definition_columns_for(kind: str) -> tuple[str, ...]:
    from clienteling.engine import wire

    if kind == "benefit_definitions":
        return _columns_of(wire.benefit_definition)
    return _columns_of(wire.reward_definition)


_register(_definition_kind("benefit_definitions", _definition_columns_for("benefit_definitions"),
                           _BENEFIT_DEFINITION_JSON, "create_benefit_definition",
                           "update_benefit_definition"))
_register(_definition_kind("reward_definitions", _definition_columns_for("reward_definitions"),
                           frozenset({"excluded_categories"}), "create_reward_definition",
                           "update_reward_definition"))


def _customer_by_card(transfer: TransferService, body: dict[str, Any]) -> dict[str, Any]:
    """A row's customer by ``card`` when it gives no ``profile_id``."""
    out = {k: v for k, v in body.items() if k != CARD}
    card = _text(body, CARD)
    if card and not _text(body, "profile_id"):
        profile_id = transfer.profile_with_card(card)
        if profile_id is None:
            raise ValidationError.field(CARD, f"no customer has card {card[:40]}")
        out["profile_id"] = profile_id
    return out


def _instance_references(definition_kind: str, field: str) -> Callable[
        [TransferService, dict[str, Any]], dict[str, Any]]:
    """An instance row's customer by ``card`` (or ``profile_id``) and its definition by id or
    handle, as ids."""

    def resolve(transfer: TransferService, body: dict[str, Any]) -> dict[str, Any]:
        out = _customer_by_card(transfer, body)
        ref = _text(body, field)
        if ref:
            found = transfer.definition_id(definition_kind, ref)
            if found is None:
                what = definition_kind.removesuffix("s").replace("_", " ")
                raise ValidationError.field(field, f"no {what} with id or handle {ref[:60]}")
            out[field] = found
        if definition_kind == "reward_definitions":
            # Manual issue asks why; an opening balance says where it came from.
            out.setdefault("reason", "Opening balance imported from another system")
        return out

    return resolve


_register(Kind(
    "benefits", ("id", "external_id", "profile_id", "benefit_definition_id", "issued_at",
                 "expires_at", "timezone"),
    also_accepts=frozenset({CARD}),
    describe="issued benefits (opening balances from another system), found by external_id "
             "(else id); the customer by profile_id or card, the definition by id or handle",
    compare=("profile_id", "benefit_definition_id"),
    _find=lambda t, b: t.find_instance("benefits", _text(b, "external_id"), _text(b, "id")),
    _create=lambda cl, actor, b: cl.benefits.issue(actor, b),  # type: ignore[arg-type]
    _resolve=_instance_references("benefit_definitions", "benefit_definition_id"),
))
_register(Kind(
    "rewards", ("id", "external_id", "profile_id", "reward_definition_id", "value_initial",
                "issued_at", "expires_at", "timezone", "reason"),
    also_accepts=frozenset({CARD, "reward_definition_handle"}),
    describe="reward balances (opening balances from another system), found by external_id "
             "(else id); the customer by profile_id or card, the definition by id or handle",
    compare=("profile_id", "reward_definition_id", "value_initial"),
    _find=lambda t, b: t.find_instance("rewards", _text(b, "external_id"), _text(b, "id")),
    _create=lambda cl, actor, b: cl.rewards.issue(actor, b),  # type: ignore[arg-type]
    _resolve=_instance_references("reward_definitions", "reward_definition_id"),
))


def _purchase_references(transfer: TransferService, body: dict[str, Any]) -> dict[str, Any]:
    out = _customer_by_card(transfer, body)
    if not _text(out, "profile_id"):
        raise ValidationError.field("profile_id", "is required (or a card)")
    if not _text(out, "store_id"):  # half of the natural key: never guessed from who imports
        raise ValidationError.field("store_id", "is required")
    return out


def _purchase_create(cl: Clienteling, actor: Actor | None, body: dict[str, Any]) -> Any:
    assert actor is not None
    data = {k: v for k, v in body.items() if k not in ("profile_id", "staff_id", *_STAMPS)}
    return cl.purchases.record(actor, str(body["profile_id"]).strip(), data, source="import")


_register(Kind(
    "purchases", ("id", "profile_id", CARD, "store_id", "receipt_ref", "occurred_at", "total",
                  "eligible_spend", "returns_purchase_id", "lines", "source"),
    json_fields=frozenset({"lines"}), also_accepts=frozenset({"staff_id"}),
    describe="purchases and returns (SPEC 3.8), found by store_id + receipt_ref; the customer "
             "by profile_id or card",
    compare=("profile_id",),
    _find=lambda t, b: t.find_purchase(_text(b, "store_id"), _text(b, "receipt_ref")),
    _create=_purchase_create,
    _resolve=_purchase_references,
))


def _reaction_update(cl: Clienteling, actor: Actor | None, current: dict[str, Any],
                     body: dict[str, Any]) -> Any:
    assert actor is not None
    data = {k: v for k, v in body.items() if k not in ("id", "archived", *_STAMPS)}
    return cl.reactions.update(actor, current["id"], data)


def _reaction_columns() -> tuple[str, ...]:
    from clienteling.engine import wire

    return _columns_of(wire.reaction)


# SPEC 3.9, §7: a reaction by handle; its effect may name its definition by id or handle.
_register(Kind(
    "reactions", _reaction_columns(), json_fields=frozenset({"trigger", "condition", "effect"}),
    describe="reactions (SPEC 3.9), found by handle; the effect's definition by id or handle",
    _find=lambda t, b: t.find_definition("reactions", _text(b, "handle")),
    _create=lambda cl, actor, b: cl.reactions.create(actor, b),  # type: ignore[arg-type]
    _update=_reaction_update,
))


def kind_named(name: str) -> Kind:
    if name not in KINDS:
        raise ValidationError.field("kind", f"must be one of {', '.join(KINDS)}")
    return KINDS[name]


def records(transfer: TransferService, kind: Kind) -> Iterator[dict[str, Any]]:
    for page in transfer.pages(kind.name):
        yield from page
